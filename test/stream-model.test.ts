// The stream's cluster model must give exactly the records polling gives for the same cluster.
// The stand-in master's cluster (demo/cluster.ts) keeps one v0 state and emits the v1 events of
// every change, so random change sequences can be checked: the model fed the SUBSCRIBED snapshot
// and the events, against the generator run on /master/state of the same moment.
import t from 'tap';
import { DemoCluster } from '../src/demo/cluster.js';
import { ClusterModel, v0Ports } from '../src/stream/model.js';
import { attach, fake, RandomChurn, rng } from './support/model.js';
import { readSubscribed } from '../src/stream/snapshot.js';
import { parseState } from '../src/state/parse.js';
import { generate } from '../src/records/generate.js';
import type { RecordSet, GenerateOptions } from '../src/records/types.js';
import type { StateView } from '../src/state/types.js';

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
  let mismatches = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const rand = rng(seed);
    const c = new DemoCluster(JSON.parse(fake));
    const m = attach(c);
    const churn = new RandomChurn(c, rand, seed);
    for (let step = 0; step < 60; step++) {
      churn.step(step);
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
