// What changed between two zone versions, as resource records: zone transfer (IXFR) and the change
// feed are built on it. Computed in the build worker, never on the answering thread, by comparing
// the two zone images name by name: each name of one image is looked up in the other by its hash
// (the hash the image's own table is keyed by), and a name whose record bytes are identical in both (nearly all of them
// on a refresh) costs one probe and one byte comparison; only names that differ are decoded into
// text. Diffing images rather than generated records also means the change set holds exactly what
// is answered: names lower-cased and case-merged, names outside the domain left out.
//
// Serials and coalescing: a version whose content changed less than a second after the serial was
// last bumped keeps that serial (zone/serial.ts); its change set then has fromSerial === toSerial,
// and a later version (within a second, possibly with no change of its own) carries the bump.
// Consumers apply change sets in order, never condensed across versions.
import { A_RR_LEN, AAAA_RR_LEN, ZoneImage } from './image.js';
import { bytesToIPv4, bytesToIPv6 } from '../net/ip.js';
import { hashWire } from '../wire/name.js';
import type { RRType } from '../records/types.js';

export type { RRType } from '../records/types.js';
/** One resource record in presentation form: A/AAAA data = address text; SRV data = "prio weight port target." */
export interface RR { name: string; type: RRType; data: string }
export interface ZoneChangeSet { fromSerial: number; toSerial: number; time: number; removed: RR[]; added: RR[] }

/** A change set before it is given its serials (the worker computes it; the answering thread stamps it). */
export interface ZoneDiff { removed: RR[]; added: RR[] }

/** Presentation form of a wire name (trailing dot; the root as "."). */
export function wireToText(w: Uint8Array, off = 0, end = w.length): string {
  let s = '';
  while (off < end && w[off] !== 0) {
    s += Buffer.from(w.buffer, w.byteOffset + off + 1, w[off]).toString('latin1') + '.';
    off += 1 + w[off];
  }
  return s === '' ? '.' : s;
}

/** Byte range of entry e's resource records (A, then AAAA, then SRV: contiguous in its block). */
function rrRange(img: ZoneImage, e: number): [number, number] {
  const start = img.aOff(e);
  const n = img.srvCount(e);
  const end = n > 0 ? img.srvOff(e, n - 1) + img.srvLen(e, n - 1) : img.aaaaOff(e) + img.aaaaCount(e) * AAAA_RR_LEN;
  return [start, end];
}

/** Every record of entry e, named `name`. */
export function entryRRs(img: ZoneImage, e: number, name: string, out: RR[] = []): RR[] {
  const u8 = img.u8;
  for (let i = 0, o = img.aOff(e); i < img.aCount(e); i++, o += A_RR_LEN) out.push({ name, type: 'A', data: bytesToIPv4(u8, o + 12) });
  for (let i = 0, o = img.aaaaOff(e); i < img.aaaaCount(e); i++, o += AAAA_RR_LEN) out.push({ name, type: 'AAAA', data: bytesToIPv6(u8, o + 12) });
  for (let i = 0; i < img.srvCount(e); i++) {
    const o = img.srvOff(e, i);
    const weight = (u8[o + 14] << 8) | u8[o + 15], port = (u8[o + 16] << 8) | u8[o + 17];
    const prio = (u8[o + 12] << 8) | u8[o + 13];
    out.push({ name, type: 'SRV', data: `${prio} ${weight} ${port} ${wireToText(u8, o + 18, o + img.srvLen(e, i))}` });
  }
  return out;
}

function sameBytes(a: Uint8Array, af: number, at: number, b: Uint8Array, bf: number, bt: number): boolean {
  if (at - af !== bt - bf) return false;
  for (let i = 0; i < at - af; i++) if (a[af + i] !== b[bf + i]) return false;
  return true;
}

const rrKey = (r: RR) => r.type + ' ' + r.data;

/**
 * The records of `next` not in `prev` (added) and of `prev` not in `next` (removed); `prev` null:
 * everything is added. Records of a name are compared as sets (their order in the image is the
 * generator's and may differ between builds), and a change of TTL alone is no change of records.
 */
export function diffImages(prev: ZoneImage | null, next: ZoneImage): ZoneDiff {
  const removed: RR[] = [], added: RR[] = [];
  // Names of `prev` met in `next` (a bit per u32 of prev's buffer: entries are block positions),
  // so the names that went are found by one sequential walk of `prev`, without lookups.
  const seen = prev ? new Uint32Array((prev.buffer.byteLength >>> 7) + 1) : null;
  for (let i = 0; i < next.entryCount; i++) {
    const e = next.entryAt(i);
    if (!next.hasData(e)) continue;
    const at = next.nameAt(e), len = next.nameLen(e);
    const o = prev ? prev.findBytes(hashWire(next.u8, at, at + len), next.u8, at, len) : -1;
    if (o >= 0) {
      seen![o >>> 5] |= 1 << (o & 31);
      const [nf, nt] = rrRange(next, e), [pf, pt] = rrRange(prev!, o);
      if (sameBytes(next.u8, nf, nt, prev!.u8, pf, pt)) continue;
    }
    const name = wireToText(next.nameWire(e));
    const now = entryRRs(next, e, name);
    if (o < 0) { for (const r of now) added.push(r); continue; }
    const before = entryRRs(prev!, o, name);
    const had = new Set(before.map(rrKey)), has = new Set(now.map(rrKey));
    for (const r of before) if (!has.has(rrKey(r))) removed.push(r);
    for (const r of now) if (!had.has(rrKey(r))) added.push(r);
  }
  if (prev) {
    for (let i = 0; i < prev.entryCount; i++) {
      const o = prev.entryAt(i);
      if (!prev.hasData(o) || (seen![o >>> 5] & (1 << (o & 31))) !== 0) continue;
      entryRRs(prev, o, wireToText(prev.nameWire(o)), removed);
    }
  }
  return { removed, added };
}

/**
 * The build worker's memory of the last zone it published, to diff the next one against. The
 * server's images are shared, so it keeps the one the answering thread reads (no memory of its
 * own); a plain image (tests, benches) is copied, as the original is transferred away. A new
 * worker (after a crash) starts with none: its first version's change set is null.
 */
export class ChangeTracker {
  private kept: ZoneImage | null = null;

  /** The image last published. */
  get last(): ZoneImage | null { return this.kept; }

  /** A version published without a diff here (its change set came with it: zone/incremental.ts). */
  keep(image: ZoneImage): void { this.kept = image; }

  /** Diff `image` against the last published image and keep it; returns the copy to hand on. */
  publish<B extends ArrayBuffer | SharedArrayBuffer>(image: B): { image: B; changes: ZoneDiff | null } {
    const next = new ZoneImage(image);
    const changes = this.kept ? diffImages(this.kept, next) : null;
    this.kept = next;
    // A shared image is never written after it is built: kept, not copied.
    return { image: (image instanceof SharedArrayBuffer ? image : image.slice(0)) as B, changes };
  }
}
