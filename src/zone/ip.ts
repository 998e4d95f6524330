// IP text ↔ bytes for the zone image. Small and allocation-light because the image builder runs
// it for every address of a 50k-task state; text output is the canonical form (RFC 5952), the
// same Go prints, so /v1/hosts shows what the original showed.
import { isIPv4, isIPv6 } from 'node:net';

export function ipv4ToBytes(s: string): Uint8Array | null {
  if (!isIPv4(s)) return null;
  const out = new Uint8Array(4);
  let i = 0;
  for (const part of s.split('.')) out[i++] = Number(part);
  return out;
}

export function ipv6ToBytes(s: string): Uint8Array | null {
  if (!isIPv6(s)) return null;
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  const out = new Uint8Array(16);
  let tail: number[] = [];
  let head: number[] = [];
  const halves = s.split('::');
  const parse = (part: string): number[] => {
    if (part === '') return [];
    const words: number[] = [];
    for (const g of part.split(':')) {
      if (g.includes('.')) {
        const v4 = ipv4ToBytes(g)!;
        words.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else words.push(parseInt(g, 16));
    }
    return words;
  };
  head = parse(halves[0]);
  if (halves.length === 2) tail = parse(halves[1]);
  const words = [...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail];
  for (let i = 0; i < 8; i++) { out[2 * i] = words[i] >> 8; out[2 * i + 1] = words[i] & 0xff; }
  return out;
}

export function bytesToIPv4(b: Uint8Array, off = 0): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** RFC 5952 text: lower-case hex, longest run (≥ 2) of zero words as "::", first run on ties. */
export function bytesToIPv6(b: Uint8Array, off = 0): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((b[off + 2 * i] << 8) | b[off + 2 * i + 1]);
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  if (bestStart < 0) return w.map((x) => x.toString(16)).join(':');
  const left = w.slice(0, bestStart).map((x) => x.toString(16)).join(':');
  const right = w.slice(bestStart + bestLen).map((x) => x.toString(16)).join(':');
  return `${left}::${right}`;
}
