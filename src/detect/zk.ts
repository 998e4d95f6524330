// ZooKeeper master detection [A.17] [B§4.3]. Mesos masters register as EPHEMERAL_SEQUENTIAL
// `json.info_<seq>` children of the configured path; the lowest sequence is the leader. We watch
// those children and publish [leader, others by sequence].
//
// Built around one rule: losing ZooKeeper must never cost us the masters we know. So a loss only
// changes state (and arms the fallback timer); the list is replaced only by a newer reading from
// ZooKeeper or, after ZkDetectionTimeout, by the configured masters.
//
// node-zookeeper-client needs help to be dependable, hence the "session" wrapper below:
// - it never recovers an expired session (the client just closes), so every expiry, and any
//   connection that has not come back within a session timeout, gets a brand-new client;
// - it has no read timeout, so a server that hangs with the TCP connection open would never be
//   noticed; a probe request every third of the session timeout detects that;
// - it cannot parse `[v6]:port`, so we give it the server list ourselves;
// - close() does not stop a pending reconnect or connect timer, so disposal does that too.
// The last two reach into the client's internals and live in detect/zk-client.ts.
// Each client generation ("session") is tagged; callbacks from an old one are ignored.
import zookeeper from 'node-zookeeper-client';
import type { Config } from '../config/types.js';
import type { Logger } from '../log.js';
import type { MasterDetector, MastersUpdate } from './types.js';
import type { ZkUrl } from '../config/zkurl.js';
import { closeZkClient, connectedServer, createZkClient, errText, isCode } from './zk-client.js';
import { decodeMasterInfo, isProtobufInfo, jsonInfoSeq, mastersList, type RegisteredMaster } from './masterinfo.js';
import { detectMetrics } from './metrics.js';

export interface ZkDetectorOptions {
  /** Requested ZooKeeper session timeout (ms). We own no ephemeral nodes, so short is harmless. */
  sessionTimeoutMs?: number;
  /** Quiet time that ends a burst of changes before onChange fires (ms). */
  debounceMs?: number;
  /** Upper bound on how long a continuous burst may delay onChange (ms). */
  maxDelayMs?: number;
  /** Pause between rounds of connection attempts (ms), as node-zookeeper-client's spinDelay. */
  spinDelayMs?: number;
}

const DEFAULTS: Required<ZkDetectorOptions> = {
  sessionTimeoutMs: 10_000,
  debounceMs: 100,
  maxDelayMs: 500,
  spinDelayMs: 1000,
};

interface Session {
  id: number;
  client: zookeeper.Client;
  watcher: (ev: zookeeper.Event) => void;
  connected: boolean;
  reading: boolean;
  dirty: boolean;
  /** Fires when this client has not (re)connected within a session timeout. */
  deadline: NodeJS.Timeout | null;
  probe: NodeJS.Timeout | null;
  probeSentAt: number | null;
  server: string;
}

export class ZkMasterDetector implements MasterDetector {
  private readonly url: ZkUrl;
  private readonly opts: Required<ZkDetectorOptions>;
  private readonly log: Logger;
  private readonly timeoutMs: number;
  private readonly fallbackMasters: string[];

  private state: MastersUpdate;
  private onChange: ((u: MastersUpdate) => void) | null = null;
  private session: Session | null = null;
  private nextId = 0;
  private closed = false;

  /** True while the list's leader comes from a current ZooKeeper reading. */
  private leaderKnown = false;
  private fallbackTimer: NodeJS.Timeout | null = null;
  /** When we started lacking a leader (for "outage lasted" logs). */
  private noLeaderSince: number | null = Date.now();

  private emitTimer: NodeJS.Timeout | null = null;
  private burstStart = 0;
  private lastEmitted = '';

  private readonly warnedNodes = new Set<string>();
  private protobufWarned = false;
  private missingPathWarned = false;
  private emptyWarned = false;

  constructor(url: ZkUrl, config: Config, log: Logger, options: ZkDetectorOptions = {}) {
    this.url = url;
    this.opts = { ...DEFAULTS, ...options };
    this.log = log.child({ component: 'detect', zk: this.url.redacted });
    this.timeoutMs = Math.max(0, config.ZkDetectionTimeout) * 1000;
    this.fallbackMasters = [...new Set((config.Masters ?? []).filter((m) => m !== ''))];
    // Until ZooKeeper answers, the leader is unknown and the configured masters are the only
    // candidates, as in the original ([B§3] step 2).
    this.state = { masters: ['', ...this.fallbackMasters], source: 'zookeeper' };
  }

  start(onChange: (u: MastersUpdate) => void): void {
    if (this.onChange || this.closed) return;
    this.onChange = onChange;
    this.log.info(
      { path: this.url.path, servers: this.url.servers.map((s) => `${s.host}:${s.port}`), timeoutSeconds: this.timeoutMs / 1000 },
      'starting ZooKeeper master detection',
    );
    if (this.url.hadCredentials) this.log.warn('credentials in the zk URL are ignored');
    this.armFallback();
    this.openSession('start');
  }

  current(): MastersUpdate {
    return { masters: [...this.state.masters], source: this.state.source };
  }

  /** The live session's id and password (diagnostics; tests use it to force an expiry). */
  sessionCredentials(): { id: Buffer; password: Buffer } | null {
    const s = this.session;
    if (!s || !s.connected) return null;
    return { id: s.client.getSessionId(), password: s.client.getSessionPassword() };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onChange = null;
    for (const t of [this.fallbackTimer, this.emitTimer]) if (t) clearTimeout(t);
    this.fallbackTimer = this.emitTimer = null;
    const s = this.session;
    this.session = null;
    if (s) await this.disposeSession(s);
  }

  // ---------------------------------------------------------------- sessions

  private openSession(reason: string): void {
    if (this.closed) return;
    const old = this.session;
    if (old) void this.disposeSession(old);

    const id = ++this.nextId;
    const client = createZkClient(this.url.servers, this.opts.sessionTimeoutMs, this.opts.spinDelayMs);

    const session: Session = {
      id,
      client,
      watcher: () => {
        if (this.session === session) this.refresh(session);
      },
      connected: false,
      reading: false,
      dirty: false,
      deadline: null,
      probe: null,
      probeSentAt: null,
      server: '',
    };
    this.session = session;
    client.on('state', (st: zookeeper.State) => this.onState(session, st));
    this.log.debug({ session: id, reason }, 'opening ZooKeeper session');
    this.armDeadline(session);
    client.connect();
  }

  private async disposeSession(s: Session): Promise<void> {
    s.connected = false;
    if (s.deadline) clearTimeout(s.deadline);
    if (s.probe) clearInterval(s.probe);
    s.deadline = s.probe = null;
    await closeZkClient(s.client, (err) => this.log.debug({ err: errText(err), session: s.id }, 'closing ZooKeeper client'));
  }

  /** A client that has not connected within a session timeout starts over with a new one. */
  private armDeadline(s: Session): void {
    if (s.deadline) clearTimeout(s.deadline);
    const ms = this.opts.sessionTimeoutMs;
    s.deadline = setTimeout(() => {
      s.deadline = null;
      if (this.session !== s || s.connected) return;
      // Its session is expired on the servers by now anyway, and a client that was refused (for
      // instance by a server whose data was reset) would otherwise retry forever.
      this.log.debug({ session: s.id, afterMs: ms }, 'no ZooKeeper connection yet; starting a fresh session');
      this.openSession('connect deadline');
    }, ms);
  }

  private onState(s: Session, st: zookeeper.State): void {
    if (this.session !== s || this.closed) return;
    const State = zookeeper.State;
    if (st === State.SYNC_CONNECTED) {
      s.connected = true;
      detectMetrics.zkConnected = 1;
      if (s.deadline) clearTimeout(s.deadline);
      s.deadline = null;
      s.server = connectedServer(s.client);
      this.log.info({ session: s.id, server: s.server }, 'connected to ZooKeeper');
      this.startProbe(s);
      this.refresh(s);
    } else if (st === State.DISCONNECTED) {
      const was = s.connected;
      s.connected = false;
      detectMetrics.zkConnected = 0;
      if (s.probe) clearInterval(s.probe);
      s.probe = null;
      if (was) {
        this.log.warn(
          { session: s.id, server: s.server, masters: this.state.masters, source: this.state.source },
          'lost connection to ZooKeeper; keeping the last known masters and reconnecting',
        );
        this.lostLeader();
        this.armDeadline(s);
      }
    } else if (st === State.EXPIRED) {
      s.connected = false;
      detectMetrics.zkConnected = 0;
      this.log.warn({ session: s.id, masters: this.state.masters }, 'ZooKeeper session expired; starting a new session');
      this.lostLeader();
      this.openSession('session expired');
    } else if (st === State.AUTH_FAILED) {
      s.connected = false;
      detectMetrics.zkConnected = 0;
      this.log.warn({ session: s.id }, 'ZooKeeper authentication failed; retrying with a new session');
      this.lostLeader();
      const t = setTimeout(() => {
        if (this.session === s) this.openSession('auth failed');
      }, this.opts.spinDelayMs);
      s.deadline = t;
    }
  }

  /** Detects a server that keeps the connection open but no longer answers. */
  private startProbe(s: Session): void {
    if (s.probe) clearInterval(s.probe);
    s.probeSentAt = null;
    const timeout = s.client.getSessionTimeout() || this.opts.sessionTimeoutMs;
    const every = Math.max(200, Math.floor(timeout / 3));
    s.probe = setInterval(() => {
      if (this.session !== s || !s.connected) return;
      const now = Date.now();
      if (s.probeSentAt !== null) {
        if (now - s.probeSentAt >= (2 * timeout) / 3) {
          this.log.warn(
            { session: s.id, server: s.server, silentMs: now - s.probeSentAt },
            'ZooKeeper server is not answering; keeping the last known masters and reconnecting',
          );
          this.lostLeader();
          this.openSession('server not answering');
        }
        return;
      }
      s.probeSentAt = now;
      s.client.exists(this.url.path, (err) => {
        if (!err || isCode(err, zookeeper.Exception.NO_NODE)) s.probeSentAt = null;
      });
    }, every);
  }

  // ---------------------------------------------------------------- reading the children

  private refresh(s: Session): void {
    if (s.reading) {
      s.dirty = true;
      return;
    }
    s.reading = true;
    void (async () => {
      try {
        do {
          s.dirty = false;
          await this.readOnce(s);
        } while (s.dirty && this.session === s && !this.closed);
      } catch (err) {
        this.log.warn({ err: errText(err), session: s.id }, 'reading masters from ZooKeeper failed');
      } finally {
        s.reading = false;
      }
    })();
  }

  private async readOnce(s: Session): Promise<void> {
    const path = this.url.path;
    const c = s.client;
    const [err, children] = await new Promise<[unknown, string[]]>((resolve) =>
      c.getChildren(path, s.watcher, (e, ch) => resolve([e, ch])),
    );
    if (this.session !== s) return;
    if (err) {
      if (isCode(err, zookeeper.Exception.NO_NODE)) {
        // Watch for the path to appear (masters not started yet, or a typo in the path).
        const [e2, stat] = await new Promise<[unknown, unknown]>((resolve) =>
          c.exists(path, s.watcher, (e, st) => resolve([e, st])),
        );
        if (this.session !== s || e2) return;
        if (stat) {
          s.dirty = true; // created meanwhile: read again
          return;
        }
        if (!this.missingPathWarned) {
          this.missingPathWarned = true;
          this.log.warn({ path }, 'ZooKeeper path does not exist (yet); waiting for it');
        }
        this.noMasters();
        return;
      }
      // Connection loss or expiry: the state handler reconnects and reads again.
      this.log.debug({ err: errText(err), session: s.id }, 'listing masters in ZooKeeper failed');
      return;
    }
    this.missingPathWarned = false;

    const present = new Set(children);
    for (const n of this.warnedNodes) if (!present.has(n)) this.warnedNodes.delete(n);

    const candidates: { node: string; seq: number }[] = [];
    let protobuf = 0;
    for (const node of children) {
      const seq = jsonInfoSeq(node);
      if (seq !== undefined) candidates.push({ node, seq });
      else if (isProtobufInfo(node)) protobuf++;
    }
    if (protobuf > 0 && !this.protobufWarned) {
      this.protobufWarned = true;
      this.log.warn({ path, nodes: protobuf }, 'ignoring protobuf info_* nodes (Mesos < 0.24 is not supported)');
    }

    const reads = await Promise.all(
      candidates.map(
        ({ node, seq }) =>
          new Promise<{ node: string; seq: number; err: unknown; data: Buffer | undefined }>((resolve) =>
            c.getData(`${path}/${node}`, (e, data) => resolve({ node, seq, err: e, data })),
          ),
      ),
    );
    if (this.session !== s) return;

    const registered: RegisteredMaster[] = [];
    for (const r of reads) {
      if (r.err) {
        if (isCode(r.err, zookeeper.Exception.NO_NODE)) continue; // gone meanwhile; a watch event follows
        this.log.debug({ err: errText(r.err), node: r.node }, 'reading a master node failed');
        return; // connection trouble: keep what we have, the reconnect reads again
      }
      const d = decodeMasterInfo(r.data);
      if (!d.ok) {
        if (!this.warnedNodes.has(r.node)) {
          this.warnedNodes.add(r.node);
          this.log.warn({ node: `${path}/${r.node}`, reason: d.reason }, 'skipping malformed master node');
        }
        continue;
      }
      registered.push({ node: r.node, seq: r.seq, addr: d.addr, id: d.id });
    }
    const list = mastersList(registered);
    if (list.length === 0) this.noMasters();
    else this.gotMasters(list, registered);
  }

  // ---------------------------------------------------------------- state transitions

  private gotMasters(list: string[], registered: RegisteredMaster[]): void {
    const prev = this.state;
    const wasKnown = this.leaderKnown;
    this.leaderKnown = true;
    this.emptyWarned = false;
    if (this.fallbackTimer) clearTimeout(this.fallbackTimer);
    this.fallbackTimer = null;
    this.state = { masters: list, source: 'zookeeper' };
    const leaderNode = [...registered].sort((a, b) => a.seq - b.seq).find((m) => m.addr === list[0]);
    const ctx = { leader: list[0], node: leaderNode?.node, masters: list };
    if (prev.masters[0] && prev.masters[0] !== list[0]) detectMetrics.leaderChanges++;
    if (prev.source === 'static-fallback') {
      this.log.info({ ...ctx, previous: prev.masters }, 'leader found in ZooKeeper again; leaving the static fallback');
    } else if (prev.masters[0] !== list[0]) {
      this.log.info({ ...ctx, previousLeader: prev.masters[0] || null }, 'new leader detected in ZooKeeper');
    } else if (!wasKnown && this.noLeaderSince !== null) {
      this.log.info({ ...ctx, afterMs: Date.now() - this.noLeaderSince }, 'leader confirmed in ZooKeeper');
    } else if (prev.masters.join(',') !== list.join(',')) {
      this.log.info(ctx, 'masters changed in ZooKeeper');
    }
    this.noLeaderSince = null;
    this.scheduleEmit();
  }

  /** ZooKeeper answers but lists no usable master. Keep the list; the fallback timer decides. */
  private noMasters(): void {
    if (!this.emptyWarned) {
      this.emptyWarned = true;
      this.log.warn(
        { path: this.url.path, masters: this.state.masters, source: this.state.source },
        'no Mesos master registered in ZooKeeper; keeping the last known masters',
      );
    }
    this.lostLeader();
  }

  private lostLeader(): void {
    if (this.leaderKnown) {
      this.leaderKnown = false;
      this.noLeaderSince = Date.now();
    }
    this.armFallback();
  }

  private armFallback(): void {
    if (this.closed || this.leaderKnown || this.fallbackTimer || this.timeoutMs <= 0) return;
    if (this.state.source === 'static-fallback') return;
    this.fallbackTimer = setTimeout(() => {
      this.fallbackTimer = null;
      if (this.closed || this.leaderKnown) return;
      if (this.fallbackMasters.length === 0) {
        this.log.warn(
          { timeoutSeconds: this.timeoutMs / 1000, masters: this.state.masters },
          'no leader from ZooKeeper in time and no masters configured; keeping the last known masters',
        );
        return;
      }
      this.log.warn(
        { timeoutSeconds: this.timeoutMs / 1000, masters: this.fallbackMasters, previous: this.state.masters },
        'no leader from ZooKeeper in time; falling back to the configured masters and still watching ZooKeeper',
      );
      detectMetrics.fallbacks++;
      this.state = { masters: [...this.fallbackMasters], source: 'static-fallback' };
      this.scheduleEmit();
    }, this.timeoutMs);
  }

  /** Debounce: a burst of ZooKeeper changes becomes one onChange (bounded by maxDelayMs). */
  private scheduleEmit(): void {
    if (this.closed || !this.onChange) return;
    const now = Date.now();
    if (this.emitTimer) clearTimeout(this.emitTimer);
    else this.burstStart = now;
    const delay = Math.max(0, Math.min(this.opts.debounceMs, this.burstStart + this.opts.maxDelayMs - now));
    this.emitTimer = setTimeout(() => this.flush(), delay);
  }

  private flush(): void {
    this.emitTimer = null;
    const cb = this.onChange;
    if (this.closed || !cb) return;
    const key = JSON.stringify(this.state);
    if (key === this.lastEmitted) return;
    this.lastEmitted = key;
    try {
      cb(this.current());
    } catch (err) {
      this.log.error({ err }, 'masters change handler threw');
    }
  }
}
