// Reading a relayed reply in place (ReplyScan), for relaying its bytes as they are: one walk over
// the reply, by exactly the decoder's rules (wire.ts readName, LAYOUT), that notes where the TTLs,
// SOA minimums and names spelled like the question are, without copying anything. Decoding into
// records and encoding them again cost more than the rest of a cache miss together (README, "Relay,
// do not re-encode"). Apart from wire.ts's codec since only the relay path and upstream reply
// matching (matchName) use it.
import { TYPE_NS, TYPE_OPT, TYPE_SOA } from '../wire/constants.js';
import { lowerByte } from '../wire/name.js';
import { LAYOUT, TYPE_CNAME, TYPE_DNAME, type WireName } from './wire.js';

// Set by walkName: where the name's bytes in place stop (its first pointer or its final zero), and
// its uncompressed length.
let walkLitEnd = 0;
let walkLen = 0;

/**
 * Checks the name at `start` by exactly the rules of readName (bounds, label types, backward-only
 * pointers, 255 bytes) without copying it. Returns the offset after it in place, or -1.
 */
function walkName(buf: Buffer, start: number, limit: number): number {
  let off = start;
  let segStart = start;
  let next = -1;
  let olen = 0;
  for (;;) {
    const end = next < 0 ? limit : buf.length;
    if (off >= end) return -1;
    const len = buf[off];
    if (len === 0) {
      olen++;
      if (next < 0) {
        next = off + 1;
        walkLitEnd = off;
      }
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (off + 1 >= end) return -1;
      const ptr = ((len & 0x3f) << 8) | buf[off + 1];
      if (next < 0) {
        next = off + 2;
        walkLitEnd = off;
      }
      if (ptr >= segStart) return -1;
      segStart = ptr;
      off = ptr;
      continue;
    }
    if (kind !== 0) return -1;
    if (off + 1 + len > end) return -1;
    if (olen + 1 + len + 1 > 255) return -1;
    olen += 1 + len;
    off += 1 + len;
  }
  walkLen = olen;
  return next;
}

/** Is the (already checked) name at buf[p] equal, ignoring case, to `lower` from `loff` on? `lower` is lower-case. */
function equalsLowerAt(buf: Buffer, p: number, lower: WireName, loff: number): boolean {
  for (;;) {
    let l = buf[p];
    while ((l & 0xc0) === 0xc0) {
      p = ((l & 0x3f) << 8) | buf[p + 1];
      l = buf[p];
    }
    if (l !== lower[loff]) return false;
    if (l === 0) return true;
    for (let i = 1; i <= l; i++) {
      let c = buf[p + i];
      if (c >= 0x41 && c <= 0x5a) c |= 0x20;
      if (c !== lower[loff + i]) return false;
    }
    p += 1 + l;
    loff += 1 + l;
  }
}

/** Are the two (already checked) names at buf[a] and buf[b] equal, ignoring case? */
function sameName(buf: Buffer, a: number, b: number): boolean {
  for (;;) {
    let la = buf[a];
    while ((la & 0xc0) === 0xc0) {
      a = ((la & 0x3f) << 8) | buf[a + 1];
      la = buf[a];
    }
    let lb = buf[b];
    while ((lb & 0xc0) === 0xc0) {
      b = ((lb & 0x3f) << 8) | buf[b + 1];
      lb = buf[b];
    }
    if (la !== lb) return false;
    if (la === 0) return true;
    for (let i = 1; i <= la; i++) if (lowerByte(buf[a + i]) !== lowerByte(buf[b + i])) return false;
    a += 1 + la;
    b += 1 + lb;
  }
}

/** Does the (already checked) name at buf[p], `len` bytes uncompressed, end with `lower` (label-aligned)? */
function hasSuffix(buf: Buffer, p: number, len: number, lower: WireName): boolean {
  while (len > lower.length) {
    let l = buf[p];
    while ((l & 0xc0) === 0xc0) {
      p = ((l & 0x3f) << 8) | buf[p + 1];
      l = buf[p];
    }
    len -= 1 + l;
    p += 1 + l;
  }
  return len === lower.length && equalsLowerAt(buf, p, lower, 0);
}

/** The offset after the name at `start` if it equals `lower` (a lower-case wire name) ignoring case, else -1. */
export function matchName(buf: Buffer, start: number, lower: WireName): number {
  const next = walkName(buf, start, buf.length);
  if (next < 0 || walkLen !== lower.length) return -1;
  return equalsLowerAt(buf, start, lower, 0) ? next : -1;
}

/**
 * Where everything is in an upstream reply, so it can be relayed byte for byte: forwarding then
 * only patches the reply (ID, flags, the client's spelling of the question, TTLs) instead of
 * decoding and re-encoding it. `scan` accepts only the usual shape: one question, written out in
 * full as we sent it, and at most one OPT record, the last one, which is cut off (`end`). For
 * anything else it answers false and the caller goes through decodeMessage, which also decides
 * whether the reply is malformed; every check decodeMessage makes is made here too.
 * One instance is reused: read the fields right after `scan`.
 */
export class ReplyScan {
  flags = 0;
  answers = 0;
  /** Length of the reply without its OPT record and trailing bytes. */
  end = 0;
  hasOpt = false;
  extRcode = 0;
  /** OPT RDATA (a view into the reply), null when empty or absent. */
  optOptions: Buffer | null = null;
  minAnswerTtl = Infinity;
  /** Smallest min(TTL, MINIMUM) of the SOA records in the authority section (RFC 2308 §5). */
  negTtl = Infinity;
  /** Offsets of every TTL field (OPT excepted); a fresh array of the exact size per scan, the caller may keep it. */
  ttls: number[] = [];
  /** Pairs (TTL offset, min(TTL, MINIMUM)) for the SOA records of the authority section, if any. */
  soa: number[] | null = null;
  /**
   * Triples (offset, offset in the question name, length): name bytes written out in place that
   * spell (a suffix of) the question name; the client's spelling is copied there, as re-encoding
   * with compression against the question would do. Null when there are none (the usual case).
   */
  spell: number[] | null = null;
  /**
   * With a bailiwick given to scan: some record may lie outside it (bailiwick.ts), so the reply
   * must be decoded and scrubbed rather than relayed whole. False for the usual reply: answers
   * owned by the question or its CNAME chain, at most an SOA/NS of an ancestor, no additional.
   */
  outside = false;
  private q: WireName = Buffer.alloc(1);
  /** TTL offsets while scanning (reused; cached answers keep an exact-size copy). */
  private readonly ttlScratch: number[] = [];
  /** Offsets of the CNAME targets met in the answer section, and how many. */
  private readonly chain: number[] = [];
  private nchain = 0;

  /** `zone`/`own`: the bailiwick to check (lower-case wire names); without them `outside` stays false. */
  scan(buf: Buffer, qname: WireName, zone: WireName | null = null, own: WireName | null = null): boolean {
    const len = buf.length;
    if (len < 12 || buf.readUInt16BE(4) !== 1) return false;
    this.flags = buf.readUInt16BE(2);
    const an = buf.readUInt16BE(6);
    const ns = buf.readUInt16BE(8);
    const total = an + ns + buf.readUInt16BE(10);
    let off = 12;
    while (off < len && buf[off] !== 0 && (buf[off] & 0xc0) === 0) off += 1 + buf[off];
    if (off >= len || buf[off] !== 0 || off + 1 - 12 !== qname.length) return false;
    off += 5;
    if (off > len) return false;
    this.q = qname;
    this.answers = an;
    this.hasOpt = false;
    this.extRcode = 0;
    this.optOptions = null;
    this.minAnswerTtl = Infinity;
    this.negTtl = Infinity;
    this.soa = null;
    this.spell = null;
    this.outside = false;
    this.nchain = 0;
    const ttls = this.ttlScratch;
    let nttl = 0;
    let optStart = 0;
    for (let i = 0; i < total; i++) {
      if (this.hasOpt) return false; // an OPT record that is not the last one
      const owner = off;
      off = walkName(buf, owner, len);
      if (off < 0) return false;
      const ownerLen = walkLen;
      if (walkLitEnd > owner) this.spellCheck(buf, owner, walkLitEnd, walkLen);
      if (off + 10 > len) return false;
      const type = buf.readUInt16BE(off);
      const ttlAt = off + 4;
      const rdStart = off + 10;
      const rdEnd = rdStart + buf.readUInt16BE(off + 8);
      if (rdEnd > len) return false;
      if (type === TYPE_OPT) {
        if (i < an + ns || off !== owner + 1) return false;
        this.hasOpt = true;
        optStart = owner;
        this.extRcode = buf[ttlAt];
        if (rdEnd > rdStart) this.optOptions = buf.subarray(rdStart, rdEnd);
      } else {
        ttls[nttl++] = ttlAt;
        let ttl = buf.readUInt32BE(ttlAt);
        if (ttl > 0x7fffffff) ttl = 0; // RFC 2181 §8
        if (i < an && ttl < this.minAnswerTtl) this.minAnswerTtl = ttl;
        if (!this.rdata(buf, type, rdStart, rdEnd)) return false;
        if (zone !== null && !this.outside && !this.plain(buf, i, an, ns, type, owner, ownerLen, rdStart, zone, own!)) this.outside = true;
        if (type === TYPE_SOA && i >= an && i < an + ns) {
          const n = Math.min(ttl, buf.readUInt32BE(rdEnd - 4));
          if (n < this.negTtl) this.negTtl = n;
          (this.soa ??= []).push(ttlAt, n);
        }
      }
      off = rdEnd;
    }
    this.end = this.hasOpt ? optStart : off;
    this.ttls = ttls.slice(0, nttl);
    return true;
  }

  /**
   * Whether record `i` (checked, RDATA walked last) is plainly in bailiwick: an answer owned by the
   * question or a CNAME target met before it (a CNAME's own target inside `zone`, outside `own`),
   * or an SOA/NS owned by the question name or an ancestor inside `zone`, with no CNAME before.
   * Anything else (DNAME, signatures in AUTHORITY, additional records) is left to bailiwick.ts.
   */
  private plain(buf: Buffer, i: number, an: number, ns: number, type: number, owner: number, ownerLen: number, rd: number, zone: WireName, own: WireName): boolean {
    const q = this.q;
    if (i < an) {
      let on = ownerLen === q.length && equalsLowerAt(buf, owner, q, 0);
      for (let k = 0; !on && k < this.nchain; k++) on = sameName(buf, owner, this.chain[k]);
      if (!on || type === TYPE_DNAME) return false;
      if (type === TYPE_CNAME) {
        // rdata() walked the target last: walkLen is its length.
        if (!hasSuffix(buf, rd, walkLen, zone) || hasSuffix(buf, rd, walkLen, own)) return false;
        this.chain[this.nchain++] = rd;
      }
      return true;
    }
    if (i >= an + ns || (type !== TYPE_SOA && type !== TYPE_NS) || this.nchain > 0) return false;
    if (ownerLen > q.length || ownerLen < zone.length) return false;
    const qoff = q.length - ownerLen;
    let b = 0;
    while (b < qoff) b += 1 + q[b];
    return b === qoff && equalsLowerAt(buf, owner, q, qoff);
  }

  /** RDATA checked as readRdata does; names that compress (LAYOUT 'n') are checked for spelling. */
  private rdata(buf: Buffer, type: number, start: number, end: number): boolean {
    const layout = LAYOUT[type];
    if (!layout) return true;
    let off = start;
    for (let i = 0; i < layout.length; i++) {
      const f = layout[i];
      if (typeof f === 'number') {
        if (off + f > end) return false;
        off += f;
      } else if (f === 's') {
        if (off >= end || off + 1 + buf[off] > end) return false;
        off += 1 + buf[off];
      } else {
        const next = walkName(buf, off, end);
        if (next < 0) return false;
        if (f === 'n' && walkLitEnd > off) this.spellCheck(buf, off, walkLitEnd, walkLen);
        off = next;
      }
    }
    return off === end;
  }

  /** Records the longest suffix of the (checked) name at `start` that spells a suffix of the question. */
  private spellCheck(buf: Buffer, start: number, litEnd: number, total: number): void {
    const q = this.q;
    let p = start;
    let rem = total;
    while (p < litEnd) {
      if (rem > 1 && rem <= q.length) {
        const qoff = q.length - rem;
        let b = 0;
        while (b < qoff) b += 1 + q[b];
        if (b === qoff && equalsLowerAt(buf, p, q, qoff)) {
          (this.spell ??= []).push(p, qoff, litEnd - p);
          return;
        }
      }
      rem -= 1 + buf[p];
      p += 1 + buf[p];
    }
  }
}
