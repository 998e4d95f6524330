// The zone as one flat ArrayBuffer: an open-addressing hash table over lower-cased wire names,
// pointing at resource records that are already encoded (owner written as a pointer to the
// question, TTL baked in). Why: it is built off the main thread and handed over as a
// transferable buffer — zero-copy, so swapping in a 50k-task zone costs the answering thread
// nothing — and answering is a hash probe plus memcpy of ready bytes, with no per-query strings.
//
// Layout (little-endian u32 header, then 4-byte aligned sections):
//   header  [magic, tableCap, entryCount, tableOff, indexOff, totalLen]
//   table   u32[tableCap * 2]      (hash of the name, entry + 1) pairs, entry + 1 = 0: empty slot
//   index   u32[entryCount]        every entry, in build order (for walking the image)
//   blocks  one per name; an entry is its block's position in u32 units:
//           u32 nameLen, aCount, aaaaCount, srvCount
//           u32[srvCount * SRV_STRIDE] per SRV: RR byte offset, RR length, target entry (NO_ENTRY: not in the zone)
//           bytes                  the lower-cased wire name, its A RRs (16 B each), AAAA RRs (28 B),
//                                  SRV RRs (18 B + target), padded to 4 bytes
// Why blocks: with the table slot holding the hash, a lookup reads one slot and one block, where
// the name, its records and their SRV index sit side by side. In the answering process every
// other memory access (the kernel's, libuv's) pushes the zone out of the caches between queries:
// the earlier layout (entries, names, SRV index and records in separate sections) cost a cache
// miss per section, and a probe that met another name's slot read that name's entry as well.
// The writer is image-write.ts (buildImage); this file holds the layout, the buffers and the reader.
import { hashWire, nameToWire } from '../wire/name.js';
import { bytesToIPv4, bytesToIPv6 } from '../net/ip.js';

export const MAGIC = 0x325a444d; // "MDZ2"
/** u32 fields of the header (see the layout above). */
export const HDR = 6;
/**
 * A block (see the layout above): BLOCK_HEAD u32 fields, srvCount the one at B_SRV_COUNT; then
 * SRV_STRIDE u32 per SRV (RR byte offset, RR length, target entry or NO_ENTRY); then the name and
 * the RRs, A ones A_RR_LEN bytes long and AAAA ones AAAA_RR_LEN.
 */
export const BLOCK_HEAD = 4, B_SRV_COUNT = 3, SRV_STRIDE = 3, NO_ENTRY = 0xffffffff;
export const A_RR_LEN = 16, AAAA_RR_LEN = 28;

export interface ImageParams {
  /** Lower-case zone apex without trailing dot, e.g. "mesos". */
  domain: string;
  ttl: number;
  srvWeight: number;
  /**
   * Build into a SharedArrayBuffer: with several answering threads (threads/pool.ts) the one image
   * is posted to each of them without a copy. Off by default: a plain ArrayBuffer can be freed
   * at once by transferring it away (zone/memory.ts), a shared one only when every thread that
   * saw it has collected it.
   */
  shared?: boolean;
}

/** An image's buffer: shared (answering threads, threads/pool.ts) or plain, as ImageParams.shared says. */
export function imageBuffer(bytes: number, shared: boolean): ArrayBuffer | SharedArrayBuffer {
  return shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
}

/** What to transfer when posting `image`: a plain image moves (no copy); a shared one is shared by posting it. */
export function imageTransfer(image: ArrayBuffer | SharedArrayBuffer): ArrayBuffer[] {
  return image instanceof ArrayBuffer ? [image] : [];
}

/** A shared copy of `image` (an image read from the snapshot file, for answering threads). */
export function shareImage(image: ArrayBuffer | SharedArrayBuffer): SharedArrayBuffer {
  const out = new SharedArrayBuffer(image.byteLength);
  new Uint8Array(out).set(new Uint8Array(image));
  return out;
}

/** Lower-case presentation key of a wire name (used only while building). */
function wireKey(w: Uint8Array): string {
  let s = '';
  let off = 0;
  while (off < w.length && w[off] !== 0) {
    s += Buffer.from(w.buffer, w.byteOffset + off + 1, w[off]).toString('latin1') + '.';
    off += 1 + w[off];
  }
  return s.toLowerCase();
}

/** Read side of an image: lookups by hashed wire name, and decoded views for the HTTP API. */
export class ZoneImage {
  readonly u8: Uint8Array;
  private readonly u32: Uint32Array;
  private readonly cap: number;
  readonly entryCount: number;
  private readonly tableBase: number;
  private readonly indexBase: number;
  /** Sink for loads made only to start cache misses early (see answer.ts); its value means nothing. */
  warm = 0;

  /** Bytes the image uses: its buffer may be longer (room for patches in place, zone/patch.ts). */
  readonly size: number;

  constructor(readonly buffer: ArrayBuffer | SharedArrayBuffer) {
    const hdr = new Uint32Array(buffer, 0, HDR);
    if (hdr[0] !== MAGIC || hdr[5] > buffer.byteLength) throw new Error('not a zone image');
    this.size = hdr[5];
    this.cap = hdr[1];
    this.entryCount = hdr[2];
    this.tableBase = hdr[3] / 4;
    this.indexBase = hdr[4] / 4;
    this.u32 = new Uint32Array(buffer);
    this.u8 = new Uint8Array(buffer);
  }

  /** Entry of a lower-cased wire name with the given hash, or -1. */
  find(hash: number, lname: Uint8Array): number {
    const u32 = this.u32, u8 = this.u8, mask = this.cap - 1, h = hash >>> 0;
    let slot = hash & mask;
    for (;;) {
      const t = this.tableBase + slot * 2;
      const v = u32[t + 1];
      if (v === 0) return -1;
      if (u32[t] === h) {
        const e = v - 1;
        const len = u32[e];
        if (len === lname.length) {
          const off = (e + BLOCK_HEAD + u32[e + B_SRV_COUNT] * SRV_STRIDE) * 4;
          let i = 0;
          while (i < len && u8[off + i] === lname[i]) i++;
          if (i === len) return e;
        }
      }
      slot = (slot + 1) & mask;
    }
  }

  /**
   * Entry of the lower-cased wire name at src[off .. off + len) with the given hash, or -1: for
   * looking a name of another image up without copying it (zone/changes.ts). Not the hot path.
   */
  findBytes(hash: number, src: Uint8Array, off: number, len: number): number {
    const u32 = this.u32, u8 = this.u8, mask = this.cap - 1, h = hash >>> 0;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const t = this.tableBase + slot * 2;
      const v = u32[t + 1];
      if (v === 0) return -1;
      if (u32[t] !== h) continue;
      const e = v - 1;
      if (u32[e] !== len) continue;
      const at = (e + BLOCK_HEAD + u32[e + B_SRV_COUNT] * SRV_STRIDE) * 4;
      let i = 0;
      while (i < len && u8[at + i] === src[off + i]) i++;
      if (i === len) return e;
    }
  }

  /** Byte offset of entry e's wire name (its length is u32 e). */
  nameAt(e: number): number { return this.nameOff(e); }
  nameLen(e: number): number { return this.u32[e]; }

  findName(name: string): number {
    const w = nameToWire(name, true);
    return w ? this.find(hashWire(w), w) : -1;
  }

  /** The i-th entry in build order (0 ≤ i < entryCount): for walking every name of the image. */
  entryAt(i: number): number { return this.u32[this.indexBase + i]; }

  // Entry field accessors (absolute byte offsets into u8 for RR data).
  private nameOff(e: number): number { return (e + BLOCK_HEAD + this.u32[e + B_SRV_COUNT] * SRV_STRIDE) * 4; }
  aOff(e: number): number { return this.nameOff(e) + this.u32[e]; }
  aCount(e: number): number { return this.u32[e + 1]; }
  aaaaOff(e: number): number { return this.aOff(e) + this.u32[e + 1] * A_RR_LEN; }
  aaaaCount(e: number): number { return this.u32[e + 2]; }
  srvCount(e: number): number { return this.u32[e + B_SRV_COUNT]; }
  /** Absolute RR offset, RR length and target entry (or NO_ENTRY) of entry e's i-th SRV. */
  srvOff(e: number, i: number): number { return this.u32[e + BLOCK_HEAD + i * SRV_STRIDE]; }
  srvLen(e: number, i: number): number { return this.u32[e + BLOCK_HEAD + i * SRV_STRIDE + 1]; }
  srvTarget(e: number, i: number): number { return this.u32[e + BLOCK_HEAD + i * SRV_STRIDE + 2]; }
  nameWire(e: number): Uint8Array {
    const off = this.nameOff(e);
    return this.u8.subarray(off, off + this.u32[e]);
  }
  hasData(e: number): boolean {
    return this.aCount(e) + this.aaaaCount(e) + this.srvCount(e) > 0;
  }

  // ---- decoded views (HTTP API; not the DNS hot path) ----
  addresses(name: string): { A: string[]; AAAA: string[] } {
    const e = this.findName(name);
    if (e < 0) return { A: [], AAAA: [] };
    const A: string[] = [], AAAA: string[] = [];
    for (let i = 0, o = this.aOff(e); i < this.aCount(e); i++, o += A_RR_LEN) A.push(bytesToIPv4(this.u8, o + 12));
    for (let i = 0, o = this.aaaaOff(e); i < this.aaaaCount(e); i++, o += AAAA_RR_LEN) AAAA.push(bytesToIPv6(this.u8, o + 12));
    return { A, AAAA };
  }

  services(name: string): { target: string; port: number }[] {
    const e = this.findName(name);
    if (e < 0) return [];
    const out: { target: string; port: number }[] = [];
    for (let i = 0; i < this.srvCount(e); i++) {
      const off = this.srvOff(e, i), len = this.srvLen(e, i);
      const port = (this.u8[off + 16] << 8) | this.u8[off + 17];
      out.push({ target: wireKey(this.u8.subarray(off + 18, off + len)), port });
    }
    return out;
  }
}
