// One 50k-task AXFR pulled through the real MessageStream on this thread, no sockets: how long each
// step takes, and the garbage collections a transfer causes (the pauses answering waits behind
// during a transfer, issue 14). Why in-process: the bench's answering rows show the symptom, this
// shows which step and which collection. Run: node --trace-gc dist/bench/xfrstream.js --tasks=50000 [--runs=3]
import { PerformanceObserver } from 'node:perf_hooks';
import { StateGen } from './gen-state.js';
import { buildZone, parseStateBody, type BuildParams } from '../src/zone/build.js';
import { ZoneImage } from '../src/zone/image.js';
import { fullTransfer } from '../src/xfr/streams.js';
import { nameToWire } from '../src/wire/name.js';

const arg = (k: string, d: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d;
const tasks = Number(arg('tasks', '50000'));
const runs = Number(arg('runs', '3'));
const body = new StateGen({ tasks, seed: 1400 + tasks, leader: 'master@127.0.0.1:5050' }).serialize();
const params: BuildParams = {
  generate: {
    domain: 'mesos', nsName: 'ns1.mesos.', listener: '127.0.0.1', enforceRFC952: false,
    ipSources: ['netinfo', 'mesos', 'host'], masters: ['127.0.0.1:5050'],
  },
  image: { domain: 'mesos', ttl: 60, srvWeight: 1 },
};
const { zone } = await buildZone({ value: parseStateBody(body).result }, params, async () => new Map());
const image = new ZoneImage(zone.image);
const apex = nameToWire('mesos.', true)!;
const soa = new Uint8Array([...nameToWire('ns1.mesos.')!, ...nameToWire('root.ns1.mesos.')!, 0, 0, 0, 1, 0, 0, 0, 60, 0, 0, 0, 60, 0, 0, 0, 60, 0, 0, 0, 60]);
const question = new Uint8Array([...apex, 0, 252, 0, 1]);
const gcs: { ms: number; kind: number }[] = [];
new PerformanceObserver((l) => { for (const e of l.getEntries()) gcs.push({ ms: e.duration, kind: ((e as { detail?: { kind?: number } }).detail)?.kind ?? 0 }); }).observe({ entryTypes: ['gc'] });
const keep: Buffer[] = [];
for (let r = 0; r < runs; r++) {
  gcs.length = 0;
  const s = fullTransfer({ id: 1, queryFlags: 0, question, edns: false, ednsDO: false },
    { serial: 1, image, apex, soaRdata: soa, nsTarget: nameToWire('ns1.mesos.')!, ttl: 60 }, () => {});
  let bytes = 0, messages = 0, steps = 0, maxStep = 0, over250 = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (;;) {
    const a = performance.now();
    const m = s.next();
    const d = performance.now() - a;
    steps++; if (d > maxStep) maxStep = d; if (d > 0.25) over250++;
    if (m === null) break;
    // Like the TCP writer: a few messages in flight, each released once "written".
    if (m) { bytes += m.length; messages++; keep.push(m); if (keep.length > 4) s.release?.(keep.shift()!); }
  }
  const wall = performance.now() - t0, cpu = process.cpuUsage(cpu0);
  await new Promise((res) => setTimeout(res, 50)); // let the observer deliver
  for (const m of keep.splice(0)) s.release?.(m);
  s.close();
  const sum = (k: number) => gcs.filter((g) => g.kind === k).reduce((a, g) => a + g.ms, 0);
  const max = Math.max(0, ...gcs.map((g) => g.ms));
  console.log(`run ${r + 1}: ${Math.round(wall)} ms wall, ${Math.round((cpu.user + cpu.system) / 1000)} ms cpu, ${(bytes / 1e6).toFixed(1)} MB in ${messages} messages, ${steps} steps (max ${maxStep.toFixed(2)} ms, ${over250} over 0.25 ms) | gc: ${gcs.length} (minor ${gcs.filter((g) => g.kind === 1).length} ${Math.round(sum(1))} ms, major ${gcs.filter((g) => g.kind === 4).length} ${Math.round(sum(4))} ms, incremental ${Math.round(sum(8))} ms), longest ${max.toFixed(1)} ms | heap ${Math.round(process.memoryUsage().heapUsed / 1048576)} MiB`);
}
