// CPU priority of the build workers. On Linux, nice values are per thread: every thread of the
// process but the answering (main) one is set to nice 19 — the build worker, and the V8
// platform and libuv helper threads that do its garbage collection and I/O. Measured at 50k
// tasks: those helpers, left at normal priority, pushed the answering thread's p99 latency to
// 20+ ms during refreshes on a shared core; and a new worker loading its modules at normal
// priority (before its own code could lower it) pushed p99 to 90 ms, max 250 ms. So the builder
// lowers a worker's thread the moment it exists, and the worker again before each job.
import os from 'node:os';
import { readdirSync } from 'node:fs';

export function lowerHelperThreads(): void {
  let tids: string[] = [];
  try { tids = readdirSync('/proc/self/task'); } catch { return; }
  for (const t of tids) {
    const tid = Number(t);
    if (tid === process.pid) continue;
    try { if (os.getPriority(tid) < 19) os.setPriority(tid, 19); } catch { /* gone or not permitted */ }
  }
}
