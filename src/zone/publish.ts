// Publishing a zone version from a state the build worker already holds (the event stream's cluster
// model), rather than from a state it fetched (a poll refresh): contract "Stream → zone". The model
// hands over the complete current state plus a hint of what changed; a new zone is built, diffed
// against the last published one (zone/changes.ts) and posted to the answering thread, which swaps
// it in whole. Builds never overlap: calls that arrive while one runs are merged (the latest state,
// the union of the hints) into the one build that follows, so a burst of events costs at most one
// build after the running one, and the freshness of a name is bounded by about two build times.
// Today every version is a full build (see zone/README.md for the numbers and the incremental
// design the hint is for).
import type { ParseResult } from '../state/parse.js';
import type { StateView } from '../state/types.js';
import { buildZone, type BuildParams, type BuiltZone, type HostResolver } from './build.js';
import type { ChangeTracker, ZoneDiff } from './changes.js';
import type { DraftTransfer } from '../records/draft.js';

export interface ChangeHint {
  full: boolean;
  /** Framework names. */
  frameworks: ReadonlySet<string>;
  /** Agent ids. */
  agents: ReadonlySet<string>;
  mastersChanged: boolean;
}
export type PublishState = (doc: { value: ParseResult<StateView> | undefined }, hint: ChangeHint) => Promise<void>;

/** Where a published version goes: the worker posts the zone, then its records (as a refresh does). */
export interface PublishSink {
  /** `changes`: against the previous version (null without a `versions` tracker, or for the first). */
  zone(zone: BuiltZone, hint: ChangeHint, changes: ZoneDiff | null): void;
  records(draft: DraftTransfer): void;
}

/** The union of two hints. */
export function mergeHints(a: ChangeHint, b: ChangeHint): ChangeHint {
  return {
    full: a.full || b.full,
    frameworks: new Set([...a.frameworks, ...b.frameworks]),
    agents: new Set([...a.agents, ...b.agents]),
    mastersChanged: a.mastersChanged || b.mastersChanged,
  };
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
}

export function createPublisher(o: PublisherOptions): PublishState {
  let running: Promise<void> | null = null;
  let next: { doc: { value: ParseResult<StateView> | undefined }; hint: ChangeHint; waiters: { resolve(): void; reject(e: Error): void }[] } | null = null;

  async function build(doc: { value: ParseResult<StateView> | undefined }, hint: ChangeHint): Promise<void> {
    const { zone, generated } = await buildZone(doc, o.params(), o.resolve);
    let changes: ZoneDiff | null = null;
    if (o.versions) {
      const pub = o.versions.publish(zone.image);
      zone.image = pub.image;
      changes = pub.changes;
    }
    o.sink.zone(zone, hint, changes);
    o.sink.records(generated.draft.toTransfer());
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
