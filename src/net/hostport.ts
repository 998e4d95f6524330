// host:port, ports and resolver targets, shared by config validation, master detection, state
// loading, record generation and forwarding. They follow Go's net package (SplitHostPort) rather
// than Node's looser parsing, because configs and states written for the original must be
// accepted, rejected and split the same way. Everything here is pure and synchronous.
import { isIPv4, isIPv6 } from 'node:net';
import { ipBytes } from './ip.js';

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

export interface HostPort { host: string; port: string }

/** Go's net.SplitHostPort without the reason. The host is returned without brackets. */
export function splitHostPort(s: string): HostPort | null {
  const r = splitHostPortDetailed(s);
  return 'error' in r ? null : r;
}

/**
 * The original's urls.SplitHostPort, used for the leader and the masters list ([B§5.2], [B§7.5]):
 * the standard split, else a split at the first ':'.
 */
export function splitHostPortLoose(hp: string): HostPort | null {
  const std = splitHostPort(hp);
  if (std !== null) return std;
  const i = hp.indexOf(':');
  if (i < 0) return null;
  return { host: hp.slice(0, i), port: hp.slice(i + 1) };
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

/** An upstream resolver's address, as forwarding sends to it. */
export interface Target {
  /** Normalised "ip:port" or "[v6]:port": identifies the resolver (health, TCP connection). */
  key: string;
  host: string;
  port: number;
  family: 4 | 6;
  ip: Uint8Array;
}

/** "1.2.3.4", "1.2.3.4:53", "[::1]:53" or a bare IPv6 address (port 53). Throws on error. */
export function parseTarget(text: string): Target {
  const s = text.trim();
  let host = s;
  let port = 53;
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (m) {
    host = m[1];
    if (m[2] !== undefined) port = Number(m[2]);
  } else if (!isIPv6(s)) {
    const c = s.lastIndexOf(':');
    if (c >= 0) {
      host = s.slice(0, c);
      if (!/^\d+$/.test(s.slice(c + 1))) throw new Error(`bad port in "${text}"`);
      port = Number(s.slice(c + 1));
    }
  }
  const family = isIPv4(host) ? 4 : isIPv6(host) ? 6 : 0;
  const ip = ipBytes(host);
  if (!family || !ip) throw new Error(`not an IP address: "${text}"`);
  if (!(port >= 1 && port <= 65535)) throw new Error(`bad port in "${text}"`);
  return { key: family === 6 ? `[${host}]:${port}` : `${host}:${port}`, host, port, family, ip };
}
