// Writes a zone transfer as a series of DNS messages: each at most ~60 KB (a TCP message can hold
// 65535 bytes; the margin keeps one more full-size name and RR from ever overflowing), each with
// its own compression table (RFC 5936 §3.4: per message, and case-preserving: names are compared
// byte for byte). Messages come out already framed with the 2-byte TCP length, ready to write.
import { FLAG_AA, FLAG_QR, FLAG_RD, TYPE_OPT } from '../wire/constants.js';

/** Bytes of RR data per message before it is closed (CoreDNS uses 63000; a safety margin here). */
export const MESSAGE_LIMIT = 60_000;

/** What every message of one reply shares with the query that asked for it. */
export interface ReplyHead {
  id: number;
  /** The query's flags word (RD is copied). */
  queryFlags: number;
  /** The query's question section (name, type, class), copied into the first message. */
  question: Uint8Array;
  /** The query had an OPT record: the first message carries one (RFC 5936 §2.2.5). */
  edns: boolean;
  ednsDO: boolean;
}

export class MessageWriter {
  /** The message being written, after 2 bytes for the TCP length. */
  private readonly buf = Buffer.allocUnsafe(2 + 65535);
  private w = 0;
  private an = 0;
  private first = true;
  private readonly dict = new Map<string, number>();
  private readonly pending: string[] = [];
  private readonly pendingAt: number[] = [];

  constructor(private readonly head: ReplyHead, private readonly limit = MESSAGE_LIMIT) { this.begin(); }

  private begin(): void {
    this.w = 2 + 12;
    this.an = 0;
    this.dict.clear();
    if (this.first) {
      const q = this.head.question;
      this.buf.set(q, this.w);
      const nameEnd = q.length - 4;
      if (nameEnd > 1) this.remember(this.buf, this.w, this.w + nameEnd);
      this.w += q.length;
    }
  }

  /** Record every suffix of the wire name at [from, end) as a compression target. */
  private remember(src: Buffer, from: number, end: number): void {
    for (let p = from; src[p] !== 0 && p - 2 < 0x4000; p += 1 + src[p]) {
      const key = src.toString('latin1', p, end);
      if (!this.dict.has(key)) this.dict.set(key, p - 2);
    }
  }

  /** Would an RR of this size still fit the current message? */
  private fits(ownerLen: number, bodyLen: number): boolean {
    return this.w + ownerLen + bodyLen <= 2 + this.limit;
  }

  /**
   * Append one RR: its owner (an uncompressed wire name in `src` at [nameOff, nameOff+nameLen))
   * and its body (type, class, TTL, RDLENGTH, RDATA: `bodyLen` bytes at `bodyOff` in `body`).
   * Returns the previous message, finished, when this RR did not fit in it; else null.
   */
  add(src: Buffer, nameOff: number, nameLen: number, body: Uint8Array, bodyOff: number, bodyLen: number): Buffer | null {
    let done: Buffer | null = null;
    if (!this.fits(nameLen, bodyLen) && this.an > 0) { done = this.finish(); this.begin(); }
    this.writeName(src, nameOff, nameOff + nameLen);
    this.buf.set(body.subarray(bodyOff, bodyOff + bodyLen), this.w);
    this.w += bodyLen;
    this.an++;
    return done;
  }

  private writeName(src: Buffer, from: number, end: number): void {
    const pending = this.pending, at = this.pendingAt;
    pending.length = 0; at.length = 0;
    const out = this.buf;
    let p = from;
    let ptr = -1;
    while (src[p] !== 0) {
      const key = src.toString('latin1', p, end);
      const hit = this.dict.get(key);
      if (hit !== undefined) { ptr = hit; break; }
      pending.push(key); at.push(this.w - 2);
      const len = src[p] + 1;
      out.set(src.subarray(p, p + len), this.w);
      this.w += len;
      p += len;
    }
    if (ptr >= 0) { out[this.w] = 0xc0 | (ptr >> 8); out[this.w + 1] = ptr & 0xff; this.w += 2; } else out[this.w++] = 0;
    for (let i = 0; i < pending.length; i++) if (at[i] < 0x4000) this.dict.set(pending[i], at[i]);
  }

  /** Close the current message: header, OPT (first message only), length prefix. A copy. */
  finish(): Buffer {
    const b = this.buf, h = this.head;
    const first = this.first;
    let ar = 0;
    if (first && h.edns) {
      b[this.w] = 0; b.writeUInt16BE(TYPE_OPT, this.w + 1); b.writeUInt16BE(1232, this.w + 3);
      b[this.w + 5] = 0; b[this.w + 6] = 0; b[this.w + 7] = h.ednsDO ? 0x80 : 0; b[this.w + 8] = 0;
      b.writeUInt16BE(0, this.w + 9);
      this.w += 11; ar = 1;
    }
    b.writeUInt16BE(this.w - 2, 0);
    b.writeUInt16BE(h.id, 2);
    b.writeUInt16BE(FLAG_QR | FLAG_AA | (h.queryFlags & FLAG_RD), 4);
    b.writeUInt16BE(first ? 1 : 0, 6);
    b.writeUInt16BE(this.an, 8);
    b.writeUInt16BE(0, 10);
    b.writeUInt16BE(ar, 12);
    this.first = false;
    return Buffer.from(b.subarray(0, this.w));
  }
}
