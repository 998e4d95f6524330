// Size (~500 lines, over the ~450 aimed at): buildImage is still one function; its planned split
// into select/size/write stages (REVIEW §4.5) waits for a session in which nobody else is changing
// the image (incr and threads were).
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
import { T_A, T_AAAA, T_SRV, type RecordDraft } from '../records/draft.js';
import { F_BAD, F_UPPER, F_WIDE } from '../records/names.js';
import net from 'node:net';
import { hashWire, nameToWire, wireLength } from '../wire/name.js';
import { ipv4ToBytes, ipv6ToBytes, bytesToIPv4, bytesToIPv6 } from '../net/ip.js';

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

/** Is `lname` (lower-case, trailing dot) the apex or below it? */
function underApex(lname: string, apexName: string): boolean {
  return lname === apexName || (lname.endsWith(apexName) && lname.charCodeAt(lname.length - apexName.length - 1) === 0x2e);
}

/**
 * Write a presentation name (validated by wireLength) in wire format at `off`; returns the end.
 * The characters are copied natively, then each '.' becomes the length byte of the label after it.
 */
function writeName(buf: Buffer, off: number, name: string): number {
  buf.write(name, off + 1, 'latin1');
  const end = off + 1 + name.length;
  let lenPos = off;
  for (let i = off + 1; i < end; i++) {
    if (buf[i] === 0x2e) { buf[lenPos] = i - lenPos - 1; lenPos = i; }
  }
  buf[lenPos] = 0;
  return end;
}

/** "<target>:<port>" → [target, port], or null when unusable. */
function splitSrv(v: string): [string, number] | null {
  const c = v.lastIndexOf(':');
  if (c <= 0) return null;
  const port = Number(v.slice(c + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) return null;
  return [v.slice(0, c), port];
}

const UPPER = /[A-Z]/;

/**
 * Build the image from a record draft. Pure: records in, bytes out, and no per-record
 * allocation: names are already interned (as bytes, with their wire hash) with their values as
 * numbers, so this sizes everything in one pass and writes RRs straight into the final buffer in
 * a second, copying name bytes. Names are lower-cased (legacy names differing only in case
 * merge); names outside the domain or not encodable as DNS names are left out. Adds the empty
 * non-terminals it finds to the draft's names. Names already in lower case (all but legacy raw
 * DiscoveryInfo names) take a path on bytes; the others go through strings, as rare as they are.
 */
export function buildImage(d: RecordDraft, p: ImageParams): ArrayBuffer | SharedArrayBuffer {
  const apexName = p.domain + '.';
  const N = d.names;
  const firstName = N.count;
  // entryOf[name id] = entry index, -1 none; entry → its name id (several only when case merged).
  let entryOf = new Int32Array(firstName + (firstName >> 3) + 1024).fill(-1);
  let entryIds = new Int32Array(entryOf.length);
  let count = 0;
  /** Entries of names spelled only with upper case: their lower-case name (the entry's spelling is not). */
  const lowered = new Map<number, string>();
  let merged: Map<number, number[]> | null = null;
  /** Entries of names spelled only with upper case, by lower-case name. */
  const upperOnly = new Map<string, number>();
  const entryOfId = (id: number): number => (id >= 0 && id < entryOf.length ? entryOf[id] : -1);
  const entryByLname = (lname: string): number => {
    const e = entryOfId(d.lookup(lname));
    return e >= 0 ? e : upperOnly.get(lname) ?? -1;
  };
  const newEntry = (id: number): number => {
    if (id >= entryOf.length) { const old = entryOf; entryOf = new Int32Array(Math.max(id + 1, old.length * 2)).fill(-1); entryOf.set(old); }
    if (count === entryIds.length) { const old = entryIds; entryIds = new Int32Array(old.length * 2); entryIds.set(old); }
    entryIds[count] = id; entryOf[id] = count;
    return count++;
  };
  // Is name id (spelled as is) the apex or below it? Compared as bytes; a non-ASCII apex has no ASCII name below it.
  const apexLen = apexName.length;
  const apexBytes = Buffer.from(apexName, 'latin1');
  const apexAscii = !/[^\x00-\x7f]/.test(apexName);
  const underApexId = (id: number): boolean => {
    const b = N.bytes, z = N.off[id + 1], len = z - N.off[id];
    if (!apexAscii || len < apexLen || (len > apexLen && b[z - apexLen - 1] !== 0x2e)) return false;
    for (let i = 0; i < apexLen; i++) if (b[z - apexLen + i] !== apexBytes[i]) return false;
    return true;
  };

  const apexId = d.id(apexName);
  const apexEntry = newEntry(apexId);
  if (N.flags[apexId] & F_WIDE) lowered.set(apexEntry, apexName); // written from the string
  for (let i = 0; i < firstName; i++) {
    if (entryOf[i] >= 0 || !d.hasData(i)) continue;
    const f = N.flags[i];
    if (!(f & (F_UPPER | F_WIDE))) {
      if (!(f & F_BAD) && underApexId(i)) newEntry(i);
      continue;
    }
    // Upper case (or non-ASCII, never encodable unless lower-casing makes it ASCII): by string.
    const name = d.name(i);
    const lname = UPPER.test(name) ? name.toLowerCase() : name;
    if (lname === name || !underApex(lname, apexName) || wireLength(lname) < 0) continue;
    let e = entryByLname(lname);
    if (e < 0) {
      const j = d.lookup(lname);
      if (j >= 0 && d.hasData(j)) e = newEntry(j); // the lower-case spelling has data too
    }
    if (e < 0) { e = newEntry(i); lowered.set(e, lname); upperOnly.set(lname, e); continue; }
    entryOf[i] = e;
    ((merged ??= new Map()).get(e) ?? merged.set(e, [entryIds[e]]).get(e)!).push(i);
  }
  // Empty non-terminals (e.g. "slave.mesos." above "x.marathon.slave.mesos.") exist: NODATA, not
  // NXDOMAIN. Each entry's parents are walked up until one has an entry; a parent the generator
  // named (parentOf) is known without hashing its name.
  const withData = count;
  for (let e = 0; e < withData; e++) {
    let x = entryIds[e];
    const low = lowered.size > 0 ? lowered.get(e) : undefined;
    const known = d.parentOf(x);
    if (known >= 0) {
      if (entryOfId(known) >= 0) continue;
      x = known; // a parent the generator named: an empty non-terminal, walk on from it
      if ((N.flags[x] & F_BAD) || !underApexId(x)) continue;
      newEntry(x);
    } else if (low !== undefined) {
      for (let n = low; n.length > apexLen;) {
        n = n.slice(n.indexOf('.') + 1);
        if (entryByLname(n) >= 0) break;
        newEntry(d.id(n));
      }
      continue;
    }
    // The parents of name x are suffixes of its bytes: looked up in place, interned only if new.
    const from = N.off[x], z = N.off[x + 1];
    for (let a = from; z - a > apexLen;) {
      while (N.bytes[a] !== 0x2e) a++;
      a++;
      const k = N.find(a, z);
      if (entryOfId(k) >= 0) break;
      if (upperOnly.size > 0 && upperOnly.has(N.name(x).slice(a - from))) break;
      newEntry(k >= 0 ? k : d.suffixId(x, a - from));
    }
  }

  // Values of an entry of one type, case-merged entries only: the value keys of its name ids, de-duplicated.
  const mergedKeys = (ids: number[], type: number, out: number[]): number[] => {
    out.length = 0;
    const seen = new Set<number>();
    for (const id of ids) for (let k = d.first(id, type); k >= 0; k = d.next(k)) {
      const v = d.valueKey(k);
      if (!seen.has(v)) { seen.add(v); out.push(v); }
    }
    return out;
  };
  // An SRV value's target: a name id (usable when encodable: its spelling is kept), or a string.
  const srvString = (v: number): string | null => { const s = splitSrv(d.strs[-v - 1]); return s && wireLength(s[0]) >= 0 ? s[0] : null; };
  /** Wire length of an SRV value's target, -1 when unusable. */
  const srvWireLen = (v: number): number => {
    if (v < 0) { const s = srvString(v); return s === null ? -1 : s.length + 1; }
    const t = Math.floor(v / 65536);
    return N.flags[t] & F_BAD ? -1 : N.off[t + 1] - N.off[t] + 1;
  };
  // Entry of an SRV target name id: its own (data or empty non-terminal), else its lower-case twin's.
  let upperTarget: Map<number, number> | null = null;
  const targetEntry = (t: number): number => {
    const own = entryOfId(t);
    if (own >= 0 || !(N.flags[t] & F_UPPER)) return own;
    upperTarget ??= new Map();
    let e = upperTarget.get(t);
    if (e === undefined) upperTarget.set(t, e = entryByLname(d.name(t).toLowerCase()));
    return e;
  };
  const isA = (v: number) => v >= 0 || net.isIPv4(d.strs[-v - 1]);
  const isAAAA = (v: number) => v < 0 && net.isIPv6(d.strs[-v - 1]);

  // Each entry's block: its position (u32 units), from its name's and records' sizes.
  let cap = 16;
  while (cap < count * 2) cap *= 2;
  const tableOff = HDR * 4;
  const indexOff = tableOff + cap * 8;
  const blocksOff = indexOff + count * 4;
  const aN = new Uint32Array(count), aaaaN = new Uint32Array(count), srvN = new Uint32Array(count);
  const blockOf = new Uint32Array(count);
  let at32 = blocksOff / 4;
  const keys: number[] = [];
  for (let e = 0; e < count; e++) {
    const x = entryIds[e];
    const low = lowered.size > 0 ? lowered.get(e) : undefined;
    let bytes = (low !== undefined ? low.length : N.off[x + 1] - N.off[x]) + 1;
    const ids = merged?.get(e);
    let a = 0, aaaa = 0, srv = 0;
    if (ids === undefined) {
      for (let k = d.first(x, T_A); k >= 0; k = d.next(k)) if (isA(d.valueKey(k))) a++;
      for (let k = d.first(x, T_AAAA); k >= 0; k = d.next(k)) if (isAAAA(d.valueKey(k))) aaaa++;
      for (let k = d.first(x, T_SRV); k >= 0; k = d.next(k)) {
        const wl = srvWireLen(d.valueKey(k));
        if (wl >= 0) { srv++; bytes += 18 + wl; }
      }
    } else {
      for (const v of mergedKeys(ids, T_A, keys)) if (isA(v)) a++;
      for (const v of mergedKeys(ids, T_AAAA, keys)) if (isAAAA(v)) aaaa++;
      for (const v of mergedKeys(ids, T_SRV, keys)) { const wl = srvWireLen(v); if (wl >= 0) { srv++; bytes += 18 + wl; } }
    }
    aN[e] = a; aaaaN[e] = aaaa; srvN[e] = srv;
    bytes += a * A_RR_LEN + aaaa * AAAA_RR_LEN;
    blockOf[e] = at32;
    at32 += BLOCK_HEAD + srv * SRV_STRIDE + ((bytes + 3) >>> 2);
  }
  const total = at32 * 4;
  const buf = imageBuffer(total, p.shared ?? false);
  const u32 = new Uint32Array(buf);
  const u8 = new Uint8Array(buf);
  const asBuffer = Buffer.from(buf); // for writeName (rare: names and targets kept as strings)
  const ttl = p.ttl >>> 0;
  const weight = p.srvWeight & 0xffff;
  const rrHead = (at: number, type: number, rdlen: number) => {
    u8[at] = 0xc0; u8[at + 1] = 0x0c; // owner: pointer to the question name
    u8[at + 2] = type >> 8; u8[at + 3] = type & 0xff;
    u8[at + 4] = 0; u8[at + 5] = 1; // IN
    u8[at + 6] = ttl >>> 24; u8[at + 7] = (ttl >>> 16) & 0xff; u8[at + 8] = (ttl >>> 8) & 0xff; u8[at + 9] = ttl & 0xff;
    u8[at + 10] = rdlen >> 8; u8[at + 11] = rdlen & 0xff;
  };
  /** Name id x (spelled as is) in wire format at `at`: its bytes copied, each '.' made the next label's length. */
  const writeId = (at: number, x: number): number => {
    const b = N.bytes, z = N.off[x + 1];
    let lenPos = at, o = at + 1;
    for (let s = N.off[x]; s < z; s++, o++) {
      const c = b[s];
      if (c === 0x2e) { u8[lenPos] = o - lenPos - 1; lenPos = o; } else u8[o] = c;
    }
    u8[lenPos] = 0;
    return o;
  };
  /** Where the next RR goes (absolute byte offset), and the u32 index of the next SRV index triple. */
  let rOff = 0, sIdx = 0;
  const writeA = (v: number) => {
    if (!isA(v)) return;
    const at = rOff;
    rrHead(at, 1, 4);
    if (v >= 0) { u8[at + 12] = v >>> 24; u8[at + 13] = (v >>> 16) & 255; u8[at + 14] = (v >>> 8) & 255; u8[at + 15] = v & 255; }
    else u8.set(ipv4ToBytes(d.strs[-v - 1])!, at + 12);
    rOff += A_RR_LEN;
  };
  const writeAAAA = (v: number) => {
    if (!isAAAA(v)) return;
    rrHead(rOff, 28, 16);
    u8.set(ipv6ToBytes(d.strs[-v - 1])!, rOff + 12);
    rOff += AAAA_RR_LEN;
  };
  const writeSRV = (v: number) => {
    const wl = srvWireLen(v);
    if (wl < 0) return;
    const at = rOff;
    rrHead(at, 33, 6 + wl);
    u8[at + 12] = 0; u8[at + 13] = 0; // priority
    u8[at + 14] = weight >> 8; u8[at + 15] = weight & 0xff;
    let t: number;
    if (v >= 0) {
      const port = v % 65536, id = Math.floor(v / 65536);
      u8[at + 16] = port >> 8; u8[at + 17] = port & 0xff;
      writeId(at + 18, id); // SRV targets keep their spelling and are never compressed
      t = targetEntry(id);
    } else {
      const target = srvString(v)!, port = splitSrv(d.strs[-v - 1])![1];
      u8[at + 16] = port >> 8; u8[at + 17] = port & 0xff;
      writeName(asBuffer, at + 18, target);
      t = entryByLname(target.toLowerCase());
    }
    u32[sIdx] = at; u32[sIdx + 1] = 18 + wl; u32[sIdx + 2] = t < 0 ? NO_ENTRY : blockOf[t];
    rOff += 18 + wl;
    sIdx += SRV_STRIDE;
  };
  const hashes = new Int32Array(count);
  const index = new Uint32Array(buf, indexOff, count);
  for (let e = 0; e < count; e++) {
    const base = blockOf[e];
    index[e] = base;
    const x = entryIds[e];
    const low = lowered.size > 0 ? lowered.get(e) : undefined;
    const nameStart = (base + BLOCK_HEAD + srvN[e] * SRV_STRIDE) * 4;
    const nameEnd = low !== undefined ? writeName(asBuffer, nameStart, low) : writeId(nameStart, x);
    u32[base] = nameEnd - nameStart; u32[base + 1] = aN[e]; u32[base + 2] = aaaaN[e]; u32[base + 3] = srvN[e];
    const ids = merged?.get(e);
    rOff = nameEnd;
    sIdx = base + BLOCK_HEAD;
    if (aN[e]) {
      if (ids === undefined) for (let k = d.first(x, T_A); k >= 0; k = d.next(k)) writeA(d.valueKey(k));
      else for (const v of mergedKeys(ids, T_A, keys)) writeA(v);
    }
    if (aaaaN[e]) {
      if (ids === undefined) for (let k = d.first(x, T_AAAA); k >= 0; k = d.next(k)) writeAAAA(d.valueKey(k));
      else for (const v of mergedKeys(ids, T_AAAA, keys)) writeAAAA(v);
    }
    if (srvN[e]) {
      if (ids === undefined) for (let k = d.first(x, T_SRV); k >= 0; k = d.next(k)) writeSRV(d.valueKey(k));
      else for (const v of mergedKeys(ids, T_SRV, keys)) writeSRV(v);
    }
    // The hash of the lower-case wire name just written; an encodable interned name's is
    // already known (NameTable hashes the wire form).
    hashes[e] = low === undefined && !(N.flags[x] & F_BAD) ? N.hash[x] : hashWire(u8, nameStart, nameEnd);
  }
  // Hash table inserts (linear probing), in entry order, in a loop of their own: each is a cache
  // miss, and with nothing else in the loop the processor overlaps them.
  const table = new Uint32Array(buf, tableOff, cap * 2);
  const mask = cap - 1;
  for (let e = 0; e < count; e++) {
    let slot = hashes[e] & mask;
    while (table[slot * 2 + 1] !== 0) slot = (slot + 1) & mask;
    table[slot * 2] = hashes[e];
    table[slot * 2 + 1] = blockOf[e] + 1;
  }
  u32.set([MAGIC, cap, count, tableOff, indexOff, total], 0);
  return buf;
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
