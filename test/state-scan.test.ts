// The byte scanner (state/scan.ts) against the exact path it replaces, parseState(JSON.parse):
// the same state, the same warnings in the same order, the same rejection message, for the
// fixture, generated states, hand-made odd shapes, and thousands of seeded random corruptions.
// Each in both modes: eager, and with lazy task lists (read while the records are generated),
// whose tasks and warnings, once read, must be exactly the eager ones.
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { scanState } from '../src/state/scan.js';
import { materialize } from './support/state-scan.js';
import { leaderOf, parseState } from '../src/state/parse.js';
import { parseBody } from '../src/zone/build.js';
import { StateGen } from '../bench/gen-state.js';

const fakeText = readFileSync(new URL('./fixtures/fake.json', import.meta.url), 'utf8');

type Outcome = { rejected: string } | { result: unknown; leader: string };

function exact(body: Buffer): Outcome {
  let raw: unknown;
  try {
    raw = parseBody(body);
  } catch (e) {
    return { rejected: (e as Error).message };
  }
  return { result: parseState(raw), leader: leaderOf(raw) };
}

function scanned(body: Buffer, lazy = false): Outcome {
  try {
    if (!lazy) {
      const s = scanState(body, parseBody);
      return { result: s.result, leader: s.leader };
    }
    const s = scanState(body, parseBody, { lazyTasks: true });
    return { result: materialize(s.result), leader: s.leader };
  } catch (e) {
    return { rejected: (e as Error).message };
  }
}

function same(t: Test, text: string | Buffer, what: string): void {
  const body = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const want = exact(body);
  t.strictSame(scanned(body), want, what);
  t.strictSame(scanned(body, true), want, `${what} (lazy tasks)`);
}

/** Deterministic PRNG (mulberry32), so a failing corruption can be reproduced from its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

t.test('the fixture, compact and pretty-printed', async (t) => {
  same(t, fakeText, 'fake.json as served');
  const doc = JSON.parse(fakeText);
  same(t, JSON.stringify(doc), 'compact');
  same(t, JSON.stringify(doc, null, '\t'), 'tab-indented');
  const r = scanState(Buffer.from(fakeText), parseBody);
  t.ok(r.result.state !== null && r.result.state.frameworks.some((f) => f.tasks.length > 0), 'the fixture has tasks to compare');
});

t.test('generated states of every shape the bench uses', async (t) => {
  for (const tasks of [0, 1, 7, 300, 2000]) {
    const body = new StateGen({ tasks, seed: 17 + tasks, leader: 'master@10.0.0.1:5050' }).serialize();
    same(t, body, `${tasks} tasks`);
  }
});

t.test('odd but valid shapes: each decided exactly as parseState decides it', async (t) => {
  const task = (extra: Record<string, unknown> = {}) => ({
    id: 't1', name: 'web', slave_id: 'S1', state: 'TASK_RUNNING', resources: { ports: '[31000-31001, 31005-31005]' },
    statuses: [{ state: 'TASK_RUNNING', timestamp: 1.5, labels: [{ key: 'k', value: 'v' }],
      container_status: { network_infos: [{ ip_addresses: [{ ip_address: '10.0.0.9' }], ip_address: '10.0.0.8' }] } }],
    discovery: { name: 'web', ports: { ports: [{ number: 80, protocol: 'tcp', name: 'http' }] } },
    ...extra,
  });
  const state = (fw: Record<string, unknown>, top: Record<string, unknown> = {}) => JSON.stringify({
    leader: 'master@10.0.0.1:5050',
    slaves: [{ id: 'S1', pid: 'slave(1)@10.0.0.2:5051' }],
    frameworks: [{ name: 'marathon', pid: 'scheduler@10.0.0.3:8080', hostname: 'h', tasks: [task()], ...fw }],
    ...top,
  });
  const cases: [string, string][] = [
    ['plain', state({})],
    ['task fields null', state({ tasks: [task({ name: null, state: null, resources: null, statuses: null, discovery: null })] })],
    ['task id of the wrong type', state({ tasks: [task({ id: 5 }), task({ id: 't2' })] })],
    ['task missing slave_id', state({ tasks: [task({ slave_id: undefined })] })],
    ['task not an object', state({ tasks: [3, 'x', null, [], task()] })],
    ['ports with a skipped item', state({ tasks: [task({ resources: { ports: '[a-b, 10-11]' } })] })],
    ['ports bare', state({ tasks: [task({ resources: { ports: '[31000]' } })] })],
    ['ports without brackets', state({ tasks: [task({ resources: { ports: '31000-31001' } })] })],
    ['ports odd spacing', state({ tasks: [task({ resources: { ports: '[ 1-2 ,3-4]' } })] })],
    ['ports out of range', state({ tasks: [task({ resources: { ports: '[65535-65536]' } })] })],
    ['ports lo > hi', state({ tasks: [task({ resources: { ports: '[9-3, 4-5]' } })] })],
    ['ports leading zeros', state({ tasks: [task({ resources: { ports: '[007-008]' } })] })],
    ['ports unterminated', state({ tasks: [task({ resources: { ports: '[1-2' } })] })],
    ['ports number', state({ tasks: [task({ resources: { ports: 31000 } })] })],
    ['discovery port out of range', state({ tasks: [task({ discovery: { name: 'web', ports: { ports: [{ number: 70000 }, { number: 81 }] } } })] })],
    ['discovery port not integer', state({ tasks: [task({ discovery: { name: 'web', ports: { ports: [{ number: 80.5 }] } } })] })],
    ['discovery without name', state({ tasks: [task({ discovery: { name: '', ports: { ports: [{ number: 'x' }] } } })] })],
    ['timestamps', state({ tasks: [task({ statuses: [
      { state: 'TASK_RUNNING', timestamp: 1539999999.530427 }, { state: 'TASK_RUNNING', timestamp: 1e3 },
      { state: 'TASK_RUNNING', timestamp: -0 }, { state: 'TASK_RUNNING', timestamp: 123456789012345678 },
      { state: 'TASK_RUNNING', timestamp: 0.1234567890123456789 }, { state: 'TASK_RUNNING', timestamp: '5' }] })] })],
    ['status not an object', state({ tasks: [task({ statuses: [7] })] })],
    ['framework name of the wrong type', state({ name: 7 })],
    ['framework pid null', state({ pid: null })],
    ['framework pid bad', state({ pid: 'nonsense' })],
    ['framework tasks null', state({ tasks: null })],
    ['framework tasks an object', state({ tasks: {} })],
    ['slave without pid', state({}, { slaves: [{ id: 'S1' }, { id: 'S2', pid: 'slave(1)@10.0.0.4:5051' }] })],
    ['slaves null', state({}, { slaves: null })],
    ['slaves an object', state({}, { slaves: {} })],
    ['frameworks a string', state({}, { frameworks: 'x' })],
    ['no leader', state({}, { leader: undefined })],
    ['leader not a string', state({}, { leader: 5 })],
    ['leader without @', state({}, { leader: '10.0.0.1:5050' })],
    ['unicode and escapes in values', state({ name: 'mära\u00e9\\"thon', tasks: [task({ name: 'w\u00e9b\n', id: 'id\u2028' })] })],
    ['top level an array', '[1,2]'],
    ['top level a string', '"x"'],
    ['empty object', '{}'],
  ];
  for (const [what, text] of cases) same(t, text, what);

  // Text-level forms JSON.stringify never writes: repeated keys, case variants, escaped keys.
  const base = state({});
  const texts: [string, string][] = [
    ['repeated task id', base.replace('"id":"t1"', '"id":"t0","id":"t1"')],
    ['case variant key (ID)', base.replace('"id":"t1"', '"ID":"t1"')],
    ['case variant key with underscore (SLAVE_ID)', base.replace('"slave_id":"S1"', '"SLAVE_ID":"S1"')],
    ['case variant next to the exact key', base.replace('"name":"web","slave_id"', '"name":"web","NAME":"x","slave_id"')],
    ['escaped key', base.replace('"id":"t1"', '"\\u0069d":"t1"')],
    ['non-ASCII key (Kelvin sign)', base.replace('"key":"k"', '"\u212aey":"k"')],
    ['repeated top-level leader', base.replace('{"leader"', '{"leader":"x@1.2.3.4:5","leader"')],
    ['case variant top-level key', base.replace('"frameworks"', '"Frameworks"')],
    ['whitespace everywhere', base.replace(/([{}[\],:])/g, ' \n\t$1\r ')],
    ['escaped values', base.replace('"name":"web"', '"name":"w\\u00e9\\/b\\t"')],
    ['BOM', '\ufeff' + base],
    ['trailing garbage', base + 'x'],
    ['trailing whitespace', base + ' \n'],
    ['truncated', base.slice(0, base.length - 3)],
    ['control character in a skipped string', base.replace('"hostname":"h"', '"hostname":"h","other":"a\u0001b"')],
    ['bad escape in a skipped string', base.replace('"hostname":"h"', '"hostname":"h","other":"a\\qb"')],
    ['bad number in a skipped value', base.replace('"hostname":"h"', '"hostname":"h","other":01')],
    ['deep nesting in a skipped value', base.replace('"hostname":"h"', `"hostname":"h","other":${'['.repeat(5000)}${']'.repeat(5000)}`)],
    ['trailing comma', base.replace('}]}]', '},]}]')],
  ];
  for (const [what, text] of texts) same(t, text, what);
});

t.test('seeded random corruptions of a small state', async (t) => {
  const body = new StateGen({ tasks: 6, seed: 3, leader: 'master@10.0.0.1:5050' }).serialize();
  const text = body.toString('utf8');
  const alphabet = ['"', '{', '}', '[', ']', ',', ':', '\\', 'n', '0', '-', '.', 'e', ' ', 'A', 'I', '\u00e9', '\u0001', 'u', '1'];
  let mismatches = 0;
  const N = 3000;
  for (let k = 0; k < N; k++) {
    const r = rng(1000 + k);
    let s = text;
    const edits = 1 + Math.floor(r() * 3);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(r() * s.length);
      const ch = alphabet[Math.floor(r() * alphabet.length)];
      const op = r();
      if (op < 0.4) s = s.slice(0, at) + ch + s.slice(at + 1); // replace
      else if (op < 0.8) s = s.slice(0, at) + ch + s.slice(at); // insert
      else s = s.slice(0, at) + s.slice(at + 1); // delete
    }
    const b = Buffer.from(s, 'utf8');
    const want = exact(b);
    for (const lazy of [false, true]) {
      const got = scanned(b, lazy);
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        mismatches++;
        if (mismatches <= 3) t.strictSame(got, want, `corruption seed ${1000 + k}${lazy ? ' (lazy tasks)' : ''}`);
      }
    }
  }
  t.equal(mismatches, 0, `${N} corruptions: scanner (eager and lazy) and parseState agree on every one`);
});

t.test('lazy task lists: read from the bytes on each iteration, their warnings given once', async (t) => {
  const doc = JSON.parse(fakeText);
  const fw = doc.frameworks.find((f: { tasks: unknown[] }) => f.tasks.length > 1);
  fw.tasks.splice(1, 0, { id: 7, name: 'not-a-task', slave_id: 'S1' }); // skipped, with a warning
  const body = Buffer.from(JSON.stringify(doc));
  const want = exact(body) as { result: ReturnType<typeof parseState> };
  const s = scanState(body, parseBody, { lazyTasks: true });
  const i = doc.frameworks.indexOf(fw);
  const lazy = s.result.state!.frameworks[i].tasks;
  t.notOk(Array.isArray(lazy), 'a framework in the common shape gets a lazy list');
  t.equal(lazy.length, fw.tasks.length, 'its length counts the array elements, the skipped one too');
  t.equal(s.result.warnings.length, want.result.warnings.length - 1, 'the skipped task is not warned of before it is read');
  const first = [...lazy];
  t.strictSame(first, want.result.state!.frameworks[i].tasks, 'read: the tasks parseState keeps');
  t.strictSame([...lazy], first, 'read again: the same tasks');
  t.strictSame(s.result.warnings, want.result.warnings, 'its warning is given once, in parseState\'s order');
});
