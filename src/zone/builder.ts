// The answering thread's handle on the build worker (zone/worker.ts): requests out, transferred
// results back. One long-lived worker: measured with 20k q/s during back-to-back 50k-task
// refreshes, a worker per refresh (exiting after its job to give its heap back) made the
// answering thread stall while the old worker's heap was torn down (p99 47 ms, max 178 ms). The
// long-lived worker gives its memory back instead by a major GC after each job (zone/worker.ts),
// old zones are freed on its thread (discard), and the launcher fixes glibc's mmap threshold
// (bin/mesos-dns): RSS between 50k refreshes ~260 MiB, p99 3.3 ms, max 22 ms during them.
// A worker that dies is replaced on the next request, so a crash in parsing or generation costs
// one refresh, never the process.
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { answersProtected, lowerHelperThreads } from './priority.js';
import { collectSoon, freeNow } from '../memory.js';
import type { BuildParams, BuiltZone } from './build.js';
import type { CallRequest, FromWorker, ReplyOf, StreamMessage, WorkerReply, WorkerRequest } from './protocol.js';
import type { Settings } from '../config/types.js';
import type { DraftTransfer } from '../records/draft.js';
import type { AxfrHead } from './types.js';
import type { ZoneDiff } from './changes.js';
import { LazyDraft } from './snapshot.js';
import type { StreamStatsDelta } from '../state/metrics.js';

/** A request that failed: `rejected`, the state was refused as it was; `died`, the worker ended under it. */
export class BuildError extends Error {
  constructor(message: string, readonly rejected: boolean, readonly died = false) { super(message); }
}

/** What the answering thread hears from the worker's event stream. */
export interface StreamHandlers {
  /** A zone version; `draft` (its records) settles a moment later. */
  zone(m: Extract<StreamMessage, { stream: 'zone' }>, draft: PromiseLike<DraftTransfer>): void;
  /** The master has no v1 API (StateSource "auto"): poll instead. */
  unsupported(reason: string): void;
  /** The subscriber's counters since its last report (for /metrics). */
  stats?(s: StreamStatsDelta): void;
}

const WORKER_URL = new URL('./worker.js', import.meta.url);

export class ZoneBuilder {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (r: WorkerReply) => void; reject: (e: Error) => void }>();
  /** Refreshes whose zone has arrived and whose records are still to come. */
  private readonly drafts = new Map<number, { resolve: (d: DraftTransfer) => void; reject: (e: Error) => void }>();

  /** The event stream's last start request, re-sent to a worker that replaces a dead one. */
  private streamReq: Extract<WorkerRequest, { type: 'stream' }> | null = null;
  private streamHandlers: StreamHandlers | null = null;
  private readonly streamDrafts = new Map<number, (d: DraftTransfer) => void>();

  constructor(private settings: Settings, private readonly verbosity = 0, private readonly resolveTimeoutMs = 5000) {}

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const lowPriority = answersProtected(); // zone/priority.ts: normal priority until the first zone
    const w = new Worker(fileURLToPath(WORKER_URL), { workerData: { lowPriority } });
    // Its thread exists now; while answers are served it must not load its modules at normal priority.
    if (lowPriority) lowerHelperThreads();
    w.unref();
    w.on('message', (m: FromWorker) => this.onMessage(m));
    const fail = (err: Error) => {
      if (this.worker !== w) return;
      this.worker = null;
      const e = new BuildError(`build worker died: ${err.message}`, false, true);
      for (const p of this.waiting.values()) p.reject(e);
      for (const d of this.drafts.values()) d.reject(e);
      this.waiting.clear();
      this.drafts.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    this.worker = w;
    if (this.streamReq) w.postMessage({ ...this.streamReq, id: 0 }); // the stream goes on in the new worker
    return w;
  }

  /** A reply settles the request waiting for its id; one nobody waits for is late and dropped (zone/protocol.ts). */
  private onMessage(m: FromWorker): void {
    if ('stream' in m) return this.onStream(m);
    if (m.kind === 'draft') { // the records that follow a refresh's zone
      const d = this.drafts.get(m.id);
      this.drafts.delete(m.id);
      d?.resolve(m.draft);
      return;
    }
    const p = this.waiting.get(m.id);
    if (!p) return;
    this.waiting.delete(m.id);
    if (m.kind === 'failed') p.reject(new BuildError(m.error, m.rejected)); else p.resolve(m);
  }

  private onStream(m: StreamMessage): void {
    if (m.stream === 'collect') return collectSoon();
    const h = this.streamHandlers;
    if (m.stream === 'records') {
      this.streamDrafts.get(m.pub)?.(m.draft);
      this.streamDrafts.delete(m.pub);
      return;
    }
    if (!h) return;
    if (m.stream === 'stats') return h.stats?.(m.stats);
    if (m.stream === 'unsupported') {
      this.streamReq = null;
      return h.unsupported(m.reason);
    }
    // Drafts of versions replaced before their records came are never read.
    for (const k of this.streamDrafts.keys()) if (k < m.pub - 4) this.streamDrafts.delete(k);
    // A patched version's records are generated by the worker when a body is first asked for.
    const draft = m.patched
      ? new LazyDraft(async () => (await this.call({ type: 'records', id: this.nextId++, pub: m.pub })).records)
      : new Promise<DraftTransfer>((resolve) => this.streamDrafts.set(m.pub, resolve));
    h.zone(m, draft);
  }

  /**
   * Run the event stream in the worker (stream/subscriber.ts), or hand it new masters (leader
   * first) and build parameters. Versions arrive through `handlers` from then on.
   */
  async stream(masters: string[], params: BuildParams, handlers: StreamHandlers, o: { settings?: Settings; rebuild?: boolean } = {}): Promise<void> {
    this.streamHandlers = handlers;
    if (o.settings) this.settings = o.settings;
    const req = {
      type: 'stream' as const, id: this.nextId++, settings: this.settings, verbosity: this.verbosity,
      masters, params, resolveTimeoutMs: this.resolveTimeoutMs,
    };
    this.streamReq = req;
    await this.call({ ...req, rebuild: o.rebuild });
  }

  /**
   * End the event stream (a reload switched to polling, or another worker takes it over). Its
   * last counters still arrive; no version of it is installed after this resolves.
   */
  async stopStream(): Promise<void> {
    if (!this.streamReq) return;
    this.streamReq = null;
    try {
      await this.call({ type: 'stopStream', id: this.nextId++ });
    } finally {
      const h = this.streamHandlers;
      // Only the counters are still wanted from a stopped stream.
      this.streamHandlers = h?.stats ? { zone: () => {}, unsupported: () => {}, stats: h.stats } : null;
    }
  }

  /** Subscribe again at once; resolves after the new snapshot is published, or the attempt failed. */
  async resubscribe(): Promise<void> {
    await this.call({ type: 'resubscribe', id: this.nextId++ });
  }

  /** Start the worker now, so it loads its modules while the server sets up its listeners. */
  warm(): void {
    this.ensure();
  }

  /** Send `req`; resolves with the reply its type has (rejects with BuildError on failure). */
  private call<R extends CallRequest>(req: R): Promise<ReplyOf[R['type']]> {
    const w = this.ensure();
    return new Promise<ReplyOf[R['type']]>((resolve, reject) => {
      // The worker answers a request with its type's reply (zone/worker.ts reply()).
      this.waiting.set(req.id, { resolve: resolve as (r: WorkerReply) => void, reject });
      w.postMessage(req satisfies WorkerRequest);
    });
  }

  /**
   * Fetch the state from `masters` (leader first) and build the zone. Resolves with the zone as
   * soon as it is ready; `draft` (its records, for the bulk HTTP bodies) settles a moment later.
   */
  async refresh(masters: string[], params: BuildParams): Promise<{ zone: BuiltZone; changes: ZoneDiff | null; draft: Promise<DraftTransfer>; stages: Record<string, number>; bytes: number; master: string }> {
    const id = this.nextId++;
    const draft = new Promise<DraftTransfer>((resolve, reject) => this.drafts.set(id, { resolve, reject }));
    draft.catch(() => {}); // a refresh that fails has no records to wait for
    let r: ReplyOf['refresh'];
    try {
      r = await this.call({
        type: 'refresh', id, settings: this.settings, verbosity: this.verbosity,
        masters, params, resolveTimeoutMs: this.resolveTimeoutMs,
      });
    } catch (err) {
      this.drafts.get(id)?.reject(err as Error);
      this.drafts.delete(id);
      throw err;
    }
    return { zone: r.zone, changes: r.changes, draft, stages: r.stages, bytes: r.bytes, master: r.master };
  }

  /**
   * After a refresh: write the copy of its image the worker kept to the snapshot file, with this
   * header (`path` ""): just drop the copy). Resolves with the bytes written (0: nothing written).
   */
  async lastGood(path: string, head: { serial: number; time: number; domain: string; contentHash: string }): Promise<number> {
    const r = await this.call({ type: 'lastgood', id: this.nextId++, path, ...head });
    return r.bytes;
  }

  /** Render a bulk body from a zone's records (copied to the worker; the caller keeps its own). */
  async render(draft: DraftTransfer, kind: 'axfr' | 'enumerate', head?: AxfrHead): Promise<Uint8Array> {
    const id = this.nextId++;
    const r = await this.call(kind === 'axfr' ? { type: 'axfr', id, draft, head: head! } : { type: 'enumerate', id, draft });
    return r.body;
  }

  /**
   * Free buffers off this thread: they move to the worker, which frees them there. Freeing an
   * old 50k-task zone is ~130 MB of pages handed back to the system; that work is the worker's.
   * Without a worker (closed, or died) they are freed here.
   */
  discard(buffers: ArrayBuffer[]): void {
    const w = this.worker;
    if (w) w.postMessage({ type: 'discard', id: 0, buffers } satisfies WorkerRequest, buffers);
    else freeNow(buffers);
  }

  /**
   * A shared image the answering thread no longer reads (one answering thread only: then nothing
   * else does): the worker writes a later version into it, or lets it go (zone/spares.ts).
   */
  retire(image: SharedArrayBuffer): void {
    const w = this.worker;
    if (w) w.postMessage({ type: 'retire', id: 0, image } satisfies WorkerRequest);
    else collectSoon();
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}
