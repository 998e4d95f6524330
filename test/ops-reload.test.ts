// SIGHUP reload: a changed ttl reaches the answers with dnsperf running through the reload and
// not one query lost; a broken file changes nothing (the error is logged, the old config serves);
// a changed DNS port is re-bound (new port answers, old one closes). SIGUSR1 logs a refresh.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { tempDir, freePort, waitFor } from './support/procs.js';
import { startOnFixture } from './support/serve.js';
import { dig } from './support/dig.js';

async function ttlOf(port: number): Promise<number | undefined> {
  return (await dig(port, 'chronos.marathon.mesos.', 'A')).answer[0]?.ttl;
}

/** dnsperf at a modest fixed rate for `seconds`; its sent/completed/lost counts. */
function dnsperf(port: number, file: string, seconds: number): Promise<{ sent: number; completed: number; lost: number; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('dnsperf', ['-s', '127.0.0.1', '-p', String(port), '-d', file, '-l', String(seconds), '-Q', '2000', '-t', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (c) => (out += c));
    p.stderr.on('data', (c) => (out += c));
    p.on('error', reject);
    p.on('exit', () => {
      const n = (re: RegExp) => Number(re.exec(out)?.[1] ?? NaN);
      resolve({ sent: n(/Queries sent:\s+(\d+)/), completed: n(/Queries completed:\s+(\d+)/), lost: n(/Queries lost:\s+(\d+)/), out });
    });
  });
}

t.test('SIGHUP: a new ttl in the answers, dnsperf running through the reload loses nothing', async (t) => {
  const { s } = await startOnFixture(t, { ttl: 60, refreshSeconds: 3600 });
  t.equal(await ttlOf(s.dnsPort), 60);
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const queries = join(dir, 'queries.txt');
  writeFileSync(queries, ['chronos.marathon.mesos A', 'leader.mesos A', '_chronos._tcp.marathon.mesos SRV', 'nothing.mesos A'].join('\n') + '\n');
  const load = dnsperf(s.dnsPort, queries, 4);
  await new Promise((r) => setTimeout(r, 1000));
  const cfg = JSON.parse(readFileSync(s.configPath, 'utf8')) as Record<string, unknown>;
  writeFileSync(s.configPath, JSON.stringify({ ...cfg, ttl: 7 }));
  s.proc.kill('SIGHUP');
  const reloaded = await s.waitLog('config reloaded');
  t.same(reloaded.replaced, [], 'no listener, forwarder or client replaced for a ttl change');
  const r = await load;
  t.ok(r.sent > 2000, `dnsperf sent ${r.sent}`);
  t.same({ lost: r.lost, completed: r.completed }, { lost: 0, completed: r.sent }, 'not one query lost through the reload');
  t.equal(await ttlOf(s.dnsPort), 7, 'answers carry the new ttl');
  const view = await (await fetch(`http://127.0.0.1:${s.httpPort}/v1/config`)).json() as Record<string, unknown>;
  t.equal(view.TTL, 7, '/v1/config shows it');
});

t.test('SIGHUP with a broken file: the error is logged, the old config keeps serving', async (t) => {
  const { s } = await startOnFixture(t, { ttl: 60, refreshSeconds: 3600 });
  const cfg = JSON.parse(readFileSync(s.configPath, 'utf8')) as Record<string, unknown>;
  writeFileSync(s.configPath, JSON.stringify({ ...cfg, ttl: 'seven' }));
  s.proc.kill('SIGHUP');
  const failed = await s.waitLog('reload failed; keeping the current config');
  t.equal(failed.key, 'TTL', 'the error names the key');
  writeFileSync(s.configPath, '{ "masters": [');
  s.proc.kill('SIGHUP');
  const failed2 = await s.waitLog('reload failed; keeping the current config', 2);
  t.match(failed2.err, /parse/, 'unparsable file');
  t.equal(await ttlOf(s.dnsPort), 60, 'the old ttl still served');
  t.equal(s.proc.exitCode, null, 'still running');
  t.notOk(s.logs.some((l) => l.msg === 'config reloaded'));
});

t.test('SIGHUP with a new DNS port: the new port answers, the old one is released; SIGUSR1 refreshes', async (t) => {
  const { s } = await startOnFixture(t, { refreshSeconds: 3600 });
  const newPort = await freePort();
  const cfg = JSON.parse(readFileSync(s.configPath, 'utf8')) as Record<string, unknown>;
  writeFileSync(s.configPath, JSON.stringify({ ...cfg, port: newPort }));
  s.proc.kill('SIGHUP');
  const reloaded = await s.waitLog('config reloaded');
  t.same(reloaded.replaced, ['dns listener']);
  t.equal((await dig(newPort, 'chronos.marathon.mesos.', 'A')).status, 'NOERROR', 'the new port answers');
  await waitFor('the old port to be released', async () => (await freePortIs(s.dnsPort)));
  s.proc.kill('SIGUSR1');
  await s.waitLog('SIGUSR1: refreshing now');
  await s.waitLog('refresh', 3);
});

/** True when `port` can be bound again (UDP and TCP) on 127.0.0.1. */
async function freePortIs(port: number): Promise<boolean> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}
