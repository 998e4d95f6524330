// The zone as one flat ArrayBuffer: an open-addressing hash table over lower-cased wire names,
// pointing at resource records that are already encoded (owner written as a pointer to the
// question, TTL baked in). Why: it is built off the main thread and handed over as a
// transferable buffer — zero-copy, so swapping in a 50k-task zone costs the answering thread
// nothing — and answering is a hash probe plus memcpy of ready bytes, with no per-query strings.
//
// Layout (little-endian u32 header, then aligned sections):
//   header  [magic, tableCap, entryCount, tableOff, entriesOff, srvIdxOff, namesOff, rrOff, totalLen, apex]
//   table   u32[tableCap]          entry index + 1, 0 = empty slot
//   entries u32[entryCount * 8]    nameOff, nameLen, aOff, aCount, aaaaOff, aaaaCount, srvIdx, srvCount
//   srvIdx  u32[srvCount * 3]      rrOff, rrLen, target entry (NO_ENTRY when the target is not in the zone)
//   names   bytes                  lower-cased wire names
//   rr      bytes                  A RRs (16 B), AAAA RRs (28 B), SRV RRs (18 B + target)
import { T_A, T_AAAA, T_SRV, type RecordDraft } from '../records/draft.js';
import net from 'node:net';
import { hashWire, nameToWire } from '../dns/wire.js';
import { ipv4ToBytes, ipv6ToBytes, bytesToIPv4, bytesToIPv6 } from './ip.js';

const MAGIC = 0x315a444d; // "MDZ1"
const HDR = 10;
const ENTRY = 8;
export const NO_ENTRY = 0xffffffff;
export const A_RR_LEN = 16;
export const AAAA_RR_LEN = 28;

export interface ImageParams {
  /** Lower-case zone apex without trailing dot, e.g. "mesos". */
  domain: string;
  ttl: number;
  srvWeight: number;
}

/** Is `lname` (lower-case, trailing dot) the apex or below it? */
function underApex(lname: string, apexName: string): boolean {
  return lname === apexName || (lname.endsWith(apexName) && lname.charCodeAt(lname.length - apexName.length - 1) === 0x2e);
}

/** An encodable presentation name: ASCII labels of 1..63 characters, each ending with '.'. */
const ENCODABLE = /^(?:[\x00-\x2d\x2f-\x7f]{1,63}\.)+$/;

/** Wire length of a presentation name if it is encodable (labels 1..63, ≤ 255 bytes), else -1. */
function wireLength(name: string): number {
  return name.length < 255 && ENCODABLE.test(name) ? name.length + 1 : -1;
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
 * allocation: names are already interned with their values as numbers, so this sizes
 * everything in one pass and writes RRs straight into the final buffer in a second. Names are
 * lower-cased (legacy names differing only in case merge); names outside the domain or not
 * encodable as DNS names are left out. Adds the empty non-terminals it finds to the draft's names.
 */
export function buildImage(d: RecordDraft, p: ImageParams): ArrayBuffer {
  const apexName = p.domain + '.';
  const names = d.names;
  // entryOf[name id] = entry index, -1 none; entry → its name ids (several only when case merged).
  let entryOf = new Int32Array(names.length + 1024).fill(-1);
  const entryIds: number[] = [];
  const entryLname: string[] = [];
  let merged: Map<number, number[]> | null = null;
  /** Entries of names spelled only with upper case, by lower-case name. */
  const upperOnly = new Map<string, number>();
  const entryByLname = (lname: string): number => {
    const id = d.lookup(lname);
    if (id >= 0 && id < entryOf.length && entryOf[id] >= 0) return entryOf[id];
    return upperOnly.get(lname) ?? -1;
  };
  const newEntry = (id: number, lname: string): number => {
    if (id >= entryOf.length) { const old = entryOf; entryOf = new Int32Array(Math.max(id + 1, old.length * 2)).fill(-1); entryOf.set(old); }
    const e = entryIds.length;
    entryIds.push(id); entryLname.push(lname); entryOf[id] = e;
    return e;
  };
  newEntry(d.id(apexName), apexName);
  const firstName = names.length;
  for (let i = 0; i < firstName; i++) {
    if (entryOf[i] >= 0 || !d.hasData(i)) continue;
    const name = names[i];
    const lname = UPPER.test(name) ? name.toLowerCase() : name;
    if (!underApex(lname, apexName) || wireLength(lname) < 0) continue;
    if (lname === name) { newEntry(i, lname); continue; }
    let e = entryByLname(lname);
    if (e < 0) {
      const j = d.lookup(lname);
      if (j >= 0 && d.hasData(j)) e = newEntry(j, lname); // the lower-case spelling has data too
    }
    if (e < 0) { e = newEntry(i, lname); upperOnly.set(lname, e); continue; }
    entryOf[i] = e;
    ((merged ??= new Map()).get(e) ?? merged.set(e, [entryIds[e]]).get(e)!).push(i);
  }
  // Empty non-terminals (e.g. "slave.mesos." above "x.marathon.slave.mesos.") exist: NODATA, not NXDOMAIN.
  // Consecutive names mostly share a handful of parents: compare against the last few found
  // before hashing the parent's name again.
  const withData = entryIds.length;
  const recent: string[] = ['', '', '', ''];
  let r = 0;
  for (let e = 0; e < withData; e++) {
    let n = entryLname[e];
    const known = d.parentOf(entryIds[e]);
    if (known >= 0) {
      if (known < entryOf.length && entryOf[known] >= 0) continue;
      n = names[known]; // a parent the generator named: an empty non-terminal, walk on from it
      if (!underApex(n, apexName) || wireLength(n) < 0) continue;
      newEntry(known, n);
    }
    const parent = n.slice(n.indexOf('.') + 1);
    if (parent === recent[0] || parent === recent[1] || parent === recent[2] || parent === recent[3]) continue;
    recent[r++ & 3] = parent;
    while (n.length > apexName.length) {
      n = n.slice(n.indexOf('.') + 1);
      if (entryByLname(n) >= 0) break;
      newEntry(d.id(n), n);
    }
  }

  // Values of an entry of one type: the value keys of its name ids (merged ones de-duplicated).
  const keysOf = (e: number, type: number, out: number[]): number[] => {
    out.length = 0;
    const ids = merged?.get(e);
    if (ids === undefined) {
      for (let k = d.first(entryIds[e], type); k >= 0; k = d.next(k)) out.push(d.valueKey(k));
      return out;
    }
    const seen = new Set<number>();
    for (const id of ids) for (let k = d.first(id, type); k >= 0; k = d.next(k)) {
      const v = d.valueKey(k);
      if (!seen.has(v)) { seen.add(v); out.push(v); }
    }
    return out;
  };
  // SRV value key → target spelling, port, and the target's wire length (-1: unusable).
  const targetWire = new Int16Array(names.length).fill(-2);
  const srvTarget = (v: number): string | null => {
    if (v < 0) { const s = splitSrv(d.strs[-v - 1]); return s && wireLength(s[0]) >= 0 ? s[0] : null; }
    const t = Math.floor(v / 65536);
    if (targetWire[t] === -2) targetWire[t] = wireLength(names[t]);
    return targetWire[t] >= 0 ? names[t] : null;
  };
  // Entry of an SRV target name id: its own (data or empty non-terminal), else its lower-case twin's.
  const tEntry = new Int32Array(names.length).fill(-2);
  const targetEntry = (t: number): number => {
    if (tEntry[t] === -2) {
      const own = t < entryOf.length ? entryOf[t] : -1;
      tEntry[t] = own >= 0 ? own : UPPER.test(names[t]) ? entryByLname(names[t].toLowerCase()) : -1;
    }
    return tEntry[t];
  };
  const srvPort = (v: number): number => (v < 0 ? splitSrv(d.strs[-v - 1])![1] : v % 65536);
  const isA = (v: number) => v >= 0 || net.isIPv4(d.strs[-v - 1]);
  const isAAAA = (v: number) => v < 0 && net.isIPv6(d.strs[-v - 1]);

  const count = entryIds.length;
  const aN = new Uint32Array(count), aaaaN = new Uint32Array(count), srvN = new Uint32Array(count);
  let namesLen = 0, rrLen = 0, srvCount = 0;
  const keys: number[] = [];
  for (let e = 0; e < count; e++) {
    namesLen += entryLname[e].length + 1;
    let k = 0;
    for (const v of keysOf(e, T_A, keys)) if (isA(v)) k++;
    aN[e] = k; rrLen += k * A_RR_LEN;
    k = 0;
    for (const v of keysOf(e, T_AAAA, keys)) if (isAAAA(v)) k++;
    aaaaN[e] = k; rrLen += k * AAAA_RR_LEN;
    k = 0;
    for (const v of keysOf(e, T_SRV, keys)) { const t = srvTarget(v); if (t !== null) { k++; rrLen += 19 + t.length; } }
    srvN[e] = k; srvCount += k;
  }

  let cap = 16;
  while (cap < count * 2) cap *= 2;
  const tableOff = HDR * 4;
  const entriesOff = tableOff + cap * 4;
  const srvIdxOff = entriesOff + count * ENTRY * 4;
  const namesOff = srvIdxOff + srvCount * 12;
  const rrOff = namesOff + namesLen;
  const total = rrOff + rrLen;
  const buf = new ArrayBuffer(total);
  const u32 = new Uint32Array(buf, 0, namesOff / 4);
  const u8 = Buffer.from(buf);
  const ttl = p.ttl >>> 0;
  const weight = p.srvWeight & 0xffff;
  const rrHead = (at: number, type: number, rdlen: number) => {
    u8[at] = 0xc0; u8[at + 1] = 0x0c; // owner: pointer to the question name
    u8[at + 2] = type >> 8; u8[at + 3] = type & 0xff;
    u8[at + 4] = 0; u8[at + 5] = 1; // IN
    u8[at + 6] = ttl >>> 24; u8[at + 7] = (ttl >>> 16) & 0xff; u8[at + 8] = (ttl >>> 8) & 0xff; u8[at + 9] = ttl & 0xff;
    u8[at + 10] = rdlen >> 8; u8[at + 11] = rdlen & 0xff;
  };
  let nOff = namesOff, rOff = 0, sIdx = 0;
  const mask = cap - 1;
  for (let e = 0; e < count; e++) {
    const base = entriesOff / 4 + e * ENTRY;
    const nameStart = nOff;
    nOff = writeName(u8, nOff, entryLname[e]);
    u32[base] = nameStart - namesOff; u32[base + 1] = nOff - nameStart;

    u32[base + 2] = rOff; u32[base + 3] = aN[e];
    if (aN[e]) for (const v of keysOf(e, T_A, keys)) {
      if (!isA(v)) continue;
      const at = rrOff + rOff;
      rrHead(at, 1, 4);
      if (v >= 0) { u8[at + 12] = v >>> 24; u8[at + 13] = (v >>> 16) & 255; u8[at + 14] = (v >>> 8) & 255; u8[at + 15] = v & 255; }
      else u8.set(ipv4ToBytes(d.strs[-v - 1])!, at + 12);
      rOff += A_RR_LEN;
    }
    u32[base + 4] = rOff; u32[base + 5] = aaaaN[e];
    if (aaaaN[e]) for (const v of keysOf(e, T_AAAA, keys)) {
      if (!isAAAA(v)) continue;
      rrHead(rrOff + rOff, 28, 16);
      u8.set(ipv6ToBytes(d.strs[-v - 1])!, rrOff + rOff + 12);
      rOff += AAAA_RR_LEN;
    }
    u32[base + 6] = sIdx; u32[base + 7] = srvN[e];
    if (srvN[e]) for (const v of keysOf(e, T_SRV, keys)) {
      const target = srvTarget(v);
      if (target === null) continue;
      const port = srvPort(v);
      const wl = target.length + 1;
      const at = rrOff + rOff;
      rrHead(at, 33, 6 + wl);
      u8[at + 12] = 0; u8[at + 13] = 0; // priority
      u8[at + 14] = weight >> 8; u8[at + 15] = weight & 0xff;
      u8[at + 16] = port >> 8; u8[at + 17] = port & 0xff;
      writeName(u8, at + 18, target); // SRV targets keep their spelling and are never compressed
      const t = v < 0 ? entryByLname(target.toLowerCase()) : targetEntry(Math.floor(v / 65536));
      const si = srvIdxOff / 4 + sIdx * 3;
      u32[si] = rOff; u32[si + 1] = 18 + wl; u32[si + 2] = t < 0 ? NO_ENTRY : t;
      rOff += 18 + wl;
      sIdx++;
    }
    // Hash table insert (linear probing) over the lower-case wire name just written.
    let slot = hashWire(u8, nameStart, nOff) & mask;
    while (u32[tableOff / 4 + slot] !== 0) slot = (slot + 1) & mask;
    u32[tableOff / 4 + slot] = e + 1;
  }
  u32.set([MAGIC, cap, count, tableOff, entriesOff, srvIdxOff, namesOff, rrOff, total, 0], 0);
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
  private readonly entriesBase: number;
  private readonly srvBase: number;
  private readonly namesOff: number;
  readonly rrOff: number;
  /** Sink for loads made only to start cache misses early (see find); its value means nothing. */
  warm = 0;

  constructor(readonly buffer: ArrayBuffer) {
    const hdr = new Uint32Array(buffer, 0, HDR);
    if (hdr[0] !== MAGIC || hdr[8] !== buffer.byteLength) throw new Error('not a zone image');
    this.cap = hdr[1];
    this.entryCount = hdr[2];
    this.tableBase = hdr[3] / 4;
    this.entriesBase = hdr[4] / 4;
    this.srvBase = hdr[5] / 4;
    this.namesOff = hdr[6];
    this.rrOff = hdr[7];
    this.u32 = new Uint32Array(buffer, 0, hdr[6] >>> 2);
    this.u8 = new Uint8Array(buffer);
  }

  /** Entry index of a lower-cased wire name with the given hash, or -1. */
  find(hash: number, lname: Uint8Array): number {
    const u32 = this.u32, u8 = this.u8, mask = this.cap - 1;
    let slot = hash & mask;
    for (;;) {
      const v = u32[this.tableBase + slot];
      if (v === 0) return -1;
      const e = this.entriesBase + (v - 1) * ENTRY;
      const len = u32[e + 1];
      if (len === lname.length) {
        const off = this.namesOff + u32[e];
        // Start loading the entry's records and SRV index now. On a large zone each is a cache
        // miss; issued before the name comparison they overlap with it instead of following it.
        const rr = this.rrOff + u32[e + 2];
        let w = rr < u8.length ? u8[rr] : 0;
        if (u32[e + 7] !== 0) w ^= u32[this.srvBase + u32[e + 6] * 3];
        this.warm = w;
        let i = 0;
        while (i < len && u8[off + i] === lname[i]) i++;
        if (i === len) return v - 1;
      }
      slot = (slot + 1) & mask;
    }
  }

  findName(name: string): number {
    const w = nameToWire(name, true);
    return w ? this.find(hashWire(w), w) : -1;
  }

  // Entry field accessors (absolute byte offsets into u8 for RR data).
  aOff(e: number): number { return this.rrOff + this.u32[this.entriesBase + e * ENTRY + 2]; }
  aCount(e: number): number { return this.u32[this.entriesBase + e * ENTRY + 3]; }
  aaaaOff(e: number): number { return this.rrOff + this.u32[this.entriesBase + e * ENTRY + 4]; }
  aaaaCount(e: number): number { return this.u32[this.entriesBase + e * ENTRY + 5]; }
  srvCount(e: number): number { return this.u32[this.entriesBase + e * ENTRY + 7]; }
  /** Index of entry e's first SRV in the SRV index (its i-th SRV is srvBase + i). */
  srvFirst(e: number): number { return this.u32[this.entriesBase + e * ENTRY + 6]; }
  /** Absolute RR offset, RR length and target entry (or NO_ENTRY) of SRV number k (from srvFirst). */
  srvOff(k: number): number { return this.rrOff + this.u32[this.srvBase + k * 3]; }
  srvLen(k: number): number { return this.u32[this.srvBase + k * 3 + 1]; }
  srvTarget(k: number): number { return this.u32[this.srvBase + k * 3 + 2]; }
  nameWire(e: number): Uint8Array {
    const b = this.entriesBase + e * ENTRY;
    return this.u8.subarray(this.namesOff + this.u32[b], this.namesOff + this.u32[b] + this.u32[b + 1]);
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
      const k = this.srvFirst(e) + i;
      const off = this.srvOff(k), len = this.srvLen(k);
      const port = (this.u8[off + 16] << 8) | this.u8[off + 17];
      out.push({ target: wireKey(this.u8.subarray(off + 18, off + len)), port });
    }
    return out;
  }
}
