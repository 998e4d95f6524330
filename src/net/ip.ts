// IP literals, with the original's (Go net.ParseIP / IP.String) results, in one place: record values
// must be spelled the way the original spelled them (/v1/axfr and /v1/enumerate show them as text),
// the config normalises addresses the same way, the zone image stores them as bytes, and the
// forwarding allow-list compares bytes. Go rules kept here: IPv4-mapped IPv6 is an IPv4 address
// (A record, dotted text); IPv6 text is RFC 5952 (lower-case, the longest run of ≥ 2 zero groups
// compressed, leftmost on ties); zone suffixes ("%eth0") are not IP literals to Go. net.isIP does
// the validation; we only expand and re-format. There is one IPv6 expander (v6Groups) and one
// formatter (formatIPv6): the stages used to carry four and three copies.
import { isIP, isIPv4, isIPv6 } from 'node:net';

export interface ParsedIP {
  family: 4 | 6;
  /** Canonical text. */
  text: string;
  /** IPv4 as a 32-bit value; -1 when not canonical dotted IPv4. */
  v4: number;
}

/** 0 when not an IP literal Go would accept (zoned IPv6 is not), else 4 or 6. */
export function ipFamily(s: string): 0 | 4 | 6 {
  if (s.includes('%')) return 0;
  return isIP(s) as 0 | 4 | 6;
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
  return { family: 6, text: formatIPv6(g), v4: -1 };
}

/**
 * Canonical text of an IP literal as Go's IP.String() prints it: IPv4 as is, IPv6 compressed and
 * lower-case, IPv4-mapped IPv6 (`::ffff:a.b.c.d`) as dotted IPv4. null when not an IP literal.
 */
export function normalizeIP(s: string): string | null {
  return parseIP(s)?.text ?? null;
}

/** The 8 16-bit groups of an IPv6 literal already validated by net.isIP (no zone); null if malformed. */
export function v6Groups(s: string): number[] | null {
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

/** RFC 5952 text of 8 groups: lower-case hex, the longest run (≥ 2, leftmost on ties) of zero groups as "::". */
export function formatIPv6(g: readonly number[]): string {
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

// ---- bytes (the zone image, the allow-list) ----

export function ipv4ToBytes(s: string): Uint8Array | null {
  if (!isIPv4(s)) return null;
  const out = new Uint8Array(4);
  let i = 0;
  for (const part of s.split('.')) out[i++] = Number(part);
  return out;
}

/** 16 bytes of an IPv6 literal; a zone suffix is accepted and ignored. */
export function ipv6ToBytes(s: string): Uint8Array | null {
  if (!isIPv6(s)) return null;
  const pct = s.indexOf('%');
  const g = v6Groups(pct >= 0 ? s.slice(0, pct) : s);
  if (!g) return null;
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) { out[2 * i] = g[i] >> 8; out[2 * i + 1] = g[i] & 0xff; }
  return out;
}

export function bytesToIPv4(b: Uint8Array, off = 0): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** RFC 5952 text of 16 bytes at `off`. */
export function bytesToIPv6(b: Uint8Array, off = 0): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((b[off + 2 * i] << 8) | b[off + 2 * i + 1]);
  return formatIPv6(w);
}

/**
 * 4 bytes for IPv4, 16 for IPv6; IPv4-mapped IPv6 addresses are returned as their IPv4 form, and
 * an IPv6 zone id ("fe80::1%eth0") does not take part. For matching addresses that arrive in
 * several spellings (a dual-stack socket reports IPv4 clients as "::ffff:10.1.2.3").
 */
export function ipBytes(text: string): Uint8Array | null {
  let s = text.trim();
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  if (isIPv4(s)) return ipv4ToBytes(s);
  const v6 = ipv6ToBytes(s);
  if (!v6) return null;
  return isV4Mapped(v6) ? v6.slice(12) : v6;
}

function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** Two addresses are the same host (used to check that a UDP reply came from the resolver we asked). */
export function sameIP(a: string, b: Uint8Array): boolean {
  const x = ipBytes(a);
  if (!x || x.length !== b.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== b[i]) return false;
  return true;
}
