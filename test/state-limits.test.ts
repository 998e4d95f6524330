// Input limits of the state (src/state/limits.ts, SPEC A.15): one entity over a limit — the 16 kB
// `resources.ports` of "[0-65535, ...]" that took the build worker and the process down, a list
// or a string far longer than any real cluster writes — is skipped with one warning, and the rest
// of the state is kept, by the byte scanner (both modes) and the tolerant parser alike; end to
// end, the server serves the rest and logs one warning.
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scanState } from '../src/state/scan.js';
import { materialize } from './support/state-scan.js';
import { parseFrameworkEntry, parseState } from '../src/state/parse.js';
import { parsePorts } from '../src/state/ports.js';
import { parseBody } from '../src/zone/build.js';
import {
  MAX_DISCOVERY_PORTS, MAX_IP_ADDRESSES, MAX_LABEL_CHARS, MAX_NAME_CHARS, MAX_NETWORK_INFOS, MAX_PORT_RANGES,
  MAX_STATUS_LABELS, MAX_TASK_PORTS, MAX_TASK_STATUSES, MAX_AGENTS, MAX_FRAMEWORKS, MAX_TASKS,
} from '../src/state/limits.js';
import { startStandInMaster, rewriteLeader } from '../src/demo/master.js';
import { startServerProcess, ROOT } from './support/procs.js';
import { dig, recKey } from './support/dig.js';

type Raw = { slaves: Record<string, unknown>[]; frameworks: { name: string; tasks: Record<string, unknown>[] }[] };
const fixture = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'fake.json'), 'utf8')) as Raw;

/** 16 kB of "[0-65535, 0-65535, ...]": 10^8 ports if expanded. */
const HUGE_PORTS = '[' + Array.from({ length: 1640 }, () => '0-65535').join(', ') + ']';

/** The fixture with `bad` (fields over a chronos task) added to marathon's tasks. */
function withBadTask(bad: Record<string, unknown>): Raw {
  const state = structuredClone(fixture);
  const marathon = state.frameworks.find((f) => f.name === 'marathon')!;
  const chronos = marathon.tasks.find((x) => x.name === 'chronos')!;
  marathon.tasks.push({ ...structuredClone(chronos), id: 'bad.1', name: 'bad', ...bad });
  return state;
}

/** Parse `state` all three ways; each must skip exactly the bad task with one warning. */
function check(t: Test, what: string, bad: Record<string, unknown>, reason: RegExp): void {
  const body = Buffer.from(JSON.stringify(withBadTask(bad)));
  const good = parseState(structuredClone(fixture));
  const ways = {
    parse: parseState(JSON.parse(body.toString())),
    scan: scanState(body, parseBody).result,
    lazy: materialize(scanState(body, parseBody, { lazyTasks: true }).result),
  };
  for (const [way, r] of Object.entries(ways)) {
    t.strictSame(r.state, good.state, `${what} (${way}): the state without the bad task`);
    const extra = r.warnings.filter((w) => !good.warnings.includes(w));
    t.equal(extra.length, 1, `${what} (${way}): one warning`);
    t.match(extra[0] ?? '', /^skipping task "bad\.1" of framework "marathon": /, `${what} (${way}): names the task`);
    t.match(extra[0] ?? '', reason, `${what} (${way}): says why`);
    t.ok((extra[0] ?? '').length < 400, `${what} (${way}): the warning does not copy the input`);
  }
}

const many = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));
const status = (extra: Record<string, unknown>) => ({ state: 'TASK_RUNNING', timestamp: 1, ...extra });

t.test('parsePorts: ports and ranges are bounded before anything is expanded', async (t) => {
  const r = parsePorts(HUGE_PORTS);
  t.match(r.error, new RegExp(`over ${MAX_TASK_PORTS} ports`));
  t.same(r.ports, []);
  t.ok(r.error!.length < 200, 'the error does not copy the string');
  t.match(parsePorts('[' + many(MAX_PORT_RANGES + 1, () => '5-1').join(', ') + ']').error, /ranges/);
  t.equal(parsePorts(`[1-${MAX_TASK_PORTS}]`).ports.length, MAX_TASK_PORTS, 'exactly the limit is kept');
  t.equal(parsePorts('[31000-32000]').ports.length, 1001, "an agent's whole default range is kept");
});

t.test('one task over a limit is skipped with one warning, the rest kept (scanner, lazy, parser)', async (t) => {
  check(t, '16 kB ports string', { resources: { ports: HUGE_PORTS } }, /ports/);
  check(t, 'ports over the count', { resources: { ports: `[1-${MAX_TASK_PORTS + 1}]` } }, /ports/);
  check(t, 'ports: too many empty ranges', { resources: { ports: '[' + many(MAX_PORT_RANGES + 1, () => '9-1').join(', ') + ']' } }, /ranges/);
  check(t, 'statuses', { statuses: many(MAX_TASK_STATUSES + 1, () => status({})) }, /statuses has over/);
  check(t, 'labels', { statuses: [status({ labels: many(MAX_STATUS_LABELS + 1, (i) => ({ key: `k${i}`, value: 'v' })) })] }, /labels has over/);
  check(t, 'network infos', { statuses: [status({ container_status: { network_infos: many(MAX_NETWORK_INFOS + 1, () => ({ ip_address: '10.0.0.1' })) } })] }, /network_infos has over/);
  check(t, 'ip addresses', { statuses: [status({ container_status: { network_infos: [{ ip_addresses: many(MAX_IP_ADDRESSES + 1, () => ({ ip_address: '10.0.0.1' })) }] } })] }, /ip_addresses has over/);
  check(t, 'discovery ports', { discovery: { name: 'd', ports: { ports: many(MAX_DISCOVERY_PORTS + 1, (i) => ({ number: i, protocol: 'tcp' })) } } }, /ports has over/);
  check(t, 'a long name', { name: 'n'.repeat(MAX_NAME_CHARS + 1) }, /name is over/);
  check(t, 'a long slave id', { slave_id: 's'.repeat(MAX_NAME_CHARS + 1) }, /slave_id is over/);
  check(t, 'a long label value', { statuses: [status({ labels: [{ key: 'k', value: 'v'.repeat(MAX_LABEL_CHARS + 1) }] })] }, /value is over/);
  check(t, 'a long ip address', { statuses: [status({ container_status: { network_infos: [{ ip_address: '1'.repeat(MAX_LABEL_CHARS + 1) }] } })] }, /ip_address is over/);
});

t.test('at the limits, a task is kept', async (t) => {
  const body = Buffer.from(JSON.stringify(withBadTask({
    resources: { ports: `[1-${MAX_TASK_PORTS}]` },
    statuses: [status({ labels: many(MAX_STATUS_LABELS, (i) => ({ key: `k${i}`, value: 'v' })) })],
  })));
  for (const r of [parseState(JSON.parse(body.toString())), materialize(scanState(body, parseBody, { lazyTasks: true }).result)]) {
    const task = r.state!.frameworks.find((f) => f.name === 'marathon')!.tasks.find((x) => x.id === 'bad.1');
    t.equal(task?.ports.length, MAX_TASK_PORTS);
  }
});

t.test('end to end: a 16 kB ports string in one task; the rest is served, one warning', async (t) => {
  const state = withBadTask({ resources: { ports: HUGE_PORTS } });
  const m = await startStandInMaster({ host: '127.0.0.1', port: 0, state: {} });
  m.setState(rewriteLeader(state, `127.0.0.1:${m.port}`));
  const s = await startServerProcess({ masters: [`127.0.0.1:${m.port}`], externalon: false });
  t.teardown(async () => { await s.stop(); await m.close(); });
  await s.waitLog('refresh');
  const ok = await dig(s.dnsPort, 'chronos.marathon.mesos.', 'A');
  t.same({ status: ok.status, answer: ok.answer.map(recKey) }, { status: 'NOERROR', answer: ['chronos.marathon.mesos. IN A 1.2.3.11'] });
  const gone = await dig(s.dnsPort, 'bad.marathon.mesos.', 'A');
  t.equal(gone.status, 'NXDOMAIN');
  const bad = s.logs.filter((l) => l.level === 40 && String(l.msg).includes('"bad.1"'));
  t.equal(bad.length, 1, 'one warning names the task');
  t.ok(String(bad[0]?.msg).length < 400, 'and does not copy the ports string');
});

t.test('agents and frameworks over their limits: the first are kept, the rest ignored with one warning', async (t) => {
  const slaves = many(MAX_AGENTS + 3, (i) => ({ id: `S${i}`, pid: 'slave(1)@10.0.0.1:5051' }));
  const frameworks = many(MAX_FRAMEWORKS + 4, (i) => ({ name: `f${i}`, tasks: [{ id: `t${i}`, slave_id: 'S0' }] }));
  const body = Buffer.from(JSON.stringify({ leader: 'master@10.0.0.1:5050', slaves, frameworks }));
  const ways = {
    parse: parseState(JSON.parse(body.toString())),
    scan: scanState(body, parseBody).result,
    lazy: materialize(scanState(body, parseBody, { lazyTasks: true }).result),
  };
  for (const [way, r] of Object.entries(ways)) {
    t.equal(r.state!.slaves.length, MAX_AGENTS, `${way}: slaves`);
    t.equal(r.state!.frameworks.length, MAX_FRAMEWORKS, `${way}: frameworks`);
    t.strictSame(r.warnings, [
      `ignoring 3 slaves over the limit of ${MAX_AGENTS}`, `ignoring 4 frameworks over the limit of ${MAX_FRAMEWORKS}`,
    ], `${way}: warnings`);
  }
});

t.test('tasks over the limit of the state: the first are kept, one warning where it is reached', async (t) => {
  const over = `framework "b": ignoring 3 tasks over the limit of ${MAX_TASKS} per state, and the tasks of the frameworks after it`;
  // the parser, with a small budget
  const budget = { left: 7, warned: false };
  const fw = (name: string, n: number) => ({ name, tasks: many(n, (i) => ({ id: `t${i}`, slave_id: 'S0' })) });
  const warnings: string[] = [];
  const got = [fw('a', 5), fw('b', 5), fw('c', 1)].map((f, i) => parseFrameworkEntry(f, i, warnings, budget)!.tasks.length);
  t.same(got, [5, 2, 0], 'parser: frameworks take from the budget in order');
  t.strictSame(warnings, [over], 'parser: one warning');
  // the build worker's scanner, at the real limit (1M tasks: the lazy lists only count them here)
  const tasks = (n: number) => '[' + '{"id":"t","slave_id":"S0"},'.repeat(n - 1) + '{"id":"t","slave_id":"S0"}]';
  const body = Buffer.from(`{"leader":"master@10.0.0.1:5050","frameworks":[{"name":"a","tasks":${tasks(MAX_TASKS - 2)}},`
    + `{"name":"b","tasks":${tasks(5)}},{"name":"c","tasks":${tasks(1)}}]}`);
  const r = scanState(body, parseBody, { lazyTasks: true }).result;
  t.same(r.state!.frameworks.map((f) => f.tasks.length), [MAX_TASKS - 2, 2, 0], 'scanner: tasks per framework');
  t.equal([...r.state!.frameworks[1].tasks].length, 2, 'scanner: what is read');
  t.strictSame(r.warnings, [over], 'scanner: one warning');
});
