// The SUBSCRIBED record, read straight from its bytes. At 50k tasks it is one 50-175 MB record:
// as one string it would be near V8's string limit, and as one JSON.parse'd document hundreds of
// MB of objects the model never reads. So the record's outline (objects and arrays down to the
// entity lists) is walked here over the bytes, strings jumped with native indexOf, and only each
// entity (a task, an agent, a framework: 0.7-13 KB) is decoded on its own and handed to the
// model at once, so its objects die young. Keys the model does not need are stepped over.
import { stringEnd } from '../state/json-bytes.js';

const QUOTE = 0x22, LBRACE = 0x7b, RBRACE = 0x7d, LBRACKET = 0x5b, RBRACKET = 0x5d, COMMA = 0x2c, COLON = 0x3a;

export class SnapshotError extends Error {}

export interface SnapshotVisitor {
  task(v1Task: unknown): void;
  agent(v1Agent: unknown): void;
  /** An AgentInfo of `get_agents.recovered_agents` (a failed-over master's agents not yet back). */
  recoveredAgent(agentInfo: unknown): void;
  framework(v1Framework: unknown): void;
}

function ws(b: Buffer, i: number): number {
  for (let c = b[i]; c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = b[++i]);
  return i;
}

function fail(b: Buffer, i: number, what: string): never {
  throw new SnapshotError(`SUBSCRIBED record is not JSON: ${what} at byte ${i} of ${b.length}`);
}

/** Index just past the JSON value starting at `i` (outline only; entities are checked by JSON.parse). */
function valueEnd(b: Buffer, i: number): number {
  const n = b.length;
  const c = b[i];
  if (c === QUOTE) {
    const e = stringEnd(b, i);
    if (e < 0) fail(b, i, 'unterminated string');
    return e + 1;
  }
  if (c === LBRACE || c === LBRACKET) {
    let depth = 0;
    for (; i < n; i++) {
      const d = b[i]!;
      if (d === QUOTE) {
        const e = stringEnd(b, i);
        if (e < 0) fail(b, i, 'unterminated string');
        i = e;
      } else if (d === LBRACE || d === LBRACKET) depth++;
      else if (d === RBRACE || d === RBRACKET) {
        if (--depth === 0) return i + 1;
      }
    }
    fail(b, i, 'unbalanced brackets');
  }
  // A number, true, false or null.
  const s = i;
  for (let d = b[i]; i < n && d !== COMMA && d !== RBRACE && d !== RBRACKET && d !== 0x20 && d !== 0x0a && d !== 0x0d && d !== 0x09; d = b[++i]);
  if (i === s) fail(b, i, 'a value expected');
  return i;
}

/** Calls `fn(key, valueStart)` for each member of the object at `i`; `fn` returns where its value ends. */
function eachMember(b: Buffer, i: number, fn: (key: string, at: number) => number): number {
  i = ws(b, i);
  if (b[i] !== LBRACE) fail(b, i, 'an object expected');
  i = ws(b, i + 1);
  if (b[i] === RBRACE) return i + 1;
  for (;;) {
    if (b[i] !== QUOTE) fail(b, i, 'a key expected');
    const e = stringEnd(b, i);
    if (e < 0) fail(b, i, 'unterminated key');
    const key = JSON.parse(b.toString('utf8', i, e + 1)) as string;
    i = ws(b, e + 1);
    if (b[i] !== COLON) fail(b, i, "':' expected");
    i = ws(b, fn(key, ws(b, i + 1)));
    if (b[i] === COMMA) { i = ws(b, i + 1); continue; }
    if (b[i] === RBRACE) return i + 1;
    fail(b, i, "',' or '}' expected");
  }
}

/** Calls `fn(element)` for each element of the array at `i`, each decoded on its own. */
function eachElement(b: Buffer, i: number, fn: (v: unknown) => void): number {
  if (b[i] !== LBRACKET) return valueEnd(b, i); // not an array: nothing in it for us
  i = ws(b, i + 1);
  if (b[i] === RBRACKET) return i + 1;
  for (;;) {
    const e = valueEnd(b, i);
    let v: unknown;
    try {
      v = JSON.parse(b.toString('utf8', i, e));
    } catch (err) {
      fail(b, i, (err as Error).message);
    }
    fn(v);
    i = ws(b, e);
    if (b[i] === COMMA) { i = ws(b, i + 1); continue; }
    if (b[i] === RBRACKET) return i + 1;
    fail(b, i, "',' or ']' expected");
  }
}

/** A member whose value is an object holding the lists below: walk into it, else step over. */
function into(b: Buffer, at: number, fn: (key: string, at: number) => number): number {
  return b[at] === LBRACE ? eachMember(b, at, fn) : valueEnd(b, at);
}

/**
 * Walk a SUBSCRIBED record (`{"type":"SUBSCRIBED","subscribed":{"get_state":{...},
 * "heartbeat_interval_seconds":15}}`), handing each entity to `visit`. Returns the heartbeat
 * interval (seconds; 15 when absent). Throws SnapshotError when the record is not JSON.
 */
export function readSubscribed(record: Buffer, visit: SnapshotVisitor): { heartbeatSeconds: number } {
  let heartbeatSeconds = 15;
  const end = eachMember(record, 0, (key, at) => {
    if (key !== 'subscribed') return valueEnd(record, at);
    return into(record, at, (k, a) => {
      if (k === 'heartbeat_interval_seconds') {
        const e = valueEnd(record, a);
        const v = Number(record.toString('latin1', a, e));
        if (Number.isFinite(v) && v > 0) heartbeatSeconds = v;
        return e;
      }
      if (k !== 'get_state') return valueEnd(record, a);
      return into(record, a, (part, pa) => {
        switch (part) {
          case 'get_tasks':
            return into(record, pa, (tk, ta) => (tk === 'tasks' ? eachElement(record, ta, visit.task) : valueEnd(record, ta)));
          case 'get_agents':
            return into(record, pa, (ak, aa) =>
              ak === 'agents' ? eachElement(record, aa, visit.agent)
                : ak === 'recovered_agents' ? eachElement(record, aa, visit.recoveredAgent) : valueEnd(record, aa));
          case 'get_frameworks':
            return into(record, pa, (fk, fa) => (fk === 'frameworks' ? eachElement(record, fa, visit.framework) : valueEnd(record, fa)));
          default:
            return valueEnd(record, pa);
        }
      });
    });
  });
  if (ws(record, end) !== record.length) fail(record, end, 'data after the record');
  return { heartbeatSeconds };
}

/** The `type` of a (small) event record, decoded whole: events other than SUBSCRIBED are KBs. */
export function recordType(record: Buffer): string {
  // The master writes `type` first; look only at the record's head for it.
  const m = /^\s*\{\s*"type"\s*:\s*"([A-Z_]+)"/.exec(record.toString('latin1', 0, Math.min(64, record.length)));
  return m ? m[1]! : '';
}
