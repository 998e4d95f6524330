// The Mesos `resources.ports` string ("[31000-31001, 31005-31005]") expanded to port numbers with
// the original's tolerances [B§5.3]: text around the brackets and a missing ']' are accepted,
// items that are not integers are skipped, lo > hi yields nothing. The two forms that crashed the
// original (no '[' at all, a bare integer item) make the task unusable instead: the caller skips
// that one task with a warning. Ports outside 0..65535 cannot be served and are skipped too.
// A string over the limits (limits.ts: ports after expansion, items) makes the task unusable as
// well, found before anything is expanded: one "[0-65535, ...]" item is 65536 ports.
import { MAX_PORT_RANGES, MAX_TASK_PORTS, quoteCut } from './limits.js';

export interface PortsResult {
  ports: number[];
  /** Set when the whole string is unusable (the task should be skipped). */
  error?: string;
  /** Items that were skipped (not integers, or out of range). */
  skipped: string[];
}

/** Go strconv.Atoi: optional sign, decimal digits only. Null if not an integer. */
function atoi(s: string): number | null {
  let i = 0;
  let neg = false;
  if (s.length > 0 && (s.charCodeAt(0) === 0x2b || s.charCodeAt(0) === 0x2d)) {
    neg = s.charCodeAt(0) === 0x2d;
    i = 1;
  }
  if (i >= s.length || s.length - i > 18) return null;
  let n = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9) return null;
    n = n * 10 + c;
  }
  return neg ? -n : n;
}

export function parsePorts(s: string): PortsResult {
  const ports: number[] = [];
  const skipped: string[] = [];
  if (s === '' || s === '[]') return { ports, skipped };
  const open = s.indexOf('[');
  if (open < 0) return { ports, skipped, error: `ports ${quoteCut(s)} has no [ ]` };
  // Go: strings.Split(s, "[")[1], then strings.Split(that, "]")[0]
  let end = s.indexOf('[', open + 1);
  if (end < 0) end = s.length;
  const close = s.indexOf(']', open + 1);
  if (close >= 0 && close < end) end = close;
  // items one at a time (not split(',')): their count is checked before a long string is cut up
  let items = 0;
  for (let a = open + 1; a <= end; a++) {
    let b = s.indexOf(',', a);
    if (b < 0 || b > end) b = end;
    if (++items > MAX_PORT_RANGES) {
      return { ports: [], skipped: [], error: `ports ${quoteCut(s)} has over ${MAX_PORT_RANGES} ranges` };
    }
    const item = s.slice(a, b).trim();
    a = b;
    const dash = item.indexOf('-');
    const lo = atoi(dash < 0 ? item : item.slice(0, dash));
    if (lo === null) {
      if (item !== '') skipped.push(item);
      continue;
    }
    if (dash < 0) {
      return { ports: [], skipped, error: `ports ${quoteCut(s)} has a bare port ${quoteCut(item)} (expected lo-hi)` };
    }
    let hiEnd = item.indexOf('-', dash + 1);
    if (hiEnd < 0) hiEnd = item.length;
    const hi = atoi(item.slice(dash + 1, hiEnd));
    if (hi === null) {
      skipped.push(item);
      continue;
    }
    if (lo > hi) continue;
    if (lo < 0 || hi > 65535) {
      skipped.push(item);
      continue;
    }
    if (ports.length + (hi - lo + 1) > MAX_TASK_PORTS) {
      return { ports: [], skipped: [], error: `ports ${quoteCut(s)} has over ${MAX_TASK_PORTS} ports` };
    }
    for (let p = lo; p <= hi; p++) ports.push(p);
  }
  return { ports, skipped };
}
