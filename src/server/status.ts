// What /ready says, when the data counts as stale, and the answering thread's event-loop delay
// that each refresh line reports: read-only views of the server's state (server/live.ts), kept
// apart from the code that changes it.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Readiness } from '../http/ops.js';
import type { Live } from './live.js';

export const tooOld = (s: Live): boolean => s.config.StaleAfterSeconds > 0 && s.loadedAt > 0 && Date.now() / 1000 - s.loadedAt > s.config.StaleAfterSeconds;
export const isStale = (s: Live): boolean => s.fromFile || tooOld(s);

export function readiness(s: Live): Readiness {
  const { snapshot, loadedAt, pool } = s;
  const serving = snapshot !== null;
  const base = { serving, serial: snapshot ? snapshot.serial : null, ageSeconds: loadedAt ? Math.round(Date.now() / 1000 - loadedAt) : null };
  if (s.shuttingDown) return { ready: false, reason: 'shutting down', ...base };
  if (!serving) return { ready: false, reason: 'no zone loaded yet', ...base };
  if (pool && pool.live() === 0) return { ready: false, reason: 'no answering thread running', ...base };
  if (s.fromFile) return { ready: false, reason: 'stale: serving the snapshot file until the first load from a master', ...base };
  if (tooOld(s)) return { ready: false, reason: `stale: data older than StaleAfterSeconds (${s.config.StaleAfterSeconds})`, ...base };
  return { ready: true, ...base };
}

/** StaleAfterSeconds: one line when the data goes stale, one when it is fresh again. Returns the stop. */
export function watchStaleness(s: Live): () => void {
  let staleSaid = false;
  const staleTimer = setInterval(() => {
    const stale = tooOld(s);
    if (stale === staleSaid) return;
    staleSaid = stale;
    const ageSeconds = Math.round(Date.now() / 1000 - s.loadedAt);
    if (stale) s.log.warn({ ageSeconds, staleAfterSeconds: s.config.StaleAfterSeconds }, 'state stale');
    else s.log.info({ ageSeconds }, 'state fresh again');
  }, 1000);
  staleTimer.unref();
  return () => clearInterval(staleTimer);
}

// The answering thread's worst event-loop delay since the previous refresh line: the one
// number that tells an operator whether anything (a refresh included) held answers up. Only
// when this thread answers: with answering threads no answer waits on this loop, and the
// monitor's 5 ms timer only woke an idle thread 200 times a second (measured: 1.6-2.4% of a
// core, 2% of the 2-thread server's CPU at 30k answers/s).
export function loopDelayMonitor(threads: number): IntervalHistogram | null {
  const loopDelay = threads > 1 ? null : monitorEventLoopDelay({ resolution: 5 });
  loopDelay?.enable();
  return loopDelay;
}

/** For the log lines: undefined (left out) when answering threads answer. */
export const loopDelayMaxMs = (loopDelay: IntervalHistogram | null) => loopDelay ? Math.round(loopDelay.max / 1e5) / 10 : undefined;
