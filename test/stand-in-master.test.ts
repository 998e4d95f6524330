// The stand-in master is what the demo, the other tests and the benchmarks fetch from, so its own
// behaviour is pinned here with a plain node:http client (no decoding, no redirects, nothing hidden).
import t from 'tap';
import { request as httpRequest, Agent } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { rewriteLeader, startStandInMaster, type StandInMaster } from '../src/demo/master.js';

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(m: StandInMaster, path: string, headers: Record<string, string> = {}, agent?: Agent): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: m.host, port: m.port, path, method: 'GET', headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const fixture = readFileSync(new URL('./fixtures/fake.json', import.meta.url));

t.test('serves the state on every state path, as JSON, byte for byte', async (t) => {
  const m = await startStandInMaster({ state: fixture });
  t.teardown(() => m.close());
  t.equal(m.host, '127.0.0.1');
  t.ok(m.port > 0);
  t.equal(m.url, `http://127.0.0.1:${m.port}`);
  t.equal(m.hostPort, `127.0.0.1:${m.port}`);
  for (const path of ['/master/state', '/master/state.json', '/state.json', '/master/state?jsonp=x']) {
    const r = await get(m, path);
    t.equal(r.status, 200, path);
    t.equal(r.headers['content-type'], 'application/json', path);
    t.equal(r.headers['content-length'], String(fixture.length), path);
    t.ok(r.body.equals(fixture), `${path} body is the given bytes`);
  }
  t.equal(m.requests, 4);
});

t.test('404 for anything else', async (t) => {
  const m = await startStandInMaster({ state: { leader: 'master@1.2.3.4:5050' } });
  t.teardown(() => m.close());
  for (const path of ['/', '/master', '/master/state/x', '/state', '/master/slaves', '/v1/state']) {
    const r = await get(m, path);
    t.equal(r.status, 404, path);
  }
  t.equal(m.requests, 6);
  t.equal(m.lastPath, '/v1/state');
});

t.test('object states are serialised once; setState replaces them', async (t) => {
  const m = await startStandInMaster({ state: { leader: 'master@1.2.3.4:5050', slaves: [] } });
  t.teardown(() => m.close());
  t.same(JSON.parse((await get(m, '/master/state')).body.toString()), { leader: 'master@1.2.3.4:5050', slaves: [] });
  m.setState('{"leader":"master@5.6.7.8:5050"}');
  t.equal((await get(m, '/master/state')).body.toString(), '{"leader":"master@5.6.7.8:5050"}');
  m.setState(Buffer.from('{"leader":""}'));
  t.equal((await get(m, '/master/state')).body.toString(), '{"leader":""}');
});

t.test('basic auth: 401 unless the Authorization header matches', async (t) => {
  const m = await startStandInMaster({ state: { leader: 'x@1.1.1.1:1' }, basicAuth: { principal: 'dns', secret: 's3cret' } });
  t.teardown(() => m.close());
  const none = await get(m, '/master/state');
  t.equal(none.status, 401);
  t.match(none.headers['www-authenticate'], /^Basic/);
  const wrong = await get(m, '/master/state', { Authorization: 'Basic ' + Buffer.from('dns:nope').toString('base64') });
  t.equal(wrong.status, 401);
  const right = await get(m, '/master/state', { Authorization: 'Basic ' + Buffer.from('dns:s3cret').toString('base64') });
  t.equal(right.status, 200);
  t.equal(right.body.toString(), '{"leader":"x@1.1.1.1:1"}');
  t.equal(m.lastHeaders?.authorization, 'Basic ' + Buffer.from('dns:s3cret').toString('base64'));
});

t.test('setStatus, setRedirect and setDelay', async (t) => {
  const m = await startStandInMaster({ state: { leader: 'x@1.1.1.1:1' }, status: 503 });
  t.teardown(() => m.close());
  const r503 = await get(m, '/master/state');
  t.equal(r503.status, 503);
  t.not(r503.headers['content-type'], 'application/json', 'an error answer is not the state');
  m.setStatus(200);
  t.equal((await get(m, '/master/state')).status, 200);
  m.setRedirect('http://127.0.0.1:1/master/state');
  const r307 = await get(m, '/master/state');
  t.equal(r307.status, 307);
  t.equal(r307.headers['location'], 'http://127.0.0.1:1/master/state');
  m.setRedirect(null);
  m.setDelay(300);
  const started = Date.now();
  t.equal((await get(m, '/master/state')).status, 200);
  t.ok(Date.now() - started >= 250, 'the answer waited for the delay');
});

t.test('gzip when asked for and accepted; identity otherwise', async (t) => {
  const m = await startStandInMaster({ state: fixture, gzip: true });
  t.teardown(() => m.close());
  const gz = await get(m, '/master/state', { 'Accept-Encoding': 'gzip' });
  t.equal(gz.headers['content-encoding'], 'gzip');
  t.ok(gz.body.length < fixture.length);
  t.ok(gunzipSync(gz.body).equals(fixture));
  const refused = await get(m, '/master/state', { 'Accept-Encoding': 'gzip;q=0, identity' });
  t.equal(refused.headers['content-encoding'], undefined);
  t.ok(refused.body.equals(fixture));
  const plain = await get(m, '/master/state');
  t.equal(plain.headers['content-encoding'], undefined);
  t.ok(plain.body.equals(fixture));
  m.setState('{"leader":"new@1.1.1.1:1"}');
  t.equal(gunzipSync((await get(m, '/master/state', { 'Accept-Encoding': 'gzip' })).body).toString(), '{"leader":"new@1.1.1.1:1"}', 'a new state gets a new gzip copy');
});

t.test('close() finishes even with an idle keep-alive connection and a delayed answer pending', async (t) => {
  const m = await startStandInMaster({ state: { leader: 'x@1.1.1.1:1' } });
  const agent = new Agent({ keepAlive: true });
  t.teardown(() => agent.destroy());
  t.equal((await get(m, '/master/state', {}, agent)).status, 200);
  m.setDelay(60_000);
  const pending = get(m, '/master/state', {}, agent).catch((e: Error) => e);
  await new Promise((r) => setTimeout(r, 50));
  await m.close();
  t.type(await pending, Error, 'the pending request was cut off');
  await t.rejects(get(m, '/master/state'), 'nothing listens after close');
});

t.test('IPv6 listener gives a bracketed url and hostPort', async (t) => {
  let m: StandInMaster;
  try {
    m = await startStandInMaster({ host: '::1', state: { leader: 'x@[::1]:1' } });
  } catch {
    t.skip('no IPv6 loopback here', () => {});
    return;
  }
  t.teardown(() => m.close());
  t.equal(m.hostPort, `[::1]:${m.port}`);
  t.equal(m.url, `http://[::1]:${m.port}`);
  t.equal((await get(m, '/master/state')).status, 200);
});

t.test('rewriteLeader points leader and pid at the given master', async (t) => {
  const state = { leader: 'master@1.2.3.4:5050', pid: 'master@1.2.3.4:5050', hostname: 'h', slaves: [1] };
  const out = rewriteLeader(state, '127.0.0.1:25050');
  t.equal(out.leader, 'master@127.0.0.1:25050');
  t.equal(out.pid, 'master@127.0.0.1:25050');
  t.equal(out.hostname, 'h');
  t.same(out.slaves, [1]);
  t.equal(state.leader, 'master@1.2.3.4:5050', 'the input is not modified');
  const bytes = rewriteLeader(fixture, '[::1]:5050');
  t.ok(Buffer.isBuffer(bytes));
  const parsed = JSON.parse(bytes.toString()) as Record<string, unknown>;
  t.equal(parsed['leader'], 'master@[::1]:5050');
  t.equal(parsed['pid'], 'master@[::1]:5050');
  t.same(parsed['frameworks'], (JSON.parse(fixture.toString()) as Record<string, unknown>)['frameworks']);
});
