// Query parsing straight off the wire, by hand. The hot path is "UDP packet in → answer out", and
// a general decoder (dns-packet) allocates an object per record and name; here we read only what
// an answer needs (header, the one question, the OPT record) with every read bounds-checked, and
// hash the question name while we lower-case it so the zone lookup needs no string at all.
import { TYPE_OPT } from './constants.js';
import { FNV_OFFSET, FNV_PRIME } from './name.js';

export const enum ParseStatus {
  /** Well-formed single-question query. */
  Ok,
  /** Not even a readable header (or a response): drop it silently. */
  Drop,
  /** Header readable, rest malformed or QDCOUNT ≠ 1: FORMERR. */
  FormErr,
  /** Opcode other than QUERY: NOTIMP. */
  NotImp,
}

export interface Query {
  status: ParseStatus;
  id: number;
  /** Header flags word of the query. */
  flags: number;
  opcode: number;
  /** Offset just past QNAME (the question is msg[12 .. qnameEnd+4]); 12 when no question was read. */
  qnameEnd: number;
  qtype: number;
  qclass: number;
  /** Number of labels in QNAME. */
  labels: number;
  /** FNV-1a hash of the lower-cased wire-format QNAME (what the zone's table is keyed by). */
  hash: number;
  /** Lower-cased wire-format QNAME (a fresh copy; the client's spelling stays in the message). */
  lname: Uint8Array;
  /** EDNS: -1 when the query had no OPT record, else the advertised UDP payload size. */
  ednsSize: number;
  ednsVersion: number;
  /** DO bit of the OPT record. */
  ednsDO: boolean;
}

function emptyQuery(status: ParseStatus, id = 0, flags = 0): Query {
  return {
    status, id, flags, opcode: (flags >> 11) & 0xf, qnameEnd: 12, qtype: 0, qclass: 0, labels: 0,
    hash: 0, lname: EMPTY, ednsSize: -1, ednsVersion: 0, ednsDO: false,
  };
}
const EMPTY = new Uint8Array(0);
const LNAME_SCRATCH = new Uint8Array(256);
const LNAME_VIEWS: Uint8Array[] = Array.from({ length: 257 }, (_, n) => LNAME_SCRATCH.subarray(0, n));
/** The Query object returned for well-formed queries, reused by every call (see parseQuery). */
const SHARED: Query = emptyQuery(ParseStatus.Ok);

function reset(q: Query, id: number, flags: number): Query {
  q.status = ParseStatus.Ok; q.id = id; q.flags = flags; q.opcode = (flags >> 11) & 0xf;
  q.qnameEnd = 12; q.qtype = 0; q.qclass = 0; q.labels = 0; q.hash = 0; q.lname = EMPTY;
  q.ednsSize = -1; q.ednsVersion = 0; q.ednsDO = false;
  return q;
}

/** Skip a possibly-compressed name starting at `off`; returns the offset after it or -1. */
export function skipName(msg: Uint8Array, off: number): number {
  const n = msg.length;
  for (let guard = 0; guard < 128; guard++) {
    if (off >= n) return -1;
    const len = msg[off];
    if (len === 0) return off + 1;
    if ((len & 0xc0) === 0xc0) return off + 2 <= n ? off + 2 : -1;
    if (len & 0xc0) return -1;
    off += 1 + len;
  }
  return -1;
}

/**
 * Parse a query. Never throws; every read is checked against the message length. For a query
 * that reaches the question (status Ok or FormErr after it), the returned object and its `lname`
 * are reused by the next call: consume them synchronously, as the answering path does.
 */
export function parseQuery(msg: Uint8Array): Query {
  const n = msg.length;
  if (n < 12) return emptyQuery(ParseStatus.Drop);
  const id = (msg[0] << 8) | msg[1];
  const flags = (msg[2] << 8) | msg[3];
  if (flags & 0x8000) return emptyQuery(ParseStatus.Drop, id, flags); // a response: never answer it
  const opcode = (flags >> 11) & 0xf;
  const qd = (msg[4] << 8) | msg[5];
  if (opcode !== 0) {
    const q = emptyQuery(ParseStatus.NotImp, id, flags);
    if (qd === 1) readQuestion(msg, q, false);
    return errorOpt(msg, q, qd);
  }
  if (qd !== 1) return errorOpt(msg, emptyQuery(ParseStatus.FormErr, id, flags), qd);
  const q = readQuestion(msg, reset(SHARED, id, flags), true);
  if (q.status !== ParseStatus.Ok) return q;
  return readRecords(msg, q, q.qnameEnd + 4);
}

/**
 * NOTIMP/FORMERR replies keep an OPT record when the query had one (RFC 6891 §7): read it when
 * the records after the question can be found (no question, or the one question read). Whatever
 * else is wrong, the status stays the error it was.
 */
function errorOpt(msg: Uint8Array, q: Query, qd: number): Query {
  if (qd !== 0 && !(qd === 1 && q.qnameEnd > 12)) return q;
  const status = q.status;
  readRecords(msg, q, qd === 0 ? 12 : q.qnameEnd + 4);
  q.status = status;
  return q;
}

/** Look for the OPT record in ADDITIONAL (skipping any answer/authority records a client sent). */
function readRecords(msg: Uint8Array, q: Query, off: number): Query {
  const n = msg.length;
  const an = (msg[6] << 8) | msg[7];
  const ns = (msg[8] << 8) | msg[9];
  const ar = (msg[10] << 8) | msg[11];
  const total = an + ns + ar;
  let sawOpt = false;
  for (let i = 0; i < total; i++) {
    const nameStart = off;
    off = skipName(msg, off);
    if (off < 0 || off + 10 > n) { q.status = ParseStatus.FormErr; return q; }
    const type = (msg[off] << 8) | msg[off + 1];
    const rdlen = (msg[off + 8] << 8) | msg[off + 9];
    if (off + 10 + rdlen > n) { q.status = ParseStatus.FormErr; return q; }
    if (type === TYPE_OPT) {
      // RFC 6891 §6.1.1: one OPT, owned by the root, in ADDITIONAL; anything else is FORMERR.
      if (sawOpt || i < an + ns || msg[nameStart] !== 0) { q.status = ParseStatus.FormErr; return q; }
      sawOpt = true;
      q.ednsSize = (msg[off + 2] << 8) | msg[off + 3];
      q.ednsVersion = msg[off + 5];
      q.ednsDO = (msg[off + 6] & 0x80) !== 0;
    }
    off += 10 + rdlen;
  }
  return q;
}

/** Read QNAME/QTYPE/QCLASS at offset 12: lower-cases into q.lname and hashes it. */
function readQuestion(msg: Uint8Array, q: Query, strict: boolean): Query {
  const n = msg.length;
  let off = 12;
  let h = FNV_OFFSET;
  let labels = 0;
  for (;;) {
    if (off >= n) return fail(q, strict);
    const len = msg[off];
    if (len === 0) { h = Math.imul(h ^ 0, FNV_PRIME); off++; break; }
    if (len > 63) return fail(q, strict); // pointers cannot occur here: nothing precedes the question
    if (off + 1 + len > n || off + 1 + len - 12 > 254) return fail(q, strict);
    h = Math.imul(h ^ len, FNV_PRIME);
    LNAME_SCRATCH[off - 12] = len;
    for (let i = off + 1; i <= off + len; i++) {
      let c = msg[i];
      if (c >= 0x41 && c <= 0x5a) c |= 0x20;
      LNAME_SCRATCH[i - 12] = c;
      h = Math.imul(h ^ c, FNV_PRIME);
    }
    labels++;
    off += 1 + len;
  }
  if (off + 4 > n) return fail(q, strict);
  LNAME_SCRATCH[off - 13] = 0;
  // Well-formed queries lower-case (in the loop above) into a shared scratch buffer, seen through
  // a view per length made once: no allocation per query, one pass over the name. Valid until the
  // next parseQuery call (answering is synchronous). Other queries get their own copy.
  const lname = q === SHARED ? LNAME_VIEWS[off - 12] : LNAME_SCRATCH.slice(0, off - 12);
  q.qnameEnd = off;
  q.labels = labels;
  q.hash = h >>> 0;
  q.lname = lname;
  q.qtype = (msg[off] << 8) | msg[off + 1];
  q.qclass = (msg[off + 2] << 8) | msg[off + 3];
  return q;
}

function fail(q: Query, strict: boolean): Query {
  if (strict) q.status = ParseStatus.FormErr;
  q.qnameEnd = 12;
  return q;
}

/**
 * What forwarding keeps of a query while it waits for upstream: a small copy of the parse (the
 * Query above is reused by the next parse), read without copying the name: it stays in the query
 * (`query[12, 12 + qnameLen)`, the client's spelling), so a cache hit allocates nothing but its
 * key and its reply.
 */
export interface ClientQuery {
  id: number;
  flags: number;
  opcode: number;
  /** Bytes of the question name, final zero included. */
  qnameLen: number;
  qtype: number;
  qclass: number;
  /** Offset just after the question (the client's question bytes are query[12, qEnd)). */
  qEnd: number;
  /** EDNS version of the client's OPT record, -1 without one. */
  ednsVersion: number;
  /** The client's DO bit (false without OPT). */
  dnssecOk: boolean;
}

/** The ClientQuery of a well-formed query (status Ok or NotImp with its question read). */
export function clientQuery(q: Query): ClientQuery {
  return {
    id: q.id, flags: q.flags, opcode: q.opcode, qnameLen: q.qnameEnd - 12, qtype: q.qtype, qclass: q.qclass,
    qEnd: q.qnameEnd + 4, ednsVersion: q.ednsSize >= 0 ? q.ednsVersion : -1, dnssecOk: q.ednsDO,
  };
}
