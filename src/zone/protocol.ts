// The messages between the main thread (zone/builder.ts) and the build worker (zone/worker.ts),
// both ways, in one place both sides import. Why typed unions and not one bag of optional
// fields: each request type has exactly one reply shape (`ReplyOf`), so the compiler checks that
// the worker answers a request with what its caller reads, and the main thread tells a reply's
// kind by one tag instead of by which optional field happens to be set.
//
// The rules the types cannot say, which test/zone-protocol.test.ts pins:
// - every request but `discard` and `retire` carries an id unique for the builder's life, and gets exactly one
//   reply with that id (a refresh: its `zone` reply, then a `draft` reply with its records);
// - a reply whose id nobody waits for any more (its request failed, or its worker was replaced)
//   is dropped: it never settles another request;
// - a worker that dies fails every request in flight with BuildError("build worker died: …"), and
//   the next request starts a new worker (which takes over a running event stream);
// - `stream` messages carry no id: the event stream sends them on its own, a zone version
//   (ordered by `pub`), its records, the subscriber's counters, or "no v1 API here".
// The answering threads (threads/thread.ts) have their own, smaller protocol: no ids but `stats`.
import type { Settings } from '../config/types.js';
import type { DraftTransfer } from '../records/draft.js';
import type { StreamStatsDelta } from '../state/metrics.js';
import type { BuildParams, BuiltZone } from './build.js';
import type { ZoneDiff } from './changes.js';
import type { AxfrHead } from './types.js';
import type { VersionTrace } from '../stream/trace.js';

// ---------- main thread → worker ----------

export type WorkerRequest =
  | { type: 'refresh'; id: number; settings: Settings; verbosity: number; masters: string[]; params: BuildParams; resolveTimeoutMs: number }
  | { type: 'axfr'; id: number; draft: DraftTransfer; head: AxfrHead }
  | { type: 'enumerate'; id: number; draft: DraftTransfer }
  /** Free these buffers on the worker's thread (id 0: no reply). */
  | { type: 'discard'; id: number; buffers: ArrayBuffer[] }
  /** A shared image the answering thread let go: a spare for the next stream version (zone/spares.ts). */
  | { type: 'retire'; id: number; image: SharedArrayBuffer }
  /** Write the copy kept of the last refresh's image to the snapshot file (path ""), or drop it. */
  | { type: 'lastgood'; id: number; path: string; serial: number; time: number; domain: string; contentHash: string }
  /** Start the event stream, or give it new masters (leader first) and build parameters. */
  | { type: 'stream'; id: number; settings: Settings; verbosity: number; masters: string[]; params: BuildParams; resolveTimeoutMs: number; rebuild?: boolean }
  /** End the event stream (a reload: polling from now on, or a new worker takes the stream over). */
  | { type: 'stopStream'; id: number }
  /** Subscribe again at once; the reply follows the new snapshot's publish (or the attempt's failure). */
  | { type: 'resubscribe'; id: number }
  /** The records of a patched stream version (generated now, from the state kept for it). */
  | { type: 'records'; id: number; pub: number };

/** The requests that are answered (all but `discard`). */
export type CallRequest = Exclude<WorkerRequest, { type: 'discard' } | { type: 'retire' }>;

// ---------- worker → main thread: replies ----------

/** A refresh's zone, sent as soon as the image is built. */
export interface ZoneReply { kind: 'zone'; id: number; zone: BuiltZone; changes: ZoneDiff | null; stages: Record<string, number>; bytes: number; master: string }
/** A refresh's records (for /v1/axfr and /v1/enumerate), sent after its zone. */
export interface DraftReply { kind: 'draft'; id: number; draft: DraftTransfer }
/** A patched stream version's records. */
export interface RecordsReply { kind: 'records'; id: number; records: DraftTransfer }
/** A bulk HTTP body rendered. */
export interface BodyReply { kind: 'body'; id: number; body: Uint8Array }
/** The snapshot file written: its bytes (0: nothing written). */
export interface WrittenReply { kind: 'written'; id: number; bytes: number }
export interface DoneReply { kind: 'done'; id: number }
/** The request failed; `rejected`: the state was refused as it was (StateRejected), not unreachable. */
export interface FailedReply { kind: 'failed'; id: number; error: string; rejected: boolean }

/** The reply each request type is answered with (or FailedReply). */
export interface ReplyOf {
  refresh: ZoneReply;
  axfr: BodyReply;
  enumerate: BodyReply;
  lastgood: WrittenReply;
  stream: DoneReply;
  stopStream: DoneReply;
  resubscribe: DoneReply;
  records: RecordsReply;
}

export type WorkerReply = ReplyOf[keyof ReplyOf] | DraftReply | FailedReply;

// ---------- worker → main thread: the event stream, on its own ----------

export type StreamMessage =
  /** `patched`: no `records` message follows; they are generated when asked for (type 'records'). */
  | { stream: 'zone'; pub: number; zone: BuiltZone; changes: ZoneDiff | null; full: boolean; patched: boolean; master: string; leader: string; buildMs: number; trace?: VersionTrace }
  | { stream: 'records'; pub: number; draft: DraftTransfer }
  | { stream: 'unsupported'; reason: string }
  /** A shared image was let go in the worker: the answering thread collects its handle too (zone/spares.ts). */
  | { stream: 'collect' }
  /** The subscriber's counters since the last such message (connected and recovering: as they are now). */
  | { stream: 'stats'; stats: StreamStatsDelta };

export type FromWorker = WorkerReply | StreamMessage;
