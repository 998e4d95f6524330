// Worker-thread entry: runs buildZone for each request and transfers the result buffers back.
// One request at a time; the main thread coalesces refreshes, so there is never a queue.
import { parentPort } from 'node:worker_threads';
import { buildZone, StateRejected, type BuildParams } from './build.js';
import { resolveHosts } from '../state/resolve.js';

interface Request { id: number; body: Uint8Array; params: BuildParams; resolveTimeoutMs: number }

parentPort!.on('message', async (req: Request) => {
  try {
    const z = await buildZone(req.body, req.params, (names) => resolveHosts(names, req.resolveTimeoutMs));
    parentPort!.postMessage({ id: req.id, ok: true, zone: z }, [z.image, z.axfr.buffer as ArrayBuffer, z.enumeration.buffer as ArrayBuffer]);
  } catch (err) {
    parentPort!.postMessage({ id: req.id, ok: false, rejected: err instanceof StateRejected, error: (err as Error).message ?? String(err) });
  }
});
