// Answering threads (AnswerThreads, threads/pool.ts), with 1 and with 2 where the runtime has
// reusePort: whole answers over UDP and TCP from every thread (dig from many source ports), zone
// transfers from whichever thread accepts, /metrics equal to the sum of the threads' counters, a
// reload reaching every thread, a zone swap under load answering only old-or-new, a killed thread
// started again, lameduck; the refresh line's loop delay only where this thread answers. On a runtime without reusePort (Node 20), AnswerThreads 2 is a config
// error naming the key, and "auto" answers on one thread. Real server (main thread in this
// process, from dist/ as bin/mesos-dns runs it), real stand-in master, real dig, real UDP/TCP.
import t, { type Test } from 'tap';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RunningServer } from '../src/server.js';
import type { Config } from '../src/config/types.js';
import { defaultConfig, settingsOf } from '../src/config/load.js';
import { createLogger } from '../src/log.js';
import { reusePortUnsupported } from '../src/dns/reuseport.js';
import { TYPE_SLOTS } from '../src/dns/metrics.js';
import type { ThreadStats } from '../src/threads/pool.js';
import { startStandInMaster, rewriteLeader, type StandInMaster } from '../src/demo/master.js';
import { buildQuery, decode } from './support/dnsmsg.js';
import { dig, type DigResult } from './support/dig.js';
import { whole } from './support/stream.js';
import { metricValues, delta } from './support/metrics.js';
import { tcpTransfer } from './support/xfr-client.js';
import { freePort, waitFor, ROOT } from './support/procs.js';

// Its worker threads load compiled modules next to it, so the server runs from dist/ (built first).
const { startServer } = await import(pathToFileURL(join(ROOT, 'dist', 'src', 'server.js')).href) as typeof import('../src/server.js');

const fixtureText = readFileSync(join(ROOT, 'test', 'fixtures', 'fake.json'), 'utf8');
const OLD = ['1.2.3.11', '1.2.3.12'];
const NEW = ['1.2.4.11', '1.2.4.12'];
// The same cluster with every task address moved: liquor-store's two A records change together.
const newText = fixtureText.replaceAll('1.2.3.1', '1.2.4.1');
const LIQUOR = 'liquor-store.marathon.mesos.';

const why = await reusePortUnsupported();

async function configFor(master: StandInMaster, over: Partial<Config>): Promise<Config> {
  return {
    ...defaultConfig(), Masters: [`127.0.0.1:${master.port}`], Listener: '127.0.0.1', Port: 0,
    HTTPListener: '127.0.0.1', HttpPort: await freePort(), ExternalOn: false, RefreshSeconds: 3600,
    StateSource: 'poll', ShutdownGraceSeconds: 0, ...over,
  };
}
const start = async (master: StandInMaster, over: Partial<Config>) => startServer(settingsOf(await configFor(master, over)), createLogger(0));

/** Send `query` from a fresh socket (a new source port) and resolve with the reply, or null after `ms`. */
function ask(port: number, query: Buffer, ms = 2000): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const done = (b: Buffer | null) => { clearTimeout(timer); s.close(); resolve(b); };
    const timer = setTimeout(() => done(null), ms);
    s.on('message', (m) => done(m));
    s.send(query, port, '127.0.0.1');
  });
}
const aSet = (b: Buffer) => decode(b).answer.map((r) => String(r.data)).sort().join();

/** Run `n` async jobs, `width` at a time. */
async function pool<T>(n: number, width: number, job: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => { while (next < n) { const i = next++; out[i] = await job(i); } }));
  return out;
}

/** Requests each thread has counted, by transport (the single thread: this process's counters). */
async function perThread(s: RunningServer): Promise<{ udp: number; tcp: number; axfr: number }[]> {
  const p = s.answerThreads();
  const count = (d: ThreadStats['dns'], proto: number) => d.requests.subarray(proto * TYPE_SLOTS, (proto + 1) * TYPE_SLOTS).reduce((a, b) => a + b, 0);
  if (!p) return [];
  return (await p.stats()).map((x) => ({ udp: count(x.dns, 0), tcp: count(x.dns, 1), axfr: x.xfr.AXFR.results.full }));
}
const minus = (a: { udp: number; tcp: number; axfr: number }[], b: typeof a) => a.map((x, i) => ({ udp: x.udp - b[i]!.udp, tcp: x.tcp - b[i]!.tcp, axfr: x.axfr - b[i]!.axfr }));

if (why !== null) {
  t.test('no reusePort on this runtime: AnswerThreads 2 is a config error naming the key; "auto" answers on one thread', async (t) => {
    const master = await startStandInMaster({ host: '127.0.0.1', port: 0, state: {} });
    t.teardown(() => master.close());
    master.setState(rewriteLeader(JSON.parse(fixtureText) as object, `127.0.0.1:${master.port}`));
    await t.rejects(start(master, { AnswerThreads: 2 }), {
      name: 'ConfigError', key: 'AnswerThreads',
      message: /^config key "AnswerThreads": 2 threads need a runtime that can bind the DNS port from several sockets \(SO_REUSEPORT\): .*reusePort.*; use 1 or "auto" on this runtime$/,
    });
    const s = await start(master, { AnswerThreads: 'auto' });
    t.teardown(() => s.close());
    t.equal(s.answerThreads(), null, 'auto: one thread');
    await s.refreshNow();
    t.equal(aSet((await ask(s.dnsPort!, buildQuery(LIQUOR, 'A')))!), OLD.join(), 'and it answers');
  });
}

for (const n of why === null ? [1, 2] : [1]) t.test(`AnswerThreads ${n}`, (t) => suite(t, n));

// With answering threads the main thread answers nothing: its loop-delay monitor (a 5 ms timer,
// 200 wakeups a second) is not run, and the refresh line leaves the figure out.
t.test('the refresh line: loopDelayMaxMs from the thread that answers; left out when threads answer', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mdns-threads-log-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const n of why === null ? [1, 2] : [1]) {
    const master = await startStandInMaster({ host: '127.0.0.1', port: 0, state: {} });
    master.setState(rewriteLeader(JSON.parse(fixtureText) as object, `127.0.0.1:${master.port}`));
    const file = join(dir, `log-${n}.json`);
    const server = await startServer(settingsOf(await configFor(master, { AnswerThreads: n })), createLogger(0, file));
    try { await server.refreshNow(); } finally { await server.close(); await master.close(); }
    const line = await waitFor('the refresh line', () => readFileSync(file, 'utf8').split('\n').filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'refresh'), 5000);
    if (n === 1) t.type(line.loopDelayMaxMs, 'number', '1 thread: the answering (main) thread\'s loop delay');
    else t.notOk('loopDelayMaxMs' in line, `${n} threads: no loop delay of a thread that answers nothing`);
  }
});

async function suite(t: Test, n: number): Promise<void> {
  const master = await startStandInMaster({ host: '127.0.0.1', port: 0, state: {} });
  master.setState(rewriteLeader(JSON.parse(fixtureText) as object, `127.0.0.1:${master.port}`));
  const cfg = await configFor(master, { AnswerThreads: n, TTL: 60 });
  const server = await startServer(settingsOf(cfg), createLogger(0));
  let closed = false;
  t.teardown(async () => { if (!closed) await server.close(); await master.close(); });
  await server.refreshNow();
  const port = server.dnsPort!;
  const config = await (await fetch(`http://127.0.0.1:${server.httpPort}/v1/config`)).json() as Config;

  t.test('threads and /v1/config', async (t) => {
    t.equal(config.AnswerThreads, n, '/v1/config shows the threads running');
    const p = server.answerThreads();
    if (n === 1) { t.equal(p, null, 'one thread: this one answers'); return; }
    t.equal(p!.count, n);
    t.equal(p!.port, port, 'every thread on the one port');
  });

  t.test('whole answers over UDP and TCP, the same from every thread', async (t) => {
    const before = await perThread(server);
    const asks = [[LIQUOR, 'A'], ['_liquor-store._tcp.marathon.mesos.', 'SRV'], ['no-such-task.marathon.mesos.', 'A']] as const;
    for (const [name, type] of asks) {
      // Each dig has its own source port (UDP) or connection (TCP): the kernel spreads them.
      const udp = await pool(16, 4, () => dig(port, name, type));
      const tcp = await pool(16, 4, () => dig(port, name, type, { tcp: true }));
      const first = whole(udp[0]!);
      for (const [i, r] of [...udp, ...tcp].entries()) t.same(whole(r), first, `${name} ${type} #${i} (${i < 16 ? 'udp' : 'tcp'}) equals the first answer`);
      if (type === 'A' && name === LIQUOR) {
        t.same(udp[0]!.answer.map((r: DigResult['answer'][number]) => `${r.name} ${r.ttl} ${r.type} ${r.rdata}`).sort(),
          OLD.map((ip) => `${LIQUOR} 60 A ${ip}`), 'the zone\'s two addresses');
        t.equal(udp[0]!.status, 'NOERROR');
        t.ok(udp[0]!.flags.includes('aa'), 'authoritative');
      }
      if (name.startsWith('no-such')) t.equal(udp[0]!.status, 'NXDOMAIN');
    }
    if (n === 1) return;
    const counts = minus(await perThread(server), before);
    for (const [i, c] of counts.entries()) {
      t.ok(c.udp > 0, `thread ${i} answered UDP (${c.udp} of 48)`);
      t.ok(c.tcp > 0, `thread ${i} answered TCP (${c.tcp} of 48)`);
    }
  });

  t.test('zone transfers: AXFR over TCP from whichever thread accepts, all the same', async (t) => {
    const before = await perThread(server);
    const q = buildQuery('mesos', 'AXFR');
    const replies = await pool(16, 4, () => tcpTransfer(port, q, 20_000));
    const recs = (r: (typeof replies)[number]) => r.messages.flatMap((m) => m.answer.map((a) => JSON.stringify(a)));
    const first = recs(replies[0]!);
    t.ok(first.length > 10, `the zone: ${first.length} records`);
    t.equal(replies[0]!.messages[0]!.rcode, 'NOERROR');
    t.match(first[0], /"type":"SOA"/, 'opens with the SOA');
    t.equal(first[first.length - 1], first[0], 'closes with the same SOA');
    for (const [i, r] of replies.entries()) t.same(recs(r), first, `transfer #${i} equals the first`);
    if (n === 1) return;
    const counts = minus(await perThread(server), before);
    t.equal(counts.reduce((a, c) => a + c.axfr, 0), 16, `AXFRs per thread: ${counts.map((c) => c.axfr).join(' / ')}`);
    t.ok(counts.every((c) => c.axfr > 0), 'every thread served some');
  });

  t.test('/metrics: the threads\' counters summed', async (t) => {
    const key = 'mesos_dns_dns_requests_total{proto="udp",type="A"}';
    const m0 = await metricValues(server.httpPort!);
    const replies = await pool(200, 20, () => ask(port, buildQuery(LIQUOR, 'A')));
    t.equal(replies.filter((r) => r !== null && aSet(r) === OLD.join()).length, 200, 'every query answered');
    const m1 = await metricValues(server.httpPort!);
    t.equal(delta(m0, m1, key), 200, 'requests counted once each, whichever thread answered');
    t.equal(delta(m0, m1, 'mesos_dns_dns_responses_total{zone="authoritative",rcode="NOERROR"}'), 200);
    if (n === 1) return;
    const threads = await server.answerThreads()!.stats();
    const udpA = threads.map((s) => s.dns.requests[1]!);
    t.equal(udpA.reduce((a, b) => a + b, 0), m1.get(key), `/metrics = the sum of the threads (${udpA.join(' + ')})`);
  });

  t.test('a zone swap under load: every answer is the old zone or the new one, none lost', async (t) => {
    const q = buildQuery(LIQUOR, 'A');
    let sent = 0, answered = 0, oldSeen = 0, newSeen = 0;
    const mixed: string[] = [];
    let stop = false;
    const client = async () => {
      while (!stop) {
        sent++;
        const r = await ask(port, q);
        if (!r) continue;
        answered++;
        const got = aSet(r);
        if (got === OLD.join()) oldSeen++;
        else if (got === NEW.join()) newSeen++;
        else mixed.push(got);
      }
    };
    const clients = Array.from({ length: 4 }, client);
    await new Promise((r) => setTimeout(r, 200));
    master.setState(rewriteLeader(JSON.parse(newText) as object, `127.0.0.1:${master.port}`));
    await server.refreshNow();
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await Promise.all(clients);
    t.same(mixed, [], 'no answer mixes the two zones');
    t.equal(answered, sent, `every one of ${sent} queries answered`);
    t.ok(oldSeen > 0 && newSeen > 0, `answers from both versions under load (old ${oldSeen}, new ${newSeen})`);
    const after = await pool(64, 16, () => ask(port, q));
    t.ok(after.every((r) => r && aSet(r) === NEW.join()), 'after the swap: the new zone, from every thread');
  });

  t.test('reload: a new TTL reaches every thread; AnswerThreads waits for the next start', async (t) => {
    const before = await perThread(server);
    await server.reload(settingsOf({ ...cfg, TTL: 77, AnswerThreads: n + 1 }));
    const replies = await pool(48, 8, () => dig(port, LIQUOR, 'A'));
    t.ok(replies.every((r) => r.answer.length === 2 && r.answer.every((a) => a.ttl === 77)), 'every answer has the new TTL');
    const shown = await (await fetch(`http://127.0.0.1:${server.httpPort}/v1/config`)).json() as Config;
    t.equal(shown.AnswerThreads, n, 'the running thread count, not the reloaded one');
    t.equal(shown.TTL, 77);
    if (n === 1) return;
    t.equal(server.answerThreads()!.count, n);
    const counts = minus(await perThread(server), before);
    t.ok(counts.every((c) => c.udp > 0), `every thread answered after the reload: ${counts.map((c) => c.udp).join(' / ')}`);
  });

  t.test('reload: TransferAllowFrom reaches every thread', async (t) => {
    // A thread's transfer handler used to keep the allow-list it started with.
    const refused = async () => (await server.answerThreads()?.stats() ?? []).map((x) => x.xfr.AXFR.results.refused);
    const before = await refused();
    await server.reload(settingsOf({ ...cfg, TTL: 77, TransferAllowFrom: ['10.0.0.0/8'] }));
    const q = buildQuery('mesos', 'AXFR');
    const replies = await pool(16, 4, () => tcpTransfer(port, q, 20_000));
    t.same(replies.map((r) => r.messages.map((m) => m.rcode)), replies.map(() => ['REFUSED']), '127.0.0.1 is no longer allowed');
    if (n > 1) {
      const counts = (await refused()).map((c, i) => c - before[i]!);
      t.ok(counts.every((c) => c > 0), `every thread refused some: ${counts.join(' / ')}`);
    }
    await server.reload(settingsOf({ ...cfg, TTL: 77 }));
    const back = await tcpTransfer(port, q, 20_000);
    t.equal(back.messages[0]!.rcode, 'NOERROR', 'allowed again after the next reload');
  });

  if (n > 1) t.test('a killed thread is started again, with the current zone, while the other answers', async (t) => {
    const p = server.answerThreads()!;
    const q = buildQuery(LIQUOR, 'A');
    const restarts = p.restarts();
    const key = 'mesos_dns_dns_requests_total{proto="udp",type="A"}';
    const counted = (await metricValues(server.httpPort!)).get(key)!; // the last scrape before it dies
    void p.threads()[0]!.terminate();
    let answered = 0, lost = 0;
    while (p.restarts() === restarts) {
      // A stub resolver's retries: a query that hashed to the dead thread's socket is lost (its socket is closed; the kernel re-hashes the retry).
      let r: Buffer | null = null;
      for (let i = 0; i < 3 && !r; i++) r = await ask(port, q, 1000);
      if (r && aSet(r) === NEW.join()) answered++; else lost++;
      await new Promise((r) => setTimeout(r, 5));
    }
    t.equal(p.restarts(), restarts + 1, 'the thread was started again');
    t.ok(answered > 0, `answers went on meanwhile (${answered})`);
    t.equal(lost, 0, 'none unanswered (stub retries allowed)');
    const before = await perThread(server);
    const replies = await pool(100, 10, () => ask(port, q));
    t.ok(replies.every((r) => r && aSet(r) === NEW.join()), 'every answer from the current zone');
    const counts = minus(await perThread(server), before);
    t.ok(counts.every((c) => c.udp > 0), `both threads answer again: ${counts.map((c) => c.udp).join(' / ')}`);
    const now = (await metricValues(server.httpPort!)).get(key)!;
    t.ok(now >= counted + answered + 100, `the dead thread's counters up to the last scrape are kept in /metrics (${counted} before, ${now} now)`);
  });

  t.test('lameduck: /ready 503 while every thread still answers; then the port closes', async (t) => {
    server.beginShutdown();
    const ready = await fetch(`http://127.0.0.1:${server.httpPort}/ready`);
    t.equal(ready.status, 503);
    const replies = await pool(32, 8, () => ask(port, buildQuery(LIQUOR, 'A')));
    t.ok(replies.every((r) => r !== null), 'answers continue during the grace time');
    closed = true;
    await server.close();
    await waitFor('the port to close', async () => (await ask(port, buildQuery(LIQUOR, 'A'), 300)) === null, 10_000);
    t.pass('closed');
  });
}
