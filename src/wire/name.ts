// DNS names as bytes: the one name hash, the one "encodable name" rule and ASCII lower-casing.
// The zone's lookup table is keyed by the hash of a lower-cased wire name; the record generator
// (records/names.ts hashOf, over presentation text), the image builder (hashWire over wire bytes)
// and the query parser (query.ts, hashing while it lower-cases) must agree on it bit for bit, so
// the constants live here and test/wire.test.ts pins the three to hashWire. The hot loops keep
// their own inlined `Math.imul(h ^ c, FNV_PRIME)` on purpose: they run per byte of every query.

export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

/** FNV-1a over a lower-cased wire name: the zone table's key (see the module comment). */
export function hashWire(name: Uint8Array, start = 0, end = name.length): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) h = Math.imul(h ^ name[i], FNV_PRIME);
  return h >>> 0;
}

/** An encodable presentation name: ASCII labels of 1..63 characters, each ending with '.'. */
export const ENCODABLE = /^(?:[\x00-\x2d\x2f-\x7f]{1,63}\.)+$/;

/** Wire length of a presentation name (trailing dot) if it is encodable (labels 1..63, ≤ 255 bytes), else -1. */
export function wireLength(name: string): number {
  return name.length < 255 && ENCODABLE.test(name) ? name.length + 1 : -1;
}

/**
 * Wire form of a presentation name ("a.b.c." or "a.b.c"), or null if it cannot be encoded
 * (empty label, label > 63 bytes, name > 255 bytes). No escapes: generated names have none.
 */
export function nameToWire(name: string, lower = false): Uint8Array | null {
  if (name === '.' || name === '') return new Uint8Array([0]);
  const s = name.endsWith('.') ? name.slice(0, -1) : name;
  const bytes = Buffer.from(lower ? s.toLowerCase() : s, 'utf8');
  if (bytes.length + 2 > 255) return null;
  const out = new Uint8Array(bytes.length + 2);
  let labelStart = 0;
  let o = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x2e) {
      const len = i - labelStart;
      if (len === 0 || len > 63) return null;
      out[o++] = len;
      out.set(bytes.subarray(labelStart, i), o);
      o += len;
      labelStart = i + 1;
    }
  }
  out[o] = 0;
  return out;
}

/** ASCII lower-casing of one byte (DNS compares names ASCII-case-insensitively, RFC 4343). */
export function lowerByte(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

/** A lower-cased copy of `len` bytes of `src` from `start` (a wire name: length bytes are < 64, never touched). */
export function lowerCopy(src: Uint8Array, start = 0, len = src.length - start): Buffer {
  const out = Buffer.allocUnsafe(len);
  for (let i = 0; i < len; i++) out[i] = lowerByte(src[start + i]);
  return out;
}

/** ASCII lower-casing of a wire name; the same object when it has no upper case. */
export function lowerName(name: Buffer): Buffer {
  let i = 0;
  for (; i < name.length; i++) if (name[i] >= 0x41 && name[i] <= 0x5a) break;
  if (i === name.length) return name;
  const out = Buffer.from(name);
  for (; i < out.length; i++) if (out[i] >= 0x41 && out[i] <= 0x5a) out[i] |= 0x20;
  return out;
}

/**
 * Is the lower-cased wire name `lname` the apex (or zone) `apex` or below it, on a label boundary?
 * The answerer's "is it ours" test on every query, and forwarding's bailiwick rule.
 */
export function inDomain(lname: Uint8Array, apex: Uint8Array): boolean {
  const off = lname.length - apex.length;
  if (off < 0) return false;
  for (let i = 0; i < apex.length; i++) if (lname[off + i] !== apex[i]) return false;
  let p = 0;
  while (p < off) p += 1 + lname[p];
  return p === off;
}
