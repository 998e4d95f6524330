// IP address and CIDR handling for forwarding: the client allow-list and upstream addresses.
// We parse to bytes ourselves instead of comparing strings because the same address arrives in
// several spellings (a dual-stack socket reports IPv4 clients as "::ffff:10.1.2.3", IPv6 has
// many textual forms), and an allow-list that compares text lets the wrong clients through.
import { isIPv4, isIPv6 } from 'node:net';

/** 4 bytes for IPv4, 16 for IPv6; IPv4-mapped IPv6 addresses are returned as their IPv4 form. */
export function parseIP(text: string): Uint8Array | null {
  let s = text.trim();
  const pct = s.indexOf('%'); // IPv6 zone id ("fe80::1%eth0") does not take part in matching
  if (pct >= 0) s = s.slice(0, pct);
  if (isIPv4(s)) return Uint8Array.from(s.split('.').map(Number));
  if (!isIPv6(s)) return null;
  const v6 = parseIPv6(s);
  if (!v6) return null;
  return isV4Mapped(v6) ? v6.slice(12) : v6;
}

function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

function parseIPv6(s: string): Uint8Array | null {
  // node's isIPv6 has already validated the syntax; here we only expand it.
  let tail4: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.indexOf('.', lastColon) >= 0) {
    const v4 = s.slice(lastColon + 1);
    if (!isIPv4(v4)) return null;
    tail4 = v4.split('.').map(Number);
    s = s.slice(0, lastColon + 1) + '0:0'; // placeholder groups, overwritten below
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const fill = 8 - head.length - tail.length;
  if (halves.length === 1 ? fill !== 0 : fill < 0) return null;
  const groups = [...head, ...new Array<string>(halves.length === 2 ? fill : 0).fill('0'), ...tail];
  if (groups.length !== 8) return null;
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const g = parseInt(groups[i], 16);
    if (!(g >= 0 && g <= 0xffff)) return null;
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  }
  if (tail4.length === 4) out.set(tail4, 12);
  return out;
}

export interface Cidr {
  bytes: Uint8Array;
  prefix: number;
}

/** "10.0.0.0/8", "fd00::/8", "::ffff:10.0.0.0/104" or a bare address (a host route). Throws on error. */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  const addr = slash >= 0 ? text.slice(0, slash) : text;
  const raw = text.trim();
  const bytes = parseIP(addr);
  if (!bytes) throw new Error(`not an IP network: "${raw}"`);
  // An IPv4-mapped network ("::ffff:10.0.0.0/104") becomes the IPv4 network it denotes.
  const mapped = bytes.length === 4 && isIPv6(addr.trim().split('%')[0]);
  const max = mapped ? 128 : bytes.length * 8;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1).trim();
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) throw new Error(`bad prefix length in "${raw}"`);
    prefix = Number(p);
  }
  if (mapped) {
    // Inside ::ffff:0:0/96 it is an IPv4 network; wider, it stays an IPv6 one.
    if (prefix >= 96) return { bytes, prefix: prefix - 96 };
    const v6 = new Uint8Array(16);
    v6[10] = v6[11] = 0xff;
    v6.set(bytes, 12);
    return { bytes: v6, prefix };
  }
  return { bytes, prefix };
}

function inCidr(ip: Uint8Array, c: Cidr): boolean {
  if (ip.length !== c.bytes.length) return false;
  const full = c.prefix >> 3;
  for (let i = 0; i < full; i++) if (ip[i] !== c.bytes[i]) return false;
  const rest = c.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (ip[full] & mask) === (c.bytes[full] & mask);
}

/** Allow-list of client networks. Unparseable client addresses are never allowed. */
export class AllowList {
  private readonly nets: Cidr[];
  constructor(cidrs: readonly string[]) {
    this.nets = cidrs.map(parseCidr);
  }
  // Decisions per client address: a resolver's clients are few and repeat on every query.
  private readonly memo = new Map<string, boolean>();
  // The last decision again: usually the same client, and comparing a short string beats hashing it.
  private lastAddress = '';
  private lastAllowed = false;
  allows(address: string): boolean {
    if (address === this.lastAddress) return this.lastAllowed;
    let v = this.memo.get(address);
    if (v === undefined) {
      v = this.decide(address);
      if (this.memo.size >= 4096) this.memo.clear();
      this.memo.set(address, v);
    }
    this.lastAddress = address;
    this.lastAllowed = v;
    return v;
  }
  private decide(address: string): boolean {
    const ip = parseIP(address);
    if (!ip) return false;
    // An IPv4 client is also ::ffff:a.b.c.d, so IPv6 networks that contain it ("::/0") match too.
    let mapped: Uint8Array | null = null;
    if (ip.length === 4) {
      mapped = new Uint8Array(16);
      mapped[10] = mapped[11] = 0xff;
      mapped.set(ip, 12);
    }
    for (const n of this.nets) if (inCidr(ip, n) || (mapped && inCidr(mapped, n))) return true;
    return false;
  }
}

/** Two addresses are the same host (used to check that a UDP reply came from the resolver we asked). */
export function sameIP(a: string, b: Uint8Array): boolean {
  const x = parseIP(a);
  if (!x || x.length !== b.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== b[i]) return false;
  return true;
}
