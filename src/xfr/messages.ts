// Writes a zone transfer as a series of DNS messages: each at most ~60 KB (a TCP message can hold
// 65535 bytes; the margin keeps one more full-size name and RR from ever overflowing), each with
// its own compression table (RFC 5936 §3.4: per message, and case-preserving: names are compared
// byte for byte). Messages come out already framed with the 2-byte TCP length, ready to write.
//
// Why it allocates (almost) nothing per record or per message: a 50k-task AXFR is ~760k records in
// ~940 messages, and answering shares the thread. Copying each finished message, and a string per
// name suffix for the compression map, made ~480 MB of garbage per AXFR: ~30 scavenges, each a
// pause of the UDP answers behind it (issue 14). So:
// - a message is written into a buffer from a small pool (`acquire`) and handed out as a view of
//   it; the buffer goes back to the pool only through `releaseMessage`, which the TCP writer calls
//   from the socket's write callback: a buffer is never rewritten while its bytes may still be
//   unsent. A message never released is simply left to the collector;
// - the compression table is an open-addressing hash table of (suffix hash, message offset) in
//   typed arrays, also pooled, checked by comparing the bytes of the names themselves;
// - bytes are copied by index, without subarray views.
import { FLAG_AA, FLAG_QR, FLAG_RD, TYPE_OPT } from '../wire/constants.js';

/** Bytes of RR data per message before it is closed (CoreDNS uses 63000; a safety margin here). */
export const MESSAGE_LIMIT = 60_000;

/** A message buffer: the 2-byte TCP length and the largest DNS message. */
const BUFFER_BYTES = 2 + 65535;
/** Free buffers kept for reuse (each 64 KiB): a few per transfer in progress. */
const FREE_BUFFERS_MAX = 32;
const freeBuffers: ArrayBuffer[] = [];
/** Buffers whose message was handed out and not yet released: a second release is ignored. */
const lent = new WeakSet<ArrayBuffer>();

function acquireBuffer(): Buffer {
  return Buffer.from(freeBuffers.pop() ?? new ArrayBuffer(BUFFER_BYTES));
}

/**
 * The consumer is done with message `m` (from `MessageWriter.finish`): every byte of it has been
 * written out. Its buffer may be written again by the next message of any transfer.
 */
export function releaseMessage(m: Uint8Array): void {
  const ab = m.buffer as ArrayBuffer;
  if (!lent.delete(ab)) return; // not a pooled message, or released already
  if (freeBuffers.length < FREE_BUFFERS_MAX) freeBuffers.push(ab);
}

/** Buffers in the free pool (tests: the pool stays bounded). */
export function freeMessageBuffers(): number { return freeBuffers.length; }

/**
 * Compression targets of the message being written. Slots hold offset + 1 (0: empty); only
 * offsets below 0x4000 can be pointed at, so there are at most 0x2000 names (each ≥ 2 bytes);
 * past half the table new targets are not added (compression gets weaker, never wrong).
 */
const TABLE_SLOTS = 8192;
const TABLE_MAX = TABLE_SLOTS >> 1;
interface Table { at: Int32Array; hash: Int32Array; count: number }
const freeTables: Table[] = [];
const FREE_TABLES_MAX = 8;

/** Labels of one name: their offsets in the source and the hash of the suffix starting at each. */
const MAX_LABELS = 128;
const labelAt = new Int32Array(MAX_LABELS);
const suffixHash = new Int32Array(MAX_LABELS);

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
  /** The message being written, after 2 bytes for the TCP length; null between messages. */
  private buf: Buffer | null = null;
  private table: Table | null = null;
  private w = 0;
  private an = 0;
  private first = true;

  constructor(private readonly head: ReplyHead, private readonly limit = MESSAGE_LIMIT) {}

  private begin(): void {
    const buf = this.buf = acquireBuffer();
    this.table = freeTables.pop() ?? { at: new Int32Array(TABLE_SLOTS), hash: new Int32Array(TABLE_SLOTS), count: 0 };
    this.w = 2 + 12;
    this.an = 0;
    if (this.first) {
      const q = this.head.question;
      for (let i = 0; i < q.length; i++) buf[this.w + i] = q[i];
      if (q.length - 4 > 1) this.writeName(buf, this.w, false); // its suffixes become targets
      this.w += q.length;
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
  add(src: Uint8Array, nameOff: number, nameLen: number, body: Uint8Array, bodyOff: number, bodyLen: number): Buffer | null {
    let done: Buffer | null = null;
    if (this.buf === null) this.begin();
    else if (!this.fits(nameLen, bodyLen) && this.an > 0) { done = this.finish(); this.begin(); }
    this.writeName(src, nameOff, true);
    const out = this.buf!;
    let w = this.w;
    for (let i = bodyOff, end = bodyOff + bodyLen; i < end; i++) out[w++] = body[i];
    this.w = w;
    this.an++;
    return done;
  }

  /**
   * The wire name at src[from]: written compressed at the end of the message (`write`), or, for
   * the question already in place, only indexed. Every suffix written in full becomes a target.
   */
  private writeName(src: Uint8Array, from: number, write: boolean): void {
    const out = this.buf!, t = this.table!;
    let n = 0;
    for (let p = from; src[p] !== 0 && n < MAX_LABELS; p += 1 + src[p]) labelAt[n++] = p;
    // Suffix hashes, from the root up: each suffix's hash covers its bytes.
    let h = 0x811c9dc5 | 0;
    for (let i = n - 1; i >= 0; i--) {
      const p = labelAt[i];
      for (let k = p, end = p + 1 + src[p]; k < end; k++) h = Math.imul(h ^ src[k], 0x01000193);
      suffixHash[i] = h;
    }
    // The longest suffix already in the message.
    let hit = n, ptr = -1;
    for (let i = 0; i < n; i++) {
      ptr = this.lookup(t, suffixHash[i], src, labelAt[i]);
      if (ptr >= 0) { hit = i; break; }
    }
    let w = write ? this.w : from;
    for (let i = 0; i < hit; i++) {
      const at = w - 2;
      if (at < 0x4000 && t.count < TABLE_MAX) this.insert(t, suffixHash[i], at);
      const p = labelAt[i], len = src[p] + 1;
      if (write) for (let k = 0; k < len; k++) out[w + k] = src[p + k];
      w += len;
    }
    if (!write) return;
    if (ptr >= 0) { out[w] = 0xc0 | (ptr >> 8); out[w + 1] = ptr & 0xff; w += 2; } else out[w++] = 0;
    this.w = w;
  }

  private insert(t: Table, hash: number, at: number): void {
    let s = hash & (TABLE_SLOTS - 1);
    while (t.at[s] !== 0) s = (s + 1) & (TABLE_SLOTS - 1);
    t.at[s] = at + 1; t.hash[s] = hash; t.count++;
  }

  /** Message offset of a name equal (byte for byte) to the suffix at src[p], or -1. */
  private lookup(t: Table, hash: number, src: Uint8Array, p: number): number {
    for (let s = hash & (TABLE_SLOTS - 1); t.at[s] !== 0; s = (s + 1) & (TABLE_SLOTS - 1)) {
      if (t.hash[s] === hash && this.sameName(t.at[s] - 1, src, p)) return t.at[s] - 1;
    }
    return -1;
  }

  /** Does the (possibly compressed) name at message offset `off` spell the suffix at src[p]? */
  private sameName(off: number, src: Uint8Array, p: number): boolean {
    const b = this.buf!;
    let q = off + 2;
    for (;;) {
      let len = b[q];
      while ((len & 0xc0) === 0xc0) { q = (((len & 0x3f) << 8) | b[q + 1]) + 2; len = b[q]; }
      if (len !== src[p]) return false;
      if (len === 0) return true;
      for (let k = 1; k <= len; k++) if (b[q + k] !== src[p + k]) return false;
      q += len + 1; p += len + 1;
    }
  }

  /** The reply was abandoned mid-message (its connection closed): the unsent message's buffer and table go back. */
  abandon(): void {
    if (this.buf === null) return;
    this.recycleTable();
    if (freeBuffers.length < FREE_BUFFERS_MAX) freeBuffers.push(this.buf.buffer as ArrayBuffer);
    this.buf = null;
  }

  private recycleTable(): void {
    const t = this.table!;
    t.at.fill(0); t.count = 0;
    if (freeTables.length < FREE_TABLES_MAX) freeTables.push(t);
    this.table = null;
  }

  /**
   * Close the current message: header, OPT (first message only), length prefix. The message is a
   * view of a pooled buffer: pass it to `releaseMessage` once written, or keep it (never reused).
   */
  finish(): Buffer {
    if (this.buf === null) this.begin(); // a reply without records: the header (and question) only
    const b = this.buf!, h = this.head;
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
    this.recycleTable();
    this.buf = null;
    lent.add(b.buffer as ArrayBuffer);
    return b.subarray(0, this.w);
  }
}
