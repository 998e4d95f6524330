// Who may use forwarding and where queries go: the client allow-list (never an open resolver),
// ExternalOn false, EDNS version, no resolver, and ZoneResolvers (longest suffix, case-insensitive).
// Error replies are compared whole: ID, opcode, RD/CD copied, question copied, QR=1, AA=0, RA, OPT
// only if the client sent one.
import t from 'tap';
import { startNamed } from './support/named.js';
import { blackHole, exampleZone, makeQuery, makeRequest, sorted, summarize, testSettings } from './support/forward-msg.js';
import { createForwarder, createForwardMetrics, DEFAULT_FORWARD_ALLOW_FROM } from '../src/forward/index.js';
import { parseCidr } from '../src/net/cidr.js';
import { AllowList } from '../src/net/cidr.js';
import { ConfigError } from '../src/config/error.js';
import type { Config } from '../src/config/types.js';
import { silentLogger } from '../src/log.js';

const named = await startNamed({ zones: [{ name: 'example.test', content: exampleZone() }] });
t.teardown(() => named.stop());
const namedAddr = `127.0.0.1:${named.port}`;

function make(over: Partial<Config>) {
  const metrics = createForwardMetrics();
  const f = createForwarder(testSettings({ CacheOn: false, Resolvers: [namedAddr], ...over }), silentLogger, { metrics });
  t.teardown(() => f.close());
  return { f, metrics };
}
const refused = (id: number, q: string, o: { flags?: string; edns?: object | null } = {}) => ({
  id,
  rcode: 'REFUSED',
  flags: o.flags ?? 'qr rd ra',
  question: [q],
  answer: [],
  authority: [],
  additional: [],
  edns: o.edns ?? null,
});

t.test('clients outside ForwardAllowFrom get REFUSED and nothing is sent upstream', async (t) => {
  const h = await blackHole();
  t.teardown(() => h.close());
  const { f, metrics } = make({ Resolvers: [`127.0.0.1:${h.port}`], ForwardAllowFrom: ['10.0.0.0/8', '2001:db8::/32'] });
  const ask = async (addr: string, o: Parameters<typeof makeQuery>[2] = {}) =>
    summarize(await f.forward(makeRequest(makeQuery('Www.Example.Test', 'A', { id: 9, ...o }), { clientAddress: addr })));

  t.same(await ask('203.0.113.5'), refused(9, 'Www.Example.Test. IN A'));
  t.same(await ask('203.0.113.5', { edns: 4096, do: true, cd: true, rd: false }), refused(9, 'Www.Example.Test. IN A', {
    flags: 'qr ra cd',
    edns: { udp: 1232, do: true, version: 0, extRcode: 0 },
  }));
  t.same(await ask('::ffff:203.0.113.5'), refused(9, 'Www.Example.Test. IN A'));
  t.same(await ask('2001:db9::1'), refused(9, 'Www.Example.Test. IN A'));
  t.same(await ask('not an address'), refused(9, 'Www.Example.Test. IN A'));
  t.equal(h.received(), 0, 'no traffic for refused clients');
  t.equal(metrics.refused, 5);
});

t.test('allowed clients, including IPv4-mapped and IPv6 ones, are forwarded', async (t) => {
  const { f } = make({ ForwardAllowFrom: ['10.0.0.0/8', '2001:db8::/32'] });
  for (const addr of ['10.1.2.3', '::ffff:10.1.2.3', '2001:db8::53', '2001:DB8:0:0::1%eth0']) {
    const s = sorted(summarize(await f.forward(makeRequest(makeQuery('www.example.test', 'A', { id: 4 }), { clientAddress: addr }))));
    t.same(s.answer, ['www.example.test. 300 IN A 192.0.2.1', 'www.example.test. 300 IN A 192.0.2.2'], addr);
  }
});

/** An AllowList of networks written as text (the config loader parses them so). */
const allowList = (nets: readonly string[]) => new AllowList(nets.map(parseCidr));

t.test('allow-list parsing', async (t) => {
  const l = allowList(['192.168.0.0/16', '::ffff:172.16.0.0/108', 'fd00::/8', '198.51.100.7', '::1']);
  const cases: Array<[string, boolean]> = [
    ['192.168.255.1', true],
    ['192.169.0.1', false],
    ['172.16.5.5', true], // from the IPv4-mapped network
    ['::ffff:172.16.5.5', true],
    ['172.32.0.1', false],
    ['fd12:3456::1', true],
    ['fe80::1', false],
    ['198.51.100.7', true],
    ['198.51.100.8', false],
    ['::1', true],
    ['::2', false],
  ];
  t.same(cases.map(([a]) => [a, l.allows(a)]), cases);
  const wide = allowList(['::/0']);
  t.same(['10.1.2.3', '::ffff:8.8.8.8', '2001:db8::1'].map((a) => wide.allows(a)), [true, true, true], '::/0 covers IPv4 clients too');
  const v6only = allowList(['2000::/3', '::ffff:10.0.0.0/104']);
  t.same(['8.8.8.8', '2001:db8::1', '::ffff:10.1.1.1', '10.1.1.1'].map((a) => v6only.allows(a)), [false, true, true, true]);
  t.ok(allowList(['::ffff:10.0.0.0/64']).allows('8.8.8.8'), 'a /64 around the mapped range holds every IPv4 address');
  for (const bad of ['10.0.0.0/33', 'fd00::/129', 'example.com', '10.0.0/8', '1.2.3.4/', '']) {
    t.throws(() => parseCidr(bad), bad);
  }
  t.throws(() => make({ ForwardAllowFrom: ['10.0.0.0/99'] }), ConfigError);
  const def = allowList(DEFAULT_FORWARD_ALLOW_FROM);
  t.same(['127.0.0.1', '10.9.9.9', '::1', '8.8.8.8', '2001:4860::8888'].map((a) => def.allows(a)), [true, true, true, false, false]);
});

t.test('ExternalOn false: REFUSED with RA=0, nothing forwarded', async (t) => {
  const { f } = make({ ExternalOn: false });
  t.same(
    summarize(await f.forward(makeRequest(makeQuery('www.example.test', 'A', { id: 3, edns: 512 })))),
    refused(3, 'www.example.test. IN A', { flags: 'qr rd', edns: { udp: 1232, do: false, version: 0, extRcode: 0 } }),
  );
});

t.test('no resolver for the name: REFUSED', async (t) => {
  const { f } = make({ Resolvers: [] });
  t.same(summarize(await f.forward(makeRequest(makeQuery('www.example.test', 'A', { id: 8 })))), refused(8, 'www.example.test. IN A'));
});

t.test('EDNS version other than 0: BADVERS', async (t) => {
  const { f } = make({});
  t.same(summarize(await f.forward(makeRequest(makeQuery('www.example.test', 'A', { id: 6, edns: 1232, ednsVersion: 1 })))), {
    id: 6,
    rcode: 'NOERROR', // BADVERS = 16: low bits 0 in the header, 1 in the OPT extended rcode
    flags: 'qr rd ra',
    question: ['www.example.test. IN A'],
    answer: [],
    authority: [],
    additional: [],
    edns: { udp: 1232, do: false, version: 0, extRcode: 1 },
  });
});

t.test('ZoneResolvers: longest matching zone wins, case-insensitively; other names use Resolvers', async (t) => {
  const def = await blackHole();
  const sub = await blackHole();
  t.teardown(() => def.close());
  t.teardown(() => sub.close());
  const { f } = make({
    Timeout: 1,
    Resolvers: [`127.0.0.1:${def.port}`],
    ZoneResolvers: { 'Example.TEST': [namedAddr], 'deep.example.test': [`127.0.0.1:${sub.port}`] },
  });
  const ask = async (name: string) => summarize(await f.forward(makeRequest(makeQuery(name, 'A', { id: 1 }))));
  t.same(sorted(await ask('WWW.example.test')).answer, ['WWW.example.test. 300 IN A 192.0.2.1', 'WWW.example.test. 300 IN A 192.0.2.2']);
  t.equal((await ask('example.test')).rcode, 'NOERROR');
  t.equal((await ask('x.Deep.Example.Test')).rcode, 'SERVFAIL');
  t.equal((await ask('notexample.test')).rcode, 'SERVFAIL');
  t.same([sub.received(), def.received()], [1, 1]);
  await named.sync();
  t.equal(named.count('x.deep.example.test'), 0);
});
