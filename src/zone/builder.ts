// The answering thread's handle on the build worker (zone/worker.ts): requests out, transferred
// results back. A worker that dies is replaced (and re-initialised) on the next request, so a
// crash in parsing or generation costs one refresh, never the process.
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import type { BuildParams, BuiltZone } from './build.js';
import type { WorkerRequest } from './worker.js';
import type { Config } from '../config/types.js';
import type { AxfrHead } from './types.js';

export class BuildError extends Error {
  constructor(message: string, readonly rejected: boolean) { super(message); }
}

interface Reply { id: number; ok: boolean; zone?: BuiltZone; master?: string; body?: Uint8Array; error?: string; rejected?: boolean }

export class ZoneBuilder {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();

  constructor(private readonly config: Config, private readonly verbosity = 0, private readonly resolveTimeoutMs = 5000) {}

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(fileURLToPath(new URL('./worker.js', import.meta.url)));
    w.unref();
    w.on('message', (m: Reply) => {
      const p = this.waiting.get(m.id);
      if (!p) return;
      this.waiting.delete(m.id);
      if (m.ok) p.resolve(m); else p.reject(new BuildError(m.error ?? 'build failed', !!m.rejected));
    });
    const fail = (err: Error) => {
      if (this.worker !== w) return;
      this.worker = null;
      for (const p of this.waiting.values()) p.reject(new BuildError(`build worker died: ${err.message}`, false));
      this.waiting.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    this.worker = w;
    w.postMessage({ type: 'init', config: this.config, verbosity: this.verbosity } satisfies WorkerRequest);
    return w;
  }

  private call(req: WorkerRequest & { id: number }): Promise<Reply> {
    const w = this.ensure();
    return new Promise<Reply>((resolve, reject) => {
      this.waiting.set(req.id, { resolve, reject });
      w.postMessage(req);
    });
  }

  /** Fetch the state from `masters` (leader first) and build the zone. */
  async refresh(masters: string[], params: BuildParams): Promise<{ zone: BuiltZone; master: string }> {
    const r = await this.call({ type: 'refresh', id: this.nextId++, masters, params, resolveTimeoutMs: this.resolveTimeoutMs });
    return { zone: r.zone!, master: r.master! };
  }

  async render(kind: 'axfr', head: AxfrHead): Promise<Uint8Array>;
  async render(kind: 'enumerate'): Promise<Uint8Array>;
  async render(kind: 'axfr' | 'enumerate', head?: AxfrHead): Promise<Uint8Array> {
    const id = this.nextId++;
    const r = await this.call(kind === 'axfr' ? { type: 'axfr', id, head: head! } : { type: 'enumerate', id });
    return r.body!;
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}
