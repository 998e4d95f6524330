// The original's per-key validation rules (records/validation.go), as pure functions so that their
// tables can be tested one row at a time and so that other stages (forwarding) reuse the very same
// parsing. Every failure is a ConfigError naming the key, with the original's wording kept in the
// reason where operators might search for it. (`Zk` is parsed by src/config/zkurl.ts, the
// detector's own parser, so start-up validation and detection cannot disagree.)
import { ConfigError } from './error.js';
import type { IPSource } from './types.js';
import { joinHostPort, parsePort, splitHostPortDetailed } from '../net/hostport.js';
import { normalizeIP } from '../net/ip.js';

const DOMAIN_RE = /^[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)*$/;

/** The original's domain-name rule: letters, digits, dashes; no empty label, no leading/trailing dot. */
export function isValidDomainName(d: string): boolean {
  return DOMAIN_RE.test(d);
}

/** A domain name that is also a usable DNS name: isValidDomainName, labels ≤ 63 octets, ≤ 253 in all. */
export function isValidHostName(d: string): boolean {
  return isValidDomainName(d) && d.length <= 253 && d.split('.').every((l) => l.length <= 63);
}

/**
 * Masters: each `host:port` (`[v6]:port`), port 1..65535, host not checked; no duplicates once IP
 * hosts are normalised. An empty list (or null) is fine: ZooKeeper may be used instead.
 */
export function validateMasters(ms: readonly string[] | null): void {
  if (!ms) return;
  const seen = new Set<string>();
  for (const m of ms) {
    const hp = splitHostPortDetailed(m);
    if ('error' in hp) {
      throw new ConfigError('Masters', `error validating masters: illegal host:port specified: ${JSON.stringify(m)}: ${hp.error}`);
    }
    const port = parsePort(hp.port);
    if (port === null || port === 0) {
      throw new ConfigError(
        'Masters',
        `error validating masters: illegal host:port specified: ${JSON.stringify(m)}: port must be an integer from 1 to 65535`,
      );
    }
    const key = `${normalizeIP(hp.host) ?? hp.host}_${port}`;
    if (seen.has(key)) throw new ConfigError('Masters', `error validating masters: duplicate found: ${JSON.stringify(m)}`);
    seen.add(key);
  }
}

/**
 * Upstream resolvers: `ip` or `ip:port` (`[v6]:port`), port 1..65535 (default 53), no duplicates.
 * Returns them normalised to `ip:port` / `[v6]:port` with canonical IP text.
 */
export function normalizeResolvers(rs: readonly string[], key = 'Resolvers', what = ''): string[] {
  const out: string[] = [];
  const err = (msg: string): ConfigError => new ConfigError(key, `error validating resolvers: ${what}${msg}`);
  for (const r of rs) {
    let host = r;
    let portText = '53';
    const hp = splitHostPortDetailed(r);
    if (!('error' in hp)) {
      host = hp.host;
      portText = hp.port;
    }
    const ip = normalizeIP(host);
    if (ip === null) throw err(`illegal ip specified: ${JSON.stringify(r)}`);
    const port = parsePort(portText);
    if (port === null || port === 0) throw err(`illegal port specified: ${JSON.stringify(r)}: port must be an integer from 1 to 65535`);
    const norm = joinHostPort(ip, port);
    if (out.includes(norm)) throw err(`duplicate resolver: ${JSON.stringify(r)} (same as ${norm})`);
    out.push(norm);
  }
  return out;
}

/**
 * Per-zone resolvers: non-empty lists of valid resolvers under valid zone names, none of them the
 * Mesos domain, and no zone (the Mesos domain included) a dot-suffix of another, since the longer
 * one could never be reached. Compared case-insensitively, because DNS routing is. Zone keys are
 * kept as written; the resolver lists come back normalised.
 */
export function validateZoneResolvers(
  zones: Readonly<Record<string, readonly string[]>>,
  domain: string,
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const all: [string, string][] = [];
  for (const [zone, rs] of Object.entries(zones)) {
    if (rs.length === 0) throw new ConfigError('ZoneResolvers', `field ZoneResolver ${JSON.stringify(zone)} is empty`);
    if (!isValidDomainName(zone)) throw new ConfigError('ZoneResolvers', `zone ${JSON.stringify(zone)} is not a valid domain name`);
    const norm = normalizeResolvers(rs, 'ZoneResolvers', `zone ${JSON.stringify(zone)}: `);
    if (zone.toLowerCase() === domain.toLowerCase()) {
      throw new ConfigError('ZoneResolvers', `can't specify ZoneResolver for Mesos domain (${domain})`);
    }
    Object.defineProperty(out, zone, { value: norm, enumerable: true, writable: true, configurable: true });
    all.push([`.${zone}`, `.${zone.toLowerCase()}`]);
  }
  all.push([`.${domain}`, `.${domain.toLowerCase()}`]);
  // Deterministic report order (the original's map order was random): longest names first.
  all.sort((a, b) => b[1].length - a[1].length || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      if (all[i]![1].endsWith(all[j]![1])) {
        throw new ConfigError('ZoneResolvers', `ambiguous zone resolvers: ${all[i]![0]} is masked by ${all[j]![0]}`);
      }
    }
  }
  return out;
}

const IP_SOURCES: readonly string[] = ['host', 'docker', 'mesos', 'netinfo'];

/** Task-IP sources: non-empty, no duplicates, each a known source (exact spelling). */
export function validateIPSources(srcs: readonly string[]): IPSource[] {
  const p = 'IPSources validation failed: ';
  if (srcs.length === 0) throw new ConfigError('IPSources', `${p}empty ip sources`);
  const seen = new Set<string>();
  for (const s of srcs) {
    if (seen.has(s)) throw new ConfigError('IPSources', `${p}duplicate ip source specified: ${JSON.stringify(s)}`);
    seen.add(s);
    if (!IP_SOURCES.includes(s)) {
      throw new ConfigError('IPSources', `${p}invalid ip source ${JSON.stringify(s)} (valid: host, docker, mesos, netinfo)`);
    }
  }
  return [...srcs] as IPSource[];
}
