// Answering on several cores: N worker threads (threads/thread.ts), each with its own UDP and TCP
// socket bound to the DNS port with SO_REUSEPORT, so the kernel spreads queries across them by
// a hash of the source address and port (NEXT.md §4). Why threads and not cluster processes:
// the zone image is one SharedArrayBuffer built once by the build worker and posted to every
// thread with no copy, where processes would each need their own copy of a 50k-task zone.
// The main thread keeps everything else (leader detection, refreshes, HTTP, NOTIFY). A thread
// that dies is started again, with the current zone and config, while the others go on answering.
//
// Bounds hold for the process, not per thread: each thread gets 1/N (rounded down) of
// CacheMaxEntries, CacheMaxBytes, ForwardMaxOutstanding and of the TCP connection caps (total and
// per source). Forwarding is partitioned, not shared: a shared cache would put a lock or a message
// round trip on every forwarded query; a client's queries from one source port land on one thread,
// and a popular name is simply cached in each partition (N upstream misses, not one).
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import type { AnswerSettings, Config } from '../config/types.js';
import { ConfigError } from '../config/error.js';
import type { Logger } from '../log.js';
import type { ZoneChangeSet } from '../zone/changes.js';
import type { TcpLimits } from '../dns/tcp.js';
import type { ForwarderView } from '../metrics/forward.js';
import { TCP_MAX_PER_SOURCE } from '../dns/tcp.js';
import type { ForwarderCopy, FromThread, ThreadCounters, ThreadData, ToThread, ZoneMessage } from './thread.js';
import { reusePortUnsupported } from '../dns/reuseport.js';

const THREAD_URL = new URL('./thread.js', import.meta.url);

/** "auto" answers with one thread per core up to this many: past it the syscalls, not the cores, limit. */
export const MAX_AUTO_ANSWER_THREADS = 4;

/** One thread's counters, as it reported them (copies). */
export interface ThreadStats extends ThreadCounters { thread: number }

/**
 * How many answering threads to run for `setting`, and why when fewer than "auto" would like.
 * A number above 1 on a runtime that cannot share the port is a configuration error naming the
 * key (the operator asked for something this runtime cannot do); "auto" quietly runs 1 and says why.
 */
export async function answerThreadCount(setting: number | 'auto', cores = os.availableParallelism()): Promise<{ threads: number; why?: string }> {
  const wanted = setting === 'auto' ? Math.min(cores, MAX_AUTO_ANSWER_THREADS) : setting;
  if (wanted <= 1) return { threads: 1 };
  const why = await reusePortUnsupported();
  if (why === null) return { threads: wanted };
  if (setting === 'auto') return { threads: 1, why };
  throw new ConfigError('AnswerThreads', `${setting} threads need a runtime that can bind the DNS port from several sockets (SO_REUSEPORT): ${why}; use 1 or "auto" on this runtime`);
}

/** `v` split N ways, rounded down (at least 1 each), so that N shares never exceed `v`. */
const share = (v: number, n: number) => Math.max(1, Math.floor(v / n));

/** Each thread's share of the forwarder's bounds. */
export function threadConfig(c: Config, n: number): Config {
  return { ...c, CacheMaxEntries: share(c.CacheMaxEntries, n), CacheMaxBytes: share(c.CacheMaxBytes, n), ForwardMaxOutstanding: share(c.ForwardMaxOutstanding, n) };
}

/** What a thread is sent: its share of the config, the allow-lists as parsed; no master credentials. */
function threadSettings(s: AnswerSettings, n: number): AnswerSettings {
  return { config: threadConfig(s.config, n), forwardAllowFrom: s.forwardAllowFrom, transferAllowFrom: s.transferAllowFrom };
}

/** Sum counters field by field: numbers added, typed arrays element by element, objects recursively. */
export function sumCounters<T>(list: readonly T[]): T {
  const add = (a: unknown, b: unknown): unknown => {
    if (typeof a === 'number') return a + (b as number);
    if (typeof a === 'boolean') return a || (b as boolean);
    if (ArrayBuffer.isView(a)) {
      const out = (a as Float64Array).slice();
      (b as Float64Array).forEach((v, i) => { out[i] += v; });
      return out;
    }
    if (a && typeof a === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(a)) out[k] = add((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]);
      return out;
    }
    return a;
  };
  return list.reduce((acc, x) => add(acc, x) as T);
}

/** Forwarder copies of several threads as one: gauges added, each resolver's counters added by its key. */
export function sumForwarders(list: readonly ForwarderCopy[]): ForwarderCopy {
  const ups = new Map<string, ForwarderCopy['upstreams'][number]>();
  for (const f of list) {
    for (const u of f.upstreams) {
      const had = ups.get(u.key);
      ups.set(u.key, had ? { key: u.key, stats: sumCounters([had.stats, u.stats]), down: had.down || u.down } : u);
    }
  }
  return {
    inFlight: list.reduce((a, f) => a + f.inFlight, 0),
    cache: { entries: list.reduce((a, f) => a + f.cache.entries, 0), bytes: list.reduce((a, f) => a + f.cache.bytes, 0) },
    upstreams: [...ups.values()],
  };
}

/** A summed forwarder copy as the forwarding series read a running forwarder. */
export function forwarderView(c: ForwarderCopy): ForwarderView {
  const ups = c.upstreams.map((u) => ({ target: { key: u.key }, stats: u.stats, down: u.down }));
  return { inFlight: c.inFlight, cacheStats: () => c.cache, upstreams: () => ups };
}

/** Every thread's counters as the process's. */
export interface Totals { dns: ThreadCounters['dns']; forward: ThreadCounters['forward']; xfr: ThreadCounters['xfr']; forwarder: ForwarderCopy | null }

export interface AnswerThreads {
  readonly count: number;
  readonly port: number;
  /**
   * Hand a new zone version to every thread (and to threads started later). `ptr`: the reverse
   * names' pairs (PTROn), posted only when they are not the ones posted last (compared by identity).
   */
  setZone(image: SharedArrayBuffer, serial: number, changes: ZoneChangeSet | null, ptr?: readonly string[] | null): void;
  /** Reloaded settings (the whole config; each thread gets its share). */
  setSettings(settings: AnswerSettings, forwarderChanged: boolean): void;
  /** Every running thread's counters. */
  stats(): Promise<ThreadStats[]>;
  /** The process's counters: the running threads' plus what threads that died had counted. */
  totals(): Promise<Totals>;
  /** Threads started again after dying (and listening again), since start. */
  restarts(): number;
  /** Threads running now. */
  live(): number;
  /** The running threads by index (null while one is being started again). */
  threads(): readonly (Worker | null)[];
  /** Take no new queries (shutdown, or a new listener replaced these). */
  drain(): void;
  /** Forwarded queries in flight are answered (up to Timeout), then every thread ends. */
  close(): Promise<void>;
}

const RESTART_MIN_MS = 100;
const RESTART_MAX_MS = 5000;
const RESTART_RESET_MS = 10_000;
const STATS_TIMEOUT_MS = 2000;

export async function startAnswerThreads(settings: AnswerSettings, n: number, log: Logger, verbosity: number,
  tcp: { maxConnections: number }, initial: Omit<ZoneMessage, 'type' | 'v'> | null = null): Promise<AnswerThreads> {
  let cfg = threadSettings(settings, n);
  const tcpShare: Partial<TcpLimits> = { maxConnections: share(tcp.maxConnections, n), maxPerSource: share(TCP_MAX_PER_SOURCE, n) };
  const nice = os.getPriority();
  const workers: (Worker | null)[] = new Array<Worker | null>(n).fill(null);
  let version = 0;
  let zone: ZoneMessage | null = initial && { type: 'zone', v: ++version, ...initial };
  /** The reverse names' pairs last posted: every thread started (again) gets them with the zone. */
  let ptr: readonly string[] | null = initial?.ptr ?? null;
  let port = settings.config.Port;
  let closing = false;
  let restarts = 0;
  let nextId = 1;
  const waiting = new Map<number, (s: FromThread & { type: 'stats' }) => void>();
  /** The last counters each thread reported; a thread's are added to `gone` when it dies. */
  const last: (ThreadCounters | null)[] = new Array<ThreadCounters | null>(n).fill(null);
  let gone: ThreadCounters | null = null;

  /** Start thread i; resolves once its sockets are bound (rejects if it dies first). */
  const start = (i: number, failures = 0): Promise<void> => new Promise((resolve, reject) => {
    const data: ThreadData = { settings: cfg, verbosity, index: i, port, nice, tcp: tcpShare, zone: zone && { ...zone, ptr } };
    const w = new Worker(fileURLToPath(THREAD_URL), { workerData: data });
    workers[i] = w;
    const startedAt = Date.now();
    let up = false;
    w.on('message', (m: FromThread) => {
      if (m.type === 'listening') {
        port = m.port;
        up = true;
        if (zone) w.postMessage({ ...zone, ptr } satisfies ToThread);
        resolve();
      } else if (m.type === 'stats') {
        waiting.get(m.id)?.(m);
      }
    });
    let ended = false;
    const died = (err: Error | null, code?: number) => {
      if (ended) return;
      ended = true;
      if (workers[i] === w) workers[i] = null;
      const counted = last[i];
      if (counted) { gone = gone ? sumCounters([gone, counted]) : counted; last[i] = null; }
      if (closing) return;
      if (!up) { reject(err ?? new Error(`answering thread ${i} exited (${code}) before listening`)); return; }
      // Back off while a thread keeps dying soon after it starts; one that ran a while starts at once.
      const again = Date.now() - startedAt < RESTART_RESET_MS ? failures + 1 : 0;
      const delay = Math.min(RESTART_MIN_MS * 2 ** again, RESTART_MAX_MS);
      log.error({ thread: i, err: err?.message, code, restartInMs: delay }, 'answering thread died; starting it again');
      setTimeout(() => {
        if (closing) return;
        start(i, again).then(
          () => { restarts++; log.info({ thread: i }, 'answering thread restarted'); },
          (e: Error) => log.error({ thread: i, err: e.message }, 'answering thread failed to start again'),
        );
      }, delay).unref();
    };
    w.on('error', (err) => died(err));
    w.on('exit', (code) => died(null, code));
  });

  try {
    await start(0); // first, alone: with port 0 it picks the port the others then share
    await Promise.all(Array.from({ length: n - 1 }, (_, k) => start(k + 1)));
  } catch (err) {
    closing = true;
    await Promise.allSettled(workers.map((w) => w?.terminate()));
    throw err;
  }

  const post = (m: ToThread) => { for (const w of workers) w?.postMessage(m); };

  const pool: AnswerThreads = {
    count: n,
    port,
    setZone(image, serial, changes, pairs = null) {
      zone = { type: 'zone', v: ++version, image, serial, changes };
      if (pairs === ptr) { post(zone); return; }
      ptr = pairs;
      post({ ...zone, ptr });
    },
    setSettings(next, forwarderChanged) {
      cfg = threadSettings(next, n);
      post({ type: 'config', settings: cfg, forwarder: forwarderChanged });
    },
    async stats() {
      const asks = workers.map((w, thread) => new Promise<ThreadStats | null>((resolve) => {
        if (!w) { resolve(null); return; }
        const id = nextId++;
        const timer = setTimeout(() => { waiting.delete(id); resolve(null); }, STATS_TIMEOUT_MS);
        waiting.set(id, (m) => {
          clearTimeout(timer); waiting.delete(id);
          const { dns, forward, xfr, forwarder } = m;
          if (workers[thread] === w) last[thread] = { dns, forward, xfr, forwarder: null };
          resolve({ thread, dns, forward, xfr, forwarder });
        });
        w.postMessage({ type: 'stats', id } satisfies ToThread);
      }));
      return (await Promise.all(asks)).filter((s): s is ThreadStats => s !== null);
    },
    async totals() {
      const now = await pool.stats();
      const counters = now.map(({ dns, forward, xfr }) => ({ dns, forward, xfr }));
      if (gone) counters.push({ dns: gone.dns, forward: gone.forward, xfr: gone.xfr });
      const fwd = now.map((s) => s.forwarder).filter((f): f is ForwarderCopy => f !== null);
      if (counters.length === 0) throw new Error('no answering thread reported its counters');
      return { ...sumCounters(counters), forwarder: fwd.length ? sumForwarders(fwd) : null };
    },
    restarts: () => restarts,
    live: () => workers.filter((w) => w !== null).length,
    threads: () => workers,
    drain() { post({ type: 'drain' }); },
    async close() {
      // One line with each thread's share of the queries: how evenly the kernel spread them.
      const final = await pool.stats().catch((): ThreadStats[] => []);
      if (final.length) log.info({ queries: final.map((s) => s.dns.queries) }, 'answering threads stopping');
      closing = true;
      // A thread answers what it has in flight (up to Timeout), then says 'closed'.
      const waitMs = (cfg.config.Timeout || 5) * 1000 + 2000;
      await Promise.allSettled(workers.map((w) => w && new Promise<void>((resolve) => {
        const timer = setTimeout(() => { void w.terminate().then(() => resolve()); }, waitMs);
        w.on('message', (m: FromThread) => { if (m.type === 'closed') { clearTimeout(timer); void w.terminate().then(() => resolve()); } });
        w.on('exit', () => { clearTimeout(timer); resolve(); });
        w.postMessage({ type: 'close' } satisfies ToThread);
      })));
    },
  };
  return pool;
}
