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

interface Pending {
  wire: Uint8Array;
  a: Uint8Array[];
  aaaa: Uint8Array[];
  srv: { port: number; target: Uint8Array }[];
  seen: Set<string>;
}

function isUnder(wire: Uint8Array, apex: Uint8Array): boolean {
  if (wire.length < apex.length) return false;
  const off = wire.length - apex.length;
  // The apex must start on a label boundary: walk labels from the start.
  let p = 0;
  while (p < off) p += 1 + wire[p];
  if (p !== off) return false;
  for (let i = 0; i < apex.length; i++) if (wire[off + i] !== apex[i]) return false;
  return true;
}

/** Build the image. Pure: records in, bytes out. Names outside the domain or not encodable are left out. */
export function buildImage(records: RecordSet, p: ImageParams): ArrayBuffer {
  const apex = nameToWire(p.domain, true)!;
  const byName = new Map<string, Pending>();
  const order: Pending[] = [];

  const entry = (lname: string, wire: Uint8Array): Pending => {
    let e = byName.get(lname);
    if (!e) {
      e = { wire, a: [], aaaa: [], srv: [], seen: new Set() };
      byName.set(lname, e);
      order.push(e);
    }
    return e;
  };
  const owner = (name: string): Pending | null => {
    const lname = name.toLowerCase();
    const e = byName.get(lname);
    if (e) return e;
    const wire = nameToWire(lname);
    if (!wire || !isUnder(wire, apex)) return null;
    return entry(lname, wire);
  };

  entry(p.domain + '.', apex);
  for (const [name, values] of records.A) {
    const e = owner(name);
    if (!e) continue;
    for (const v of values) {
      const b = ipv4ToBytes(v);
      if (b && !e.seen.has('A' + v)) { e.seen.add('A' + v); e.a.push(b); }
    }
  }
  for (const [name, values] of records.AAAA) {
    const e = owner(name);
    if (!e) continue;
    for (const v of values) {
      const b = ipv6ToBytes(v);
      if (b && !e.seen.has('6' + v)) { e.seen.add('6' + v); e.aaaa.push(b); }
    }
  }
  for (const [name, values] of records.SRV) {
    const e = owner(name);
    if (!e) continue;
    for (const v of values) {
      const i = v.lastIndexOf(':');
      const port = Number(v.slice(i + 1));
      const target = nameToWire(v.slice(0, i));
      if (i <= 0 || !target || !Number.isInteger(port) || port < 0 || port > 65535) continue;
      const key = 'S' + v.toLowerCase();
      if (!e.seen.has(key)) { e.seen.add(key); e.srv.push({ port, target }); }
    }
  }
  // Empty non-terminals (e.g. "slave.mesos." above "x.marathon.slave.mesos.") exist: NODATA, not NXDOMAIN.
  const withData = order.length;
  for (let i = 0; i < withData; i++) {
    let w = order[i].wire;
    while (w.length > apex.length) {
      w = w.subarray(1 + w[0]);
      const lname = wireKey(w);
      if (byName.has(lname)) break;
      entry(lname, w.slice());
    }
  }

  // Sizes.
  let namesLen = 0, rrLen = 0, srvCount = 0;
  for (const e of order) {
    namesLen += e.wire.length;
    rrLen += e.a.length * A_RR_LEN + e.aaaa.length * AAAA_RR_LEN;
    for (const s of e.srv) rrLen += 18 + s.target.length;
    srvCount += e.srv.length;
  }
  let cap = 16;
  while (cap < order.length * 2) cap *= 2;
  const tableOff = HDR * 4;
  const entriesOff = tableOff + cap * 4;
  const srvIdxOff = entriesOff + order.length * ENTRY * 4;
  const namesOff = srvIdxOff + srvCount * 12;
  const rrOff = namesOff + namesLen;
  const total = rrOff + rrLen;
  const buf = new ArrayBuffer(total);
  const u32 = new Uint32Array(buf, 0, namesOff / 4);
  const u8 = new Uint8Array(buf);
  const dv = new DataView(buf);

  const index = new Map<Pending, number>();
  order.forEach((e, i) => index.set(e, i));
  const ttl = p.ttl >>> 0;
  let nOff = 0, rOff = 0, sIdx = 0;
  order.forEach((e, i) => {
    const base = entriesOff / 4 + i * ENTRY;
    u8.set(e.wire, namesOff + nOff);
    u32[base] = nOff; u32[base + 1] = e.wire.length;
    nOff += e.wire.length;

    u32[base + 2] = rOff; u32[base + 3] = e.a.length;
    for (const ip of e.a) { writeRRHead(dv, rrOff + rOff, 1, ttl, 4); u8.set(ip, rrOff + rOff + 12); rOff += A_RR_LEN; }
    u32[base + 4] = rOff; u32[base + 5] = e.aaaa.length;
    for (const ip of e.aaaa) { writeRRHead(dv, rrOff + rOff, 28, ttl, 16); u8.set(ip, rrOff + rOff + 12); rOff += AAAA_RR_LEN; }

    u32[base + 6] = sIdx; u32[base + 7] = e.srv.length;
    for (const s of e.srv) {
      const at = rrOff + rOff;
      const len = 18 + s.target.length;
      writeRRHead(dv, at, 33, ttl, 6 + s.target.length);
      dv.setUint16(at + 12, 0); // priority
      dv.setUint16(at + 14, p.srvWeight & 0xffff);
      dv.setUint16(at + 16, s.port);
      u8.set(s.target, at + 18);
      const t = byName.get(wireKey(s.target).toLowerCase());
      const si = srvIdxOff / 4 + sIdx * 3;
      u32[si] = rOff; u32[si + 1] = len; u32[si + 2] = t ? index.get(t)! : NO_ENTRY;
      rOff += len;
      sIdx++;
    }
    // Hash table insert (linear probing).
    let slot = hashWire(e.wire) & (cap - 1);
    while (u32[tableOff / 4 + slot] !== 0) slot = (slot + 1) & (cap - 1);
    u32[tableOff / 4 + slot] = i + 1;
  });
  u32.set([MAGIC, cap, order.length, tableOff, entriesOff, srvIdxOff, namesOff, rrOff, total, 0], 0);
  return buf;
}

function writeRRHead(dv: DataView, at: number, type: number, ttl: number, rdlen: number): void {
  dv.setUint16(at, 0xc00c); // owner: pointer to the question name
  dv.setUint16(at + 2, type);
  dv.setUint16(at + 4, 1); // IN
  dv.setUint32(at + 6, ttl);
  dv.setUint16(at + 10, rdlen);
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
  /** i-th SRV of entry e: [absolute RR offset, RR length, target entry or NO_ENTRY]. */
  srvAt(e: number, i: number): [number, number, number] {
    const s = this.srvBase + (this.u32[this.entriesBase + e * ENTRY + 6] + i) * 3;
    return [this.rrOff + this.u32[s], this.u32[s + 1], this.u32[s + 2]];
  }
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
      const [off, len] = this.srvAt(e, i);
      const port = (this.u8[off + 16] << 8) | this.u8[off + 17];
      out.push({ target: wireKey(this.u8.subarray(off + 18, off + len)), port });
    }
    return out;
  }
}
