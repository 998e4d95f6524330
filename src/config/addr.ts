// Address helpers shared by config validation, master detection, state loading and forwarding.
// They follow Go's net package (SplitHostPort, ParseIP + IP.String) rather than Node's looser
// parsing, because configs written for the original must be accepted, rejected and normalised
// the same way: e.g. a zoned IPv6 ("fe80::1%eth0") is not an IP to Go, and an IPv4-mapped IPv6
// address prints as dotted IPv4. Everything here is pure and synchronous.
import { isIP } from 'node:net';

/** Go's net.SplitHostPort: `host:port`, `[v6]:port`; the reason on failure is Go's wording. */
export function splitHostPortDetailed(s: string): { host: string; port: string } | { error: string } {
  const missingPort = { error: `address ${s}: missing port in address` };
  const tooManyColons = { error: `address ${s}: too many colons in address` };
  const i = s.lastIndexOf(':');
  if (i < 0) return missingPort;
  let host: string;
  let j = 0;
  let k = 0;
  if (s[0] === '[') {
    const end = s.indexOf(']');
    if (end < 0) return { error: `address ${s}: missing ']' in address` };
    if (end + 1 === s.length) return missingPort;
    if (end + 1 !== i) return s[end + 1] === ':' ? tooManyColons : missingPort;
    host = s.slice(1, end);
    j = 1;
    k = end + 1;
  } else {
    host = s.slice(0, i);
    if (host.includes(':')) return tooManyColons;
  }
  if (s.indexOf('[', j) >= 0) return { error: `address ${s}: unexpected '[' in address` };
  if (s.indexOf(']', k) >= 0) return { error: `address ${s}: unexpected ']' in address` };
  return { host, port: s.slice(i + 1) };
}

/** Go's net.SplitHostPort without the reason. The host is returned without brackets. */
export function splitHostPort(s: string): { host: string; port: string } | null {
  const r = splitHostPortDetailed(s);
  return 'error' in r ? null : r;
}

/**
 * Decimal port 0..65535 (digits only, no sign) or null. Callers that need a usable destination
 * port must also reject 0.
 */
export function parsePort(p: string): number | null {
  if (!/^[0-9]{1,5}$/.test(p)) return null;
  const n = Number(p);
  return n <= 65535 ? n : null;
}

/**
 * `host:port` or `[v6]:port` → host (unbracketed, not validated) and port 0..65535; null when
 * the syntax or the port is bad.
 */
export function parseHostPort(s: string): { host: string; port: number } | null {
  const hp = splitHostPort(s);
  if (!hp) return null;
  const port = parsePort(hp.port);
  return port === null ? null : { host: hp.host, port };
}

/** Go's net.JoinHostPort: brackets a host that contains a colon. */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** 0 when not an IP literal Go would accept (zoned IPv6 is not), else 4 or 6. */
export function ipFamily(s: string): 0 | 4 | 6 {
  if (s.includes('%')) return 0;
  return isIP(s) as 0 | 4 | 6;
}

/** The 8 16-bit groups of an IPv6 literal already accepted by net.isIP (no zone). */
function ipv6Groups(s: string): number[] {
  let text = s;
  const lastColon = text.lastIndexOf(':');
  const v4 = text.slice(lastColon + 1);
  if (v4.includes('.')) {
    // A dotted-quad tail is two groups: rewrite it in hex so only one syntax is left to parse.
    const q = v4.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${((q[0]! << 8) | q[1]!).toString(16)}:${((q[2]! << 8) | q[3]!).toString(16)}`;
  }
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((h) => parseInt(h, 16)));
  const dbl = text.indexOf('::');
  if (dbl < 0) return parse(text);
  const head = parse(text.slice(0, dbl));
  const tail = parse(text.slice(dbl + 2));
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/** RFC 5952 text of 8 groups: lower-case, longest run (≥2, first on ties) of zero groups as "::". */
function formatIPv6(g: number[]): string {
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]): string => a.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

/**
 * Canonical text of an IP literal as Go's IP.String() prints it: IPv4 as is, IPv6 compressed and
 * lower-case, IPv4-mapped IPv6 (`::ffff:a.b.c.d`) as dotted IPv4. null when not an IP literal.
 */
export function normalizeIP(s: string): string | null {
  const fam = ipFamily(s);
  if (fam === 4) return s;
  if (fam !== 6) return null;
  const g = ipv6Groups(s);
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    return `${g[6]! >> 8}.${g[6]! & 0xff}.${g[7]! >> 8}.${g[7]! & 0xff}`;
  }
  return formatIPv6(g);
}

/**
 * `addr/prefix` (or a bare address, meaning a single host) → canonical address, prefix length and
 * family, ready for net.BlockList.addSubnet. An IPv6 network stays IPv6 even when IPv4-mapped,
 * since its prefix length counts IPv6 bits. null when malformed.
 */
export function parseCIDR(s: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | null {
  const slash = s.indexOf('/');
  const addr = slash < 0 ? s : s.slice(0, slash);
  const fam = ipFamily(addr);
  if (fam === 0) return null;
  const max = fam === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = s.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(p) || Number(p) > max) return null;
    prefix = Number(p);
  }
  return fam === 4
    ? { address: addr, prefix, family: 'ipv4' }
    : { address: formatIPv6(ipv6Groups(addr)), prefix, family: 'ipv6' };
}
