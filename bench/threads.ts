// The `threads` section (issue 15): Node 24 against the node running the bench, one answering
// thread each, pinned as the rates are; then on Node 24, 1 against 2 answering threads
// (AnswerThreads) with the server given both cores (nothing pinned: two threads need two cores, so
// dnsperf shares them and the q/s figure says little). CPU seconds per 100k answers is the figure
// that carries over to bigger machines; beside it the spread of answers across threads, RSS per
// extra thread, and the answers/s that CPU cost projects for 1-8 cores. In its own file so that
// run.ts only names the section; run.ts hands over the helpers it owns (ThreadsKit).
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import type { StandInMaster } from '../src/demo/master.js';
import type { RecordSet } from './expect.js';
import { sampleQueries, type Sample } from './check.js';
import { runDnsperf } from './dnsperf.js';
import { stop, cpuSeconds, memMiB, sleep, threadStats, CLK_TCK, type ThreadCpu } from './proc.js';
import { ANSWER_THREAD } from '../src/zone/priority.js';
import type { Row, Server } from './run.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/**
 * "Unpinned": every core, said explicitly. The runner pins itself to the load core (run.ts), and a
 * child spawned without taskset inherits that, so the earlier "unpinned" 2-thread runs had both
 * threads and dnsperf on one core (the 115-122% figures).
 */
const ALL_CORES = `0-${availableParallelism() - 1}`;

export interface ThreadsKit {
  O: { samples: number; outstanding: number; warmup: number; seconds: number; clients: number };
  rows: Row[];
  results: Record<string, unknown>;
  log: (...a: unknown[]) => void;
  startServer(masterHostPort: string, refreshSeconds: number, tag: string, extra?: Record<string, unknown>, server?: string,
    run?: { node?: string; cpu?: string | null }): Promise<Server>;
  rateState(master: StandInMaster): { rs: RecordSet; cycled: string[]; files: { a: string; srv: string; nx: string; cycled: string } };
  waitFirstCorrect(s: Server, rs: RecordSet, deadlineMs: number): Promise<unknown>;
  mustBeCorrect(port: number, rs: RecordSet, samples: Sample[], what: string): Promise<void>;
  /** The load generator's core (null: unpinned). */
  LOAD_CPU: string | null;
  /** A bench flag (`--k=v` or BENCH_K): this section's own are --threads-parts, --threads-rate, --threads-runs, --threads-load-cpu. */
  opt(k: string, d: string): string;
}

const r1 = (x: number) => Math.round(x * 10) / 10;
const r3 = (x: number) => Math.round(x * 1000) / 1000;

/** The Node 24 binary, installed from the npm registry the same way CI installs it (.ci/node24.sh). */
function node24(): string {
  const dir = execFileSync('bash', [join(ROOT, '.ci', 'node24.sh')], { stdio: ['ignore', 'pipe', 'inherit'], timeout: 300_000 }).toString().trim();
  return join(dir, 'node');
}

/** CPU seconds of each answering thread of `pid` (threads named by threads/thread.ts). */
function answerThreadCpu(pid: number): number[] {
  return threadStats(pid).filter((t) => t.comm === ANSWER_THREAD).map((t) => t.cpu);
}

/** CPU seconds of this process's waited-for children (dnsperf, once it has exited). */
function childrenCpu(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[13]) + Number(rest[14])) / CLK_TCK;
}

/** The machine's idle and total jiffies (all cores; steal counts as busy: the server could not run). */
function machineTicks(): { idle: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  return { idle: f[3]! + f[4]!, total: f.reduce((a, b) => a + b, 0) };
}

const median = (xs: number[]) => { const v = [...xs].sort((a, b) => a - b); return v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2; };
const each = (xs: number[], f = r3) => xs.map((x) => f(x)).join(', ');

/** One fixed-rate run: the server's CPU split by thread, per 100k answers, and what else the cores did. */
interface RateRun {
  threads: number; offered: number; qps: number; lost: number;
  /** Server CPU s per 100k answers: all of it, the main thread's, the answering threads'. */
  cpuPer100k: number; mainPer100k: number; answeringPer100k: number;
  /** Of the answering threads' CPU, the part in the kernel (syscalls, wakeups, the loopback path). */
  answeringSysPer100k: number;
  /** Per answer, the answering threads' sleeps (each one a wakeup later) and preemptions. */
  wakeups: number; preempted: number;
  /** dnsperf's CPU s per 100k answers, and the machine's idle share (both cores) over the run. */
  loadPer100k: number; idle: number;
  rssMiB: number; queries?: number[];
}

/**
 * Node 24 against this node (20 here), one answering thread each, pinned like the rates
 * (--threads-parts=runtime). Then on Node 24, 1 against 2 answering threads:
 * - `rate` (the fair comparison): both at the same fixed offered rate below saturation
 *   (dnsperf -Q, --threads-rate, default 30000), so neither saturates a core and the load
 *   generator's CPU is the same in both; servers started afresh for each run, the runs alternated
 *   (--threads-runs, default 3) and each one printed. CPU per answer falls as the rate per thread
 *   rises (a thread that sleeps less often wakes less often per answer), so 2 threads at the rate
 *   are also put beside 1 thread at half of it: the same load per thread.
 * - `closed`: dnsperf -c 8 as fast as answered, nothing pinned (the figure earlier sessions
 *   reported; dnsperf then preempts the threads).
 * Beside them the spread of answers across the threads, RSS per extra thread, and the answers/s
 * the costs project for 1-8 cores.
 */
export async function threadsSection(master: StandInMaster, kit: ThreadsKit): Promise<void> {
  const { O, rows, results, log, startServer, rateState, waitFirstCorrect, mustBeCorrect, LOAD_CPU } = kit;
  const parts = new Set(kit.opt('threads-parts', 'runtime,rate,closed').split(','));
  const n24 = node24();
  const here = process.execPath;
  const v24 = execFileSync(n24, ['-v']).toString().trim();
  const { rs, cycled, files } = rateState(master);
  const samples = sampleQueries(rs, O.samples);
  const loads = [
    { key: 'A', file: files.a }, { key: 'SRV', file: files.srv }, { key: 'NXDOMAIN', file: files.nx },
    { key: `cycled (${cycled.length} names)`, file: files.cycled },
  ];
  /** A dnsperf run (after a warm-up) against `s`, with the server's CPU over it. */
  const measure = async (s: Server, file: string, clients: number, cpu: string | null) => {
    const base = { port: s.port, file, clients, outstanding: O.outstanding, timeoutS: 2, cpu };
    await runDnsperf({ ...base, seconds: O.warmup });
    const c0 = cpuSeconds(s.proc.pid), t0 = answerThreadCpu(s.proc.pid);
    const r = await runDnsperf({ ...base, seconds: O.seconds });
    const c1 = cpuSeconds(s.proc.pid), t1 = answerThreadCpu(s.proc.pid);
    return { r, cpuPer100k: ((c1 - c0) / Math.max(1, r.completed)) * 100_000, threadCpu: t1.map((x, i) => x - (t0[i] ?? 0)) };
  };
  /** Stop `s` and read its per-thread answer counts from its 'answering threads stopping' line. */
  const stopAndCount = async (s: Server): Promise<number[] | undefined> => {
    await stop(s.proc);
    await sleep(300); // its last stderr lines may arrive after the exit
    const line = s.proc.stderrLines.find((l) => l.includes('"answering threads stopping"'));
    return line ? (JSON.parse(line) as { queries: number[] }).queries : undefined;
  };
  const start = async (n: number, tag: string) => {
    const s = await startServer(master.hostPort, 3600, tag, { AnswerThreads: n, ShutdownGraceSeconds: 0 }, undefined, { node: n24, cpu: ALL_CORES });
    await waitFirstCorrect(s, rs, 120_000);
    await mustBeCorrect(s.port, rs, samples, `${v24}, ${n} threads`);
    return s;
  };
  const out: Record<string, unknown> = { node24: v24, here: process.version };
  const clients = 8;
  const shareRows = (queries: number[] | undefined, what: string) => {
    if (!queries || queries.length !== 2) {
      rows.push({ section: 'threads', metric: `  per-thread answers (${what}): not reported by the server`, value: '', unit: '' });
      return;
    }
    const total = queries[0]! + queries[1]!;
    for (const [i, q] of queries.entries()) {
      const share = q / Math.max(1, total);
      rows.push({ section: 'threads', metric: `  thread ${i}: share of answers (${what})`, value: r3(share), unit: '', target: '40-60%', pass: share >= 0.4 && share <= 0.6 });
    }
  };
  const project = (per100k: number, how: string) => {
    for (const cores of [1, 2, 4, 8]) {
      rows.push({ section: 'threads', metric: `  projected answers/s on ${cores} core(s), ${how} (the original: ~100k per core)`, value: Math.round((cores * 100_000) / per100k), unit: 'q/s' });
    }
  };

  // 1. one thread, Node 24 vs this node, same pinning as the rates section
  let saturatedA: number | null = null;
  if (parts.has('runtime')) {
    const side: Record<string, { qps: number; cpuPer100k: number }[]> = {};
    for (const [label, node] of [[v24, n24], [process.version, here]] as const) {
      if (label === v24 && node === here) continue;
      const s = await startServer(master.hostPort, 3600, `threads-1-${label}`, { AnswerThreads: 1 }, undefined, { node });
      try {
        await waitFirstCorrect(s, rs, 120_000);
        await mustBeCorrect(s.port, rs, samples, `${label}, 1 thread`);
        side[label] = [];
        for (const L of loads) {
          log(`threads: ${label}, 1 thread, ${L.key}`);
          const m = await measure(s, L.file, O.clients, LOAD_CPU);
          side[label]!.push({ qps: m.r.qps, cpuPer100k: m.cpuPer100k });
        }
      } finally { await stop(s.proc); }
    }
    out.oneThread = side;
    const a = side[v24], b = side[process.version];
    saturatedA = a![0]!.cpuPer100k;
    loads.forEach((L, i) => {
      rows.push({ section: 'threads', metric: `1 thread, ${L.key} (q/s): ${v24} | baseline = ${process.version}`, value: Math.round(a![i]!.qps), unit: 'q/s', baseline: b ? Math.round(b[i]!.qps) : '', ratio: b ? a![i]!.qps / b[i]!.qps : undefined });
      rows.push({ section: 'threads', metric: `  CPU s per 100k answers`, value: r3(a![i]!.cpuPer100k), unit: 's', baseline: b ? r3(b[i]!.cpuPer100k) : '', ratio: b ? a![i]!.cpuPer100k / b[i]!.cpuPer100k : undefined });
    });
  }

  // 2. Node 24: 1 vs 2 answering threads at one fixed offered rate, below saturation
  if (parts.has('rate')) {
    const rate = Number(kit.opt('threads-rate', '30000'));
    const runs = Number(kit.opt('threads-runs', O.seconds < 8 ? '2' : '3'));
    const loadCpu = kit.opt('threads-load-cpu', '') || ALL_CORES;
    const seconds = Math.max(5, Math.min(O.seconds, 10));
    const runAt = async (n: number, offered: number, tag: string): Promise<RateRun> => {
      const s = await start(n, tag);
      try {
        const base = { port: s.port, file: files.a, clients, outstanding: O.outstanding, timeoutS: 2, cpu: loadCpu, qps: offered };
        await runDnsperf({ ...base, seconds: O.warmup });
        const pid = s.proc.pid;
        const t0 = threadStats(pid), k0 = childrenCpu(), m0 = machineTicks();
        const r = await runDnsperf({ ...base, seconds });
        const t1 = threadStats(pid), k1 = childrenCpu(), m1 = machineTicks();
        const rssMiB = memMiB(pid).rss;
        const d = (pick: (t: ThreadCpu) => boolean, f: (t: ThreadCpu) => number) => t1.filter(pick)
          .reduce((sum, t) => sum + f(t) - (t0.find((x) => x.tid === t.tid) ? f(t0.find((x) => x.tid === t.tid)!) : 0), 0);
        const main = (t: ThreadCpu) => t.tid === pid;
        const answering = n > 1 ? (t: ThreadCpu) => t.comm === ANSWER_THREAD : main;
        const per = (x: number) => (x / Math.max(1, r.completed)) * 100_000;
        const run: RateRun = {
          threads: n, offered, qps: r.qps, lost: r.lost,
          cpuPer100k: per(d(() => true, (t) => t.cpu)), mainPer100k: per(d(main, (t) => t.cpu)), answeringPer100k: per(d(answering, (t) => t.cpu)), answeringSysPer100k: per(d(answering, (t) => t.sys)),
          wakeups: d(answering, (t) => t.slept) / Math.max(1, r.completed), preempted: d(answering, (t) => t.preempted) / Math.max(1, r.completed),
          loadPer100k: per(k1 - k0), idle: (m1.idle - m0.idle) / Math.max(1, m1.total - m0.total), rssMiB,
        };
        run.queries = await stopAndCount(s);
        log(`threads: ${n} thread(s) at ${offered} q/s: ${JSON.stringify(run)}`);
        return run;
      } finally { await stop(s.proc); }
    };
    const all: RateRun[] = [];
    for (let i = 0; i < runs; i++) {
      // alternated, so that a slow drift of the machine falls on both
      for (const [n, offered] of [[1, rate], [2, rate], [1, Math.round(rate / 2)]] as const) all.push(await runAt(n, offered, `threads-rate-${n}-${offered}-${i}`));
    }
    out.fixedRate = all;
    const one = all.filter((r) => r.threads === 1 && r.offered === rate), two = all.filter((r) => r.threads === 2);
    const half = all.filter((r) => r.threads === 1 && r.offered !== rate);
    const m = (rs: RateRun[], f: (r: RateRun) => number) => median(rs.map(f));
    const c1 = m(one, (r) => r.cpuPer100k), c2 = m(two, (r) => r.cpuPer100k), ch = m(half, (r) => r.cpuPer100k);
    const how = `dnsperf -c ${clients} -Q ${rate}, ${loadCpu === ALL_CORES ? `nothing pinned (cores ${ALL_CORES})` : `server on cores ${ALL_CORES}, dnsperf on ${loadCpu}`}, ${runs} runs of ${seconds} s, medians`;
    rows.push({ section: 'threads', metric: `${v24}, A at a fixed ${rate} q/s (${how}): CPU s per 100k answers, 2 threads | baseline = 1 thread`, value: r3(c2), unit: 's', baseline: r3(c1), ratio: c2 / c1, target: '≤ 110% of 1 thread', pass: c2 <= c1 * 1.1 });
    rows.push({ section: 'threads', metric: '  each run: 2 threads | 1 thread', value: each(two.map((r) => r.cpuPer100k)), unit: 's', baseline: each(one.map((r) => r.cpuPer100k)) });
    rows.push({ section: 'threads', metric: '  answered q/s (lost): 2 threads | 1 thread', value: each(two.map((r) => r.qps), Math.round) + ` (${two.reduce((a, r) => a + r.lost, 0)})`, unit: 'q/s', baseline: each(one.map((r) => r.qps), Math.round) + ` (${one.reduce((a, r) => a + r.lost, 0)})` });
    rows.push({ section: 'threads', metric: '  of it the answering threads (CPU s per 100k)', value: r3(m(two, (r) => r.answeringPer100k)), unit: 's', baseline: r3(m(one, (r) => r.answeringPer100k)) });
    rows.push({ section: 'threads', metric: '    of that in the kernel (CPU s per 100k)', value: r3(m(two, (r) => r.answeringSysPer100k)), unit: 's', baseline: r3(m(one, (r) => r.answeringSysPer100k)), ratio: m(two, (r) => r.answeringSysPer100k) / m(one, (r) => r.answeringSysPer100k) });
    rows.push({ section: 'threads', metric: '    of that in user space (CPU s per 100k)', value: r3(m(two, (r) => r.answeringPer100k - r.answeringSysPer100k)), unit: 's', baseline: r3(m(one, (r) => r.answeringPer100k - r.answeringSysPer100k)), ratio: m(two, (r) => r.answeringPer100k - r.answeringSysPer100k) / m(one, (r) => r.answeringPer100k - r.answeringSysPer100k) });
    rows.push({ section: 'threads', metric: '  of it the main thread, which answers nothing with 2 threads (CPU s per 100k)', value: r3(m(two, (r) => r.mainPer100k)), unit: 's' });
    rows.push({ section: 'threads', metric: '  answering threads: sleeps (later wakeups) per answer', value: r3(m(two, (r) => r.wakeups)), unit: '', baseline: r3(m(one, (r) => r.wakeups)), ratio: m(two, (r) => r.wakeups) / m(one, (r) => r.wakeups) });
    rows.push({ section: 'threads', metric: '  answering threads: preemptions per answer', value: r3(m(two, (r) => r.preempted)), unit: '', baseline: r3(m(one, (r) => r.preempted)) });
    rows.push({ section: 'threads', metric: '  dnsperf CPU s per 100k answers', value: r3(m(two, (r) => r.loadPer100k)), unit: 's', baseline: r3(m(one, (r) => r.loadPer100k)) });
    rows.push({ section: 'threads', metric: '  machine idle share (2 cores; > 0: nothing saturated)', value: r3(m(two, (r) => r.idle)), unit: '', baseline: r3(m(one, (r) => r.idle)) });
    rows.push({ section: 'threads', metric: `  same load per thread: 2 threads at ${rate} | baseline = 1 thread at ${Math.round(rate / 2)} q/s (CPU s per 100k; each run ${each(half.map((r) => r.cpuPer100k))})`, value: r3(c2), unit: 's', baseline: r3(ch), ratio: c2 / ch });
    rows.push({ section: 'threads', metric: '  1 thread at the half rate: sleeps per answer', value: r3(m(half, (r) => r.wakeups)), unit: '' });
    shareRows(two[0]?.queries, `first run at ${rate} q/s`);
    rows.push({ section: 'threads', metric: '  RSS per extra answering thread (MiB, medians)', value: r1(m(two, (r) => r.rssMiB) - m(one, (r) => r.rssMiB)), unit: 'MiB', baseline: r1(m(one, (r) => r.rssMiB)) });
    if (saturatedA !== null) project(saturatedA * (c2 / c1), 'the saturated 1-thread A cost × this ratio');
  }

  // 3. Node 24: 1 vs 2 answering threads, nothing pinned, dnsperf -c 8 as fast as answered
  if (parts.has('closed')) {
    const byThreads: Record<number, { qps: number; cpuPer100k: number; rssMiB: number; queries?: number[]; threadCpu: number[] }> = {};
    for (const n of [1, 2]) {
      const s = await start(n, `threads-${n}`);
      try {
        log(`threads: ${v24}, ${n} answering thread(s), A, dnsperf -c ${clients}, cores ${ALL_CORES}`);
        const m = await measure(s, files.a, clients, ALL_CORES);
        const rss = memMiB(s.proc.pid).rss;
        byThreads[n] = { qps: m.r.qps, cpuPer100k: m.cpuPer100k, rssMiB: rss, queries: await stopAndCount(s), threadCpu: m.threadCpu };
      } finally { await stop(s.proc); }
    }
    out.byThreads = byThreads;
    const one = byThreads[1]!, two = byThreads[2]!;
    rows.push({ section: 'threads', metric: `${v24}, A, dnsperf -c ${clients} as fast as answered, nothing pinned (cores ${ALL_CORES}): 2 threads (q/s) | baseline = 1 thread`, value: Math.round(two.qps), unit: 'q/s', baseline: Math.round(one.qps), ratio: two.qps / one.qps });
    rows.push({ section: 'threads', metric: '  CPU s per 100k answers: 2 threads | baseline = 1 thread (dnsperf preempts the threads)', value: r3(two.cpuPer100k), unit: 's', baseline: r3(one.cpuPer100k), ratio: two.cpuPer100k / one.cpuPer100k });
    shareRows(two.queries, `as fast as answered; CPU s ${each(two.threadCpu)}`);
    rows.push({ section: 'threads', metric: '  RSS per extra answering thread (MiB)', value: r1(two.rssMiB - one.rssMiB), unit: 'MiB', baseline: r1(one.rssMiB) });
    project(two.cpuPer100k, 'this 2-thread cost');
  }
  results.threads = out;
}

