// Where the state comes from: polling /master/state every RefreshSeconds, or the master's event
// stream (with a reconciling full fetch every ReconcileSeconds), and the switch between them when
// the master has no v1 operator API. Refreshes never overlap: a trigger during a refresh marks
// one more to run right after it, so a burst of ZooKeeper events or a slow master can never
// queue up work.
import type { IntervalHistogram } from 'node:perf_hooks';
import type { MastersUpdate } from '../detect/index.js';
import { BuildError, type StreamHandlers } from '../zone/builder.js';
import { countFailure, addStreamStats, stateMetrics } from '../state/metrics.js';
import type { Live } from './live.js';
import { buildParams, type Publisher } from './publish.js';
import { loopDelayMaxMs } from './status.js';
import { clock } from '../stream/trace.js';

/** Names whose records differ between two `/v1/axfr` bodies (any type, any value, any order). */
export function differingNames(a: Uint8Array, b: Uint8Array): string[] {
  const index = (body: Uint8Array): Map<string, string> => {
    const recs = (JSON.parse(Buffer.from(body).toString('utf8')) as { Records: Record<string, Record<string, string[]>> }).Records;
    const m = new Map<string, string[]>();
    for (const [type, byName] of Object.entries(recs)) {
      for (const [name, values] of Object.entries(byName)) {
        const l = m.get(name) ?? [];
        for (const v of values) l.push(`${type} ${v}`);
        m.set(name, l);
      }
    }
    return new Map([...m].map(([n, l]) => [n, l.sort().join('\n')]));
  };
  const x = index(a), y = index(b);
  const out: string[] = [];
  for (const [n, v] of x) if (y.get(n) !== v) out.push(n);
  for (const n of y.keys()) if (!x.has(n)) out.push(n);
  return out.sort();
}

/** The log line naming the state source in use (at start and when a reload changes it). */
export function sayStateSource(s: Live): void {
  s.log.info({ stateSource: s.config.StateSource, source: s.source }, s.source === 'stream'
    ? 'state source: the master\'s event stream (POST /api/v1 SUBSCRIBE)' : 'state source: polling /master/state every RefreshSeconds');
}

export interface StateSource {
  /** One refresh (polled fetch and build); resolves after the next refresh attempt completes. */
  refresh(): Promise<void>;
  /** A master change (ZooKeeper or a reload). */
  onMasters(update: MastersUpdate): void;
  startStream(update: MastersUpdate): void;
  /** The stream starts over (a reload changed what it subscribes with, or the masters). */
  restartStream(update: MastersUpdate): void;
  startPolling(): void;
  /** Stop the polling timer; startPolling starts it again. */
  stopPolling(): void;
  startReconcile(): void;
  stopReconcile(): void;
  readonly streamHandlers: StreamHandlers;
  /** What refreshNow() waits for: a refresh, the first load, or a new subscription. */
  refreshNow(): Promise<void>;
  /** Begin: the first load (and the stream after it) or polling, then follow the master detector. */
  start(): void;
  /** The timers stop (shutdown). */
  stop(): void;
}

export function createStateSource(s: Live, publisher: Publisher, loopDelay: IntervalHistogram | null): StateSource {
  const log = s.log;
  let running: Promise<void> | null = null;
  let again = false;
  let waiters: (() => void)[] = [];
  let reconcileTimer: NodeJS.Timeout | null = null;
  let timer: NodeJS.Timeout | null = null;
  /** Stream mode: the stream is started once the first (polled) load is done. */
  let streamStarted = false;
  let firstLoading: Promise<void> | null = null;

  async function refreshOnce(update: MastersUpdate): Promise<void> {
    const t0 = performance.now();
    const { zone, changes, draft, stages, master, bytes } = await s.builder.refresh(update.masters, buildParams(s, update));
    stateMetrics.bytes += bytes;
    if (s.closed) return;
    const { changed, serial } = publisher.install(zone, changes, draft, master, t0);
    const source = s.source;
    log.info({
      // `source`: what serves the names now (a reconcile's fetch runs while it is the stream);
      // `stateSource`: as configured ("auto" resolves to one of the two).
      durationMs: Math.round(performance.now() - t0), source, stateSource: s.config.StateSource, ...(source === 'stream' && streamStarted ? { reconcile: true } : {}), bytes,
      master, mastersSource: update.source, leader: zone.leader,
      ...zone.counts, skipped: zone.warningCounts?.total ?? zone.warnings.length,
      newWarnings: zone.warningCounts?.fresh ?? zone.warnings.length, serial, changed, stagesMs: stages,
      loopDelayMaxMs: loopDelayMaxMs(loopDelay),
    }, 'refresh');
    loopDelay?.reset();
  }

  // ---- event stream ----
  const streamHandlers: StreamHandlers = {
    zone(m, draft) {
      if (s.closed) return;
      if (m.trace) m.trace.recv = clock();
      const { changed, serial } = publisher.install(m.zone, m.changes, draft, m.master, performance.now());
      if (m.trace) m.trace.swap = clock();
      // Per version: one line at debug (dozens a second during churn); a full snapshot at info.
      const line = {
        source: 'stream', stateSource: s.config.StateSource, master: m.master, leader: m.leader, full: m.full, buildMs: m.buildMs, patch: m.zone.patch,
        ...m.zone.counts, skipped: m.zone.warnings.length, serial, changed,
        loopDelayMaxMs: loopDelayMaxMs(loopDelay), ...(m.trace ? { trace: m.trace } : {}),
      };
      if (m.full) log.info(line, 'stream update'); else log.debug(line, 'stream update');
      loopDelay?.reset();
    },
    unsupported(reason) {
      log.warn({ reason, refreshSeconds: s.config.RefreshSeconds, source: 'poll', stateSource: s.config.StateSource },
        'stream: the master has no v1 operator API; polling /master/state instead (StateSource "auto")');
      s.source = 'poll';
      startPolling();
      void refresh();
    },
    stats: addStreamStats,
  };
  function startStream(update: MastersUpdate): void {
    s.builder.stream(update.masters, buildParams(s, update), streamHandlers, { settings: s.settings }).catch((err) => {
      log.warn({ err: (err as Error).message }, 'stream: the build worker did not take the stream');
    });
  }
  /**
   * A master change (ZooKeeper or a reload): the stream follows the new leader; polling refreshes.
   * Cold start: the first zone comes from one plain /master/state fetch (the poll path), and the
   * stream subscribes after it. Measured at 50k tasks: reading the SUBSCRIBED record and building
   * from it took 4–5 s after start, the poll fetch+build 2–3 s; the SUBSCRIBED snapshot then
   * replaces the polled zone (same content: same serial). A failed fetch (master down) just starts
   * the stream, which retries on its own.
   */
  function onMasters(update: MastersUpdate): void {
    if (s.source !== 'stream') { void refresh(); return; }
    if (streamStarted) { startStream(update); return; }
    if (running) return; // the stream starts with the masters current when the first load ends
    if (update.masters.length === 0) return; // none known yet (ZooKeeper): the detector calls again
    firstLoading = refresh().then(() => {
      if (s.closed || streamStarted || s.source !== 'stream') return;
      streamStarted = true;
      startStream(s.detector.current());
    });
  }
  function stopReconcile(): void {
    if (reconcileTimer) clearInterval(reconcileTimer);
    reconcileTimer = null;
  }
  function startReconcile(): void {
    stopReconcile();
    if (s.source !== 'stream' || s.config.ReconcileSeconds <= 0) return;
    reconcileTimer = setInterval(() => { void reconcile(); }, s.config.ReconcileSeconds * 1000);
    reconcileTimer.unref();
  }
  function startPolling(): void {
    timer ??= setInterval(() => { void refresh(); }, s.config.RefreshSeconds * 1000);
  }
  /**
   * Reconciliation in stream mode: a full state fetch every ReconcileSeconds, built as a poll
   * refresh is. If its names differ from the stream's, the stream has missed something: the log
   * says how many names differ, the polled zone is served, and the stream subscribes again.
   */
  async function reconcile(): Promise<void> {
    if (s.closed || s.source !== 'stream' || running) return;
    const before = s.snapshot;
    const head = { TTL: 0, Serial: 0, RefreshSeconds: 0, Mname: '', Rname: '', Domain: s.config.Domain };
    let streamed: Uint8Array;
    try {
      if (!before) return;
      streamed = await before.axfrBody(head); // before the polled zone replaces it
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'reconcile: the stream\'s records could not be read');
      return;
    }
    try {
      await refreshOnce(s.detector.current());
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'reconcile: state fetch failed; the stream goes on');
      return;
    }
    const after = s.snapshot;
    if (!after || before === after) return;
    const differ = differingNames(streamed, await after.axfrBody(head));
    log.info({ differingNames: differ.length }, 'reconcile: stream records compared with a full state fetch');
    if (differ.length) {
      for (const name of differ.slice(0, 100)) log.warn({ name }, 'reconcile: the stream had this name wrong; repaired');
      void s.builder.resubscribe().catch(() => {});
    }
  }

  function refresh(): Promise<void> {
    if (s.closed) return Promise.resolve();
    const done = new Promise<void>((r) => waiters.push(r));
    if (running) { again = true; return done; }
    const loop = async () => {
      do {
        again = false;
        const batch = waiters;
        waiters = [];
        try {
          await refreshOnce(s.detector.current());
        } catch (err) {
          const e = err as Error;
          countFailure(e instanceof BuildError ? (e.rejected ? 'rejected' : e.died ? 'worker' : 'unreachable') : 'other');
          log.warn({ err: e.message, rejected: e instanceof BuildError ? e.rejected : undefined },
            s.snapshot ? 'refresh failed; keeping the previous records' : 'refresh failed; no records yet');
        }
        batch.forEach((r) => r());
      } while (again && !s.closed);
      running = null;
      const rest = waiters; waiters = []; rest.forEach((r) => r());
    };
    running = loop();
    return done;
  }

  return {
    refresh, onMasters, startStream, startPolling, startReconcile, stopReconcile, streamHandlers,
    restartStream(update) { streamStarted = true; startStream(update); },
    stopPolling() { if (timer) clearInterval(timer); timer = null; },
    refreshNow: () => (s.source !== 'stream' ? refresh()
      : !streamStarted && firstLoading ? firstLoading : s.builder.resubscribe().catch(() => {})),
    start() {
      sayStateSource(s);
      if (s.source === 'stream') {
        onMasters(s.detector.current());
        startReconcile();
      } else {
        startPolling();
      }
      s.detector.start(onMasters);
    },
    stop() {
      if (timer) clearInterval(timer);
      if (reconcileTimer) clearInterval(reconcileTimer);
    },
  };
}
