// Zone transfer for secondaries, in one place for the server: the AXFR/IXFR query handler, the
// journal of change sets that makes IXFR incremental, and NOTIFY on every serial change. The
// server tells it what it serves (`serve`, on every zone swap) and that a new serial was
// published (`published`); everything else happens here.
import type { AnswerSettings, Config } from '../config/types.js';
import type { Logger } from '../log.js';
import type { ZoneChangeSet } from '../zone/changes.js';
import type { ZoneImage } from '../zone/image.js';
import type { Authority } from '../dns/answer.js';
import { soaRdata } from '../dns/authority.js';
import { Journal, condense } from './journal.js';
import { Notifier, newNotifyCounters, type NotifyCounters } from './notify.js';
import { createTransferHandler, type PinnableZone, type TransferCounters, type TransferHandler } from './transfer.js';
import { WatchHub, changeLine } from './watch.js';

export type { PinnableZone } from './transfer.js';

/**
 * The version a zone transfer serves, from the authority built for it (dns/authority.ts); `pin`
 * keeps its buffers. Here and not in dns/: the transfer stage reads the answering stage, not back.
 */
export function transferZone(a: Authority, image: ZoneImage, serial: number, pin: () => () => void): PinnableZone {
  return { zone: { serial, image, apex: a.apex, soaRdata: a.soaRdata, nsTarget: a.nsTarget, ttl: a.ttl }, pin };
}

export interface Xfr {
  handle: TransferHandler;
  journal: Journal;
  counters: TransferCounters;
  /** NOTIFY counts, kept across the Notifiers a reload replaces. */
  notifyCounters: NotifyCounters;
  watch: WatchHub;
  /** The version now answered (also when its content did not change). */
  serve(zone: PinnableZone): void;
  /**
   * The version just served, with its change set (null: not computed). A new serial is journaled
   * and notified; a change under the same serial (the serial moves at most once a second) is held
   * and folded into the next serial's change set.
   */
  versioned(serial: number, changes: ZoneChangeSet | null): void;
  /**
   * A SIGHUP reload's new config: TransferAllowFrom applies to the next transfer query; a changed
   * NotifyTargets (or Domain, TTL, or Listener, which NOTIFYs are sent from) gets a new Notifier,
   * the old one's unanswered NOTIFYs dropped, and the current serial notified to the new list.
   * True when TransferAllowFrom or NotifyTargets changed.
   */
  reconfigure(next: AnswerSettings): boolean;
  close(): void;
}

export function createXfr(initial: AnswerSettings, log: Logger): Xfr {
  let settings = initial;
  let config = initial.config;
  let current: PinnableZone | null = null;
  const journal = new Journal(config.TransferJournalMaxBytes);
  const { handle, counters } = createTransferHandler({ settings: () => settings, current: () => current, journal, log });
  const notifyCounters = newNotifyCounters();
  // One Notifier per zone: the domain, and each reverse zone with PTROn (same serial, same targets).
  const newNotifiers = (c: Config) => (c.NotifyTargets.length > 0
    ? [c.Domain, ...(c.PTROn ? c.PTRZones : [])].map((domain) => new Notifier({
      targets: c.NotifyTargets, domain, soaRdata: (s) => soaRdata(config, s), ttl: c.TTL,
      source: c.Listener, log, counters: notifyCounters,
    }))
    : []);
  let notifiers = newNotifiers(config);
  let lastSerial: number | null = null;
  /** Changes served under an unchanged serial; null once a version without a change set broke the chain. */
  let held: ZoneChangeSet[] | null = [];
  const watch = new WatchHub(() => current, journal, { maxWatchers: 64, maxBufferBytes: 4 << 20, heartbeatMs: 15_000, log });
  const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  return {
    handle, journal, counters, notifyCounters, watch,
    reconfigure(nextSettings) {
      const prev = config, next = nextSettings.config;
      settings = nextSettings;
      config = next;
      const allowChanged = !same(prev.TransferAllowFrom, next.TransferAllowFrom);
      const targetsChanged = !same(prev.NotifyTargets, next.NotifyTargets);
      const zonesChanged = prev.PTROn !== next.PTROn || !same(prev.PTRZones, next.PTRZones);
      if (targetsChanged || zonesChanged || prev.Domain !== next.Domain || prev.Listener !== next.Listener || prev.TTL !== next.TTL) {
        for (const n of notifiers) n.close();
        notifiers = newNotifiers(next);
        // A secondary just added learns the current serial now rather than at the next change.
        if (targetsChanged && lastSerial !== null) for (const n of notifiers) n.notify(lastSerial);
      }
      return allowChanged || targetsChanged;
    },
    serve(zone) { current = zone; },
    versioned(serial, incoming) {
      if (serial === lastSerial) {
        if (!incoming) held = null;
        else if (held && (incoming.added.length || incoming.removed.length)) held.push(incoming);
        return;
      }
      let changes = incoming;
      if (changes && held === null) changes = null;
      else if (changes && held!.length > 0) changes = { ...changes, ...condense([...held!, changes]) };
      held = [];
      lastSerial = serial;
      for (const n of notifiers) n.notify(serial);
      // The feed line is read from the version just served (`serve` came first).
      const line = changes && current ? changeLine(changes, current.zone.image) : null;
      journal.record(serial, changes, line ?? '');
      watch.publish(line);
    },
    close() { for (const n of notifiers) n.close(); watch.close(); },
  };
}
