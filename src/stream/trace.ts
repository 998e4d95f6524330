// Where a stream version's time goes, from the events' records being read to the answering thread
// swapping the version in (issue 13: names must follow the cluster within 250 ms at p99, so the
// p99 must be explained by stage, not guessed). Each coalesced batch of events carries when each
// event was read and applied; the version built from one or more batches (builds never overlap,
// so batches arriving during a build are merged) adds its build's start, stage durations, end and
// post time; the main thread adds when it received and swapped it in, and logs the whole at debug
// level on the per-version 'stream update' line. `node dist/bench/run.js --only=stream` runs the
// server with -v and turns these lines into p50/p99 per stage (bench/stream.ts).
// Times are epoch milliseconds with sub-millisecond resolution (timeOrigin + now), comparable
// across threads and, to within a millisecond, across processes on one machine.

/** Now, as epoch ms (high resolution). */
export const clock = (): number => performance.timeOrigin + performance.now();

/** One coalesced batch of events (stream/subscriber.ts): what one model.take() published. */
export interface BatchTrace {
  /** Events (records after SUBSCRIBED, heartbeats left out) of this subscription: seq0 < seq ≤ seq1. */
  seq0: number;
  seq1: number;
  /** When each event's record arrived (its chunk was read), and when the model had applied it. */
  read: number[];
  applied: number[];
  /** The coalescing window closed: model.take(). */
  close: number;
}

/** One published version: its batches, its build in the worker, and its way to the answering thread. */
export interface VersionTrace {
  batches: BatchTrace[];
  /** The publisher started building it (after the build before it ended). */
  start: number;
  /** Build stage durations (ms): host resolution, incremental stages or a full build. */
  stages: Record<string, number>;
  /** Built whole, and why (a snapshot, or what an incremental version could not do). */
  full?: string;
  /** Garbage collection on the worker since the previous version was posted (ms). */
  gcMs: number;
  /** The image was written, and the message posted to the answering thread. */
  end: number;
  posted: number;
  /** Main thread: the message handled, and the version swapped in (answers use it from then on). */
  recv?: number;
  swap?: number;
}

/** Events kept per batch at most: a batch not taken for long (no snapshot yet) keeps its first ones. */
const MAX_EVENTS = 4096;

/** The subscriber's side: events read and applied since the last take. */
export class BatchClock {
  private seq = 0;
  private from = 0;
  private read: number[] = [];
  private applied: number[] = [];

  /** A new subscription: its events count from 1. */
  reset(): void { this.seq = 0; this.from = 0; this.read = []; this.applied = []; }

  /** An event record read at `readAt` has been applied (or skipped) now. */
  event(readAt: number): void {
    this.seq++;
    if (this.read.length < MAX_EVENTS) { this.read.push(readAt); this.applied.push(clock()); }
  }

  /** The window closed: the batch since the last take. */
  take(): BatchTrace {
    const b: BatchTrace = { seq0: this.from, seq1: this.seq, read: this.read, applied: this.applied, close: clock() };
    this.from = this.seq;
    this.read = [];
    this.applied = [];
    return b;
  }
}
