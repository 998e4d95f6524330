// End to end in stream mode: the real mesos-dns process subscribed to the stand-in master's v1
// event stream, every answer checked with real dig. Names must follow launches and kills without
// polling, the answers must equal polling's for the same cluster, and the stream must survive
// what masters do: heartbeats that stop, a stream cut mid-record, 307 to the leader, 503 while
// recovering, no v1 API at all (auto → polling), and a failover whose snapshot lacks agents.
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStandInMaster, rewriteLeader, type StandInMaster } from '../src/demo/master.js';
import { startServerProcess, waitFor, ROOT, type ServerProcess } from './support/procs.js';
import { dig, recKey, type DigResult } from './support/dig.js';

const fixture = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'fake.json'), 'utf8')) as Record<string, any>;
// One task id appears twice in a framework in fake.json; a master cannot have that (ids are unique
// per framework), and the stream keys tasks by id.
for (const f of fixture['frameworks']) {
  const seen = new Set<string>();
  for (const x of f.tasks) { if (seen.has(x.id)) x.id += '-2'; seen.add(x.id); }
}

async function master(t: Test, heartbeatSeconds = 0.3): Promise<StandInMaster> {
  const m = await startStandInMaster({ host: '127.0.0.1', port: 0, state: {}, heartbeatSeconds });
  m.setState(rewriteLeader(structuredClone(fixture), `127.0.0.1:${m.port}`));
  t.teardown(() => m.close());
  return m;
}

async function server(t: Test, masters: string[], extra: Record<string, unknown> = {}): Promise<ServerProcess> {
  const s = await startServerProcess({ masters, externalon: false, statesource: 'stream', refreshSeconds: 3600, ...extra });
  t.teardown(() => s.stop());
  return s;
}

/** An answer without what legitimately differs between two servers (TTLs count down; serials differ). */
function whole(r: DigResult): unknown {
  const rec = (x: { name: string; class: string; type: string; rdata: string }) =>
    x.type === 'SOA' ? `${x.name} ${x.class} SOA ${x.rdata.split(' ').map((f, i) => (i === 2 ? 'SERIAL' : f)).join(' ')}` : recKey(x as never);
  return { status: r.status, flags: r.flags, edns: r.edns, question: r.question, answer: r.answer.map(rec).sort(), authority: r.authority.map(rec).sort(), additional: r.additional.map(rec).sort() };
}

/** Dig until the answer is `want` (a name launched or killed shows after the stream's next version). */
async function digUntil(port: number, name: string, type: string, want: (r: DigResult) => boolean, ms = 20_000): Promise<DigResult> {
  let last: DigResult | undefined;
  await waitFor(`${name} ${type}`, async () => { last = await dig(port, name, type); return want(last); }, ms);
  return last!;
}

t.test('names follow launches and kills through the stream, with no polling', async (t) => {
  const m = await master(t);
  const s = await server(t, [m.hostPort], { reconcileSeconds: 0 });
  await s.waitLog('stream update');
  const stateFetches = () => m.requests - m.subscribes;
  const fetchedBefore = stateFetches();
  const l = m.cluster().launch({ framework: 'marathon', name: 'fresh', ip: '10.7.7.7', ports: [31999] });
  const r = await digUntil(s.dnsPort, 'fresh.marathon.mesos.', 'A', (x) => x.status === 'NOERROR');
  t.same({ status: r.status, flags: r.flags, answer: r.answer.map(recKey) },
    { status: 'NOERROR', flags: ['aa', 'qr', 'ra'], answer: ['fresh.marathon.mesos. IN A 10.7.7.7'] });
  const srv = await dig(s.dnsPort, '_fresh._tcp.marathon.mesos.', 'SRV');
  t.equal(srv.status, 'NOERROR');
  t.match(srv.answer.map(recKey).join('\n'), /SRV 0 1 31999 fresh-\w+-\d+\.marathon\.slave\.mesos\./);
  m.cluster().kill(l.id);
  const gone = await digUntil(s.dnsPort, 'fresh.marathon.mesos.', 'A', (x) => x.status === 'NXDOMAIN');
  t.equal(gone.answer.length, 0);
  t.equal(gone.authority[0]?.type, 'SOA', 'NXDOMAIN with the SOA');
  // Only the light endpoints were read after subscribing: state-summary (and GET_MASTER), never /master/state.
  t.notOk(m.lastPath === '/master/state', 'no full state fetch');
  t.ok(stateFetches() - fetchedBefore <= 2, `at most a couple of light requests (${stateFetches() - fetchedBefore})`);
});

t.test('stream answers equal polling answers for the same cluster (whole answers, dig)', { timeout: 300_000 }, async (t) => {
  const m = await master(t);
  m.cluster().launch({ framework: 'marathon', name: 'extra', ip: 'fd00::5', ports: [31001, 31002] });
  const stream = await server(t, [m.hostPort]);
  const poll = await server(t, [m.hostPort], { statesource: 'poll' });
  await Promise.all([stream.waitLog('stream update'), poll.waitLog('refresh')]);
  const names = new Set<string>();
  const enumBody = await (await fetch(`http://127.0.0.1:${poll.httpPort}/v1/axfr`)).json() as { Records: Record<string, Record<string, string[]>> };
  for (const byName of Object.values(enumBody.Records)) for (const n of Object.keys(byName)) names.add(n);
  t.ok(names.size > 40, `${names.size} names`);
  let compared = 0;
  const jobs: [string, string][] = [];
  for (const name of [...names, 'nothing-here.mesos.', 'nothing.marathon.mesos.', 'mesos.']) {
    for (const type of ['A', 'AAAA', 'SRV']) jobs.push([name, type]);
  }
  for (const name of ['mesos.', 'leader.mesos.', 'marathon.mesos.']) for (const type of ['SOA', 'NS', 'ANY']) jobs.push([name, type]);
  // Eight at a time: each is two dig processes.
  const next = async (): Promise<void> => {
    for (let j = jobs.pop(); j; j = jobs.pop()) {
      const [name, type] = j;
      const [a, b] = await Promise.all([dig(stream.dnsPort, name, type), dig(poll.dnsPort, name, type)]);
      if (JSON.stringify(whole(a)) !== JSON.stringify(whole(b))) t.same(whole(a), whole(b), `${name} ${type}`);
      compared++;
    }
  };
  await Promise.all(Array.from({ length: 8 }, next));
  t.ok(compared > 200);
});

t.test('heartbeats stop: the watchdog reconnects; a stream cut mid-record: whole records kept, re-subscribed', async (t) => {
  const m = await master(t, 0.2);
  const s = await server(t, [m.hostPort]);
  await s.waitLog('stream update');
  m.setHeartbeats(false);
  await s.waitLog('stream: subscription ended; keeping the current records');
  const ended = s.logs.find((l) => l.msg === 'stream: subscription ended; keeping the current records')!;
  t.match(String(ended['err']), /no record for 0\.6 s/);
  m.setHeartbeats(true);
  await waitFor('re-subscribed', () => m.subscribes >= 2, 20_000);
  await s.waitLog('stream update', 2);
  m.cutStreams(true);
  await s.waitLog('stream: subscription ended; keeping the current records', 2);
  t.match(String(s.logs.filter((l) => l.msg === 'stream: subscription ended; keeping the current records')[1]!['err']), /partial record of \d+ bytes dropped/);
  // The last good records stay in service meanwhile, and the new stream carries on.
  const still = await dig(s.dnsPort, 'chronos.marathon.mesos.', 'A');
  t.same(still.answer.map(recKey), ['chronos.marathon.mesos. IN A 1.2.3.11']);
  await waitFor('re-subscribed', () => m.subscribes >= 3, 20_000);
  m.cluster().launch({ framework: 'marathon', name: 'after-cut', ip: '10.8.8.8' });
  const r = await digUntil(s.dnsPort, 'after-cut.marathon.mesos.', 'A', (x) => x.status === 'NOERROR');
  t.same(r.answer.map(recKey), ['after-cut.marathon.mesos. IN A 10.8.8.8']);
});

t.test('307 from a non-leading master is followed; 503 while recovering is retried', async (t) => {
  const leader = await master(t);
  const other = await startStandInMaster({ host: '127.0.0.1', port: 0, state: {} });
  t.teardown(() => other.close());
  other.setApiRedirect(`//127.0.0.1:${leader.port}/api/v1`);
  leader.setApiStatus(503);
  const s = await server(t, [other.hostPort]);
  await waitFor('a 503 answered', () => s.logs.some((l) => /HTTP 503/.test(String(l['err']))), 20_000);
  t.equal(leader.subscribes, 0);
  leader.setApiStatus(null);
  await s.waitLog('stream update');
  t.equal(leader.subscribes, 1, 'subscribed to the leader the redirect named');
  t.equal(other.subscribes, 0);
  const r = await dig(s.dnsPort, 'leader.mesos.', 'A');
  t.same({ status: r.status, answer: r.answer.map(recKey) }, { status: 'NOERROR', answer: ['leader.mesos. IN A 127.0.0.1'] });
  t.ok(s.logs.some((l) => l.msg === 'stream: not the leading master; following its redirect'));
});

t.test('auto: a master without /api/v1 (404) makes the server poll, saying why once', async (t) => {
  const m = await master(t);
  m.setApiStatus(404);
  const s = await server(t, [m.hostPort], { statesource: 'auto' });
  const why = await s.waitLog('stream: the master has no v1 operator API; polling /master/state instead (StateSource "auto")');
  t.match(String(why['reason']), /HTTP 404/);
  await s.waitLog('refresh');
  const r = await dig(s.dnsPort, 'chronos.marathon.mesos.', 'A');
  t.same({ status: r.status, answer: r.answer.map(recKey) }, { status: 'NOERROR', answer: ['chronos.marathon.mesos. IN A 1.2.3.11'] });
  t.equal(s.logs.filter((l) => /no v1 operator API/.test(l.msg)).length, 1, 'said once');
  t.equal(m.subscribes, 0);
});

t.test('failover: agents missing from the new snapshot keep their names until they re-register', async (t) => {
  const m = await master(t);
  const s = await server(t, [m.hostPort], { streamrecoverygraceseconds: 600 });
  await s.waitLog('stream update');
  // liquor-store runs on two agents; one of them (1.2.3.12) "fails over".
  const agent = (fixture['slaves'] as any[]).find((a) => a.pid.includes('1.2.3.12')).id as string;
  const before = await dig(s.dnsPort, 'liquor-store.marathon.mesos.', 'A');
  t.same(before.answer.map(recKey).sort(), ['liquor-store.marathon.mesos. IN A 1.2.3.11', 'liquor-store.marathon.mesos. IN A 1.2.3.12']);
  m.cluster().setRecovering([agent]);
  m.cutStreams(false); // the old leader is gone; the new one's snapshot lacks the agent
  await s.waitLog('stream: the master has not seen these agents re-register yet (failover); serving their last-known records meanwhile');
  await waitFor('new snapshot served', () => s.logs.filter((l) => l.msg === 'stream update' && l['full']).length >= 2, 20_000);
  const during = await dig(s.dnsPort, 'liquor-store.marathon.mesos.', 'A');
  t.same(whole(during), whole(before), 'every name kept while the agent is recovering');
  m.cluster().reregister(agent);
  await new Promise((r) => setTimeout(r, 500));
  const after = await dig(s.dnsPort, 'liquor-store.marathon.mesos.', 'A');
  t.same(whole(after), whole(before), 'and after it re-registered');
});

t.test('a short grace: an agent that never re-registers loses its names when it ends', async (t) => {
  const m = await master(t);
  const s = await server(t, [m.hostPort], { streamrecoverygraceseconds: 1 });
  await s.waitLog('stream update');
  const agent = (fixture['slaves'] as any[]).find((a) => a.pid.includes('1.2.3.12')).id as string;
  m.cluster().setRecovering([agent]);
  m.cutStreams(false);
  await s.waitLog('stream: agents did not re-register within StreamRecoveryGraceSeconds; their records are dropped');
  const r = await digUntil(s.dnsPort, 'liquor-store.marathon.mesos.', 'A', (x) => x.answer.length === 1);
  t.same(r.answer.map(recKey), ['liquor-store.marathon.mesos. IN A 1.2.3.11']);
});

t.test('reconciliation compares the stream\'s names with a full state fetch', async (t) => {
  const m = await master(t);
  const s = await server(t, [m.hostPort], { reconcileSeconds: 1 });
  await s.waitLog('stream update');
  const rec = await s.waitLog('reconcile: stream records compared with a full state fetch');
  t.equal(rec['differingNames'], 0, 'nothing differs');
});

t.test('a ZooKeeper leader change: the stream moves to the new leader at once', async (t) => {
  const { startZooKeeper, connectClient, closeClient } = await import('./support/zookeeper.js');
  const zookeeper = (await import('node-zookeeper-client')).default;
  const zk = await startZooKeeper();
  t.teardown(() => zk.dispose());
  const client = await connectClient(zk.connectString, { sessionTimeoutMs: 30_000, connectTimeoutMs: 15_000 });
  t.teardown(() => closeClient(client));
  const call = <T>(fn: (cb: (e: unknown, v?: T) => void) => void) => new Promise<T>((res, rej) => fn((e, v) => (e ? rej(e) : res(v as T))));
  await call<void>((cb) => client.mkdirp('/mesos', (e) => cb(e)));
  // Two masters, each with a task `whoami` on a different agent: the answer tells whose stream is served.
  const agents = (fixture['slaves'] as any[]).map((a) => a.id as string);
  const mk = async (agent: number) => {
    const m = await startStandInMaster({ host: '127.0.0.1', port: 0, state: {}, heartbeatSeconds: 0.5 });
    t.teardown(() => m.close());
    m.setState(rewriteLeader(structuredClone(fixture), m.hostPort));
    m.cluster().launch({ framework: 'marathon', name: 'whoami', agentId: agents[agent], ip: `10.9.0.${agent}` });
    return m;
  };
  const a = await mk(0), b = await mk(1);
  const info = (m: StandInMaster) => Buffer.from(JSON.stringify({ address: { hostname: 'h', ip: '127.0.0.1', port: m.port }, hostname: 'h', id: `id-${m.port}`, pid: `master@127.0.0.1:${m.port}`, port: m.port, version: '1.11.0' }));
  const nodeA = await call<string>((cb) => client.create('/mesos/json.info_', info(a), zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL, cb));
  await call<string>((cb) => client.create('/mesos/json.info_', info(b), zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL, cb));
  const s = await server(t, [a.hostPort], { zk: `zk://${zk.connectString}/mesos`, zkDetectionTimeout: 30 });
  const first = await digUntil(s.dnsPort, 'whoami.marathon.mesos.', 'A', (x) => x.status === 'NOERROR');
  t.same(first.answer.map(recKey), ['whoami.marathon.mesos. IN A 10.9.0.0'], 'A leads');
  t.equal(a.subscribes, 1);
  // A loses leadership in ZooKeeper (its stream is still open): the server must not wait for it to end.
  await call<void>((cb) => client.remove(nodeA, (e) => cb(e)));
  const moved = await digUntil(s.dnsPort, 'whoami.marathon.mesos.', 'A', (x) => x.answer.some((r) => r.rdata === '10.9.0.1'));
  t.same(moved.answer.map(recKey), ['whoami.marathon.mesos. IN A 10.9.0.1'], 'B leads');
  t.equal(b.subscribes, 1, 'subscribed to B');
  await waitFor('A\'s stream closed', () => a.streams === 0, 10_000);
  t.ok(s.logs.some((l) => l.msg === 'stream: new leading master; subscribing to it'));
  const leader = await dig(s.dnsPort, 'leader.mesos.', 'A');
  t.same(leader.answer.map(recKey), ['leader.mesos. IN A 127.0.0.1']);
});
