// Size (~700 lines, over the ~450 aimed at): the composition root; four branches changed it this
// session, so its split (refresh loop, reload, shutdown) is left for the next one.
// The running server: leader detection → state fetch → (worker) record generation → zone swap,
// with DNS and HTTP answering from whatever zone is current. Listeners start before the first
// state load [A.1] so forwarding works at once and the domain answers SERVFAIL, not silence.
// Refreshes never overlap: a trigger during a refresh marks one more to run right after it, so a
// burst of ZooKeeper events or a slow master can never queue up work.
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import type { Config } from './config/types.js';
import type { Logger } from './log.js';
import { createMasterDetector, type MasterDetector, type MastersUpdate } from './detect/index.js';
import { ZoneBuilder, BuildError, type StreamHandlers } from './zone/builder.js';
import { answersProtected, protectAnswers } from './zone/priority.js';
import type { BuildParams, BuiltZone } from './zone/build.js';
import type { DraftTransfer } from './records/draft.js';
import { ImageSnapshot, type BodyRenderer } from './zone/snapshot.js';
import { collectSoon } from './memory.js';
import { readLastGood } from './zone/lastgood.js';
import { shareImage } from './zone/image.js';
import { SerialPolicy } from './zone/serial.js';
import type { ZoneChangeSet, ZoneDiff } from './zone/changes.js';
import { createAuthority } from './dns/authority.js';
import { createQueryHandler } from './dns/handler.js';
import { startDnsServer, type DnsServer } from './dns/server.js';
import { TCP_MAX_CONNECTIONS } from './dns/tcp.js';
import { answerThreadCount, forwarderView, startAnswerThreads, type AnswerThreads } from './threads/pool.js';
import { connectionCaps, watchDescriptors } from './net/fd-budget.js';
import { startHttpServer } from './http/api.js';
import { createForwarder } from './forward/index.js';
import type { ForwarderImpl } from './forward/index.js';
import { stateMetrics, countFailure, setSkipped, countSkipped, addStreamStats } from './state/metrics.js';
import type { Readiness } from './http/ops.js';
import { RUNTIME } from './runtime.js';
import { createXfr, transferZone, type Xfr } from './xfr/index.js';
import { ReverseZone } from './zone/reverse.js';
import { createReverseAuthority, type ReverseAuthority } from './dns/reverse.js';

/** The package version, read once from package.json so there is one place to bump it. */
export const VERSION: string = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

export interface RunningServer {
  dnsPort: number | null;
  httpPort: number | null;
  /** Resolves after the next refresh attempt completes (tests, demo). */
  refreshNow(): Promise<void>;
  snapshot(): ImageSnapshot | null;
  /** What /ready says now. */
  readiness(): Readiness;
  /** Apply a new validated config (SIGHUP); resolves with what was replaced, after the refresh it triggers. */
  reload(next: Config): Promise<string[]>;
  /** Lameduck: /ready answers 503 from now on, everything else keeps working until close(). */
  beginShutdown(): void;
  /** Call `listener` with every zone version swapped in (serial, change set); returns the unsubscribe. */
  onVersion(listener: (v: ImageSnapshot) => void): () => void;
  /** The answering threads when more than one answers (AnswerThreads), else null. */
  answerThreads(): AnswerThreads | null;
  close(): Promise<void>;
}

export interface ServerOptions {
  /** The last serial served before this start (zone/serial.ts): every serial served now exceeds it. */
  serial?: number;
}

function interfaceAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (!a.internal) out.push(a.address.split('%')[0]);
  }
  return out;
}

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

export async function startServer(initial: Config, log: Logger, options: ServerOptions = {}): Promise<RunningServer> {
  let config = initial;
  let serials = new SerialPolicy(options.serial);
  let snapshot: ImageSnapshot | null = null;
  let authority = createAuthority(config, null, serials.current);
  // PTROn: the reverse names of the zone served (rebuilt when a build brings new ones) and their authority.
  let reverseZone: ReverseZone | null = null;
  let reverse: ReverseAuthority | null = null;
  const listeners = new Set<(v: ImageSnapshot) => void>();
  const verbosity = log.level === 'trace' ? 2 : log.level === 'debug' ? 1 : 0;
  // Several answering threads where the runtime can share the port (threads/pool.ts); otherwise
  // this thread answers, exactly as it always has. Fixed for the process's life (a reload keeps it).
  const { threads, why } = config.DnsOn ? await answerThreadCount(config.AnswerThreads) : { threads: 1 };
  if (why) log.info({ AnswerThreads: config.AnswerThreads, why }, 'answering on one thread');
  const liveConfig = () => ({ ...config, SOASerial: serials.current, AnswerThreads: threads });

  // With answering threads each forwards for itself (threads/pool.ts); this thread forwards nothing.
  let forwarder: ForwarderImpl | null = config.ExternalOn && threads === 1 ? createForwarder(config, log) : null;
  let shuttingDown = false;
  /** Unix seconds when the served data was loaded from a master. */
  let loadedAt = 0;
  let byType = { A: 0, AAAA: 0, SRV: 0 };
  let names = 0;
  /** Serving the snapshot file: stale until the first load from a master replaces it. */
  let fromFile = false;
  const tooOld = (): boolean => config.StaleAfterSeconds > 0 && loadedAt > 0 && Date.now() / 1000 - loadedAt > config.StaleAfterSeconds;
  const isStale = (): boolean => fromFile || tooOld();
  const readiness = (): Readiness => {
    const serving = snapshot !== null;
    const base = { serving, serial: snapshot ? snapshot.serial : null, ageSeconds: loadedAt ? Math.round(Date.now() / 1000 - loadedAt) : null };
    if (shuttingDown) return { ready: false, reason: 'shutting down', ...base };
    if (!serving) return { ready: false, reason: 'no zone loaded yet', ...base };
    if (pool && pool.live() === 0) return { ready: false, reason: 'no answering thread running', ...base };
    if (fromFile) return { ready: false, reason: 'stale: serving the snapshot file until the first load from a master', ...base };
    if (tooOld()) return { ready: false, reason: `stale: data older than StaleAfterSeconds (${config.StaleAfterSeconds})`, ...base };
    return { ready: true, ...base };
  };
  let detector: MasterDetector = createMasterDetector(config, log);
  const newBuilder = (c: Config) => new ZoneBuilder(c, verbosity, Math.min(c.StateTimeoutSeconds, 10) * 1000);
  let builder = newBuilder(config);
  // Each bulk body render is logged: seconds of worker time at 50k tasks, and one line per zone
  // version and kind shows that concurrent /v1/axfr requests share one render. It reads
  // `builder` at each call: a reload may replace the builder.
  const renderer: BodyRenderer = {
    render: async (draft, kind, head) => {
      const t0 = performance.now();
      const body = await builder.render(draft, kind, head);
      log.info({ kind, bytes: body.byteLength, ms: Math.round(performance.now() - t0) }, 'bulk body rendered');
      return body;
    },
    discard: (buffers) => builder.discard(buffers),
    // Answering threads do not say when they let an image go: theirs are never written again.
    retire: (image) => { if (threads > 1) collectSoon(); else builder.retire(image); },
  };
  let ifAddrs = config.Listener === '0.0.0.0' ? interfaceAddresses() : [];

  // The last-good snapshot, before anything listens: the first answers come from it.
  if (config.SnapshotFile) {
    const t0 = performance.now();
    try {
      const lg = readLastGood(config.SnapshotFile, config.Domain);
      if (lg) {
        // Persisted (contract "Serial"): the serial policy starts from it, so it never goes back.
        serials = new SerialPolicy(Math.max(lg.serial, options.serial ?? 0));
        const serial = serials.current;
        snapshot = ImageSnapshot.fromFile(threads > 1 ? shareImage(lg.image) : lg.image, lg.contentHash, serial, renderer);
        authority = createAuthority(config, snapshot.image, serial);
        loadedAt = lg.time / 1000;
        names = snapshot.image.entryCount;
        fromFile = true;
        log.info({ file: config.SnapshotFile, serial: serials.current, ageSeconds: Math.round(Date.now() / 1000 - loadedAt), bytes: lg.image.byteLength, ms: Math.round(performance.now() - t0) }, 'snapshot loaded');
      } else {
        log.info({ file: config.SnapshotFile }, 'no snapshot file yet');
      }
    } catch (err) {
      log.warn({ file: config.SnapshotFile, reason: (err as Error).message }, 'snapshot ignored');
    }
  }

  // The build worker's module load (~0.2 s) runs beside the listeners' and ZooKeeper's set-up:
  // with nothing to answer from yet, the first fetch waits for it. With the snapshot served, it
  // starts once the listeners are up, at nice 19 like any worker started while answers are served
  // (on one core, its start-up would otherwise delay the first answers from the file).
  if (snapshot) protectAnswers();
  else builder.warm();

  // Client connections may use only part of the open-file limit (net/fd-budget.ts).
  const caps = connectionCaps(TCP_MAX_CONNECTIONS);
  log.info(caps, 'connection caps');
  const stopFdWatch = watchDescriptors(log);
  let dns: DnsServer | null = null;
  /** The answering threads, when more than one answers; then `dns` stays null. */
  let pool: AnswerThreads | null = null;
  let http: { port: number; close(): Promise<void> } | null = null;
  // Read on every query, so a reload swaps the forwarder without touching the listeners.
  const xfr: Xfr = createXfr(config, log);
  // Serving the snapshot file: a zone transfer sends the zone we answer, under its persisted serial
  // (a secondary that held it before the restart is told it is up to date), not SERVFAIL until
  // the first load. Not journaled nor NOTIFYed: the first load from a master starts both.
  if (snapshot) { const s = snapshot; xfr.serve(transferZone(authority, s.image, s.serial, () => s.pin())); }
  // The metrics library and the series declarations (~0.1 s of module loading) are loaded once
  // the listeners are up: nothing before the first answer needs them, and /metrics waits for them.
  let metricsModule: Promise<typeof import('./metrics/index.js')> | null = null;
  const metrics = () => (metricsModule ??= import('./metrics/index.js').then((m) => {
    m.registerAllMetrics();
    m.setForwarder(forwarder);
    m.setZoneInfo(() => (snapshot ? { serial: snapshot.serial, names, byType, loadedAt, stale: isStale() } : null));
    m.setXfr(xfr);
    return m;
  }));
  const handlerDeps = { authority: () => authority, forwarder, transfer: xfr.handle, reverse: () => reverse };
  const handler = createQueryHandler(handlerDeps);
  const listenDns = (c: Config) => startDnsServer({ host: c.Listener, port: c.Port, log, handler, tcp: { maxConnections: caps.dnsTcp } });
  /** Answering threads on `c`'s address, answering from the current zone once listening. */
  const listenThreads = async (c: Config) => {
    const s = snapshot;
    const p = await startAnswerThreads(c, threads, log, verbosity, { maxConnections: caps.dnsTcp },
      s && s.image.buffer instanceof SharedArrayBuffer ? { image: s.image.buffer, serial: s.serial, changes: s.changes, ptr: reverseZone?.pairs ?? null } : null);
    if (snapshot && snapshot !== s) postZone(p, snapshot); // a version swapped in while they started
    return p;
  };
  /** /metrics: with answering threads, their counters are summed first (the series read them when rendered). */
  const exposition = async (openMetrics: boolean) => {
    const m = await metrics();
    const t = pool && await pool.totals().catch(() => null);
    if (t) {
      m.setDnsCounters(t.dns);
      m.setForwardCounters(t.forward);
      m.setForwarder(t.forwarder && forwarderView(t.forwarder));
      m.setXfrCounters(t.xfr);
    }
    return m.renderMetrics(openMetrics);
  };
  const listenHttp = (c: Config) => startHttpServer({
        config: liveConfig,
        snapshot: () => snapshot,
        version: VERSION,
        mastersSource: () => { const c = detector.current(); return { masters: c.masters, source: c.source }; },
        stateSourceInUse: () => source,
        watch: (req, res, since) => xfr.watch.handle(req, res, since),
        log,
        exposition,
        readiness,
      }, c.HTTPListener, c.HttpPort, caps.http);
  try {
    if (config.DnsOn && threads > 1) pool = await listenThreads(config);
    else if (config.DnsOn) dns = await listenDns(config);
    if (config.HttpOn) http = await listenHttp(config);
  } catch (err) {
    await dns?.close();
    await pool?.close();
    await forwarder?.close();
    throw err;
  }
  const dnsPort = dns?.udpPort ?? pool?.port ?? null;
  log.info({
    runtime: RUNTIME, answerThreads: config.DnsOn ? threads : 0, dns: dnsPort !== null && `${config.Listener}:${dnsPort}`,
    http: http && `${config.HTTPListener}:${http.port}`, domain: config.Domain,
  }, 'listening');
  if (snapshot) builder.warm(); // the snapshot is served: now the worker (see above)
  void metrics();

  // ---- refresh loop ----
  // The answering thread's worst event-loop delay since the previous refresh line: the one
  // number that tells an operator whether anything (a refresh included) held answers up. Only
  // when this thread answers: with answering threads no answer waits on this loop, and the
  // monitor's 5 ms timer only woke an idle thread 200 times a second (measured: 1.6-2.4% of a
  // core, 2% of the 2-thread server's CPU at 30k answers/s).
  const loopDelay = threads > 1 ? null : monitorEventLoopDelay({ resolution: 5 });
  loopDelay?.enable();
  /** For the log lines: undefined (left out) when answering threads answer. */
  const loopDelayMaxMs = () => loopDelay ? Math.round(loopDelay.max / 1e5) / 10 : undefined;
  let running: Promise<void> | null = null;
  /** Builders replaced by a reload, closed once the zone they can render bodies for is gone. */
  const retiredBuilders: ZoneBuilder[] = [];
  let again = false;
  let closed = false;
  let waiters: (() => void)[] = [];

  function buildParams(update: MastersUpdate): BuildParams {
    return {
      generate: {
        domain: config.Domain, nsName: config.SOAMname, listener: config.Listener,
        enforceRFC952: config.EnforceRFC952, ipSources: config.IPSources,
        masters: update.masters, interfaceAddrs: ifAddrs,
      },
      // Shared when streaming: stream versions are written into buffers the answering thread gave
      // back, and reach it without a copy (zone/spares.ts). Polled ones stay plain: freed at once
      // by transfer (zone/README.md "Memory").
      image: { domain: config.Domain, ttl: config.TTL, srvWeight: config.SRVRecordDefaultWeight, shared: threads > 1 || config.StateSource !== 'poll' },
      ptr: config.PTROn,
    };
  }

  /** Answering threads answer from `s` from now on: one message per version to each thread. */
  function postZone(p: AnswerThreads, s: ImageSnapshot): void {
    const b = s.image.buffer;
    if (b instanceof SharedArrayBuffer) p.setZone(b, s.serial, s.changes, reverseZone?.pairs ?? null);
    else log.error({ serial: s.serial }, 'zone image not shared: the answering threads keep the previous version');
  }

  /** Swap a new zone in (polled or streamed); returns whether its content changed, and its serial. */
  function install(zone: BuiltZone, changes: ZoneDiff | null, draft: PromiseLike<DraftTransfer>, master: string, t0: number): { changed: boolean; serial: number } {
    const changed = snapshot?.contentHash !== zone.contentHash;
    const previous = snapshot;
    const fromSerial = serials.current;
    const serial = changed ? serials.changed() : fromSerial;
    if (changed || !reverseZone) reverseZone = config.PTROn && zone.ptr ? new ReverseZone(zone.ptr, config.PTRZones) : null;
    swapIn(new ImageSnapshot(zone, draft, serial, renderer, stamp(changes, fromSerial, serial)));
    previous?.release(); // answers read it synchronously; bulk bodies copy its records first (release())
    if (!answersProtected()) protectAnswers(); // the first zone is served: build threads to nice 19 (zone/priority.ts)
    for (const b of retiredBuilders.splice(0)) void b.close();
    loadedAt = Date.now() / 1000;
    names = zone.counts.names;
    byType = zone.byType;
    stateMetrics.lastSuccess = loadedAt;
    const replacedFile = fromFile;
    fromFile = false;
    if (replacedFile) log.info({ serial, changed }, 'fresh state replaces the snapshot');
    if (config.SnapshotFile) {
      // Written by the worker from its copy of the image; every refresh tells it to write or drop that copy.
      const write = changed || replacedFile;
      builder.lastGood(write ? config.SnapshotFile : '', { serial, time: loadedAt * 1000, domain: config.Domain, contentHash: zone.contentHash })
        .then((bytes) => { if (bytes) log.debug({ file: config.SnapshotFile, serial, bytes }, 'snapshot written'); },
          (err) => log.warn({ file: config.SnapshotFile, err: (err as Error).message }, 'snapshot write failed'));
    }
    stateMetrics.lastDurationSeconds = (performance.now() - t0) / 1000;
    stateMetrics.loads++;
    setSkipped(zone.skipped ?? countSkipped(zone.warnings));
    for (const w of zone.warnings) log.warn({ master }, w);
    return { changed, serial };
  }

  async function refreshOnce(update: MastersUpdate): Promise<void> {
    const t0 = performance.now();
    const { zone, changes, draft, stages, master, bytes } = await builder.refresh(update.masters, buildParams(update));
    stateMetrics.bytes += bytes;
    if (closed) return;
    const { changed, serial } = install(zone, changes, draft, master, t0);
    log.info({
      // `source`: what serves the names now (a reconcile's fetch runs while it is the stream);
      // `stateSource`: as configured ("auto" resolves to one of the two).
      durationMs: Math.round(performance.now() - t0), source, stateSource: config.StateSource, ...(source === 'stream' && streamStarted ? { reconcile: true } : {}), bytes,
      master, mastersSource: update.source, leader: zone.leader,
      ...zone.counts, skipped: zone.warningCounts?.total ?? zone.warnings.length,
      newWarnings: zone.warningCounts?.fresh ?? zone.warnings.length, serial, changed, stagesMs: stages,
      loopDelayMaxMs: loopDelayMaxMs(),
    }, 'refresh');
    loopDelay?.reset();
  }

  /** A worker's diff, given its serials; null stays null (first version, or not computed). */
  function stamp(d: ZoneDiff | null, fromSerial: number, toSerial: number): ZoneChangeSet | null {
    return d && { fromSerial, toSerial, time: Date.now(), removed: d.removed, added: d.added };
  }

  // A change within a second of the last serial bump keeps the serial; the bump follows as a
  // version of its own (same content and buffers, empty change set) when the second is over.
  let bumpTimer: NodeJS.Timeout | null = null;
  function swapIn(next: ImageSnapshot): void {
    snapshot = next;
    authority = createAuthority(config, next.image, next.serial);
    reverse = reverseZone && createReverseAuthority(config, reverseZone, next.serial);
    xfr.serve({ ...transferZone(authority, next.image, next.serial, () => next.pin()), reverse });
    xfr.versioned(next.serial, next.changes);
    if (pool) postZone(pool, next);
    for (const l of listeners) l(next);
    const due = serials.dueIn();
    if (due >= 0 && bumpTimer === null) {
      bumpTimer = setTimeout(() => {
        bumpTimer = null;
        if (closed || !snapshot || !serials.isPending) return;
        const from = serials.current;
        swapIn(snapshot.reissue(serials.bump(), { fromSerial: from, toSerial: serials.current, time: Date.now(), removed: [], added: [] }));
      }, due);
      bumpTimer.unref();
    }
  }

  // ---- event stream ----
  let source: 'stream' | 'poll' = config.StateSource === 'poll' ? 'poll' : 'stream';
  let reconcileTimer: NodeJS.Timeout | null = null;
  const streamHandlers: StreamHandlers = {
    zone(m, draft) {
      if (closed) return;
      const { changed, serial } = install(m.zone, m.changes, draft, m.master, performance.now());
      // Per version: one line at debug (dozens a second during churn); a full snapshot at info.
      const line = {
        source: 'stream', stateSource: config.StateSource, master: m.master, leader: m.leader, full: m.full, buildMs: m.buildMs, patch: m.zone.patch,
        ...m.zone.counts, skipped: m.zone.warnings.length, serial, changed,
        loopDelayMaxMs: loopDelayMaxMs(),
      };
      if (m.full) log.info(line, 'stream update'); else log.debug(line, 'stream update');
      loopDelay?.reset();
    },
    unsupported(reason) {
      log.warn({ reason, refreshSeconds: config.RefreshSeconds, source: 'poll', stateSource: config.StateSource },
        'stream: the master has no v1 operator API; polling /master/state instead (StateSource "auto")');
      source = 'poll';
      startPolling();
      void refresh();
    },
    stats: addStreamStats,
  };
  function startStream(update: MastersUpdate): void {
    builder.stream(update.masters, buildParams(update), streamHandlers, { config }).catch((err) => {
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
    if (source !== 'stream') { void refresh(); return; }
    if (streamStarted) { startStream(update); return; }
    if (running) return; // the stream starts with the masters current when the first load ends
    if (update.masters.length === 0) return; // none known yet (ZooKeeper): the detector calls again
    firstLoading = refresh().then(() => {
      if (closed || streamStarted || source !== 'stream') return;
      streamStarted = true;
      startStream(detector.current());
    });
  }
  function startReconcile(): void {
    if (reconcileTimer) clearInterval(reconcileTimer);
    reconcileTimer = null;
    if (source !== 'stream' || config.ReconcileSeconds <= 0) return;
    reconcileTimer = setInterval(() => { void reconcile(); }, config.ReconcileSeconds * 1000);
    reconcileTimer.unref();
  }
  function startPolling(): void {
    timer ??= setInterval(() => { void refresh(); }, config.RefreshSeconds * 1000);
  }
  /**
   * Reconciliation in stream mode: a full state fetch every ReconcileSeconds, built as a poll
   * refresh is. If its names differ from the stream's, the stream has missed something: the log
   * says how many names differ, the polled zone is served, and the stream subscribes again.
   */
  async function reconcile(): Promise<void> {
    if (closed || source !== 'stream' || running) return;
    const before = snapshot;
    const head = { TTL: 0, Serial: 0, RefreshSeconds: 0, Mname: '', Rname: '', Domain: config.Domain };
    let streamed: Uint8Array;
    try {
      if (!before) return;
      streamed = await before.axfrBody(head); // before the polled zone replaces it
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'reconcile: the stream\'s records could not be read');
      return;
    }
    try {
      await refreshOnce(detector.current());
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'reconcile: state fetch failed; the stream goes on');
      return;
    }
    const after = snapshot;
    if (!after || before === after) return;
    const differ = differingNames(streamed, await after.axfrBody(head));
    log.info({ differingNames: differ.length }, 'reconcile: stream records compared with a full state fetch');
    if (differ.length) {
      for (const name of differ.slice(0, 100)) log.warn({ name }, 'reconcile: the stream had this name wrong; repaired');
      void builder.resubscribe().catch(() => {});
    }
  }

  function refresh(): Promise<void> {
    if (closed) return Promise.resolve();
    const done = new Promise<void>((r) => waiters.push(r));
    if (running) { again = true; return done; }
    const loop = async () => {
      do {
        again = false;
        const batch = waiters;
        waiters = [];
        try {
          await refreshOnce(detector.current());
        } catch (err) {
          const e = err as Error;
          countFailure(e instanceof BuildError ? (e.rejected ? 'rejected' : e.died ? 'worker' : 'unreachable') : 'other');
          log.warn({ err: e.message, rejected: e instanceof BuildError ? e.rejected : undefined },
            snapshot ? 'refresh failed; keeping the previous records' : 'refresh failed; no records yet');
        }
        batch.forEach((r) => r());
      } while (again && !closed);
      running = null;
      const rest = waiters; waiters = []; rest.forEach((r) => r());
    };
    running = loop();
    return done;
  }

  // StaleAfterSeconds: one line when the data goes stale, one when it is fresh again.
  let staleSaid = false;
  const staleTimer = setInterval(() => {
    const stale = tooOld();
    if (stale === staleSaid) return;
    staleSaid = stale;
    const ageSeconds = Math.round(Date.now() / 1000 - loadedAt);
    if (stale) log.warn({ ageSeconds, staleAfterSeconds: config.StaleAfterSeconds }, 'state stale');
    else log.info({ ageSeconds }, 'state fresh again');
  }, 1000);
  staleTimer.unref();

  let timer: NodeJS.Timeout | null = null;
  /** Stream mode: the stream is started once the first (polled) load is done. */
  let streamStarted = false;
  let firstLoading: Promise<void> | null = null;
  log.info({ stateSource: config.StateSource, source }, source === 'stream'
    ? 'state source: the master\'s event stream (POST /api/v1 SUBSCRIBE)' : 'state source: polling /master/state every RefreshSeconds');
  if (source === 'stream') {
    onMasters(detector.current());
    startReconcile();
  } else {
    startPolling();
  }
  detector.start(onMasters);


  /** Close a replaced forwarder or listener once what it has in flight is answered (or timed out). */
  const retire = (what: { close(): Promise<void> } | null, inFlight: () => number, timeoutS: number) => {
    if (!what) return;
    const until = Date.now() + timeoutS * 1000 + 100;
    const check = () => {
      if (inFlight() > 0 && Date.now() < until) { setTimeout(check, 50).unref(); return; }
      void what.close().catch(() => {});
    };
    check();
  };
  const changed = (a: Config, b: Config, keys: (keyof Config)[]) => keys.some((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));

  /**
   * SIGHUP: apply a new, already validated config without dropping a query. Listeners are re-bound
   * only when their address or port changed (the new one is bound before the old one closes, and
   * a failed bind keeps the old); the forwarder, the master detector and the state client are
   * replaced only when their keys changed; then a refresh rebuilds the zone (TTL, domain, … live
   * in the zone image).
   */
  async function reload(next: Config): Promise<string[]> {
    const prev = config;
    const applied: string[] = [];
    if (next.AnswerThreads !== prev.AnswerThreads) {
      // The threads own the sockets, the forwarders and the journal: their number is fixed at start.
      log.warn({ answerThreads: threads, configured: next.AnswerThreads }, 'reload: AnswerThreads takes effect at the next start; the running threads keep answering');
      next = { ...next, AnswerThreads: prev.AnswerThreads };
    }
    let freshPool = false;
    let forwarderChanged = false;
    if (next.DnsOn && (!(dns || pool) || changed(prev, next, ['Listener', 'Port']))) {
      try {
        if (threads > 1) {
          // New threads bound first, then the old ones take no new queries and end (pool.close waits for their in-flight).
          const fresh = await listenThreads(next);
          const old = pool;
          pool = fresh;
          freshPool = true;
          old?.drain();
          void old?.close();
        } else {
          const fresh = await listenDns(next);
          const old = dns;
          dns = fresh;
          old?.drain();
          retire(old, () => forwarder?.inFlight ?? 0, prev.Timeout || 5);
        }
        applied.push('dns listener');
      } catch (err) {
        log.error({ err: (err as Error).message, listener: `${next.Listener}:${next.Port}` }, 'reload: cannot listen on the new DNS address; keeping the old one');
        next = { ...next, Listener: prev.Listener, Port: prev.Port, DnsOn: prev.DnsOn };
      }
    } else if (!next.DnsOn && (dns || pool)) {
      const old = dns; dns = null; old?.drain(); retire(old, () => forwarder?.inFlight ?? 0, prev.Timeout || 5);
      const oldPool = pool; pool = null; oldPool?.drain(); void oldPool?.close();
      applied.push('dns off');
    }
    if (next.HttpOn && (!http || changed(prev, next, ['HTTPListener', 'HttpPort']))) {
      try {
        const fresh = await listenHttp(next);
        const old = http;
        http = fresh;
        void old?.close().catch(() => {});
        applied.push('http listener');
      } catch (err) {
        log.error({ err: (err as Error).message, listener: `${next.HTTPListener}:${next.HttpPort}` }, 'reload: cannot listen on the new HTTP address; keeping the old one');
        next = { ...next, HTTPListener: prev.HTTPListener, HttpPort: prev.HttpPort, HttpOn: prev.HttpOn };
      }
    } else if (!next.HttpOn && http) {
      const old = http; http = null; void old.close().catch(() => {});
      applied.push('http off');
    }
    if (changed(prev, next, ['ExternalOn', 'Resolvers', 'ZoneResolvers', 'Timeout', 'CacheOn', 'CacheMaxEntries', 'CacheMaxBytes',
      'ForwardMaxOutstanding', 'ForwardAllowFrom', 'ForwardMaxTTL', 'SetTruncateBit', 'RecurseOn'])) {
      forwarderChanged = true;
      if (threads === 1) {
        const old = forwarder;
        forwarder = next.ExternalOn ? createForwarder(next, log) : null;
        handlerDeps.forwarder = forwarder;
        void metrics().then((m) => m.setForwarder(forwarder));
        retire(old, () => old?.inFlight ?? 0, prev.Timeout || 5);
      }
      applied.push('forwarding');
    }
    // The stream starts over only when what it subscribes with changes: master access (a new
    // worker holds the new TLS and credentials) or StateSource. Anything else keeps the
    // subscription (no new 50-175 MB snapshot from the master) and republishes its model.
    const accessChanged = changed(prev, next, ['MesosHTTPSOn', 'CACertFile', 'CertFile', 'KeyFile', 'MesosAuthentication',
      'MesosCredentials', 'IAMConfigFile', 'StateTimeoutSeconds']);
    const sourceChanged = next.StateSource !== prev.StateSource;
    const mastersChanged = changed(prev, next, ['Zk', 'Masters', 'ZkDetectionTimeout']);
    const paramsBefore = JSON.stringify(buildParams(detector.current()));
    const restart = sourceChanged || (accessChanged && source === 'stream');
    if (restart && source === 'stream') {
      await builder.stopStream().catch((err) => log.warn({ err: (err as Error).message }, 'reload: the old stream did not stop cleanly'));
    }
    if (accessChanged) {
      // The worker's state client holds TLS and credentials: a new worker. The old one still
      // renders bodies of the zone being served, until that zone is replaced.
      const old = builder;
      builder = newBuilder(next);
      retiredBuilders.push(old);
      applied.push('state client');
    }
    if (xfr.reconfigure(next)) applied.push('zone transfer');
    if (changed(prev, next, ['PTROn', 'PTRZones'])) reverseZone = null; // rebuilt by the next version
    ifAddrs = next.Listener === '0.0.0.0' ? interfaceAddresses() : [];
    config = next;
    authority = createAuthority(config, snapshot?.image ?? null, snapshot?.serial ?? serials.current);
    reverse = config.PTROn && reverseZone ? createReverseAuthority(config, reverseZone, snapshot?.serial ?? serials.current) : null;
    // Threads started by this reload already have it; the others take it (and new forwarders) now.
    if (pool && !freshPool) pool.setConfig(config, forwarderChanged);
    if (restart) {
      source = next.StateSource === 'poll' ? 'poll' : 'stream';
      if (sourceChanged) applied.push('state source');
      log.info({ stateSource: next.StateSource, source }, source === 'stream'
        ? 'state source: the master\'s event stream (POST /api/v1 SUBSCRIBE)' : 'state source: polling /master/state every RefreshSeconds');
    }
    if (mastersChanged) {
      const old = detector;
      detector = createMasterDetector(next, log);
      detector.start(onMasters);
      void old.close().catch(() => {});
      applied.push('masters');
    }
    if (source === 'poll') {
      if (reconcileTimer) clearInterval(reconcileTimer);
      reconcileTimer = null;
      if (timer && (restart || next.RefreshSeconds !== prev.RefreshSeconds)) { clearInterval(timer); timer = null; }
      startPolling();
      await refresh();
    } else {
      if (timer) clearInterval(timer);
      timer = null;
      startReconcile();
      const update = detector.current();
      if (restart || mastersChanged) { streamStarted = true; startStream(update); }
      else {
        // The same subscription: its model is published again when the new settings change what
        // is built (TTL, domain, IPSources …); it hears the rest (StreamRecoveryGraceSeconds).
        const rebuild = JSON.stringify(buildParams(update)) !== paramsBefore;
        await builder.stream(update.masters, buildParams(update), streamHandlers, { config: next, rebuild })
          .catch((err) => log.warn({ err: (err as Error).message }, 'reload: the stream did not take the new settings'));
      }
    }
    return applied;
  }

  return {
    dnsPort,
    httpPort: http?.port ?? null,
    refreshNow: () => (source !== 'stream' ? refresh()
      : !streamStarted && firstLoading ? firstLoading : builder.resubscribe().catch(() => {})),
    snapshot: () => snapshot,
    readiness,
    reload,
    beginShutdown: () => { shuttingDown = true; },
    onVersion: (l) => { listeners.add(l); return () => listeners.delete(l); },
    answerThreads: () => pool,
    close: async () => {
      closed = true;
      shuttingDown = true;
      if (timer) clearInterval(timer);
      if (reconcileTimer) clearInterval(reconcileTimer);
      clearInterval(staleTimer);
      if (bumpTimer) clearTimeout(bumpTimer);
      stopFdWatch();
      loopDelay?.disable();
      xfr.close();
      // No new queries; forwarded ones in flight get their answer (or time out) before the
      // sockets they must be sent on close.
      dns?.drain();
      pool?.drain();
      const until = Date.now() + (config.Timeout > 0 ? config.Timeout : 5) * 1000 + 100;
      while (forwarder && forwarder.inFlight > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      await Promise.allSettled([
        detector.close(), dns?.close(), pool?.close(), http?.close(), forwarder?.close(), builder.close(),
        ...retiredBuilders.map((b) => b.close()),
      ]);
    },
  };
}
