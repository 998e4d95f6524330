// A forwarded answer in the form we keep and serve it. Usually `base` is the upstream reply
// itself (ReplyScan in reply-scan.ts found where everything is): ID zeroed, OPT record and trailing bytes
// cut off, RFC 2181/2308 TTL fixes patched in. A reply of an unusual shape is decoded and
// re-encoded (with name compression, without OPT) instead. Every client, fresh or served from the
// cache, gets a copy of `base` with its own ID, flags and question spelling patched in, TTLs
// lowered by the time spent in the cache, and an OPT record appended if it sent one. That
// copy-and-patch is the hot path of a cache hit. A reply that does not fit the client's size limit
// is decoded and re-encoded (truncation, [A.8] and [A.13]) once per limit, then kept next to
// `base` and patched the same way: clients without EDNS asking for big answers are common (glibc
// sends no OPT), and re-truncating on every hit cost 20 times a plain hit.
import {
  EDNS_MAX_UDP, FLAG_AA, FLAG_AD, FLAG_CD, FLAG_QR, FLAG_RA, FLAG_RD, FLAG_TC, OPCODE_MASK,
  RCODE_NOERROR, RCODE_NXDOMAIN, TYPE_OPT, TYPE_SOA,
} from '../wire/constants.js';
import { optRecord } from '../wire/reply.js';
import type { ClientQuery } from '../wire/query.js';
import {
  encodeLimited,
  encodeSections,
  relayableOptions,
  tryDecode,
  type Message,
  type RR,
  type WireName,
} from './wire.js';
import type { ReplyScan } from './reply-scan.js';

/** The UDP payload size we advertise, upstream and to clients: the shared one (wire/constants.ts). */
export const EDNS_UDP_SIZE = EDNS_MAX_UDP;
/**
 * Longest time an answer is kept, and the longest TTL relayed, whatever upstream says, unless
 * `ForwardMaxTTL` says otherwise (1 day, as BIND's max-cache-ttl default is a week and Unbound's a
 * day): a relayed 2^31-1 kept clients and downstream caches on an answer for 68 years.
 */
export const MAX_CACHE_TTL = 86400;

export interface Answer {
  /** Encoded reply: ID 0, question as sent upstream (lower-case), no OPT record. */
  base: Buffer;
  ttlOffsets: readonly number[];
  /** Where the client's spelling of the question goes besides the question (see ReplyScan.spell). */
  spell: readonly number[] | null;
  /** Header flags of the upstream reply. */
  flags: number;
  /** Extended rcode bits from the upstream OPT record, and whether it had one. */
  extRcode: number;
  upstreamOpt: boolean;
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
  variants: Map<number, Variant> | undefined;
}

interface Variant {
  buf: Buffer;
  ttlOffsets: readonly number[];
  /** Whether OPT is already inside `buf`. */
  hasOpt: boolean;
  truncated: boolean;
}

const MAX_VARIANTS = 4;

// The OPT record of nearly every answer: no options to relay. Shared, never modified.
const OPT_PLAIN = optRecord(EDNS_UDP_SIZE, 0, false);
const OPT_DO = optRecord(EDNS_UDP_SIZE, 0, true);

function optTailFor(dnssecOk: boolean, upstreamOptions: Buffer | null): Buffer {
  const keep = upstreamOptions ? relayableOptions(upstreamOptions) : null;
  if (keep && keep.length) return optRecord(EDNS_UDP_SIZE, 0, dnssecOk, keep);
  return dnssecOk ? OPT_DO : OPT_PLAIN;
}

/**
 * The Answer, with its cache TTL (see buildAnswer for the rules). Built as one literal with every
 * field in the same order: an object spread here gave each answer a hidden class of its own, and
 * ten thousand cached answers with ten thousand maps made GC a fifth of a cache miss.
 */
function makeAnswer(
  base: Buffer,
  ttlOffsets: readonly number[],
  spell: readonly number[] | null,
  flags: number,
  extRcode: number,
  upstreamOpt: boolean,
  optTail: Buffer,
  ttl: number,
  now: number,
): Answer {
  const rcode = flags & 0x0f;
  const cacheable = extRcode === 0 && (rcode === RCODE_NOERROR || rcode === RCODE_NXDOMAIN) && Number.isFinite(ttl) && ttl > 0;
  if (!cacheable) ttl = 0;
  const n = base.length;
  return {
    base,
    ttlOffsets,
    spell,
    flags,
    extRcode,
    upstreamOpt,
    optTail,
    storedAt: now,
    ttl,
    expiresAt: now + ttl * 1000,
    tc: false,
    size: n + optTail.length + ttlOffsets.length * 8 + 160 + (n > 512 ? 2 * (512 + Math.min(n + optTail.length, EDNS_UDP_SIZE)) : 0),
    variants: undefined,
  };
}

/** Marks an answer as coming from a truncated reply: relayed with TC, never cached. */
export function markTruncated(a: Answer): void {
  a.tc = true;
  a.ttl = 0;
  a.expiresAt = a.storedAt;
}

/**
 * The Answer for an upstream reply that `s` has just scanned: the reply's own bytes (see the top
 * of this file). Same TTL rules as buildAnswer.
 */
export function relayAnswer(reply: Buffer, s: ReplyScan, dnssecOk: boolean, now: number, maxTtl = MAX_CACHE_TTL): Answer {
  const base = Buffer.allocUnsafe(s.end);
  reply.copy(base, 0, 0, s.end);
  base[0] = base[1] = 0;
  if (s.hasOpt) base.writeUInt16BE(base.readUInt16BE(10) - 1, 10);
  for (const o of s.ttls) {
    const v = base.readUInt32BE(o);
    if (v > 0x7fffffff) base.writeUInt32BE(0, o);
    else if (v > maxTtl) base.writeUInt32BE(maxTtl, o); // relayed TTLs are capped too
  }
  const rcode = s.flags & 0x0f;
  const negative = rcode === RCODE_NXDOMAIN || s.answers === 0;
  // RFC 2308 §3: the SOA of a negative answer carries the negative TTL.
  if (negative && s.soa) for (let i = 0; i < s.soa.length; i += 2) base.writeUInt32BE(Math.min(s.soa[i + 1], maxTtl), s.soa[i]);
  let ttl = s.minAnswerTtl;
  if (negative && s.negTtl === Infinity) ttl = 0;
  ttl = Math.min(ttl, s.negTtl, maxTtl);
  return makeAnswer(base, s.ttls, s.spell, s.flags, s.extRcode, s.hasOpt, optTailFor(dnssecOk, s.optOptions), ttl, now);
}

function soaMinimum(r: RR): number | null {
  if (Buffer.isBuffer(r.rdata)) return null;
  const fixed = r.rdata[2];
  return Buffer.isBuffer(fixed) && fixed.length === 20 ? fixed.readUInt32BE(16) : null;
}

/**
 * Builds the Answer for a decoded upstream reply (one ReplyScan does not take). Cache TTL: the
 * smallest answer TTL; for negative answers (NXDOMAIN, or NOERROR without answers)
 * min(SOA TTL, SOA MINIMUM) per RFC 2308 §5, and not cacheable without a SOA. Only NOERROR/NXDOMAIN
 * replies without extended rcode, untruncated, are cacheable.
 */
export function buildAnswer(reply: Message, qnameLower: WireName, qtype: number, qclass: number, dnssecOk: boolean, now: number, maxTtl = MAX_CACHE_TTL): Answer {
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
  ttl = Math.min(ttl, neg, maxTtl);
  const cap = (list: RR[]) => list.map((r) => (r.ttl > maxTtl ? { ...r, ttl: maxTtl } : r));
  const enc = encodeSections(0, reply.flags, [{ name: qnameLower, type: qtype, class: qclass }], cap(reply.answers), cap(authorities), cap(additionals));
  const ext = opt ? (opt.ttl >>> 24) & 0xff : 0;
  return makeAnswer(enc.buf, enc.ttlOffsets, null, reply.flags, ext, opt !== undefined, optTailFor(dnssecOk, opt ? (opt.rdata as Buffer) : null), ttl, now);
}

/**
 * The reply for one client, or null when a truncated rendering cannot be made. `query` is the
 * client's raw query (its question bytes are copied, so every name that was compressed against the
 * question takes the client's spelling). Counts truncations in `counts.truncated`.
 */
export function renderAnswer(
  a: Answer,
  q: ClientQuery,
  query: Buffer,
  limit: number,
  fromCache: boolean,
  now: number,
  setTruncateBit: boolean,
  counts: { truncated: number },
): Buffer | null {
  const opt = q.ednsVersion >= 0 ? a.optTail : null;
  let src = a.base;
  let ttlOffsets = a.ttlOffsets;
  let spell = a.spell;
  let extra = opt;
  let truncated = false;
  if (src.length + (opt ? opt.length : 0) > limit) {
    const v = variant(a, opt, limit);
    if (!v) return null;
    src = v.buf;
    ttlOffsets = v.ttlOffsets;
    spell = null; // re-encoded: every name equal to (a suffix of) the question points into it
    if (v.hasOpt) extra = null;
    truncated = v.truncated;
  }

  const n = src.length;
  const out = Buffer.allocUnsafe(n + (extra ? extra.length : 0));
  out.set(src, 0);
  out[0] = q.id >>> 8;
  out[1] = q.id & 0xff;
  let flags = (a.flags & (OPCODE_MASK | FLAG_AA | FLAG_RA | FLAG_AD | 0x0f)) | FLAG_QR | (q.flags & (FLAG_RD | FLAG_CD));
  // A cached answer is no longer authoritative (RFC 1035 §6.1); AD only for clients that asked (RFC 6840 §5.8).
  if (fromCache) flags &= ~FLAG_AA;
  if (!(q.flags & FLAG_AD) && !q.dnssecOk) flags &= ~FLAG_AD;
  if ((a.tc || truncated) && setTruncateBit) flags |= FLAG_TC;
  out[2] = flags >>> 8;
  out[3] = flags & 0xff;
  for (let i = 12, e = 12 + q.qnameLen; i < e; i++) out[i] = query[i];
  if (spell) {
    for (let i = 0; i < spell.length; i += 3) {
      const at = spell[i];
      const from = 12 + spell[i + 1];
      for (let k = 0; k < spell[i + 2]; k++) out[at + k] = query[from + k];
    }
  }
  if (extra) {
    out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
    out.set(extra, n);
  }
  const elapsed = fromCache ? Math.floor((now - a.storedAt) / 1000) : 0;
  if (elapsed > 0) {
    for (let i = 0; i < ttlOffsets.length; i++) {
      const o = ttlOffsets[i];
      const t = out.readUInt32BE(o);
      out.writeUInt32BE(t > elapsed ? t - elapsed : 0, o);
    }
  }
  if (truncated) counts.truncated++;
  return out;
}

/** The truncated encoding of `a` for this limit (and OPT or not), made once and kept. */
function variant(a: Answer, opt: Buffer | null, limit: number): Variant | null {
  const key = limit * 2 + (opt ? 1 : 0);
  const known = a.variants?.get(key);
  if (known) return known;
  const whole = opt ? Buffer.concat([a.base, opt]) : a.base;
  if (opt) whole.writeUInt16BE(whole.readUInt16BE(10) + 1, 10);
  const msg = tryDecode(whole);
  if (!msg) return null;
  const e = encodeLimited(msg, limit, true);
  const v = { buf: e.buf, ttlOffsets: e.ttlOffsets, hasOpt: opt !== null, truncated: e.truncated };
  if (!a.variants) a.variants = new Map();
  if (a.variants.size < MAX_VARIANTS) a.variants.set(key, v);
  return v;
}
