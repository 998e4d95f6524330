// Image-level edits: a new zone image made from the last one by replacing, adding and removing a
// few names' blocks, without generating or encoding the rest again. Why: at 50k tasks a full build
// is 1.7-2.7 s of CPU (generation, then buildImage), while a stream event touches a few dozen
// names; copying the old image and patching it is bound by memcpy (tens of ms at 80 MiB), and
// the answering thread still gets one complete immutable image, read exactly as before (no
// overlay to consult on the hot path, nothing for zone transfer or /v1/hosts to merge).
//
// Layout of a patched image (the header is the same, so every reader works unchanged):
//   header, table (same capacity, edited in place), [buildImage's index: dead], blocks (old ones
//   at their old positions, replaced ones left dead), the new blocks, the index (live entries).
// The index goes last so that old blocks keep their positions (table slots and SRV target
// pointers stay valid); dead bytes accumulate until compactImage rewrites the image densely.
import { A_RR_LEN, AAAA_RR_LEN, B_SRV_COUNT, BLOCK_HEAD, HDR, MAGIC, NO_ENTRY, SRV_STRIDE, imageBuffer, type ZoneImage } from './image.js';
import { hashWire, lowerByte } from '../wire/name.js';

/** A name's new content: entry `entry` of image `from`, an empty non-terminal, or nothing (removed). */
export interface Edit {
  /** Lower-cased wire name, and its hash. */
  name: Uint8Array;
  hash: number;
  from: ZoneImage | 'ent' | null;
  entry: number;
}

/**
 * Where a new image is written: a buffer of at least `bytes` that no reader uses (zone/spares.ts
 * hands back one the answering thread let go; longer than asked is fine, ZoneImage reads the
 * header's length). Default: a new buffer, shared like the image it is made from.
 */
export type ImageAlloc = (bytes: number) => ArrayBuffer | SharedArrayBuffer;

const fresh = (like: ZoneImage): ImageAlloc => (bytes) => imageBuffer(bytes, like.buffer instanceof SharedArrayBuffer);

/** The table may fill to 3/4 before the image must be rebuilt (linear probing stays short). */
const MAX_LOAD = 0.75;

/** Size of block e in u32 units. */
function blockWords(u32: Uint32Array, e: number): number {
  const srv = u32[e + B_SRV_COUNT];
  let bytes = u32[e] + u32[e + 1] * A_RR_LEN + u32[e + 2] * AAAA_RR_LEN;
  for (let i = 0; i < srv; i++) bytes += u32[e + BLOCK_HEAD + i * SRV_STRIDE + 1];
  return BLOCK_HEAD + srv * SRV_STRIDE + ((bytes + 3) >>> 2);
}

/** Header fields, and where the blocks end (buildImage puts the index before them; a patch after). */
function layout(u32: Uint32Array) {
  const cap = u32[1], count = u32[2], tableOff = u32[3], indexOff = u32[4], total = u32[5];
  const dense = indexOff === tableOff + cap * 8;
  return { cap, count, tableOff, indexOff, total, blocksEnd: dense ? total : indexOff, dense };
}

/** Copy block `e` of `src` to `dst` at u32 position `at`; SRV RR offsets follow it. Returns its size. */
function copyBlock(src: Uint32Array, e: number, dst: Uint32Array, at: number): number {
  const words = blockWords(src, e);
  dst.set(src.subarray(e, e + words), at);
  const shift = (at - e) * 4;
  for (let i = 0, n = src[e + B_SRV_COUNT]; i < n; i++) dst[at + BLOCK_HEAD + i * SRV_STRIDE] += shift;
  return words;
}

/** Lower-cased wire name at u8[off..] (its length), hashed as the table is keyed. */
function targetKey(u8: Uint8Array, off: number, len: number): { name: Uint8Array; hash: number } {
  const name = new Uint8Array(len);
  for (let i = 0; i < len; i++) name[i] = lowerByte(u8[off + i]);
  return { name, hash: hashWire(name) };
}

class Table {
  readonly mask: number;
  constructor(readonly t: Uint32Array, readonly u32: Uint32Array, readonly u8: Uint8Array, cap: number) { this.mask = cap - 1; }

  /** Slot of a name, or -1. */
  slot(hash: number, name: Uint8Array): number {
    const { t, u32, u8, mask } = this;
    for (let s = hash & mask; ; s = (s + 1) & mask) {
      const v = t[s * 2 + 1];
      if (v === 0) return -1;
      if (t[s * 2] !== hash) continue;
      const e = v - 1;
      if (u32[e] !== name.length) continue;
      const at = (e + BLOCK_HEAD + u32[e + B_SRV_COUNT] * SRV_STRIDE) * 4;
      let i = 0;
      while (i < name.length && u8[at + i] === name[i]) i++;
      if (i === name.length) return s;
    }
  }

  insert(hash: number, pos: number): void {
    const { t, mask } = this;
    let s = hash & mask;
    while (t[s * 2 + 1] !== 0) s = (s + 1) & mask;
    t[s * 2] = hash; t[s * 2 + 1] = pos + 1;
  }

  /** Remove slot s, shifting later members of its probe run back (no tombstones). */
  remove(s: number): void {
    const { t, mask } = this;
    for (let j = s; ;) {
      j = (j + 1) & mask;
      if (t[j * 2 + 1] === 0) break;
      const home = t[j * 2] & mask;
      // Entry j may move to s when its home is not in (s, j] (cyclically).
      if (s <= j ? (s < home && home <= j) : (s < home || home <= j)) continue;
      t[s * 2] = t[j * 2]; t[s * 2 + 1] = t[j * 2 + 1];
      s = j;
    }
    t[s * 2] = 0; t[s * 2 + 1] = 0;
  }
}

/**
 * `base` with the edits applied (one per name), as a new buffer; `base` is not changed. `freed`:
 * the bytes of `base` the new image carries but no longer uses. Null when the table would pass
 * MAX_LOAD: then the image must be built anew.
 */
export function patchImage(base: ZoneImage, edits: readonly Edit[], alloc: ImageAlloc = fresh(base)): { buffer: ArrayBuffer | SharedArrayBuffer; freed: number } | null {
  const bu32 = new Uint32Array(base.buffer);
  const l = layout(bu32);
  const old = edits.map((ed) => base.find(ed.hash, ed.name));
  let count = l.count, add = 0;
  for (let i = 0; i < edits.length; i++) {
    const ed = edits[i];
    if (ed.from === null) { if (old[i] >= 0) count--; continue; }
    if (old[i] < 0) count++;
    add += ed.from === 'ent' ? BLOCK_HEAD + ((ed.name.length + 3) >>> 2) : blockWords(new Uint32Array(ed.from.buffer), ed.entry);
  }
  if (count > l.cap * MAX_LOAD) return null;
  const indexOff = l.blocksEnd + add * 4;
  const total = indexOff + count * 4;
  // Every byte up to `total` is written below: a reused buffer's old content does not show through.
  const buf = alloc(total);
  const u32 = new Uint32Array(buf), u8 = new Uint8Array(buf);
  u8.set(new Uint8Array(base.buffer, 0, l.blocksEnd));
  const table = new Table(new Uint32Array(buf, l.tableOff, l.cap * 2), u32, u8, l.cap);
  // Blocks first (names must be readable for the table's comparisons), then the table.
  const moved = new Map<number, number>(); // old position → new position, or -1 (removed)
  const written: number[] = [];
  let at = l.blocksEnd / 4;
  const pos = new Int32Array(edits.length).fill(-1);
  for (let i = 0; i < edits.length; i++) {
    const ed = edits[i];
    if (ed.from === null) continue;
    pos[i] = at;
    if (ed.from === 'ent') {
      u32[at] = ed.name.length; u32[at + 1] = 0; u32[at + 2] = 0; u32[at + 3] = 0;
      u32[at + BLOCK_HEAD + ((ed.name.length + 3) >>> 2) - 1] = 0; // its padding
      u8.set(ed.name, (at + BLOCK_HEAD) * 4);
      at += BLOCK_HEAD + ((ed.name.length + 3) >>> 2);
    } else {
      at += copyBlock(new Uint32Array(ed.from.buffer), ed.entry, u32, at);
      written.push(pos[i]);
    }
  }
  const appended: number[] = [];
  let freed = l.dense ? l.count * 4 : 0; // buildImage's index, before the blocks, is copied unused
  for (let i = 0; i < edits.length; i++) {
    const ed = edits[i], o = old[i];
    if (o >= 0) {
      const s = table.slot(ed.hash, ed.name);
      moved.set(o, pos[i]);
      freed += blockWords(bu32, o) * 4;
      if (pos[i] < 0) table.remove(s);
      else u32[l.tableOff / 4 + s * 2 + 1] = pos[i] + 1;
    } else if (pos[i] >= 0) {
      table.insert(ed.hash, pos[i]);
      appended.push(pos[i]);
    }
  }
  // SRV targets of the new blocks: whatever entry holds the target name now (data or empty
  // non-terminal), as buildImage points them.
  for (const p of written) {
    for (let i = 0, n = u32[p + B_SRV_COUNT]; i < n; i++) {
      const off = u32[p + BLOCK_HEAD + i * SRV_STRIDE], len = u32[p + BLOCK_HEAD + i * SRV_STRIDE + 1];
      const k = targetKey(u8, off + 18, len - 18);
      const s = table.slot(k.hash, k.name);
      u32[p + BLOCK_HEAD + i * SRV_STRIDE + 2] = s < 0 ? NO_ENTRY : u32[l.tableOff / 4 + s * 2 + 1] - 1;
    }
  }
  const index = new Uint32Array(buf, indexOff, count);
  let n = 0;
  for (let i = 0; i < l.count; i++) {
    const e = base.entryAt(i);
    const m = moved.get(e);
    if (m === undefined) index[n++] = e;
    else if (m >= 0) index[n++] = m;
  }
  for (const p of appended) index[n++] = p;
  u32.set([MAGIC, l.cap, count, l.tableOff, indexOff, total], 0);
  return { buffer: buf, freed };
}

/**
 * `img` rewritten densely, in buildImage's layout (index before the blocks, table sized for its
 * entries): what a patched image becomes once its dead bytes are worth a copy. SRV target
 * pointers are moved with their blocks; no name is hashed or compared again.
 */
export function compactImage(img: ZoneImage, alloc: ImageAlloc = fresh(img)): ArrayBuffer | SharedArrayBuffer {
  const su32 = new Uint32Array(img.buffer);
  const l = layout(su32);
  const count = l.count;
  let cap = 16;
  while (cap < count * 2) cap *= 2;
  const tableOff = HDR * 4, indexOff = tableOff + cap * 8, blocksOff = indexOff + count * 4;
  let words = 0;
  for (let i = 0; i < count; i++) words += blockWords(su32, img.entryAt(i));
  const total = blocksOff + words * 4;
  const buf = alloc(total);
  const u32 = new Uint32Array(buf);
  new Uint32Array(buf, 0, tableOff / 4 + cap * 2).fill(0); // the table starts empty (a reused buffer is not)
  const moved = new Map<number, number>();
  const index = new Uint32Array(buf, indexOff, count);
  let at = blocksOff / 4;
  for (let i = 0; i < count; i++) {
    const e = img.entryAt(i);
    moved.set(e, at);
    index[i] = at;
    at += copyBlock(su32, e, u32, at);
  }
  for (let i = 0; i < count; i++) {
    const p = index[i];
    for (let k = 0, n = u32[p + B_SRV_COUNT]; k < n; k++) {
      const t = u32[p + BLOCK_HEAD + k * SRV_STRIDE + 2];
      if (t !== NO_ENTRY) u32[p + BLOCK_HEAD + k * SRV_STRIDE + 2] = moved.get(t) ?? NO_ENTRY;
    }
  }
  const table = new Table(new Uint32Array(buf, tableOff, cap * 2), u32, new Uint8Array(buf), cap);
  const st = new Uint32Array(img.buffer, l.tableOff, l.cap * 2);
  for (let s = 0; s < l.cap; s++) {
    const v = st[s * 2 + 1];
    if (v !== 0) table.insert(st[s * 2], moved.get(v - 1)!);
  }
  u32.set([MAGIC, cap, count, tableOff, indexOff, total], 0);
  return buf;
}
