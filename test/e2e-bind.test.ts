// mesos-dns among real BIND servers: (1) forwarding names outside the domain to an upstream
// `named` that holds the same example.test data the original's captures were made with, and
// comparing the forwarded answers with those captures; (2) a `named` in front with
// `zone "mesos" { type forward; }` pointing at mesos-dns, as operators deploy it.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStandInMaster, rewriteLeader, type StandInMaster } from '../src/demo/master.js';
import { startNamed, type NamedInstance } from './support/named.js';
import { startServerProcess, ROOT, type ServerProcess } from './support/procs.js';
import { dig, parseDig, recKey, splitTranscripts } from './support/dig.js';

const REF = join(ROOT, 'test', 'fixtures', 'reference');
const fixture = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'fake.json'), 'utf8')) as object;
const refConfig = JSON.parse(readFileSync(join(REF, 'config.json'), 'utf8')) as Record<string, unknown>;

// The upstream the captures were made against (reference README): authoritative for example.test.
const EXAMPLE_ZONE = `$TTL 300
@        IN SOA  ns.example.test. hostmaster.example.test. 1 3600 600 86400 300
@        IN NS   ns.example.test.
ns       IN A    127.0.0.1
www      IN A    192.0.2.10
www      IN AAAA 2001:db8::10
api      IN A    192.0.2.11
_http._tcp IN SRV 0 10 80 www.example.test.
txt      IN TXT  "hello from upstream"
@        IN MX   10 www.example.test.
`;

/** BIGAPP instances of `bigapp` in marathon, each with its own address: an RRset over BIND's default limit of 100. */
const BIGAPP = 150;
function withBigApp(state: Record<string, any>): object {
  const marathon = state.frameworks.find((f: { name: string }) => f.name === 'marathon');
  const template = marathon.tasks.find((x: { name: string }) => x.name === 'chronos');
  for (let i = 0; i < BIGAPP; i++) {
    marathon.tasks.push({
      ...structuredClone(template), name: 'bigapp', id: `bigapp.${i}`,
      statuses: [{ state: 'TASK_RUNNING', timestamp: 1410896855.5742, labels: [{ key: 'MesosContainerizer.NetworkSettings.IPAddress', value: `10.9.${i >> 8}.${i & 255}` }] }],
    });
  }
  return state;
}

let master: StandInMaster;
let upstream: NamedInstance;
let server: ServerProcess;
let front: NamedInstance;

t.before(async () => {
  upstream = await startNamed({ zones: [{ name: 'example.test', content: EXAMPLE_ZONE }], recursion: false });
  master = await startStandInMaster({ host: '127.0.0.1', port: 0, state: {} });
  master.setState(withBigApp(rewriteLeader(structuredClone(fixture), `127.0.0.1:${master.port}`)));
  server = await startServerProcess({
    ...refConfig, masters: [`127.0.0.1:${master.port}`], resolvers: [`127.0.0.1:${upstream.port}`],
    port: undefined, httpport: undefined, CacheOn: false,
  });
  await server.waitLog('refresh');
  // README "Behind BIND": BIND >= 9.18.28 refuses RRsets over 100 records unless this is lifted
  // (in options: 9.18 does not accept it inside a forward zone).
  front = await startNamed({
    zones: [{ name: 'mesos', forwarders: [{ host: '127.0.0.1', port: server.dnsPort }] }], extraOptions: 'max-records-per-type 0;',
  });
});
t.teardown(async () => {
  await front?.stop();
  await server?.stop();
  await master?.close();
  await upstream?.stop();
});

const queries = readFileSync(join(REF, 'queries-curated.txt'), 'utf8').split('\n')
  .filter((l) => l.trim() && !l.startsWith('#')).map((l) => l.trim().split(/\s+/) as [string, string])
  .filter(([name]) => !/(^|\.)mesos\.$/i.test(name));

for (const [mode, file, opts] of [['udp', 'dig-curated-udp.txt', {}], ['tcp', 'dig-curated-tcp.txt', { tcp: true }],
  ['noedns', 'dig-curated-noedns.txt', { noedns: true }]] as const) {
  t.test(`forwarded positive answers equal the original's (${mode})`, async (t) => {
    const ref = splitTranscripts(readFileSync(join(REF, file), 'utf8'));
    let compared = 0;
    for (const [name, type] of queries) {
      const want = parseDig(ref.get(`${name} ${type}`)!);
      const got = await dig(server.dnsPort, name, type, opts);
      if (want.status === 'NOERROR' && want.answer.length > 0) {
        t.same({ status: got.status, answer: got.answer.map(recKey).sort() }, { status: 'NOERROR', answer: want.answer.map(recKey).sort() }, `${name} ${type}`);
        t.notOk(got.flags.includes('aa') && !got.flags.includes('qr'), 'a reply');
        compared++;
      } else {
        // Not positive there: the original relayed its upstream's verdict. Our upstream differs from
        // the captures' dnsmasq outside example.test (it holds a local root zone, so it says NXDOMAIN
        // where dnsmasq said REFUSED): what we relay must be exactly what it says.
        const direct = await dig(upstream.port, name, type, opts);
        t.same({ status: got.status, answer: got.answer.map(recKey).sort(), authority: got.authority.map(recKey).sort() },
          { status: direct.status, answer: direct.answer.map(recKey).sort(), authority: direct.authority.map(recKey).sort() },
          `${name} ${type}: ${direct.status} relayed`);
      }
    }
    t.equal(compared, 7, 'all seven positive forwarded queries compared');
  });
}

t.test('forwarded replies keep the client ID and restore the question spelling', async (t) => {
  const r = await dig(server.dnsPort, 'WWW.Example.Test.', 'A');
  t.same({ q: r.question, answer: r.answer.map(recKey) }, {
    q: [{ name: 'WWW.Example.Test.', class: 'IN', type: 'A' }], answer: ['www.example.test. IN A 192.0.2.10'],
  });
});

t.test('BIND forward zone in front of mesos-dns', async (t) => {
  const a = await dig(front.port, 'liquor-store.marathon.mesos.', 'A', { extra: ['+rec'] });
  t.same({ status: a.status, answer: a.answer.map(recKey).sort() }, {
    status: 'NOERROR', answer: ['liquor-store.marathon.mesos. IN A 1.2.3.11', 'liquor-store.marathon.mesos. IN A 1.2.3.12'],
  });
  const srv = await dig(front.port, '_liquor-store._tcp.marathon.mesos.', 'SRV', { extra: ['+rec'] });
  t.same({ status: srv.status, answer: srv.answer.map(recKey).sort() }, {
    status: 'NOERROR',
    answer: [
      '_liquor-store._tcp.marathon.mesos. IN SRV 0 1 443 liquor-store-4dfjd-0.marathon.mesos.',
      '_liquor-store._tcp.marathon.mesos. IN SRV 0 1 443 liquor-store-zasmd-1.marathon.mesos.',
      '_liquor-store._tcp.marathon.mesos. IN SRV 0 1 80 liquor-store-4dfjd-0.marathon.mesos.',
      '_liquor-store._tcp.marathon.mesos. IN SRV 0 1 80 liquor-store-zasmd-1.marathon.mesos.',
    ],
  });
  const nx = await dig(front.port, 'missing.marathon.mesos.', 'A', { extra: ['+rec'] });
  t.same({ status: nx.status, answer: nx.answer, soa: nx.authority.map((r) => `${r.name} ${r.type}`) },
    { status: 'NXDOMAIN', answer: [], soa: ['mesos. SOA'] });
  const aaaa = await dig(front.port, 'toy-store.ipv6-framework.mesos.', 'AAAA', { extra: ['+rec'] });
  t.same(aaaa.answer.map(recKey), ['toy-store.ipv6-framework.mesos. IN AAAA fd01:b::1:8000:2']);
});

t.test('an RRset over 100 records through the BIND forward zone (max-records-per-type 0)', async (t) => {
  const want = Array.from({ length: BIGAPP }, (_, i) => `bigapp.marathon.mesos. IN A 10.9.${i >> 8}.${i & 255}`).sort();
  const direct = await dig(server.dnsPort, 'bigapp.marathon.mesos.', 'A', { tcp: true });
  t.same({ status: direct.status, answer: direct.answer.map(recKey).sort() }, { status: 'NOERROR', answer: want }, 'mesos-dns itself');
  const r = await dig(front.port, 'bigapp.marathon.mesos.', 'A', { tcp: true, extra: ['+rec'] });
  t.same({ status: r.status, answer: r.answer.map(recKey).sort(), authority: r.authority, additional: r.additional },
    { status: 'NOERROR', answer: want, authority: [], additional: [] }, 'through BIND');
});
