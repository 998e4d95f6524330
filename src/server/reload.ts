// SIGHUP: apply a new, already validated config without dropping a query. Its own module because
// it touches every other part (listeners, forwarder, state client, detector, state source) and
// must decide, key by key, which of them is replaced and which keeps running.
import type { Config, Settings } from '../config/types.js';
import { createMasterDetector } from '../detect/index.js';
import { createAuthority } from '../dns/authority.js';
import { createReverseAuthority } from '../dns/reverse.js';
import { createForwarder } from '../forward/index.js';
import { interfaceAddresses, type Live } from './live.js';
import type { Listeners } from './listeners.js';
import { buildParams, newBuilder } from './publish.js';
import { sayStateSource, type StateSource } from './source.js';

const changed = (a: Config, b: Config, keys: (keyof Config)[]) => keys.some((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));

/**
 * Listeners are re-bound only when their address or port changed (the new one is bound before
 * the old one closes, and a failed bind keeps the old); the forwarder, the master detector and
 * the state client are replaced only when their keys changed; then a refresh rebuilds the zone
 * (TTL, domain, … live in the zone image). Resolves with what was replaced.
 */
export function createReload(s: Live, listeners: Listeners, src: StateSource): (next: Settings) => Promise<string[]> {
  const { log, threads } = s;
  const { listenDns, listenThreads, listenHttp, retire, metrics, handlerDeps } = listeners;
  return async function reload(loaded: Settings): Promise<string[]> {
    const prev = s.config;
    let next = loaded.config;
    /** The reloaded settings with `next`, the config as this reload applies it (some keys kept below). */
    const nextSettings = (): Settings => ({ ...loaded, config: next });
    const applied: string[] = [];
    if (next.AnswerThreads !== prev.AnswerThreads) {
      // The threads own the sockets, the forwarders and the journal: their number is fixed at start.
      log.warn({ answerThreads: threads, configured: next.AnswerThreads }, 'reload: AnswerThreads takes effect at the next start; the running threads keep answering');
      next = { ...next, AnswerThreads: prev.AnswerThreads };
    }
    let freshPool = false;
    let forwarderChanged = false;
    if (next.DnsOn && (!(s.dns || s.pool) || changed(prev, next, ['Listener', 'Port']))) {
      try {
        if (threads > 1) {
          // New threads bound first, then the old ones take no new queries and end (pool.close waits for their in-flight).
          const fresh = await listenThreads(nextSettings());
          const old = s.pool;
          s.pool = fresh;
          freshPool = true;
          old?.drain();
          void old?.close();
        } else {
          const fresh = await listenDns(next);
          const old = s.dns;
          s.dns = fresh;
          old?.drain();
          retire(old, () => s.forwarder?.inFlight ?? 0, prev.Timeout || 5);
        }
        applied.push('dns listener');
      } catch (err) {
        log.error({ err: (err as Error).message, listener: `${next.Listener}:${next.Port}` }, 'reload: cannot listen on the new DNS address; keeping the old one');
        next = { ...next, Listener: prev.Listener, Port: prev.Port, DnsOn: prev.DnsOn };
      }
    } else if (!next.DnsOn && (s.dns || s.pool)) {
      const old = s.dns; s.dns = null; old?.drain(); retire(old, () => s.forwarder?.inFlight ?? 0, prev.Timeout || 5);
      const oldPool = s.pool; s.pool = null; oldPool?.drain(); void oldPool?.close();
      applied.push('dns off');
    }
    if (next.HttpOn && (!s.http || changed(prev, next, ['HTTPListener', 'HttpPort']))) {
      try {
        const fresh = await listenHttp(next);
        const old = s.http;
        s.http = fresh;
        void old?.close().catch(() => {});
        applied.push('http listener');
      } catch (err) {
        log.error({ err: (err as Error).message, listener: `${next.HTTPListener}:${next.HttpPort}` }, 'reload: cannot listen on the new HTTP address; keeping the old one');
        next = { ...next, HTTPListener: prev.HTTPListener, HttpPort: prev.HttpPort, HttpOn: prev.HttpOn };
      }
    } else if (!next.HttpOn && s.http) {
      const old = s.http; s.http = null; void old.close().catch(() => {});
      applied.push('http off');
    }
    if (changed(prev, next, ['ExternalOn', 'Resolvers', 'ZoneResolvers', 'Timeout', 'CacheOn', 'CacheMaxEntries', 'CacheMaxBytes',
      'ForwardMaxOutstanding', 'ForwardAllowFrom', 'ForwardMaxTTL', 'SetTruncateBit', 'RecurseOn'])) {
      forwarderChanged = true;
      if (threads === 1) {
        const old = s.forwarder;
        const forwarder = next.ExternalOn ? createForwarder(nextSettings(), log) : null;
        s.forwarder = forwarder;
        handlerDeps.forwarder = forwarder;
        void metrics().then((m) => m.setForwarder(s.forwarder));
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
    const paramsBefore = JSON.stringify(buildParams(s, s.detector.current()));
    const restart = sourceChanged || (accessChanged && s.source === 'stream');
    if (restart && s.source === 'stream') {
      await s.builder.stopStream().catch((err) => log.warn({ err: (err as Error).message }, 'reload: the old stream did not stop cleanly'));
    }
    if (accessChanged) {
      // The worker's state client holds TLS and credentials: a new worker. The old one still
      // renders bodies of the zone being served, until that zone is replaced.
      const old = s.builder;
      s.builder = newBuilder(nextSettings(), s.verbosity);
      s.retiredBuilders.push(old);
      applied.push('state client');
    }
    if (s.xfr.reconfigure(nextSettings())) applied.push('zone transfer');
    if (changed(prev, next, ['PTROn', 'PTRZones'])) s.reverseZone = null; // rebuilt by the next version
    s.ifAddrs = next.Listener === '0.0.0.0' ? interfaceAddresses() : [];
    s.settings = nextSettings();
    s.config = next;
    const config = next;
    s.authority = createAuthority(config, s.snapshot?.image ?? null, s.snapshot?.serial ?? s.serials.current);
    s.reverse = config.PTROn && s.reverseZone ? createReverseAuthority(config, s.reverseZone, s.snapshot?.serial ?? s.serials.current) : null;
    // Threads started by this reload already have it; the others take it (and new forwarders) now.
    if (s.pool && !freshPool) s.pool.setSettings(s.settings, forwarderChanged);
    if (restart) {
      s.source = next.StateSource === 'poll' ? 'poll' : 'stream';
      if (sourceChanged) applied.push('state source');
      sayStateSource(s);
    }
    if (mastersChanged) {
      const old = s.detector;
      s.detector = createMasterDetector(s.settings, log);
      s.detector.start(src.onMasters);
      void old.close().catch(() => {});
      applied.push('masters');
    }
    if (s.source === 'poll') {
      src.stopReconcile();
      if (restart || next.RefreshSeconds !== prev.RefreshSeconds) src.stopPolling();
      src.startPolling();
      await src.refresh();
    } else {
      src.stopPolling();
      src.startReconcile();
      const update = s.detector.current();
      if (restart || mastersChanged) src.restartStream(update);
      else {
        // The same subscription: its model is published again when the new settings change what
        // is built (TTL, domain, IPSources …); it hears the rest (StreamRecoveryGraceSeconds).
        const rebuild = JSON.stringify(buildParams(s, update)) !== paramsBefore;
        await s.builder.stream(update.masters, buildParams(s, update), src.streamHandlers, { settings: s.settings, rebuild })
          .catch((err) => log.warn({ err: (err as Error).message }, 'reload: the stream did not take the new settings'));
      }
    }
    return applied;
  };
}
