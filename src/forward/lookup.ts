// One forwarded lookup upstream (Lookup), and one resolver's part in it (Attempt): the engine the
// forwarder (index.ts) starts on a cache miss that no identical lookup in flight can join. Plain
// callbacks and fields, no promise or timer per query: the forwarder's one sweep timer calls
// `tick` to enforce deadlines and resolver slices (README, "No promise and no timer per query").
import type { ForwardRequest } from './types.js';
import { observeUpstream } from './metrics.js';
import type { Upstream } from './resolvers.js';
import type { Exchange, Expect, FailKind, ReplyListener } from './upstream.js';
import { markTruncated, type Answer } from './answer.js';
import { FLAG_AD, FLAG_CD, FLAG_RD, FLAG_TC, RCODE_FORMERR, RCODE_NOTIMP, RCODE_NXDOMAIN, RCODE_SERVFAIL } from '../wire/constants.js';
import type { ClientQuery } from '../wire/query.js';
import { writeOpt } from '../wire/reply.js';
import type { WireName } from './wire.js';
import type { ForwarderCore } from './index.js';

// How one resolver's attempt ended.
export const ANSWER = 0; // a usable reply (NOERROR or NXDOMAIN)
export const TC = 1; // only a truncated reply (TCP failed)
export const RCODE = 2; // an error rcode from the resolver itself
export const FAIL = 3; // nothing usable: timeout, error, cancelled

interface Waiter {
  q: ClientQuery;
  req: ForwardRequest;
  resolve(b: Buffer): void;
}

/**
 * One upstream lookup on behalf of every client waiting for the same key. Asks the resolvers in
 * order. Each gets a slice of the remaining time (remaining / resolvers left); when its slice is
 * over without a reply the next one is asked too, while the earlier query stays open until the
 * deadline, so a slow resolver's late answer still counts. A failure moves to the next at once.
 * Ends with the first usable reply, else a truncated reply if one came back, else the first
 * error-rcode reply, else SERVFAIL — always by the deadline (the forwarder's sweep calls `tick`).
 * Plain callbacks throughout: a miss costs one promise (the one the server waits on).
 */
export class Lookup implements Expect {
  done = false;
  readonly qtype: number;
  readonly qclass: number;
  /** The client's RD and CD (part of the key), and DO. */
  readonly flags: number;
  readonly dnssecOk: boolean;
  private idx = 0;
  private active = 0;
  private fallback: Answer | null = null;
  private rcodeReply: Answer | null = null;
  private readonly attempts: Attempt[] = [];
  /** The client that started the lookup (no Waiter object for it: most lookups have no other). */
  private firstQ: ClientQuery | null = null;
  private firstReq: ForwardRequest | null = null;
  private firstResolve: ((b: Buffer) => void) | null = null;
  private more: Waiter[] | null = null;

  constructor(
    readonly f: ForwarderCore,
    readonly key: string,
    /** Lower-case question name: what we ask and what replies must echo. */
    readonly qname: WireName,
    /** The zone the resolvers were chosen for: the replies' bailiwick. */
    readonly zone: WireName,
    q: ClientQuery,
    private readonly order: Upstream[],
    readonly deadline: number,
  ) {
    this.qtype = q.qtype;
    this.qclass = q.qclass;
    this.flags = q.flags;
    this.dnssecOk = q.dnssecOk;
  }

  /** Clients waiting besides the first (counted against the forwarder's limits). */
  get waiters(): number {
    return this.more?.length ?? 0;
  }

  join(q: ClientQuery, req: ForwardRequest): Promise<Buffer> {
    return new Promise<Buffer>((resolve) => {
      if (!this.firstResolve) {
        this.firstQ = q;
        this.firstReq = req;
        this.firstResolve = resolve;
      } else {
        (this.more ??= []).push({ q, req, resolve });
        this.f.waiting++;
      }
    });
  }

  startNext(): void {
    if (this.done) return;
    if (this.idx >= this.order.length) {
      if (this.active === 0) this.giveUp();
      return;
    }
    if (this.idx > 0) this.f.metrics.failovers++;
    const up = this.order[this.idx++];
    up.begin(this.f.now());
    this.active++;
    const a = new Attempt(this, up);
    if (this.idx < this.order.length) {
      const now = Date.now();
      a.sliceAt = now + Math.max(1, (this.deadline - now) / (this.order.length - this.idx + 1));
    }
    this.attempts.push(a);
    a.sendUdp();
  }

  tick(now: number): void {
    if (now >= this.deadline) {
      // Every resolver still being waited for has had its time: it counts as failed.
      for (const a of this.attempts) a.sliceOver = true;
      return this.giveUp();
    }
    for (let i = 0; i < this.attempts.length && !this.done; i++) {
      const a = this.attempts[i];
      if (!a.sliceOver && a.sliceAt <= now) {
        a.sliceOver = true;
        this.startNext();
        i = -1; // the list may have changed: look again from the start
      }
    }
  }

  onResult(a: Attempt, kind: number, answer: Answer | null, fail: FailKind): void {
    this.active--;
    const i = this.attempts.indexOf(a);
    if (i >= 0) this.attempts.splice(i, 1);
    this.f.account(a.up, kind, answer, fail, a.sliceOver);
    if (this.done) return;
    if (kind === ANSWER) return this.finish(answer);
    if (kind === TC && !this.fallback) this.fallback = answer;
    if (kind === RCODE && !this.rcodeReply) this.rcodeReply = answer;
    if (!a.sliceOver) this.startNext();
    else if (this.idx >= this.order.length && this.active === 0) this.giveUp();
  }

  private giveUp(): void {
    // An upstream's own REFUSED/SERVFAIL/NOTIMP is still an answer: when no resolver does better,
    // relay it (as the original did) rather than turning it into our SERVFAIL.
    this.finish(this.fallback ?? this.rcodeReply);
  }

  finish(answer: Answer | null): void {
    if (this.done) return;
    this.done = true;
    this.f.lookupDone(this, answer);
    if (this.attempts.length) for (const a of this.attempts.splice(0)) a.cancel();
    if (this.firstResolve) this.deliver(this.firstQ!, this.firstReq!, this.firstResolve, answer);
    if (this.more) {
      this.f.waiting -= this.more.length;
      for (const w of this.more) this.deliver(w.q, w.req, w.resolve, answer);
    }
  }

  private deliver(q: ClientQuery, req: ForwardRequest, resolve: (b: Buffer) => void, answer: Answer | null): void {
    let b: Buffer;
    try {
      b = answer ? this.f.render(answer, q, req, null) : this.f.error(req, q, RCODE_SERVFAIL);
    } catch (e) {
      this.f.log.error({ err: e }, 'forwarding failed unexpectedly');
      b = this.f.error(req, q, RCODE_SERVFAIL);
    }
    resolve(b);
  }
}

/** One resolver: UDP with EDNS; without EDNS if it rejects EDNS; TCP if the UDP reply is truncated. */
class Attempt implements ReplyListener {
  sliceOver = false;
  /** When the next resolver is asked too (none after the last one). */
  sliceAt = Infinity;
  private handle: Exchange | null = null;
  private edns = true;
  /** The truncated UDP reply, once we are asking over TCP. */
  private truncated: Answer | null = null;
  /** When the last query of this attempt was sent (its reply's latency). */
  private sentAt = 0;

  constructor(
    private readonly lookup: Lookup,
    readonly up: Upstream,
  ) {}

  sendUdp(): void {
    const lk = this.lookup;
    this.sentAt = performance.now();
    this.up.stats.requests++;
    this.handle = lk.f.udp.send(this.up.target, upstreamQuery(lk, this.edns), lk, this);
  }

  onReply(reply: Buffer | null, fail: FailKind): void {
    this.handle = null;
    const lk = this.lookup;
    const f = lk.f;
    const a = reply ? f.toAnswer(reply, lk) : null;
    if (!a) {
      if (this.truncated) return lk.onResult(this, TC, this.truncated, fail);
      return lk.onResult(this, FAIL, null, reply ? 'error' : fail);
    }
    const rcode = a.flags & 0x0f;
    observeUpstream(this.up.stats, rcode, performance.now() - this.sentAt);
    if (!this.truncated) {
      // RFC 6891 §7: a server that does not know EDNS answers FORMERR/NOTIMP without OPT.
      if (this.edns && !a.upstreamOpt && (rcode === RCODE_FORMERR || rcode === RCODE_NOTIMP)) {
        this.edns = false;
        return this.sendUdp();
      }
      if (a.flags & FLAG_TC) {
        f.metrics.tcpRetries++;
        markTruncated(a);
        this.truncated = a;
        this.sentAt = performance.now();
        this.up.stats.requests++;
        this.handle = f.tcp.send(this.up.target, upstreamQuery(lk, this.edns), lk, lk.deadline, this);
        return;
      }
    } else if (a.flags & FLAG_TC) {
      return lk.onResult(this, TC, this.truncated, 'error');
    }
    // [A.14]: an error rcode (extended ones too) is a reason to try the next resolver.
    const usable = a.extRcode === 0 && (rcode === 0 || rcode === RCODE_NXDOMAIN);
    lk.onResult(this, usable ? ANSWER : RCODE, a, 'error');
  }

  cancel(): void {
    const h = this.handle;
    this.handle = null;
    h?.cancel();
  }
}

/** Our query to upstream (ID set when sent): RD and CD as the client's; AD asked for; OPT 1232 with the client's DO. */
function upstreamQuery(lk: Lookup, edns: boolean): Buffer {
  const n = lk.qname.length;
  const b = Buffer.allocUnsafe(12 + n + 4 + (edns ? 11 : 0));
  b.writeUInt32BE(((lk.flags & (FLAG_RD | FLAG_CD)) | FLAG_AD) >>> 0, 0); // ID 0, flags
  b.writeUInt32BE(0x00010000, 4); // QDCOUNT 1, ANCOUNT 0
  b.writeUInt32BE(edns ? 1 : 0, 8); // NSCOUNT 0, ARCOUNT
  b.set(lk.qname, 12);
  b.writeUInt16BE(lk.qtype, 12 + n);
  b.writeUInt16BE(lk.qclass, 14 + n);
  if (edns) {
    writeOpt(b, 16 + n, 0, lk.dnssecOk);
  }
  return b;
}
