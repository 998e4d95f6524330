// IP literal parsing with the original's (Go net.ParseIP / IP.String) results: record values must be
// spelled the way the original spelled them, because /v1/axfr and /v1/enumerate show them as text.
// Go rules kept here: IPv4-mapped IPv6 is an IPv4 address (A record, dotted text); IPv6 text is
// lower-case with the longest run (≥ 2 groups, leftmost on ties) of zero groups compressed; zone
// suffixes ("%eth0") are not IP literals. net.isIP does the validation; we only re-format.
import { isIP } from 'node:net';

export interface ParsedIP {
  family: 4 | 6;
  /** Canonical text. */
  text: string;
  /** IPv4 as a 32-bit value; -1 when not canonical dotted IPv4. */
  v4: number;
}

/** Canonical dotted IPv4 text → its 32-bit value; -1 for anything else (leading zeros included). */
export function ipv4Value(s: string): number {
  let v = 0, part = 0, digits = 0, dots = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || part > 255 || (digits > 1 && s.charCodeAt(i - digits) === 0x30)) return -1;
      v = v * 256 + part; part = 0; digits = 0;
      if (i < s.length && ++dots > 3) return -1;
    } else if (c >= 0x30 && c <= 0x39 && digits < 3) { part = part * 10 + (c - 0x30); digits++; } else return -1;
  }
  return dots === 3 ? v : -1;
}

export function ipv4Text(v: number): string {
  return `${Math.floor(v / 16777216)}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}


/** Parse an IP literal; null when it is not one (host names, zones, empty, brackets...). */
export function parseIP(s: string): ParsedIP | null {
  const fam = isIP(s);
  if (fam === 4) return { family: 4, text: s, v4: ipv4Value(s) };
  if (fam !== 6 || s.indexOf('%') >= 0) return null;
  const g = v6Groups(s);
  if (g === null) return null;
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return { family: 4, text: `${g[6] >> 8}.${g[6] & 255}.${g[7] >> 8}.${g[7] & 255}`, v4: g[6] * 65536 + g[7] };
  }
  return { family: 6, text: formatV6(g), v4: -1 };
}

/** The 8 16-bit groups of an IPv6 literal already validated by net.isIP. */
function v6Groups(s: string): number[] | null {
  const dbl = s.indexOf('::');
  const parse = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i];
      if (i === pieces.length - 1 && p.indexOf('.') >= 0) {
        const o = p.split('.').map(Number);
        out.push((o[0] << 8) | o[1], (o[2] << 8) | o[3]);
      } else {
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  if (dbl < 0) {
    const g = parse(s);
    return g.length === 8 ? g : null;
  }
  const head = parse(s.slice(0, dbl));
  const tail = parse(s.slice(dbl + 2));
  const zeros = 8 - head.length - tail.length;
  if (zeros < 1) return null;
  return [...head, ...new Array<number>(zeros).fill(0), ...tail];
}

function formatV6(g: number[]): string {
  // longest run of zero groups, at least 2 long, leftmost on ties
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  if (bestStart < 0) return g.map((x) => x.toString(16)).join(':');
  const left = g.slice(0, bestStart).map((x) => x.toString(16)).join(':');
  const right = g.slice(bestStart + bestLen).map((x) => x.toString(16)).join(':');
  return `${left}::${right}`;
}
