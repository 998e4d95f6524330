// The build worker: fetches the state, parses it, generates the records and builds the zone
// image, then transfers the image to the answering thread. Fetching happens here too because a
// 50 MB body (receiving, joining, scanning for the leader) is tens of milliseconds of work that
// must not sit in front of DNS answers. The worker runs at the lowest CPU priority so that when
// it shares a core with the answering thread, answers win. It keeps the last generated records
// to render /v1/axfr and /v1/enumerate on request.
import os from 'node:os';
import { readdirSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { buildZone, StateRejected, type BuildParams } from './build.js';
import { renderAxfr, renderEnumeration } from './render.js';
import { resolveHosts } from '../state/resolve.js';
import { createStateClient, type StateClient } from '../state/fetch.js';
import { createLogger } from '../log.js';
import type { Generated } from '../records/types.js';
import type { Config } from '../config/types.js';
import type { AxfrHead } from './types.js';

export type WorkerRequest =
  | { type: 'init'; config: Config; verbosity: number }
  | { type: 'refresh'; id: number; masters: string[]; params: BuildParams; resolveTimeoutMs: number }
  | { type: 'axfr'; id: number; head: AxfrHead }
  | { type: 'enumerate'; id: number };

/**
 * On Linux, nice values are per thread. Lower every thread of the process but the answering
 * (main) thread: this worker, and the V8 platform and libuv helper threads that do this worker's
 * garbage collection and I/O — measured at 50k tasks, those helpers, left at normal priority,
 * pushed the answering thread's p99 latency to 20+ ms during refreshes on a shared core.
 * Threads appear lazily, so this runs again before every refresh.
 */
function lowerHelperThreads(): void {
  try { os.setPriority(19); } catch { /* not permitted: run at normal priority */ }
  let tids: string[] = [];
  try { tids = readdirSync('/proc/self/task'); } catch { return; }
  for (const t of tids) {
    const tid = Number(t);
    if (tid === process.pid) continue;
    try { if (os.getPriority(tid) < 19) os.setPriority(tid, 19); } catch { /* gone or not permitted */ }
  }
}
lowerHelperThreads();

let client: StateClient | null = null;
let last: Generated | null = null;
const enc = new TextEncoder();
const port = parentPort!;

port.on('message', async (req: WorkerRequest) => {
  if (req.type === 'init') {
    client = createStateClient(req.config, createLogger(req.verbosity));
    return;
  }
  try {
    if (req.type === 'refresh') {
      lowerHelperThreads();
      const fetched = await client!.fetchState(req.masters);
      const { zone, generated } = await buildZone(fetched.body, req.params, (names) => resolveHosts(names, req.resolveTimeoutMs));
      last = generated;
      port.postMessage({ id: req.id, ok: true, zone, master: fetched.master }, [zone.image]);
    } else {
      if (!last) throw new Error('no state loaded yet');
      const text = req.type === 'axfr' ? renderAxfr(last.draft.toRecordSet(), req.head) : renderEnumeration(last.draft.toEnumeration());
      const bytes = enc.encode(text);
      port.postMessage({ id: req.id, ok: true, body: bytes }, [bytes.buffer as ArrayBuffer]);
    }
  } catch (err) {
    port.postMessage({ id: req.id, ok: false, rejected: err instanceof StateRejected, error: (err as Error).message ?? String(err) });
  }
});
