// What one published zone version costs in the build worker when the event stream changes a few
// tasks (zone/publish.ts): the build (generate + image) and the change set (diff against the last
// version), per batch of churn, on this thread, no sockets. Why: the stream's freshness is bounded
// by this, and zone/README.md quotes it. Run: node dist/bench/publish.js --tasks=50000 --batches=5 --churn=10
import { StateGen } from './gen-state.js';
import { parseStateBody, type BuildParams } from '../src/zone/build.js';
import { ChangeTracker, type ZoneDiff } from '../src/zone/changes.js';
import { createPublisher } from '../src/zone/publish.js';

const arg = (k: string, d: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d;
const tasks = Number(arg('tasks', '50000'));
const batches = Number(arg('batches', '5'));
/** Tasks replaced per batch (each is a kill and a launch: two events). */
const churn = Number(arg('churn', '10'));
const params: BuildParams = {
  generate: {
    domain: 'mesos', nsName: 'ns1.mesos.', listener: '127.0.0.1', enforceRFC952: false,
    ipSources: ['netinfo', 'mesos', 'host'], masters: ['127.0.0.1:5050'],
  },
  image: { domain: 'mesos', ttl: 60, srvWeight: 1 },
};
const gen = new StateGen({ tasks, seed: 1000 + tasks, leader: 'master@127.0.0.1:5050' });
const versions = new ChangeTracker();
let last: { changes: ZoneDiff | null; at: number } | null = null;
const publish = createPublisher({
  params: () => params, resolve: async () => new Map(), versions,
  sink: { zone: (_z, _h, changes) => { last = { changes, at: performance.now() }; }, records: () => {} },
});
const hint = { full: false, frameworks: new Set(['chronos', 'metronome']), agents: new Set<string>(), mastersChanged: false };
const mib = (n: number) => Math.round(n / 1048576);
for (let b = 0; b <= batches; b++) {
  if (b > 0) gen.mutate(churn);
  const doc = { value: parseStateBody(gen.serialize()).result };
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await publish(doc, b === 0 ? { ...hint, full: true } : hint);
  const cpu = process.cpuUsage(cpu0);
  const l = last!;
  console.log(`${b === 0 ? 'first' : `batch ${b}`}: publish ${Math.round(l.at - t0)} ms wall, ${Math.round((cpu.user + cpu.system) / 1000)} ms cpu, `
    + `changes ${l.changes ? `-${l.changes.removed.length} +${l.changes.added.length}` : 'null'}, rss ${mib(process.memoryUsage().rss)} MiB`);
}
// The diff alone, on two versions that differ by one batch.
{
  const t = new ChangeTracker();
  const { buildZone } = await import('../src/zone/build.js');
  const one = await buildZone({ value: parseStateBody(gen.serialize()).result }, params, async () => new Map());
  gen.mutate(churn);
  const two = await buildZone({ value: parseStateBody(gen.serialize()).result }, params, async () => new Map());
  t.publish(one.zone.image);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = t.publish(two.zone.image);
  const c = process.cpuUsage(c0);
  console.log(`diff + copy of one version: ${Math.round(performance.now() - t0)} ms wall, ${Math.round((c.user + c.system) / 1000)} ms cpu (-${r.changes!.removed.length} +${r.changes!.added.length}), image ${mib(two.zone.image.byteLength)} MiB`);
}
