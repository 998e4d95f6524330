// The answering thread's handle on the build workers (zone/worker.ts): requests out, transferred
// results back. Each worker does one job and exits when told (not terminated: see run()); the
// next one is started right away so it is warm when needed. Why: a 50k-task refresh grows a
// worker's heap to ~500 MB, which V8 keeps long after the garbage is gone; a worker that exits
// gives all of it back (measured: RSS between 50k refreshes 450-600 MiB with one long-lived
// worker, ~230 MiB this way). A worker that dies costs one job, never the process.
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { lowerHelperThreads } from './priority.js';
import type { BuildParams, BuiltZone } from './build.js';
import type { WorkerRequest } from './worker.js';
import type { Config } from '../config/types.js';
import type { DraftTransfer } from '../records/draft.js';
import type { AxfrHead } from './types.js';

export class BuildError extends Error {
  constructor(message: string, readonly rejected: boolean) { super(message); }
}

interface Reply { id: number; ok: boolean; zone?: BuiltZone; draft?: DraftTransfer; stages?: Record<string, number>; master?: string; body?: Uint8Array; error?: string; rejected?: boolean }

const WORKER_URL = new URL('./worker.js', import.meta.url);

export class ZoneBuilder {
  /** The idle worker waiting for the next job. */
  private spare: Worker | null = null;
  private readonly busy = new Set<Worker>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly config: Config, private readonly verbosity = 0, private readonly resolveTimeoutMs = 5000) {}

  private startWorker(): Worker {
    const w = new Worker(fileURLToPath(WORKER_URL));
    lowerHelperThreads(); // its thread exists now; it must not load its modules at normal priority
    w.unref();
    w.on('error', () => { /* reported to the job through 'exit' */ });
    return w;
  }

  /** Run one job on the spare worker, then retire it and warm up the next. */
  private run(req: WorkerRequest, transfer: ArrayBuffer[] = []): Promise<Reply> {
    if (this.closed) return Promise.reject(new BuildError('builder closed', false));
    const w = this.spare ?? this.startWorker();
    this.spare = null;
    this.busy.add(w);
    return new Promise<Reply>((resolve, reject) => {
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        this.busy.delete(w);
        // Let it exit on its own (it closes its port): measured under load, terminate() on a
        // worker that had just built a 50k-task zone stalled this thread for up to 70 ms.
        w.postMessage({ type: 'exit' } satisfies WorkerRequest);
        setTimeout(() => void w.terminate(), 30_000).unref(); // should something keep it alive
        if (!this.closed && this.spare === null) this.spare = this.startWorker();
        fn();
      };
      w.once('message', (m: Reply) => finish(() => (m.ok ? resolve(m) : reject(new BuildError(m.error ?? 'build failed', !!m.rejected)))));
      w.once('exit', (code) => finish(() => reject(new BuildError(`build worker died: exit code ${code}`, false))));
      w.postMessage(req, transfer);
    });
  }

  /** Fetch the state from `masters` (leader first) and build the zone. */
  async refresh(masters: string[], params: BuildParams): Promise<{ zone: BuiltZone; draft: DraftTransfer; stages: Record<string, number>; master: string }> {
    const r = await this.run({
      type: 'refresh', id: this.nextId++, config: this.config, verbosity: this.verbosity,
      masters, params, resolveTimeoutMs: this.resolveTimeoutMs,
    });
    return { zone: r.zone!, draft: r.draft!, stages: r.stages ?? {}, master: r.master! };
  }

  /** Render a bulk body from a zone's records (copied to the worker; the caller keeps its own). */
  async render(draft: DraftTransfer, kind: 'axfr' | 'enumerate', head?: AxfrHead): Promise<Uint8Array> {
    const id = this.nextId++;
    const r = await this.run(kind === 'axfr' ? { type: 'axfr', id, draft, head: head! } : { type: 'enumerate', id, draft });
    return r.body!;
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.busy, ...(this.spare ? [this.spare] : [])];
    this.spare = null;
    await Promise.all(all.map((w) => w.terminate()));
  }
}
