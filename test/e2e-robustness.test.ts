// Bad input gets a clear error and loses nothing: config errors exit 1 naming the key before
// anything listens; broken state entities are skipped and the rest served; a master that goes
// away leaves the last good records in service; malformed packets never stop the server.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import dgram from 'node:dgram';
import net from 'node:net';
import { startStandInMaster, rewriteLeader } from '../src/demo/master.js';
import { spawn } from 'node:child_process';
import { startServerProcess, runCli, tempDir, freePort, ROOT, BIN, childEnv } from './support/procs.js';
import { startOnFixture } from './support/serve.js';
import { dig, recKey } from './support/dig.js';

const fixture = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'fake.json'), 'utf8')) as Record<string, unknown>;
const base = { masters: ['127.0.0.1:5050'], externalon: false, refreshSeconds: 60 };

t.test('config errors: exit 1 with a message naming the key, nothing listens (A.19)', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const port = await freePort();
  const cases: [string, Record<string, unknown> | string, RegExp][] = [
    ['ttl as string', { ...base, ttl: '60' }, /TTL/],
    ['fractional httpport', { ...base, httpport: 80.5 }, /HttpPort/],
    ['bad master', { ...base, masters: ['1.2.3.4'] }, /Masters/],
    ['duplicate masters', { ...base, masters: ['1.2.3.4:5050', '1.2.3.4:5050'] }, /Masters/],
    ['no masters, no zk', { externalon: false }, /Masters|Zk/],
    ['bad resolver', { ...base, externalon: true, resolvers: ['not-an-ip'] }, /Resolvers/],
    ['bad IPSources', { ...base, IPSources: ['netinfo', 'bogus'] }, /IPSources/],
    ['bad domain', { ...base, domain: 'bad_domain.' }, /Domain/],
    ['refreshSeconds 0', { ...base, refreshSeconds: 0 }, /RefreshSeconds/],
    ['both servers off', { ...base, dnson: false, httpon: false }, /DnsOn|HttpOn/],
    ['bad auth', { ...base, MesosAuthentication: 'kerberos' }, /MesosAuthentication/],
    ['not JSON', '{ "masters": [', /config/i],
  ];
  for (const [what, cfg, re] of cases) {
    const file = join(dir, `${what.replace(/\W+/g, '-')}.json`);
    writeFileSync(file, typeof cfg === 'string' ? cfg : JSON.stringify({ ...cfg, port, listener: '127.0.0.1' }));
    const r = await runCli([`-config=${file}`]);
    t.equal(r.code, 1, `${what}: exit 1`);
    t.match(r.stderr, re, `${what}: names the key (${r.stderr.trim().split('\n').pop()})`);
  }
  const missing = await runCli([`-config=${join(dir, 'nope.json')}`]);
  t.equal(missing.code, 1, 'missing file: exit 1');
  t.match(missing.stderr, /nope\.json/);
  const version = await runCli(['-version']);
  t.same({ code: version.code, out: version.stdout.trim().split('\n') },
    { code: 0, out: [JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version, `node ${process.version} ${process.platform}-${process.arch}`] },
    '-version: the version, then the runtime');
  const unknownFlag = await runCli(['-frobnicate']);
  t.equal(unknownFlag.code, 2, 'unknown flag: usage, exit 2');
});

t.test('a state with broken entities: each is skipped with a warning, the rest is served (A.15)', async (t) => {
  const state = structuredClone(fixture) as { slaves: Record<string, unknown>[]; frameworks: { name: string; pid?: unknown; tasks: Record<string, unknown>[] }[] };
  state.slaves.push({ id: 'broken-slave', pid: null });
  state.frameworks.push({ name: 'broken-fw', pid: 'no-at-sign', tasks: [] });
  const marathon = state.frameworks.find((f) => f.name === 'marathon')!;
  const chronos = marathon.tasks.find((x) => x.name === 'chronos')!;
  marathon.tasks.push({ ...structuredClone(chronos), id: 'bad-ports.1', name: 'bad-ports', resources: { ports: '31000-31001' } });
  marathon.tasks.push({ ...structuredClone(chronos), id: 'bare-port.1', name: 'bare-port', resources: { ports: '[31000]' } });
  marathon.tasks.push({ ...structuredClone(chronos), id: 42, name: { odd: true } });
  const m = await startStandInMaster({ host: '127.0.0.1', port: 0, state: {} });
  m.setState(rewriteLeader(state, `127.0.0.1:${m.port}`));
  const s = await startServerProcess({ masters: [`127.0.0.1:${m.port}`], externalon: false });
  t.teardown(async () => { await s.stop(); await m.close(); });
  const refresh = await s.waitLog('refresh');
  t.ok((refresh.skipped as number) >= 5, `skipped ${refresh.skipped}`);
  const warnings = s.logs.filter((l) => l.level === 40).map((l) => l.msg).join('\n');
  for (const name of ['broken-slave', 'broken-fw', 'bad-ports', 'bare-port']) t.match(warnings, name, `a warning names ${name}`);
  const ok = await dig(s.dnsPort, 'chronos.marathon.mesos.', 'A');
  t.same({ status: ok.status, answer: ok.answer.map(recKey) }, { status: 'NOERROR', answer: ['chronos.marathon.mesos. IN A 1.2.3.11'] });
  const gone = await dig(s.dnsPort, 'bad-ports.marathon.mesos.', 'A');
  t.equal(gone.status, 'NXDOMAIN');
});

t.test('the master goes away: the last good records stay in service', async (t) => {
  const { m, s } = await startOnFixture(t, { refreshSeconds: 1, stateTimeoutSeconds: 2 });
  await m.close();
  await s.waitLog('refresh failed; keeping the previous records');
  const r = await dig(s.dnsPort, 'leader.mesos.', 'A');
  t.same({ status: r.status, answer: r.answer.map(recKey) }, { status: 'NOERROR', answer: ['leader.mesos. IN A 127.0.0.1'] });
  // A master answering with garbage or an error status is no better: still the old records.
});

t.test('a master answering 503 or non-JSON keeps the previous records (A.15, A.16)', async (t) => {
  const { m, s } = await startOnFixture(t, { refreshSeconds: 1 });
  m.setStatus(503);
  await s.waitLog('refresh failed; keeping the previous records');
  m.setStatus(200);
  m.setState('this is not json');
  await s.waitLog('refresh failed; keeping the previous records', 2);
  const r = await dig(s.dnsPort, 'chronos.marathon.mesos.', 'A');
  t.same(r.answer.map(recKey), ['chronos.marathon.mesos. IN A 1.2.3.11']);
});

t.test('malformed packets over UDP and TCP never stop the server', async (t) => {
  const { s } = await startOnFixture(t);
  const sock = dgram.createSocket('udp4');
  const packets = [
    Buffer.alloc(0), Buffer.from([0]), Buffer.alloc(11), Buffer.alloc(12, 0xff), Buffer.alloc(512, 0x3f),
    Buffer.from('0001000000010000000000000c', 'hex'), // question name runs off the end
    Buffer.from('000100000001000000000000c00c00010001', 'hex'), // pointer in the question
    Buffer.from('00010000000100000000000105leader05mesos0000010001' + '0000290200', 'hex'), // truncated OPT
  ];
  let seed = 7;
  for (let i = 0; i < 300; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const b = Buffer.alloc(seed % 600);
    for (let k = 0; k < b.length; k++) { seed = (seed * 1103515245 + 12345) & 0x7fffffff; b[k] = seed & 0xff; }
    packets.push(b);
  }
  for (const p of packets) await new Promise<void>((r) => sock.send(p, s.dnsPort, '127.0.0.1', () => r()));
  sock.close();
  // TCP: a frame announcing more than is sent, then garbage, then a close.
  await new Promise<void>((resolve) => {
    const c = net.connect(s.dnsPort, '127.0.0.1', () => { c.write(Buffer.from([0xff, 0xff, 1, 2, 3])); c.end(); });
    c.on('close', () => resolve());
    c.on('error', () => resolve());
  });
  const r = await dig(s.dnsPort, 'leader.mesos.', 'A');
  t.same({ status: r.status, answer: r.answer.map(recKey) }, { status: 'NOERROR', answer: ['leader.mesos. IN A 127.0.0.1'] });
  const tcp = await dig(s.dnsPort, 'leader.mesos.', 'A', { tcp: true });
  t.same(tcp.answer.map(recKey), ['leader.mesos. IN A 127.0.0.1']);
  t.equal(s.proc.exitCode, null, 'still running');
});

t.test('the shipped config.example.json starts the server (loopback only, nothing listening behind it)', async (t) => {
  const p = spawn(process.execPath, [BIN, `-config=${join(ROOT, 'config.example.json')}`], { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv() });
  let err = '';
  const listening = new Promise<boolean>((resolve) => {
    p.stderr.on('data', (c: Buffer) => { err += c.toString(); if (/"msg":"listening"/.test(err)) resolve(true); });
    p.on('exit', () => resolve(false));
  });
  const ok = await listening;
  t.ok(ok, `listening (stderr: ${err.slice(0, 300)})`);
  const r = await dig(8053, 'leader.mesos.', 'A');
  t.equal(r.status, 'SERVFAIL', 'no master reachable yet: SERVFAIL inside the domain, never NXDOMAIN (A.1)');
  p.kill('SIGTERM');
  const code = await new Promise<number | null>((resolve) => p.on('exit', (c) => resolve(c)));
  t.equal(code, 0, 'clean exit on SIGTERM');
});
