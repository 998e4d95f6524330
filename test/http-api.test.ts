// HTTP API against the original's captures: the real handler on a free 127.0.0.1 port, real HTTP
// requests (node:http, so odd raw paths reach the server unmodified), whole bodies compared.
// Where the original's order was random (values of a name, the A value picked for a service),
// bodies are compared as multisets; everything else is compared exactly.
//
// The zone is built the way the capture run built it: test/fixtures/fake.json with the leader
// rewritten to 127.0.0.1:25050, parsed and generated with the options of
// test/fixtures/reference/config.json, wrapped in MapSnapshot; the config is that config.json
// through our loader. So these checks cover parse → generate → HTTP against the original.
//
// Differences from the captures, each explained by SPEC Part A:
// - v1-hosts-some-box.STAR.chronoswithaspaceandmixedcase-2.0.1.mesos: the original stripped
//   `.*` and answered some-box.chronoswithaspaceandmixedcase-2.0.1.mesos.; we look up the name
//   as given, which does not exist → the not-found placeholder (A.6).
// - v1-config: the Mesos secret is redacted (A.18); SOASerial and File are whatever this process
//   holds (the capture's are from its own run, not a behaviour); after the original's fields come
//   our added config keys and MastersSource (our additions, see src/http/api.ts).
// - Upper-case lookups (v1-hosts-LIQUOR-STORE..., v1-services-_LEADER._TCP.MESOS) answer the same
//   as the original (A.5 keeps lookups case-insensitive; the `host` field is the lower-case key and
//   `service` echoes the parameter as received, as before) — no difference, listed for clarity.
// - Before the first state load the zone routes answer 503 (the original did not listen yet, A.1).
import t, { type Test } from 'tap';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { readFileSync, readdirSync } from 'node:fs';
import { startHttpServer, type HttpApiDeps } from '../src/http/api.js';
import { HttpMetrics } from '../src/http/metrics.js';
import { MapSnapshot } from './support/map-snapshot.js';
import type { ZoneSnapshot } from '../src/zone/types.js';
import type { Config } from '../src/config/types.js';
import { parseState } from '../src/state/parse.js';
import { generate } from '../src/records/generate.js';
import { loadConfigText } from '../src/config/load.js';
import { silentLogger } from '../src/log.js';

const REF = new URL('./fixtures/reference/http/', import.meta.url);
const refText = (f: string): string => readFileSync(new URL(f, REF), 'utf8');
const refJson = (f: string): any => JSON.parse(refText(f));

const REF_VERSION = 'v0.7.0-rc1-7-ge888ef4';
const REF_SERIAL = 1795319429;

// ---------- fixture zone: fake.json as the capture run served it, through parse + generate ----------
interface AxfrBody { Records: { As: Record<string, string[]>; AAAAs: Record<string, string[]>; SRVs: Record<string, string[]> } }
const refAxfr = refJson('v1-axfr.body') as AxfrBody;
const FIXTURE_STATE = readFileSync(new URL('./fixtures/fake.json', import.meta.url), 'utf8')
  .replaceAll('master@1.2.3.4:5050', 'master@127.0.0.1:25050');
const parsed = parseState(JSON.parse(FIXTURE_STATE));
if (!parsed.state) throw new Error(`fixture state rejected: ${parsed.error}`);
const generated = generate(parsed.state, new Map([['localhost', ['127.0.0.1']]]), {
  domain: 'mesos',
  nsName: 'ns1.mesos.',
  listener: '127.0.0.1',
  enforceRFC952: false,
  ipSources: ['netinfo', 'mesos', 'host'],
  masters: ['127.0.0.1:25050'],
});
const fixtureSnapshot = (): ZoneSnapshot => new MapSnapshot(generated.records, generated.enumeration, REF_SERIAL);

// ---------- fixture config: test/fixtures/reference/config.json through the real loader ----------
const FIXTURE_CONFIG_TEXT = readFileSync(new URL('./fixtures/reference/config.json', import.meta.url), 'utf8');
const CONFIG_FILE = '/srv/mesos-dns/config.json';
const CONFIG_SERIAL = 1800000000;
const loadedConfig = loadConfigText(FIXTURE_CONFIG_TEXT, CONFIG_FILE, { now: () => CONFIG_SERIAL, warn: () => {} });
function fixtureConfig(over: Partial<Config> = {}): Config {
  return { ...structuredClone(loadedConfig), ...over };
}

// ---------- one server; each test sets what the deps return ----------
let cfg = fixtureConfig();
let snap: ZoneSnapshot | null = fixtureSnapshot();
let mastersSource: HttpApiDeps['mastersSource'] = undefined;
let snapshotThrows = false;
const metrics = new HttpMetrics();
const deps: HttpApiDeps = {
  config: () => cfg,
  snapshot: () => {
    if (snapshotThrows) throw new Error('boom');
    return snap;
  },
  version: REF_VERSION,
  get mastersSource() { return mastersSource; },
  log: silentLogger,
  metrics,
};
const srv = await startHttpServer(deps, '127.0.0.1', 0);
t.teardown(() => srv.close());
t.beforeEach(() => {
  cfg = fixtureConfig();
  snap = fixtureSnapshot();
  mastersSource = undefined;
  snapshotThrows = false;
});

interface Reply { status: number; headers: IncomingHttpHeaders; body: string }
function call(path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    // Node's client sends a GET body without framing unless told its length
    const headers = opts.body === undefined ? opts.headers : { ...opts.headers, 'Content-Length': String(Buffer.byteLength(opts.body)) };
    const req = httpRequest(
      { host: '127.0.0.1', port: srv.port, method: opts.method ?? 'GET', path, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

const JSON_TYPE = 'application/json';
const TEXT_TYPE = 'text/plain; charset=utf-8';
const multiset = (a: unknown[]): string[] => a.map((x) => JSON.stringify(x)).sort();
const NOT_FOUND = { status: 404, type: TEXT_TYPE, body: '404: Page Not Found' };

async function expectText(tt: Test, path: string, exp: { status: number; type: string; body: string }, opts?: Parameters<typeof call>[1]): Promise<void> {
  const r = await call(path, opts);
  tt.equal(r.status, exp.status, `${opts?.method ?? 'GET'} ${path} status`);
  tt.equal(r.headers['content-type'], exp.type, `${path} content-type`);
  tt.equal(r.body, exp.body, `${path} body`);
}

// ---------- reference captures ----------
/** Capture file name → request path (`.STAR.` stands for `*`, `-ports` for the /ports suffix). */
function capturePath(base: string): string {
  let p = base.replace(/^v1-/, '/v1/').replace('.STAR.', '.*.');
  if (p.endsWith('-ports')) p = p.slice(0, -'-ports'.length) + '/ports';
  return p.replace(/^\/v1\/(hosts|services)-/, '/v1/$1/');
}

function captureHead(base: string): { status: number; type: string } {
  const lines = refText(`${base}.headers`).split(/\r?\n/);
  const status = Number(lines[0]!.split(' ')[1]);
  const type = lines.find((l) => /^content-type:/i.test(l))!.replace(/^content-type:\s*/i, '');
  return { status, type };
}

/** Addresses per name from the reference zone, to check which A/AAAA a service entry picked. */
const refAddrs = (name: string): string[] => [...(refAxfr.Records.As[name] ?? []), ...(refAxfr.Records.AAAAs[name] ?? [])];

/** The original picked a random A (and AAAA) value of each target; keep the family, check membership. */
function serviceShape(tt: Test, entries: { service: string; host: string; ip: string; port: string }[]): string[] {
  for (const e of entries) if (e.host) tt.ok(refAddrs(e.host).includes(e.ip), `${e.ip} is an address of ${e.host}`);
  return multiset(entries.map((e) => ({ ...e, ip: e.ip === '' ? '' : e.ip.includes(':') ? 'AAAA' : 'A' })));
}

const CAPTURES = readdirSync(REF).filter((f) => f.endsWith('.body')).map((f) => f.slice(0, -'.body'.length)).sort();

t.test('every reference capture has a check', async (tt) => {
  // hosts/services captures are all covered by the loop below; these have their own tests
  tt.same(CAPTURES.filter((b) => !/^v1-(hosts|services)-/.test(b)), ['v1-axfr', 'v1-config', 'v1-enumerate', 'v1-nonexistent', 'v1-version']);
  tt.equal(CAPTURES.length, 26);
});

t.test('hosts and services captures (with the Part A exceptions)', async (tt) => {
  for (const base of CAPTURES.filter((b) => /^v1-(hosts|services)-/.test(b))) {
    const path = capturePath(base);
    const head = captureHead(base);
    const r = await call(path);
    tt.equal(r.status, head.status, `${path} status`);
    tt.equal(r.headers['content-type'], head.type, `${path} content-type`);
    let expected = head.type === JSON_TYPE ? refJson(`${base}.body`) : refText(`${base}.body`);
    if (base.includes('.STAR.')) expected = [{ host: '', ip: '' }]; // A.6: `*` is an ordinary label
    if (head.type !== JSON_TYPE) tt.equal(r.body, expected, `${path} body`);
    else if (base.startsWith('v1-services-')) tt.same(serviceShape(tt, JSON.parse(r.body)), serviceShape(tt, expected), `${path} body`);
    else tt.same(multiset(JSON.parse(r.body)), multiset(expected), `${path} body`);
  }
});

t.test('single-entry bodies are byte-identical to the original (Go pretty-printing)', async (tt) => {
  for (const base of ['v1-hosts-leader.mesos', 'v1-hosts-nx.mesos', 'v1-services-_leader._tcp.mesos', 'v1-services-_LEADER._TCP.MESOS', 'v1-services-_nx._tcp.mesos']) {
    const r = await call(capturePath(base));
    tt.equal(r.body, refText(`${base}.body`), base);
  }
});

t.test('/v1/version is byte-identical', async (tt) => {
  await expectText(tt, '/v1/version', { status: 200, type: JSON_TYPE, body: refText('v1-version.body') });
  tt.equal(captureHead('v1-version').type, JSON_TYPE);
});

t.test('/v1/nonexistent is the plain-text 404', async (tt) => {
  const head = captureHead('v1-nonexistent');
  await expectText(tt, '/v1/nonexistent', { ...head, body: refText('v1-nonexistent.body') });
});

t.test('/v1/config: the original fields in order, secret redacted, then our additions', async (tt) => {
  const r = await call('/v1/config');
  tt.equal(r.status, 200);
  tt.equal(r.headers['content-type'], captureHead('v1-config').type);
  const body = JSON.parse(r.body);
  const ref = refJson('v1-config.body');
  const expected = {
    ...ref,
    SOASerial: CONFIG_SERIAL, // live serial of this process, not the capture's
    File: CONFIG_FILE, // path of this process's config file
    // our added keys, after the original's, at their defaults
    CacheOn: loadedConfig.CacheOn,
    CacheMaxEntries: loadedConfig.CacheMaxEntries,
    CacheMaxBytes: loadedConfig.CacheMaxBytes,
    ForwardMaxOutstanding: loadedConfig.ForwardMaxOutstanding,
    ForwardAllowFrom: loadedConfig.ForwardAllowFrom,
    ForwardMaxTTL: loadedConfig.ForwardMaxTTL,
    ShutdownGraceSeconds: loadedConfig.ShutdownGraceSeconds,
    SnapshotFile: loadedConfig.SnapshotFile,
    StaleAfterSeconds: loadedConfig.StaleAfterSeconds,
    TransferAllowFrom: loadedConfig.TransferAllowFrom,
    NotifyTargets: loadedConfig.NotifyTargets,
    TransferJournalMaxBytes: loadedConfig.TransferJournalMaxBytes,
    PTROn: loadedConfig.PTROn,
    PTRZones: loadedConfig.PTRZones,
    StateSource: loadedConfig.StateSource,
    StreamRecoveryGraceSeconds: loadedConfig.StreamRecoveryGraceSeconds,
    ReconcileSeconds: loadedConfig.ReconcileSeconds,
    AnswerThreads: loadedConfig.AnswerThreads,
  };
  tt.same(body, expected);
  tt.same(Object.keys(body), Object.keys(expected), 'key order: original struct order, then added keys');
  tt.equal(r.body.split('\n')[1], '  "RefreshSeconds": 60,', 'Go MarshalIndent layout');
});

t.test('/v1/config redacts the Mesos secret (A.18)', async (tt) => {
  cfg = fixtureConfig({ MesosAuthentication: 'basic', MesosCredentials: { Principal: 'p1', Secret: 's3cr3t' } });
  const r = await call('/v1/config');
  tt.equal(r.status, 200);
  const body = JSON.parse(r.body);
  tt.same(body.MesosCredentials, { Principal: 'p1', Secret: '******' });
  tt.notOk(r.body.includes('s3cr3t'), 'secret appears nowhere in the body');
  tt.equal(cfg.MesosCredentials.Secret, 's3cr3t', 'the live config is not modified');
});

t.test('/v1/config shows MastersSource after every config key, and the live SOASerial', async (tt) => {
  mastersSource = () => ({ masters: ['10.0.0.1:5050', '10.0.0.2:5050'], source: 'zk' });
  cfg = fixtureConfig({ SOASerial: 42 });
  const body = JSON.parse((await call('/v1/config')).body);
  const keys = Object.keys(body);
  tt.equal(keys[keys.length - 1], 'MastersSource');
  tt.same(body.MastersSource, { masters: ['10.0.0.1:5050', '10.0.0.2:5050'], source: 'zk' });
  tt.equal(body.SOASerial, 42);
  cfg = fixtureConfig({ SOASerial: 43, Masters: null });
  const again = JSON.parse((await call('/v1/config')).body);
  tt.equal(again.SOASerial, 43, 'read live on every request');
  tt.equal(again.Masters, null, 'unconfigured Masters is null, as in the original');
});

t.test('/v1/axfr: header fields from config and snapshot, records as the original (value order aside)', async (tt) => {
  const r = await call('/v1/axfr');
  tt.equal(r.status, 200);
  tt.equal(r.headers['content-type'], captureHead('v1-axfr').type);
  const body = JSON.parse(r.body);
  const ref = refJson('v1-axfr.body');
  const sortValues = (o: Record<string, string[]>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, [...v].sort()]));
  const norm = (b: any) => ({ ...b, Records: { As: sortValues(b.Records.As), AAAAs: sortValues(b.Records.AAAAs), SRVs: sortValues(b.Records.SRVs) } });
  tt.same(norm(body), norm(ref));
  tt.same(Object.keys(body), ['TTL', 'Serial', 'RefreshSeconds', 'Mname', 'Rname', 'Domain', 'Records']);
  tt.same(Object.keys(body.Records), ['As', 'AAAAs', 'SRVs']);
  tt.same(Object.keys(body.Records.As), Object.keys(ref.Records.As), 'names sorted as the original');
  tt.same(Object.keys(body.Records.SRVs), Object.keys(ref.Records.SRVs));

  cfg = fixtureConfig({ TTL: 30, RefreshSeconds: 5, SOAMname: 'NS.example.', SOARname: 'me.example.', Domain: 'example' });
  snap = new MapSnapshot({ A: new Map(), AAAA: new Map(), SRV: new Map() }, { frameworks: null }, 7);
  const empty = await call('/v1/axfr');
  tt.equal(empty.body, '{\n  "TTL": 30,\n  "Serial": 7,\n  "RefreshSeconds": 5,\n  "Mname": "NS.example.",\n  "Rname": "me.example.",\n  "Domain": "example",\n  "Records": {\n   "As": {},\n   "AAAAs": {},\n   "SRVs": {}\n  }\n }');
});

t.test('/v1/enumerate equals the capture', async (tt) => {
  const r = await call('/v1/enumerate');
  tt.equal(r.status, 200);
  tt.equal(r.headers['content-type'], captureHead('v1-enumerate').type);
  tt.same(JSON.parse(r.body), refJson('v1-enumerate.body'));
  tt.equal(r.body, refText('v1-enumerate.body'), 'byte-identical (order and layout)');
});

t.test('case-insensitive lookups with the key lower-cased, `*` as an ordinary label', async (tt) => {
  const r = await call('/v1/hosts/LeAdEr.MESOS.');
  tt.same(JSON.parse(r.body), [{ host: 'leader.mesos.', ip: '127.0.0.1' }]);
  snap = new MapSnapshot(
    { A: new Map([['a.*.mesos.', new Set(['10.9.9.9'])], ['a.mesos.', new Set(['10.1.1.1'])]]), AAAA: new Map(), SRV: new Map() },
    { frameworks: null }, 1,
  );
  tt.same(JSON.parse((await call('/v1/hosts/A.*.mesos')).body), [{ host: 'a.*.mesos.', ip: '10.9.9.9' }], 'A.6: no `.*` stripping');
  tt.same(JSON.parse((await call('/v1/hosts/a.mesos')).body), [{ host: 'a.mesos.', ip: '10.1.1.1' }]);
});

t.test('services: one entry per address family of each target; targets without addresses omitted', async (tt) => {
  snap = new MapSnapshot(
    {
      A: new Map([['t1.mesos.', new Set(['10.0.0.1'])]]),
      AAAA: new Map([['t1.mesos.', new Set(['fd00::1'])], ['t2.mesos.', new Set(['fd00::2'])]]),
      SRV: new Map([['_s._tcp.mesos.', new Set(['t1.mesos.:80', 't2.mesos.:81', 'gone.mesos.:82'])]]),
    },
    { frameworks: null }, 1,
  );
  const r = await call('/v1/services/_S._tcp.mesos');
  tt.same(JSON.parse(r.body), [
    { service: '_S._tcp.mesos', host: 't1.mesos.', ip: '10.0.0.1', port: '80' },
    { service: '_S._tcp.mesos', host: 't1.mesos.', ip: 'fd00::1', port: '80' },
    { service: '_S._tcp.mesos', host: 't2.mesos.', ip: 'fd00::2', port: '81' },
  ]);
  tt.same(Object.keys(JSON.parse(r.body)[0]), ['service', 'host', 'ip', 'port']);
});

t.test('generic 404 / 405 / 406 / 415 with the exact plain-text bodies', async (tt) => {
  for (const p of ['/', '/V1/version', '/v1', '/v1/', '/v1/hosts/', '/v1/hosts', '/v1/services/', '/v1/version/extra',
    '/v1/hosts/a/b', '/v1/hosts/a/ports/x', '/v1/hosts//ports', '/v2/version', '/v1//version', '*']) {
    await expectText(tt, p, NOT_FOUND);
  }
  const NOT_ALLOWED = { status: 405, type: TEXT_TYPE, body: '405: Method Not Allowed' };
  for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
    await expectText(tt, '/v1/version', NOT_ALLOWED, { method });
    await expectText(tt, '/v1/hosts/leader.mesos', NOT_ALLOWED, { method });
  }
  const head = await call('/v1/config', { method: 'HEAD' });
  tt.equal(head.status, 405, 'HEAD is not GET');
  await expectText(tt, '/v1/nope', NOT_FOUND, { method: 'POST' }); // unknown path wins over method

  const NOT_ACCEPTABLE = { status: 406, type: TEXT_TYPE, body: '406: Not Acceptable' };
  await expectText(tt, '/v1/version', NOT_ACCEPTABLE, { headers: { Accept: 'text/html' } });
  await expectText(tt, '/v1/hosts/leader.mesos', NOT_ACCEPTABLE, { headers: { Accept: 'application/xml, text/*' } });
  for (const accept of ['application/json', '*/*', 'text/html, application/json;q=0.9', 'text/html,*/*;q=0.1', '']) {
    const r = await call('/v1/version', { headers: { Accept: accept } });
    tt.equal(r.status, 200, `Accept: ${JSON.stringify(accept)}`);
  }

  const UNSUPPORTED = { status: 415, type: TEXT_TYPE, body: '415: Unsupported Media Type' };
  await expectText(tt, '/v1/version', UNSUPPORTED, { headers: { 'Content-Type': 'text/plain' }, body: 'x' });
  await expectText(tt, '/v1/version', UNSUPPORTED, { body: 'x' }); // a body without a Content-Type
  tt.equal((await call('/v1/version', { headers: { 'Content-Type': 'application/json; charset=utf-8' }, body: '{}' })).status, 200);
  tt.equal((await call('/v1/version', { headers: { 'Content-Type': 'text/plain' } })).status, 200, 'no body: Content-Type not checked');
  // go-restful order: method before media types
  await expectText(tt, '/v1/version', NOT_ALLOWED, { method: 'POST', headers: { Accept: 'text/html', 'Content-Type': 'text/plain' }, body: 'x' });
  await expectText(tt, '/v1/version', UNSUPPORTED, { headers: { Accept: 'text/html', 'Content-Type': 'text/plain' }, body: 'x' });
});

t.test('trailing slash and query strings are tolerated', async (tt) => {
  await expectText(tt, '/v1/version/', { status: 200, type: JSON_TYPE, body: refText('v1-version.body') });
  await expectText(tt, '/v1/version?pretty=1', { status: 200, type: JSON_TYPE, body: refText('v1-version.body') });
  await expectText(tt, '/v1/hosts/leader.mesos/', { status: 200, type: JSON_TYPE, body: refText('v1-hosts-leader.mesos.body') });
  await expectText(tt, '/v1/hosts/leader.mesos/ports/', { status: 501, type: TEXT_TYPE, body: 'To be implemented...' });
  const r = await call('/v1/services/_leader._tcp.mesos/');
  tt.equal(r.body, refText('v1-services-_leader._tcp.mesos.body'), 'service echo without the slash');
});

t.test('percent-encoding: decoded like Go, malformed → 404, and the server stays up', async (tt) => {
  await expectText(tt, '/v1/hosts/leader%2Emesos', { status: 200, type: JSON_TYPE, body: refText('v1-hosts-leader.mesos.body') });
  await expectText(tt, '/v1/hosts/leader.mesos%2Fports', { status: 501, type: TEXT_TYPE, body: 'To be implemented...' });
  for (const p of ['/v1/hosts/%zz', '/v1/hosts/%', '/v1/hosts/abc%E0%A4%A', '/v1/hosts/%FF.mesos', '/v1/%76ersion%']) {
    await expectText(tt, p, NOT_FOUND);
  }
  await expectText(tt, '/v1/hosts/' + 'x.'.repeat(4000) + 'mesos', { status: 200, type: JSON_TYPE, body: refText('v1-hosts-nx.mesos.body') });
  await expectText(tt, '/v1/hosts/%00', { status: 200, type: JSON_TYPE, body: refText('v1-hosts-nx.mesos.body') });
  await expectText(tt, '/v1/version', { status: 200, type: JSON_TYPE, body: refText('v1-version.body') });
});

t.test('EnumerationOn=false: /v1/enumerate and /v1/axfr do not exist', async (tt) => {
  cfg = fixtureConfig({ EnumerationOn: false });
  for (const p of ['/v1/enumerate', '/v1/axfr', '/v1/axfr/']) {
    await expectText(tt, p, NOT_FOUND);
    await expectText(tt, p, NOT_FOUND, { method: 'POST' });
  }
  tt.equal((await call('/v1/hosts/leader.mesos')).status, 200, 'other routes unaffected');
});

t.test('before the first state load: 503 for zone routes, version/config still 200', async (tt) => {
  snap = null;
  const NO_STATE = { status: 503, type: JSON_TYPE, body: '{\n  "error": "no state loaded yet"\n }' };
  for (const p of ['/v1/hosts/leader.mesos', '/v1/services/_leader._tcp.mesos', '/v1/enumerate', '/v1/axfr']) {
    await expectText(tt, p, NO_STATE);
  }
  await expectText(tt, '/v1/version', { status: 200, type: JSON_TYPE, body: refText('v1-version.body') });
  tt.equal((await call('/v1/config')).status, 200);
  tt.equal((await call('/v1/hosts/leader.mesos/ports')).status, 501);
  await expectText(tt, '/v1/nope', NOT_FOUND);
});

t.test('a failing handler answers 500 in plain text and the server keeps serving', async (tt) => {
  snapshotThrows = true;
  await expectText(tt, '/v1/hosts/leader.mesos', { status: 500, type: TEXT_TYPE, body: '500: Internal Server Error' });
  snapshotThrows = false;
  tt.equal((await call('/v1/hosts/leader.mesos')).status, 200);
});

t.test('metrics count requests by route template and status', async (tt) => {
  const before = new Map(metrics.snapshot().map((c) => [`${c.route} ${c.status}`, c.count]));
  await call('/v1/hosts/leader.mesos');
  await call('/v1/hosts/other.mesos');
  await call('/random/path');
  await call('/v1/version', { method: 'POST' });
  const after = new Map(metrics.snapshot().map((c) => [`${c.route} ${c.status}`, c.count]));
  const delta = (k: string) => (after.get(k) ?? 0) - (before.get(k) ?? 0);
  tt.equal(delta('hosts 200'), 2);
  tt.equal(delta('unmatched 404'), 1);
  tt.equal(delta('version 405'), 1);
  tt.match(metrics.prometheusText(), /^mesos_dns_http_requests_total\{route="hosts",status="200"\} \d+$/m);
  tt.notOk([...after.keys()].some((k) => k.includes('random')), 'raw paths never become labels');
});
