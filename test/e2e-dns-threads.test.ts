// The DNS end-to-end tests (e2e-dns.test.ts) again, with two answering threads (AnswerThreads 2,
// threads/pool.ts), and the PTR tests (xfr-ptr.test.ts) too: every answer must be the same
// whichever thread the kernel hands a query to.
// On a runtime without reusePort (Node 20), the process refuses AnswerThreads 2 at start with a
// config error naming the key, and exits 1.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { reusePortUnsupported } from '../src/dns/reuseport.js';
import { BIN, childEnv, freePort, tempDir } from './support/procs.js';

const why = await reusePortUnsupported();
if (why !== null) {
  t.test(`${process.version} has no reusePort: AnswerThreads 2 is refused at start, naming the key`, async (t) => {
    const { dir, cleanup } = tempDir();
    t.teardown(cleanup);
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ masters: ['127.0.0.1:1'], listener: '127.0.0.1', port: await freePort(), httpon: false, answerthreads: 2 }));
    const r = spawnSync(process.execPath, [BIN, `-config=${file}`], { env: childEnv(), encoding: 'utf8', timeout: 30_000 });
    t.equal(r.status, 1, 'exit status 1');
    t.match(r.stderr, /^mesos-dns: cannot start: config key "AnswerThreads": 2 threads need a runtime that can bind the DNS port from several sockets \(SO_REUSEPORT\)/m);
  });
} else {
  process.env.E2E_ANSWER_THREADS = '2';
  await import('./e2e-dns.test.js');
  await import('./xfr-ptr.test.js'); // PTR names and reverse-zone transfers, from every thread
}

// Stream mode (the default source) publishes most versions as patches of the last image
// (zone/incremental.ts): with threads those images must be shared too, or the threads would keep
// the old version. A launched task must be answered by every thread (dig from 24 source ports).
if (why === null) {
  const { master, server } = await import('./support/stream.js');
  const { dig, recKey } = await import('./support/dig.js');
  const { waitFor } = await import('./support/procs.js');
  t.test('stream mode, 2 threads: a launched task and its kill reach every thread', async (t) => {
    const m = await master(t);
    const s = await server(t, [m.hostPort], { reconcileSeconds: 0, answerthreads: 2 });
    await s.waitLog('stream update');
    const all = async (want: string) => (await Promise.all(Array.from({ length: 24 }, () => dig(s.dnsPort, 'fresh.marathon.mesos.', 'A'))))
      .every((r) => `${r.status} ${r.answer.map(recKey).join()}` === want);
    const l = m.cluster().launch({ framework: 'marathon', name: 'fresh', ip: '10.7.7.7', ports: [31999] });
    await waitFor('every thread to answer the launched task', () => all('NOERROR fresh.marathon.mesos. IN A 10.7.7.7'), 20_000, 100);
    m.cluster().kill(l.id);
    await waitFor('every thread to answer NXDOMAIN after the kill', () => all('NXDOMAIN '), 20_000, 100);
    t.notOk(s.logs.some((x) => x.msg?.includes('not shared')), 'every version went to the threads');
  });
}
