// Mesos UPID (`name@host:port`) parsing, per SPEC §5.3, and the Go host:port split that the
// original uses for pids, the leader and the masters list. The original resolved pid host names
// while decoding JSON (and failed the whole state load when that failed); here a host name is
// kept as text and resolved separately, so parsing stays pure. Failures return a reason string
// rather than throwing: the caller skips one entity with a warning, never the whole state.
import { MAX_NAME_CHARS } from './limits.js';
import type { PID } from './types.js';

export interface HostPort { host: string; port: string }

/** Go net.SplitHostPort: "[v6]:port" or "host:port" with no other ':' in host. Null on failure. */
export function splitHostPort(hp: string): HostPort | null {
  const i = hp.lastIndexOf(':');
  if (i < 0) return null;
  let host: string;
  let j = 0;
  let k = 0;
  if (hp.charCodeAt(0) === 0x5b /* [ */) {
    const end = hp.indexOf(']');
    if (end < 0 || end + 1 !== i) return null;
    host = hp.slice(1, end);
    j = 1;
    k = end + 1;
  } else {
    host = hp.slice(0, i);
    if (host.indexOf(':') >= 0) return null;
  }
  if (hp.indexOf('[', j) >= 0) return null;
  if (hp.indexOf(']', k) >= 0) return null;
  return { host, port: hp.slice(i + 1) };
}

/**
 * The original's urls.SplitHostPort, used for the leader and masters: the standard split, else
 * a split at the first ':'.
 */
export function splitHostPortLoose(hp: string): HostPort | null {
  const std = splitHostPort(hp);
  if (std !== null) return std;
  const i = hp.indexOf(':');
  if (i < 0) return null;
  return { host: hp.slice(0, i), port: hp.slice(i + 1) };
}

/** A decimal port 0..65535 (what Go's TCP address resolution accepts, minus service names). */
export function parsePort(s: string): number | null {
  if (s.length === 0 || s.length > 5) return null;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9) return null;
    n = n * 10 + c;
  }
  return n <= 65535 ? n : null;
}

/** Strip surrounding '"' and ' ' characters, as the original's PID.UnmarshalJSON did. */
function trimQuotesSpaces(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 0x22 || s.charCodeAt(a) === 0x20)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 0x22 || s.charCodeAt(b - 1) === 0x20)) b--;
  return s.slice(a, b);
}

/** Parse a pid value from the state JSON. Returns the PID or the reason it is unusable. */
export function parsePID(value: unknown, what = 'pid'): PID | string {
  if (value === undefined) return `${what} is missing`;
  if (typeof value !== 'string') return `${what} ${describe(value)} is not a string`;
  if (value.length > MAX_NAME_CHARS) return `${what} is over ${MAX_NAME_CHARS} characters`;
  const s = trimQuotesSpaces(value);
  const at = s.indexOf('@');
  if (at < 0 || s.indexOf('@', at + 1) >= 0) return `${what} ${JSON.stringify(value)} does not have exactly one '@'`;
  const hp = splitHostPort(s.slice(at + 1));
  if (hp === null) return `${what} ${JSON.stringify(value)} has no valid host:port`;
  if (hp.host === '') return `${what} ${JSON.stringify(value)} has an empty host`;
  const port = parsePort(hp.port);
  if (port === null) return `${what} ${JSON.stringify(value)} has an invalid port`;
  return { id: s.slice(0, at), host: hp.host, port };
}

/** Short description of an unexpected JSON value for warnings. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'missing';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  const s = JSON.stringify(v);
  return s.length > 80 ? s.slice(0, 77) + '..."' : s;
}
