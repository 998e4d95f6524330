// Stream mode with a real ZooKeeper: when ZooKeeper names another leader, the server must
// subscribe to it at once, not wait for the old leader's stream to end.
import t from 'tap';
import { startStandInMaster, rewriteLeader, type StandInMaster } from '../src/demo/master.js';
import { waitFor } from './support/procs.js';
import { dig, recKey } from './support/dig.js';
import { fixture, server, digUntil } from './support/stream.js';

t.setTimeout(300_000);

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
  // The first answer comes from the cold start's state fetch; the subscription follows it.
  await waitFor('subscribed to A', () => a.subscribes === 1, 30_000);
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
