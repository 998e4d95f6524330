// The pieces every reply is made of (header, flags, the OPT record) and the one error reply
// [A.11]: the authoritative answerer and forwarding used to build FORMERR/REFUSED/SERVFAIL/
// BADVERS each their own way. Writers take the buffer and an offset and return the end, so the
// answerer sizes a reply once and writes it without intermediate objects.
import { FLAG_AA, FLAG_CD, FLAG_QR, FLAG_RA, FLAG_RD, EDNS_MAX_UDP, OPT_LEN, TYPE_OPT } from './constants.js';
import type { ClientQuery, Query } from './query.js';

/** Reply flags: QR, the query's opcode, RD and CD copied, AA and RA as given, the low 4 bits of rcode. */
export function replyFlags(q: { flags: number; opcode: number }, rcode: number, aa: boolean, ra: boolean): number {
  return FLAG_QR | (q.opcode << 11) | (aa ? FLAG_AA : 0) | (q.flags & (FLAG_RD | FLAG_CD)) | (ra ? FLAG_RA : 0) | (rcode & 0xf);
}

export function writeHeader(out: Buffer, id: number, flags: number, qd: number, an: number, ns: number, ar: number): void {
  out[0] = id >> 8; out[1] = id & 0xff;
  out[2] = flags >> 8; out[3] = flags & 0xff;
  out[4] = 0; out[5] = qd;
  out[6] = an >> 8; out[7] = an & 0xff;
  out[8] = ns >> 8; out[9] = ns & 0xff;
  out[10] = ar >> 8; out[11] = ar & 0xff;
}

/** Our OPT record at `at` (no options): 1232, the extended rcode's upper bits, version 0, DO copied (RFC 3225). */
export function writeOpt(out: Buffer, at: number, extRcode: number, dnssecOk: boolean): number {
  out[at] = 0;
  out.writeUInt16BE(TYPE_OPT, at + 1);
  out.writeUInt16BE(EDNS_MAX_UDP, at + 3);
  out[at + 5] = extRcode;
  out[at + 6] = 0; // version 0
  out[at + 7] = dnssecOk ? 0x80 : 0;
  out[at + 8] = 0;
  out.writeUInt16BE(0, at + 9);
  return at + OPT_LEN;
}

/** An OPT record as bytes: root owner, our UDP size, extended rcode, version 0, DO, options. */
export function optRecord(udpSize: number, extRcode: number, dnssecOk: boolean, options?: Buffer): Buffer {
  const opts = options ?? Buffer.alloc(0);
  const b = Buffer.alloc(11 + opts.length);
  b[0] = 0;
  b.writeUInt16BE(TYPE_OPT, 1);
  b.writeUInt16BE(udpSize, 3);
  b[5] = extRcode & 0xff;
  b[6] = 0;
  b.writeUInt16BE(dnssecOk ? 0x8000 : 0, 7);
  b.writeUInt16BE(opts.length, 9);
  opts.copy(b, 11);
  return b;
}

/**
 * A reply without records (FORMERR, NOTIMP, REFUSED, SERVFAIL, BADVERS; [A.11]): the question
 * echoed when it was readable (`qEnd` > 12), an OPT record when the query had one.
 */
function emptyReply(msg: Uint8Array, id: number, flags: number, qEnd: number, hasOpt: boolean, dnssecOk: boolean, rcode: number): Buffer {
  const qlen = qEnd > 12 ? qEnd - 12 : 0;
  const out = Buffer.allocUnsafe(12 + qlen + (hasOpt ? OPT_LEN : 0));
  writeHeader(out, id, flags, qlen ? 1 : 0, 0, 0, hasOpt ? 1 : 0);
  if (qlen) out.set(msg.subarray(12, 12 + qlen), 12);
  if (hasOpt) writeOpt(out, 12 + qlen, rcode >> 4, dnssecOk);
  return out;
}

/** The error reply to a query as the answering path reads it (see emptyReply). */
export function errorReply(msg: Uint8Array, q: Query, rcode: number, ra: boolean): Buffer {
  return emptyReply(msg, q.id, replyFlags(q, rcode, false, ra), q.qnameEnd > 12 ? q.qnameEnd + 4 : 12,
    q.ednsSize >= 0, q.ednsDO, rcode);
}

/** The same error reply to a query as forwarding keeps it (a ClientQuery outlives the parse). */
export function clientErrorReply(msg: Uint8Array, q: ClientQuery, rcode: number, ra: boolean): Buffer {
  return emptyReply(msg, q.id, replyFlags(q, rcode, false, ra), q.qEnd, q.ednsVersion >= 0, q.dnssecOk, rcode);
}
