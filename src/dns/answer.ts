// Authoritative answers for the Mesos domain [A.1]–[A.11]. Built for the hot path: the zone
// image already holds every record encoded with its owner as a pointer to the question, so an
// answer is: header + the client's question copied verbatim (which keeps the client's spelling,
// [A.5]) + ready RR bytes in shuffled order + target addresses whose owners point at the SRV targets
// just written. Sizes are exact, so truncation [A.8] is arithmetic, not trial encoding.
import {
  CLASS_ANY, CLASS_IN, EDNS_MAX_UDP, FLAG_TC, OPT_LEN, RCODE_BADVERS, RCODE_NXDOMAIN, RCODE_REFUSED,
  RCODE_SERVFAIL, TYPE_A, TYPE_AAAA, TYPE_ANY, TYPE_NS, TYPE_SOA, TYPE_SRV,
} from '../wire/constants.js';
import type { Query } from '../wire/query.js';
import { errorReply, replyFlags, writeHeader, writeOpt } from '../wire/reply.js';
import { A_RR_LEN, AAAA_RR_LEN, NO_ENTRY, type ZoneImage } from '../zone/image.js';

/** Everything an answer needs besides the query: swapped whole on every refresh. */
export interface Authority {
  /** null until the first successful state load ([A.1]: SERVFAIL meanwhile). */
  image: ZoneImage | null;
  /** Lower-case wire form of the apex. */
  apex: Uint8Array;
  /** SOA RDATA (MNAME, RNAME, SERIAL, REFRESH, RETRY, EXPIRE, MINIMUM). */
  soaRdata: Uint8Array;
  /** NS target (SOAMname as configured) in wire form; lower-cased and its hash, to find its addresses. */
  nsTarget: Uint8Array;
  nsLower: Uint8Array;
  nsHash: number;
  ttl: number;
  /** TTL of the SOA in negative answers: min(TTL, SOAMinttl) [A.3]. */
  negTtl: number;
  recurse: boolean;
  setTruncateBit: boolean;
}

/** UDP size limit for a query [A.7]: 512 without EDNS, min(advertised, 1232) (never below 512) with it. */
export function udpLimit(q: Query): number {
  if (q.ednsSize < 0) return 512;
  return Math.min(Math.max(q.ednsSize, 512), EDNS_MAX_UDP);
}

// Scratch arrays reused across answers (single-threaded, synchronous use only). Typed arrays with
// an explicit count: resetting a JS array's length is a runtime call that profiled at 12%.
let cap = 256;
let ansOff = new Uint32Array(cap);
let ansLen = new Uint32Array(cap);
let ansTarget = new Uint32Array(cap);
let ansN = 0;
let targets = new Uint32Array(cap);
let targetPos = new Uint32Array(cap);

function ensureCap(n: number): void {
  if (n <= cap) return;
  while (cap < n) cap *= 2;
  ansOff = new Uint32Array(cap); ansLen = new Uint32Array(cap); ansTarget = new Uint32Array(cap);
  targets = new Uint32Array(cap); targetPos = new Uint32Array(cap);
}

function seenTarget(t: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (targets[i] === t) return true;
  return false;
}

function pushRRs(off: number, count: number, len: number): void {
  for (let i = 0; i < count; i++, off += len) { ansOff[ansN] = off; ansLen[ansN] = len; ansTarget[ansN] = NO_ENTRY; ansN++; }
}

/** Copy bytes without creating a view: for the short RRs of an answer a loop beats subarray+set. */
function copyBytes(out: Uint8Array, w: number, src: Uint8Array, from: number, len: number): void {
  for (let i = 0; i < len; i++) out[w + i] = src[from + i];
}

/** Answer a query for a name inside the domain. `limit` is the transport's size limit. */
export function answerAuthoritative(msg: Uint8Array, q: Query, auth: Authority, limit: number): Buffer {
  if (q.qclass !== CLASS_IN && q.qclass !== CLASS_ANY) return errorReply(msg, q, RCODE_REFUSED, auth.recurse);
  if (q.ednsSize >= 0 && q.ednsVersion !== 0) return errorReply(msg, q, RCODE_BADVERS, auth.recurse);
  const image = auth.image;
  if (!image) return errorReply(msg, q, RCODE_SERVFAIL, auth.recurse);

  const e = image.find(q.hash, q.lname);
  const qtype = q.qtype;
  if (e >= 0) {
    // The common queries, A and AAAA, skip the general machinery: their RRs are contiguous.
    if (qtype === TYPE_A) return addressAnswer(msg, q, auth, image.aOff(e), image.aCount(e), A_RR_LEN, limit);
    if (qtype === TYPE_AAAA) return addressAnswer(msg, q, auth, image.aaaaOff(e), image.aaaaCount(e), AAAA_RR_LEN, limit);
  }
  return generalAnswer(msg, q, auth, image, e, limit);
}

/** SRV, ANY, SOA/NS at the apex, NODATA and NXDOMAIN: RRs of several kinds, SRV additionals. */
function generalAnswer(msg: Uint8Array, q: Query, auth: Authority, image: ZoneImage, e: number, limit: number): Buffer {
  const qtype = q.qtype;
  const isApex = q.lname.length === auth.apex.length;
  const u8 = image.u8;
  // Reads made only so the memory of the RRs starts loading while the header and question are
  // written (a cache miss overlapped, not waited for); XORed into image.warm so they are not dead code.
  let warm = 0;
  ansN = 0;

  if (e >= 0) {
    ensureCap(image.aCount(e) + image.aaaaCount(e) + image.srvCount(e));
    if (qtype === TYPE_A || qtype === TYPE_ANY) pushRRs(image.aOff(e), image.aCount(e), A_RR_LEN);
    if (qtype === TYPE_AAAA || qtype === TYPE_ANY) pushRRs(image.aaaaOff(e), image.aaaaCount(e), AAAA_RR_LEN);
    if (qtype === TYPE_SRV || qtype === TYPE_ANY) {
      for (let i = 0, c = image.srvCount(e); i < c; i++) {
        const off = image.srvOff(e, i);
        ansOff[ansN] = off; ansLen[ansN] = image.srvLen(e, i); ansTarget[ansN] = image.srvTarget(e, i); ansN++;
        warm ^= u8[off]; // start loading the RR now (see `warm` above)
      }
    }
    if (isApex && (qtype === TYPE_SOA || qtype === TYPE_NS)) return apexAnswer(msg, q, auth, image, limit);
  }
  const n = ansN;
  if (n === 0) return negative(msg, q, auth, e >= 0 ? 0 : RCODE_NXDOMAIN);

  // Shuffle (Fisher–Yates) so clients spread load over tasks (the original does the same).
  for (let i = n - 1; i > 0; i--) {
    const j = (Math.random() * (i + 1)) | 0;
    let t = ansOff[i]; ansOff[i] = ansOff[j]; ansOff[j] = t;
    t = ansLen[i]; ansLen[i] = ansLen[j]; ansLen[j] = t;
    t = ansTarget[i]; ansTarget[i] = ansTarget[j]; ansTarget[j] = t;
  }

  const qEnd = q.qnameEnd + 4;
  const optLen = q.ednsSize >= 0 ? OPT_LEN : 0;
  let size = qEnd + optLen;
  for (let i = 0; i < n; i++) size += ansLen[i];

  // Additional: every A and AAAA of each distinct SRV target [A.9]; owners point at the target in the SRV rdata.
  let addSize = 0, addCount = 0;
  let pos = qEnd;
  let nTargets = 0;
  for (let i = 0; i < n; i++) {
    const t = ansTarget[i];
    if (t !== NO_ENTRY && !seenTarget(t, nTargets)) {
      targets[nTargets] = t; targetPos[nTargets] = pos + 18; nTargets++;
      const nameLen = pos + 18 > 0x3fff ? image.nameWire(t).length : 2;
      const c4 = image.aCount(t), c6 = image.aaaaCount(t);
      if (c4 !== 0) warm ^= u8[image.aOff(t)]; // start loading the addresses now
      addSize += c4 * (A_RR_LEN - 2 + nameLen) + c6 * (AAAA_RR_LEN - 2 + nameLen);
      addCount += c4 + c6;
    }
    pos += ansLen[i];
  }

  let count = n;
  let truncated = false;
  if (size + addSize > limit) {
    truncated = true;
    addSize = 0; addCount = 0;
    while (count > 0 && size > limit) size -= ansLen[--count];
  }
  size += addSize;

  const out = Buffer.allocUnsafe(size);
  const flags = replyFlags(q, 0, true, auth.recurse) | (truncated && auth.setTruncateBit ? FLAG_TC : 0);
  writeHeader(out, q.id, flags, 1, count, 0, addCount + (optLen ? 1 : 0));
  copyBytes(out, 12, msg, 12, qEnd - 12);
  image.warm = warm;
  let w = qEnd;
  for (let i = 0; i < count; i++) { copyBytes(out, w, u8, ansOff[i], ansLen[i]); w += ansLen[i]; }
  if (addCount) {
    for (let k = 0; k < nTargets; k++) {
      const t = targets[k], tp = targetPos[k];
      w = writeAddrs(out, w, u8, image.aOff(t), image.aCount(t), A_RR_LEN, tp, image, t);
      w = writeAddrs(out, w, u8, image.aaaaOff(t), image.aaaaCount(t), AAAA_RR_LEN, tp, image, t);
    }
  }
  if (optLen) writeOpt(out, w, 0, q.ednsDO);
  return out;
}

/**
 * An A or AAAA answer: `count` RRs of `len` bytes from `off`, in random order (clients spread load
 * over tasks), cut to whole RRs that fit `limit` [A.8]. NODATA when there are none.
 */
function addressAnswer(msg: Uint8Array, q: Query, auth: Authority, off: number, count: number, len: number, limit: number): Buffer {
  if (count === 0) return negative(msg, q, auth, 0);
  const qEnd = q.qnameEnd + 4;
  const optLen = q.ednsSize >= 0 ? OPT_LEN : 0;
  const base = qEnd + optLen;
  let n = count;
  const truncated = base + n * len > limit;
  if (truncated) n = limit > base ? Math.min(n, ((limit - base) / len) | 0) : 0;
  const out = Buffer.allocUnsafe(base + n * len);
  const flags = replyFlags(q, 0, true, auth.recurse) | (truncated && auth.setTruncateBit ? FLAG_TC : 0);
  writeHeader(out, q.id, flags, 1, n, 0, optLen ? 1 : 0);
  copyBytes(out, 12, msg, 12, qEnd - 12);
  const u8 = auth.image!.u8;
  if (count === 1) {
    copyBytes(out, qEnd, u8, off, n * len);
  } else {
    // Fisher–Yates over the RR indices; the first n of the permutation are written.
    ensureCap(count);
    for (let i = 0; i < count; i++) ansOff[i] = i;
    for (let i = count - 1; i > 0; i--) {
      const j = (Math.random() * (i + 1)) | 0;
      const t = ansOff[i]; ansOff[i] = ansOff[j]; ansOff[j] = t;
    }
    for (let i = 0, w = qEnd; i < n; i++, w += len) copyBytes(out, w, u8, off + ansOff[i] * len, len);
  }
  if (optLen) writeOpt(out, qEnd + n * len, 0, q.ednsDO);
  return out;
}

/** Copy address RRs with their owner rewritten to `ownerPos` (a pointer) or the full name past 0x3fff. */
function writeAddrs(out: Buffer, w: number, u8: Uint8Array, off: number, count: number, len: number,
  ownerPos: number, image: ZoneImage, entry: number): number {
  for (let i = 0; i < count; i++, off += len) {
    if (ownerPos <= 0x3fff) {
      out[w] = 0xc0 | (ownerPos >> 8); out[w + 1] = ownerPos & 0xff;
      w += 2;
    } else {
      const name = image.nameWire(entry);
      out.set(name, w); w += name.length;
    }
    copyBytes(out, w, u8, off + 2, len - 2);
    w += len - 2;
  }
  return w;
}

/** NXDOMAIN or NODATA with the apex SOA in AUTHORITY [A.3], owner spelled as the question's suffix. */
function negative(msg: Uint8Array, q: Query, auth: Authority, rcode: number): Buffer {
  const qEnd = q.qnameEnd + 4;
  const optLen = q.ednsSize >= 0 ? OPT_LEN : 0;
  const rd = auth.soaRdata;
  const out = Buffer.allocUnsafe(qEnd + 12 + rd.length + optLen);
  writeHeader(out, q.id, replyFlags(q, rcode, true, auth.recurse), 1, 0, 1, optLen ? 1 : 0);
  copyBytes(out, 12, msg, 12, qEnd - 12);
  let w = writeSoa(out, qEnd, 12 + q.lname.length - auth.apex.length, auth.negTtl, rd);
  if (optLen) w = writeOpt(out, w, 0, q.ednsDO);
  return out;
}

/** One RR (an SOA unless `type` says otherwise): owner as a pointer, class IN, TTL, RDATA. */
export function writeSoa(out: Buffer, w: number, ownerPos: number, ttl: number, rd: Uint8Array, type = TYPE_SOA): number {
  out.writeUInt16BE(0xc000 | ownerPos, w);
  out.writeUInt16BE(type, w + 2);
  out.writeUInt16BE(CLASS_IN, w + 4);
  out.writeUInt32BE(ttl >>> 0, w + 6);
  out.writeUInt16BE(rd.length, w + 10);
  out.set(rd, w + 12);
  return w + 12 + rd.length;
}

/** `<domain>. SOA` and `<domain>. NS` answered in the ANSWER section [A.2]. */
function apexAnswer(msg: Uint8Array, q: Query, auth: Authority, image: ZoneImage, limit: number): Buffer {
  const qEnd = q.qnameEnd + 4;
  const optLen = q.ednsSize >= 0 ? OPT_LEN : 0;
  const flags = replyFlags(q, 0, true, auth.recurse);
  if (q.qtype === TYPE_SOA) {
    const out = Buffer.allocUnsafe(qEnd + 12 + auth.soaRdata.length + optLen);
    writeHeader(out, q.id, flags, 1, 1, 0, optLen ? 1 : 0);
    copyBytes(out, 12, msg, 12, qEnd - 12);
    const w = writeSoa(out, qEnd, 12, auth.ttl, auth.soaRdata);
    if (optLen) writeOpt(out, w, 0, q.ednsDO);
    return out;
  }
  // NS, with the name server's addresses in ADDITIONAL when the zone has them.
  const ns = auth.nsTarget;
  const nsEntry = image.find(auth.nsHash, auth.nsLower);
  const targetPos = qEnd + 12;
  const c4 = nsEntry >= 0 ? image.aCount(nsEntry) : 0;
  const c6 = nsEntry >= 0 ? image.aaaaCount(nsEntry) : 0;
  let addCount = c4 + c6;
  let size = qEnd + 12 + ns.length + optLen + c4 * A_RR_LEN + c6 * AAAA_RR_LEN;
  if (size > limit) { size -= c4 * A_RR_LEN + c6 * AAAA_RR_LEN; addCount = 0; }
  const out = Buffer.allocUnsafe(size);
  writeHeader(out, q.id, flags, 1, 1, 0, addCount + (optLen ? 1 : 0));
  copyBytes(out, 12, msg, 12, qEnd - 12);
  let w = qEnd;
  out.writeUInt16BE(0xc00c, w);
  out.writeUInt16BE(TYPE_NS, w + 2);
  out.writeUInt16BE(CLASS_IN, w + 4);
  out.writeUInt32BE(auth.ttl >>> 0, w + 6);
  out.writeUInt16BE(ns.length, w + 10);
  out.set(ns, w + 12);
  w += 12 + ns.length;
  if (addCount) {
    w = writeAddrs(out, w, image.u8, image.aOff(nsEntry), c4, A_RR_LEN, targetPos, image, nsEntry);
    w = writeAddrs(out, w, image.u8, image.aaaaOff(nsEntry), c6, AAAA_RR_LEN, targetPos, image, nsEntry);
  }
  if (optLen) writeOpt(out, w, 0, q.ednsDO);
  return out;
}
