// The `threads` section (issue 15): Node 24 against the node running the bench, one answering
// thread each, pinned as the rates are; then on Node 24, 1 against 2 answering threads
// (AnswerThreads) with the server given both cores (nothing pinned: two threads need two cores, so
// dnsperf shares them and the q/s figure says little). CPU seconds per 100k answers is the figure
// that carries over to bigger machines; beside it the spread of answers across threads, RSS per
// extra thread, and the answers/s that CPU cost projects for 1-8 cores. In its own file so that
// run.ts only names the section; run.ts hands over the helpers it owns (ThreadsKit).
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import type { StandInMaster } from '../src/demo/master.js';
import type { RecordSet } from './expect.js';
import { sampleQueries, type Sample } from './check.js';
import { runDnsperf } from './dnsperf.js';
import { stop, cpuSeconds, memMiB, sleep, threadStats } from './proc.js';
import type { Row, Server } from './run.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

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
  return threadStats(pid).filter((t) => t.comm === 'mdns-answer').map((t) => t.cpu);
}

/**
 * Node 24 against this node (20 here), one answering thread each, pinned like the rates; then on
 * Node 24, 1 against 2 answering threads with nothing pinned (2 threads need both cores, so
 * dnsperf competes with the server: CPU seconds per 100k answers is the figure that carries over
 * to bigger machines, not the rate), the spread of answers across the threads, RSS per extra
 * thread, and the answers/s that CPU cost projects for 1-8 cores.
 */
export async function threadsSection(master: StandInMaster, kit: ThreadsKit): Promise<void> {
  const { O, rows, results, log, startServer, rateState, waitFirstCorrect, mustBeCorrect, LOAD_CPU } = kit;
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
  const out: Record<string, unknown> = { node24: v24, here: process.version };

  // 1. one thread, Node 24 vs this node, same pinning as the rates section
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
  loads.forEach((L, i) => {
    rows.push({ section: 'threads', metric: `1 thread, ${L.key} (q/s): ${v24} | baseline = ${process.version}`, value: Math.round(a![i]!.qps), unit: 'q/s', baseline: b ? Math.round(b[i]!.qps) : '', ratio: b ? a![i]!.qps / b[i]!.qps : undefined });
    rows.push({ section: 'threads', metric: `  CPU s per 100k answers`, value: r3(a![i]!.cpuPer100k), unit: 's', baseline: b ? r3(b[i]!.cpuPer100k) : '', ratio: b ? a![i]!.cpuPer100k / b[i]!.cpuPer100k : undefined });
  });

  // 2. Node 24: 1 vs 2 answering threads, nothing pinned, dnsperf -c 8
  const clients = 8;
  const byThreads: Record<number, { qps: number; cpuPer100k: number; rssMiB: number; queries?: number[]; threadCpu: number[] }> = {};
  for (const n of [1, 2]) {
    const s = await startServer(master.hostPort, 3600, `threads-${n}`, { AnswerThreads: n, ShutdownGraceSeconds: 0 }, undefined, { node: n24, cpu: null });
    try {
      await waitFirstCorrect(s, rs, 120_000);
      await mustBeCorrect(s.port, rs, samples, `${v24}, ${n} threads`);
      log(`threads: ${v24}, ${n} answering thread(s), A, dnsperf -c ${clients}, unpinned`);
      const m = await measure(s, files.a, clients, null);
      const rss = memMiB(s.proc.pid).rss;
      await stop(s.proc);
      await sleep(300); // its last stderr lines may arrive after the exit
      const line = s.proc.stderrLines.find((l) => l.includes('"answering threads stopping"'));
      const queries = line ? (JSON.parse(line) as { queries: number[] }).queries : undefined;
      byThreads[n] = { qps: m.r.qps, cpuPer100k: m.cpuPer100k, rssMiB: rss, queries, threadCpu: m.threadCpu };
    } finally { await stop(s.proc); }
  }
  out.byThreads = byThreads;
  const one = byThreads[1]!, two = byThreads[2]!;
  rows.push({ section: 'threads', metric: `${v24}, A, dnsperf -c ${clients}, unpinned: 2 threads (q/s) | baseline = 1 thread`, value: Math.round(two.qps), unit: 'q/s', baseline: Math.round(one.qps), ratio: two.qps / one.qps });
  rows.push({ section: 'threads', metric: '  CPU s per 100k answers: 2 threads | baseline = 1 thread', value: r3(two.cpuPer100k), unit: 's', baseline: r3(one.cpuPer100k), ratio: two.cpuPer100k / one.cpuPer100k, target: '≤ 110% of 1 thread', pass: two.cpuPer100k <= one.cpuPer100k * 1.1 });
  if (two.queries && two.queries.length === 2) {
    const total = two.queries[0]! + two.queries[1]!;
    for (const [i, q] of two.queries.entries()) {
      const share = q / Math.max(1, total);
      rows.push({ section: 'threads', metric: `  thread ${i}: share of answers (its CPU s: ${r3(two.threadCpu[i] ?? NaN)})`, value: r3(share), unit: '', target: '40-60%', pass: share >= 0.4 && share <= 0.6 });
    }
  } else {
    rows.push({ section: 'threads', metric: '  per-thread answers: not reported by the server', value: '', unit: '' });
  }
  rows.push({ section: 'threads', metric: '  RSS per extra answering thread (MiB)', value: r1(two.rssMiB - one.rssMiB), unit: 'MiB', baseline: r1(one.rssMiB) });
  for (const cores of [1, 2, 4, 8]) {
    rows.push({ section: 'threads', metric: `  projected answers/s on ${cores} core(s) (CPU-bound, 2-thread cost)`, value: Math.round((cores * 100_000) / two.cpuPer100k), unit: 'q/s' });
  }
  results.threads = out;
}

