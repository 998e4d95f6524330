// The refresh pipeline of one state, stage by stage, on this thread: where a refresh's time and
// memory go (scan, generate, buildImage), without sockets or workers. Why:
// `npm run bench` times a refresh end to end; this splits it so a change can be judged stage by
// stage. Run: node dist/bench/pipeline.js --tasks=50000 [--runs=3]
// With --subscribed, the stream's SUBSCRIBED record of the same cluster instead (stream/snapshot.ts):
// its outline walk with each entity JSON.parse'd and dropped, then the same read into the cluster
// model (what the server's `stream: subscribed; snapshot read` line times), then the model's
// first publish and build, so the read can be set beside the poll stages of the same cluster.
import { StateGen } from './gen-state.js';
import { buildZone, parseStateBody, type BuildParams } from '../src/zone/build.js';
import { DemoCluster } from '../src/demo/cluster.js';
import { readSubscribed } from '../src/stream/snapshot.js';
import { ClusterModel } from '../src/stream/model.js';

const arg = (k: string, d: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d;
const tasks = Number(arg('tasks', '50000'));
const runs = Number(arg('runs', '3'));
const body = new StateGen({ tasks, seed: 1000 + tasks, leader: 'master@127.0.0.1:5050' }).serialize();
const params: BuildParams = {
  generate: {
    domain: 'mesos', nsName: 'ns1.mesos.', listener: '127.0.0.1', enforceRFC952: false,
    ipSources: ['netinfo', 'mesos', 'host'], masters: ['127.0.0.1:5050'],
  },
  image: { domain: 'mesos', ttl: 60, srvWeight: 1 },
};
const mib = (n: number) => Math.round(n / 1048576);
console.log(`state ${mib(body.length)} MiB, ${tasks} tasks`);
if (process.argv.includes('--subscribed')) await subscribed();
else for (let r = 0; r < runs; r++) {
  const marks: [string, number][] = [];
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const doc = { value: parseStateBody(body).result };
  marks.push(['scan', performance.now()]);
  const { zone } = await buildZone(doc, params, async () => new Map(), (stage) => marks.push([stage, performance.now()]));
  const cpu = process.cpuUsage(cpu0);
  const total = performance.now() - t0;
  let prev = t0;
  const parts = marks.map(([s, t]) => { const d = t - prev; prev = t; return `${s} ${Math.round(d)}`; });
  console.log(`run ${r + 1}: ${Math.round(total)} ms wall, ${Math.round((cpu.user + cpu.system) / 1000)} ms cpu | ${parts.join(' | ')} | image ${mib(zone.image.byteLength)} MiB, ${zone.counts.names} names, rss ${mib(process.memoryUsage().rss)} MiB heap ${mib(process.memoryUsage().heapUsed)} MiB`);
}

async function subscribed(): Promise<void> {
  const framed = new DemoCluster(JSON.parse(body.toString('utf8')) as object).subscribedRecord(15);
  const record = framed.subarray(framed.indexOf(0x0a) + 1); // the RecordIO size line off
  console.log(`SUBSCRIBED record ${mib(record.length)} MiB`);
  const ignore = { task() {}, agent() {}, recoveredAgent() {}, framework() {} };
  for (let r = 0; r < runs; r++) {
    let t = performance.now();
    const cpu0 = process.cpuUsage();
    readSubscribed(record, ignore);
    const outline = performance.now() - t;
    t = performance.now();
    const model = new ClusterModel();
    const snap = model.beginSnapshot(Date.now());
    readSubscribed(record, snap.visitor);
    snap.end(0);
    const read = performance.now() - t;
    t = performance.now();
    const { result } = model.take();
    const doc = { value: result };
    const take = performance.now() - t;
    t = performance.now();
    await buildZone(doc, params, async () => new Map(), () => {});
    const build = performance.now() - t;
    const cpu = process.cpuUsage(cpu0);
    console.log(`run ${r + 1}: outline + JSON.parse per entity ${Math.round(outline)} ms | read into the model ${Math.round(read)} ms | take ${Math.round(take)} | build ${Math.round(build)} | ${Math.round((cpu.user + cpu.system) / 1000)} ms cpu, heap ${mib(process.memoryUsage().heapUsed)} MiB`);
  }
}
