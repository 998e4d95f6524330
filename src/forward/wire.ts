// DNS wire format for relayed replies. We do not use dns-packet here because a relayed reply can
// hold any record type (dns-packet throws on many), it does no name compression (relayed replies
// would grow and truncate more often), and its decode accepts garbage. This codec keeps unknown
// RDATA as opaque bytes, decompresses the names it must (RFC 1035 types and those RFC 3597 §4
// lists), compresses on output case-insensitively (so every name equal to the question takes the
// client's spelling), and reports the exact packed size, which truncation needs. Reading a reply
// in place, without decoding it, is reply-scan.ts.
// Everything that reads a buffer checks bounds and throws WireError; callers catch it.

export class WireError extends Error {
  override name = 'WireError';
}


// The numbers and name rules are the shared wire module's (src/wire/).
import { FLAG_TC, TYPE_OPT } from '../wire/constants.js';

/** Types whose names the bailiwick rules follow (bailiwick.ts). */
export const TYPE_CNAME = 5;
export const TYPE_DNAME = 39;
import { lowerCopy, lowerName } from '../wire/name.js';
import type { ClientQuery } from '../wire/query.js';

/** A name is kept in uncompressed wire form (length-prefixed labels, final zero byte). */
export type WireName = Buffer;

/** RDATA is opaque bytes, or a sequence of byte runs and embedded names. */
export type RdataPart = Buffer | { name: WireName; compress: boolean };
export type Rdata = Buffer | RdataPart[];

export interface Question {
  name: WireName;
  type: number;
  class: number;
}

export interface RR {
  name: WireName;
  type: number;
  class: number;
  ttl: number;
  rdata: Rdata;
}

export interface Message {
  id: number;
  flags: number;
  questions: Question[];
  answers: RR[];
  authorities: RR[];
  additionals: RR[];
}

function fail(what: string): never {
  throw new WireError(what);
}

/**
 * Reads a possibly compressed name. `limit` bounds the bytes of the name in place (the message or
 * the RDATA end); pointers may lead anywhere earlier in the message, but each one must point
 * strictly before the name segment that holds it, so a loop is impossible.
 */
export function readName(buf: Buffer, start: number, limit: number, seen?: Map<number, WireName>): { name: WireName; next: number } {
  // Owner names are mostly a bare pointer to a name already read (the question): reuse it.
  if (seen && start + 1 < limit && (buf[start] & 0xc0) === 0xc0) {
    const hit = seen.get(((buf[start] & 0x3f) << 8) | buf[start + 1]);
    if (hit && (((buf[start] & 0x3f) << 8) | buf[start + 1]) < start) return { name: hit, next: start + 2 };
  }
  const out = Buffer.allocUnsafe(255);
  let olen = 0;
  let off = start;
  let segStart = start;
  let next = -1;
  for (;;) {
    const end = next < 0 ? limit : buf.length;
    if (off >= end) fail('name runs past the end');
    const len = buf[off];
    if (len === 0) {
      out[olen++] = 0;
      if (next < 0) next = off + 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (off + 1 >= end) fail('truncated compression pointer');
      const ptr = ((len & 0x3f) << 8) | buf[off + 1];
      if (next < 0) next = off + 2;
      if (ptr >= segStart) fail('compression pointer does not point backwards');
      segStart = ptr;
      off = ptr;
      continue;
    }
    if (kind !== 0) fail('unsupported label type');
    if (off + 1 + len > end) fail('label runs past the end');
    if (olen + 1 + len + 1 > 255) fail('name longer than 255 bytes');
    out[olen++] = len;
    buf.copy(out, olen, off + 1, off + 1 + len);
    olen += len;
    off += 1 + len;
  }
  const name = Buffer.from(out.subarray(0, olen));
  seen?.set(start, name);
  return { name, next };
}

/** Presentation form without the trailing dot, labels taken raw ("" for the root). */
export function nameToText(name: WireName): string {
  const labels: string[] = [];
  let off = 0;
  while (off < name.length && name[off] !== 0) {
    const l = name[off];
    labels.push(name.toString('latin1', off + 1, off + 1 + l));
    off += 1 + l;
  }
  return labels.join('.');
}

// Where names sit inside RDATA. 'n' = compressible name (RFC 1035 types, written compressed),
// 'N' = name that may arrive compressed but is written uncompressed (RFC 3597 §4, RFC 2782, RFC 6672),
// a number = fixed byte run, 's' = character-string.
type Field = 'n' | 'N' | 's' | number;
export const LAYOUT: Record<number, Field[]> = {
  2: ['n'], 3: ['n'], 4: ['n'], 5: ['n'], 7: ['n'], 8: ['n'], 9: ['n'], 12: ['n'], // NS MD MF CNAME MB MG MR PTR
  6: ['n', 'n', 20], // SOA
  14: ['n', 'n'], // MINFO
  15: [2, 'n'], // MX
  17: ['N', 'N'], // RP
  18: [2, 'N'], // AFSDB
  21: [2, 'N'], // RT
  26: [2, 'N', 'N'], // PX
  33: [6, 'N'], // SRV
  35: [4, 's', 's', 's', 'N'], // NAPTR
  39: ['N'], // DNAME
};

function readRdata(buf: Buffer, type: number, start: number, end: number, seen: Map<number, WireName>): Rdata {
  const layout = LAYOUT[type];
  if (!layout) return buf.subarray(start, end);
  const parts: RdataPart[] = [];
  let off = start;
  for (const f of layout) {
    if (typeof f === 'number') {
      if (off + f > end) fail('short RDATA');
      parts.push(buf.subarray(off, off + f));
      off += f;
    } else if (f === 's') {
      if (off >= end || off + 1 + buf[off] > end) fail('short RDATA string');
      const l = 1 + buf[off];
      parts.push(buf.subarray(off, off + l));
      off += l;
    } else {
      const r = readName(buf, off, end, seen);
      parts.push({ name: r.name, compress: f === 'n' });
      off = r.next;
    }
  }
  if (off !== end) fail('RDATA length does not match its content');
  return parts;
}

function readRRs(buf: Buffer, off: number, count: number, out: RR[], seen: Map<number, WireName>): number {
  for (let i = 0; i < count; i++) {
    const r = readName(buf, off, buf.length, seen);
    off = r.next;
    if (off + 10 > buf.length) fail('truncated resource record');
    const type = buf.readUInt16BE(off);
    const klass = buf.readUInt16BE(off + 2);
    let ttl = buf.readUInt32BE(off + 4);
    if (ttl > 0x7fffffff && type !== TYPE_OPT) ttl = 0; // RFC 2181 §8
    const rdlen = buf.readUInt16BE(off + 8);
    off += 10;
    if (off + rdlen > buf.length) fail('RDATA runs past the end');
    const rdata = type === TYPE_OPT ? buf.subarray(off, off + rdlen) : readRdata(buf, type, off, off + rdlen, seen);
    out.push({ name: r.name, type, class: klass, ttl, rdata });
    off += rdlen;
  }
  return off;
}

/**
 * Parses a whole message; trailing bytes after the last record are ignored. Throws WireError.
 * Opaque RDATA are views into `buf` (not copies): do not modify `buf` while the result is in use.
 */
export function decodeMessage(buf: Buffer): Message {
  if (buf.length < 12) fail('shorter than a header');
  const qd = buf.readUInt16BE(4);
  const an = buf.readUInt16BE(6);
  const ns = buf.readUInt16BE(8);
  const ar = buf.readUInt16BE(10);
  const msg: Message = {
    id: buf.readUInt16BE(0),
    flags: buf.readUInt16BE(2),
    questions: [],
    answers: [],
    authorities: [],
    additionals: [],
  };
  const seen = new Map<number, WireName>();
  let off = 12;
  for (let i = 0; i < qd; i++) {
    const r = readName(buf, off, buf.length, seen);
    off = r.next;
    if (off + 4 > buf.length) fail('truncated question');
    msg.questions.push({ name: r.name, type: buf.readUInt16BE(off), class: buf.readUInt16BE(off + 2) });
    off += 4;
  }
  off = readRRs(buf, off, an, msg.answers, seen);
  off = readRRs(buf, off, ns, msg.authorities, seen);
  readRRs(buf, off, ar, msg.additionals, seen);
  return msg;
}

/** decodeMessage that returns null instead of throwing. */
export function tryDecode(buf: Buffer): Message | null {
  try {
    return decodeMessage(buf);
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding

class Writer {
  buf: Buffer;
  len = 0;
  private readonly comp = new Map<string, number>();
  /** Names written whole before, by object identity (decoded names are shared), for a quick pointer. */
  private readonly whole = new Map<WireName, number>();
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
  u16(v: number): void {
    this.ensure(2);
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf[this.len++] = (v >>> 24) & 0xff;
    this.buf[this.len++] = (v >>> 16) & 0xff;
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  /**
   * Writes a name. Suffixes are looked up lower-cased, so a name that equals (ignoring case) one
   * written earlier points to it and takes its spelling. Uncompressed names still register their
   * suffixes (as miekg/dns does for SRV targets), so later owners may point at them.
   */
  name(name: WireName, compress: boolean): void {
    if (compress && name.length > 1) {
      const p = this.whole.get(name);
      if (p !== undefined) {
        this.u16(0xc000 | p);
        return;
      }
    }
    const start = this.len;
    const lower = lowerName(name);
    let pos = 0;
    while (pos < name.length && name[pos] !== 0) {
      const key = lower.toString('latin1', pos);
      if (compress) {
        const p = this.comp.get(key);
        if (p !== undefined) {
          if (pos === 0) this.whole.set(name, p);
          this.u16(0xc000 | p);
          return;
        }
      }
      if (this.len < 0x4000 && !this.comp.has(key)) this.comp.set(key, this.len);
      const l = name[pos];
      this.bytes(name.subarray(pos, pos + 1 + l));
      pos += 1 + l;
    }
    this.ensure(1);
    this.buf[this.len++] = 0;
    if (start < 0x4000 && name.length > 1) this.whole.set(name, start);
  }
  rr(r: RR, ttlOffsets: number[] | null): void {
    this.name(r.name, true);
    this.u16(r.type);
    this.u16(r.class);
    if (ttlOffsets && r.type !== TYPE_OPT) ttlOffsets.push(this.len);
    this.u32(r.ttl);
    const lenAt = this.len;
    this.u16(0);
    if (Buffer.isBuffer(r.rdata)) this.bytes(r.rdata);
    else for (const p of r.rdata) Buffer.isBuffer(p) ? this.bytes(p) : this.name(p.name, p.compress);
    const rdlen = this.len - lenAt - 2;
    if (rdlen > 0xffff) fail('RDATA too long');
    this.buf.writeUInt16BE(rdlen, lenAt);
  }
}

export interface Encoded {
  buf: Buffer;
  /** Offset of the TTL field of every record except OPT (for decrementing TTLs of cached replies). */
  ttlOffsets: number[];
  /** Offset just after each answer record (answerEnds[0] = end of the question section). */
  answerEnds: number[];
}

export function encodeSections(
  id: number,
  flags: number,
  questions: Question[],
  answers: RR[],
  authorities: RR[],
  additionals: RR[],
): Encoded {
  const w = new Writer(512);
  const ttlOffsets: number[] = [];
  const answerEnds: number[] = [];
  w.u16(id);
  w.u16(flags);
  w.u16(questions.length);
  w.u16(answers.length);
  w.u16(authorities.length);
  w.u16(additionals.length);
  for (const q of questions) {
    w.name(q.name, true);
    w.u16(q.type);
    w.u16(q.class);
  }
  answerEnds.push(w.len);
  for (const r of answers) {
    w.rr(r, ttlOffsets);
    answerEnds.push(w.len);
  }
  for (const r of authorities) w.rr(r, ttlOffsets);
  for (const r of additionals) w.rr(r, ttlOffsets);
  return { buf: Buffer.from(w.buf.subarray(0, w.len)), ttlOffsets, answerEnds };
}

export function encodeMessage(m: Message): Encoded {
  return encodeSections(m.id, m.flags, m.questions, m.answers, m.authorities, m.additionals);
}

/**
 * Encodes `m` so that it fits in `limit` bytes [A.8]: when it does not fit, drop the
 * additional section except the OPT record (RFC 6891 wants it kept), then whole answer records
 * from the end; set TC when `setTC`. Authority is only dropped when even zero answers do not fit.
 * Sizes are the exact packed sizes.
 */
export function encodeLimited(m: Message, limit: number, setTC: boolean): Encoded & { truncated: boolean } {
  const done = (e: Encoded, truncated: boolean) => {
    const f = e.buf.readUInt16BE(2);
    e.buf.writeUInt16BE(!setTC ? f & ~FLAG_TC : truncated ? f | FLAG_TC : f, 2);
    return { ...e, truncated };
  };
  const full = encodeSections(m.id, m.flags, m.questions, m.answers, m.authorities, m.additionals);
  if (full.buf.length <= limit) return done(full, false);

  const opt = m.additionals.filter((r) => r.type === TYPE_OPT);
  let e = opt.length === m.additionals.length ? full : encodeSections(m.id, m.flags, m.questions, m.answers, m.authorities, opt);
  if (e.buf.length <= limit) return done(e, true);

  // Largest answer count whose records, plus the authority and OPT as packed now, fit; names in
  // the tail may compress worse once answers are gone, so re-check and step down.
  const tail = e.buf.length - e.answerEnds[m.answers.length];
  let k = m.answers.length;
  while (k > 0 && e.answerEnds[k] + tail > limit) k--;
  for (;;) {
    e = encodeSections(m.id, m.flags, m.questions, m.answers.slice(0, k), m.authorities, opt);
    if (e.buf.length <= limit) return done(e, true);
    if (k === 0) break;
    k--;
  }
  e = encodeSections(m.id, m.flags, m.questions, [], [], opt);
  if (e.buf.length <= limit) return done(e, true);
  return done(encodeSections(m.id, m.flags, m.questions, [], [], []), true);
}

// ---------------------------------------------------------------------------------------------
// The client's query (parsed once, by the answering path: wire/query.ts)

/** The question name of a query, lower-cased (a copy). */
export function lowerQname(query: Buffer, q: ClientQuery): WireName {
  return lowerCopy(query, 12, q.qnameLen);
}

/** Keeps only the EDNS options worth passing to a client (Extended DNS Errors, RFC 8914). */
export function relayableOptions(rdata: Buffer): Buffer {
  const keep: Buffer[] = [];
  let off = 0;
  while (off + 4 <= rdata.length) {
    const code = rdata.readUInt16BE(off);
    const len = rdata.readUInt16BE(off + 2);
    if (off + 4 + len > rdata.length) break;
    if (code === 15) keep.push(rdata.subarray(off, off + 4 + len));
    off += 4 + len;
  }
  return Buffer.concat(keep);
}
