// Zone transfer for secondaries, in one place for the server: the AXFR/IXFR query handler, the
// journal of change sets that makes IXFR incremental, and NOTIFY on every serial change. The
// server tells it what it serves (`serve`, on every zone swap) and that a new serial was
// published (`published`); everything else happens here.
import type { Config } from '../config/types.js';
import type { Logger } from '../log.js';
import type { ZoneChangeSet } from '../zone/changes.js';
import { soaRdata } from '../dns/authority.js';
import { Journal, condense } from './journal.js';
import { Notifier } from './notify.js';
import { createTransferHandler, type PinnableZone, type TransferCounters, type TransferHandler } from './transfer.js';
import { WatchHub, changeLine } from './watch.js';

export type { PinnableZone } from './transfer.js';

export interface Xfr {
  handle: TransferHandler;
  journal: Journal;
  counters: TransferCounters;
  notifier: Notifier | null;
  watch: WatchHub;
  /** The version now answered (also when its content did not change). */
  serve(zone: PinnableZone): void;
  /**
   * The version just served, with its change set (null: not computed). A new serial is journaled
   * and notified; a change under the same serial (the serial moves at most once a second) is held
   * and folded into the next serial's change set.
   */
  versioned(serial: number, changes: ZoneChangeSet | null): void;
  close(): void;
}

export function createXfr(config: Config, log: Logger): Xfr {
  let current: PinnableZone | null = null;
  const journal = new Journal(config.TransferJournalMaxBytes);
  const { handle, counters } = createTransferHandler({ config, current: () => current, journal, log });
  const notifier = config.NotifyTargets.length > 0
    ? new Notifier({
      targets: config.NotifyTargets, domain: config.Domain, soaRdata: (s) => soaRdata(config, s), ttl: config.TTL,
      source: config.Listener, log,
    })
    : null;
  let lastSerial: number | null = null;
  /** Changes served under an unchanged serial; null once a version without a change set broke the chain. */
  let held: ZoneChangeSet[] | null = [];
  const watch = new WatchHub(() => current, journal, { maxWatchers: 64, maxBufferBytes: 4 << 20, heartbeatMs: 15_000, log });
  return {
    handle, journal, counters, notifier, watch,
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
      notifier?.notify(serial);
      // The feed line is read from the version just served (`serve` came first).
      const line = changes && current ? changeLine(changes, current.zone.image) : null;
      journal.record(serial, changes, line ?? '');
      watch.publish(line);
    },
    close() { notifier?.close(); watch.close(); },
  };
}
