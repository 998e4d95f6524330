// End to end in stream mode: the real mesos-dns process subscribed to the stand-in master's v1
// event stream, every answer checked with real dig. Names must follow launches and kills without
// polling, the answers must equal polling's for the same cluster, and the stream must survive
// what masters do: heartbeats that stop, a stream cut mid-record, 307 to the leader, 503 while
// recovering, no v1 API at all (auto → polling), and a failover whose snapshot lacks agents.
import t from 'tap';
import { startStandInMaster } from '../src/demo/master.js';
import { waitFor } from './support/procs.js';
import { dig, recKey } from './support/dig.js';
import { fixture, master, server, whole, digUntil } from './support/stream.js';

t.setTimeout(300_000); // end-to-end processes on a busy 2-core machine

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
  const before = await digUntil(s.dnsPort, 'liquor-store.marathon.mesos.', 'A', (x) => x.answer.length === 2);
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

