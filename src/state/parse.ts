// Turns the master's state JSON (already JSON.parse'd) into the validated State the generator
// consumes. The original decoded it with Go's encoding/json, so one bad field anywhere failed the
// whole load, and some values crashed the process later. Per [A.15] we are tolerant instead:
// an agent, framework or task we cannot understand is dropped with ONE warning naming it, and
// only an unusable top level (not an object, no usable leader) rejects the state, so that the
// caller keeps its previous records. Keys are matched like Go's decoder (exact, else
// case-insensitive). Pure: no I/O, host names are left for the caller to resolve (hostNamesOf).
import { parseIP } from '../net/ip.js';
import { describe, parsePID } from './pid.js';
import {
  MAX_DISCOVERY_PORTS, MAX_IP_ADDRESSES, MAX_LABEL_CHARS, MAX_NAME_CHARS, MAX_NETWORK_INFOS, MAX_STATUS_LABELS,
  MAX_AGENTS, MAX_FRAMEWORKS, MAX_TASK_STATUSES, MAX_TASKS, overLimit, quoteCut, type TaskBudget,
} from './limits.js';
import { parsePorts } from './ports.js';
import type {
  DiscoveryInfo, DiscoveryPort, Framework, Label, NetworkInfo, PID, Slave, State, StateView, Task, TaskStatus,
} from './types.js';

export interface ParseResult<S extends StateView = State> {
  state: S | null;
  warnings: string[];
  error?: string;
}

type Obj = Record<string, unknown>;

/** Thrown inside an entity's parser; caught at the entity boundary and turned into one warning. */
class Skip extends Error {}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Go's field matching: the exact key, else the last key equal to it ignoring ASCII case. */
function field(o: Obj, key: string): unknown {
  const v = o[key];
  if (v !== undefined) return v;
  let found: unknown = undefined;
  for (const k in o) {
    if (k.length === key.length && k !== key && k.toLowerCase() === key) found = o[k];
  }
  return found;
}

/**
 * A string field: missing or null → "", anything else but a string, or a string over `max`
 * characters (limits.ts), → skip the entity.
 */
function str(o: Obj, key: string, what: string, max = MAX_NAME_CHARS): string {
  const v = field(o, key);
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new Skip(`${what}${key} is ${describe(v)}, not a string`);
  if (v.length > max) throw new Skip(`${what}${key} is over ${max} characters`);
  return v;
}

function num(o: Obj, key: string, what: string): number {
  const v = field(o, key);
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number') throw new Skip(`${what}${key} is ${describe(v)}, not a number`);
  return v;
}

/** An array field: missing or null → [], other types, or over `max` elements (limits.ts) → skip. */
function arr(o: Obj, key: string, what: string, max: number): unknown[] {
  const v = field(o, key);
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new Skip(`${what}${key} is ${describe(v)}, not an array`);
  if (v.length > max) throw new Skip(`${what}${key} has over ${max} elements`);
  return v;
}

/** An object field: missing or null → null, other types → skip. */
function obj(o: Obj, key: string, what: string): Obj | null {
  const v = field(o, key);
  if (v === undefined || v === null) return null;
  if (!isObj(v)) throw new Skip(`${what}${key} is ${describe(v)}, not an object`);
  return v;
}

function elem(v: unknown, what: string): Obj {
  if (!isObj(v)) throw new Skip(`${what} is ${describe(v)}, not an object`);
  return v;
}

function parseLabels(list: unknown[], what: string): Label[] {
  const out: Label[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const l = elem(list[i], `${what}labels[${i}]`);
    out[i] = { key: str(l, 'key', `${what}labels[${i}].`, MAX_LABEL_CHARS), value: str(l, 'value', `${what}labels[${i}].`, MAX_LABEL_CHARS) };
  }
  return out;
}

function parseNetworkInfos(list: unknown[], what: string): NetworkInfo[] {
  const out: NetworkInfo[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const w = `${what}network_infos[${i}]`;
    const n = elem(list[i], w);
    const addrs = arr(n, 'ip_addresses', `${w}.`, MAX_IP_ADDRESSES);
    const ipAddresses: string[] = new Array(addrs.length);
    for (let j = 0; j < addrs.length; j++) {
      ipAddresses[j] = str(elem(addrs[j], `${w}.ip_addresses[${j}]`), 'ip_address', `${w}.ip_addresses[${j}].`, MAX_LABEL_CHARS);
    }
    out[i] = { ipAddresses, ipAddress: str(n, 'ip_address', `${w}.`, MAX_LABEL_CHARS) };
  }
  return out;
}

function parseStatuses(list: unknown[]): TaskStatus[] {
  const out: TaskStatus[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const w = `statuses[${i}]`;
    const s = elem(list[i], w);
    const cs = obj(s, 'container_status', `${w}.`);
    out[i] = {
      state: str(s, 'state', `${w}.`),
      timestamp: num(s, 'timestamp', `${w}.`),
      labels: parseLabels(arr(s, 'labels', `${w}.`, MAX_STATUS_LABELS), `${w}.`),
      networkInfos: cs === null ? [] : parseNetworkInfos(arr(cs, 'network_infos', `${w}.container_status.`, MAX_NETWORK_INFOS), `${w}.container_status.`),
    };
  }
  return out;
}

function parseDiscovery(d: Obj | null, warnings: string[], who: string): DiscoveryInfo | null {
  if (d === null) return null;
  const name = str(d, 'name', 'discovery.');
  const portsObj = obj(d, 'ports', 'discovery.');
  const list = portsObj === null ? [] : arr(portsObj, 'ports', 'discovery.ports.', MAX_DISCOVERY_PORTS);
  if (name === '') return null; // a DiscoveryInfo without a name is ignored entirely [B§7.6]
  const ports: DiscoveryPort[] = [];
  for (let i = 0; i < list.length; i++) {
    const w = `discovery.ports.ports[${i}]`;
    const p = elem(list[i], w);
    const n = num(p, 'number', `${w}.`);
    if (!Number.isInteger(n)) throw new Skip(`${w}.number ${n} is not an integer`);
    const protocol = str(p, 'protocol', `${w}.`);
    const pname = str(p, 'name', `${w}.`);
    if (n < 0 || n > 65535) {
      warnings.push(`${who}: ignoring discovery port ${n}: out of range`);
      continue;
    }
    ports.push({ number: n, protocol, name: pname });
  }
  return { name, ports };
}

function parseTask(t: Obj, warnings: string[], who: string): Task {
  const id = str(t, 'id', '');
  if (id === '') throw new Skip('missing id');
  const slaveId = str(t, 'slave_id', '');
  if (slaveId === '') throw new Skip('missing slave_id');
  const res = obj(t, 'resources', '');
  // not limited as a string: parsePorts bounds its ranges and ports, whatever its length
  const portsText = res === null ? '' : str(res, 'ports', 'resources.', Infinity);
  const pr = parsePorts(portsText);
  if (pr.error !== undefined) throw new Skip(pr.error);
  for (const item of pr.skipped) warnings.push(`${who}: ignoring port range ${quoteCut(item)} of ports ${quoteCut(portsText)}`);
  return {
    id,
    name: str(t, 'name', ''),
    slaveId,
    state: str(t, 'state', ''),
    ports: pr.ports,
    statuses: parseStatuses(arr(t, 'statuses', '', MAX_TASK_STATUSES)),
    discovery: parseDiscovery(obj(t, 'discovery', ''), warnings, who),
  };
}

function label(v: unknown): string {
  return typeof v === 'string' && v !== '' ? JSON.stringify(v) : '';
}

function parseFramework(f: Obj, warnings: string[], budget: TaskBudget): Framework {
  const name = str(f, 'name', '');
  const rawPid = field(f, 'pid');
  let pid: PID | null = null;
  if (rawPid !== undefined) {
    const p = parsePID(rawPid);
    if (typeof p === 'string') throw new Skip(p);
    pid = p;
  }
  const hostname = str(f, 'hostname', '');
  const rawTasks = arr(f, 'tasks', '', Infinity); // counted against the state's MAX_TASKS
  const tasks: Task[] = [];
  const fwLabel = JSON.stringify(name);
  const n = Math.min(rawTasks.length, budget.left);
  budget.left -= n;
  for (let i = 0; i < n; i++) {
    const t = parseTaskEntry(rawTasks[i], i, fwLabel, warnings);
    if (t !== null) tasks.push(t);
  }
  if (n < rawTasks.length && !budget.warned) {
    budget.warned = true;
    warnings.push(tasksOverLimit(fwLabel, rawTasks.length - n));
  }
  return { name, pid, hostname, tasks };
}

/** The one warning for the tasks ignored over MAX_TASKS, at the framework where it is reached. */
export function tasksOverLimit(fwLabel: string, over: number): string {
  return `framework ${fwLabel}: ${overLimit('tasks', over, MAX_TASKS)} per state, and the tasks of the frameworks after it`;
}

/**
 * `parse` as one entity: its item warnings are kept only if it is usable; a Skip becomes one
 * warning naming `who` and the entity is left out (null).
 */
function entry<T>(who: string, warnings: string[], parse: (local: string[]) => T): T | null {
  const local: string[] = [];
  try {
    const v = parse(local);
    for (const w of local) warnings.push(w);
    return v;
  } catch (e) {
    if (!(e instanceof Skip)) throw e;
    warnings.push(`skipping ${who}: ${e.message}`);
    return null;
  }
}

// The entity parsers below are also state/scan.ts's fallback for an entity its fast path does
// not handle, so both give the same result and the same warnings.

/** Task `i` of a framework (`fwLabel`: its JSON-quoted name), or null when skipped. */
export function parseTaskEntry(rt: unknown, i: number, fwLabel: string, warnings: string[]): Task | null {
  const tl = isObj(rt) ? label(rt['id']) || label(rt['name']) : '';
  const who = `task ${tl || '#' + i} of framework ${fwLabel}`;
  return entry(who, warnings, (local) => parseTask(elem(rt, 'task'), local, who));
}

/** Slave `i` of the state, or null when skipped. */
export function parseSlaveEntry(rs: unknown, i: number, warnings: string[]): Slave | null {
  return entry(`slave ${(isObj(rs) && label(rs['id'])) || '#' + i}`, warnings, () => parseSlave(elem(rs, 'slave')));
}

/** Framework `i` of the state, or null when skipped; its tasks are taken from `budget`. */
export function parseFrameworkEntry(rf: unknown, i: number, warnings: string[], budget: TaskBudget): Framework | null {
  return entry(`framework ${(isObj(rf) && label(rf['name'])) || '#' + i}`, warnings, (local) => parseFramework(elem(rf, 'framework'), local, budget));
}

function parseSlave(s: Obj): Slave {
  const id = str(s, 'id', '');
  if (id === '') throw new Skip('missing id');
  const rawPid = field(s, 'pid');
  const pid = parsePID(rawPid);
  if (typeof pid === 'string') throw new Skip(pid);
  return { id, pid };
}

/** Parse a decoded `/master/state` body. See the module comment for the tolerance rules. */
/** The top-level `leader` string of a parsed state ("" when missing or not a string). */
export function leaderOf(raw: unknown): string {
  if (!isObj(raw)) return '';
  const v = field(raw, 'leader');
  return typeof v === 'string' ? v : '';
}

export function parseState(raw: unknown): ParseResult {
  const warnings: string[] = [];
  if (!isObj(raw)) return { state: null, warnings, error: `state is ${describe(raw)}, not a JSON object` };
  const leader = field(raw, 'leader');
  if (typeof leader !== 'string' || leader === '') {
    return { state: null, warnings, error: `state has no leader (leader is ${describe(leader)})` };
  }
  const lp = parsePID(leader, 'leader');
  if (typeof lp === 'string') return { state: null, warnings, error: `state has no usable leader: ${lp}` };

  const slaves: Slave[] = [];
  const rawSlaves = topList(raw, 'slaves', warnings);
  for (let i = 0; i < rawSlaves.length && i < MAX_AGENTS; i++) {
    const s = parseSlaveEntry(rawSlaves[i], i, warnings);
    if (s !== null) slaves.push(s);
  }
  if (rawSlaves.length > MAX_AGENTS) warnings.push(overLimit('slaves', rawSlaves.length - MAX_AGENTS, MAX_AGENTS));

  const frameworks: Framework[] = [];
  const rawFrameworks = topList(raw, 'frameworks', warnings);
  const budget: TaskBudget = { left: MAX_TASKS, warned: false };
  for (let i = 0; i < rawFrameworks.length && i < MAX_FRAMEWORKS; i++) {
    const f = parseFrameworkEntry(rawFrameworks[i], i, warnings, budget);
    if (f !== null) frameworks.push(f);
  }
  if (rawFrameworks.length > MAX_FRAMEWORKS) warnings.push(overLimit('frameworks', rawFrameworks.length - MAX_FRAMEWORKS, MAX_FRAMEWORKS));
  return { state: { leader, slaves, frameworks }, warnings };
}

/** `slaves` / `frameworks`: missing or null → none; a non-array is ignored with a warning. */
function topList(raw: Obj, key: string, warnings: string[]): unknown[] {
  const v = field(raw, key);
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    warnings.push(`ignoring ${key}: ${describe(v)}, not an array`);
    return [];
  }
  return v;
}

/**
 * Host names (not IP literals) that generation needs resolved: slave pid hosts, framework pid
 * hosts, and framework host names of frameworks without a pid. Distinct, in first-seen order.
 */
export function hostNamesOf(state: StateView): string[] {
  const seen = new Set<string>();
  const add = (h: string): void => {
    if (h !== '' && !seen.has(h) && parseIP(h) === null) seen.add(h);
  };
  for (const f of state.frameworks) add(f.pid !== null ? f.pid.host : f.hostname);
  for (const s of state.slaves) add(s.pid.host);
  return [...seen];
}
