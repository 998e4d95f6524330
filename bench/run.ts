// `npm run bench`: measures the server against the project's performance targets and prints one
// table (also written to bench/results/latest.json). Why it is arranged like this:
//  - 2 cores: the server (and the baseline) run pinned to core 0, every load tool and this runner
//    (with the stand-in master) to core 1, so the server never competes with its own load;
//  - every rate is paired with the same load against a trivial Node UDP server (baseline.ts), run
//    right after it, so results read as "fraction of what Node can do here" and machine noise
//    affects both alike;
//  - CPU and memory come from /proc for the server's pid, not from the server;
//  - nothing is timed until sampled answers match an independently computed record set;
//  - the stand-in master hands out a different (pre-serialised) variant of the state on every
//    request, so each refresh really has new content, while serialising costs the master nothing
//    during the measurements.
//  - forwarding rates are measured against a local BIND (test/support/named.ts) on the load core, beside the
//    authoritative A rate of the same server in the same run, so they read as "fraction of what
//    this server does from its own zone".
// Options: --quick, --only=rates,states,refresh,forward,stream,ops (default), httpload, threads, xfr (ops options: bench/ops.ts), --seconds=N, --sizes=1000,10000,50000,
// --refresh-tasks=N, --refresh-duration=S, --refresh-seconds=S, --rate=Q, --forward-tasks=N,
// --miss-names=N, --repeat=N, --server=PATH, --stream-tasks=a,b, --stream-duration=S (stream.ts),
// --no-pin, --out=FILE. See bench/README.md. The sections live in their own files (rates.ts, forward.ts,
// states.ts, refresh.ts, stream.ts, ops.ts, httpload.ts, threads.ts, xfr.ts) and share harness.ts:
// this file parses the flags and calls the sections in order.
import { mkdirSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { sampleQueries } from './check.js';
import { stop, killAll, pinSelf } from './proc.js';
import { startStandInMaster } from '../src/demo/master.js';
import { parseOptions } from './options.js';
import { createBench, serverCommand, waitFirstCorrect, mustBeCorrect, cpuBusy, otherLoad, printTable, log, type Server } from './harness.js';
import { rates, rateState } from './rates.js';
import { forwarding } from './forward.js';
import { stateSize } from './states.js';
import { refreshLoad } from './refresh.js';
import { threadsSection } from './threads.js';
import { xfrBench } from './xfr.js';
import { streamSection } from './stream.js';
import { opsSection } from './ops.js';
import { httpLoad } from './httpload.js';

export type { Row, Server } from './harness.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { O, opt, quick } = parseOptions(process.argv.slice(2), ROOT);
const b = createBench(O, ROOT);
const { rows, results, tmp, startServer, loadCpu: LOAD_CPU } = b;

async function main(): Promise<void> {
  for (const s of O.only) if (!['rates', 'states', 'refresh', 'forward', 'stream', 'ops', 'httpload', 'threads', 'xfr'].includes(s)) throw new Error(`--only: unknown section "${s}" (rates, states, refresh, forward, stream, ops, httpload, threads, xfr)`);
  if (O.pin && !pinSelf('1')) log('warning: could not pin the runner to core 1 (taskset missing?)');
  const needsServer = O.only.size > 0;
  if (needsServer) {
    if (!existsSync(O.server)) throw new Error(`server not found: ${O.server} (build first: npm run build)`);
    const [cmd, pre] = serverCommand(O.server);
    try {
      execFileSync(cmd, [...pre, '-version'], { stdio: 'pipe', timeout: 10_000 });
    } catch (e) {
      throw new Error(`\`${O.server} -version\` failed: ${(e as Error).message}`);
    }
  }
  let git = '';
  try {
    git = execFileSync('git', ['-C', ROOT, 'describe', '--always', '--dirty'], { stdio: 'pipe' }).toString().trim();
  } catch {
    /* not a git checkout */
  }
  results.meta = {
    date: new Date().toISOString(),
    git,
    node: process.version,
    quick: O.quick,
    options: { ...O, only: [...O.only] },
    loadavgAtStart: loadavg(),
    pinned: O.pin ? { server: 'cpu 0', load: 'cpu 1' } : 'no',
  };
  results.states = [];
  const master = await startStandInMaster({ host: '127.0.0.1', port: 0, state: { leader: 'master@127.0.0.1:1', slaves: [], frameworks: [] } });
  try {
    if (O.only.has('rates')) await rates(b, master);
    if (O.only.has('forward')) await forwarding(b, master);
    if (O.only.has('states')) for (const n of O.sizes) await stateSize(b, master, n);
    if (O.only.has('refresh')) await refreshLoad(b, master);
    if (O.only.has('stream')) {
      await streamSection({
        master, argv: { opt, quick }, rate: O.rate, samples: O.samples, loadCpu: LOAD_CPU, tmp, root: ROOT, log,
        startServer, waitFirstCorrect, mustBeCorrect, stop, row: (r) => rows.push(r), results, cpuBusy, otherLoad,
      });
    }
    if (O.only.has('ops')) {
      await opsSection({
        rows, results, tmp, log, opt, quick: O.quick, seconds: O.seconds, warmup: O.warmup, clients: O.clients,
        outstanding: O.outstanding, repeat: O.repeat, loadCpu: LOAD_CPU, startServer, waitFirstCorrect,
      });
    }
    if (O.only.has('httpload')) {
      results.httpload = await httpLoad({
        master, root: ROOT, tmp, loadCpu: LOAD_CPU, tasks: O.rateTasks, seconds: O.seconds, rate: O.rate, clients: 2, every: Number(opt('httpload-every', '0')), log, row: (r) => rows.push(r),
        startServer: (tag, extra) => startServer(master.hostPort, 3600, tag, extra),
        waitCorrect: async (s, rs) => {
          await waitFirstCorrect(s as Server, rs, 180_000);
          await mustBeCorrect(s.port, rs, sampleQueries(rs, O.samples), 'httpload');
        },
      });
    }
    if (O.only.has('threads')) await threadsSection(master, { O, rows, results, log, startServer, rateState: (m) => rateState(b, m), waitFirstCorrect, mustBeCorrect, LOAD_CPU, opt });
    if (O.only.has('xfr')) {
      const x = await xfrBench({
        master, tasks: O.xfrTasks, parts: O.xfrParts, trace: O.xfrTrace, propagationSamples: quick ? 8 : 20, rate: O.rate, loadSeconds: quick ? 10 : 20,
        startServer: async (extra) => (await startServer(master.hostPort, 3600, 'xfr', extra)), loadCpu: LOAD_CPU, root: ROOT, tmp, log,
      });
      rows.push(...x.rows);
      results.xfr = x.raw;
    }
  } finally {
    await master.close();
  }
  results.table = rows;
  const table = printTable(rows);
  console.log(table);
  mkdirSync(dirname(O.out), { recursive: true });
  writeFileSync(O.out, JSON.stringify(results, null, 2) + '\n');
  log(`results written to ${O.out}`);
}

const cleanup = () => {
  killAll();
  rmSync(tmp, { recursive: true, force: true });
};
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});
process.on('SIGTERM', () => {
  cleanup();
  process.exit(143);
});
// Watchdog: every step has its own bound, but the whole run stops by itself too.
const watchdogMin = Number(opt('max-minutes', quick ? '20' : '60'));
setTimeout(() => {
  console.error(`[bench] ABORTED: still running after ${watchdogMin} minutes (--max-minutes)`);
  cleanup();
  process.exit(1);
}, watchdogMin * 60_000).unref();

main().then(
  () => {
    cleanup();
    process.exit(0);
  },
  (e: unknown) => {
    console.error(`[bench] ABORTED: ${e instanceof Error ? e.message : String(e)}`);
    if (rows.length) console.log(printTable(rows));
    cleanup();
    process.exit(1);
  },
);
