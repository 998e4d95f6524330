// Publishing a zone version: the one place where a built zone (polled or streamed) becomes the
// served snapshot. The serial, the authority, the reverse zones, zone transfers, the answering
// threads and the version listeners all switch to it together, and the previous image is
// released: the zone the answerer reads is an immutable snapshot swapped whole.
import type { Settings } from '../config/types.js';
import type { Logger } from '../log.js';
import type { MastersUpdate } from '../detect/index.js';
import { ZoneBuilder } from '../zone/builder.js';
import { answersProtected, protectAnswers } from '../zone/priority.js';
import type { BuildParams, BuiltZone } from '../zone/build.js';
import type { DraftTransfer } from '../records/draft.js';
import { ImageSnapshot, type BodyRenderer } from '../zone/snapshot.js';
import type { ZoneChangeSet, ZoneDiff } from '../zone/changes.js';
import { ReverseZone } from '../zone/reverse.js';
import { collectSoon } from '../memory.js';
import { createAuthority } from '../dns/authority.js';
import { createReverseAuthority } from '../dns/reverse.js';
import type { AnswerThreads } from '../threads/pool.js';
import { stateMetrics, setSkipped, countSkipped } from '../state/metrics.js';
import { transferZone } from '../xfr/index.js';
import type { Live } from './live.js';

export const newBuilder = (c: Settings, verbosity: number) => new ZoneBuilder(c, verbosity, Math.min(c.config.StateTimeoutSeconds, 10) * 1000);

// Each bulk body render is logged: seconds of worker time at 50k tasks, and one line per zone
// version and kind shows that concurrent /v1/axfr requests share one render. It reads
// `builder` at each call: a reload may replace the builder.
export function bodyRenderer(builder: () => ZoneBuilder, threads: number, log: Logger): BodyRenderer {
  return {
    render: async (draft, kind, head) => {
      const t0 = performance.now();
      const body = await builder().render(draft, kind, head);
      log.info({ kind, bytes: body.byteLength, ms: Math.round(performance.now() - t0) }, 'bulk body rendered');
      return body;
    },
    discard: (buffers) => builder().discard(buffers),
    // Answering threads do not say when they let an image go: theirs are never written again.
    retire: (image) => { if (threads > 1) collectSoon(); else builder().retire(image); },
  };
}

export function buildParams(s: Live, update: MastersUpdate): BuildParams {
  const config = s.config;
  return {
    generate: {
      domain: config.Domain, nsName: config.SOAMname, listener: config.Listener,
      enforceRFC952: config.EnforceRFC952, ipSources: config.IPSources,
      masters: update.masters, interfaceAddrs: s.ifAddrs,
    },
    // Always shared: the build worker keeps the image it diffs the next version against by
    // reference, and the answering thread reads the same bytes, so neither a poll refresh nor a
    // stream version is copied to reach it (one 80 MiB image fewer at 50k tasks); stream versions
    // are written into buffers the answering thread gave back (zone/spares.ts, zone/README.md "Memory").
    image: { domain: config.Domain, ttl: config.TTL, srvWeight: config.SRVRecordDefaultWeight, shared: true },
    ptr: config.PTROn,
  };
}

/** Answering threads answer from `snap` from now on: one message per version to each thread. */
export function postZone(s: Live, p: AnswerThreads, snap: ImageSnapshot): void {
  const b = snap.image.buffer;
  if (b instanceof SharedArrayBuffer) p.setZone(b, snap.serial, snap.changes, s.reverseZone?.pairs ?? null);
  else s.log.error({ serial: snap.serial }, 'zone image not shared: the answering threads keep the previous version');
}

/** A worker's diff, given its serials; null stays null (first version, or not computed). */
function stamp(d: ZoneDiff | null, fromSerial: number, toSerial: number): ZoneChangeSet | null {
  return d && { fromSerial, toSerial, time: Date.now(), removed: d.removed, added: d.added };
}

export interface Publisher {
  /** Swap a new zone in (polled or streamed); returns whether its content changed, and its serial. */
  install(zone: BuiltZone, changes: ZoneDiff | null, draft: PromiseLike<DraftTransfer>, master: string, t0: number): { changed: boolean; serial: number };
  /** Cancel a pending serial bump (shutdown). */
  stop(): void;
}

export function createPublisher(s: Live): Publisher {
  const log = s.log;
  function install(zone: BuiltZone, changes: ZoneDiff | null, draft: PromiseLike<DraftTransfer>, master: string, t0: number): { changed: boolean; serial: number } {
    const config = s.config;
    const changed = s.snapshot?.contentHash !== zone.contentHash;
    const previous = s.snapshot;
    const fromSerial = s.serials.current;
    const serial = changed ? s.serials.changed() : fromSerial;
    if (changed || !s.reverseZone) s.reverseZone = config.PTROn && zone.ptr ? new ReverseZone(zone.ptr, config.PTRZones) : null;
    swapIn(new ImageSnapshot(zone, draft, serial, s.renderer, stamp(changes, fromSerial, serial)));
    previous?.release(); // answers read it synchronously; bulk bodies copy its records first (release())
    if (!answersProtected()) protectAnswers(); // the first zone is served: build threads to nice 19 (zone/priority.ts)
    for (const b of s.retiredBuilders.splice(0)) void b.close();
    s.loadedAt = Date.now() / 1000;
    s.names = zone.counts.names;
    s.byType = zone.byType;
    stateMetrics.lastSuccess = s.loadedAt;
    const replacedFile = s.fromFile;
    s.fromFile = false;
    if (replacedFile) log.info({ serial, changed }, 'fresh state replaces the snapshot');
    if (config.SnapshotFile) {
      // Written by the worker from its copy of the image; every refresh tells it to write or drop that copy.
      const write = changed || replacedFile;
      s.builder.lastGood(write ? config.SnapshotFile : '', { serial, time: s.loadedAt * 1000, domain: config.Domain, contentHash: zone.contentHash })
        .then((bytes) => { if (bytes) log.debug({ file: s.config.SnapshotFile, serial, bytes }, 'snapshot written'); },
          (err) => log.warn({ file: s.config.SnapshotFile, err: (err as Error).message }, 'snapshot write failed'));
    }
    stateMetrics.lastDurationSeconds = (performance.now() - t0) / 1000;
    stateMetrics.loads++;
    setSkipped(zone.skipped ?? countSkipped(zone.warnings));
    for (const w of zone.warnings) log.warn({ master }, w);
    return { changed, serial };
  }

  // A change within a second of the last serial bump keeps the serial; the bump follows as a
  // version of its own (same content and buffers, empty change set) when the second is over.
  let bumpTimer: NodeJS.Timeout | null = null;
  function swapIn(next: ImageSnapshot): void {
    s.snapshot = next;
    s.authority = createAuthority(s.config, next.image, next.serial);
    s.reverse = s.reverseZone && createReverseAuthority(s.config, s.reverseZone, next.serial);
    s.xfr.serve({ ...transferZone(s.authority, next.image, next.serial, () => next.pin()), reverse: s.reverse });
    s.xfr.versioned(next.serial, next.changes);
    if (s.pool) postZone(s, s.pool, next);
    for (const l of s.listeners) l(next);
    const due = s.serials.dueIn();
    if (due >= 0 && bumpTimer === null) {
      bumpTimer = setTimeout(() => {
        bumpTimer = null;
        if (s.closed || !s.snapshot || !s.serials.isPending) return;
        const from = s.serials.current;
        swapIn(s.snapshot.reissue(s.serials.bump(), { fromSerial: from, toSerial: s.serials.current, time: Date.now(), removed: [], added: [] }));
      }, due);
      bumpTimer.unref();
    }
  }

  return { install, stop: () => { if (bumpTimer) clearTimeout(bumpTimer); } };
}
