// Forwarding of names outside the Mesos domain (issue "Forwarding at production grade").
// The order of the checks is the order of their cost: refuse what we must not serve (ExternalOn,
// the client allow-list, so we are never an open resolver), answer from the cache, join an
// identical lookup already in flight (one upstream query for a burst of clients), refuse to queue
// past ForwardMaxOutstanding (an overloaded upstream must not make us hold unbounded state; an
// immediate SERVFAIL lets the client retry elsewhere), and only then ask upstream. Every path
// ends in a complete reply for the client; nothing here throws to the server. One lookup upstream,
// resolver after resolver, is lookup.ts.
import { ConfigError } from '../config/error.js';
import type { AnswerSettings, Config } from '../config/types.js';
import { DEFAULT_FORWARD_ALLOW_FROM } from '../config/load.js';
import type { Logger } from '../log.js';
import type { ForwardRequest, Forwarder } from './types.js';
import { AllowList } from '../net/cidr.js';
import { forwardMetrics, type ForwardMetrics } from './metrics.js';
import { ResolverSet, type Upstream } from './resolvers.js';
import { TcpPool, UdpPool, type FailKind } from './upstream.js';
import { MAX_CACHE_TTL, buildAnswer, relayAnswer, renderAnswer, type Answer } from './answer.js';
import { LRUCache } from 'lru-cache';
import {
  FLAG_CD,
  FLAG_RD,
  OPCODE_MASK,
  RCODE_BADVERS,
  RCODE_FORMERR,
  RCODE_NOTIMP,
  RCODE_NXDOMAIN,
  RCODE_REFUSED,
  RCODE_SERVFAIL,
} from '../wire/constants.js';
import { clientQuery, parseQuery, ParseStatus, type ClientQuery } from '../wire/query.js';
import { clientErrorReply, errorReply } from '../wire/reply.js';
import { lowerQname, nameToText, tryDecode, type WireName } from './wire.js';
import { ReplyScan } from './reply-scan.js';
import { Lookup, RCODE, FAIL } from './lookup.js';
import { scrub } from './bailiwick.js';
import { nameToWire } from '../wire/name.js';

export type { ForwardRequest, Forwarder } from './types.js';
export { createForwardMetrics, forwardMetrics, type ForwardMetrics } from './metrics.js';

/** Used when the config has no ForwardAllowFrom (one list, the config loader's). */
export { DEFAULT_FORWARD_ALLOW_FROM };

/**
 * Clients that may wait on one in-flight lookup besides the one that started it. Why: they did not
 * count anywhere, so one name at 30k q/s against a slow upstream held 286 MiB of waiting queries.
 * A burst of clients asking one name while upstream answers (milliseconds) is far below this;
 * past it, the client gets SERVFAIL at once, as for ForwardMaxOutstanding.
 */
export const MAX_WAITERS_PER_LOOKUP = 256;

/**
 * Queries a UDP socket carries before it is replaced by one on a new OS-chosen random port
 * (RFC 5452 §9.2, [A.12]). With 2000, 6000 forwarded queries left from only 4 ports; with
 * 200 they leave from ~34, and a new socket every 200 queries costs well under 1% at 50k q/s.
 */
export const UDP_SOCKET_USES = 200;

/** All clients waiting on lookups they joined, as a multiple of ForwardMaxOutstanding (a sibling limit). */
export const WAITERS_PER_OUTSTANDING = 4;

export interface ForwarderOptions {
  /** Counters to update (default: the process-wide `forwardMetrics`). */
  metrics?: ForwardMetrics;
  /** Clock in ms for cache ages and resolver backoff (tests move it forward). */
  now?: () => number;
  /** UDP sockets per address family (default 4). */
  udpSockets?: number;
  /** Queries after which a UDP socket is replaced by one on a new random port (default UDP_SOCKET_USES). */
  udpSocketUses?: number;
  /** Consecutive failures that put a resolver in backoff (default 3). */
  failThreshold?: number;
  /** First backoff (default 5 s), doubled on each failed probe up to maxBackoffMs (default 60 s). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Idle TCP connections to resolvers are closed after this (default 10 s). */
  tcpIdleMs?: number;
}

export interface ForwarderImpl extends Forwarder {
  readonly metrics: ForwardMetrics;
  /** Entries and bytes in the cache. */
  cacheStats(): { entries: number; bytes: number };
  /** Upstream lookups in flight now. */
  readonly inFlight: number;
  /** Every configured resolver with its counters. */
  upstreams(): Upstream[];
}

export function createForwarder(settings: AnswerSettings, log: Logger, options: ForwarderOptions = {}): ForwarderImpl {
  return new ForwarderCore(settings, log, options);
}

export class ForwarderCore implements ForwarderImpl {
  readonly metrics: ForwardMetrics;
  readonly now: () => number;
  readonly udp: UdpPool;
  readonly tcp: TcpPool;
  private readonly allow: AllowList;
  private readonly resolvers: ResolverSet;
  private readonly cache: LRUCache<string, Answer> | null;
  private readonly inflight = new Map<string, Lookup>();
  private readonly scanner = new ReplyScan();
  /** Our own domain (lower-case wire name): upstream replies never speak for it. */
  private readonly own: WireName;
  /** ForwardMaxTTL: the longest TTL relayed or cached. */
  private readonly maxTtl: number;
  private readonly timeoutMs: number;
  private readonly maxOutstanding: number;
  private readonly setTruncateBit: boolean;
  /** One timer for every lookup's deadline and resolver slices, running while lookups are open. */
  private sweepTimer: NodeJS.Timeout | null = null;
  private readonly sweepMs: number;
  private outstanding = 0;
  /** Clients waiting on a lookup they joined (not the one that started it), and their limit. */
  waiting = 0;
  private readonly maxWaiting: number;
  private closed = false;

  private readonly config: Config;

  constructor(
    settings: AnswerSettings,
    readonly log: Logger,
    o: ForwarderOptions,
  ) {
    const config = (this.config = settings.config);
    this.metrics = o.metrics ?? forwardMetrics;
    this.now = o.now ?? Date.now;
    this.allow = new AllowList(settings.forwardAllowFrom);
    const policy = { failThreshold: o.failThreshold ?? 3, backoffMs: o.backoffMs ?? 5000, maxBackoffMs: o.maxBackoffMs ?? 60000 };
    try {
      this.resolvers = config.ExternalOn
        ? new ResolverSet(config.Resolvers ?? [], config.ZoneResolvers ?? {}, policy, log)
        : new ResolverSet([], {}, policy, log);
    } catch (e) {
      throw new ConfigError('Resolvers', (e as Error).message);
    }
    this.own = Buffer.from(nameToWire(config.Domain || 'mesos', true) ?? [0]);
    this.maxTtl = config.ForwardMaxTTL > 0 ? Math.floor(config.ForwardMaxTTL) : MAX_CACHE_TTL;
    this.timeoutMs = (config.Timeout > 0 ? config.Timeout : 5) * 1000;
    // Deadlines are met to within this: 1/50 of Timeout, at most 20 ms.
    this.sweepMs = Math.max(1, Math.min(20, Math.floor(this.timeoutMs / 50)));
    this.maxOutstanding = config.ForwardMaxOutstanding > 0 ? config.ForwardMaxOutstanding : Infinity;
    this.maxWaiting = this.maxOutstanding * WAITERS_PER_OUTSTANDING;
    this.setTruncateBit = config.SetTruncateBit !== false;
    const entries = config.CacheMaxEntries ?? 0;
    const bytes = config.CacheMaxBytes ?? 0;
    // lru-cache bounds by entries and bytes; sizes are passed with each set (no size callback),
    // and answer TTLs are checked by us on a hit (decrementing them), not by the cache.
    this.cache = config.CacheOn && entries > 0 && bytes > 0
      ? new LRUCache<string, Answer>({
        max: Math.floor(entries), maxSize: Math.floor(bytes),
        disposeAfter: (_v, _k, reason) => { if (reason === 'evict') this.metrics.cacheEvictions++; },
      })
      : null;
    this.udp = new UdpPool(o.udpSockets ?? 4, o.udpSocketUses ?? UDP_SOCKET_USES, this.metrics);
    this.tcp = new TcpPool(o.tcpIdleMs ?? 10000, this.metrics);
  }

  cacheStats(): { entries: number; bytes: number } {
    return { entries: this.cache?.size ?? 0, bytes: this.cache?.calculatedSize ?? 0 };
  }

  /** Upstream lookups in flight now. */
  get inFlight(): number { return this.outstanding; }

  /** Every configured resolver with its counters. */
  upstreams(): Upstream[] { return this.resolvers.all(); }

  /**
   * Synchronous for everything answerable at once (cache hits, refusals, errors): a promise and a
   * microtask per answer cost more than the cache lookup itself. Only upstream lookups are async.
   */
  forward(req: ForwardRequest): Buffer | Promise<Buffer> {
    const m = this.metrics;
    m.queries++;
    const query = req.query;
    let q = req.parsed;
    if (!q) {
      // A caller that did not parse the query (the server always does): the answering path's parser.
      const p = parseQuery(query);
      if (p.status !== ParseStatus.Ok && !(p.status === ParseStatus.NotImp && p.qnameEnd > 12)) return errorReply(query, p, RCODE_FORMERR, false);
      q = clientQuery(p);
    }
    if (!this.config.ExternalOn) return this.error(req, q, RCODE_REFUSED);
    if (!this.allow.allows(req.clientAddress)) return this.error(req, q, RCODE_REFUSED);
    if (q.ednsVersion > 0) return this.error(req, q, RCODE_BADVERS);
    if ((q.flags & OPCODE_MASK) !== 0) return this.error(req, q, RCODE_NOTIMP);
    if (this.closed) return this.error(req, q, RCODE_SERVFAIL);
    const key = cacheKey(query, q);
    if (this.cache) {
      const hit = this.cache.get(key);
      if (hit) {
        const now = this.now();
        if (hit.expiresAt > now) {
          m.cacheHits++;
          return this.render(hit, q, req, now);
        }
        this.cache.delete(key);
      }
      m.cacheMisses++;
    }
    let qlower: WireName | null = null;
    let route = this.resolvers.defaultRoute;
    if (this.resolvers.zoned) {
      qlower = lowerQname(query, q);
      route = this.resolvers.select(nameToText(qlower));
    }
    const ups = route.list;
    if (ups.length === 0) return this.error(req, q, RCODE_REFUSED);

    const pending = this.inflight.get(key);
    if (pending) {
      if (pending.waiters >= MAX_WAITERS_PER_LOOKUP || this.waiting >= this.maxWaiting) {
        m.overload++;
        return this.error(req, q, RCODE_SERVFAIL);
      }
      m.coalesced++;
      return pending.join(q, req);
    }
    if (this.outstanding >= this.maxOutstanding) {
      m.overload++;
      return this.error(req, q, RCODE_SERVFAIL);
    }
    const lk = new Lookup(this, key, qlower ?? lowerQname(query, q), route.zone, q, this.resolvers.order(ups, this.now()), Date.now() + this.timeoutMs);
    this.inflight.set(key, lk);
    this.outstanding++;
    this.sweepTimer ??= setInterval(() => this.sweep(), this.sweepMs);
    const reply = lk.join(q, req);
    lk.startNext();
    return reply;
  }

  /** `now` matters only for answers from the cache (their age). */
  render(a: Answer, q: ClientQuery, req: ForwardRequest, now: number | null): Buffer {
    const b = renderAnswer(a, q, req.query, req.clientLimit, now !== null, now ?? 0, this.setTruncateBit, this.metrics);
    if (!b) return this.error(req, q, RCODE_SERVFAIL);
    if ((a.flags & 0x0f) === RCODE_NXDOMAIN) this.metrics.nxdomain++;
    return b;
  }

  /**
   * The Answer for an upstream reply, relayed as it is when it can be, else decoded (and scrubbed of
   * records out of the question's bailiwick, see bailiwick.ts); null if unreadable.
   */
  toAnswer(reply: Buffer, lk: Lookup): Answer | null {
    const now = this.now();
    const s = this.scanner;
    if (s.scan(reply, lk.qname, lk.zone, this.own) && !s.outside) return relayAnswer(reply, s, lk.dnssecOk, now, this.maxTtl);
    const msg = tryDecode(reply);
    if (!msg) return null;
    const clean = scrub(msg, lk.qname, { zone: lk.zone, own: this.own });
    if (clean !== msg) this.metrics.bailiwickStripped++;
    return buildAnswer(clean, lk.qname, lk.qtype, lk.qclass, lk.dnssecOk, now, this.maxTtl);
  }

  /** A lookup has ended with `answer` (null: SERVFAIL for its clients). */
  lookupDone(lk: Lookup, answer: Answer | null): void {
    if (this.inflight.get(lk.key) === lk) this.inflight.delete(lk.key);
    this.outstanding--;
    if (this.inflight.size === 0 && this.sweepTimer) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = null;
    }
    if (answer && answer.ttl > 0 && this.cache && !this.closed) this.cache.set(lk.key, answer, { size: answer.size });
  }

  private sweep(): void {
    const now = Date.now();
    for (const lk of this.inflight.values()) lk.tick(now);
  }

  account(up: Upstream, kind: number, answer: Answer | null, fail: FailKind, sliceOver: boolean): void {
    if (kind === RCODE) {
      // SERVFAIL can be about one name; REFUSED/NOTIMP/FORMERR mean this resolver will not serve us.
      const rcode = answer!.flags & 0x0f;
      if (rcode !== RCODE_REFUSED && rcode !== RCODE_NOTIMP && rcode !== RCODE_FORMERR) return up.success();
      this.metrics.upstreamErrors++;
      return up.failure(this.now());
    }
    if (kind !== FAIL) return up.success();
    if (fail === 'aborted' && !sliceOver) return up.release();
    if (fail === 'error') { this.metrics.upstreamErrors++; up.stats.errors++; } else { this.metrics.upstreamTimeouts++; up.stats.timeouts++; }
    up.failure(this.now());
  }

  error(req: ForwardRequest, q: ClientQuery, rcode: number): Buffer {
    if (rcode === RCODE_SERVFAIL) this.metrics.servfail++;
    if (rcode === RCODE_REFUSED) this.metrics.refused++;
    return clientErrorReply(req.query, q, rcode, this.config.ExternalOn);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.udp.close();
    this.tcp.close();
    for (const lk of [...this.inflight.values()]) lk.finish(null);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    this.cache?.clear();
  }
}

/** The cache and coalescing key: lower-cased name, type, class, and DO, CD, RD (they change what upstream returns). */
const keyBuf = Buffer.allocUnsafe(256 + 5);
function cacheKey(query: Buffer, q: ClientQuery): string {
  const n = q.qnameLen;
  for (let i = 0; i < n; i++) {
    const c = query[12 + i];
    keyBuf[i] = c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
  }
  keyBuf[n] = query[12 + n];
  keyBuf[n + 1] = query[13 + n];
  keyBuf[n + 2] = query[14 + n];
  keyBuf[n + 3] = query[15 + n];
  keyBuf[n + 4] = (q.dnssecOk ? 1 : 0) | (q.flags & FLAG_CD ? 2 : 0) | (q.flags & FLAG_RD ? 4 : 0);
  return keyBuf.toString('latin1', 0, n + 5);
}

