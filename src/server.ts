// The running server: leader detection → state fetch → (worker) record generation → zone swap,
// with DNS and HTTP answering from whatever zone is current. Listeners start before the first
// state load [A.1] so forwarding works at once and the domain answers SERVFAIL, not silence.
// This file keeps the start-up flow; its parts live in src/server/: what they share (live.ts),
// the snapshot file served first (snapshot-file.ts), the listeners (listeners.ts), the state
// source, poll or stream (source.ts), publishing a zone version (publish.ts), reload (reload.ts),
// readiness and staleness (status.ts) and shutdown (shutdown.ts).
import { createRequire } from 'node:module';
import type { Settings } from './config/types.js';
import type { Logger } from './log.js';
import { createMasterDetector } from './detect/index.js';
import { protectAnswers } from './zone/priority.js';
import type { ImageSnapshot } from './zone/snapshot.js';
import { SerialPolicy } from './zone/serial.js';
import { createAuthority } from './dns/authority.js';
import { TCP_MAX_CONNECTIONS } from './dns/tcp.js';
import { answerThreadCount, type AnswerThreads } from './threads/pool.js';
import { connectionCaps, watchDescriptors } from './net/fd-budget.js';
import { createForwarder } from './forward/index.js';
import type { Readiness } from './http/ops.js';
import { RUNTIME } from './runtime.js';
import { createXfr, transferZone } from './xfr/index.js';
import { interfaceAddresses, type Live } from './server/live.js';
import { serveSnapshotFile } from './server/snapshot-file.js';
import { bodyRenderer, createPublisher, newBuilder } from './server/publish.js';
import { createListeners } from './server/listeners.js';
import { createStateSource } from './server/source.js';
import { createReload } from './server/reload.js';
import { loopDelayMonitor, readiness, watchStaleness } from './server/status.js';
import { closeServer } from './server/shutdown.js';

export { differingNames } from './server/source.js';

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
  reload(next: Settings): Promise<string[]>;
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

export async function startServer(settings: Settings, log: Logger, options: ServerOptions = {}): Promise<RunningServer> {
  const config = settings.config;
  const verbosity = log.level === 'trace' ? 2 : log.level === 'debug' ? 1 : 0;
  // Several answering threads where the runtime can share the port (threads/pool.ts); otherwise
  // this thread answers, exactly as it always has. Fixed for the process's life (a reload keeps it).
  const { threads, why } = config.DnsOn ? await answerThreadCount(config.AnswerThreads) : { threads: 1 };
  if (why) log.info({ AnswerThreads: config.AnswerThreads, why }, 'answering on one thread');

  // With answering threads each forwards for itself (threads/pool.ts); this thread forwards nothing.
  const forwarder = config.ExternalOn && threads === 1 ? createForwarder(settings, log) : null;
  const detector = createMasterDetector(settings, log);
  const builder = newBuilder(settings, verbosity);
  const renderer = bodyRenderer(() => s.builder, threads, log);
  const ifAddrs = config.Listener === '0.0.0.0' ? interfaceAddresses() : [];

  // The last-good snapshot, before anything listens: the first answers come from it.
  const file = config.SnapshotFile ? serveSnapshotFile(config, options.serial, threads, renderer, log) : null;

  // The build worker's module load (~0.2 s) runs beside the listeners' and ZooKeeper's set-up:
  // with nothing to answer from yet, the first fetch waits for it. With the snapshot served, it
  // starts once the listeners are up, at nice 19 like any worker started while answers are served
  // (on one core, its start-up would otherwise delay the first answers from the file).
  if (file) protectAnswers();
  else builder.warm();

  // Client connections may use only part of the open-file limit (net/fd-budget.ts).
  const caps = connectionCaps(TCP_MAX_CONNECTIONS);
  log.info(caps, 'connection caps');
  const stopFdWatch = watchDescriptors(log);
  // Read on every query, so a reload swaps the forwarder without touching the listeners.
  const xfr = createXfr(settings, log);
  const serials = file?.serials ?? new SerialPolicy(options.serial);
  const s: Live = {
    log, settings, config, threads, verbosity, serials,
    snapshot: file?.snapshot ?? null,
    authority: file?.authority ?? createAuthority(config, null, serials.current),
    reverseZone: null, reverse: null,
    forwarder, builder, retiredBuilders: [], renderer, detector, xfr,
    source: config.StateSource === 'poll' ? 'poll' : 'stream',
    ifAddrs,
    loadedAt: file?.loadedAt ?? 0,
    byType: { A: 0, AAAA: 0, SRV: 0 },
    names: file?.snapshot.image.entryCount ?? 0,
    fromFile: file !== null,
    shuttingDown: false, closed: false,
    dns: null, pool: null, http: null,
    listeners: new Set(),
  };
  // Serving the snapshot file: a zone transfer sends the zone we answer, under its persisted serial
  // (a secondary that held it before the restart is told it is up to date), not SERVFAIL until
  // the first load. Not journaled nor NOTIFYed: the first load from a master starts both.
  if (file) { const f = file.snapshot; xfr.serve(transferZone(s.authority, f.image, f.serial, () => f.pin())); }
  const listeners = createListeners(s, caps, VERSION);
  try {
    if (config.DnsOn && threads > 1) s.pool = await listeners.listenThreads(settings);
    else if (config.DnsOn) s.dns = await listeners.listenDns(config);
    if (config.HttpOn) s.http = await listeners.listenHttp(config);
  } catch (err) {
    await s.dns?.close();
    await s.pool?.close();
    await forwarder?.close();
    throw err;
  }
  const dnsPort = s.dns?.udpPort ?? s.pool?.port ?? null;
  log.info({
    runtime: RUNTIME, answerThreads: config.DnsOn ? threads : 0, dns: dnsPort !== null && `${config.Listener}:${dnsPort}`,
    http: s.http && `${config.HTTPListener}:${s.http.port}`, domain: config.Domain,
  }, 'listening');
  if (file) builder.warm(); // the snapshot is served: now the worker (see above)
  void listeners.metrics();

  // Refreshes (polled) or versions (streamed) from here on, each published as the served zone.
  const loopDelay = loopDelayMonitor(threads);
  const publisher = createPublisher(s);
  const src = createStateSource(s, publisher, loopDelay);
  const stopStaleWatch = watchStaleness(s);
  src.start();
  const reload = createReload(s, listeners, src);

  return {
    dnsPort,
    httpPort: s.http?.port ?? null,
    refreshNow: src.refreshNow,
    snapshot: () => s.snapshot,
    readiness: () => readiness(s),
    reload,
    beginShutdown: () => { s.shuttingDown = true; },
    onVersion: (l) => { s.listeners.add(l); return () => s.listeners.delete(l); },
    answerThreads: () => s.pool,
    close: () => closeServer(s, { timers: [src, { stop: stopStaleWatch }, publisher], stopFdWatch, loopDelay }),
  };
}
