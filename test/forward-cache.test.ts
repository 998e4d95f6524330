// The cache of forwarded answers, against a real BIND upstream: what is served from the cache
// (never reaching upstream, counted in named's query log), TTLs, negative caching, the key, the
// bounds, and what must never be cached. A test clock drives cache ages, so nothing sleeps.
import t from 'tap';
import dnsPacket from 'dns-packet';
import { startNamed } from './support/named.js';
import {
  answerTtls,
  exampleZone,
  makeQuery,
  makeRequest,
  respond,
  scriptedUpstream,
  sorted,
  summarize,
  testSettings,
} from './support/forward-msg.js';
import { createForwarder, createForwardMetrics } from '../src/forward/index.js';
import type { Config } from '../src/config/types.js';
import { silentLogger } from '../src/log.js';

const named = await startNamed({ zones: [{ name: 'example.test', content: exampleZone() }] });
t.teardown(() => named.stop());

let clock = 1_000_000;
function make(over: Partial<Config> = {}) {
  const metrics = createForwardMetrics();
  const f = createForwarder(testSettings({ Resolvers: [`127.0.0.1:${named.port}`], ...over }), silentLogger, { metrics, now: () => clock });
  t.teardown(() => f.close());
  return { f, metrics };
}
const ask = async (f: ReturnType<typeof make>['f'], name: string, type: string, o: Parameters<typeof makeQuery>[2] = {}) =>
  summarize(await f.forward(makeRequest(makeQuery(name, type, o))));
const upstreamCount = async (name: string, type?: string) => {
  await named.sync();
  return named.count(name, type);
};

t.test('a second query is answered from the cache, with its own ID and spelling, and never reaches upstream', async (t) => {
  const { f, metrics } = make();
  const first = await ask(f, 'www.example.test', 'A', { id: 100 });
  t.same(sorted(first), {
    id: 100,
    rcode: 'NOERROR',
    flags: 'qr aa rd',
    question: ['www.example.test. IN A'],
    answer: ['www.example.test. 300 IN A 192.0.2.1', 'www.example.test. 300 IN A 192.0.2.2'],
    authority: [],
    additional: [],
    edns: null,
  });
  t.equal(await upstreamCount('www.example.test', 'A'), 1);

  const second = await ask(f, 'WWW.Example.TEST', 'A', { id: 200, edns: 4096 });
  t.same(sorted(second), {
    id: 200,
    rcode: 'NOERROR',
    flags: 'qr rd', // not authoritative any more once cached
    question: ['WWW.Example.TEST. IN A'],
    answer: ['WWW.Example.TEST. 300 IN A 192.0.2.1', 'WWW.Example.TEST. 300 IN A 192.0.2.2'],
    authority: [],
    additional: [],
    edns: { udp: 1232, do: false, version: 0, extRcode: 0 },
  });
  t.equal(await upstreamCount('www.example.test', 'A'), 1, 'upstream saw only the first query');
  t.match(metrics, { queries: 2, cacheHits: 1, cacheMisses: 1, upstreamQueries: 1 });
});

t.test('TTLs are lowered by the time spent in the cache, and the entry expires with the smallest TTL', async (t) => {
  const { f } = make();
  clock = 2_000_000;
  t.same(answerTtls(await ask(f, 'alias.example.test', 'A')), [300, 300, 300]);
  clock += 7_900;
  const aged = await ask(f, 'alias.example.test', 'A');
  t.same(aged.answer.sort(), [
    'alias.example.test. 293 IN CNAME www.example.test.',
    'www.example.test. 293 IN A 192.0.2.1',
    'www.example.test. 293 IN A 192.0.2.2',
  ]);

  t.same(answerTtls(await ask(f, 'short.example.test', 'A')), [5]);
  clock += 4_000;
  t.same(answerTtls(await ask(f, 'short.example.test', 'A')), [1]);
  t.equal(await upstreamCount('short.example.test', 'A'), 1);
  clock += 1_000; // 5 s: expired
  t.same(answerTtls(await ask(f, 'short.example.test', 'A')), [5]);
  t.equal(await upstreamCount('short.example.test', 'A'), 2, 'expired entry asked upstream again');
});

t.test('NXDOMAIN is cached for min(SOA TTL, SOA MINIMUM) and served with its SOA (RFC 2308)', async (t) => {
  const { f, metrics } = make();
  clock = 3_000_000;
  const expected = (ttl: number, flags: string) => ({
    id: 7,
    rcode: 'NXDOMAIN',
    flags,
    question: ['nx.example.test. IN A'],
    answer: [],
    authority: [`example.test. ${ttl} IN SOA ns.example.test. hostmaster.example.test. 7 3600 600 86400 30`],
    additional: [],
    edns: null,
  });
  t.same(await ask(f, 'nx.example.test', 'A', { id: 7 }), expected(30, 'qr aa rd'));
  clock += 10_000;
  t.same(await ask(f, 'nx.example.test', 'A', { id: 7 }), expected(20, 'qr rd'));
  t.equal(await upstreamCount('nx.example.test', 'A'), 1);
  clock += 20_000;
  t.same(await ask(f, 'nx.example.test', 'A', { id: 7 }), expected(30, 'qr aa rd'));
  t.equal(await upstreamCount('nx.example.test', 'A'), 2, 'asked again after the negative TTL');
  t.equal(metrics.nxdomain, 3);

  // NODATA (name exists, no TXT) is negative too.
  const nodata = await ask(f, 'www.example.test', 'TXT');
  clock += 1_000;
  const again = await ask(f, 'www.example.test', 'TXT');
  t.same({ ...again, id: 0 }, { ...nodata, id: 0, flags: 'qr rd', authority: [nodata.authority[0].replace(' 30 IN', ' 29 IN')] });
  t.equal(await upstreamCount('www.example.test', 'TXT'), 1);
});

t.test('the DO bit is part of the key', async (t) => {
  const { f } = make();
  const plain = await ask(f, 'w1.example.test', 'A', { edns: 1232 });
  const withDo = await ask(f, 'w1.example.test', 'A', { edns: 1232, do: true });
  t.same(plain.edns, { udp: 1232, do: false, version: 0, extRcode: 0 });
  t.same(withDo.edns, { udp: 1232, do: true, version: 0, extRcode: 0 });
  await named.sync();
  const log = named.queryLog().filter((e) => e.name === 'w1.example.test');
  t.same(
    log.map((e) => e.flags.includes('D')),
    [false, true],
    'two upstream queries, the second carrying DO',
  );
});

t.test('CacheOn false: every query goes upstream', async (t) => {
  const { f, metrics } = make({ CacheOn: false });
  await ask(f, 'w2.example.test', 'A');
  await ask(f, 'w2.example.test', 'A');
  t.equal(await upstreamCount('w2.example.test', 'A'), 2);
  t.match(metrics, { cacheHits: 0, cacheMisses: 0, upstreamQueries: 2 });
});

t.test('the cache is bounded by entries and by bytes (least recently used go first)', async (t) => {
  const { f } = make({ CacheMaxEntries: 2 });
  await ask(f, 'w3.example.test', 'A');
  await ask(f, 'w4.example.test', 'A');
  await ask(f, 'w3.example.test', 'A'); // hit: w3 is now the most recent
  await ask(f, 'w6.example.test', 'A'); // evicts w4
  t.equal(f.cacheStats().entries, 2);
  await ask(f, 'w3.example.test', 'A');
  await ask(f, 'w4.example.test', 'A');
  t.equal(await upstreamCount('w3.example.test', 'A'), 1, 'w3 stayed');
  t.equal(await upstreamCount('w4.example.test', 'A'), 2, 'w4 was evicted');

  const small = make({ CacheMaxBytes: 600 }).f;
  for (const n of ['w7', 'w8', 'w9', 'w10', 'w11', 'w12']) await ask(small, `${n}.example.test`, 'A');
  const st = small.cacheStats();
  t.ok(st.bytes <= 600 && st.entries >= 1 && st.entries < 6, `bytes ${st.bytes}, entries ${st.entries}`);
});

t.test('SERVFAIL, truncated and zero-TTL replies are never cached', async (t) => {
  const up = await scriptedUpstream((q) => {
    const name = dnsPacket.decode(q).questions![0].name;
    if (name === 'fail.test') return respond(q, { rcode: 2, opt: true });
    if (name === 'zero.test') return respond(q, { answers: [{ type: 'A', name, ttl: 0, data: '192.0.2.9' }], opt: true });
    // truncated, and no TCP listener, so the TCP retry fails and the TC reply is relayed
    return respond(q, { answers: [{ type: 'A', name, ttl: 60, data: '192.0.2.8' }], flags: dnsPacket.TRUNCATED_RESPONSE | 0x0180, opt: true });
  });
  t.teardown(() => up.close());
  const { f, metrics } = make({ Resolvers: [`127.0.0.1:${up.port}`] });

  const sf = await ask(f, 'fail.test', 'A', { id: 1 });
  t.same(sf, { id: 1, rcode: 'SERVFAIL', flags: 'qr rd ra', question: ['fail.test. IN A'], answer: [], authority: [], additional: [], edns: null });
  await ask(f, 'fail.test', 'A');
  await ask(f, 'zero.test', 'A');
  await ask(f, 'zero.test', 'A');
  const tc = await ask(f, 'tc.test', 'A', { id: 3 });
  t.same(tc, { id: 3, rcode: 'NOERROR', flags: 'qr tc rd ra', question: ['tc.test. IN A'], answer: ['tc.test. 60 IN A 192.0.2.8'], authority: [], additional: [], edns: null });
  await ask(f, 'tc.test', 'A');
  t.equal(up.received(), 6, 'every query reached upstream');
  t.equal(f.cacheStats().entries, 0);
  t.equal(metrics.cacheHits, 0);
});

t.test('truncated renderings of a cached answer get the client ID, spelling and aged TTLs too', async (t) => {
  const { f } = make();
  clock = 4_000_000;
  const first = await f.forward(makeRequest(makeQuery('many.example.test', 'A', { id: 1 })));
  clock += 3_000;
  const second = await f.forward(makeRequest(makeQuery('MANY.example.test', 'A', { id: 2 })));
  const third = await f.forward(makeRequest(makeQuery('Many.Example.Test', 'A', { id: 3, edns: 700 })));
  const [a, b, c] = [first, second, third].map(summarize);
  t.same({ ...a, answer: a.answer.length }, { id: 1, rcode: 'NOERROR', flags: 'qr aa tc rd', question: ['many.example.test. IN A'], answer: 29, authority: [], additional: [], edns: null });
  t.same(b, {
    ...a,
    id: 2,
    flags: 'qr tc rd',
    question: ['MANY.example.test. IN A'],
    answer: a.answer.map((r) => r.replace('many.example.test. 300', 'MANY.example.test. 297')),
  });
  t.equal(third.length, 35 + 40 * 16 + 11, '700-byte EDNS client: 40 answers and OPT');
  t.same({ ...c, answer: c.answer.length }, { id: 3, rcode: 'NOERROR', flags: 'qr tc rd', question: ['Many.Example.Test. IN A'], answer: 40, authority: [], additional: [], edns: { udp: 1232, do: false, version: 0, extRcode: 0 } });
  t.ok(c.answer.every((r) => r.startsWith('Many.Example.Test. 297 IN A ')));
  await named.sync();
  t.same(
    named.queryLog().filter((e) => e.name === 'many.example.test').map((e) => e.tcp),
    [false, true],
    'upstream saw only the first lookup (UDP, then TCP for the whole set)',
  );
});
