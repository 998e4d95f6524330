// The listeners: DNS on this thread or on answering threads (threads/pool.ts), HTTP, and what
// they are wired to (the query handler, /metrics). Both start and a reload re-binds them through
// the same functions, so a reload binds exactly as the start did, before the old socket closes.
import type { AnswerSettings, Config } from '../config/types.js';
import type { ConnectionCaps } from '../net/fd-budget.js';
import { createQueryHandler } from '../dns/handler.js';
import { startDnsServer } from '../dns/server.js';
import { forwarderView, startAnswerThreads } from '../threads/pool.js';
import { startHttpServer } from '../http/api.js';
import type { Live } from './live.js';
import { postZone } from './publish.js';
import { isStale, readiness } from './status.js';

export type Listeners = ReturnType<typeof createListeners>;

export function createListeners(s: Live, caps: ConnectionCaps, version: string) {
  const log = s.log;
  const liveConfig = () => ({ ...s.config, SOASerial: s.serials.current, AnswerThreads: s.threads });
  // The metrics library and the series declarations (~0.1 s of module loading) are loaded once
  // the listeners are up: nothing before the first answer needs them, and /metrics waits for them.
  let metricsModule: Promise<typeof import('../metrics/index.js')> | null = null;
  const metrics = () => (metricsModule ??= import('../metrics/index.js').then((m) => {
    m.registerAllMetrics();
    m.setForwarder(s.forwarder);
    m.setZoneInfo(() => (s.snapshot ? { serial: s.snapshot.serial, names: s.names, byType: s.byType, loadedAt: s.loadedAt, stale: isStale(s) } : null));
    m.setXfr(s.xfr);
    return m;
  }));
  const handlerDeps = { authority: () => s.authority, forwarder: s.forwarder, transfer: s.xfr.handle, reverse: () => s.reverse };
  const handler = createQueryHandler(handlerDeps);
  const listenDns = (c: Config) => startDnsServer({ host: c.Listener, port: c.Port, log, handler, tcp: { maxConnections: caps.dnsTcp } });
  /** Answering threads on `c`'s address, answering from the current zone once listening. */
  const listenThreads = async (c: AnswerSettings) => {
    const snap = s.snapshot;
    const p = await startAnswerThreads(c, s.threads, log, s.verbosity, { maxConnections: caps.dnsTcp },
      snap && snap.image.buffer instanceof SharedArrayBuffer ? { image: snap.image.buffer, serial: snap.serial, changes: snap.changes, ptr: s.reverseZone?.pairs ?? null } : null);
    if (s.snapshot && s.snapshot !== snap) postZone(s, p, s.snapshot); // a version swapped in while they started
    return p;
  };
  /** /metrics: with answering threads, their counters are summed first (the series read them when rendered). */
  const exposition = async (openMetrics: boolean) => {
    const m = await metrics();
    const t = s.pool && await s.pool.totals().catch(() => null);
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
        snapshot: () => s.snapshot,
        version,
        mastersSource: () => { const c = s.detector.current(); return { masters: c.masters, source: c.source }; },
        stateSourceInUse: () => s.source,
        watch: (req, res, since) => s.xfr.watch.handle(req, res, since),
        log,
        exposition,
        readiness: () => readiness(s),
      }, c.HTTPListener, c.HttpPort, caps.http);
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
  return { metrics, handlerDeps, listenDns, listenThreads, listenHttp, retire };
}
