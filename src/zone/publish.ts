// Publishing a zone version from a state the build worker already holds (the event stream's cluster
// model), rather than from a state it fetched (a poll refresh): contract "Stream → zone". The model
// hands over the complete current state plus a hint of what changed; a new zone is built, diffed
// against the last published one (zone/changes.ts) and posted to the answering thread, which swaps
// it in whole. Builds never overlap: calls that arrive while one runs are merged (the latest state,
// the union of the hints) into the one build that follows, so a burst of events costs at most one
// build after the running one, and the freshness of a name is bounded by about two build times.
// With `incremental`, a version after the first is a patch of the last one (zone/incremental.ts:
// only the tasks the events touched are generated again); a snapshot (hint.full), other build
// parameters or a name shared with tasks outside the batch make it a full build. See
// zone/README.md for the design and its numbers.
import { createHash } from 'node:crypto';
import { hostNamesOf, type ParseResult } from '../state/parse.js';
import type { HostIPs, State, StateView, Task } from '../state/types.js';
import { buildZone, type BuildParams, type BuiltZone, type HostResolver } from './build.js';
import { pointerRecords } from '../records/ptr.js';
import type { ChangeTracker, ZoneDiff } from './changes.js';
import type { DraftTransfer } from '../records/draft.js';
import { generate } from '../records/generate.js';
import type { IncrementalZone } from './incremental.js';
import { freeNow } from '../memory.js';
import type { ChangeHint, PublishState } from '../stream/model.js';
import { clock } from '../stream/trace.js';

/** Where a published version goes: the worker posts the zone, then its records (as a refresh does). */
export interface PublishSink {
  /**
   * `changes`: against the previous version (null without a `versions` tracker, or for the first).
   * `timing`: when the build started and how long its stages took (ms), for stream/trace.ts.
   */
  zone(zone: BuiltZone, hint: ChangeHint, changes: ZoneDiff | null, timing: BuildTiming): void;
  /**
   * The version's records (for /v1/axfr and /v1/enumerate): ready after a full build; after a
   * patch, a function that generates them (1-2 s at 50k tasks: only when a body is asked for).
   */
  records(draft: DraftTransfer | (() => DraftTransfer)): void;
}

/** When a version's build started (epoch ms, stream/trace.ts clock) and its stages' durations (ms). */
export interface BuildTiming { start: number; stages: Record<string, number>; /** Why it was built whole. */ full?: string }

/** The union of two hints. */
export function mergeHints(a: ChangeHint, b: ChangeHint): ChangeHint {
  return {
    full: a.full || b.full,
    frameworks: new Set([...a.frameworks, ...b.frameworks]),
    agents: new Set([...a.agents, ...b.agents]),
    mastersChanged: a.mastersChanged || b.mastersChanged,
    ...(a.batches || b.batches ? { batches: [...a.batches ?? [], ...b.batches ?? []] } : {}),
    ...(a.tasks || b.tasks ? { tasks: mergeTasks(a.tasks, b.tasks) } : {}),
  };
}

/** Changed tasks of two hints, the later (`b`) winning: it says how the task is now. */
function mergeTasks(a: ChangeHint['tasks'], b: ChangeHint['tasks']): NonNullable<ChangeHint['tasks']> {
  const out = new Map<string, Map<string, Task | null>>();
  for (const h of [a, b]) if (h) for (const [fw, ts] of h) {
    let m = out.get(fw);
    if (!m) out.set(fw, (m = new Map()));
    for (const [id, t] of ts) m.set(id, t);
  }
  return out;
}

export interface PublisherOptions {
  /** Build parameters for the next version (read at each build: the masters list can change). */
  params: () => BuildParams;
  resolve: HostResolver;
  /**
   * The worker's last published image (zone/worker.ts `versions`, shared with poll refreshes, so
   * every version is diffed against its predecessor, whichever path built it).
   */
  versions?: ChangeTracker;
  sink: PublishSink;
  /** After each build (the worker collects its garbage). */
  after?: () => void;
  /** Patch versions instead of building them whole (needs `versions`; states with task arrays). */
  incremental?: IncrementalZone;
}

export function createPublisher(o: PublisherOptions): PublishState {
  let running: Promise<void> | null = null;
  let next: { doc: { value: ParseResult<StateView> | undefined }; hint: ChangeHint; waiters: { resolve(): void; reject(e: Error): void }[] } | null = null;

  const inc = o.versions ? o.incremental : undefined;
  /** Content hash of the last version published (a patch chains it: see patched()). */
  let lastHash = '';

  async function build(doc: { value: ParseResult<StateView> | undefined }, hint: ChangeHint): Promise<void> {
    const params = o.params();
    const timing: BuildTiming = { start: clock(), stages: {} };
    let at = timing.start;
    const mark = (stage: string) => { const now = clock(); timing.stages[stage] = (timing.stages[stage] ?? 0) + (now - at); at = now; };
    const state = doc.value?.state as State | null | undefined; // the stream's model: task arrays
    if (inc && state && !hint.full) {
      const names = hostNamesOf(state);
      const hostIPs = names.length ? await o.resolve(names) : new Map<string, string[]>();
      mark('resolve');
      if (patched(doc.value!, state, params, hostIPs, hint, timing)) { doc.value = undefined; return; }
      at = clock();
    }
    timing.full = hint.full ? 'snapshot or reload' : !inc ? 'not incremental' : !state ? 'no state' : inc.refused;
    let hostIPs: HostIPs = new Map();
    const { zone, generated } = await buildZone(doc, params, async (names) => (hostIPs = await o.resolve(names)), (s) => mark('full ' + s));
    let changes: ZoneDiff | null = null;
    if (o.versions) {
      const pub = o.versions.publish(zone.image);
      zone.image = pub.image;
      changes = pub.changes;
      // The same content (a snapshot after a reconnect, most often) keeps its hash, and so its serial.
      if (changes && !changes.added.length && !changes.removed.length && lastHash) zone.contentHash = lastHash;
      if (inc && state) inc.adopt(o.versions.last!, state, params, hostIPs, { ...zone.counts, byType: zone.byType });
      else inc?.reset();
      mark('full diff');
    }
    lastHash = zone.contentHash;
    o.sink.zone(zone, hint, changes, timing);
    o.sink.records(generated.draft.toTransfer());
  }

  /** Publish `state` as a patch of the last version; false when it must be built whole. */
  function patched(parsed: ParseResult<StateView>, state: State, params: BuildParams, hostIPs: HostIPs, hint: ChangeHint, timing: BuildTiming): boolean {
    const r = inc!.update(state, params, hostIPs, hint, timing.stages);
    if (r === null) return false;
    o.versions!.keep(inc!.image!);
    // 80 MiB each at 50k tasks, many a second under churn: not left to the garbage collector.
    // Shared ones (answering threads) go when every thread has dropped them (garbage collection).
    const plain = r.unused.filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
    if (plain.length) freeNow(plain);
    const changed = r.changes.added.length + r.changes.removed.length > 0;
    // The hash of a patched version: the previous one and what changed (the image's bytes
    // depend on the patch history; its content does not).
    const contentHash = changed ? createHash('sha1').update(lastHash).update(JSON.stringify(r.changes)).digest('hex') : lastHash;
    lastHash = contentHash;
    const zone: BuiltZone = {
      // The image travels to the answering thread; a shared one is never written again, so it goes as it is.
      image: r.image instanceof SharedArrayBuffer ? r.image : r.image.slice(0), contentHash,
      counts: { frameworks: state.frameworks.length, slaves: state.slaves.length, tasks: r.tasks, names: r.names, records: r.records },
      byType: r.byType, warnings: [...parsed.warnings, ...r.warnings], leader: state.leader,
      patch: r.stats,
      // PTROn: the PTR records of the whole state (not patched: ~0.1 s at 50k tasks, only when asked for).
      ...(params.ptr ? { ptr: pointerRecords(state, hostIPs, params.generate).flat() } : {}),
    };
    o.sink.zone(zone, hint, r.changes, timing);
    o.sink.records(() => generate(state, hostIPs, params.generate).draft.toTransfer());
    return true;
  }

  async function drain(): Promise<void> {
    while (next) {
      const job = next;
      next = null;
      try {
        await build(job.doc, job.hint);
        for (const w of job.waiters) w.resolve();
      } catch (err) {
        for (const w of job.waiters) w.reject(err as Error);
      }
      o.after?.();
    }
    running = null;
  }

  return (doc, hint) => new Promise<void>((resolve, reject) => {
    // A newer state replaces a waiting one: only the latest is built, with both hints.
    if (next) {
      next.doc.value = undefined;
      next = { doc, hint: mergeHints(next.hint, hint), waiters: [...next.waiters, { resolve, reject }] };
    } else {
      next = { doc, hint, waiters: [{ resolve, reject }] };
    }
    running ??= drain();
  });
}
