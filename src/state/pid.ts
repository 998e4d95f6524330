// Mesos UPID (`name@host:port`) values of the state JSON, per [B§5.3] (the split itself is
// net/upid.ts, beside the two other `name@host:port` rules). The original resolved pid host names
// while decoding JSON (and failed the whole state load when that failed); here a host name is
// kept as text and resolved separately, so parsing stays pure. Failures return a reason string
// rather than throwing: the caller skips one entity with a warning, never the whole state.
import { MAX_NAME_CHARS } from './limits.js';
import type { PID } from './types.js';
import { splitPid } from '../net/upid.js';

/** Parse a pid value from the state JSON. Returns the PID or the reason it is unusable. */
export function parsePID(value: unknown, what = 'pid'): PID | string {
  if (value === undefined) return `${what} is missing`;
  if (typeof value !== 'string') return `${what} ${describe(value)} is not a string`;
  if (value.length > MAX_NAME_CHARS) return `${what} is over ${MAX_NAME_CHARS} characters`;
  const r = splitPid(value);
  return typeof r === 'string' ? `${what} ${JSON.stringify(value)} ${r}` : r;
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

