// What one published zone version costs in the build worker when the event stream changes a few
// tasks (zone/publish.ts), per batch of churn, on this thread, no sockets. Why: the stream's
// freshness is bounded by this, and zone/README.md quotes it. The cluster is the stand-in
// master's (demo/cluster.ts) over a generated state; its events feed the stream's real cluster
// model, as the subscriber does, so unchanged tasks keep their objects as they do in the server.
// Each batch replaces `churn` tasks (a kill and a launch of the same app on another agent: two
// events). `--incremental=0` builds every version whole (the path before zone/incremental.ts).
// Run: node dist/bench/publish.js --tasks=50000 --batches=20 --churn=2 [--incremental=0]
import { StateGen } from './gen-state.js';
import type { BuildParams, BuiltZone } from '../src/zone/build.js';
import { ChangeTracker, type ZoneDiff } from '../src/zone/changes.js';
import { createPublisher } from '../src/zone/publish.js';
import type { ChangeHint } from '../src/stream/model.js';
import { IncrementalZone } from '../src/zone/incremental.js';
import { compactImage } from '../src/zone/patch.js';
import { DemoCluster } from '../src/demo/cluster.js';
import { attach } from '../test/support/churn.js';
import { freeNow } from '../src/memory.js';

const arg = (k: string, d: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d;
const tasks = Number(arg('tasks', '50000'));
const batches = Number(arg('batches', '20'));
/** Tasks replaced per batch (each is a kill and a launch: two events). */
const churn = Number(arg('churn', '2'));
const incremental = arg('incremental', '1') !== '0';
const params: BuildParams = {
  generate: {
    domain: 'mesos', nsName: 'ns1.mesos.', listener: '127.0.0.1', enforceRFC952: false,
    ipSources: ['netinfo', 'mesos', 'host'], masters: ['127.0.0.1:5050'],
  },
  image: { domain: 'mesos', ttl: 60, srvWeight: 1 },
};
const gen = new StateGen({ tasks, seed: 1000 + tasks, leader: 'master@127.0.0.1:5050' });
const cluster = new DemoCluster(gen.state);
const model = attach(cluster);
let last: { zone: BuiltZone; changes: ZoneDiff | null; at: number; bytes: number } | null = null;
const inc = incremental ? new IncrementalZone() : undefined;
const publish = createPublisher({
  params: () => params, resolve: async () => new Map(), versions: new ChangeTracker(),
  incremental: inc,
  // The image handed on is freed at once, as the answering thread has the worker free a replaced one.
  sink: { zone: (zone, _h, changes) => { last = { zone, changes, at: performance.now(), bytes: zone.image.byteLength }; if (!(zone.image instanceof SharedArrayBuffer)) freeNow([zone.image]); }, records: () => {} },
});
const mib = (n: number) => Math.round(n / 1048576);
const live = (): [string, string][] => cluster.state['frameworks'].flatMap((f: any) => f.tasks.map((t: any) => [t.id, t.name])); // eslint-disable-line @typescript-eslint/no-explicit-any
const cpus: number[] = [];
let ip = 0;
for (let b = 0; b <= batches; b++) {
  if (b > 0) {
    const all = live();
    for (let k = 0; k < churn; k++) {
      const [id, name] = all[gen.rng.int(all.length)]!;
      const fw = cluster.state['frameworks'].find((f: any) => f.tasks.some((t: any) => t.id === id))['id']; // eslint-disable-line @typescript-eslint/no-explicit-any
      cluster.kill(id);
      cluster.launch({ framework: fw, name, ip: `10.200.${(++ip >> 8) & 255}.${ip & 255}` });
    }
  }
  const { result, hint } = model.take();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await publish({ value: result }, b === 0 ? { ...hint, full: true } : (hint as ChangeHint));
  const cpu = process.cpuUsage(cpu0);
  const ms = Math.round((cpu.user + cpu.system) / 1000);
  if (b > 0) cpus.push(ms);
  const l = last!;
  const p = l.zone.patch;
  console.log(`${b === 0 ? 'first' : `batch ${b}`}: publish ${Math.round(l.at - t0)} ms wall, ${ms} ms cpu, `
    + `changes ${l.changes ? `-${l.changes.removed.length} +${l.changes.added.length}` : 'null'}, `
    + (p ? `patched (${p.edits} names, ${p.tasks} tasks regenerated${p.compacted ? ', compacted' : ''}, ${mib(p.dead)} MiB dead), ` : 'full build, ')
    + `image ${mib(l.bytes)} MiB, rss ${mib(process.memoryUsage().rss)} MiB`);
}
cpus.sort((a, b) => a - b);
const q = (f: number) => cpus[Math.min(cpus.length - 1, Math.floor(f * cpus.length))];
console.log(`${incremental ? 'incremental' : 'full builds'}, ${tasks} tasks, ${churn * 2} events per version: cpu per version p50 ${q(0.5)} ms, p90 ${q(0.9)} ms, max ${cpus[cpus.length - 1]} ms`);
if (inc?.image) {
  // What a compaction costs (a dense rewrite of the last image: zone/patch.ts compactImage).
  const c0 = process.cpuUsage();
  const dense = compactImage(inc.image);
  const c = process.cpuUsage(c0);
  console.log(`compaction of the ${mib(inc.image.buffer.byteLength)} MiB image: ${Math.round((c.user + c.system) / 1000)} ms cpu, ${mib(dense.byteLength)} MiB after`);
}
