// Files named by the config are read as regular files with a size limit (src/config/file.ts):
// `-config=/dev/zero` read forever (7.7 GiB in 24 s) and a FIFO blocked for good; now each is a
// config error naming the key, exit 1, at once. Read errors say what they are (a directory,
// permission denied), not "missing configuration file".
import t from 'tap';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load.js';
import { ConfigError } from '../src/config/error.js';
import { MAX_CONFIG_FILE_BYTES, MAX_PEM_FILE_BYTES, readBoundedFile } from '../src/config/file.js';
import { runCli, tempDir, ROOT } from './support/procs.js';

const { dir, cleanup } = tempDir();
t.teardown(cleanup);
const fifo = join(dir, 'fifo');
execFileSync('mkfifo', [fifo]);
const good = { masters: ['127.0.0.1:5050'], externalon: false };

function configError(fn: () => unknown): { key: string; message: string } {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return { key: e.key, message: e.message };
    throw e;
  }
  return { key: '(none)', message: 'no error' };
}

t.test('the config file: /dev/zero, a FIFO, a directory, too large: exit 1 at once, saying which', async (t) => {
  const big = join(dir, 'big.json');
  writeFileSync(big, JSON.stringify(good) + ' '.repeat(MAX_CONFIG_FILE_BYTES));
  const sub = join(dir, 'sub');
  mkdirSync(sub);
  const cases: [string, RegExp][] = [
    ['/dev/zero', /cannot read configuration file "\/dev\/zero": a character device, not a regular file/],
    [fifo, /cannot read configuration file ".*fifo": a FIFO, not a regular file/],
    [sub, /cannot read configuration file ".*sub": a directory, not a regular file/],
    [big, new RegExp(`cannot read configuration file ".*big.json": \\d+ bytes, over the limit of ${MAX_CONFIG_FILE_BYTES} bytes`)],
  ];
  for (const [file, re] of cases) {
    const r = await runCli([`-config=${file}`], 15_000);
    t.equal(r.code, 1, `${file}: exit 1 (not killed after 15 s)`);
    t.match(r.stderr, re, file);
  }
});

t.test('certificate, key and IAM files: the same rules, the key named', async (t) => {
  const cfg = join(dir, 'c.json');
  for (const key of ['CACertFile', 'CertFile', 'KeyFile', 'IAMConfigFile']) {
    for (const [file, why] of [['/dev/zero', 'a character device, not a regular file'], [fifo, 'a FIFO, not a regular file'], [dir, 'a directory, not a regular file']]) {
      const extra: Record<string, unknown> = { [key]: file };
      if (key === 'CertFile') extra.KeyFile = join(ROOT, 'test/fixtures/config/key.pem');
      if (key === 'KeyFile') extra.CertFile = join(ROOT, 'test/fixtures/config/cert.pem');
      if (key === 'IAMConfigFile') extra.MesosAuthentication = 'iam';
      writeFileSync(cfg, JSON.stringify({ ...good, ...extra }));
      const e = configError(() => loadConfig(cfg, { warn: () => {} }));
      t.equal(e.key, key, `${key}=${file}: key named`);
      t.match(e.message, why, `${key}=${file}: ${e.message}`);
    }
  }
  const pem = join(dir, 'big.pem');
  writeFileSync(pem, 'x'.repeat(MAX_PEM_FILE_BYTES + 1));
  writeFileSync(cfg, JSON.stringify({ ...good, CACertFile: pem }));
  t.match(configError(() => loadConfig(cfg)).message, /over the limit of 4194304 bytes/);
  // and exit 1 from the command line, not a read without end
  writeFileSync(cfg, JSON.stringify({ ...good, CACertFile: '/dev/zero' }));
  const r = await runCli([`-config=${cfg}`], 15_000);
  t.equal(r.code, 1);
  t.match(r.stderr, /CACertFile.*character device/);
});

t.test('read errors are reported as what they are', async (t) => {
  t.throws(() => readBoundedFile(join(dir, 'nope'), 10), { message: 'no such file', code: 'ENOENT' });
  const missing = configError(() => loadConfig(join(dir, 'nope.json')));
  t.match(missing.message, /^missing configuration file: /);
  const locked = join(dir, 'locked.json');
  writeFileSync(locked, JSON.stringify(good));
  chmodSync(locked, 0);
  if (process.getuid?.() === 0) {
    t.comment('running as root: a mode-0 file is readable, permission denied cannot be shown');
  } else {
    t.match(configError(() => loadConfig(locked)).message, /cannot read configuration file ".*locked.json": permission denied/);
  }
});
