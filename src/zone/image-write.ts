// The zone image's writer: a record draft → the image laid out as image.ts describes. Apart from
// the reader because they are two halves that never call each other (the build worker writes,
// the answering thread reads) and share only the layout constants.
// Size: buildImage is one function of ~260 lines with three stages, in order, inside it: select the
// entries (names with data, case merges, empty non-terminals), size each block, write blocks and
// the hash table. It stays one function: the stages share a dozen per-build arrays and helpers
// (entryOf, entryIds, lowered, merged, srvWireLen, targetEntry ...), which as separate functions
// would travel in an object read on every record of the refresh path (bench refresh rows).
import net from 'node:net';
import { T_A, T_AAAA, T_SRV, type RecordDraft } from '../records/draft.js';
import { F_BAD, F_UPPER, F_WIDE } from '../records/names.js';
import { hashWire, wireLength } from '../wire/name.js';
import { ipv4ToBytes, ipv6ToBytes } from '../net/ip.js';
import { A_RR_LEN, AAAA_RR_LEN, BLOCK_HEAD, HDR, MAGIC, NO_ENTRY, SRV_STRIDE, imageBuffer, type ImageParams } from './image.js';

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
