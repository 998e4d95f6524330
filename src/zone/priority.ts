// CPU priority of the build workers. On Linux, nice values are per thread: every thread of the
// process but the answering (main) one is set to nice 19 — the build worker, and the V8
// platform and libuv helper threads that do its garbage collection and I/O. Measured at 50k
// tasks: those helpers, left at normal priority, pushed the answering thread's p99 latency to
// 20+ ms during refreshes on a shared core; and a new worker loading its modules at normal
// priority (before its own code could lower it) pushed p99 to 90 ms, max 250 ms. So once answers
// are being served, the builder lowers a worker's thread the moment it exists. Before the first
// zone there are no answers to protect, only the first zone to build as fast as possible: the
// first worker starts at normal priority and the answering thread lowers every other thread (by
// its tid; a thread may lower, not raise, its own nice) once that zone is swapped in.
// Answering threads (threads/thread.ts) are answering threads too: each names itself ANSWER_THREAD
// (the kernel's per-thread name, /proc/thread-self/comm) and is left alone.
import os from 'node:os';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

export const ANSWER_THREAD = 'mdns-answer';

/** Name the calling thread ANSWER_THREAD (Linux; elsewhere nothing to do), so it keeps its priority. */
export function markAnswerThread(): void {
  try { writeFileSync('/proc/thread-self/comm', ANSWER_THREAD); } catch { /* not Linux */ }
}

function isAnswerThread(tid: number): boolean {
  try { return readFileSync(`/proc/self/task/${tid}/comm`, 'latin1').trimEnd() === ANSWER_THREAD; } catch { return false; }
}

export function lowerHelperThreads(): void {
  let tids: string[] = [];
  try { tids = readdirSync('/proc/self/task'); } catch { return; }
  for (const t of tids) {
    const tid = Number(t);
    if (tid === process.pid || isAnswerThread(tid)) continue;
    try { if (os.getPriority(tid) < 19) os.setPriority(tid, 19); } catch { /* gone or not permitted */ }
  }
}

let protecting = false;

/** From the first zone on: build threads run at nice 19 (now, and every worker started later). */
export function protectAnswers(): void {
  protecting = true;
  lowerHelperThreads();
}

/** Whether new build workers start at nice 19 (after the first zone is served). */
export function answersProtected(): boolean {
  return protecting;
}
