// CIDR networks and the client allow-list (forwarding's ForwardAllowFrom; zone transfer's list
// next). We compare bytes, not strings, because the same address arrives in several spellings (a
// dual-stack socket reports IPv4 clients as "::ffff:10.1.2.3", IPv6 has many textual forms), and an
// allow-list that compares text lets the wrong clients through.
import { isIPv6 } from 'node:net';
import { formatIPv6, ipBytes, ipFamily, v6Groups } from './ip.js';

export interface Cidr {
  bytes: Uint8Array;
  prefix: number;
}

/** "10.0.0.0/8", "fd00::/8", "::ffff:10.0.0.0/104" or a bare address (a host route). Throws on error. */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  const addr = slash >= 0 ? text.slice(0, slash) : text;
  const raw = text.trim();
  const bytes = ipBytes(addr);
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

/** Allow-list of client networks (parsed by the config loader). Unparseable client addresses are never allowed. */
export class AllowList {
  constructor(private readonly nets: readonly Cidr[]) {}
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
    const ip = ipBytes(address);
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

/**
 * The config loader's stricter reading (Go's net.ParseCIDR: no spaces, no zone): `addr/prefix` (or
 * a bare address, meaning a single host) → canonical address, prefix length and family, ready for
 * net.BlockList.addSubnet. An IPv6 network stays IPv6 even when IPv4-mapped, since its prefix
 * length counts IPv6 bits. null when malformed. Every value it accepts, parseCidr accepts too.
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
    : { address: formatIPv6(v6Groups(addr)!), prefix, family: 'ipv6' };
}
