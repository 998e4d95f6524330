// The stream's cluster model must give exactly the records polling gives for the same cluster.
// The stand-in master's cluster (demo/cluster.ts) keeps one v0 state and emits the v1 events of
// every change, so random change sequences can be checked: the model fed the SUBSCRIBED snapshot
// and the events, against the generator run on /master/state of the same moment.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { DemoCluster } from '../src/demo/cluster.js';
import { ClusterModel, TERMINAL, v0Ports } from '../src/stream/model.js';
import { readSubscribed } from '../src/stream/snapshot.js';
import { parseState } from '../src/state/parse.js';
import { generate } from '../src/records/generate.js';
import type { RecordSet, GenerateOptions } from '../src/records/types.js';
import type { StateView } from '../src/state/types.js';

// fake.json has one task id twice in a framework, which a master cannot have (task ids are unique
// per framework, and the stream keys tasks by them): the second copy gets its own id here.
const fake = (() => {
  const s = JSON.parse(readFileSync(new URL('./fixtures/fake.json', import.meta.url), 'utf8'));
  for (const f of s.frameworks) {
    const seen = new Set<string>();
    for (const x of f.tasks) { if (seen.has(x.id)) x.id += '-2'; seen.add(x.id); }
  }
  return JSON.stringify(s);
})();
const OPTS: GenerateOptions = {
  domain: 'mesos', nsName: 'ns1.mesos.', listener: '127.0.0.1', enforceRFC952: false,
  ipSources: ['netinfo', 'mesos', 'host'], masters: ['1.2.3.4:5050'],
};
const HOSTS = new Map([['localhost', ['127.0.0.1']]]);

function records(state: StateView | null): string[] {
  if (!state) return ['<no state>'];
  const rs: RecordSet = generate(state, HOSTS, OPTS).records;
  const out: string[] = [];
  for (const k of ['A', 'AAAA', 'SRV'] as const) for (const [n, vs] of rs[k]) for (const v of vs) out.push(`${n} ${k} ${v}`);
  return out.sort();
}
const polled = (c: DemoCluster) => records(parseState(JSON.parse(c.stateBytes().toString('utf8'))).state);

function attach(c: DemoCluster): ClusterModel {
  const m = new ClusterModel();
  const snap = m.beginSnapshot(Date.now());
  readSubscribed(Buffer.from(JSON.stringify(c.subscribed(15))), snap.visitor);
  snap.end(600_000);
  m.setLeader(c.leader);
  m.setFrameworkPids(c.summary());
  c.subscribe((e) => {
    m.apply(JSON.parse(JSON.stringify(e)));
    if (m.needsPids) { m.needsPids = false; m.setFrameworkPids(c.summary()); } // the debounced state-summary read
  });
  return m;
}

/** A small deterministic PRNG (mulberry32), so a failing sequence can be replayed by its seed. */
function rng(seed: number): () => number {
  return () => {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

t.test('ports: non-revocable RANGES merged when overlapping or adjacent, as v0 prints them', async (t) => {
  const r = (ranges: [number, number][], extra = {}) => ({ name: 'ports', type: 'RANGES', ranges: { range: ranges.map(([begin, end]) => ({ begin, end })) }, ...extra });
  t.equal(v0Ports([r([[31005, 31005], [31000, 31001]]), r([[31002, 31003]]), r([[40000, 40000]], { revocable: {} }), { name: 'cpus', type: 'SCALAR' }]), '[31000-31003, 31005-31005]');
  t.equal(v0Ports([r([[10, 20], [15, 16]])]), '[10-20]');
  t.equal(v0Ports([]), undefined);
});

t.test('the snapshot alone gives the records of /master/state', async (t) => {
  const c = new DemoCluster(JSON.parse(fake));
  const m = attach(c);
  const got = records(m.take().result.state);
  t.ok(got.length > 50);
  t.same(got, polled(c));
});

t.test('random event sequences: the model\'s records equal polling\'s after every step', async (t) => {
  const STATES = ['TASK_RUNNING', 'TASK_STARTING', 'TASK_UNREACHABLE', 'TASK_RUNNING', 'TASK_FAILED', 'TASK_FINISHED'];
  let mismatches = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const rand = rng(seed);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const c = new DemoCluster(JSON.parse(fake));
    const m = attach(c);
    // Live tasks only: a terminal task (fake.json has some) never changes state again on a master.
    const ids = (): string[] => c.state['frameworks'].flatMap((f: any) => f.tasks.filter((x: any) => !TERMINAL.has(x.state)).map((x: any) => x.id));
    let agents = 0, fws = 0;
    for (let step = 0; step < 60; step++) {
      const op = rand();
      const fwNames: string[] = c.state['frameworks'].map((f: any) => f.id);
      const agentIds: string[] = c.state['slaves'].map((a: any) => a.id);
      if (op < 0.35 && fwNames.length && agentIds.length) {
        const nPorts = Math.floor(rand() * 3);
        c.launch({
          framework: pick(fwNames), agentId: pick(agentIds), name: pick(['web', 'db', 'cache', `t${step}`]),
          ip: rand() < 0.5 ? `10.1.${seed}.${step}` : rand() < 0.5 ? `fd00::${step + 1}` : undefined,
          ports: Array.from({ length: nPorts }, (_, i) => 30000 + step * 3 + i),
        });
      } else if (op < 0.5 && ids().length) c.kill(pick(ids()));
      else if (op < 0.7 && ids().length) c.setTaskState(pick(ids()), pick(STATES), rand() < 0.5 ? `10.2.${seed}.${step}` : undefined);
      else if (op < 0.77) c.addAgent({ id: `agent-${seed}-${agents++}`, hostname: `10.3.${seed}.${agents}` });
      else if (op < 0.82 && agentIds.length > 1) c.removeAgent(pick(agentIds));
      else if (op < 0.9) {
        const existing = rand() < 0.5 && fwNames.length;
        const id = existing ? pick(fwNames) : `fw-${seed}-${fws++}`;
        c.putFramework({ id, name: pick(['marathon', 'chronos', `fw${fws}`]), hostname: pick(['localhost', '10.4.0.1', '']), ...(rand() < 0.7 ? { pid: `scheduler(1)@10.4.0.${step + 1}:${20000 + step}` } : {}) });
      } else if (fwNames.length > 1) c.removeFramework(pick(fwNames));
      const a = records(m.take().result.state), b = polled(c);
      if (JSON.stringify(a) !== JSON.stringify(b)) {
        mismatches++;
        t.same(a, b, `seed ${seed} step ${step}`);
        break;
      }
    }
  }
  t.equal(mismatches, 0, 'no sequence diverged');
});

t.test('a task of an unknown framework waits for its framework', async (t) => {
  const m = new ClusterModel();
  m.beginSnapshot(Date.now()).end(0);
  m.setLeader('master@1.2.3.4:5050');
  m.apply({ type: 'AGENT_ADDED', agent_added: { agent: { agent_info: { hostname: '10.0.0.9', port: 5051, id: { value: 'S9' } }, pid: 'slave(1)@10.0.0.9:5051' } } });
  m.apply({ type: 'TASK_ADDED', task_added: { task: { name: 'early', task_id: { value: 'early.1' }, framework_id: { value: 'F9' }, agent_id: { value: 'S9' }, state: 'TASK_RUNNING' } } });
  t.notOk(records(m.take().result.state).some((r) => r.startsWith('early.')), 'no records while its framework is unknown');
  m.apply({ type: 'FRAMEWORK_UPDATED', framework_updated: { framework: { framework_info: { name: 'late', id: { value: 'F9' } } } } });
  t.ok(records(m.take().result.state).includes('early.late.mesos. A 10.0.0.9'), 'an UPDATED for an unknown framework adds it, with its waiting task');
});

t.test('failover: agents in recovered_agents keep their records until they re-register or the grace ends', async (t) => {
  const c = new DemoCluster(JSON.parse(fake));
  const m = attach(c);
  const before = records(m.take().result.state);
  const agent = c.state['slaves'][0].id as string;
  c.setRecovering([agent]);
  const lost = polled(c);
  t.not(lost.length, before.length, 'the recovering master\'s state lacks that agent\'s names');
  // The new master's snapshot.
  const now = Date.now();
  const snap = m.beginSnapshot(now);
  readSubscribed(Buffer.from(JSON.stringify(c.subscribed(15))), snap.visitor);
  t.same(snap.end(60_000), [agent], 'carried over');
  t.same(records(m.take().result.state), before, 'every name kept');
  c.reregister(agent);
  t.same(records(m.take().result.state), before, 'after re-registration (AGENT_ADDED, TASK_ADDED)');
  t.same(m.sweep(now + 61_000), [], 'nothing stale is left once re-registered');
  t.same(records(m.take().result.state), polled(c));
  // An agent that never comes back loses its names when the grace ends.
  c.setRecovering([agent]);
  const snap2 = m.beginSnapshot(now);
  readSubscribed(Buffer.from(JSON.stringify(c.subscribed(15))), snap2.visitor);
  snap2.end(60_000);
  t.same(records(m.take().result.state), before);
  t.same(m.sweep(now + 59_000), []);
  t.same(m.sweep(now + 60_000), [agent]);
  t.same(records(m.take().result.state), lost);
});
