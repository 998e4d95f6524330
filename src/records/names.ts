// The interned record names, as bytes: every name's characters appended to one growing byte
// array, found again through an open-addressing table keyed by an FNV-1a hash of the name's wire
// form. Why: at 50k tasks a refresh interns ~380k names, nearly all new (a task's canonical names
// are unique by construction); as strings in a Map each one cost a concatenated string, its
// flattening, two hashings and a heap object kept alive, and garbage collection was a third of the
// refresh. Here a name is built straight into the byte array piece by piece (begin/push/end), kept
// only if it is new, and the zone image builder copies those bytes and reuses the hash (it is the
// hash the answerer looks names up with) instead of encoding, validating and hashing each name again.
// Names with a character outside ASCII (possible only in legacy raw DiscoveryInfo names or slave
// ids) cannot be DNS names here; they are kept as strings on the side, interned in a Map.
import { FNV_OFFSET, FNV_PRIME } from '../wire/name.js';

/** Name flag: has an ASCII upper-case letter. */
export const F_UPPER = 1;
/** Name flag: not encodable as a DNS name (labels of 1..63 ASCII characters each ending with '.', < 255 characters). */
export const F_BAD = 2;
/** Name flag: has a non-ASCII character; its spelling is kept as a string (see the module comment). */
export const F_WIDE = 4;

/** What NameTable.toTransfer() returns: plain typed arrays (posted between threads). */
export interface NamesTransfer {
  bytes: Uint8Array;
  off: Int32Array;
  flags: Uint8Array;
  wideIds: Int32Array;
  wide: string[];
}

export class NameTable {
  /** Characters of every ASCII name, name i at off[i] .. off[i + 1]; a candidate name after them. */
  bytes: Uint8Array;
  off: Int32Array;
  /** Hash of each name's spelled wire form (see hashOf); flags (F_*) of each name. */
  hash: Int32Array;
  flags: Uint8Array;
  count = 0;
  /** Open addressing: name id + 1, 0 = empty; at most half full. Null until first needed (read-only copies). */
  private slots: Int32Array | null = null;
  private wide: Map<number, string> | null = null;
  private wideIds: Map<string, number> | null = null;
  /** Candidate being built: bytes[start .. pos]; or, once a non-ASCII piece came, wideText. */
  private start = 0;
  private pos = 0;
  private wideText: string | null = null;

  constructor(names = 1024, bytes = names * 32) {
    this.bytes = new Uint8Array(Math.max(bytes, 64));
    this.off = new Int32Array(names + 1);
    this.hash = new Int32Array(names);
    this.flags = new Uint8Array(names);
    this.slots = new Int32Array(tableSize(names));
  }

  // ---- building a name: begin(), push() its pieces, end() ----
  begin(): void {
    this.pos = this.start = this.off[this.count];
    this.wideText = null;
  }

  push(s: string): void {
    if (this.wideText !== null) { this.wideText += s; return; }
    const n = s.length;
    let p = this.pos;
    if (p + n > this.bytes.length) this.reserve(p + n);
    const b = this.bytes;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) { this.wideText = this.latin1(this.start, p) + s; return; }
      b[p++] = c;
    }
    this.pos = p;
  }

  /** Id of the name built since begin(), interning it if new (a new name gets the next id). */
  end(): number {
    if (this.wideText !== null) return this.internWide(this.wideText);
    const s = this.start, e = this.pos, b = this.bytes;
    const h = hashOf(b, s, e);
    const slots = this.slots ?? this.rebuild();
    const mask = slots.length - 1;
    let slot = h & mask;
    for (let v; (v = slots[slot]) !== 0; slot = (slot + 1) & mask) {
      if (this.hash[v - 1] === h && this.sameBytes(v - 1, s, e)) return v - 1;
    }
    const id = this.count;
    if (id + 1 >= this.off.length) this.growIds(id + 2);
    this.off[id + 1] = e;
    this.hash[id] = h;
    this.flags[id] = hashedFlags;
    slots[slot] = id + 1;
    this.count = id + 1;
    if (this.count * 2 > slots.length) this.rehash(slots.length * 2);
    return id;
  }

  /** Id of a name spelled `s`, interning it. */
  id(s: string): number {
    this.begin();
    this.push(s);
    return this.end();
  }

  /** Id of the name that is the suffix of name `of` from byte offset `from` (absolute), interning it. */
  idOfSuffix(of: number, from: number): number {
    const len = this.off[of + 1] - from;
    this.begin();
    if (this.pos + len > this.bytes.length) this.reserve(this.pos + len);
    this.bytes.copyWithin(this.pos, from, from + len);
    this.pos += len;
    return this.end();
  }

  /** Id of a name spelled `s` if interned, else -1 (nothing is added). */
  lookup(s: string): number {
    this.begin();
    this.push(s);
    if (this.wideText !== null) return this.wideIds?.get(this.wideText) ?? -1;
    return this.find(this.start, this.pos);
  }

  /** Id of the name whose characters are bytes[s .. e] (a range of this table's bytes), else -1. */
  find(s: number, e: number): number {
    const slots = this.slots ?? this.rebuild();
    const h = hashOf(this.bytes, s, e);
    const mask = slots.length - 1;
    for (let slot = h & mask, v; (v = slots[slot]) !== 0; slot = (slot + 1) & mask) {
      if (this.hash[v - 1] === h && this.sameBytes(v - 1, s, e)) return v - 1;
    }
    return -1;
  }

  /** The spelling of name i. */
  name(i: number): string {
    if (this.flags[i] & F_WIDE) return this.wide!.get(i)!;
    return this.latin1(this.off[i], this.off[i + 1]);
  }

  /** Length in characters of an ASCII name. */
  length(i: number): number { return this.off[i + 1] - this.off[i]; }

  toTransfer(): NamesTransfer {
    const wideIds = this.wide === null ? [] : [...this.wide.keys()];
    return {
      bytes: this.bytes.slice(0, this.off[this.count]), off: this.off.slice(0, this.count + 1),
      flags: this.flags.slice(0, this.count), wideIds: Int32Array.from(wideIds), wide: wideIds.map((i) => this.wide!.get(i)!),
    };
  }

  /** A table over toTransfer()'s arrays (its lookup table is rebuilt only if it is ever searched). */
  static fromTransfer(t: NamesTransfer): NameTable {
    const n = new NameTable(0, 0);
    n.bytes = t.bytes; n.off = t.off; n.flags = t.flags; n.count = t.flags.length;
    n.hash = new Int32Array(n.count);
    for (let i = 0; i < n.count; i++) if (!(n.flags[i] & F_WIDE)) n.hash[i] = hashOf(n.bytes, n.off[i], n.off[i + 1]);
    n.slots = null;
    if (t.wideIds.length > 0) {
      n.wide = new Map(); n.wideIds = new Map();
      t.wideIds.forEach((id, k) => { n.wide!.set(id, t.wide[k]); n.wideIds!.set(t.wide[k], id); });
    }
    return n;
  }

  private internWide(s: string): number {
    this.wide ??= new Map();
    this.wideIds ??= new Map();
    const known = this.wideIds.get(s);
    if (known !== undefined) return known;
    const id = this.count;
    if (id + 1 >= this.off.length) this.growIds(id + 2);
    this.off[id + 1] = this.off[id]; // no bytes
    this.flags[id] = F_WIDE | F_BAD;
    this.hash[id] = 0;
    this.wide.set(id, s);
    this.wideIds.set(s, id);
    this.count = id + 1;
    return id;
  }

  private sameBytes(id: number, s: number, e: number): boolean {
    const a = this.off[id];
    if (this.off[id + 1] - a !== e - s) return false;
    const b = this.bytes;
    for (let i = 0; i < e - s; i++) if (b[a + i] !== b[s + i]) return false;
    return true;
  }

  private latin1(s: number, e: number): string {
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset + s, e - s).toString('latin1');
  }

  private reserve(need: number): void {
    let n = this.bytes.length * 2;
    while (n < need) n *= 2;
    const b = new Uint8Array(n);
    b.set(this.bytes.subarray(0, this.pos));
    this.bytes = b;
  }

  private growIds(need: number): void {
    let n = this.off.length * 2;
    while (n < need) n *= 2;
    const off = new Int32Array(n); off.set(this.off); this.off = off;
    const hash = new Int32Array(n); hash.set(this.hash); this.hash = hash;
    const flags = new Uint8Array(n); flags.set(this.flags); this.flags = flags;
  }

  private rebuild(): Int32Array {
    this.rehash(tableSize(this.count));
    return this.slots!;
  }

  private rehash(size: number): void {
    const slots = new Int32Array(size);
    const mask = size - 1;
    for (let i = 0; i < this.count; i++) {
      if (this.flags[i] & F_WIDE) continue;
      let slot = this.hash[i] & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = i + 1;
    }
    this.slots = slots;
  }
}

function tableSize(names: number): number {
  let n = 1024;
  while (n < names * 2) n *= 2;
  return n;
}

/** F_UPPER and F_BAD of the name last given to hashOf (computed in the same pass). */
let hashedFlags = 0;

/**
 * FNV-1a over the wire form of the name spelled by b[s .. e] (each label's length, then its
 * characters, then the root's 0): for an encodable name, hashWire of its wire bytes, which is what
 * the zone image's lookup table is keyed by. Any other spelling still gets a stable hash. Sets
 * hashedFlags: the test the image builder made with a regex, and upper case.
 */
export function hashOf(b: Uint8Array, s: number, e: number): number {
  let h = FNV_OFFSET;
  let f = e - s === 0 || e - s >= 255 || b[e - 1] !== 0x2e ? F_BAD : 0;
  let label = s;
  for (let i = s; i < e; i++) {
    const c = b[i];
    if (c !== 0x2e) {
      if (c >= 0x41 && c <= 0x5a) f |= F_UPPER;
      continue;
    }
    if (i === label || i - label > 63) f |= F_BAD;
    h = Math.imul(h ^ ((i - label) & 0xff), FNV_PRIME);
    for (let k = label; k < i; k++) h = Math.imul(h ^ b[k], FNV_PRIME);
    label = i + 1;
  }
  if (label < e) { // no trailing dot (not encodable): hash the rest as a label
    h = Math.imul(h ^ ((e - label) & 0xff), FNV_PRIME);
    for (let k = label; k < e; k++) h = Math.imul(h ^ b[k], FNV_PRIME);
  }
  hashedFlags = f;
  return Math.imul(h, FNV_PRIME); // the root label's 0 (as an int32; `>>> 0` gives hashWire's value)
}
