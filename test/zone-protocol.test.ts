// The build worker's protocol (src/zone/protocol.ts), in process, with the real worker thread and
// a real stand-in master: a worker that dies during a refresh fails that refresh (counted as
// "worker"), the server keeps answering from the zone it has, and the next refresh runs on a new
// worker; a reply that comes after its request was given up (its worker was replaced) settles
// nothing, not even the request in flight on the new worker. The worker threads are reached
// through the process's 'worker' event, as they are created.
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';
import type { Config } from '../src/config/types.js';
import type { BuildParams } from '../src/zone/build.js';
import type { FromWorker } from '../src/zone/protocol.js';
import { defaultConfig, settingsOf } from '../src/config/load.js';
import { createLogger } from '../src/log.js';
import { startStandInMaster, rewriteLeader, type StandInMaster } from '../src/demo/master.js';
import { buildQuery, decode, udpAsk } from './support/dnsmsg.js';
import { metricValues, delta } from './support/metrics.js';
import { freePort, waitFor, ROOT } from './support/procs.js';

// The worker loads compiled modules next to the builder, so both come from dist/ (built first).
const dist = (p: string) => pathToFileURL(join(ROOT, 'dist', 'src', p)).href;
const { startServer } = await import(dist('server.js')) as typeof import('../src/server.js');
const { ZoneBuilder, BuildError } = await import(dist('zone/builder.js')) as typeof import('../src/zone/builder.js');

const fixture = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'fake.json'), 'utf8')) as object;
// The same cluster with every task address moved: liquor-store's A records change.
const moved = JSON.parse(JSON.stringify(fixture).replaceAll('1.2.3.1', '1.2.4.1')) as object;
const LIQUOR = 'liquor-store.marathon.mesos.';

const workers: Worker[] = [];
const onWorker = (w: Worker) => workers.push(w);
process.on('worker', onWorker);
t.teardown(() => { process.off('worker', onWorker); });

async function master(t: Test): Promise<StandInMaster> {
  const m = await startStandInMaster({ host: '127.0.0.1', port: 0, state: {} });
  t.teardown(() => m.close());
  m.setState(rewriteLeader(fixture, m.hostPort));
  return m;
}

t.test('the build worker dies during a refresh: the zone in hand is kept and answered, the failure counted, the next refresh runs on a new worker', async (t) => {
  const m = await master(t);
  const config: Config = {
    ...defaultConfig(), Masters: [m.hostPort], Listener: '127.0.0.1', Port: 0, HTTPListener: '127.0.0.1',
    HttpPort: await freePort(), ExternalOn: false, RefreshSeconds: 3600, StateSource: 'poll', AnswerThreads: 1,
    ShutdownGraceSeconds: 0,
  };
  const first = workers.length;
  const s = await startServer(settingsOf(config), createLogger(0));
  t.teardown(() => s.close());
  await s.refreshNow();
  t.equal(workers.length, first + 1, 'one build worker');
  const query = buildQuery(LIQUOR, 'A');
  // Whole answers, their records in one order (the server shuffles them per answer).
  const answer = async () => {
    const d = decode(await udpAsk(s.dnsPort!, query));
    return { ...d, answer: d.answer.sort((x, y) => String(x.data).localeCompare(String(y.data))) };
  };
  const before = await answer();
  t.same(before.answer.map((r) => r.data), ['1.2.3.11', '1.2.3.12']);
  const serial = s.snapshot()!.serial;
  const metricsBefore = await metricValues(s.httpPort!);

  // The refresh's request is with the worker (the master holds its answer) when the thread ends.
  m.setState(rewriteLeader(moved, m.hostPort));
  m.setDelay(60_000);
  const seen = m.requests;
  const refreshed = s.refreshNow();
  await waitFor('the state request', () => m.requests > seen);
  await workers[first]!.terminate();
  await refreshed;
  t.equal(s.snapshot()!.serial, serial, 'the serial is the one served before');
  t.same(await answer(), before, 'the same whole answer, from the zone in hand');
  const metricsAfter = await metricValues(s.httpPort!);
  t.equal(delta(metricsBefore, metricsAfter, 'mesos_dns_state_failures_total{reason="worker"}'), 1, 'counted as the worker failing');
  t.equal(delta(metricsBefore, metricsAfter, 'mesos_dns_state_loads_total'), 0, 'and not as a load');

  m.setDelay(0);
  await s.refreshNow();
  t.equal(workers.length, first + 2, 'a new worker');
  t.ok(s.snapshot()!.serial > serial, 'the next refresh is served');
  t.same((await answer()).answer.map((r) => r.data), ['1.2.4.11', '1.2.4.12'], 'with the new state');
});

t.test('a late reply (its request given up with its worker) settles nothing, not even the request in flight on the new worker', async (t) => {
  const m = await master(t);
  const config: Config = { ...defaultConfig(), Masters: [m.hostPort] };
  const params: BuildParams = {
    generate: {
      domain: config.Domain, nsName: config.SOAMname, listener: config.Listener, enforceRFC952: config.EnforceRFC952,
      ipSources: config.IPSources, masters: [m.hostPort], interfaceAddrs: [],
    },
    image: { domain: config.Domain, ttl: config.TTL, srvWeight: config.SRVRecordDefaultWeight },
  };
  const b = new ZoneBuilder(settingsOf(config), 0, 5000);
  t.teardown(() => b.close());
  const first = workers.length;
  const old = (await b.refresh([m.hostPort], params)).zone.contentHash;
  const w1 = workers[first]!;
  t.teardown(() => w1.terminate());
  const fromW1: FromWorker[] = [];
  w1.on('message', (x: FromWorker) => fromW1.push(x));

  // Request A: its state is held 1.5 s by the master. Then its worker fails (the 'error' event an
  // uncaught exception raises): A is given up, but this thread goes on and will answer it.
  m.setDelay(1500);
  let seen = m.requests;
  const a = b.refresh([m.hostPort], params);
  const aFailed = t.rejects(a, new BuildError('build worker died: thrown', false, true));
  await waitFor('A\'s state request', () => m.requests > seen);
  w1.emit('error', new Error('thrown'));
  await aFailed;

  // Request C on a new worker, its state held longer: A's late reply comes while C waits.
  m.setDelay(6000);
  seen = m.requests;
  const c = b.refresh([m.hostPort], params);
  await waitFor('C\'s state request', () => m.requests > seen);
  t.equal(workers.length, first + 2, 'C went to a new worker');
  const late = await waitFor('A\'s late reply', () => fromW1.find((x) => 'kind' in x && x.kind === 'zone'));
  t.equal((late as { zone: { contentHash: string } }).zone.contentHash, old, 'A\'s reply carries the state it was served');
  await waitFor('A\'s late records', () => fromW1.find((x) => 'kind' in x && x.kind === 'draft'));
  m.setState(rewriteLeader(moved, m.hostPort)); // what C will be served
  const r = await c;
  t.not(r.zone.contentHash, old, 'C resolved with its own reply, not A\'s');
  m.setDelay(0);
  t.equal((await b.refresh([m.hostPort], params)).zone.contentHash, r.zone.contentHash, 'and the builder goes on');
});
