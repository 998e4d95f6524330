// The stream section of `npm run bench` (`--only=stream`): how fast names follow the cluster
// when the server is subscribed to the master's event stream (StateSource "stream"), and what
// that costs. Why it is built this way:
//  - freshness is what a user sees: the time from an event leaving the stand-in master (the
//    churn hook runs right after the event is written to the stream) to the first DNS answer that
//    reflects it (a launched task's name answers NOERROR with an address; a killed one's NXDOMAIN),
//    read by a probe client in this runner (core 1), never from the server's own logs;
//  - the probe must not be load: it asks for the oldest pending event only (every PROBE_TICK_MS,
//    one query in flight), plus one more pending event in turn for changes that are not seen in
//    order; when a probed event shows, the ones after it are asked at once, in bursts (a version
//    carries every event applied before it). So it sends about 2 queries per tick, ~1 per event
//    and a burst when a version lands, instead of polling every pending name;
//  - tasks live long enough to be seen: the churn kills tasks launched `lifetime` seconds earlier
//    (a pool launched before the server starts, then its own launches), so every kill's name was
//    visible first, and a launch not seen before its kill counts as missed;
//  - answering during the churn is loadgen.ts at a fixed rate on core 1 as in the refresh section;
//  - CPU of the build thread from /proc/<pid>/task/<tid>/stat: the worker is the nice-19 thread
//    that did the most work reading the snapshot (zone/priority.ts lowers it and its helpers);
//  - bytes from the master are counted by the stand-in master itself (stream framing included).
import dgram from 'node:dgram';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { StateGen, Rng } from './gen-state.js';
import { computeRecords, positiveQueries, domainFrag, type RecordSet } from './expect.js';
import { sampleQueries, type Sample } from './check.js';
import { queryUdp } from '../test/support/dnsmsg.js';
import { memMiB, cpuSeconds, spawnPinned, sleep, threadStats, type Spawned, type ThreadCpu } from './proc.js';
import type { StandInMaster } from '../src/demo/master.js';
import type { Launched } from '../src/demo/cluster.js';
import { collectGarbage } from '../src/memory.js';
import { breakdown, tracesOf, STAGES, type SeenEvent } from './stream-trace.js';

/** What run.ts lends this section (its server launcher, checks and result tables). */
export interface StreamBenchContext {
  master: StandInMaster;
  argv: { opt(k: string, d: string): string; quick: boolean };
  rate: number;
  samples: number;
  loadCpu: string | null;
  tmp: string;
  root: string;
  log(...a: unknown[]): void;
  startServer(masterHostPort: string, refreshSeconds: number, tag: string, extra?: Record<string, unknown>, server?: string,
    run?: { args?: string[] }): Promise<{ proc: Spawned; port: number; httpPort: number; startedAt: number }>;
  waitFirstCorrect(s: { proc: Spawned; port: number }, rs: RecordSet, deadlineMs: number): Promise<{ firstReply: number; firstCorrect: number }>;
  mustBeCorrect(port: number, rs: RecordSet, samples: Sample[], what: string): Promise<void>;
  stop(p: Spawned): Promise<void>;
  row(r: { section: string; metric: string; value: number | string; unit: string; baseline?: number | string; target?: string; pass?: boolean; noisy?: boolean }): void;
  results: Record<string, unknown>;
  /** Busy seconds per CPU (/proc/stat) and the share of core 0 others used: marks noisy rows. */
  cpuBusy(): number[];
  otherLoad(b0: number[], b1: number[], ownCpuS: number, seconds: number): number;
}

const PROBE_TICK_MS = 3;
/** Long: a reply read late because this runner was not scheduled must not count as lost. */
const PROBE_TIMEOUT_MS = 2000;
const BURST = 32;
/** Queries of the probe in flight at most (a version that shows hundreds of events at once). */
const MAX_IN_FLIGHT = 256;

interface Ev {
  kind: 'launch' | 'kill';
  name: string;
  /** performance.now() when the event left the master. */
  at: number;
  /** performance.now() of the first reply that reflected it. */
  seen?: number;
  /** The launch of the same task (for a kill: probed only once the launch was seen). */
  launch?: Ev;
  inFlight?: boolean;
  /** A launch whose kill came before it was ever seen: counted as missed. */
  superseded?: boolean;
  /** Index in the probe's list. */
  idx?: number;
  /** Events the stand-in cluster had emitted since the subscription, this one's last record included (stream-trace.ts). */
  seq?: number;
}

/** The freshness probe: one UDP socket, oldest pending event first, bursts when events show. */
class Probe {
  readonly events: Ev[] = [];
  private next = 0; // index of the oldest event not yet seen
  private cursor = 0;
  // Replies of a burst arrive together: a default receive buffer (208 KiB) dropped hundreds of them.
  private readonly sock = dgram.createSocket({ type: 'udp4', recvBufferSize: 8 << 20 });
  private readonly pending = new Map<number, { ev: Ev; at: number }>();
  private id = 0;
  private timer: NodeJS.Timeout | null = null;
  queries = 0;
  timeouts = 0;
  /** Replies to no query in flight (arrived after their timeout). */
  late = 0;

  constructor(private readonly port: number, private readonly fqdn: (name: string) => string) {
    this.sock.on('message', (msg) => this.onReply(msg));
  }

  async open(): Promise<void> {
    await new Promise<void>((r) => this.sock.bind(0, '127.0.0.1', r));
    this.timer = setInterval(() => this.tick(), PROBE_TICK_MS);
  }

  add(ev: Ev): void { ev.idx = this.events.length; this.events.push(ev); }

  /** Can this event be asked about now? (A kill only once its launch was seen: NXDOMAIN says nothing before.) */
  private askable(e: Ev): boolean {
    return e.seen === undefined && !e.inFlight && !e.superseded && !(e.kind === 'kill' && e.launch !== undefined && e.launch.seen === undefined);
  }

  private reflected(ev: Ev, rcode: number, answers: number): boolean {
    return ev.kind === 'launch' ? rcode === 0 && answers > 0 : rcode === 3;
  }

  private ask(ev: Ev): void {
    if (!this.askable(ev)) return;
    this.id = (this.id + 1) & 0xffff;
    const q = dnsPacket.encode({ type: 'query', id: this.id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name: this.fqdn(ev.name), class: 'IN' }] });
    ev.inFlight = true;
    this.pending.set(this.id, { ev, at: performance.now() });
    this.queries++;
    this.sock.send(q, this.port, '127.0.0.1');
  }

  private onReply(msg: Buffer): void {
    const now = performance.now();
    if (msg.length < 12) return;
    const p = this.pending.get(msg.readUInt16BE(0));
    if (!p) { this.late++; return; }
    this.pending.delete(msg.readUInt16BE(0));
    p.ev.inFlight = false;
    const rcode = msg[3]! & 0x0f;
    const answers = msg.readUInt16BE(6);
    if (!this.reflected(p.ev, rcode, answers)) return;
    p.ev.seen = now;
    // Versions carry every event applied before them: the next ones probably show too.
    this.advance();
    let n = 0;
    for (let i = p.ev.idx! + 1; i < this.events.length && n < BURST && this.pending.size < MAX_IN_FLIGHT; i++) {
      const e = this.events[i]!;
      if (this.askable(e)) { this.ask(e); n++; }
    }
  }

  private advance(): void {
    while (this.next < this.events.length && (this.events[this.next]!.seen !== undefined || this.events[this.next]!.superseded)) this.next++;
  }

  private tick(): void {
    const now = performance.now();
    for (const [id, p] of this.pending) {
      if (now - p.at > PROBE_TIMEOUT_MS) { this.pending.delete(id); p.ev.inFlight = false; this.timeouts++; }
    }
    this.advance();
    // The oldest event not seen yet (unless its query is still out)…
    const head = this.events[this.next];
    if (head && this.askable(head)) this.ask(head);
    // …and one more in turn, for changes that do not show in order.
    const open = this.events.length - this.next;
    for (let k = 0; k < open; k++) {
      this.cursor = this.cursor + 1 < this.events.length && this.cursor + 1 > this.next ? this.cursor + 1 : this.next;
      const e = this.events[this.cursor]!;
      if (this.askable(e)) { this.ask(e); break; }
    }
  }

  /** Events still expected to show (a superseded launch never will). */
  get unseen(): number { return this.events.filter((e) => e.seen === undefined && !e.superseded).length; }

  close(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = null;
    this.sock.close();
  }
}

function stats(xs: number[]): { p50: number; p99: number; max: number; count: number } {
  const s = xs.slice().sort((a, b) => a - b);
  const at = (p: number) => (s.length ? s[Math.min(s.length - 1, Math.ceil(s.length * p) - 1)]! : NaN);
  return { p50: at(0.5), p99: at(0.99), max: s.length ? s[s.length - 1]! : NaN, count: s.length };
}

const threadCpu = (pid: number, tid: number) => threadStats(pid).find((t) => t.tid === tid)?.cpu ?? NaN;

async function metricsOf(httpPort: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  try {
    const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    for (const line of text.split('\n')) {
      if (!line || line.startsWith('#')) continue;
      const i = line.lastIndexOf(' ');
      out.set(line.slice(0, i), Number(line.slice(i + 1)));
    }
  } catch { /* not answering: the rows that need it say n/a */ }
  return out;
}

const r1 = (x: number) => Math.round(x * 10) / 10;
const r2 = (x: number) => Math.round(x * 100) / 100;
const MB = (b: number) => r1(b / 1e6);

export function streamOptions(ctx: Pick<StreamBenchContext, 'argv'>) {
  const { opt, quick } = ctx.argv;
  return {
    tasks: opt('stream-tasks', quick ? '10000' : '50000,10000').split(',').map(Number),
    duration: Number(opt('stream-duration', quick ? '15' : '60')),
    eventsPerSecond: Number(opt('stream-events', '200')),
    lifetime: Number(opt('stream-lifetime', quick ? '10' : '30')),
  };
}

export async function streamSection(ctx: StreamBenchContext): Promise<void> {
  const o = streamOptions(ctx);
  ctx.results.stream = [];
  for (const n of o.tasks) await streamSize(ctx, o, n);
}

async function streamSize(ctx: StreamBenchContext, o: ReturnType<typeof streamOptions>, tasks: number): Promise<void> {
  const { master, log } = ctx;
  const label = `${tasks / 1000}k`;
  const sec = `stream ${label}`;
  log(`stream: generating ${label}-task state`);
  const gen = new StateGen({ tasks, seed: 7000 + tasks, leader: `master@${master.hostPort}` });
  const rs = computeRecords(gen.state, { masters: [master.hostPort] });
  const samples = sampleQueries(rs, ctx.samples);
  const qfile = join(ctx.tmp, `q-stream-${tasks}.txt`);
  const lines = positiveQueries(rs);
  const rng = new Rng(13);
  for (let i = lines.length - 1; i > 0; i--) { const j = rng.int(i + 1); [lines[i], lines[j]] = [lines[j]!, lines[i]!]; }
  writeFileSync(qfile, lines.join('\n') + '\n');
  const stateBody = gen.serialize();
  master.setState(stateBody); // a new live cluster: streams of an earlier size end
  const cluster = master.cluster();
  // The pool the churn kills first: launched before the server subscribes, so in its snapshot.
  const kills = o.eventsPerSecond / 2;
  const pool: Launched[] = [];
  for (let i = 0; i < Math.round(kills * o.lifetime); i++) pool.push(cluster.launch());
  const frameworkFrag = domainFrag(pool[0]?.frameworkName ?? 'marathon');
  const fqdn = (name: string) => `${name}.${frameworkFrag}.mesos`;

  const bytes0 = master.streamBytes;
  const req0 = master.requests;
  // -v: each version's 'stream update' line carries its trace, for the breakdown by stage (stream-trace.ts).
  const s = await ctx.startServer(master.hostPort, 60, `stream-${tasks}`, { StateSource: 'stream' }, undefined, { args: ['-v'] });
  let unsubscribe = () => {};
  let probe: Probe | null = null;
  try {
    const { firstCorrect } = await ctx.waitFirstCorrect(s, rs, 240_000);
    await ctx.mustBeCorrect(s.port, rs, samples, `${label}-task state, stream`);
    const snapshotBytes = master.streamBytes - bytes0;
    // The first zone was polled; the stream's own first version (its SUBSCRIBED snapshot, built
    // whole) must be in before the churn, or the first events queue behind that build.
    const streamDeadline = performance.now() + 240_000;
    while (!s.proc.stderrLines.some((l) => l.includes('"msg":"stream update"'))) {
      if (performance.now() > streamDeadline) throw new Error('the stream published no version within 240 s');
      await sleep(50);
    }
    await sleep(500);
    // Every pool task answers before the churn starts (its kill must be a visible change).
    for (const l of pool) {
      const r = await queryUdp('127.0.0.1', s.port, fqdn(l.name), 'A', 1000);
      if (!r || r.rcode !== 'NOERROR' || !r.answers.length) throw new Error(`pool task ${fqdn(l.name)} does not answer before the churn (${r?.rcode ?? 'no reply'})`);
    }
    // The build worker thread: the nice-19 thread with the most CPU (it read the snapshot).
    const helpers = threadStats(s.proc.pid).filter((t) => t.nice === 19);
    const worker = helpers.reduce<ThreadCpu | null>((a, b) => (a && a.cpu >= b.cpu ? a : b), null);
    if (!worker) throw new Error('no nice-19 thread found in the server: cannot tell the build worker');
    log(`stream: build worker thread ${worker.tid} (${worker.comm}, ${r1(worker.cpu)} s CPU so far); ${helpers.length} nice-19 threads`);
    collectGarbage(); // this runner's garbage (states, records) must not be collected during the load
    const m0 = await metricsOf(s.httpPort);

    probe = new Probe(s.port, fqdn);
    await probe.open();
    const launches = new Map<string, Ev>();
    for (const l of pool) launches.set(l.id, { kind: 'launch', name: l.name, at: 0, seen: 0 });
    log(`stream: ${o.eventsPerSecond} task events/s for ${o.duration} s (tasks live ${o.lifetime} s), ${ctx.rate} q/s`);
    const loadgen = spawnPinned(ctx.loadCpu, 'nice', [
      '-n', '-10', process.execPath, join(ctx.root, 'dist', 'bench', 'loadgen.js'),
      `--port=${s.port}`, `--file=${qfile}`, `--rate=${ctx.rate}`, `--duration=${o.duration + 2}`, '--timeout=1',
    ]);
    await sleep(1500); // the load generator's start and its own warm-up second (not measured)
    // This runner hosts the master (its events' timestamps) and the probe: it must not wait behind
    // the load generator on core 1, so it runs at the same priority during the churn, and its own
    // event-loop delay is reported (a probe reply read late would add to freshness).
    let prio: number | null = null;
    try { prio = os.getPriority(); os.setPriority(-10); } catch { prio = null; log('stream: could not raise the runner\'s priority (its delay is reported)'); }
    const lag = monitorEventLoopDelay({ resolution: 1 });
    lag.enable();
    const cpuW0 = threadCpu(s.proc.pid, worker.tid);
    const helpers0 = threadStats(s.proc.pid).filter((t) => t.nice === 19).reduce((a, t) => a + t.cpu, 0);
    const cpu0 = cpuSeconds(s.proc.pid);
    const busy0 = ctx.cpuBusy();
    const streamBytes0 = master.streamBytes;
    const t0 = performance.now();
    let launched = 0, killed = 0;
    // The stream's events counted as the subscriber counts them (it subscribed before the pool's
    // events ended; none is emitted between its snapshot and here).
    let seq = 0;
    unsubscribe = cluster.subscribe(() => { seq++; });
    cluster.setChurn(o.eventsPerSecond, {
      pool,
      onLaunch: (l) => {
        const ev: Ev = { kind: 'launch', name: l.name, at: performance.now(), seq };
        launches.set(l.id, ev);
        probe!.add(ev);
        launched++;
      },
      onKill: (id, name) => {
        const at = performance.now();
        const launch = launches.get(id);
        launches.delete(id);
        killed++;
        if (launch && launch.seen === undefined) {
          // Killed before it was ever seen: the launch is missed, and the kill changes nothing a
          // user could see (left out of the kill figures).
          launch.superseded = true;
          return;
        }
        probe!.add({ kind: 'kill', name, at, launch, seq });
      },
    });
    await sleep(o.duration * 1000);
    cluster.setChurn(0);
    const churnS = (performance.now() - t0) / 1000;
    let loadgenCpu = NaN;
    try { loadgenCpu = cpuSeconds(loadgen.pid); } catch { /* already exited */ }
    const streamBytes = master.streamBytes - streamBytes0;
    const mem = memMiB(s.proc.pid);
    // Everything applied is published within a few versions; wait for the last ones to show.
    const settleEnd = performance.now() + 60_000;
    while (probe.unseen > 0 && performance.now() < settleEnd) await sleep(50);
    const cpuW = threadCpu(s.proc.pid, worker.tid) - cpuW0;
    const helpersCpu = threadStats(s.proc.pid).filter((t) => t.nice === 19).reduce((a, t) => a + t.cpu, 0) - helpers0;
    const cpuAll = cpuSeconds(s.proc.pid) - cpu0;
    const other = ctx.otherLoad(busy0, ctx.cpuBusy(), cpuAll, (performance.now() - t0) / 1000);
    const noisy = other > 0.1;
    lag.disable();
    const lagMs = { p99: lag.percentile(99) / 1e6, max: lag.max / 1e6 };
    if (prio !== null) try { os.setPriority(prio); } catch { /* stays raised */ }
    const code = await loadgen.exited;
    const lgLine = loadgen.stdoutLines.find((l) => l.startsWith('{'));
    if (code !== 0 || !lgLine) throw new Error(`loadgen failed (${code}): ${loadgen.stderrLines.join(' ')}`);
    const lg = JSON.parse(lgLine) as Record<string, any>;
    const m1 = await metricsOf(s.httpPort);
    probe.close();
    await ctx.mustBeCorrect(s.port, rs, samples, `after the ${label} churn`);

    const evs = probe.events;
    const fresh = (k: Ev['kind']) => {
      const of = evs.filter((e) => e.kind === k);
      const seen = of.filter((e) => e.seen !== undefined && !e.superseded).map((e) => e.seen! - e.at);
      return { ...stats(seen), events: of.length, missed: of.length - seen.length };
    };
    const fl = fresh('launch');
    const fk = fresh('kill');
    const seenEvs: SeenEvent[] = evs.filter((e) => e.seen !== undefined && !e.superseded && e.seq !== undefined)
      .map((e) => ({ kind: e.kind, at: e.at, seen: e.seen!, seq: e.seq! }));
    const bd = breakdown(seenEvs, tracesOf(s.proc.stderrLines));
    const events = launched + killed;
    const versions = (m1.get('mesos_dns_state_loads_total') ?? NaN) - (m0.get('mesos_dns_state_loads_total') ?? NaN);
    // Bytes per hour: the stream's events at this rate, one snapshot per hour (one subscription),
    // and the reconciliations (a full state each ReconcileSeconds, default 600); polling reads the
    // whole state every refreshSeconds (60).
    const stateBytes = cluster.stateBytes().length;
    const eventsPerHour = (streamBytes / churnS) * 3600;
    const reconcilePerHour = (3600 / 600) * stateBytes;
    const streamPerHour = eventsPerHour + snapshotBytes + reconcilePerHour;
    const pollPerHour = (3600 / 60) * stateBytes;
    const lat = lg.latencyMs as Record<string, number>;
    const res = {
      tasks, poolTasks: pool.length, lifetimeS: o.lifetime, eventsPerSecond: o.eventsPerSecond, durationS: churnS,
      events: { launched, killed }, freshnessMs: { launch: fl, kill: fk },
      probe: { tickMs: PROBE_TICK_MS, queries: probe.queries, timeouts: probe.timeouts, late: probe.late, runnerLoopDelayMs: lagMs, runnerPriorityRaised: prio !== null },
      loadgenCpuS: loadgenCpu, otherLoadCore0: other,
      versionsPublished: versions,
      buildThread: { tid: worker.tid, comm: worker.comm, cpuS: cpuW, cpuPer1000EventsS: (cpuW / events) * 1000 },
      helperThreadsCpuS: helpersCpu, serverCpuS: cpuAll,
      rssMiB: mem.rss, peakRssMiB: mem.hwm,
      bytes: { snapshot: snapshotBytes, streamDuringChurn: streamBytes, perEvent: streamBytes / Math.max(1, events), state: stateBytes, streamPerHour, pollPerHour },
      startToFirstCorrectMs: firstCorrect - s.startedAt,
      masterRequests: master.requests - req0,
      loadgen: lg,
      stages: bd,
    };
    (ctx.results.stream as unknown[]).push(res);

    const row = ctx.row;
    row({ section: sec, metric: `churn: ${o.eventsPerSecond} events/s for ${r1(churnS)} s (launched / killed; tasks live ${o.lifetime} s)`, value: `${launched} / ${killed}`, unit: '' });
    for (const [k, f] of [['launch → name answers', fl], ['kill → NXDOMAIN', fk]] as const) {
      row({ section: sec, metric: `freshness ${k}: p50 / p99 / max (count)`, value: `${Math.round(f.p50)} / ${Math.round(f.p99)} / ${Math.round(f.max)} (${f.count})`, unit: 'ms', target: 'p99 ≤ 250 ms', pass: f.p99 <= 250, noisy });
      row({ section: sec, metric: `  ${k.split(' ')[0]}s missed (never answered)`, value: f.missed, unit: '', target: '0', pass: f.missed === 0 });
    }
    row({ section: sec, metric: `  zone versions published during the churn (/metrics loads)`, value: Number.isNaN(versions) ? 'n/a' : versions, unit: '' });
    row({ section: sec, metric: `  probe: queries sent (every ${PROBE_TICK_MS} ms, oldest first) / timed out`, value: `${probe.queries} / ${probe.timeouts}`, unit: '' });
    row({ section: sec, metric: `  load generator CPU (s per s of churn, core 1)`, value: r1(loadgenCpu / churnS * 100) / 100, unit: '' });
    row({ section: sec, metric: `  probe's own event-loop delay p99 / max (runner, core 1; adds to freshness)`, value: `${r1(lagMs.p99)} / ${r1(lagMs.max)}`, unit: 'ms' });
    if (bd.matched > 0) {
      const ms = (x: number) => (x >= 10 ? Math.round(x) : r1(x));
      row({ section: sec, metric: `  where the time goes (${bd.matched} of ${bd.events} events matched to ${bd.versions} version traces): stage p50 / p99 / max; mean in the slowest 1% (${bd.tailCount})`, value: '', unit: '' });
      for (const k of STAGES) {
        const x = bd.stages[k]!;
        row({ section: sec, metric: `    ${k}`, value: `${ms(x.p50)} / ${ms(x.p99)} / ${ms(x.max)}; ${ms(bd.tail[k]!)}`, unit: 'ms' });
      }
      row({ section: sec, metric: `  versions built whole (reason: count)`, value: Object.entries(bd.full).map(([k, n]) => `${k}: ${n}`).join(', ') || 'none', unit: '' });
      row({ section: sec, metric: `  per version (worker): p50 / p99 / max`, value: '', unit: '' });
      for (const [k, x] of Object.entries(bd.perVersion)) row({ section: sec, metric: `    ${k}`, value: `${ms(x.p50)} / ${ms(x.p99)} / ${ms(x.max)}`, unit: k.startsWith('events') ? '' : 'ms' });
    } else {
      row({ section: sec, metric: `  where the time goes: no version trace in the server's log (a server without stream/trace.ts)`, value: 'n/a', unit: '' });
    }
    row({ section: sec, metric: `answering during churn: sent / achieved rate`, value: `${lg.sent} / ${lg.achievedRate}`, unit: 'q/s' });
    row({ section: sec, metric: `  lost queries (no reply within 1 s)`, value: lg.lost, unit: '', target: '0', pass: lg.lost === 0 });
    row({ section: sec, metric: `  latency p50 / p99`, value: `${r2(lat.p50!)} / ${r2(lat.p99!)}`, unit: 'ms', target: 'p99 ≤ 5 ms', pass: lat.p99! <= 5, noisy });
    row({ section: sec, metric: `  latency max`, value: r1(lat.max!), unit: 'ms', target: '≤ 50 ms', pass: lat.max! <= 50, noisy });
    if (noisy) row({ section: sec, metric: `  WARNING: other load on core 0 (fraction of the core)`, value: r2(other), unit: '' });
    row({ section: sec, metric: `  load generator >10 ms behind its schedule (ticks)`, value: lg.lateTicks, unit: '' });
    row({ section: sec, metric: `build thread CPU per 1000 events (tid ${worker.tid}; all nice-19 threads)`, value: `${r1((cpuW / events) * 1000)} (${r1((helpersCpu / events) * 1000)})`, unit: 's' });
    row({ section: sec, metric: `server CPU during the churn (all threads)`, value: r1(cpuAll), unit: 's' });
    row({ section: sec, metric: `RSS at the end of the churn (peak)`, value: `${Math.round(mem.rss)} (${Math.round(mem.hwm)})`, unit: 'MiB', target: '≤ 300 MiB', pass: mem.rss <= 300 });
    row({ section: sec, metric: `bytes from the master: snapshot / per event`, value: `${MB(snapshotBytes)} MB / ${Math.round(streamBytes / Math.max(1, events))} B`, unit: '' });
    row({ section: sec, metric: `bytes from the master per hour: stream (events + 1 snapshot + 6 reconciles) vs polling every 60 s`, value: `${MB(streamPerHour)} vs ${MB(pollPerHour)}`, unit: 'MB' });
  } finally {
    unsubscribe();
    probe?.close();
    master.cluster().setChurn(0);
    await ctx.stop(s.proc);
  }
}
