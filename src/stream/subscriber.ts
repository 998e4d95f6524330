// The event-stream subscriber: one long-lived `POST /api/v1 {"type":"SUBSCRIBE"}` to the leading
// master, its RecordIO records fed to the cluster model, and the model published (coalesced over
// a few tens of ms) as zone versions. It runs in the build worker (zone/worker.ts), so that the
// 50-175 MB SUBSCRIBED snapshot is read there, never on the answering thread, and the socket is
// drained while zones build (MESOS-7748: a slow subscriber makes the master hold everything).
//
// Liveness is ours to judge (NEXT.md §1.2, §1.8-1.9): the master sends a HEARTBEAT every
// `heartbeat_interval_seconds`; no record for 3 of them means the stream is dead (a master that
// lost leadership exits, possibly mid-record). Then, and on any error, it reconnects with
// jittered exponential backoff (≤ 1 s first, 30 s cap); at once when ZooKeeper names a new
// leader. A 307 (not the leader) is followed to its `//host:port/api/v1`; a 503 (recovering, or
// no leader elected) is retried. A master without the v1 API (404/405/501) ends the stream for
// good in `auto` mode: the server polls instead.
import { Agent, Client, request, type Dispatcher } from 'undici';
import type { Settings } from '../config/types.js';
import type { Logger } from '../log.js';
import { DEFAULT_MAX_BODY_BYTES } from '../state/fetch.js';
import { masterAccess, type MasterAccess } from '../state/auth.js';
import { joinHostPort, splitHostPort } from '../net/hostport.js';
import { RecordIOParser } from './recordio.js';
import { readSubscribed, recordType } from './snapshot.js';
import { ClusterModel, type PublishState } from './model.js';
import { BatchClock, clock } from './trace.js';

/** Events are coalesced this long before a zone version is published. */
export const COALESCE_MS = 20;
/** Framework pids are re-read from /master/state-summary this long after a framework event. */
const PIDS_DEBOUNCE_MS = 100;
const BACKOFF_FIRST_MS = 500;
const BACKOFF_CAP_MS = 30_000;
/** A master's HEARTBEAT interval before SUBSCRIBED says otherwise (mesos: DEFAULT_HEARTBEAT_INTERVAL). */
const DEFAULT_HEARTBEAT_S = 15;
const MAX_REDIRECTS = 3;
/** Caps on the small JSON answers (state-summary has no tasks; GET_MASTER is one object). */
const MAX_SMALL_BODY = 64 * 1024 * 1024;

/** The master has no v1 operator API (404/405/501): polling is the only way. */
export class StreamUnsupported extends Error {}

export interface SubscriberOptions {
  settings: Settings;
  log: Logger;
  publish: PublishState;
  /** `auto`: the master has no v1 API; the caller switches to polling. Called once. */
  onUnsupported(reason: string): void;
  /** Tell the caller about the stream (for its log and /v1/config). */
  onStatus?(status: { master: string; leader: string; subscribed: boolean }): void;
  /** `stats` changed (a record, a subscription, a disconnect): the worker reports it onwards. */
  onStats?(): void;
  /** The size cap of a record (the state body limit). */
  maxRecordBytes?: number;
}

/** Event types counted by name in the metrics; anything else a master sends counts as `other`. */
const EVENT_TYPES = new Set(['SUBSCRIBED', 'HEARTBEAT', 'TASK_ADDED', 'TASK_UPDATED', 'AGENT_ADDED', 'AGENT_REMOVED',
  'FRAMEWORK_ADDED', 'FRAMEWORK_UPDATED', 'FRAMEWORK_REMOVED']);

/**
 * Running totals of this subscriber (the worker turns them into the answering thread's metrics,
 * state/metrics.ts): every field but `connected` and `recovering` only grows.
 */
export interface StreamStats {
  subscribes: number;
  records: number;
  bytes: number;
  /** Records by event type (bounded: EVENT_TYPES, else `other`). */
  events: Map<string, number>;
  /** A SUBSCRIBED snapshot has been read and the stream is still open. */
  connected: boolean;
  /** Agents served from before a failover (see ClusterModel). */
  recovering: number;
  recoveredTotal: number;
}

const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
  if (signal.aborted) return resolve();
  const t = setTimeout(resolve, ms);
  signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
});

function errorText(e: unknown): string {
  const err = e as Error & { code?: string; cause?: Error };
  const msg = err?.message || err?.code || String(e);
  return err?.cause?.message ? `${msg}: ${err.cause.message}` : msg;
}

export class Subscriber {
  readonly model = new ClusterModel();
  readonly stats: StreamStats = { subscribes: 0, records: 0, bytes: 0, events: new Map(), connected: false, recovering: 0, recoveredTotal: 0 };
  private readonly access: MasterAccess;
  /** Short requests (GET_MASTER, state-summary): pooled apart from the stream's own Client. */
  private readonly agent: Agent;
  private masters: string[] = [];
  private closed = false;
  /** Aborts the running session (leader change, close, watchdog) or the backoff sleep. */
  private kick = new AbortController();
  private loop: Promise<void> | null = null;
  private publishTimer: NodeJS.Timeout | null = null;
  private pidsTimer: NodeJS.Timeout | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private current = '';
  /** The master streamed from now ("" between subscriptions). */
  get master(): string { return this.current; }
  /** The running session has read its SUBSCRIBED snapshot (its failure then restarts the backoff). */
  private gotSnapshot = false;
  private attempt = 0;
  private waiters: (() => void)[] = [];
  private readonly maxRecord: number;
  /** The model has a snapshot and the light reads after it: versions may be published. */
  private ready = false;
  /** When the events of the next batch were read and applied (stream/trace.ts). */
  private readonly batch = new BatchClock();

  constructor(private readonly o: SubscriberOptions) {
    this.access = masterAccess(o.settings.master, o.log);
    this.agent = new Agent({ connect: this.access.tls, headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 4_000 });
    this.maxRecord = o.maxRecordBytes ?? DEFAULT_MAX_BODY_BYTES;
  }

  /**
   * The masters to subscribe to, leader first (tried in turn while they fail). A new leader
   * ends the running stream, or the backoff wait, at once.
   */
  setMasters(masters: string[]): void {
    const list = masters.filter((m) => m !== '');
    const leaderChanged = list[0] !== this.masters[0];
    this.masters = list;
    this.attempt = 0;
    if (leaderChanged && this.loop && this.current !== list[0]) {
      this.o.log.info({ from: this.current || undefined, to: list[0] }, 'stream: new leading master; subscribing to it');
      this.restart();
    }
    this.loop ??= this.run();
  }

  /** End the running stream (or backoff) and subscribe again at once. */
  restart(): void {
    const k = this.kick;
    this.kick = new AbortController();
    k.abort(new Error('resubscribing'));
  }

  /**
   * New settings that need no new subscription (StreamRecoveryGraceSeconds, StateSource between
   * auto and stream). Master access (TLS, credentials) lives in a new worker instead.
   */
  setSettings(settings: Settings): void {
    this.o.settings = settings;
  }

  /**
   * Publish the model again, built whole (the build parameters changed: a reload). Resolves once
   * it is published; at once when no snapshot is held (the next one uses the new parameters).
   */
  republish(): Promise<void> {
    if (!this.ready) return Promise.resolve();
    this.model.markFull();
    return this.publishNow();
  }

  /** Resolves after the next snapshot is published or the next attempt fails (tests, SIGUSR1). */
  resubscribe(): Promise<void> {
    const p = new Promise<void>((r) => this.waiters.push(r));
    this.restart();
    return p;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.restart();
    for (const t of [this.publishTimer, this.pidsTimer, this.sweepTimer]) if (t) clearTimeout(t);
    await this.loop?.catch(() => {});
    await this.agent.destroy().catch(() => {});
    this.settle();
  }

  private settle(): void {
    const w = this.waiters;
    this.waiters = [];
    w.forEach((r) => r());
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.closed) {
      const signal = this.kick.signal;
      const master = this.masters.length ? this.masters[this.attempt % this.masters.length] : undefined;
      this.gotSnapshot = false;
      try {
        if (master === undefined) throw new Error('no master known yet');
        await this.session(master, signal);
      } catch (e) {
        if (e instanceof StreamUnsupported) {
          if (this.o.settings.config.StateSource === 'auto') {
            this.o.onUnsupported(e.message);
            this.settle();
            return;
          }
          this.o.log.warn({ master, err: e.message }, 'stream: the master has no v1 operator API (StateSource is "stream": retrying)');
        } else if (!signal.aborted || this.closed) {
          if (!this.closed) this.o.log.warn({ master, err: errorText(e) }, 'stream: subscription ended; keeping the current records');
        }
      }
      this.current = '';
      this.settle();
      if (this.closed) break;
      if (signal.aborted) { failures = 0; continue; } // kicked: reconnect at once
      failures = this.gotSnapshot ? 1 : failures + 1;
      if (!this.gotSnapshot) this.attempt++; // the next master of the list
      // Jittered exponential backoff: 0.5 s, 1 s, 2 s ... 30 s, each scaled by 0.5-1.
      const ms = Math.min(BACKOFF_CAP_MS, BACKOFF_FIRST_MS * 2 ** Math.max(0, failures - 1)) * (0.5 + Math.random() / 2);
      await sleep(ms, this.kick.signal);
    }
  }

  private url(hostPort: string, path: string): string {
    const hp = splitHostPort(hostPort);
    if (!hp) throw new Error(`invalid master address ${JSON.stringify(hostPort)}`);
    return `${this.access.scheme}://${joinHostPort(hp.host, hp.port)}${path}`;
  }

  /** One subscription, until it ends (by a throw). */
  private async session(start: string, signal: AbortSignal): Promise<never> {
    let target = start;
    for (let hops = 0; ; hops++) {
      const origin = new URL(this.url(target, '/'));
      const client = new Client(origin.origin, {
        connect: this.access.tls, headersTimeout: this.o.settings.config.StateTimeoutSeconds * 1000, bodyTimeout: 0,
      });
      try {
        const authorization = await this.access.authorization(this.agent, signal);
        const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'Mesos-DNS' };
        if (authorization !== null) headers['authorization'] = authorization;
        const res = await client.request({ path: '/api/v1', method: 'POST', headers, body: '{"type":"SUBSCRIBE"}', signal });
        const status = res.statusCode;
        if (status === 200) return await this.consume(target, res, signal);
        const location = res.headers['location'];
        await res.body.dump().catch(() => {});
        if (status === 307 && typeof location === 'string' && location !== '') {
          if (hops >= MAX_REDIRECTS) throw new Error(`stopped after ${MAX_REDIRECTS} redirects`);
          const next = new URL(location, origin); // Location is `//host:port/api/v1`: our scheme
          this.o.log.info({ master: target, location }, 'stream: not the leading master; following its redirect');
          target = next.host;
          continue;
        }
        if (status === 404 || status === 405 || status === 501) {
          throw new StreamUnsupported(`POST /api/v1 answered HTTP ${status} (a master older than Mesos 1.1, or the API is off)`);
        }
        if (status === 503) throw new Error('HTTP 503: the master is recovering or no leader is elected; retrying');
        throw new Error(`POST /api/v1 answered HTTP ${status}`);
      } finally {
        client.destroy().catch(() => {});
      }
    }
  }

  /** Read the stream until it ends (always by a throw: a stream has no normal end). */
  private async consume(master: string, res: Dispatcher.ResponseData, signal: AbortSignal): Promise<never> {
    const log = this.o.log;
    let subscribed = false;
    this.ready = false;
    let heartbeatS = DEFAULT_HEARTBEAT_S;
    const watchdog = new AbortController();
    let timer: NodeJS.Timeout | null = null;
    const arm = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => watchdog.abort(new Error(`no record for ${+(3 * heartbeatS).toFixed(3)} s (3 heartbeat intervals)`)), 3 * heartbeatS * 1000);
    };
    arm();
    const onKick = () => res.body.destroy();
    signal.addEventListener('abort', onKick, { once: true });
    watchdog.signal.addEventListener('abort', onKick, { once: true });
    this.current = master;
    const records: Buffer[] = [];
    const parser = new RecordIOParser(this.maxRecord, (r) => records.push(r));
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        const readAt = clock();
        this.stats.bytes += chunk.length;
        parser.push(chunk);
        if (!records.length) continue;
        arm();
        for (const r of records.splice(0)) {
          this.stats.records++;
          if (!subscribed) {
            if (recordType(r) !== 'SUBSCRIBED') throw new Error(`the stream did not start with SUBSCRIBED (got ${JSON.stringify(recordType(r))})`);
            heartbeatS = this.snapshot(master, r);
            subscribed = true;
            this.batch.reset();
            this.gotSnapshot = true;
            arm();
            // The leader and the framework pids (not in v1) before the first publish. The stream
            // is drained meanwhile; events applied before then go out with the first version.
            void this.light(master, signal).finally(() => { this.ready = true; void this.publishNow(); });
            continue;
          }
          let e: Record<string, unknown>;
          try {
            e = JSON.parse(r.toString('utf8')) as Record<string, unknown>;
          } catch (err) {
            log.warn({ master, err: (err as Error).message }, 'stream: skipping a record that is not JSON');
            continue;
          }
          this.count(typeof e['type'] === 'string' ? e['type'] : '');
          if (e['type'] === 'HEARTBEAT') continue;
          const known = this.model.apply(e);
          this.batch.event(readAt);
          if (!known) { log.debug({ type: e['type'] }, 'stream: ignoring an event of an unknown type'); continue; }
          if (this.model.needsPids) this.schedulePids(master);
          if (e['type'] === 'AGENT_ADDED' && this.model.recovering.size + this.stats.recovering > 0) {
            this.stats.recovering = this.model.recovering.size;
            this.scheduleSweep();
          }
          if (this.ready) this.schedulePublish();
        }
      }
      throw new Error('the master closed the stream');
    } catch (e) {
      const dropped = parser.end();
      const why = watchdog.signal.aborted ? watchdog.signal.reason as Error : signal.aborted ? signal.reason as Error : e as Error;
      throw dropped > 0 ? new Error(`${errorText(why)} (a partial record of ${dropped} bytes dropped)`) : why;
    } finally {
      if (timer) clearTimeout(timer);
      if (this.stats.connected) { this.stats.connected = false; this.o.onStats?.(); }
      signal.removeEventListener('abort', onKick);
      // What was applied is published: the model stays the last good state until the next snapshot.
      if (this.publishTimer) { clearTimeout(this.publishTimer); this.publishTimer = null; void this.publishNow(); }
    }
  }

  private count(type: string): void {
    const k = EVENT_TYPES.has(type) ? type : 'other';
    this.stats.events.set(k, (this.stats.events.get(k) ?? 0) + 1);
    this.o.onStats?.();
  }

  /** A SUBSCRIBED record: the model starts over from it. Returns the heartbeat interval. */
  private snapshot(master: string, record: Buffer): number {
    const t0 = performance.now();
    const snap = this.model.beginSnapshot(Date.now());
    const { heartbeatSeconds } = readSubscribed(record, snap.visitor);
    const grace = this.o.settings.config.StreamRecoveryGraceSeconds * 1000;
    const kept = snap.end(grace);
    this.stats.subscribes++;
    this.stats.connected = true;
    this.count('SUBSCRIBED');
    this.stats.recovering = this.model.recovering.size;
    this.stats.recoveredTotal += kept.length;
    if (kept.length) {
      this.o.log.warn({ master, agents: kept.length, graceSeconds: this.o.settings.config.StreamRecoveryGraceSeconds },
        'stream: the master has not seen these agents re-register yet (failover); serving their last-known records meanwhile');
      this.scheduleSweep();
    }
    this.o.log.info({ master, bytes: record.length, ms: Math.round(performance.now() - t0), ...this.model.counts, heartbeatSeconds },
      'stream: subscribed; snapshot read');
    return heartbeatSeconds;
  }

  /** GET_MASTER (the leader) and /master/state-summary (framework pids), which v1 events lack. */
  private async light(master: string, signal: AbortSignal): Promise<void> {
    const [gm, summary] = await Promise.allSettled([
      this.small(master, '/api/v1', signal, '{"type":"GET_MASTER"}'),
      this.small(master, '/master/state-summary', signal),
    ]);
    const pid = gm.status === 'fulfilled'
      ? ((gm.value as { get_master?: { master_info?: { pid?: unknown } } })?.get_master?.master_info?.pid) : undefined;
    if (typeof pid === 'string' && pid !== '') this.model.setLeader(pid);
    else {
      // The master we stream from is the leader (others redirect): name it as its pid would.
      const fallback = `master@${master}`;
      this.o.log.warn({ master, err: gm.status === 'rejected' ? errorText(gm.reason) : 'no master_info.pid' }, 'stream: GET_MASTER failed; naming the streaming master as the leader');
      this.model.setLeader(fallback);
    }
    if (summary.status === 'fulfilled') this.model.setFrameworkPids(summary.value);
    else this.o.log.warn({ master, err: errorText(summary.reason) }, 'stream: /master/state-summary failed; frameworks have no pid (host name only, no _framework SRV) until it works');
    this.o.onStatus?.({ master, leader: this.model.leader, subscribed: true });
  }

  private async small(master: string, path: string, signal: AbortSignal, post?: string): Promise<unknown> {
    const headers: Record<string, string> = { 'user-agent': 'Mesos-DNS', accept: 'application/json' };
    const authorization = await this.access.authorization(this.agent, signal);
    if (authorization !== null) headers['authorization'] = authorization;
    if (post !== undefined) headers['content-type'] = 'application/json';
    const deadline = AbortSignal.any([signal, AbortSignal.timeout(this.o.settings.config.StateTimeoutSeconds * 1000)]);
    const res = await request(this.url(master, path), { dispatcher: this.agent, method: post !== undefined ? 'POST' : 'GET', headers, body: post, signal: deadline });
    if (res.statusCode !== 200) {
      await res.body.dump().catch(() => {});
      throw new Error(`${path} answered HTTP ${res.statusCode}`);
    }
    const len = Number(res.headers['content-length']);
    if (Number.isFinite(len) && len > MAX_SMALL_BODY) { res.body.destroy(); throw new Error(`${path}: body of ${len} bytes is too large`); }
    return res.body.json();
  }

  private schedulePids(master: string): void {
    this.model.needsPids = false;
    if (this.pidsTimer) return;
    this.pidsTimer = setTimeout(() => {
      this.pidsTimer = null;
      this.small(master, '/master/state-summary', this.kick.signal).then(
        (s) => { this.model.setFrameworkPids(s); this.schedulePublish(); },
        (e) => this.o.log.warn({ master, err: errorText(e) }, 'stream: /master/state-summary failed; framework pids unchanged'),
      );
    }, PIDS_DEBOUNCE_MS);
  }

  private schedulePublish(): void {
    if (this.publishTimer) return;
    this.publishTimer = setTimeout(() => { this.publishTimer = null; void this.publishNow(); }, COALESCE_MS);
  }

  private publishNow(): Promise<void> {
    const { result, hint } = this.model.take();
    hint.batches = [this.batch.take()];
    return this.o.publish({ value: result }, hint).then(
      () => this.settle(),
      (e) => { this.o.log.warn({ err: errorText(e) }, 'stream: publishing a zone version failed; keeping the previous one'); this.settle(); },
    );
  }

  private scheduleSweep(): void {
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    const next = this.model.nextExpiry();
    if (next === undefined) return;
    this.sweepTimer = setTimeout(() => {
      this.sweepTimer = null;
      const dropped = this.model.sweep(Date.now());
      this.stats.recovering = this.model.recovering.size;
      if (dropped.length) {
        this.o.log.warn({ agents: dropped }, 'stream: agents did not re-register within StreamRecoveryGraceSeconds; their records are dropped');
      }
      this.schedulePublish();
      this.scheduleSweep();
    }, Math.max(0, next - Date.now()) + 5);
    this.sweepTimer.unref?.();
  }
}
