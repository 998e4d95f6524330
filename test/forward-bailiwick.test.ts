// Bailiwick scrubbing of upstream replies (issue 11): a forged or odd reply must never make us
// relay records for our own domain (a fake `leader.mesos` in ADDITIONAL), records off the
// question's CNAME chain, NS/SOA of unrelated zones or glue nobody points to, nor records outside
// the zone a ZoneResolvers entry was chosen for. A tiny UDP resolver forges the replies; answers
// are compared whole (rcode, flags, every section). The last test runs the real server and dig.
import t from 'tap';
import dnsPacket from 'dns-packet';
import { makeQuery, makeRequest, respond, scriptedUpstream, summarize, testSettings } from './support/forward-msg.js';
import { createForwarder, createForwardMetrics } from '../src/forward/index.js';
import type { Config } from '../src/config/types.js';
import { silentLogger } from '../src/log.js';
import { startStandInMaster, rewriteLeader } from '../src/demo/master.js';
import { startServerProcess } from './support/procs.js';
import { dig } from './support/dig.js';
import { fixture } from './support/stream.js';

type Rec = dnsPacket.Answer;
const A = (name: string, data: string, ttl = 300): Rec => ({ type: 'A', name, ttl, data });
const NS = (name: string, data: string): Rec => ({ type: 'NS', name, ttl: 300, data });
const CNAME = (name: string, data: string): Rec => ({ type: 'CNAME', name, ttl: 300, data });
const SOA = (name: string): Rec => ({
  type: 'SOA', name, ttl: 300,
  data: { mname: `ns.${name}`, rname: `h.${name}`, serial: 1, refresh: 2, retry: 3, expire: 4, minimum: 30 },
});
const MX = (name: string, exchange: string): Rec => ({ type: 'MX', name, ttl: 300, data: { preference: 10, exchange } });

type Forged = { answers?: Rec[]; authorities?: Rec[]; additionals?: Rec[]; rcode?: number };
/** Replies by "name type" (lower case). */
const forged = new Map<string, Forged>();
const up = await scriptedUpstream((q) => {
  const p = dnsPacket.decode(q);
  const qq = p.questions![0];
  const f = forged.get(`${qq.name.toLowerCase()} ${qq.type}`) ?? { rcode: 3 };
  return respond(q, { ...f, opt: true });
});
t.teardown(() => up.close());

function make(over: Partial<Config> = {}) {
  const metrics = createForwardMetrics();
  const f = createForwarder(testSettings({ CacheOn: false, Resolvers: [`127.0.0.1:${up.port}`], ...over }), silentLogger, { metrics });
  t.teardown(() => f.close());
  return { f, metrics };
}
const ask = async (f: ReturnType<typeof make>['f'], name: string, type: string) =>
  summarize(await f.forward(makeRequest(makeQuery(name, type, { id: 77 }))));
const reply = (question: string, o: { rcode?: string; answer?: string[]; authority?: string[]; additional?: string[] }) => ({
  id: 77, rcode: o.rcode ?? 'NOERROR', flags: 'qr rd ra', question: [question],
  answer: o.answer ?? [], authority: o.authority ?? [], additional: o.additional ?? [], edns: null,
});

t.test('a fake leader.mesos in ADDITIONAL is never relayed', async (t) => {
  forged.set('www.example.test A', { answers: [A('www.example.test', '192.0.2.1')], additionals: [A('leader.mesos', '6.6.6.6')] });
  const { f, metrics } = make();
  t.same(await ask(f, 'www.example.test', 'A'), reply('www.example.test. IN A', { answer: ['www.example.test. 300 IN A 192.0.2.1'] }));
  t.equal(metrics.bailiwickStripped, 1);
});

t.test('records of our own domain go even when the CNAME chain leads into it; the CNAME stays', async (t) => {
  forged.set('alias.example.test A', {
    answers: [CNAME('alias.example.test', 'leader.mesos'), A('leader.mesos', '6.6.6.6')],
    authorities: [SOA('mesos'), NS('mesos', 'ns1.mesos')], additionals: [A('ns1.mesos', '6.6.6.7')],
  });
  const { f } = make();
  t.same(await ask(f, 'Alias.Example.Test', 'A'), reply('Alias.Example.Test. IN A', { answer: ['Alias.Example.Test. 300 IN CNAME leader.mesos.'] }));
});

t.test('answers off the question chain, unrelated NS/SOA and unreferenced glue are stripped', async (t) => {
  forged.set('www.example.test AAAA', {
    answers: [
      CNAME('www.example.test', 'web.cdn.test'), A('bank.test', '6.6.6.6'), { type: 'AAAA', name: 'web.cdn.test', ttl: 60, data: '2001:db8::1' },
    ],
    authorities: [NS('cdn.test', 'ns.cdn.test'), NS('bank.test', 'ns.evil.test')],
    additionals: [A('ns.cdn.test', '192.0.2.53'), A('ns.evil.test', '6.6.6.6'), A('unrelated.test', '6.6.6.8')],
  });
  const { f, metrics } = make();
  t.same(await ask(f, 'www.example.test', 'AAAA'), reply('www.example.test. IN AAAA', {
    answer: ['www.example.test. 300 IN CNAME web.cdn.test.', 'web.cdn.test. 60 IN AAAA 2001:db8::1'],
    authority: ['cdn.test. 300 IN NS ns.cdn.test.'],
    additional: ['ns.cdn.test. 300 IN A 192.0.2.53'],
  }));
  t.equal(metrics.bailiwickStripped, 1);
});

t.test('legitimate extra data is kept: MX glue, the ancestor zone and its NS glue, a negative answer', async (t) => {
  forged.set('example.test MX', {
    answers: [MX('example.test', 'mail.example.test')],
    authorities: [NS('example.test', 'ns.example.test')],
    additionals: [A('mail.example.test', '192.0.2.25'), A('ns.example.test', '192.0.2.53')],
  });
  forged.set('nx.example.test A', { rcode: 3, authorities: [SOA('example.test')] });
  forged.set('sub.example.test A', { answers: [A('sub.example.test', '192.0.2.7')], authorities: [NS('example.test', 'ns.example.test')] });
  const { f, metrics } = make();
  t.same(await ask(f, 'example.test', 'MX'), reply('example.test. IN MX', {
    answer: ['example.test. 300 IN MX 10 mail.example.test.'],
    authority: ['example.test. 300 IN NS ns.example.test.'],
    additional: ['mail.example.test. 300 IN A 192.0.2.25', 'ns.example.test. 300 IN A 192.0.2.53'],
  }));
  t.same(await ask(f, 'nx.example.test', 'A'), reply('nx.example.test. IN A', {
    rcode: 'NXDOMAIN', authority: ['example.test. 30 IN SOA ns.example.test. h.example.test. 1 2 3 4 30'],
  }));
  t.same(await ask(f, 'sub.example.test', 'A'), reply('sub.example.test. IN A', {
    answer: ['sub.example.test. 300 IN A 192.0.2.7'], authority: ['example.test. 300 IN NS ns.example.test.'],
  }));
  t.equal(metrics.bailiwickStripped, 0, 'nothing stripped from clean replies');
});

t.test('an SOA of another zone in a negative answer is stripped', async (t) => {
  forged.set('gone.example.test A', { rcode: 3, authorities: [SOA('evil.test')] });
  const { f } = make();
  t.same(await ask(f, 'gone.example.test', 'A'), reply('gone.example.test. IN A', { rcode: 'NXDOMAIN' }));
});

t.test('a zone resolver speaks only for its zone', async (t) => {
  forged.set('web.service.consul A', {
    answers: [CNAME('web.service.consul', 'www.example.test'), A('www.example.test', '6.6.6.6')],
    authorities: [SOA('consul')],
  });
  forged.set('db.service.consul A', { answers: [A('db.service.consul', '10.1.1.1')], authorities: [NS('consul', 'ns.consul')], additionals: [A('ns.consul', '10.1.1.53')] });
  const { f } = make({ Resolvers: [], ZoneResolvers: { consul: [`127.0.0.1:${up.port}`] } });
  // The consul SOA stays: it is the question's own zone.
  t.same(await ask(f, 'web.service.consul', 'A'), reply('web.service.consul. IN A', {
    answer: ['web.service.consul. 300 IN CNAME www.example.test.'], authority: ['consul. 300 IN SOA ns.consul. h.consul. 1 2 3 4 30'],
  }));
  t.same(await ask(f, 'db.service.consul', 'A'), reply('db.service.consul. IN A', {
    answer: ['db.service.consul. 300 IN A 10.1.1.1'],
    authority: ['consul. 300 IN NS ns.consul.'], additional: ['ns.consul. 300 IN A 10.1.1.53'],
  }));
});

t.test('the scrubbed answer is what the cache keeps', async (t) => {
  forged.set('cached.example.test A', { answers: [A('cached.example.test', '192.0.2.9')], additionals: [A('master.mesos', '6.6.6.6')] });
  const { f, metrics } = make({ CacheOn: true });
  const want = reply('cached.example.test. IN A', { answer: ['cached.example.test. 300 IN A 192.0.2.9'] });
  t.same(await ask(f, 'cached.example.test', 'A'), want);
  t.same(await ask(f, 'cached.example.test', 'A'), want);
  t.equal(metrics.cacheHits, 1);
});

t.test('the real server behind dig: the forged leader.mesos is not relayed, ours is answered', async (t) => {
  forged.set('www.example.test A', { answers: [A('www.example.test', '192.0.2.1')], additionals: [A('leader.mesos', '6.6.6.6')] });
  const master = await startStandInMaster({ host: '127.0.0.1', port: 0, state: {} });
  t.teardown(() => master.close());
  master.setState(rewriteLeader(structuredClone(fixture), `127.0.0.1:${master.port}`));
  const server = await startServerProcess({ masters: [`127.0.0.1:${master.port}`], resolvers: [`127.0.0.1:${up.port}`] });
  t.teardown(() => server.stop());
  await server.waitLog('refresh');
  const r = await dig(server.dnsPort, 'www.example.test', 'A', { extra: ['+rec'] });
  t.same({ status: r.status, flags: r.flags, answer: r.answer, authority: r.authority, additional: r.additional }, {
    status: 'NOERROR', flags: ['qr', 'ra', 'rd'],
    answer: [{ name: 'www.example.test.', ttl: 300, class: 'IN', type: 'A', rdata: '192.0.2.1' }], authority: [], additional: [],
  });
  const leader = await dig(server.dnsPort, 'leader.mesos', 'A');
  t.same(leader.answer.map((a) => a.rdata), ['127.0.0.1']);
});
