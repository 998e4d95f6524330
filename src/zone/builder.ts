// The main thread's handle on the build worker. The state body is transferred (not copied) to the
// worker and the finished zone transferred back, so the answering thread only pays for the swap.
// A worker that dies is replaced on the next build; a build never hangs the refresh loop forever.
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import type { BuildParams, BuiltZone } from './build.js';

export class BuildError extends Error {
  constructor(message: string, readonly rejected: boolean) { super(message); }
}

export class ZoneBuilder {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (z: BuiltZone) => void; reject: (e: Error) => void }>();

  constructor(private readonly resolveTimeoutMs = 5000) {}

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(fileURLToPath(new URL('./worker.js', import.meta.url)));
    w.unref();
    w.on('message', (m: { id: number; ok: boolean; zone?: BuiltZone; error?: string; rejected?: boolean }) => {
      const p = this.waiting.get(m.id);
      if (!p) return;
      this.waiting.delete(m.id);
      if (m.ok) p.resolve(m.zone!); else p.reject(new BuildError(m.error ?? 'build failed', !!m.rejected));
    });
    const fail = (err: Error) => {
      this.worker = null;
      for (const p of this.waiting.values()) p.reject(new BuildError(`build worker died: ${err.message}`, false));
      this.waiting.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => { if (this.worker === w) fail(new Error(`exit code ${code}`)); });
    this.worker = w;
    return w;
  }

  build(body: Buffer, params: BuildParams): Promise<BuiltZone> {
    // Own the bytes: a pooled Buffer shares its ArrayBuffer, which must not be transferred.
    const owned = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength ? body : Buffer.from(body);
    const u8 = new Uint8Array(owned.buffer, owned.byteOffset, owned.byteLength);
    const id = this.nextId++;
    const w = this.ensure();
    return new Promise<BuiltZone>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      w.postMessage({ id, body: u8, params, resolveTimeoutMs: this.resolveTimeoutMs }, [u8.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}
