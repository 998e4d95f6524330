// The state client against real stand-in masters on loopback: master order, failures, the
// one-hop leader redirect of SPEC B §5.2, HTTP status (A.16), timeouts, gzip, auth and TLS.
import t, { type Test } from 'tap';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { startStandInMaster, type StandInMaster, type StandInMasterOptions } from '../src/demo/master.js';
import {
  createStateClient,
  StateFetchError,
  type StateClient,
} from '../src/state/fetch.js';
import { leaderHost } from '../src/net/upid.js';
import { scanDecode, scanLeader, scanLeaderAsync } from './support/leader-scan.js';
import type { Config } from '../src/config/types.js';
import { pino } from 'pino';
import { loadSettingsText, settingsOf } from '../src/config/load.js';
import { silentLogger } from '../src/log.js';

function config(over: Partial<Config> = {}): Config {
  return {
    RefreshSeconds: 60, Port: 53, Timeout: 5, StateTimeoutSeconds: 5, ZkDetectionTimeout: 30, HttpPort: 8123,
    TTL: 60, SRVRecordDefaultWeight: 1, SOASerial: 0, SOARefresh: 60, SOARetry: 600, SOAExpire: 86400,
    SOAMinttl: 60, SOAMname: 'ns1.mesos.', SOARname: 'root.ns1.mesos.', Masters: null, ZoneResolvers: {},
    Resolvers: [], IPSources: ['netinfo', 'mesos', 'host'], Zk: '', Domain: 'mesos', File: '', Listener: '127.0.0.1',
    HTTPListener: '127.0.0.1', RecurseOn: true, DnsOn: true, HttpOn: true, ExternalOn: false, EnforceRFC952: false,
    SetTruncateBit: true, EnumerationOn: true, MesosHTTPSOn: false, CACertFile: '', CertFile: '', KeyFile: '',
    MesosCredentials: { Principal: '', Secret: '' }, IAMConfigFile: '', MesosAuthentication: '',
    CacheOn: false, CacheMaxEntries: 0, CacheMaxBytes: 0, ForwardMaxOutstanding: 0, ForwardAllowFrom: [], ForwardMaxTTL: 86400,
    ShutdownGraceSeconds: 5, SnapshotFile: '', StaleAfterSeconds: 0,
    TransferAllowFrom: [], NotifyTargets: [], TransferJournalMaxBytes: 0, PTROn: false, PTRZones: [],
    StateSource: 'poll', StreamRecoveryGraceSeconds: 600, ReconcileSeconds: 0,
    AnswerThreads: 1,
    ...over,
  };
}

const fixture = readFileSync(new URL('./fixtures/fake.json', import.meta.url));

/** A stand-in that names itself as leader (so no redirect happens), closed at teardown. */
async function master(t: Test, opts: Partial<StandInMasterOptions> = {}): Promise<StandInMaster> {
  const m = await startStandInMaster({ state: '{}', ...opts });
  t.teardown(() => m.close());
  if (opts.state === undefined) m.setState(`{"leader":"master@${m.hostPort}","id":"${m.hostPort}"}`);
  return m;
}

function client(t: Test, over: Partial<Config> = {}, maxBodyBytes?: number): StateClient {
  const c = createStateClient(settingsOf(config(over)), silentLogger, { decode: scanDecode, ...(maxBodyBytes ? { maxBodyBytes } : {}) });
  t.teardown(() => c.close());
  return c;
}

/** A loopback port with nothing listening on it (connection refused). */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function rawServer(t: Test, handler: (req: IncomingMessage, res: import('node:http').ServerResponse) => void): Promise<number> {
  const s: Server = createServer(handler);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => { s.close(() => r()); s.closeAllConnections(); }));
  return (s.address() as AddressInfo).port;
}

t.test('fetches the raw state from a master, with the expected request', async (t) => {
  const m = await master(t, { state: fixture });
  const leaderOf = (JSON.parse(fixture.toString()) as { leader: string }).leader;
  // The fixture names 1.2.3.4 as leader: point it at the stand-in so no redirect is attempted.
  const body = Buffer.from(fixture.toString().replace(leaderOf, `master@127.0.0.1:${m.port}`));
  m.setState(body);
  const got = await client(t).fetchState([m.hostPort]);
  t.ok(got.body.equals(body), 'body is the exact bytes served');
  t.equal(got.master, m.hostPort);
  t.equal(got.leader, `master@127.0.0.1:${m.port}`);
  t.equal(m.lastPath, '/master/state');
  t.equal(m.lastHeaders?.['user-agent'], 'Mesos-DNS');
  t.equal(m.lastHeaders?.['accept'], 'application/json');
  t.match(String(m.lastHeaders?.['accept-encoding']), /gzip/);
  t.equal(m.lastHeaders?.['authorization'], undefined, 'no credentials unless configured');
});

t.test('masters are tried in order: the first refuses, the second answers; "" is skipped', async (t) => {
  const dead = `127.0.0.1:${await deadPort()}`;
  const m2 = await master(t);
  const m3 = await master(t);
  const got = await client(t).fetchState(['', dead, m2.hostPort, m3.hostPort]);
  t.equal(got.master, m2.hostPort);
  t.equal(m2.requests, 1);
  t.equal(m3.requests, 0, 'later masters are not asked once one answered');
});

t.test('the leader (first) is asked first when it is up', async (t) => {
  const m1 = await master(t);
  const m2 = await master(t);
  const got = await client(t).fetchState([m1.hostPort, m2.hostPort]);
  t.equal(got.master, m1.hostPort);
  t.equal(m2.requests, 0);
});

t.test('a non-2xx answer is a failure even with a state body: the next master is used (A.16)', async (t) => {
  let asked = 0;
  const port = await rawServer(t, (_req, res) => {
    asked++;
    res.writeHead(503, { 'Content-Type': 'application/json' });
    res.end(`{"leader":"master@127.0.0.1:${port}"}`);
  });
  const m2 = await master(t);
  const got = await client(t).fetchState([`127.0.0.1:${port}`, m2.hostPort]);
  t.equal(got.master, m2.hostPort);
  t.equal(asked, 1);
  const err = await client(t).fetchState([`127.0.0.1:${port}`]).catch((e: Error) => e);
  t.match((err as Error).message, `127.0.0.1:${port}: HTTP 503`);
});

t.test('redirect to the leader named in the state: one hop, original port', async (t) => {
  const a = await master(t);
  // The leader must be on another host (the rule compares hosts) but the same port (it reuses the port).
  let b: StandInMaster | undefined;
  try {
    b = await master(t, { host: '127.0.0.2', port: a.port });
  } catch {
    t.skip('127.0.0.2 or the same port is unavailable', () => {});
    return;
  }
  a.setState('{"leader":"master@127.0.0.2:9999","who":"a"}'); // the leader's own port is ignored
  b.setState('{"who":"b","leader":"master@127.0.0.3:5050"}'); // names yet another host: not followed
  const got = await client(t).fetchState([a.hostPort]);
  t.equal(got.body.toString(), '{"who":"b","leader":"master@127.0.0.3:5050"}', 'the state comes from the leader');
  t.equal(got.master, `127.0.0.2:${a.port}`);
  t.equal(a.requests, 1);
  t.equal(b.requests, 1, 'exactly one hop');
});

t.test('a failing leader hop fails that master; the next master is tried', async (t) => {
  const a = await master(t);
  const dead = await deadPort();
  a.setState(`{"leader":"master@127.0.0.5:${dead}"}`); // 127.0.0.5 at a.port: nothing there
  const c = await master(t);
  const got = await client(t).fetchState([a.hostPort, c.hostPort]);
  t.equal(got.master, c.hostPort);
});

t.test('same host as the master: no redirect even with another port in the leader', async (t) => {
  const a = await master(t);
  a.setState('{"leader":"master@127.0.0.1:1"}');
  const got = await client(t).fetchState([a.hostPort]);
  t.equal(got.master, a.hostPort);
  t.equal(a.requests, 1);
});

t.test('empty, missing, null or malformed leader → that master fails', async (t) => {
  const cases: [string, RegExp][] = [
    ['{"leader":""}', /does not contain leader information/],
    ['{"id":"x"}', /does not contain leader information/],
    ['{"leader":null}', /does not contain leader information/],
    ['{"leader":"no-at-sign"}', /Invalid leader address/],
    ['{"leader":"a@b@c:1"}', /Invalid leader address/],
    ['{"leader":5050}', /not a string/],
    ['<html>not json</html>', /not a JSON object/],
    ['{"leader":"master@127.0.0.1:1", "slaves":[', /truncated/],
  ];
  const c = client(t);
  for (const [body, why] of cases) {
    const m = await master(t, { state: body });
    const err = await c.fetchState([m.hostPort]).catch((e: unknown) => e);
    t.type(err, StateFetchError, body);
    t.match((err as Error).message, why, body);
    t.match((err as Error).message, m.hostPort, 'the message names the master');
  }
});

t.test('timeout while waiting for the answer (StateTimeoutSeconds=1)', async (t) => {
  const m = await master(t);
  m.setDelay(20_000);
  const m2 = await master(t);
  const started = Date.now();
  const got = await client(t, { StateTimeoutSeconds: 1 }).fetchState([m.hostPort, m2.hostPort]);
  t.equal(got.master, m2.hostPort, 'the slow master was given up and the next one used');
  t.ok(Date.now() - started < 8_000, 'given up in about a second');
  const err = await client(t, { StateTimeoutSeconds: 1 }).fetchState([m.hostPort]).catch((e: Error) => e);
  t.match((err as Error).message, /timed out after 1s/);
});

t.test('the timeout covers the body: a master that stalls mid-body fails', async (t) => {
  const port = await rawServer(t, (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '100000' });
    res.write('{"leader":"master@127.0.0.1:1","x":"');
    // ...and never the rest.
  });
  const started = Date.now();
  const err = await client(t, { StateTimeoutSeconds: 1 }).fetchState([`127.0.0.1:${port}`]).catch((e: Error) => e);
  t.type(err, StateFetchError);
  t.match((err as Error).message, /timed out/);
  t.ok(Date.now() - started < 8_000);
});

t.test('gzip answers are decoded', async (t) => {
  const big = JSON.stringify({ leader: 'master@127.0.0.1:1', pad: 'x'.repeat(300_000) });
  const m = await master(t, { state: big, gzip: true });
  const got = await client(t).fetchState([m.hostPort]);
  t.equal(got.body.toString(), big);
  // The stand-in gzips when asked (its own test checks that); here: chunked gzip with no length too.
  const { gzipSync } = await import('node:zlib');
  const gz = gzipSync(big);
  const port = await rawServer(t, (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
    res.write(gz.subarray(0, 1000));
    res.end(gz.subarray(1000));
  });
  t.equal((await client(t).fetchState([`127.0.0.1:${port}`])).body.toString(), big);
});

t.test('bodies over the size limit fail (plain and gzip)', async (t) => {
  const big = JSON.stringify({ leader: 'master@127.0.0.1:1', pad: 'x'.repeat(10_000) });
  const plain = await master(t, { state: big });
  const gz = await master(t, { state: big, gzip: true });
  const c = client(t, {}, 5_000);
  for (const m of [plain, gz]) {
    const err = await c.fetchState([m.hostPort]).catch((e: Error) => e);
    t.match((err as Error).message, /limit/);
  }
  t.equal((await client(t, {}, 20_000).fetchState([plain.hostPort])).body.toString(), big, 'under the limit is fine');
});

t.test('HTTPS: a master that never finishes the TLS handshake is given StateTimeoutSeconds, not 10 s', async (t) => {
  const held: Socket[] = [];
  const silent = createTcpServer((sock) => { held.push(sock); }); // accepts, never answers the ClientHello
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  t.teardown(() => { held.forEach((s) => s.destroy()); silent.close(); });
  const port = (silent.address() as AddressInfo).port;
  const err = await client(t, { MesosHTTPSOn: true, StateTimeoutSeconds: 12 }).fetchState([`127.0.0.1:${port}`]).catch((e: Error) => e);
  t.match((err as Error).message, /state request timed out after 12s/, 'our deadline, not undici\'s connect timeout');
});

t.test('a gzip bomb stops at the limit and is reported as the limit, not as an abort', async (t) => {
  const { gzipSync } = await import('node:zlib');
  const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024)); // 64 MiB of zeros in ~64 kB
  const port = await rawServer(t, (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
    res.end(bomb);
  });
  const err = await client(t, {}, 1024 * 1024).fetchState([`127.0.0.1:${port}`]).catch((e: Error) => e);
  t.type(err, StateFetchError);
  t.match((err as Error).message, /state body exceeds the limit of 1048576 bytes \(decompressed\)/);
  t.notMatch((err as Error).message, /ABORT_ERR|aborted/);
});

t.test('HTTP redirects (as a non-leading Mesos master sends) are followed', async (t) => {
  const target = await master(t);
  const m = await master(t);
  m.setRedirect(`//127.0.0.1:${target.port}/master/state`);
  const got = await client(t).fetchState([m.hostPort]);
  t.equal(got.body.toString(), `{"leader":"master@${target.hostPort}","id":"${target.hostPort}"}`);
  t.equal(target.requests, 1);
});

t.test('basic auth: credentials sent when configured; 401 without them', async (t) => {
  const m = await master(t, { basicAuth: { principal: 'dns', secret: 'pw' } });
  const authed = client(t, { MesosAuthentication: 'basic', MesosCredentials: { Principal: 'dns', Secret: 'pw' } });
  const got = await authed.fetchState([m.hostPort]);
  t.equal(got.master, m.hostPort);
  t.equal(m.lastHeaders?.authorization, 'Basic ' + Buffer.from('dns:pw').toString('base64'));
  const err = await client(t).fetchState([m.hostPort]).catch((e: Error) => e);
  t.match((err as Error).message, /HTTP 401/);
  const wrong = client(t, { MesosAuthentication: 'basic', MesosCredentials: { Principal: 'dns', Secret: 'no' } });
  t.match(((await wrong.fetchState([m.hostPort]).catch((e: Error) => e)) as Error).message, /HTTP 401/);
});

// ---- TLS ----
const dir = mkdtempSync(join(tmpdir(), 'state-fetch-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
function selfSigned(name: string, cn: string): { key: string; cert: string } {
  const key = join(dir, `${name}.key`), cert = join(dir, `${name}.crt`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2',
    '-subj', `/CN=${cn}`, '-addext', 'subjectAltName=IP:127.0.0.1',
  ], { stdio: 'ignore' });
  return { key, cert };
}

t.test('HTTPS: verified with CACertFile, unverified without, rejected with the wrong CA', async (t) => {
  const server = selfSigned('server', '127.0.0.1');
  const other = selfSigned('other', 'someone-else');
  const m = await master(t, { tls: { key: readFileSync(server.key), cert: readFileSync(server.cert) } });
  t.equal((await client(t, { MesosHTTPSOn: true, CACertFile: server.cert }).fetchState([m.hostPort])).master, m.hostPort);
  t.equal((await client(t, { MesosHTTPSOn: true }).fetchState([m.hostPort])).master, m.hostPort, 'no CA: verification off');
  const err = await client(t, { MesosHTTPSOn: true, CACertFile: other.cert }).fetchState([m.hostPort]).catch((e: Error) => e);
  t.type(err, StateFetchError, 'a certificate the CA did not sign is refused');
  const plain = await client(t).fetchState([m.hostPort]).catch((e: Error) => e);
  t.type(plain, StateFetchError, 'plain HTTP to an HTTPS master fails');
});

t.test('HTTPS without CACertFile: a warning at start says the masters are not verified', async (t) => {
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (l: string) => { lines.push(l); } });
  const warned = (over: Partial<Config>) => {
    lines.length = 0;
    createStateClient(settingsOf(config(over)), log, { decode: scanDecode }).close();
    return lines.map((l) => (JSON.parse(l) as { msg: string }).msg).filter((m) => /not verified/.test(m));
  };
  t.same(warned({ MesosHTTPSOn: true }), ['MesosHTTPSOn without CACertFile: the masters\' certificates are not verified (set CACertFile to verify them)']);
  t.same(warned({ MesosHTTPSOn: true, CACertFile: selfSigned('server3', '127.0.0.1').cert }), [], 'with a CA: no warning');
  t.same(warned({}), [], 'plain HTTP: no warning');
});

t.test('HTTPS: client certificate from CertFile/KeyFile', async (t) => {
  const server = selfSigned('server2', '127.0.0.1');
  const clientCert = selfSigned('client', 'mesos-dns');
  const m = await master(t, {
    tls: { key: readFileSync(server.key), cert: readFileSync(server.cert), ca: readFileSync(clientCert.cert), requestCert: true },
  });
  const withCert = client(t, { MesosHTTPSOn: true, CACertFile: server.cert, CertFile: clientCert.cert, KeyFile: clientCert.key });
  t.equal((await withCert.fetchState([m.hostPort])).master, m.hostPort);
  const without = await client(t, { MesosHTTPSOn: true, CACertFile: server.cert }).fetchState([m.hostPort]).catch((e: Error) => e);
  t.type(without, StateFetchError, 'the master refuses a client without a certificate');
});

// ---- IAM ----
t.test('IAM: RS256 login before each state request, then Authorization: token=<token>', async (t) => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const logins: { uid: string; claims: Record<string, unknown> }[] = [];
  let loginStatus = 200;
  const loginPort = await rawServer(t, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const { uid, token } = JSON.parse(Buffer.concat(chunks).toString()) as { uid: string; token: string };
      const [h, p, s] = token.split('.') as [string, string, string];
      const ok = req.method === 'POST' && req.headers['content-type'] === 'application/json' &&
        verify('sha256', Buffer.from(`${h}.${p}`), publicKey, Buffer.from(s, 'base64url')) &&
        (JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg: string }).alg === 'RS256';
      const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
      logins.push({ uid, claims });
      const status = ok ? loginStatus : 400;
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(status === 200 ? JSON.stringify({ token: `tok-${logins.length}` }) : '{}');
    });
  });
  const iamFile = join(dir, 'iam.json');
  writeFileSync(iamFile, JSON.stringify({
    uid: 'dns-svc',
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
    login_endpoint: `http://127.0.0.1:${loginPort}/acs/api/v1/auth/login`,
  }));
  const m = await master(t);
  const c = client(t, { MesosAuthentication: 'iam', IAMConfigFile: iamFile });
  await c.fetchState([m.hostPort]);
  t.equal(m.lastHeaders?.authorization, 'token=tok-1');
  await c.fetchState([m.hostPort]);
  t.equal(m.lastHeaders?.authorization, 'token=tok-2', 'a fresh login for every state request');
  t.equal(logins.length, 2);
  t.equal(logins[0]!.uid, 'dns-svc');
  t.equal(logins[0]!.claims['uid'], 'dns-svc');
  const exp = Number(logins[0]!.claims['exp']);
  const inAnHour = Date.now() / 1000 + 3600;
  t.ok(Math.abs(exp - inAnHour) < 120, 'exp is about an hour ahead');

  loginStatus = 401;
  const err = await c.fetchState([m.hostPort]).catch((e: Error) => e);
  t.match((err as Error).message, /IAM authentication failed/);
  t.equal(m.requests, 2, 'no state request without a token');
});

/** An IAM login endpoint that hands out the token "tok" and records the uids that asked. */
async function iamLogin(t: Test): Promise<{ uids: string[]; loginPort: number }> {
  const uids: string[] = [];
  const loginPort = await rawServer(t, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      uids.push((JSON.parse(Buffer.concat(chunks).toString()) as { uid: string }).uid);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ token: 'tok' }));
    });
  });
  return { uids, loginPort };
}

t.test('IAM: a file the config loader accepts is the file the client logs in with (keys in any case, A.19)', async (t) => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const { uids, loginPort } = await iamLogin(t);
  // Go decodes JSON keys case-insensitively, so the original accepts this file; so does our loader.
  const iamFile = join(dir, 'iam-case.json');
  writeFileSync(iamFile, JSON.stringify({
    UID: 'dns-svc',
    Private_Key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
    Login_Endpoint: `http://127.0.0.1:${loginPort}/acs/api/v1/auth/login`,
  }));
  const m = await master(t);
  const loaded = loadSettingsText(JSON.stringify({ masters: [m.hostPort], mesosauthentication: 'iam', iamconfigfile: iamFile }),
    join(dir, 'config.json'), { warn: () => {} });
  const c = createStateClient(loaded, silentLogger, { decode: scanDecode });
  t.teardown(() => c.close());
  t.equal((await c.fetchState([m.hostPort])).master, m.hostPort);
  t.equal(m.lastHeaders?.authorization, 'token=tok');
  t.same(uids, ['dns-svc']);
});

t.test('the files as loaded are the files used: edited after loading, the client keeps what was validated (A.19)', async (t) => {
  // The build worker used to read CACertFile and the IAM file again when it made its client, so a
  // file edited (or half-written) after start-up or a reload was not the one validated.
  const server = selfSigned('loaded-server', '127.0.0.1');
  const other = selfSigned('loaded-other', 'someone-else');
  const caFile = join(dir, 'loaded-ca.crt');
  writeFileSync(caFile, readFileSync(server.cert));
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const { uids, loginPort } = await iamLogin(t);
  const iamFile = join(dir, 'iam-loaded.json');
  const iam = (uid: string, key: string) => JSON.stringify({ uid, private_key: key, login_endpoint: `http://127.0.0.1:${loginPort}/login` });
  writeFileSync(iamFile, iam('dns-svc', privateKey.export({ type: 'pkcs8', format: 'pem' }) as string));
  const m = await master(t, { tls: { key: readFileSync(server.key), cert: readFileSync(server.cert) } });
  const loaded = loadSettingsText(JSON.stringify({
    masters: [m.hostPort], mesoshttpson: true, cacertfile: caFile, mesosauthentication: 'iam', iamconfigfile: iamFile,
  }), join(dir, 'config.json'), { warn: () => {} });
  // Both files change after loading: another CA, and an IAM file whose key does not parse.
  writeFileSync(caFile, readFileSync(other.cert));
  writeFileSync(iamFile, iam('someone-else', 'not a key'));
  // The worker is posted a structured clone of the settings (zone/protocol.ts).
  const c = createStateClient(structuredClone(loaded), silentLogger, { decode: scanDecode });
  t.teardown(() => c.close());
  t.equal((await c.fetchState([m.hostPort])).master, m.hostPort, 'verified with the CA loaded, not the one on disk now');
  t.equal(m.lastHeaders?.authorization, 'token=tok');
  t.same(uids, ['dns-svc'], 'signed in as the IAM file loaded said');
});

// ---- everything failing ----
t.test('all masters fail: the error names every master and why', async (t) => {
  const dead = `127.0.0.1:${await deadPort()}`;
  const busy = await master(t, { status: 503 });
  const leaderless = await master(t, { state: '{"leader":""}' });
  const err = await client(t).fetchState([dead, busy.hostPort, leaderless.hostPort]).catch((e: unknown) => e);
  t.type(err, StateFetchError);
  const e = err as StateFetchError;
  t.same(e.attempts.map((a) => a.master), [dead, busy.hostPort, leaderless.hostPort]);
  t.match(e.message, dead);
  t.match(e.message, /ECONNREFUSED/);
  t.match(e.message, `${busy.hostPort}: HTTP 503`);
  t.match(e.message, `${leaderless.hostPort}: fetched state does not contain leader information`);
});

t.test('no usable masters at all', async (t) => {
  const c = client(t);
  await t.rejects(c.fetchState([]), StateFetchError);
  await t.rejects(c.fetchState(['', '']), /no masters/);
  const err = (await c.fetchState(['not-an-address']).catch((e: Error) => e)) as Error;
  t.match(err.message, /not-an-address.*missing port/);
});

t.test('IPv6 masters are bracketed', async (t) => {
  let m: StandInMaster;
  try {
    m = await master(t, { host: '::1' });
  } catch {
    t.skip('no IPv6 loopback here', () => {});
    return;
  }
  const got = await client(t).fetchState([m.hostPort]);
  t.equal(got.master, `[::1]:${m.port}`);
  t.equal(m.requests, 1);
});

t.test('close() aborts a request in flight', async (t) => {
  const m = await master(t);
  m.setDelay(20_000);
  const c = createStateClient(settingsOf(config()), silentLogger, { decode: scanDecode });
  const pending = c.fetchState([m.hostPort]).catch((e: Error) => e);
  await new Promise((r) => setTimeout(r, 100));
  await c.close();
  t.type(await pending, StateFetchError);
  await t.rejects(c.fetchState([m.hostPort]), /closed/);
});

// ---- the leader scan itself ----
t.test('scanLeader follows Go decoding of the top-level key', async (t) => {
  const ok = (s: string) => scanLeader(Buffer.from(s));
  t.same(ok('{"leader":"m@1.2.3.4:5"}'), { ok: true, leader: 'm@1.2.3.4:5' });
  t.same(ok(' \n{"a":{"leader":"nested@9.9.9.9:1"},"leader":"m@1.2.3.4:5"} \n'), { ok: true, leader: 'm@1.2.3.4:5' });
  t.same(ok('{"a":[{"leader":"x@1:1"}],"b":"\\"leader\\":\\"y@2:2\\""}'), { ok: true, leader: '' }, 'only the top level counts');
  t.same(ok('{"LEADER":"a@1.1.1.1:1"}'), { ok: true, leader: 'a@1.1.1.1:1' }, 'keys match case-insensitively');
  t.same(ok('{"le\\u0061der":"a@1.1.1.1:1"}'), { ok: true, leader: 'a@1.1.1.1:1' }, 'escaped keys');
  t.same(ok('{"leader":"a@1.1.1.1:1","leader":"b@2.2.2.2:2"}'), { ok: true, leader: 'b@2.2.2.2:2' }, 'last wins');
  t.same(ok('{"leader":"a@1.1.1.1:1","leader":null}'), { ok: true, leader: 'a@1.1.1.1:1' }, 'null leaves it');
  t.same(ok('{"leader" : "m\\u0040h\\\\:1"}'), { ok: true, leader: 'm@h\\:1' }, 'escapes decoded');
  t.same(ok('{"x":"a\\\\","leader":"m@h:1"}'), { ok: true, leader: 'm@h:1' }, 'escaped backslash before a quote');
  t.match(ok('{"leader":["a"]}'), { ok: false });
  t.match(ok('{"leader":true}'), { ok: false });
  t.match(ok('[{"leader":"a@b:1"}]'), { ok: false });
  t.match(ok(''), { ok: false });
  t.match(ok('{"leader":"a@b:1"} x'), { ok: false });
  t.match(ok('{"leader":"a@b:1"'), { ok: false });
  t.match(ok('{"leader":"a@b:1}'), { ok: false });
  // Sliced scanning gives the same verdicts.
  const doc = Buffer.from(JSON.stringify({ a: 'x'.repeat(1000), b: [{ leader: 'no' }], leader: 'm@1.2.3.4:5', c: { d: '"}' } }));
  t.same(await scanLeaderAsync(doc, 7), { ok: true, leader: 'm@1.2.3.4:5' });
  t.same(await scanLeaderAsync(doc.subarray(0, doc.length - 3), 7), scanLeader(doc.subarray(0, doc.length - 3)));
});

t.test('leaderHost', async (t) => {
  t.equal(leaderHost('master@144.76.157.37:5050'), '144.76.157.37');
  t.equal(leaderHost('master@[2001:db8::1]:5050'), '2001:db8::1');
  t.throws(() => leaderHost('master!144.76.157.37;5050'), /Invalid leader address/);
  t.throws(() => leaderHost('master@1.2.3.4'), /Invalid leader address/);
});
