// What users install works: the project packed with `npm pack` (without running its build again:
// dist/ is already built by `npm test`, and a rebuild here would rewrite files other tests are
// running), installed from the tarball with production dependencies only into a temporary
// prefix, and the installed `mesos-dns -demo` answers dig. The tarball ships no bench/, no tests,
// no TypeScript sources, and the install pulls no dev-only package.
import t from 'tap';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir, freePort, waitFor, childEnv } from './support/procs.js';
import { dig, recKey } from './support/dig.js';

const run = promisify(execFile);
// npm install from the cache takes a minute on a busy machine: more than the suite's default.
t.setTimeout(300_000);

t.test('npm pack → npm install --omit=dev → the installed mesos-dns -demo answers dig', { timeout: 300_000 }, async (t) => {
  const { dir, cleanup } = tempDir('mesos-dns-pack-');
  t.teardown(cleanup);
  const env = childEnv();
  const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT, env, timeout: 120_000 });
  const info = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  const files = info[0]!.files.map((f) => f.path);
  t.ok(files.includes('bin/mesos-dns') && files.includes('dist/src/cli.js') && files.includes('dist/src/zone/worker.js'), 'the program is in it');
  t.ok(files.includes('contrib/systemd/mesos-dns.service'), 'contrib/ is in it');
  t.same(files.filter((f) => /^(bench|test|dist\/bench)\/|\.ts$|\.map$/.test(f)), [], 'no bench, tests, sources or maps');

  const prefix = join(dir, 'prefix');
  await run('npm', ['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', '--prefix', prefix, join(dir, info[0]!.filename)],
    { cwd: dir, env, timeout: 300_000 });
  const modules = readdirSync(join(prefix, 'node_modules'));
  for (const dev of ['tap', 'typescript', '@types']) t.notOk(modules.includes(dev), `${dev} not installed`);
  t.ok(modules.includes('prom-client'), 'runtime dependencies installed');
  const bin = join(prefix, 'node_modules', '.bin', 'mesos-dns');
  t.ok(existsSync(bin), 'the mesos-dns command is installed');

  const dnsPort = await freePort();
  const httpPort = await freePort();
  const p = spawn(bin, ['-demo'], { cwd: dir, env: { ...env, MESOS_DNS_DEMO_PORT: String(dnsPort), MESOS_DNS_DEMO_HTTP_PORT: String(httpPort) }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr!.on('data', (c) => (err += c));
  const exited = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
  t.teardown(async () => { if (p.exitCode === null) { p.kill('SIGTERM'); p.kill('SIGTERM'); await exited; } });
  await waitFor('the demo to load its cluster', () => /"msg":"(refresh|stream update)"/.test(err), 60_000).catch((e: Error) => { throw new Error(`${e.message}: ${err}`); });
  const r = await dig(dnsPort, 'leader.mesos.', 'A');
  t.same({ status: r.status, answer: r.answer.map(recKey) }, { status: 'NOERROR', answer: ['leader.mesos. IN A 127.0.0.1'] });
  const ready = await fetch(`http://127.0.0.1:${httpPort}/ready`);
  t.equal(ready.status, 200, '/ready on the chosen HTTP port');
  p.kill('SIGTERM');
  p.kill('SIGTERM'); // the second skips the lameduck
  t.equal(await exited, 0, 'clean exit');
});
