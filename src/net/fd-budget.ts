// File descriptors are one pool for everything the process does: client connections (DNS over
// TCP, HTTP), upstream sockets for forwarding, the ZooKeeper session, state fetches, the worker,
// logs. When client connections take them all, forwarding and DNS over TCP fail for everyone (seen:
// 19,980 idle HTTP connections, then 5000/5000 forwarded queries SERVFAIL). So the connection caps
// are derived from the process's open-file limit, keeping a reserve for the rest, and running low
// anyway (a tiny limit, a leak) is logged in plain words, at most once per interval. Running low
// is found by counting /proc/self/fd every few seconds, because on Linux an accept() that fails
// with EMFILE never reaches JavaScript: libuv accepts and closes the connection silently.
import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import type { Logger } from '../log.js';

/** Descriptors kept for upstream sockets, ZooKeeper, state fetches, the worker and files. */
export const FD_RESERVE = 256;
/** HTTP connections at most: the API serves operators and tools, not clients at DNS scale. */
export const HTTP_MAX_CONNECTIONS = 256;
/** The smallest caps, even under a tiny limit (the server must stay usable). */
const MIN_DNS_TCP = 16;
const MIN_HTTP = 8;
/** At most one "out of descriptors" line per this interval; the rest are counted in it. */
export const FD_EXHAUSTED_LOG_INTERVAL_MS = 60_000;
/** Fewer free descriptors than this is "running low": a burst of upstream sockets needs more. */
export const FD_LOW_WATER = 64;
/** How often descriptors in use are counted (an async readdir in the thread pool). */
export const FD_CHECK_INTERVAL_MS = 5_000;

/** The soft RLIMIT_NOFILE of this process (Node raises it to the hard limit at start), or null. */
export function openFileLimit(limitsText?: string): number | null {
  let text = limitsText;
  if (text === undefined) {
    try { text = readFileSync('/proc/self/limits', 'utf8'); } catch { return null; }
  }
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(text);
  if (!m) return null;
  return m[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(m[1]);
}

export interface ConnectionCaps { dnsTcp: number; http: number; fdLimit: number | null }

/**
 * Caps for DNS-over-TCP and HTTP connections: their defaults, lowered so that together they
 * leave FD_RESERVE descriptors free (DNS gets two thirds of what is left, HTTP one third).
 */
export function connectionCaps(dnsTcpDefault: number, fdLimit = openFileLimit()): ConnectionCaps {
  if (fdLimit === null) return { dnsTcp: dnsTcpDefault, http: HTTP_MAX_CONNECTIONS, fdLimit };
  const free = Math.max(0, fdLimit - FD_RESERVE);
  return {
    dnsTcp: Math.max(MIN_DNS_TCP, Math.min(dnsTcpDefault, Math.floor((free * 2) / 3))),
    http: Math.max(MIN_HTTP, Math.min(HTTP_MAX_CONNECTIONS, Math.floor(free / 3))),
    fdLimit,
  };
}

/** A rate-limited reporter of descriptor exhaustion: one line per interval, counting the rest. */
function exhaustionReporter(log: Logger): (fields: Record<string, unknown>) => void {
  let last = -Infinity;
  let suppressed = 0;
  return (fields) => {
    const now = Date.now();
    if (now - last < FD_EXHAUSTED_LOG_INTERVAL_MS) { suppressed++; return; }
    log.error({ ...fields, limit: openFileLimit(), repeats: suppressed },
      'out of file descriptors: new connections and upstream sockets fail; raise the open-file limit (LimitNOFILE) or find what holds descriptors');
    last = now;
    suppressed = 0;
  };
}

/**
 * Count descriptors in use every FD_CHECK_INTERVAL_MS and report when fewer than FD_LOW_WATER
 * are free. Returns a stop function. No-op where /proc is missing.
 */
export function watchDescriptors(log: Logger, report = exhaustionReporter(log)): () => void {
  const limit = openFileLimit();
  if (limit === null || limit === Number.MAX_SAFE_INTEGER) return () => {};
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    readdir('/proc/self/fd').then((fds) => {
      if (limit - fds.length < FD_LOW_WATER) report({ code: 'EMFILE', inUse: fds.length });
    }, () => {}).finally(() => { busy = false; });
  }, FD_CHECK_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * An 'error' handler for a listening server: EMFILE/ENFILE on accept are logged as one clear,
 * rate-limited line; anything else is logged as `what` failed.
 */
export function listenerErrorLogger(log: Logger, what: string): (err: NodeJS.ErrnoException) => void {
  const report = exhaustionReporter(log);
  return (err) => {
    if (err.code === 'EMFILE' || err.code === 'ENFILE') report({ code: err.code, listener: what });
    else log.error({ err }, what);
  };
}
