// Relaying upstream replies byte for byte (ReplyScan + relayAnswer) must give every client exactly
// what decoding and re-encoding the reply gives (buildAnswer): same records, TTL rules (RFC 2181
// clamp, RFC 2308 negative TTL on the SOA), the client's spelling of the question wherever the
// question name appears, OPT handling, truncation. Replies are checked in dns-packet's uncompressed
// form and in our compressed form, for several clients. ReplyScan must never accept what
// decodeMessage rejects (checked on mutated replies).
import t from 'tap';
import dnsPacket from 'dns-packet';
import { decodeMessage, encodeMessage, lowerQname } from '../src/forward/wire.js';
import { ReplyScan } from '../src/forward/reply-scan.js';
import { clientQuery, parseQuery } from '../src/wire/query.js';
import { buildAnswer, relayAnswer, renderAnswer } from '../src/forward/answer.js';
import { makeQuery, summarize } from './support/forward-msg.js';

type Rec = dnsPacket.Answer;
const soa = (name: string, ttl: number, minimum: number): Rec => ({
  type: 'SOA',
  name,
  ttl,
  data: { mname: 'ns.example.test', rname: 'h.example.test', serial: 1, refresh: 2, retry: 3, expire: 4, minimum },
});
const opt = (o: { do?: boolean; options?: { code: number; data: Buffer }[] } = {}) =>
  ({ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: o.do ? 0x8000 : 0, options: o.options ?? [] }) as unknown as Rec;

type Sections = { rcode?: number; answers?: Rec[]; authorities?: Rec[]; additionals?: Rec[] };
function upstream(qname: string, qtype: string, o: Sections): Buffer {
  const b = dnsPacket.encode({
    type: 'response',
    id: 4321,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
    questions: [{ name: qname, type: qtype as dnsPacket.RecordType, class: 'IN' }],
    answers: o.answers ?? [],
    authorities: o.authorities ?? [],
    additionals: o.additionals ?? [],
  });
  b[3] = (b[3] & 0xf0) | (o.rcode ?? 0);
  return b;
}

const A = (name: string, ttl: number, data: string): Rec => ({ type: 'A', name, ttl, data });
const manyA = Array.from({ length: 40 }, (_, i) => A('www.example.test', 300, `10.0.0.${i + 1}`));
const WWW = 'www.example.test';
const cases: { name: string; qtype: string; reply: Buffer }[] = ([
  ['answers owned by the question written out in upper case', 'A', { answers: [A('WWW.EXAMPLE.TEST', 60, '192.0.2.1'), A(WWW, 50, '192.0.2.2')], additionals: [opt()] }],
  ['CNAME chain, MX and SRV, names sharing the question suffix in other spellings', 'CNAME', {
    answers: [
      { type: 'CNAME', name: WWW, ttl: 70, data: 'web.EXAMPLE.test' },
      { type: 'MX', name: 'web.Example.Test', ttl: 80, data: { preference: 5, exchange: 'mail.example.TEST' } },
      { type: 'SRV', name: '_s._tcp.example.test', ttl: 90, data: { priority: 1, weight: 2, port: 3, target: 'WWW.example.test' } },
    ],
    authorities: [{ type: 'NS', name: 'EXAMPLE.TEST', ttl: 100, data: 'ns.other.test' }],
    additionals: [A('ns.other.test', 110, '192.0.2.9'), opt()],
  }],
  ['NXDOMAIN: the SOA carries min(TTL, MINIMUM)', 'A', { rcode: 3, authorities: [soa('example.test', 3600, 120)], additionals: [opt()] }],
  ['NODATA with the SOA TTL below MINIMUM, no OPT', 'AAAA', { authorities: [soa('Example.Test', 30, 900)] }],
  ['TTL above 2^31-1 counts as 0 (RFC 2181)', 'A', { answers: [A(WWW, 0x80000001, '192.0.2.3'), A(WWW, 40, '192.0.2.4')], additionals: [opt()] }],
  ['an Extended DNS Error option and DO from upstream', 'A', {
    answers: [A(WWW, 60, '192.0.2.5')],
    additionals: [opt({ do: true, options: [{ code: 10, data: Buffer.from('nsid') }, { code: 15, data: Buffer.from([0, 3, 0x68, 0x69]) }] })],
  }],
  ['more answers than fit 512 bytes', 'A', { answers: manyA, additionals: [A('x.example.test', 5, '192.0.2.8'), opt()] }],
  ['REFUSED (not cacheable)', 'A', { rcode: 5, additionals: [opt()] }],
] as [string, string, Sections][]).map(([name, qtype, o]) => ({ name, qtype, reply: upstream(WWW, qtype, o) }));

const clients = [
  { spell: 'WwW.ExAmple.TEST', o: {} },
  { spell: 'www.example.test', o: { edns: 4096 } },
  { spell: 'WWW.EXAMPLE.TEST', o: { edns: 1232, do: true, id: 7 } },
];

t.test('a relayed reply reads exactly like the decoded and re-encoded one', async (t) => {
  const scan = new ReplyScan();
  const now = 1_000_000;
  for (const c of cases) {
    // dns-packet writes names out in full; our encoder compresses: both shapes are relayed.
    for (const [shape, reply] of [['uncompressed', c.reply], ['compressed', encodeMessage(decodeMessage(c.reply)).buf]] as const) {
      for (const cl of clients) {
        const query = makeQuery(cl.spell, c.qtype, cl.o);
        const q = clientQuery(parseQuery(query));
        const lower = lowerQname(query, q);
        t.ok(scan.scan(reply, lower), `${c.name} (${shape}): relayable`);
        const relayed = relayAnswer(reply, scan, q.dnssecOk, now);
        const decoded = buildAnswer(decodeMessage(reply), lower, q.qtype, q.qclass, q.dnssecOk, now);
        t.same([relayed.ttl, relayed.tc, relayed.flags, relayed.extRcode], [decoded.ttl, decoded.tc, decoded.flags, decoded.extRcode], `${c.name} (${shape}): cache TTL and flags`);
        for (const limit of [512, 1232, 65535]) {
          for (const age of [0, 7_500]) {
            const counts = { truncated: 0 };
            const a = renderAnswer(relayed, q, query, limit, age > 0, now + age, true, counts);
            const b = renderAnswer(decoded, q, query, limit, age > 0, now + age, true, counts);
            t.same(summarize(a!), summarize(b!), `${c.name} (${shape}), client ${cl.spell} ${JSON.stringify(cl.o)}, limit ${limit}, age ${age} ms`);
          }
        }
      }
    }
  }
});

t.test('the client spelling reaches every name that spells the question', async (t) => {
  const reply = cases[1].reply;
  const query = makeQuery('WwW.ExAmple.TEST', 'CNAME');
  const q = clientQuery(parseQuery(query));
  const scan = new ReplyScan();
  t.ok(scan.scan(reply, lowerQname(query, q)));
  const s = summarize(renderAnswer(relayAnswer(reply, scan, false, 0), q, query, 65535, false, 0, true, { truncated: 0 })!);
  t.same(s.answer, [
    'WwW.ExAmple.TEST. 70 IN CNAME web.ExAmple.TEST.',
    'web.ExAmple.TEST. 80 IN MX 5 mail.ExAmple.TEST.',
    '_s._tcp.ExAmple.TEST. 90 IN SRV 1 2 3 WWW.example.test.', // SRV targets are not compressed, so not respelled (RFC 2782)
  ]);
  // Any suffix equal to a suffix of the question takes its spelling, as compression against it does.
  t.same(s.authority, ['ExAmple.TEST. 100 IN NS ns.other.TEST.']);
});

t.test('replies of unusual shape are left to the decoder', async (t) => {
  const scan = new ReplyScan();
  const q = Buffer.from('\x03www\x07example\x04test\x00', 'latin1');
  const a = A(WWW, 60, '192.0.2.1');
  const notLast = upstream(WWW, 'A', { answers: [a], additionals: [opt(), A('x.test', 1, '192.0.2.2')] });
  t.notOk(scan.scan(notLast, q), 'OPT that is not the last record');
  t.ok(decodeMessage(notLast), 'which the decoder reads');
  const noQuestion = Buffer.from([0, 1, 0x81, 0x85, 0, 0, 0, 0, 0, 0, 0, 0]);
  t.notOk(scan.scan(noQuestion, q), 'no question');
  const pointerQuestion = Buffer.concat([Buffer.from([0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0]), Buffer.from([0xc0, 4, 0, 1, 0, 1])]);
  t.notOk(scan.scan(pointerQuestion, q), 'compressed question');
  t.notOk(scan.scan(upstream('ww.example.test', 'A', { answers: [a] }), q), 'question of another length');
});

t.test('ReplyScan never accepts what decodeMessage rejects (mutated replies)', async (t) => {
  const scan = new ReplyScan();
  let seed = 12345;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  let accepted = 0;
  let laxer = 0;
  for (const c of cases) {
    for (const base of [c.reply, encodeMessage(decodeMessage(c.reply)).buf]) {
      const lower = Buffer.from('\x03www\x07example\x04test\x00', 'latin1');
      for (let i = 0; i < 400; i++) {
        const m = Buffer.from(base);
        const edits = 1 + rand(3);
        for (let k = 0; k < edits; k++) {
          const at = 12 + rand(m.length - 12);
          m[at] = rand(4) === 0 ? 0xc0 | rand(4) : rand(256);
        }
        const cut = rand(5) === 0 ? m.subarray(0, 12 + rand(m.length - 12)) : m;
        let ok = false;
        try {
          ok = scan.scan(cut, lower);
        } catch (e) {
          t.fail(`scan threw: ${(e as Error).message}`);
        }
        if (!ok) continue;
        accepted++;
        try {
          decodeMessage(cut);
        } catch {
          laxer++;
        }
      }
    }
  }
  t.equal(laxer, 0, `accepted ${accepted} mutated replies, all readable by decodeMessage`);
  t.ok(accepted > 100, 'the mutations leave many replies readable');
});
