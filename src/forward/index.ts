// Forwarding of names outside the Mesos domain (issue "Forwarding at production grade").
// The order of the checks is the order of their cost: refuse what we must not serve (ExternalOn,
// the client allow-list, so we are never an open resolver), answer from the cache, join an
// identical lookup already in flight (one upstream query for a burst of clients), refuse to queue
// past ForwardMaxOutstanding (an overloaded upstream must not make us hold unbounded state; an
// immediate SERVFAIL lets the client retry elsewhere), and only then ask upstream. Every path
// ends in a complete reply for the client; nothing here throws to the server.
import { LRUCache } from 'lru-cache';
import { ConfigError, type Config } from '../config/types.js';
import { DEFAULT_FORWARD_ALLOW_FROM } from '../config/load.js';
import type { Logger } from '../log.js';
import type { ForwardRequest, Forwarder } from './types.js';
import { AllowList } from './ip.js';
import { createForwardMetrics, forwardMetrics, type ForwardMetrics } from './metrics.js';
import { ResolverSet, type Upstream } from './resolvers.js';
import { TcpPool, UdpPool, UpstreamError, type Exchange, type Expect } from './upstream.js';
import { EDNS_UDP_SIZE, buildAnswer, renderAnswer, type Answer } from './answer.js';
import {
  FLAG_AD,
  FLAG_CD,
  FLAG_QR,
  FLAG_RA,
  FLAG_RD,
  FLAG_TC,
  OPCODE_MASK,
  RCODE_FORMERR,
  RCODE_NOTIMP,
  RCODE_NXDOMAIN,
  RCODE_REFUSED,
  RCODE_SERVFAIL,
  TYPE_OPT,
  nameToText,
  optRecord,
  parseQuery,
  tryDecode,
  type ClientQuery,
  type Message,
} from './wire.js';

export type { ForwardRequest, Forwarder } from './types.js';
export { createForwardMetrics, forwardMetrics, type ForwardMetrics } from './metrics.js';
export { parseCidr } from './ip.js';
export { parseTarget } from './upstream.js';

/** Used when the config has no ForwardAllowFrom (one list, the config loader's). */
export { DEFAULT_FORWARD_ALLOW_FROM };

const RCODE_BADVERS = 16;

export interface ForwarderOptions {
  /** Counters to update (default: the process-wide `forwardMetrics`). */
  metrics?: ForwardMetrics;
  /** Clock in ms for cache ages and resolver backoff (tests move it forward). */
  now?: () => number;
  /** UDP sockets per address family (default 4). */
  udpSockets?: number;
  /** Queries after which a UDP socket is replaced by one on a new random port (default 2000). */
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
}

type Result =
  | { kind: 'answer'; msg: Message }
  | { kind: 'tc'; msg: Message }
  | { kind: 'rcode'; msg: Message }
  | { kind: 'fail'; why: 'timeout' | 'error' | 'aborted' };

export function createForwarder(config: Config, log: Logger, options: ForwarderOptions = {}): ForwarderImpl {
  return new ForwarderCore(config, log, options);
}

class ForwarderCore implements ForwarderImpl {
  readonly metrics: ForwardMetrics;
  private readonly now: () => number;
  private readonly allow: AllowList;
  private readonly resolvers: ResolverSet;
  private readonly cache: LRUCache<string, Answer> | null;
  private readonly inflight = new Map<string, Promise<Answer | null>>();
  private readonly udp: UdpPool;
  private readonly tcp: TcpPool;
  private readonly timeoutMs: number;
  private readonly maxOutstanding: number;
  private outstanding = 0;
  private closed = false;

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
    o: ForwarderOptions,
  ) {
    this.metrics = o.metrics ?? forwardMetrics;
    this.now = o.now ?? Date.now;
    try {
      this.allow = new AllowList(config.ForwardAllowFrom ?? DEFAULT_FORWARD_ALLOW_FROM);
    } catch (e) {
      throw new ConfigError('ForwardAllowFrom', (e as Error).message);
    }
    const policy = { failThreshold: o.failThreshold ?? 3, backoffMs: o.backoffMs ?? 5000, maxBackoffMs: o.maxBackoffMs ?? 60000 };
    try {
      this.resolvers = config.ExternalOn
        ? new ResolverSet(config.Resolvers ?? [], config.ZoneResolvers ?? {}, policy, log)
        : new ResolverSet([], {}, policy, log);
    } catch (e) {
      throw new ConfigError('Resolvers', (e as Error).message);
    }
    this.timeoutMs = (config.Timeout > 0 ? config.Timeout : 5) * 1000;
    this.maxOutstanding = config.ForwardMaxOutstanding > 0 ? config.ForwardMaxOutstanding : Infinity;
    const entries = config.CacheMaxEntries ?? 0;
    const bytes = config.CacheMaxBytes ?? 0;
    this.cache =
      config.CacheOn && entries > 0 && bytes > 0
        ? new LRUCache<string, Answer>({ max: Math.floor(entries), maxSize: Math.floor(bytes), sizeCalculation: (a) => a.size })
        : null;
    this.udp = new UdpPool(o.udpSockets ?? 4, o.udpSocketUses ?? 2000, this.metrics);
    this.tcp = new TcpPool(o.tcpIdleMs ?? 10000, this.metrics);
  }

  cacheStats(): { entries: number; bytes: number } {
    return { entries: this.cache?.size ?? 0, bytes: this.cache?.calculatedSize ?? 0 };
  }

  /**
   * Synchronous for everything answerable at once (cache hits, refusals, errors): a promise and a
   * microtask per answer cost more than the cache lookup itself. Only upstream lookups are async.
   */
  forward(req: ForwardRequest): Buffer | Promise<Buffer> {
    const m = this.metrics;
    m.queries++;
    let q: ClientQuery;
    try {
      q = parseQuery(req.query);
    } catch {
      return formErr(req.query);
    }
    if (!this.config.ExternalOn) return this.error(req, q, RCODE_REFUSED);
    if (!this.allow.allows(req.clientAddress)) return this.error(req, q, RCODE_REFUSED);
    if (q.edns && q.edns.version !== 0) return this.error(req, q, RCODE_BADVERS);
    if ((q.flags & OPCODE_MASK) !== 0) return this.error(req, q, RCODE_NOTIMP);
    if (this.closed) return this.error(req, q, RCODE_SERVFAIL);
    // DO, CD and RD change what upstream returns, so they are part of the key.
    const key = `${q.qnameLower.toString('latin1')}|${q.qtype}|${q.qclass}|${q.edns?.do ? 1 : 0}${q.flags & FLAG_CD ? 1 : 0}${q.flags & FLAG_RD ? 1 : 0}`;
    if (this.cache) {
      const hit = this.cache.get(key);
      const now = this.now();
      if (hit && hit.expiresAt > now) {
        m.cacheHits++;
        return this.render(hit, q, req, true);
      }
      if (hit) this.cache.delete(key);
      m.cacheMisses++;
    }
    const ups = this.resolvers.select(nameToText(q.qnameLower));
    if (ups.length === 0) return this.error(req, q, RCODE_REFUSED);

    let pending = this.inflight.get(key);
    if (pending) {
      m.coalesced++;
    } else {
      if (this.outstanding >= this.maxOutstanding) {
        m.overload++;
        return this.error(req, q, RCODE_SERVFAIL);
      }
      pending = this.lookup(key, q, ups);
      this.inflight.set(key, pending);
    }
    return pending.then((answer) => answer ? this.render(answer, q, req, false) : this.error(req, q, RCODE_SERVFAIL));
  }

  private render(a: Answer, q: ClientQuery, req: ForwardRequest, fromCache: boolean): Buffer {
    const r = renderAnswer(a, q, req.query, req.clientLimit, fromCache, this.now(), this.config.SetTruncateBit !== false);
    if (!r) return this.error(req, q, RCODE_SERVFAIL);
    if (r.truncated) this.metrics.truncated++;
    if ((a.flags & 0x0f) === RCODE_NXDOMAIN) this.metrics.nxdomain++;
    return r.buf;
  }

  /** One upstream lookup on behalf of every client waiting for `key`. Never rejects. */
  private async lookup(key: string, q: ClientQuery, ups: Upstream[]): Promise<Answer | null> {
    this.outstanding++;
    try {
      const res = await this.race(q, ups);
      if (!res) return null;
      const a = buildAnswer(res.msg, q, res.kind === 'tc', this.now());
      if (this.cache && a.ttl > 0 && !this.closed) this.cache.set(key, a);
      return a;
    } catch (e) {
      this.log.error({ err: e }, 'forwarding failed unexpectedly');
      return null;
    } finally {
      this.outstanding--;
      this.inflight.delete(key);
    }
  }

  /**
   * Asks the resolvers in order. Each gets a slice of the remaining time (remaining / resolvers
   * left); when its slice is over without a reply the next one is asked too, while the earlier
   * query stays open until the deadline, so a slow resolver's late answer still counts. A failure
   * moves to the next at once. Resolves with the first usable reply, else a truncated reply if one
   * came back, else the first error-rcode reply, else null — always by the deadline.
   */
  private race(q: ClientQuery, ups: Upstream[]): Promise<{ kind: 'answer' | 'tc'; msg: Message } | null> {
    const deadline = Date.now() + this.timeoutMs;
    const order = this.resolvers.order(ups, this.now());
    const handles = new Set<Exchange>();
    return new Promise((resolve) => {
      let idx = 0;
      let active = 0;
      let done = false;
      let fallback: Message | null = null;
      // An upstream's own REFUSED/SERVFAIL/NOTIMP is still an answer: when no resolver does better,
      // relay it (as the original did) rather than turning it into our SERVFAIL.
      let rcodeReply: Message | null = null;
      const timers = new Set<NodeJS.Timeout>();
      const finish = (r: { kind: 'answer' | 'tc'; msg: Message } | null) => {
        if (done) return;
        done = true;
        clearTimeout(overall);
        for (const t of timers) clearTimeout(t);
        for (const h of handles) h.cancel();
        resolve(r);
      };
      const giveUp = () => finish(fallback ? { kind: 'tc', msg: fallback } : rcodeReply ? { kind: 'answer', msg: rcodeReply } : null);
      const live = new Set<{ sliceOver: boolean }>();
      // At the deadline every resolver still being waited for has had its time: count it as failed.
      const overall = setTimeout(() => {
        for (const st of live) st.sliceOver = true;
        giveUp();
      }, this.timeoutMs);
      const startNext = (): void => {
        if (done) return;
        if (idx >= order.length) {
          if (active === 0) giveUp();
          return;
        }
        const up = order[idx++];
        up.begin(this.now());
        active++;
        const st = { sliceOver: false };
        live.add(st);
        let timer: NodeJS.Timeout | null = null;
        if (idx < order.length) {
          const slice = Math.max(1, (deadline - Date.now()) / (order.length - idx + 1));
          timer = setTimeout(() => {
            timers.delete(timer!);
            st.sliceOver = true;
            startNext();
          }, slice);
          timers.add(timer);
        }
        void this.exchange(up, q, deadline, handles).then((res) => {
          active--;
          live.delete(st);
          if (timer) {
            clearTimeout(timer);
            timers.delete(timer);
          }
          this.account(up, res, st.sliceOver);
          if (done) return;
          if (res.kind === 'answer') return finish({ kind: 'answer', msg: res.msg });
          if (res.kind === 'tc' && !fallback) fallback = res.msg;
          if (res.kind === 'rcode' && !rcodeReply) rcodeReply = res.msg;
          if (!st.sliceOver) startNext();
          else if (idx >= order.length && active === 0) giveUp();
        });
      };
      startNext();
    });
  }

  private account(up: Upstream, res: Result, sliceOver: boolean): void {
    if (res.kind === 'rcode') {
      // SERVFAIL can be about one name; REFUSED/NOTIMP/FORMERR mean this resolver will not serve us.
      const rcode = res.msg.flags & 0x0f;
      if (rcode !== RCODE_REFUSED && rcode !== RCODE_NOTIMP && rcode !== RCODE_FORMERR) return up.success();
      this.metrics.upstreamErrors++;
      return up.failure(this.now());
    }
    if (res.kind !== 'fail') return up.success();
    if (res.why === 'aborted' && !sliceOver) return up.release();
    if (res.why === 'error') this.metrics.upstreamErrors++;
    else this.metrics.upstreamTimeouts++;
    up.failure(this.now());
  }

  /** One resolver: UDP with EDNS; without EDNS if it rejects EDNS; TCP if the UDP reply is truncated. */
  private async exchange(up: Upstream, q: ClientQuery, deadline: number, handles: Set<Exchange>): Promise<Result> {
    const expect: Expect = { qname: q.qnameLower, qtype: q.qtype, qclass: q.qclass };
    const run = async (ex: Exchange): Promise<Buffer> => {
      handles.add(ex);
      try {
        return await ex.promise;
      } finally {
        handles.delete(ex);
      }
    };
    let edns = true;
    for (;;) {
      const query = upstreamQuery(q, edns);
      let raw: Buffer;
      try {
        raw = await run(this.udp.send(up.target, query, expect, deadline - Date.now()));
      } catch (e) {
        return { kind: 'fail', why: e instanceof UpstreamError ? e.kind : 'error' };
      }
      let msg = tryDecode(raw);
      if (!msg) return { kind: 'fail', why: 'error' };
      const rcode = msg.flags & 0x0f;
      const hasOpt = msg.additionals.some((r) => r.type === TYPE_OPT);
      // RFC 6891 §7: a server that does not know EDNS answers FORMERR/NOTIMP without OPT.
      if (edns && !hasOpt && (rcode === RCODE_FORMERR || rcode === RCODE_NOTIMP)) {
        edns = false;
        continue;
      }
      if (msg.flags & FLAG_TC) {
        this.metrics.tcpRetries++;
        try {
          const full = tryDecode(await run(this.tcp.send(up.target, query, expect, deadline)));
          if (!full || full.flags & FLAG_TC) return { kind: 'tc', msg };
          msg = full;
        } catch {
          return { kind: 'tc', msg };
        }
      }
      return classify(msg);
    }
  }

  private error(req: ForwardRequest, q: ClientQuery, rcode: number): Buffer {
    if (rcode === RCODE_SERVFAIL) this.metrics.servfail++;
    if (rcode === RCODE_REFUSED) this.metrics.refused++;
    return errorReply(req.query, q, rcode, this.config.ExternalOn);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.udp.close();
    this.tcp.close();
    await Promise.allSettled([...this.inflight.values()]);
    this.cache?.clear();
  }
}

/** Upstream's answer or a reason to try the next resolver (Part A item 14). */
function classify(msg: Message): Result {
  const rcode = msg.flags & 0x0f;
  const opt = msg.additionals.find((r) => r.type === TYPE_OPT);
  const ext = opt ? (opt.ttl >>> 24) & 0xff : 0;
  if (ext !== 0 || (rcode !== 0 && rcode !== RCODE_NXDOMAIN)) return { kind: 'rcode', msg };
  return { kind: 'answer', msg };
}

/** Our query to upstream: a fresh ID is set per send; RD and CD as the client's; AD asked for; OPT 1232 with the client's DO. */
function upstreamQuery(q: ClientQuery, edns: boolean): Buffer {
  const n = q.qnameLower.length;
  const b = Buffer.allocUnsafe(12 + n + 4 + (edns ? 11 : 0));
  b.writeUInt16BE(0, 0);
  b.writeUInt16BE((q.flags & (FLAG_RD | FLAG_CD)) | FLAG_AD, 2);
  b.writeUInt16BE(1, 4);
  b.writeUInt16BE(0, 6);
  b.writeUInt16BE(0, 8);
  b.writeUInt16BE(edns ? 1 : 0, 10);
  q.qnameLower.copy(b, 12);
  b.writeUInt16BE(q.qtype, 12 + n);
  b.writeUInt16BE(q.qclass, 14 + n);
  if (edns) optRecord(EDNS_UDP_SIZE, 0, q.edns?.do ?? false).copy(b, 16 + n);
  return b;
}

/**
 * An error reply built from the request: ID, opcode, RD and CD copied, the client's question, QR=1,
 * AA=0, RA when forwarding is on, no records except an OPT record if the client sent one.
 */
export function errorReply(query: Buffer, q: ClientQuery, rcode: number, ra: boolean): Buffer {
  const opt = q.edns ? optRecord(EDNS_UDP_SIZE, rcode >> 4, q.edns.do) : null;
  const qEnd = q.qEnd;
  const b = Buffer.alloc(qEnd + (opt ? opt.length : 0));
  b.writeUInt16BE(q.id, 0);
  b.writeUInt16BE(FLAG_QR | (q.flags & (OPCODE_MASK | FLAG_RD | FLAG_CD)) | (ra ? FLAG_RA : 0) | (rcode & 0x0f), 2);
  b.writeUInt16BE(1, 4);
  b.writeUInt16BE(opt ? 1 : 0, 10);
  query.copy(b, 12, 12, qEnd);
  if (opt) opt.copy(b, qEnd);
  return b;
}

/** FORMERR for a query we cannot read past its header (the server normally catches these first). */
function formErr(query: Buffer): Buffer {
  const b = Buffer.alloc(12);
  if (query.length >= 12) {
    query.copy(b, 0, 0, 2);
    b.writeUInt16BE(FLAG_QR | (query.readUInt16BE(2) & (OPCODE_MASK | FLAG_RD)) | RCODE_FORMERR, 2);
  } else {
    b.writeUInt16BE(FLAG_QR | RCODE_FORMERR, 2);
  }
  return b;
}
