// What every bench section shares: the run's context (options, result rows, temp dir, cores),
// starting a server on a generated config and reading its refresh log lines, the correctness
// gates that come before any timing, the stand-in master's rotating state variants, /proc/stat
// readings that mark a row noisy, and the final table. Moved out of run.ts so that each section
// sits in its own file (rates.ts, forward.ts, states.ts, refresh.ts, and the ones that were
// already apart: stream, ops, threads, xfr, httpload) and run.ts only parses flags and calls them.
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { FIXED, Rng, type StateGen } from './gen-state.js';
import type { RecordSet } from './expect.js';
import { checkAnswers, type Sample } from './check.js';
import { queryUdp } from '../test/support/dnsmsg.js';
import { runDnsperf } from './dnsperf.js';
import { freePort, spawnPinned, cpuSeconds, sleep, CLK_TCK, type Spawned } from './proc.js';
import type { StandInMaster } from '../src/demo/master.js';
import type { Options } from './options.js';

/** Share of core 0 used by other processes above which a rate is marked noisy. */
export const NOISY = 0.1;
export const log = (...a: unknown[]) => console.error('[bench]', ...a);

/** One bench run: its options, where rows and raw results collect, and the launchers bound to it. */
export interface Bench {
  O: Options;
  /** The repository (dist/bench/../..). */
  root: string;
  tmp: string;
  rows: Row[];
  results: Record<string, unknown>;
  /** The server's core and the load tools' core (null: unpinned). */
  serverCpu: string | null;
  loadCpu: string | null;
  startServer(masterHostPort: string, refreshSeconds: number, tag: string, extra?: Record<string, unknown>, server?: string,
    run?: { node?: string; cpu?: string | null; args?: string[] }): Promise<Server>;
  measureDnsperf(p: Spawned, port: number, file: string, what: string, warmFile?: string, during?: { before(): Promise<void>; after(): Promise<void> }): ReturnType<typeof measureDnsperf>;
}

export function createBench(O: Options, root: string): Bench {
  const b: Bench = {
    O,
    root,
    tmp: mkdtempSync(join(tmpdir(), 'mesos-dns-bench-')),
    rows: [],
    results: {},
    serverCpu: O.pin ? '0' : null,
    loadCpu: O.pin ? '1' : null,
    startServer: (...a) => startServer(b, ...a),
    measureDnsperf: (...a) => measureDnsperf(b, ...a),
  };
  return b;
}

// ---------------------------------------------------------------- results model
export interface Row {
  section: string;
  metric: string;
  value: number | string;
  unit: string;
  baseline?: number | string;
  ratio?: number;
  target?: string;
  pass?: boolean;
  /** Other processes used a noticeable share of the server's core during this measurement. */
  noisy?: boolean;
}

// ---------------------------------------------------------------- helpers
interface RefreshEvent {
  at: number;
  durationMs: number;
  /** Where durationMs went, stage by stage (ms), if the server logs it (`stagesMs`). */
  stagesMs?: Record<string, number>;
  tasks?: number;
  records?: number;
  /** The server's worst event-loop delay since its previous refresh line, if it logs it. */
  loopDelayMaxMs?: number;
  msg?: string;
}

export interface Server {
  proc: Spawned;
  port: number;
  httpPort: number;
  refreshes: RefreshEvent[];
  startedAt: number;
}

/** Node scripts (bin/mesos-dns, *.js) run under `node` (default: this node); anything else (e.g. the Go original) directly. */
export function serverCommand(server: string, node = process.execPath): [string, string[]] {
  const head = readFileSync(server).subarray(0, 64).toString('latin1');
  const isNode = /\.(c|m)?js$/.test(server) || /^#!.*\bnode\b/.test(head);
  return isNode ? [node, [server]] : [server, []];
}

async function startServer(b: Bench, masterHostPort: string, refreshSeconds: number, tag: string, extra: Record<string, unknown> = {}, server = b.O.server,
  run: { node?: string; cpu?: string | null; args?: string[] } = {}): Promise<Server> {
  const { tmp, serverCpu: SERVER_CPU } = b;
  const port = await freePort();
  const httpPort = await freePort();
  const cfg = {
    masters: [masterHostPort],
    zk: '',
    port,
    httpport: httpPort,
    listener: '127.0.0.1',
    HTTPListener: '127.0.0.1',
    refreshSeconds,
    stateTimeoutSeconds: 120,
    externalon: false,
    domain: 'mesos',
    IPSources: ['netinfo', 'mesos', 'host'],
    EnumerationOn: true,
    StateSource: 'poll', // these sections measure polling; a stream section passes StateSource in `extra`
    AnswerThreads: 1, // one answering thread, pinned to the server's core; the threads section passes more
    ...extra,
  };
  const file = join(tmp, `config-${tag}.json`);
  writeFileSync(file, JSON.stringify(cfg, null, 2));
  const [cmd, pre] = serverCommand(server, run.node);
  const startedAt = performance.now();
  // bin/mesos-dns is a sh launcher that execs `node` from PATH: another runtime goes first on it.
  const env = run.node ? { ...process.env, PATH: `${dirname(run.node)}:${process.env.PATH ?? ''}` } : undefined;
  const proc = spawnPinned(run.cpu === undefined ? SERVER_CPU : run.cpu, cmd, [...pre, `-config=${file}`, ...run.args ?? []], env);
  const refreshes: RefreshEvent[] = [];
  proc.onStderrLine((line) => {
    if (!line.startsWith('{')) return;
    try {
      const j = JSON.parse(line) as Record<string, unknown>;
      if (typeof j.durationMs === 'number') {
        refreshes.push({
          at: performance.now(),
          durationMs: j.durationMs,
          stagesMs: typeof j.stagesMs === 'object' && j.stagesMs !== null ? j.stagesMs as Record<string, number> : undefined,
          tasks: typeof j.tasks === 'number' ? j.tasks : undefined,
          records: typeof j.records === 'number' ? j.records : undefined,
          loopDelayMaxMs: typeof j.loopDelayMaxMs === 'number' ? j.loopDelayMaxMs : undefined,
          msg: typeof j.msg === 'string' ? j.msg : undefined,
        });
      }
    } catch {
      /* not a log line */
    }
  });
  return { proc, port, httpPort, refreshes, startedAt };
}

/** Refresh log events: those with msg "refresh" if the server writes any, else every durationMs line. */
export function refreshEvents(s: Server): RefreshEvent[] {
  const named = s.refreshes.filter((e) => e.msg === 'refresh');
  return named.length ? named : s.refreshes;
}

export function exitedEarly(s: Server): boolean {
  return s.proc.child.exitCode !== null || s.proc.child.signalCode !== null;
}

/** Polls the 3-address probe until the server answers it exactly right. */
export async function waitFirstCorrect(s: Server, rs: RecordSet, deadlineMs: number): Promise<{ firstReply: number; firstCorrect: number }> {
  const want = [...(rs.A.get(FIXED.a3Name) ?? [])].sort().join(' ');
  let firstReply = NaN;
  const end = performance.now() + deadlineMs;
  while (performance.now() < end) {
    if (exitedEarly(s)) throw new Error(`server exited (${s.proc.child.exitCode ?? s.proc.child.signalCode}); stderr tail:\n${s.proc.stderrLines.slice(-10).join('\n')}`);
    const r = await queryUdp('127.0.0.1', s.port, FIXED.a3Name, 'A', 250);
    const now = performance.now();
    if (r) {
      if (Number.isNaN(firstReply)) firstReply = now;
      const got = r.answers.filter((a) => a.type === 'A').map((a) => String((a as { data?: unknown }).data)).sort().join(' ');
      if (r.rcode === 'NOERROR' && got === want) return { firstReply, firstCorrect: now };
    }
    await sleep(r ? 2 : 5);
  }
  throw new Error(`no correct answer for ${FIXED.a3Name} within ${deadlineMs} ms; stderr tail:\n${s.proc.stderrLines.slice(-10).join('\n')}`);
}

export async function mustBeCorrect(port: number, rs: RecordSet, samples: Sample[], what: string): Promise<void> {
  const r = await checkAnswers(port, rs, samples);
  if (r.failures.length) {
    const lines = r.failures.slice(0, 15).map((f) => `  ${f.name} ${f.type}: ${f.problem}`);
    throw new Error(`wrong answers (${what}): ${r.failures.length} of ${r.checked} sampled queries\n${lines.join('\n')}`);
  }
  log(`answers correct (${what}): ${r.checked} sampled queries`);
}

/** The master hands out variant i for the i-th request (wrapping), and records when requests came. */
export function rotateOnRequest(master: StandInMaster, variants: Buffer[]): { requestTimes: number[]; stop(): void } {
  const requestTimes: number[] = [];
  let seen = master.requests;
  let next = 1 % variants.length;
  master.setState(variants[0]!);
  const t = setInterval(() => {
    const n = master.requests;
    if (n === seen) return;
    const now = performance.now();
    for (; seen < n; seen++) requestTimes.push(now);
    master.setState(variants[next]!);
    next = (next + 1) % variants.length;
  }, 1);
  return { requestTimes, stop: () => clearInterval(t) };
}

export function makeVariants(gen: StateGen, count: number): Buffer[] {
  const out = [gen.serialize()];
  const churn = Math.max(5, Math.round(gen.opts.tasks * 0.005));
  for (let i = 1; i < count; i++) {
    gen.mutate(churn);
    out.push(gen.serialize());
  }
  return out;
}

/** Busy jiffies per CPU from /proc/stat (to detect other load on the machine). */
export function cpuBusy(): number[] {
  const out: number[] = [];
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const v = m[2]!.split(/\s+/).map(Number);
    out[Number(m[1])] = v.reduce((a, b) => a + b, 0) - v[3]! - (v[4] ?? 0);
  }
  return out.map((j) => j / CLK_TCK);
}

/** Share of core 0 that other processes used over `seconds`, given our process's CPU seconds. */
export function otherLoad(b0: number[], b1: number[], ownCpuS: number, seconds: number): number {
  return Math.max(0, (b1[0]! - b0[0]! - ownCpuS) / Math.max(0.001, seconds));
}

export function shuffle<T>(a: T[], seed: number): T[] {
  const rng = new Rng(seed);
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

export const median = (xs: number[]) => {
  if (!xs.length) return NaN;
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
export const r1 = (x: number) => Math.round(x * 10) / 10;
export const r3 = (x: number) => Math.round(x * 1000) / 1000;

/** Untimed warm-up, then a timed dnsperf run against `p`, with the server's CPU and other load on core 0. */
async function measureDnsperf(b: Bench, p: Spawned, port: number, file: string, what: string, warmFile = file, during?: { before(): Promise<void>; after(): Promise<void> }) {
  const { O, loadCpu: LOAD_CPU } = b;
  const alive = () => {
    if (p.child.exitCode !== null || p.child.signalCode !== null) {
      throw new Error(`${what} exited (${p.child.exitCode ?? p.child.signalCode}); stderr tail:\n${p.stderrLines.slice(-10).join('\n')}`);
    }
  };
  const base = { port, clients: O.clients, outstanding: O.outstanding, timeoutS: 2, cpu: LOAD_CPU };
  alive();
  await runDnsperf({ ...base, file: warmFile, seconds: O.warmup });
  alive();
  await during?.before();
  const c0 = cpuSeconds(p.pid);
  const b0 = cpuBusy();
  const r = await runDnsperf({ ...base, file, seconds: O.seconds });
  alive();
  const c1 = cpuSeconds(p.pid);
  const b1 = cpuBusy();
  await during?.after();
  const own = c1 - c0;
  return {
    r,
    cpuPer100k: (own / Math.max(1, r.completed)) * 100_000,
    /** Server CPU s per run s: ~1 means the server's core was the bottleneck (not dnsperf or upstream). */
    coreBusy: own / r.runTimeS,
    otherCore0: Math.max(0, (b1[0]! - b0[0]! - own) / r.runTimeS),
  };
}


// ---------------------------------------------------------------- output
function fmt(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000);
  return String(v);
}

export function printTable(rows: Row[]): string {
  const head = ['section', 'metric', 'value', 'unit', 'baseline', '% of baseline', 'target', 'result'];
  const body = rows.map((r) => [
    r.section,
    r.metric,
    fmt(r.value),
    r.unit,
    fmt(r.baseline),
    r.ratio === undefined ? '' : `${Math.round(r.ratio * 1000) / 10}%`,
    r.target ?? '',
    (r.pass === undefined ? (r.target ? 'n/a' : '') : r.pass ? 'PASS' : 'FAIL') + (r.noisy ? ' (noisy)' : ''),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 2 || i === 4 || i === 5 ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join('  ').trimEnd();
  const out = [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...body.map(line)];
  const judged = rows.filter((r) => r.pass !== undefined);
  out.push('', `targets: ${judged.filter((r) => r.pass).length} pass, ${judged.filter((r) => !r.pass).length} fail`);
  if (rows.some((r) => r.noisy)) {
    out.push('(noisy) = other processes took more than 10% of core 0 during that measurement (or its baseline run): the figure is unreliable, rerun that section; CPU-per-answer rows are not affected.');
  }
  return out.join('\n');
}
