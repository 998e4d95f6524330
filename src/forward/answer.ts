// A forwarded answer in the form we keep and serve it. The upstream reply is re-encoded once (with
// name compression, without its OPT record) into `base`; every client, fresh or served from the
// cache, gets a copy of it with its own ID, flags and question spelling patched in, TTLs lowered by
// the time spent in the cache, and an OPT record appended if it sent one. That copy-and-patch is
// the hot path of a cache hit. A reply that does not fit the client's size limit is decoded and
// re-encoded (truncation, Part A items 8 and 13) once per limit, then kept next to `base` and
// patched the same way: clients without EDNS asking for big answers are common (glibc sends no
// OPT), and re-truncating on every hit cost 20 times a plain hit.
import {
  FLAG_AA,
  FLAG_AD,
  FLAG_CD,
  FLAG_QR,
  FLAG_RA,
  FLAG_RD,
  FLAG_TC,
  OPCODE_MASK,
  RCODE_NOERROR,
  RCODE_NXDOMAIN,
  TYPE_OPT,
  TYPE_SOA,
  encodeLimited,
  encodeSections,
  optRecord,
  relayableOptions,
  tryDecode,
  type ClientQuery,
  type Message,
  type RR,
} from './wire.js';

/** The UDP payload size we advertise, upstream and to clients (DNS flag day 2020). */
export const EDNS_UDP_SIZE = 1232;
/** Longest time an answer is kept, whatever its TTL says. */
export const MAX_CACHE_TTL = 86400;

export interface Answer {
  /** Encoded reply: ID 0, question as sent upstream (lower-case), no OPT record. */
  base: Buffer;
  ttlOffsets: Uint32Array;
  /** Header flags of the upstream reply. */
  flags: number;
  /** OPT record for clients that sent EDNS (DO as in the cache key, EDE options relayed). */
  optTail: Buffer;
  storedAt: number;
  /** Seconds this answer may be cached; 0 = not cacheable. */
  ttl: number;
  expiresAt: number;
  /** The upstream reply was truncated (TCP failed too): relay with TC, never cache. */
  tc: boolean;
  /** Bytes it holds, for the cache's byte bound (truncated variants included ahead of time). */
  size: number;
  /** Truncated encodings by (limit, client sent OPT); at most MAX_VARIANTS. */
  variants?: Map<number, Variant>;
}

interface Variant {
  buf: Buffer;
  ttlOffsets: ArrayLike<number>;
  /** Whether OPT is already inside `buf`. */
  hasOpt: boolean;
  truncated: boolean;
}

const MAX_VARIANTS = 4;

function soaMinimum(r: RR): number | null {
  if (Buffer.isBuffer(r.rdata)) return null;
  const fixed = r.rdata[2];
  return Buffer.isBuffer(fixed) && fixed.length === 20 ? fixed.readUInt32BE(16) : null;
}

/**
 * Builds the Answer for an upstream reply. Cache TTL: the smallest answer TTL; for negative
 * answers (NXDOMAIN, or NOERROR without answers) min(SOA TTL, SOA MINIMUM) per RFC 2308 §5, and
 * not cacheable without a SOA. Only NOERROR/NXDOMAIN, untruncated replies are cacheable.
 */
export function buildAnswer(reply: Message, q: ClientQuery, truncated: boolean, now: number): Answer {
  const rcode = reply.flags & 0x0f;
  const opt = reply.additionals.find((r) => r.type === TYPE_OPT);
  const additionals = reply.additionals.filter((r) => r.type !== TYPE_OPT);
  const negative = rcode === RCODE_NXDOMAIN || reply.answers.length === 0;
  let ttl = Infinity;
  for (const a of reply.answers) ttl = Math.min(ttl, a.ttl);
  let neg = Infinity;
  const authorities = reply.authorities.map((r) => {
    if (r.type !== TYPE_SOA) return r;
    const min = soaMinimum(r);
    if (min === null) return r;
    const n = Math.min(r.ttl, min);
    neg = Math.min(neg, n);
    // RFC 2308 §3: the SOA of a negative answer carries the negative TTL.
    return negative ? { ...r, ttl: n } : r;
  });
  if (negative && neg === Infinity) ttl = 0;
  ttl = Math.min(ttl, neg, MAX_CACHE_TTL);
  const cacheable = !truncated && (rcode === RCODE_NOERROR || rcode === RCODE_NXDOMAIN) && Number.isFinite(ttl) && ttl > 0;
  if (!cacheable) ttl = 0;

  const enc = encodeSections(0, reply.flags, [{ name: q.qnameLower, type: q.qtype, class: q.qclass }], reply.answers, authorities, additionals);
  const optTail = optRecord(EDNS_UDP_SIZE, 0, q.edns?.do ?? false, opt ? relayableOptions(opt.rdata as Buffer) : undefined);
  return {
    base: enc.buf,
    ttlOffsets: Uint32Array.from(enc.ttlOffsets),
    flags: reply.flags,
    optTail,
    storedAt: now,
    ttl,
    expiresAt: now + ttl * 1000,
    tc: truncated,
    size:
      enc.buf.length +
      optTail.length +
      enc.ttlOffsets.length * 4 +
      160 +
      (enc.buf.length > 512 ? 2 * (512 + Math.min(enc.buf.length + optTail.length, EDNS_UDP_SIZE)) : 0),
  };
}

export interface RenderResult {
  buf: Buffer;
  truncated: boolean;
}

/**
 * The reply for one client. `query` is the client's raw query (its question bytes are copied, so
 * every name that was compressed against the question takes the client's spelling).
 */
export function renderAnswer(
  a: Answer,
  q: ClientQuery,
  query: Buffer,
  limit: number,
  fromCache: boolean,
  now: number,
  setTruncateBit: boolean,
): RenderResult | null {
  const opt = q.edns ? a.optTail : null;
  let src: Variant;
  if (a.base.length + (opt ? opt.length : 0) <= limit) {
    src = { buf: a.base, ttlOffsets: a.ttlOffsets, hasOpt: false, truncated: false };
  } else {
    const key = limit * 2 + (opt ? 1 : 0);
    const known = a.variants?.get(key);
    if (known) {
      src = known;
    } else {
      const whole = opt ? Buffer.concat([a.base, opt]) : a.base;
      if (opt) whole.writeUInt16BE(whole.readUInt16BE(10) + 1, 10);
      const msg = tryDecode(whole);
      if (!msg) return null;
      const e = encodeLimited(msg, limit, true);
      src = { buf: e.buf, ttlOffsets: e.ttlOffsets, hasOpt: opt !== null, truncated: e.truncated };
      if (!a.variants) a.variants = new Map();
      if (a.variants.size < MAX_VARIANTS) a.variants.set(key, src);
    }
  }

  const extra = opt && !src.hasOpt ? opt : null;
  const size = src.buf.length + (extra ? extra.length : 0);
  const out = Buffer.allocUnsafe(size);
  src.buf.copy(out, 0);
  out.writeUInt16BE(q.id, 0);
  let flags = (a.flags & (OPCODE_MASK | FLAG_AA | FLAG_RA | FLAG_AD | 0x0f)) | FLAG_QR | (q.flags & (FLAG_RD | FLAG_CD));
  // A cached answer is no longer authoritative (RFC 1035 §6.1); AD only for clients that asked (RFC 6840 §5.8).
  if (fromCache) flags &= ~FLAG_AA;
  if (!(q.flags & FLAG_AD) && !q.edns?.do) flags &= ~FLAG_AD;
  if ((a.tc || src.truncated) && setTruncateBit) flags |= FLAG_TC;
  out.writeUInt16BE(flags, 2);
  query.copy(out, 12, 12, 12 + q.qname.length);
  if (extra) {
    out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
    extra.copy(out, src.buf.length);
  }
  const elapsed = fromCache ? Math.floor((now - a.storedAt) / 1000) : 0;
  if (elapsed > 0) {
    for (let i = 0; i < src.ttlOffsets.length; i++) {
      const o = src.ttlOffsets[i];
      const t = out.readUInt32BE(o);
      out.writeUInt32BE(t > elapsed ? t - elapsed : 0, o);
    }
  }
  return { buf: out, truncated: src.truncated };
}
