// `--only=httpload`: DNS latency while clients pull the large HTTP bodies (issue 11: heavy HTTP
// load raised DNS p50 to 3.5 ms). The same UDP load (loadgen, fixed rate, positive queries of a
// 10k-task zone) runs twice against one server: alone, then while HTTP clients fetch /v1/axfr and
// /v1/enumerate back to back. Why this shape: the bodies are rendered once per zone version and
// written in 64 KiB slices as clients read (src/http/bulk.ts), so the answering thread should only
// see the slices; comparing the two runs on the same server and zone shows what the HTTP load costs
// the answers, with nothing else changing. The HTTP clients (bench/fetchloop.js, no pause) run on
// the load core beside loadgen, which runs at a higher priority, as in the refresh section.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StateGen, Rng } from './gen-state.js';
import { computeRecords, positiveQueries, type RecordSet } from './expect.js';
import { spawnPinned, stop, cpuSeconds, memMiB, type Spawned } from './proc.js';
import type { StandInMaster } from '../src/demo/master.js';

export interface HttpLoadRow {
  section: string;
  metric: string;
  value: number | string;
  unit: string;
  baseline?: number | string;
  target?: string;
  pass?: boolean;
}

export interface HttpLoadContext {
  master: StandInMaster;
  root: string;
  tmp: string;
  loadCpu: string | null;
  tasks: number;
  seconds: number;
  rate: number;
  /** Parallel pullers per path (/v1/axfr and /v1/enumerate each). */
  clients: number;
  /** Seconds between one puller's fetches (0: back to back). */
  every: number;
  startServer(tag: string, extra: Record<string, unknown>): Promise<{ proc: Spawned; port: number; httpPort: number }>;
  waitCorrect(server: { proc: Spawned; port: number }, rs: RecordSet): Promise<void>;
  row(r: HttpLoadRow): void;
  log(...a: unknown[]): void;
}

export async function httpLoad(c: HttpLoadContext): Promise<Record<string, unknown>> {
  const gen = new StateGen({ tasks: c.tasks, seed: 7000 + c.tasks, leader: `master@${c.master.hostPort}` });
  const rs = computeRecords(gen.state, { masters: [c.master.hostPort] });
  c.master.setState(Buffer.from(JSON.stringify(gen.state)));
  const queries = positiveQueries(rs);
  const rng = new Rng(13);
  for (let i = queries.length - 1; i > 0; i--) { const j = rng.int(i + 1); [queries[i], queries[j]] = [queries[j]!, queries[i]!]; }
  const qfile = join(c.tmp, `q-httpload-${c.tasks}.txt`);
  writeFileSync(qfile, queries.join('\n') + '\n');

  const runLoadgen = async (port: number) => {
    const p = spawnPinned(c.loadCpu, 'nice', ['-n', '-10', process.execPath, join(c.root, 'dist', 'bench', 'loadgen.js'),
      `--port=${port}`, `--file=${qfile}`, `--rate=${c.rate}`, `--duration=${c.seconds}`, '--timeout=1']);
    const code = await p.exited;
    const line = p.stdoutLines.find((l) => l.startsWith('{'));
    if (code !== 0 || !line) throw new Error(`loadgen failed (${code}): ${p.stderrLines.join(' ')}`);
    return JSON.parse(line) as { received: number; lost: number; achievedRate: number; latencyMs: Record<string, number> };
  };

  const server = await c.startServer('httpload', { refreshSeconds: 3600, EnumerationOn: true });
  try {
    await c.waitCorrect(server, rs);
    const base = `http://127.0.0.1:${server.httpPort}`;
    // Warm the shared bodies once (the first render is a one-off per zone version).
    for (const path of ['/v1/axfr', '/v1/enumerate']) { const r = await fetch(base + path); await r.arrayBuffer(); }

    c.log(`httpload: ${c.rate} q/s for ${c.seconds} s, no HTTP load`);
    const cpu0 = cpuSeconds(server.proc.pid);
    const quiet = await runLoadgen(server.port);
    const cpuQuiet = cpuSeconds(server.proc.pid) - cpu0;

    c.log(`httpload: the same with ${c.clients} pullers each of /v1/axfr and /v1/enumerate, a fetch every ${c.every} s each`);
    const pullers: Spawned[] = [];
    for (const path of ['/v1/axfr', '/v1/enumerate']) {
      for (let i = 0; i < c.clients; i++) {
        pullers.push(spawnPinned(c.loadCpu, process.execPath, [join(c.root, 'dist', 'bench', 'fetchloop.js'), `--url=${base}${path}`, `--every=${c.every}`, `--duration=${c.seconds + 2}`]));
      }
    }
    let loaded;
    const cpu1 = cpuSeconds(server.proc.pid);
    try {
      await new Promise((r) => setTimeout(r, 1000)); // the pullers are running
      loaded = await runLoadgen(server.port);
    } finally {
      await Promise.all(pullers.map((p) => p.exited));
      await Promise.all(pullers.map((p) => stop(p)));
    }
    const cpuLoaded = cpuSeconds(server.proc.pid) - cpu1;
    const pulled = pullers.map((p) => JSON.parse(p.stdoutLines.find((l) => l.startsWith('{')) ?? '{"fetches":0,"bytes":0}') as { fetches: number; bytes: number });
    const fetches = pulled.reduce((s, p) => s + p.fetches, 0);
    const mib = pulled.reduce((s, p) => s + p.bytes, 0) / 1048576;
    const mem = memMiB(server.proc.pid);
    const S = 'httpload';
    const ms = (x: number) => Math.round(x * 100) / 100;
    c.row({ section: S, metric: `DNS p50 (${c.tasks} tasks, ${c.rate} q/s), HTTP pullers vs none`, value: ms(loaded.latencyMs.p50!), unit: 'ms', baseline: ms(quiet.latencyMs.p50!) });
    c.row({ section: S, metric: 'DNS p99, HTTP pullers vs none', value: ms(loaded.latencyMs.p99!), unit: 'ms', baseline: ms(quiet.latencyMs.p99!) });
    c.row({ section: S, metric: 'DNS max, HTTP pullers vs none', value: ms(loaded.latencyMs.max!), unit: 'ms', baseline: ms(quiet.latencyMs.max!) });
    c.row({ section: S, metric: 'DNS lost, HTTP pullers vs none', value: loaded.lost, unit: 'queries', baseline: quiet.lost });
    c.row({ section: S, metric: `HTTP bodies pulled (${2 * c.clients} clients, every ${c.every} s)`, value: fetches, unit: `in ${c.seconds + 2} s`, baseline: `${Math.round(mib)} MiB` });
    c.row({ section: S, metric: 'server CPU, HTTP pullers vs none', value: Math.round(cpuLoaded * 100) / 100, unit: 's', baseline: Math.round(cpuQuiet * 100) / 100 });
    c.row({ section: S, metric: 'server RSS after the loaded run', value: mem.rss, unit: 'MiB' });
    return { tasks: c.tasks, rate: c.rate, seconds: c.seconds, every: c.every, quiet, loaded, fetches, mib, cpuQuiet, cpuLoaded, rssMiB: mem.rss };
  } finally {
    await stop(server.proc);
  }
}
