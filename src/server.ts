// The running server: leader detection → state fetch → (worker) record generation → zone swap,
// with DNS and HTTP answering from whatever zone is current. Listeners start before the first
// state load (A.1) so forwarding works at once and the domain answers SERVFAIL, not silence.
// Refreshes never overlap: a trigger during a refresh marks one more to run right after it, so a
// burst of ZooKeeper events or a slow master can never queue up work.
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import type { Config } from './config/types.js';
import type { Logger } from './log.js';
import { createMasterDetector, type MasterDetector, type MastersUpdate } from './detect/index.js';
import { ZoneBuilder, BuildError } from './zone/builder.js';
import type { BuildParams } from './zone/build.js';
import { ImageSnapshot } from './zone/snapshot.js';
import { SerialPolicy } from './zone/serial.js';
import type { ZoneChangeSet, ZoneDiff } from './zone/changes.js';
import { createAuthority } from './dns/authority.js';
import { createQueryHandler } from './dns/handler.js';
import { startDnsServer, type DnsServer } from './dns/server.js';
import { startHttpServer } from './http/api.js';
import { createForwarder } from './forward/index.js';
import type { Forwarder } from './forward/types.js';

/** The package version, read once from package.json so there is one place to bump it. */
export const VERSION: string = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

export interface RunningServer {
  dnsPort: number | null;
  httpPort: number | null;
  /** Resolves after the next refresh attempt completes (tests, demo). */
  refreshNow(): Promise<void>;
  snapshot(): ImageSnapshot | null;
  /** Call `listener` with every zone version swapped in (serial, change set); returns the unsubscribe. */
  onVersion(listener: (v: ImageSnapshot) => void): () => void;
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

export async function startServer(config: Config, log: Logger, options: ServerOptions = {}): Promise<RunningServer> {
  const serials = new SerialPolicy(options.serial);
  let snapshot: ImageSnapshot | null = null;
  let authority = createAuthority(config, null, serials.current);
  const liveConfig = () => ({ ...config, SOASerial: serials.current });
  const listeners = new Set<(v: ImageSnapshot) => void>();

  const forwarder: Forwarder | null = config.ExternalOn ? createForwarder(config, log) : null;
  const detector: MasterDetector = createMasterDetector(config, log);
  const builder = new ZoneBuilder(config, log.level === 'trace' ? 2 : log.level === 'debug' ? 1 : 0,
    Math.min(config.StateTimeoutSeconds, 10) * 1000);
  const ifAddrs = config.Listener === '0.0.0.0' ? interfaceAddresses() : [];

  let dns: DnsServer | null = null;
  let http: { port: number; close(): Promise<void> } | null = null;
  try {
    if (config.DnsOn) {
      dns = await startDnsServer({
        host: config.Listener, port: config.Port, log,
        handler: createQueryHandler({ authority: () => authority, forwarder }),
      });
    }
    if (config.HttpOn) {
      http = await startHttpServer({
        config: liveConfig,
        snapshot: () => snapshot,
        version: VERSION,
        mastersSource: () => { const c = detector.current(); return { masters: c.masters, source: c.source }; },
        log,
      }, config.HTTPListener, config.HttpPort);
    }
  } catch (err) {
    await dns?.close();
    await forwarder?.close();
    throw err;
  }
  log.info({ dns: dns && `${config.Listener}:${dns.udpPort}`, http: http && `${config.HTTPListener}:${http.port}`, domain: config.Domain }, 'listening');

  // ---- refresh loop ----
  // The answering thread's worst event-loop delay since the previous refresh line: the one
  // number that tells an operator whether anything (a refresh included) held answers up.
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  let running: Promise<void> | null = null;
  let again = false;
  let closed = false;
  let waiters: (() => void)[] = [];

  async function refreshOnce(update: MastersUpdate): Promise<void> {
    const t0 = performance.now();
    const params: BuildParams = {
      generate: {
        domain: config.Domain, nsName: config.SOAMname, listener: config.Listener,
        enforceRFC952: config.EnforceRFC952, ipSources: config.IPSources,
        masters: update.masters, interfaceAddrs: ifAddrs,
      },
      image: { domain: config.Domain, ttl: config.TTL, srvWeight: config.SRVRecordDefaultWeight },
    };
    const { zone, changes, draft, stages, master } = await builder.refresh(update.masters, params);
    if (closed) return;
    const changed = snapshot?.contentHash !== zone.contentHash;
    const previous = snapshot;
    const fromSerial = serials.current;
    const serial = changed ? serials.changed() : fromSerial;
    swapIn(new ImageSnapshot(zone, draft, serial, builder, stamp(changes, fromSerial, serial)));
    previous?.release(); // answers read it synchronously; bulk bodies copy its records first (release())
    for (const w of zone.warnings) log.warn({ master }, w);
    log.info({
      durationMs: Math.round(performance.now() - t0),
      master, mastersSource: update.source, leader: zone.leader,
      ...zone.counts, skipped: zone.warningCounts?.total ?? zone.warnings.length,
      newWarnings: zone.warningCounts?.fresh ?? zone.warnings.length, serial, changed, stagesMs: stages,
      loopDelayMaxMs: Math.round(loopDelay.max / 1e5) / 10,
    }, 'refresh');
    loopDelay.reset();
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

  detector.start(() => { void refresh(); });
  const timer = setInterval(() => { void refresh(); }, config.RefreshSeconds * 1000);

  return {
    dnsPort: dns?.udpPort ?? null,
    httpPort: http?.port ?? null,
    refreshNow: refresh,
    snapshot: () => snapshot,
    onVersion: (l) => { listeners.add(l); return () => listeners.delete(l); },
    close: async () => {
      closed = true;
      clearInterval(timer);
      if (bumpTimer) clearTimeout(bumpTimer);
      loopDelay.disable();
      await Promise.allSettled([
        detector.close(), dns?.close(), http?.close(), forwarder?.close(), builder.close(),
      ]);
    },
  };
}
