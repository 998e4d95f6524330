// The `forward` section: forwarded queries against a local BIND (test/support/named.ts, on the load core),
// cache hit and cache miss (unique names), beside the authoritative A rate of the same server in
// the same run, so forwarding reads as a fraction of what this server does from its own zone.
import { writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { StateGen, FIXED } from './gen-state.js';
import { computeRecords } from './expect.js';
import { sampleQueries } from './check.js';
import { queryUdp } from '../test/support/dnsmsg.js';
import { stop } from './proc.js';
import { startNamed } from '../test/support/named.js';
import type { StandInMaster } from '../src/demo/master.js';
import { log, NOISY, r1, r3, waitFirstCorrect, mustBeCorrect, type Bench, type Server } from './harness.js';

/** Writes `count` lines `<prefix><i>.<zone> A` in chunks (the miss file is ~45 MB). */
function writeUniqueNames(file: string, prefix: string, zone: string, count: number): void {
  writeFileSync(file, '');
  const chunk = 100_000;
  for (let i = 0; i < count; i += chunk) {
    const lines: string[] = [];
    for (let j = i; j < Math.min(count, i + chunk); j++) lines.push(`${prefix}${j}.${zone} A`);
    appendFileSync(file, lines.join('\n') + '\n');
  }
}

const FWD_ZONE = 'example.test';
const FWD_WWW = { name: `www.${FWD_ZONE}`, addr: '192.0.2.10' };
const FWD_WILDCARD_ADDR = '192.0.2.1';

/** A forwarded query must come back NOERROR with exactly `addr`. */
async function mustForward(port: number, name: string, addr: string): Promise<void> {
  const r = await queryUdp('127.0.0.1', port, name, 'A', 2000);
  const got = r?.answers.filter((a) => a.type === 'A').map((a) => String((a as { data?: unknown }).data)).join(' ');
  if (!r || r.rcode !== 'NOERROR' || got !== addr) {
    throw new Error(`forwarded ${name} A: expected NOERROR ${addr}, got ${r ? `${r.rcode} [${got}]` : 'no reply'}`);
  }
}

export async function forwarding(b: Bench, master: StandInMaster): Promise<void> {
  const { O, rows, results, tmp, loadCpu: LOAD_CPU, startServer, measureDnsperf } = b;
  const zone = [
    '$TTL 300',
    `@ IN SOA ns.${FWD_ZONE}. hostmaster.${FWD_ZONE}. 1 3600 600 86400 300`,
    '@ IN NS ns',
    'ns IN A 127.0.0.1',
    `www 300 IN A ${FWD_WWW.addr}`,
    `* 300 IN A ${FWD_WILDCARD_ADDR}`,
  ].join('\n') + '\n';
  log(`forward: starting named (authoritative for ${FWD_ZONE}) on ${LOAD_CPU === null ? 'any core' : `core ${LOAD_CPU}, with dnsperf`}`);
  const named = await startNamed({ zones: [{ name: FWD_ZONE, content: zone }], cpu: LOAD_CPU, querylog: false, statistics: true });
  let server: Server | null = null;
  try {
    const tasks = O.forwardTasks;
    log(`forward: generating ${tasks}-task state and query files (${O.missNames} unique names)`);
    const gen = new StateGen({ tasks, seed: 1, leader: `master@${master.hostPort}` });
    master.setState(gen.serialize());
    const rs = computeRecords(gen.state, { masters: [master.hostPort] });
    const files = { a: join(tmp, 'fq-a.txt'), hit: join(tmp, 'fq-hit.txt'), miss: join(tmp, 'fq-miss.txt'), missWarm: join(tmp, 'fq-miss-warm.txt') };
    writeFileSync(files.a, `${FIXED.a3Name} A\n`);
    writeFileSync(files.hit, `${FWD_WWW.name} A\n`);
    writeUniqueNames(files.miss, 'q', FWD_ZONE, O.missNames);
    // The warm-up asks other names (w<N>), so every name of the timed run is new to the cache.
    writeUniqueNames(files.missWarm, 'w', FWD_ZONE, Math.max(100_000, O.warmup * 200_000));

    server = await startServer(master.hostPort, 3600, 'forward', {
      externalon: true,
      resolvers: [`127.0.0.1:${named.port}`],
      CacheOn: true,
    });
    await waitFirstCorrect(server, rs, 120_000);
    const samples = sampleQueries(rs, O.samples);
    await mustBeCorrect(server.port, rs, samples, `${tasks}-task state, forwarding on`);
    await mustForward(server.port, FWD_WWW.name, FWD_WWW.addr);
    await mustForward(server.port, `check-1.${FWD_ZONE}`, FWD_WILDCARD_ADDR);
    log('forward: forwarded answers correct');

    const loads = [
      { key: 'authoritativeA', label: `authoritative A, task with 3 addresses (reference)`, file: files.a, warm: files.a },
      { key: 'hit', label: `forwarded, cache hit (${FWD_WWW.name} A)`, file: files.hit, warm: files.hit, target: 0.9 },
      { key: 'miss', label: `forwarded, cache miss (unique names)`, file: files.miss, warm: files.missWarm, minQps: 31_000 },
    ];
    const out: Record<string, unknown>[] = [];
    let authQps = NaN;
    for (const L of loads) {
      log(`forward: ${L.label}`);
      const up: { before: number | null; after: number | null } = { before: null, after: null };
      const m = await measureDnsperf(server.proc, server.port, L.file, 'server', L.warm, {
        before: async () => void (up.before = await named.queriesReceived()),
        after: async () => void (up.after = await named.queriesReceived()),
      });
      const upstream = up.before !== null && up.after !== null ? up.after - up.before : null;
      const rcodeOk = m.r.completed > 0 && (m.r.rcodes.NOERROR ?? 0) >= m.r.completed * 0.999;
      const repeated = L.key === 'miss' && m.r.sent > O.missNames;
      const fromCache = upstream === null ? null : 1 - upstream / Math.max(1, m.r.completed);
      const noisy = m.otherCore0 > NOISY;
      out.push({ load: L.key, label: L.label, ...m, upstreamQueries: upstream, answeredFromCache: fromCache, rcodeOk, namesRepeated: repeated });
      const bad = `${rcodeOk ? '' : ` WRONG RCODES ${JSON.stringify(m.r.rcodes)}`}${repeated ? ` NAMES REPEATED (${m.r.sent} sent > ${O.missNames} names, use --miss-names)` : ''}`;
      if (L.key === 'authoritativeA') {
        authQps = m.r.qps;
        rows.push({ section: 'forward', metric: `${L.label} (q/s)${bad}`, value: Math.round(m.r.qps), unit: 'q/s', pass: rcodeOk ? undefined : false, noisy });
      } else {
        const ratio = m.r.qps / authQps;
        const pass = rcodeOk && !repeated && (L.target !== undefined ? ratio >= L.target : m.r.qps > L.minQps!);
        rows.push({
          section: 'forward',
          metric: `${L.label} (q/s)${bad}`,
          value: Math.round(m.r.qps),
          unit: 'q/s',
          baseline: Math.round(authQps),
          ratio,
          target: L.target !== undefined ? `≥ ${Math.round(L.target * 100)}% of auth. A` : `> ${L.minQps} q/s`,
          pass,
          noisy,
        });
      }
      rows.push({ section: 'forward', metric: `  lost queries`, value: m.r.lost, unit: '' });
      rows.push({ section: 'forward', metric: `  server CPU s per 100k answers`, value: r3(m.cpuPer100k), unit: 's' });
      rows.push({ section: 'forward', metric: `  server busy (CPU s / run s; ~1 = server-bound)`, value: r3(m.coreBusy), unit: '' });
      if (L.key !== 'authoritativeA') {
        rows.push({
          section: 'forward',
          metric: `  answered from cache (1 − queries named received / answers)`,
          value: fromCache === null ? 'n/a' : `${r1(fromCache * 100)}%`,
          unit: '',
        });
      }
      if (noisy) rows.push({ section: 'forward', metric: `  WARNING: other load on core 0 (fraction of the core)`, value: r3(m.otherCore0), unit: '' });
    }
    await mustBeCorrect(server.port, rs, samples, 'after the forwarding runs');
    await mustForward(server.port, FWD_WWW.name, FWD_WWW.addr);
    results.forward = {
      tasks,
      upstream: `named (BIND), authoritative for ${FWD_ZONE}, ${LOAD_CPU === null ? 'unpinned' : `core ${LOAD_CPU} (shared with dnsperf)`}`,
      missNames: O.missNames,
      seconds: O.seconds,
      dnsperf: { clients: O.clients, outstanding: O.outstanding },
      loads: out,
    };
  } finally {
    if (server) await stop(server.proc);
    await named.stop();
  }
}
