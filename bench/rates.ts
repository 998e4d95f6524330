// The `rates` section: dnsperf against the server on a 10k-task state (A with 3 addresses, SRV with
// 3 targets, NXDOMAIN, every name cycled), each paired with the same load against the trivial Node
// UDP server (baseline.ts) right after it, so a rate reads as a fraction of what Node does here.
// rateState is shared with the threads section.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StateGen, FIXED } from './gen-state.js';
import { computeRecords, positiveQueries } from './expect.js';
import { sampleQueries } from './check.js';
import { runDnsperf, type DnsperfResult } from './dnsperf.js';
import { freePort, spawnPinned, stop, cpuSeconds, waitStdoutJson, type Spawned } from './proc.js';
import type { StandInMaster } from '../src/demo/master.js';
import { log, NOISY, r3, shuffle, cpuBusy, waitFirstCorrect, mustBeCorrect, type Bench } from './harness.js';

/** The rates' state (O.rateTasks tasks) served by `master`, its record set, and the four query files. */
export function rateState(b: Bench, master: StandInMaster) {
  const { O, tmp } = b;
  log(`generating ${O.rateTasks}-task state`);
  const gen = new StateGen({ tasks: O.rateTasks, seed: 1, leader: `master@${master.hostPort}` });
  const body = gen.serialize();
  master.setState(body);
  const rs = computeRecords(gen.state, { masters: [master.hostPort] });
  const cycled = shuffle(positiveQueries(rs), 7);
  const files = {
    a: join(tmp, 'q-a.txt'),
    srv: join(tmp, 'q-srv.txt'),
    nx: join(tmp, 'q-nx.txt'),
    cycled: join(tmp, 'q-cycled.txt'),
  };
  writeFileSync(files.a, `${FIXED.a3Name} A\n`);
  writeFileSync(files.srv, `${FIXED.srv3Name} SRV\n`);
  writeFileSync(files.nx, `${FIXED.nxName} A\n`);
  writeFileSync(files.cycled, cycled.join('\n') + '\n');
  return { body, rs, cycled, files };
}

export async function rates(b: Bench, master: StandInMaster): Promise<void> {
  const { O, rows, results, root: ROOT, serverCpu: SERVER_CPU, loadCpu: LOAD_CPU, startServer } = b;
  const { body, rs, cycled, files } = rateState(b, master);
  const server = await startServer(master.hostPort, 3600, 'rates');
  const basePort = await freePort();
  const baseline = spawnPinned(SERVER_CPU, process.execPath, [join(ROOT, 'dist', 'bench', 'baseline.js'), `--port=${basePort}`]);
  try {
    await waitStdoutJson(baseline, 10_000);
    await waitFirstCorrect(server, rs, 120_000);
    const samples = sampleQueries(rs, O.samples);
    await mustBeCorrect(server.port, rs, samples, `${O.rateTasks}-task state`);

    const loads = [
      { key: 'A', label: 'A, task with 3 addresses', file: files.a, rcode: 'NOERROR', target: 0.9 },
      { key: 'SRV', label: 'SRV, 3 targets', file: files.srv, rcode: 'NOERROR', target: 0.8 },
      { key: 'NXDOMAIN', label: 'NXDOMAIN', file: files.nx, rcode: 'NXDOMAIN', target: 0.9 },
      { key: 'cycled', label: `every name of ${O.rateTasks / 1000}k state (${cycled.length} names)`, file: files.cycled, rcode: 'NOERROR', target: 0.9 },
    ];
    const out: Record<string, unknown>[] = [];
    for (const L of loads) {
      const alive = (p: Spawned, what: string) => {
        if (p.child.exitCode !== null || p.child.signalCode !== null) {
          throw new Error(`${what} exited (${p.child.exitCode ?? p.child.signalCode}); stderr tail:\n${p.stderrLines.slice(-10).join('\n')}`);
        }
      };
      const measure = async (p: Spawned, port: number, what: string): Promise<{ r: DnsperfResult; cpuPer100k: number; otherCore0: number }> => {
        const base = { port, file: L.file, clients: O.clients, outstanding: O.outstanding, timeoutS: 2, cpu: LOAD_CPU };
        const pid = p.pid;
        alive(p, what);
        await runDnsperf({ ...base, seconds: O.warmup });
        alive(p, what);
        const c0 = cpuSeconds(pid);
        const b0 = cpuBusy();
        const r = await runDnsperf({ ...base, seconds: O.seconds });
        alive(p, what);
        const c1 = cpuSeconds(pid);
        const b1 = cpuBusy();
        const own = c1 - c0;
        return { r, cpuPer100k: (own / Math.max(1, r.completed)) * 100_000, otherCore0: Math.max(0, (b1[0]! - b0[0]! - own) / r.runTimeS) };
      };
      // With --repeat=N the server/baseline pair runs N times (interleaved) and each side keeps
      // its best run: other load on a shared machine only ever lowers a rate.
      let s: Awaited<ReturnType<typeof measure>> | null = null;
      let b: Awaited<ReturnType<typeof measure>> | null = null;
      for (let i = 0; i < O.repeat; i++) {
        const rep = O.repeat > 1 ? ` (${i + 1}/${O.repeat})` : '';
        log(`rates: ${L.label} → server${rep}`);
        const si = await measure(server.proc, server.port, 'server');
        log(`rates: ${L.label} → baseline${rep}`);
        const bi = await measure(baseline, basePort, 'baseline');
        if (!s || si.r.qps > s.r.qps) s = si;
        if (!b || bi.r.qps > b.r.qps) b = bi;
      }
      if (!s || !b) throw new Error('--repeat must be ≥ 1');
      const rcodeOk = (s.r.rcodes[L.rcode] ?? 0) >= s.r.completed * 0.999 && s.r.completed > 0;
      const ratio = s.r.qps / b.r.qps;
      out.push({ load: L.key, label: L.label, server: s, baseline: b, ratio, rcodeOk, expectedRcode: L.rcode });
      rows.push({
        section: 'rate',
        metric: `${L.label} (q/s)${rcodeOk ? '' : ` WRONG RCODES ${JSON.stringify(s.r.rcodes)}`}`,
        value: Math.round(s.r.qps),
        unit: 'q/s',
        baseline: Math.round(b.r.qps),
        ratio,
        target: `≥ ${Math.round(L.target * 100)}% of baseline`,
        pass: rcodeOk && ratio >= L.target,
        noisy: s.otherCore0 > NOISY || b.otherCore0 > NOISY,
      });
      rows.push({ section: 'rate', metric: `  lost queries`, value: s.r.lost, unit: '', baseline: b.r.lost });
      rows.push({
        section: 'rate',
        metric: `  server CPU s per 100k answers`,
        value: r3(s.cpuPer100k),
        unit: 's',
        baseline: r3(b.cpuPer100k),
        ratio: s.cpuPer100k / b.cpuPer100k,
      });
      if (s.otherCore0 > NOISY || b.otherCore0 > NOISY) {
        rows.push({ section: 'rate', metric: `  WARNING: other load on core 0 (fraction of the core)`, value: r3(s.otherCore0), unit: '', baseline: r3(b.otherCore0) });
      }
    }
    await mustBeCorrect(server.port, rs, samples, 'after the rate runs');
    results.rates = { tasks: O.rateTasks, stateBytes: body.length, names: cycled.length, seconds: O.seconds, dnsperf: { clients: O.clients, outstanding: O.outstanding }, loads: out };
  } finally {
    await stop(server.proc);
    await stop(baseline);
  }
}
