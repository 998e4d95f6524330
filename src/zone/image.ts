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
import type { RecordSet } from '../records/types.js';
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

/** Wire length of a presentation name if it is encodable (labels 1..63, ≤ 255 bytes), else -1. ASCII only. */
function wireLength(name: string): number {
  let labelLen = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c > 0x7f) return -1;
    if (c === 0x2e) { if (labelLen === 0 || labelLen > 63) return -1; labelLen = 0; } else labelLen++;
  }
  if (labelLen !== 0) return -1; // must end with '.'
  return name.length + 1 <= 255 ? name.length + 1 : -1;
}

/** Write an ASCII presentation name (validated by wireLength) in wire format at `off`; returns the end. */
function writeName(u8: Uint8Array, off: number, name: string): number {
  let lenPos = off++;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x2e) { u8[lenPos] = off - lenPos - 1; lenPos = off++; continue; }
    u8[off++] = c;
  }
  u8[lenPos] = 0;
  return off;
}

/** Canonical dotted IPv4 → 4 bytes at `off`; false if it is not one. */
function writeIPv4(u8: Uint8Array, off: number, s: string): boolean {
  let part = 0, digits = 0, n = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || part > 255 || n > 3) return false;
      u8[off + n++] = part; part = 0; digits = 0;
    } else if (c >= 0x30 && c <= 0x39 && digits < 3) { part = part * 10 + (c - 0x30); digits++; } else return false;
  }
  return n === 4;
}

/** "<target>:<port>" → [target, port, wire length of target], or null when unusable. */
function splitSrv(v: string): [string, number, number] | null {
  const c = v.lastIndexOf(':');
  if (c <= 0) return null;
  const port = Number(v.slice(c + 1));
  const target = v.slice(0, c);
  const wl = wireLength(target);
  if (wl < 0 || !Number.isInteger(port) || port < 0 || port > 65535) return null;
  return [target, port, wl];
}

/**
 * Build the image. Pure: records in, bytes out. Two passes and no per-record allocation: the
 * first indexes names (lower-cased; legacy names differing only in case merge) and sizes
 * everything, the second writes RRs straight into the final buffer. Names outside the domain
 * or not encodable as DNS names are left out.
 */
export function buildImage(records: RecordSet, p: ImageParams): ArrayBuffer {
  const apexName = p.domain + '.';
  const names: string[] = [];
  const index = new Map<string, number>();
  // Per entry: the value sets of each type (usually one; more when names merge by case).
  const aSets: (Set<string>[] | undefined)[] = [];
  const aaaaSets: (Set<string>[] | undefined)[] = [];
  const srvSets: (Set<string>[] | undefined)[] = [];
  const add = (lname: string): number => {
    let i = index.get(lname);
    if (i === undefined) { i = names.length; names.push(lname); index.set(lname, i); }
    return i;
  };
  const collect = (m: Map<string, Set<string>>, into: (Set<string>[] | undefined)[]) => {
    for (const [name, values] of m) {
      const lname = name.toLowerCase();
      if (!underApex(lname, apexName) || wireLength(lname) < 0) continue;
      (into[add(lname)] ??= []).push(values);
    }
  };
  add(apexName);
  collect(records.A, aSets);
  collect(records.AAAA, aaaaSets);
  collect(records.SRV, srvSets);
  // Empty non-terminals (e.g. "slave.mesos." above "x.marathon.slave.mesos.") exist: NODATA, not NXDOMAIN.
  const withData = names.length;
  for (let i = 0; i < withData; i++) {
    let n = names[i];
    while (n.length > apexName.length) {
      n = n.slice(n.indexOf('.') + 1);
      if (index.has(n)) break;
      add(n);
    }
  }

  // Values, de-duplicated only where names merged by case.
  const values = (sets: Set<string>[] | undefined): Iterable<string> =>
    !sets ? [] : sets.length === 1 ? sets[0] : new Set(sets.flatMap((x) => [...x]));
  const count = names.length;
  const aN = new Uint32Array(count), aaaaN = new Uint32Array(count), srvN = new Uint32Array(count);
  let namesLen = 0, rrLen = 0, srvCount = 0;
  for (let i = 0; i < count; i++) {
    namesLen += names[i].length + 1;
    let k = 0;
    for (const v of values(aSets[i])) if (net.isIPv4(v)) k++;
    aN[i] = k; rrLen += k * A_RR_LEN;
    k = 0;
    for (const v of values(aaaaSets[i])) if (net.isIPv6(v)) k++;
    aaaaN[i] = k; rrLen += k * AAAA_RR_LEN;
    k = 0;
    for (const v of values(srvSets[i])) { const s = splitSrv(v); if (s) { k++; rrLen += 18 + s[2]; } }
    srvN[i] = k; srvCount += k;
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
  const u8 = new Uint8Array(buf);
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
  for (let i = 0; i < count; i++) {
    const base = entriesOff / 4 + i * ENTRY;
    const nameStart = nOff;
    nOff = writeName(u8, nOff, names[i]);
    u32[base] = nameStart - namesOff; u32[base + 1] = nOff - nameStart;

    u32[base + 2] = rOff; u32[base + 3] = aN[i];
    if (aN[i]) for (const v of values(aSets[i])) {
      if (!net.isIPv4(v)) continue;
      rrHead(rrOff + rOff, 1, 4);
      if (!writeIPv4(u8, rrOff + rOff + 12, v)) u8.set(ipv4ToBytes(v)!, rrOff + rOff + 12);
      rOff += A_RR_LEN;
    }
    u32[base + 4] = rOff; u32[base + 5] = aaaaN[i];
    if (aaaaN[i]) for (const v of values(aaaaSets[i])) {
      if (!net.isIPv6(v)) continue;
      rrHead(rrOff + rOff, 28, 16);
      u8.set(ipv6ToBytes(v)!, rrOff + rOff + 12);
      rOff += AAAA_RR_LEN;
    }
    u32[base + 6] = sIdx; u32[base + 7] = srvN[i];
    if (srvN[i]) for (const v of values(srvSets[i])) {
      const s = splitSrv(v);
      if (!s) continue;
      const [target, port, wl] = s;
      const at = rrOff + rOff;
      rrHead(at, 33, 6 + wl);
      u8[at + 12] = 0; u8[at + 13] = 0; // priority
      u8[at + 14] = weight >> 8; u8[at + 15] = weight & 0xff;
      u8[at + 16] = port >> 8; u8[at + 17] = port & 0xff;
      writeName(u8, at + 18, target); // SRV targets keep their spelling and are never compressed
      const t = index.get(target.toLowerCase());
      const si = srvIdxOff / 4 + sIdx * 3;
      u32[si] = rOff; u32[si + 1] = 18 + wl; u32[si + 2] = t === undefined ? NO_ENTRY : t;
      rOff += 18 + wl;
      sIdx++;
    }
    // Hash table insert (linear probing) over the lower-case wire name just written.
    let slot = hashWire(u8, nameStart, nOff) & mask;
    while (u32[tableOff / 4 + slot] !== 0) slot = (slot + 1) & mask;
    u32[tableOff / 4 + slot] = i + 1;
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
