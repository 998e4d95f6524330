// End to end: the real mesos-dns process against a stand-in master serving the original's
// fixture (leader rewritten to the stand-in, as the reference captures were made), queried with
// real dig over UDP, TCP, +noedns and +bufsize=1232. Positive answers must equal the original's
// captures (order and TTL aside); everything Part A changes is checked against Part A.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStandInMaster, rewriteLeader, type StandInMaster } from '../src/demo/master.js';
import { startServerProcess, ROOT, type ServerProcess } from './support/procs.js';
import { dig, parseDig, recKey, splitTranscripts, type DigResult, type DigOptions } from './support/dig.js';

const REF = join(ROOT, 'test', 'fixtures', 'reference');
const fixture = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'fake.json'), 'utf8')) as object;
const refConfig = JSON.parse(readFileSync(join(REF, 'config.json'), 'utf8')) as Record<string, unknown>;

interface Mode { name: string; file: string; opts: DigOptions }
const MODES: Mode[] = [
  { name: 'udp', file: 'dig-curated-udp.txt', opts: {} },
  { name: 'tcp', file: 'dig-curated-tcp.txt', opts: { tcp: true } },
  { name: 'noedns', file: 'dig-curated-noedns.txt', opts: { noedns: true } },
  { name: 'bufsize1232', file: 'dig-curated-udp.txt', opts: { bufsize: 1232 } },
];

const queries = readFileSync(join(REF, 'queries-curated.txt'), 'utf8').split('\n')
  .filter((l) => l.trim() && !l.startsWith('#')).map((l) => { const [name, type] = l.trim().split(/\s+/); return { name, type }; });
const inDomain = (name: string) => /(^|\.)mesos\.$/i.test(name);

let master: StandInMaster;
let server: ServerProcess;
// One answering thread here; e2e-dns-threads.test.ts runs this file again with two.
const answerthreads = Number(process.env.E2E_ANSWER_THREADS ?? 1);

t.before(async () => {
  master = await startStandInMaster({ host: '127.0.0.1', port: 0, state: {} });
  master.setState(rewriteLeader(structuredClone(fixture), `127.0.0.1:${master.port}`));
  // The reference config, with our ports; names outside the domain are covered by e2e-forward.
  server = await startServerProcess({ ...refConfig, masters: [`127.0.0.1:${master.port}`], externalon: false, port: undefined, httpport: undefined, answerthreads });
  t.equal((await server.waitLog('listening')).answerThreads, answerthreads, `answering threads: ${answerthreads}`);
  await server.waitLog('refresh');
});
t.teardown(async () => { await server?.stop(); await master?.close(); });

/** Our answer record keys, with the stand-in master's port written as the reference's 25050. */
function answerKeys(r: DigResult): string[] {
  return r.answer.map((a) => recKey(a).replace(new RegExp(`^(_leader\\._(tcp|udp)\\.mesos\\. IN SRV 0 1) ${master.port} `), '$1 25050 ')).sort();
}

// Part A items under which our answer differs from the original for a query that was positive there.
const DIFFERS: Record<string, string> = {
  'some-box.*.chronoswithaspaceandmixedcase-2.0.1.slave.mesos. A': 'A.6: no ".*" stripping, the name does not exist',
  '_liquor-store._tcp.*.marathon.mesos. SRV': 'A.6: no ".*" stripping, the name does not exist',
};

for (const mode of MODES) {
  t.test(`positive answers equal the original's (${mode.name})`, async (t) => {
    const ref = splitTranscripts(readFileSync(join(REF, mode.file), 'utf8'));
    let compared = 0;
    for (const q of queries.filter((q) => inDomain(q.name))) {
      const key = `${q.name} ${q.type}`;
      const want = parseDig(ref.get(key)!);
      if (want.status !== 'NOERROR' || want.answer.length === 0) continue;
      const got = await dig(server.dnsPort, q.name, q.type, mode.opts);
      if (DIFFERS[key]) {
        t.equal(got.status, 'NXDOMAIN', `${key}: ${DIFFERS[key]}`);
        continue;
      }
      t.same({ status: got.status, answer: answerKeys(got) }, { status: 'NOERROR', answer: want.answer.map(recKey).sort() }, key);
      // A.5: every owner in the reply is spelled exactly as the question.
      t.ok(got.answer.every((a) => a.name === q.name || q.type === 'SRV' || q.type === 'ANY'), `${key}: owner spelling`);
      t.ok(got.flags.includes('aa') && got.flags.includes('qr'), `${key}: authoritative`);
      compared++;
    }
    t.ok(compared >= 35, `compared ${compared} positive answers`);
  });
}

t.test('every owner keeps the question spelling, for every record type (A.5)', async (t) => {
  for (const [name, type] of [['LeAdEr.MeSoS.', 'A'], ['_LEADER._TCP.MESOS.', 'SRV'], ['Toy-Store.IPv6-Framework.Mesos.', 'AAAA'],
    ['LIQUOR-STORE.Marathon.Mesos.', 'A'], ['_Liquor-Store._Tcp.Marathon.Mesos.', 'SRV']]) {
    const r = await dig(server.dnsPort, name, type);
    t.ok(r.answer.length > 0 && r.answer.every((a) => a.name === name), `${name} ${type}: ${r.answer.map((a) => a.name).join(',')}`);
  }
  const nx = await dig(server.dnsPort, 'NX.MESOS.', 'A');
  t.same({ status: nx.status, owner: nx.authority.map((a) => a.name) }, { status: 'NXDOMAIN', owner: ['MESOS.'] });
});

function soaOf(r: DigResult): string[] { return r.authority.map((a) => `${a.name} ${a.ttl} ${a.type} ${a.rdata.replace(/ \d+ 60 600 86400 60$/, ' S 60 600 86400 60')}`); }
const APEX_SOA = 'mesos. 60 SOA ns1.mesos. root.ns1.mesos. S 60 600 86400 60';

t.test('negative answers: NXDOMAIN vs NODATA, each with the apex SOA in AUTHORITY (A.3, A.10)', async (t) => {
  const cases: [string, string, string][] = [
    ['nx.mesos.', 'A', 'NXDOMAIN'], ['nx.marathon.mesos.', 'AAAA', 'NXDOMAIN'], ['child.leader.mesos.', 'A', 'NXDOMAIN'],
    ['*.mesos.', 'A', 'NXDOMAIN'], ['nx.mesos.', 'TXT', 'NXDOMAIN'], ['nx.mesos.', 'SOA', 'NXDOMAIN'], ['nx.mesos.', 'ANY', 'NXDOMAIN'],
    ['_nx._tcp.mesos.', 'SRV', 'NXDOMAIN'], ['_nx._tcp.marathon.mesos.', 'SRV', 'NXDOMAIN'],
    ['marathon.slave.mesos.', 'A', 'NOERROR'], ['_tcp.marathon.mesos.', 'A', 'NOERROR'],
    ['leader.mesos.', 'TXT', 'NOERROR'], ['leader.mesos.', 'MX', 'NOERROR'], ['leader.mesos.', 'PTR', 'NOERROR'],
    ['leader.mesos.', 'CNAME', 'NOERROR'], ['leader.mesos.', 'SOA', 'NOERROR'], ['leader.mesos.', 'NS', 'NOERROR'],
    ['leader.mesos.', 'SRV', 'NOERROR'], ['leader.mesos.', 'AAAA', 'NOERROR'], ['leader.mesos.', 'DS', 'NOERROR'],
    ['mesos.', 'A', 'NOERROR'],
  ];
  for (const [name, type, status] of cases) {
    for (const opts of [{}, { tcp: true }, { noedns: true }]) {
      const r = await dig(server.dnsPort, name, type, opts);
      t.same({ status: r.status, aa: r.flags.includes('aa'), answer: r.answer, authority: soaOf(r), additional: r.additional },
        { status, aa: true, answer: [], authority: [APEX_SOA], additional: [] }, `${name} ${type} ${JSON.stringify(opts)}`);
    }
  }
});

t.test('apex SOA and NS in the ANSWER section, NS address in ADDITIONAL (A.2, A.4)', async (t) => {
  const soa = await dig(server.dnsPort, 'mesos.', 'SOA');
  t.same({ status: soa.status, answer: soa.answer.map((a) => `${a.name} ${a.ttl} ${a.type} ${a.rdata.replace(/ \d+ 60 600 86400 60$/, ' S 60 600 86400 60')}`), authority: soa.authority },
    { status: 'NOERROR', answer: [APEX_SOA], authority: [] });
  const ns = await dig(server.dnsPort, 'mesos.', 'NS');
  t.same({ status: ns.status, answer: ns.answer.map(recKey), additional: ns.additional.map(recKey) },
    { status: 'NOERROR', answer: ['mesos. IN NS ns1.mesos.'], additional: ['ns1.mesos. IN A 127.0.0.1'] });
  const upper = await dig(server.dnsPort, 'MESOS.', 'SOA');
  t.same(upper.answer.map((a) => a.name), ['MESOS.']);
});

t.test('SOA serial is stable while the state does not change (A.4)', async (t) => {
  const a = await dig(server.dnsPort, 'mesos.', 'SOA');
  const b = await dig(server.dnsPort, 'mesos.', 'SOA');
  t.equal(a.answer[0].rdata, b.answer[0].rdata);
});

t.test('EDNS: OPT in the reply iff the query had one, with our 1232 limit (A.7)', async (t) => {
  const withEdns = await dig(server.dnsPort, 'leader.mesos.', 'A');
  t.same(withEdns.edns, { version: 0, flags: [], udp: 1232 });
  const big = await dig(server.dnsPort, 'leader.mesos.', 'A', { bufsize: 4096 });
  t.same(big.edns, { version: 0, flags: [], udp: 1232 });
  const without = await dig(server.dnsPort, 'leader.mesos.', 'A', { noedns: true });
  t.equal(without.edns, null);
  const v1 = await dig(server.dnsPort, 'leader.mesos.', 'A', { extra: ['+edns=1', '+noednsnegotiation'] });
  t.same({ status: v1.status, answer: v1.answer }, { status: 'BADVERS', answer: [] });
});

t.test('SRV answers carry the targets\' addresses in ADDITIONAL (A.9)', async (t) => {
  const r = await dig(server.dnsPort, '_liquor-store._tcp.marathon.mesos.', 'SRV');
  t.same(r.additional.map(recKey).sort(), [
    'liquor-store-4dfjd-0.marathon.mesos. IN A 1.2.3.11',
    'liquor-store-zasmd-1.marathon.mesos. IN A 1.2.3.12',
  ]);
  const v6 = await dig(server.dnsPort, '_toy-store._tcp.ipv6-framework.mesos.', 'SRV');
  t.same(v6.additional.map(recKey).sort(), [
    'toy-store-go588-3.ipv6-framework.slave.mesos. IN AAAA 2001:db8::1',
  ]);
});

t.test('names outside the domain are REFUSED when externalon is false (A.14)', async (t) => {
  const r = await dig(server.dnsPort, 'www.example.test.', 'A');
  t.same({ status: r.status, aa: r.flags.includes('aa'), answer: r.answer }, { status: 'REFUSED', aa: false, answer: [] });
});

t.test('truncation over UDP with TC, whole answer over TCP (A.7, A.8)', async (t) => {
  // A second cluster: 100 running instances of one app, so the answers outgrow 512 and 1232 bytes.
  const state = structuredClone(fixture) as { frameworks: { name: string; tasks: object[] }[] };
  const marathon = state.frameworks.find((f) => f.name === 'marathon')!;
  for (let i = 0; i < 100; i++) {
    marathon.tasks.push({
      id: `web.${i}`, name: 'web', slave_id: '20140803-125133-3041283216-5050-2410-0', state: 'TASK_RUNNING',
      resources: { ports: `[${31000 + i}-${31000 + i}]` },
      statuses: [{ state: 'TASK_RUNNING', timestamp: 1, container_status: { network_infos: [{ ip_addresses: [{ ip_address: `10.50.${i >> 8}.${i & 255}` }] }] } }],
    });
  }
  const m2 = await startStandInMaster({ host: '127.0.0.1', port: 0, state: {} });
  m2.setState(rewriteLeader(state, `127.0.0.1:${m2.port}`));
  const s2 = await startServerProcess({ ...refConfig, masters: [`127.0.0.1:${m2.port}`], externalon: false, port: undefined, httpport: undefined, answerthreads });
  t.teardown(async () => { await s2.stop(); await m2.close(); });
  await s2.waitLog('refresh');
  const noedns = await dig(s2.dnsPort, 'web.marathon.mesos.', 'A', { noedns: true, extra: ['+ignore'] });
  t.same({ tc: noedns.flags.includes('tc'), n: noedns.answer.length }, { tc: true, n: 29 });
  t.ok(noedns.size <= 512, `${noedns.size} ≤ 512`);
  const edns = await dig(s2.dnsPort, 'web.marathon.mesos.', 'A', { bufsize: 1232, extra: ['+ignore'] });
  t.same({ tc: edns.flags.includes('tc'), n: edns.answer.length }, { tc: true, n: 74 });
  t.ok(edns.size <= 1232, `${edns.size} ≤ 1232`);
  const tcp = await dig(s2.dnsPort, 'web.marathon.mesos.', 'A', { tcp: true });
  t.same({ tc: tcp.flags.includes('tc'), n: tcp.answer.length }, { tc: false, n: 100 });
  const srv = await dig(s2.dnsPort, '_web._tcp.marathon.mesos.', 'SRV', { tcp: true });
  t.same({ n: srv.answer.length, additional: srv.additional.length }, { n: 100, additional: 100 }, 'one A per distinct target (each task has its own canonical name)');
  // dig without +ignore retries over TCP on TC, as resolvers do, and then gets everything.
  const retried = await dig(s2.dnsPort, 'web.marathon.mesos.', 'A', { noedns: true });
  t.same({ tc: retried.flags.includes('tc'), n: retried.answer.length }, { tc: false, n: 100 });
});

t.test('HTTP through the running server: enumerate and axfr rendered by the build worker', async (t) => {
  const get = async (path: string) => {
    const r = await fetch(`http://127.0.0.1:${server.httpPort}${path}`);
    return { status: r.status, type: r.headers.get('content-type'), body: await r.text() };
  };
  const en = await get('/v1/enumerate');
  const refEnum = readFileSync(join(REF, 'http', 'v1-enumerate.body'), 'utf8');
  t.same({ status: en.status, type: en.type }, { status: 200, type: 'application/json' });
  t.equal(en.body, refEnum, '/v1/enumerate is byte-identical to the original\'s');
  const ax = await get('/v1/axfr');
  const refAx = JSON.parse(readFileSync(join(REF, 'http', 'v1-axfr.body'), 'utf8')) as { Records: Record<string, Record<string, string[]>> };
  const got = JSON.parse(ax.body) as typeof refAx & { Serial: number };
  const norm = (r: Record<string, Record<string, string[]>>) => Object.fromEntries(Object.entries(r).map(([k, m]) =>
    [k, Object.fromEntries(Object.entries(m).map(([n, v]) => [n, [...v].map((x) => x.replace(`:${master.port}`, ':25050')).sort()]))]));
  t.same(norm(got.Records), norm(refAx.Records), '/v1/axfr lists the same records');
  const soa = await dig(server.dnsPort, 'mesos.', 'SOA');
  t.equal(String(got.Serial), soa.answer[0].rdata.split(' ')[2], 'Serial is the SOA serial');
  const hosts = await get('/v1/hosts/LIQUOR-STORE.marathon.mesos');
  t.same(JSON.parse(hosts.body).map((h: { ip: string }) => h.ip).sort(), ['1.2.3.11', '1.2.3.12']);
});
