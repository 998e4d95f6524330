// Authoritative answering (SPEC Part A 1–11) on a small hand-built record set: every reply is
// decoded and compared whole (rcode, flags, question, answer, authority, additional, OPT).
import t from 'tap';
import { ZoneImage } from '../src/zone/image.js';
import { buildImage } from '../src/zone/image-write.js';
import { draftFromRecordSet } from './support/records.js';
import { createAuthority } from '../src/dns/authority.js';
import { createQueryHandler } from '../src/dns/handler.js';
import { defaultConfig } from '../src/config/load.js';
import type { RecordSet } from '../src/records/types.js';
import type { Config } from '../src/config/types.js';
import { buildQuery, decode, sorted, type Decoded } from './support/dnsmsg.js';

const SERIAL = 1700000000;

function recordSet(): RecordSet {
  const r: RecordSet = { A: new Map(), AAAA: new Map(), SRV: new Map() };
  const add = (m: Map<string, Set<string>>, n: string, ...v: string[]) => m.set(n, new Set(v));
  add(r.A, 'leader.mesos.', '10.0.0.1');
  add(r.A, 'ns1.mesos.', '127.0.0.1');
  add(r.A, 'web.marathon.mesos.', '10.1.0.1', '10.1.0.2', '10.1.0.3');
  add(r.A, 'web-abcde-1.marathon.slave.mesos.', '10.2.0.1');
  add(r.AAAA, 'web-abcde-1.marathon.slave.mesos.', 'fd00::1');
  add(r.A, 'My.API.marathon.mesos.', '10.3.0.1'); // legacy raw name with upper case
  add(r.SRV, '_web._tcp.marathon.mesos.', 'web-abcde-1.marathon.slave.mesos.:31000', 'web-abcde-1.marathon.slave.mesos.:31001',
    'gone.marathon.slave.mesos.:31002');
  const many: string[] = [];
  for (let i = 1; i <= 80; i++) many.push(`10.9.${i >> 8}.${i & 255}`);
  add(r.A, 'big.marathon.mesos.', ...many);
  add(r.A, 'outside.example.', '1.1.1.1'); // not under the domain: left out
  return r;
}

function setup(over: Partial<Config> = {}, loaded = true) {
  const config: Config = { ...defaultConfig(), Masters: ['127.0.0.1:5050'], ...over };
  const image = loaded ? new ZoneImage(buildImage(draftFromRecordSet(recordSet()), { domain: config.Domain, ttl: config.TTL, srvWeight: config.SRVRecordDefaultWeight })) : null;
  const authority = createAuthority(config, image, SERIAL);
  const handler = createQueryHandler({ authority: () => authority, forwarder: null });
  const ask = (q: Buffer, transport: 'udp' | 'tcp' = 'udp'): Decoded => {
    const r = handler(q, transport, '127.0.0.1');
    if (!(r instanceof Buffer)) throw new Error('expected a synchronous reply');
    return decode(r);
  };
  return { ask, handler, config };
}

const SOA = (owner: string, ttl = 60) => ({
  name: owner, type: 'SOA', ttl,
  data: { mname: 'ns1.mesos', rname: 'root.ns1.mesos', serial: SERIAL, refresh: 60, retry: 600, expire: 86400, minimum: 60 },
});
const flags = (o: Partial<Decoded['flags']> = {}) => ({ qr: true, aa: true, tc: false, rd: true, ra: true, cd: false, ...o });

t.test('A answer: AA, RA, shuffled set, owner spelled as the question (A.5)', async (t) => {
  const { ask } = setup();
  const r = ask(buildQuery('WEB.Marathon.MESOS', 'A', { id: 77 }));
  t.same({ ...r, answer: sorted(r.answer), size: 0 }, {
    id: 77, rcode: 'NOERROR', flags: flags(),
    question: [{ name: 'WEB.Marathon.MESOS', type: 'A', class: 'IN' }],
    answer: ['10.1.0.1', '10.1.0.2', '10.1.0.3'].map((ip) => ({ name: 'WEB.Marathon.MESOS', type: 'A', ttl: 60, data: ip })),
    authority: [], additional: [], opt: null, size: 0,
  });
  // Shuffled: over many answers, more than one order shows up.
  const orders = new Set<string>();
  for (let i = 0; i < 50; i++) orders.add(ask(buildQuery('web.marathon.mesos', 'A')).answer.map((a) => a.data).join());
  t.ok(orders.size > 1, 'answers are shuffled');
});

t.test('RecurseOn false clears RA; RD and CD are copied', async (t) => {
  const { ask } = setup({ RecurseOn: false });
  const r = ask(buildQuery('leader.mesos', 'A', { rd: false, cd: true }));
  t.same(r.flags, flags({ ra: false, rd: false, cd: true }));
});

t.test('legacy upper-case names are reachable case-insensitively', async (t) => {
  const { ask } = setup();
  const r = ask(buildQuery('my.api.marathon.mesos', 'A'));
  t.same(r.answer, [{ name: 'my.api.marathon.mesos', type: 'A', ttl: 60, data: '10.3.0.1' }]);
});

t.test('NXDOMAIN with the apex SOA owned by the question spelling of the apex (A.3)', async (t) => {
  const { ask } = setup({ SOAMinttl: 30 });
  for (const type of ['A', 'AAAA', 'SRV', 'SOA', 'NS', 'MX', 'TXT', 'DS', 'ANY']) {
    const r = ask(buildQuery('nx.Marathon.MeSoS', type));
    t.same({ ...r, size: 0 }, {
      id: 0x1234, rcode: 'NXDOMAIN', flags: flags(), question: [{ name: 'nx.Marathon.MeSoS', type, class: 'IN' }],
      answer: [], authority: [{ ...SOA('MeSoS', 30), data: { ...SOA('MeSoS').data, minimum: 30 } }], additional: [], opt: null, size: 0,
    }, `NXDOMAIN for ${type}`);
  }
});

t.test('NODATA for names with other data and for empty non-terminals (A.3, A.10)', async (t) => {
  const { ask } = setup();
  const cases: [string, string][] = [
    ['leader.mesos', 'AAAA'], ['leader.mesos', 'SRV'], ['leader.mesos', 'MX'], ['leader.mesos', 'TXT'],
    ['leader.mesos', 'DS'], ['leader.mesos', 'SOA'], ['leader.mesos', 'NS'],
    ['_web._tcp.marathon.mesos', 'A'], ['marathon.slave.mesos', 'A'], ['slave.mesos', 'A'], ['_tcp.marathon.mesos', 'SRV'],
    ['mesos', 'A'], ['mesos', 'DS'],
  ];
  for (const [name, type] of cases) {
    const r = ask(buildQuery(name, type));
    t.same({ rcode: r.rcode, answer: r.answer, authority: r.authority, flags: r.flags }, {
      rcode: 'NOERROR', answer: [], authority: [SOA('mesos')], flags: flags(),
    }, `NODATA ${name} ${type}`);
  }
});

t.test('apex SOA and NS are answered in ANSWER; NS carries the name server address (A.2, A.4)', async (t) => {
  const { ask } = setup();
  const soa = ask(buildQuery('MESOS', 'SOA'));
  t.same({ rcode: soa.rcode, answer: soa.answer, authority: soa.authority, additional: soa.additional }, {
    rcode: 'NOERROR', answer: [SOA('MESOS')], authority: [], additional: [],
  });
  const ns = ask(buildQuery('mesos', 'NS'));
  t.same({ rcode: ns.rcode, flags: ns.flags, answer: ns.answer, authority: ns.authority, additional: ns.additional }, {
    rcode: 'NOERROR', flags: flags(),
    answer: [{ name: 'mesos', type: 'NS', ttl: 60, data: 'ns1.mesos' }], authority: [],
    additional: [{ name: 'ns1.mesos', type: 'A', ttl: 60, data: '127.0.0.1' }],
  });
});

t.test('SRV answers carry every A and AAAA of each target in ADDITIONAL (A.9)', async (t) => {
  const { ask } = setup();
  const r = ask(buildQuery('_web._TCP.marathon.mesos', 'SRV'));
  t.same({ rcode: r.rcode, answer: sorted(r.answer), additional: sorted(r.additional), authority: r.authority }, {
    rcode: 'NOERROR',
    answer: sorted([31000, 31001].map((port) => ({
      name: '_web._TCP.marathon.mesos', type: 'SRV', ttl: 60,
      data: { priority: 0, weight: 1, port, target: 'web-abcde-1.marathon.slave.mesos' },
    })).concat([{ name: '_web._TCP.marathon.mesos', type: 'SRV', ttl: 60,
      data: { priority: 0, weight: 1, port: 31002, target: 'gone.marathon.slave.mesos' } }])),
    additional: sorted([
      { name: 'web-abcde-1.marathon.slave.mesos', type: 'A', ttl: 60, data: '10.2.0.1' },
      { name: 'web-abcde-1.marathon.slave.mesos', type: 'AAAA', ttl: 60, data: 'fd00::1' },
    ]),
    authority: [],
  });
});

t.test('ANY returns all A, AAAA and SRV records of the name (A.10)', async (t) => {
  const { ask } = setup();
  const r = ask(buildQuery('web-abcde-1.marathon.slave.mesos', 'ANY'));
  t.same({ rcode: r.rcode, answer: sorted(r.answer), authority: r.authority }, {
    rcode: 'NOERROR', authority: [],
    answer: sorted([
      { name: 'web-abcde-1.marathon.slave.mesos', type: 'A', ttl: 60, data: '10.2.0.1' },
      { name: 'web-abcde-1.marathon.slave.mesos', type: 'AAAA', ttl: 60, data: 'fd00::1' },
    ]),
  });
});

t.test('a "*" label is an ordinary label (A.6)', async (t) => {
  const { ask } = setup();
  t.equal(ask(buildQuery('web.*.marathon.mesos', 'A')).rcode, 'NXDOMAIN');
  t.equal(ask(buildQuery('*.mesos', 'A')).rcode, 'NXDOMAIN');
});

t.test('EDNS: OPT echoed with our size and DO copied; BADVERS for version ≠ 0 (A.7)', async (t) => {
  const { ask } = setup();
  const r = ask(buildQuery('leader.mesos', 'A', { edns: 4096, dnssecOk: true }));
  t.same({ rcode: r.rcode, answer: r.answer, opt: r.opt }, {
    rcode: 'NOERROR', answer: [{ name: 'leader.mesos', type: 'A', ttl: 60, data: '10.0.0.1' }],
    opt: { udpSize: 1232, extRcode: 0, version: 0, do: true },
  });
  const bad = ask(buildQuery('leader.mesos', 'A', { edns: 1232, ednsVersion: 1 }));
  t.same({ rcode: bad.rcode, answer: bad.answer, opt: bad.opt, q: bad.question }, {
    rcode: 'BADVERS', answer: [], opt: { udpSize: 1232, extRcode: 1, version: 0, do: false },
    q: [{ name: 'leader.mesos', type: 'A', class: 'IN' }],
  });
});

t.test('truncation: UDP 512 without EDNS, min(size,1232) with it, TCP whole (A.7, A.8)', async (t) => {
  const { ask } = setup();
  const plain = ask(buildQuery('big.marathon.mesos', 'A'));
  t.same({ tc: plain.flags.tc, n: plain.answer.length }, { tc: true, n: 29 }, '29 A records fit in 512 bytes');
  t.ok(plain.size <= 512);
  const edns = ask(buildQuery('big.marathon.mesos', 'A', { edns: 4096 }));
  t.same({ tc: edns.flags.tc, n: edns.answer.length, opt: !!edns.opt }, { tc: true, n: 74, opt: true });
  t.ok(edns.size <= 1232 && edns.size + 16 > 1232, 'fills the 1232-byte limit');
  const small = ask(buildQuery('big.marathon.mesos', 'A', { edns: 100 }));
  t.same({ tc: small.flags.tc, n: small.answer.length }, { tc: true, n: 29 }, 'never below 512 (12+24+11 bytes of header, question and OPT, then 29 × 16)');
  const tcp = ask(buildQuery('big.marathon.mesos', 'A'), 'tcp');
  t.same({ tc: tcp.flags.tc, n: tcp.answer.length }, { tc: false, n: 80 });
  const noTc = setup({ SetTruncateBit: false }).ask(buildQuery('big.marathon.mesos', 'A'));
  t.same({ tc: noTc.flags.tc, n: noTc.answer.length }, { tc: false, n: 29 });
});

t.test('malformed and unusual queries (A.11)', async (t) => {
  const { ask, handler } = setup();
  t.equal(handler(Buffer.from([1, 2, 3]), 'udp', '127.0.0.1'), null, 'shorter than a header: dropped');
  const resp = buildQuery('leader.mesos', 'A'); resp[2] |= 0x80;
  t.equal(handler(resp, 'udp', '127.0.0.1'), null, 'a response is never answered');
  const two = buildQuery('leader.mesos', 'A'); two.writeUInt16BE(2, 4);
  t.same((({ rcode, question, answer }) => ({ rcode, question, answer }))(ask(two)), { rcode: 'FORMERR', question: [], answer: [] });
  const cut = buildQuery('leader.mesos', 'A').subarray(0, 20);
  t.equal(ask(cut).rcode, 'FORMERR', 'truncated question');
  const ptr = Buffer.from(buildQuery('leader.mesos', 'A')); ptr[12] = 0xc0; ptr[13] = 12;
  t.equal(ask(ptr).rcode, 'FORMERR', 'compression pointer loop in the question');
  const notify = buildQuery('leader.mesos', 'SOA'); notify[2] = (notify[2] & 0x87) | (4 << 3);
  const n = ask(notify);
  t.same({ rcode: n.rcode, q: n.question }, { rcode: 'NOTIMP', q: [{ name: 'leader.mesos', type: 'SOA', class: 'IN' }] });
  const ch = ask(buildQuery('leader.mesos', 'A', { qclass: 'CH' }));
  t.same({ rcode: ch.rcode, aa: ch.flags.aa, answer: ch.answer }, { rcode: 'REFUSED', aa: false, answer: [] });
  // Random garbage never throws.
  let seed = 1;
  const rnd = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed; };
  for (let i = 0; i < 5000; i++) {
    const b = Buffer.from(buildQuery('web.marathon.mesos', 'SRV', { edns: 1232 }));
    for (let k = 0; k < 1 + (rnd() % 6); k++) b[rnd() % b.length] = rnd() & 0xff;
    handler(b.subarray(0, rnd() % (b.length + 1)), 'udp', '127.0.0.1');
  }
  t.pass('5000 corrupted packets handled without an exception');
});

t.test('before the first state load the domain answers SERVFAIL (A.1)', async (t) => {
  const { ask } = setup({}, false);
  const r = ask(buildQuery('leader.mesos', 'A'));
  t.same({ rcode: r.rcode, aa: r.flags.aa, answer: r.answer, authority: r.authority }, { rcode: 'SERVFAIL', aa: false, answer: [], authority: [] });
});

t.test('names outside the domain are REFUSED when ExternalOn is false (A.14)', async (t) => {
  const { ask } = setup({ ExternalOn: false });
  const r = ask(buildQuery('outside.example', 'A'));
  t.same({ rcode: r.rcode, aa: r.flags.aa, ra: r.flags.ra, answer: r.answer }, { rcode: 'REFUSED', aa: false, ra: false, answer: [] });
});

t.test('class CH or any class but IN outside the domain is REFUSED, never forwarded', async (t) => {
  const config: Config = { ...defaultConfig(), Masters: ['127.0.0.1:5050'] };
  const authority = createAuthority(config, null, SERIAL);
  const forwarded: string[] = [];
  const handler = createQueryHandler({
    authority: () => authority,
    forwarder: { forward: (req) => { forwarded.push(String(req.qclass)); return Buffer.alloc(0); }, close: async () => {} },
  });
  for (const [name, type, qclass] of [['version.bind', 'TXT', 'CH'], ['hostname.bind', 'TXT', 'CH'], ['example.org', 'A', 'HS'], ['example.org', 'A', 'ANY']]) {
    const r = handler(buildQuery(name!, type!, { id: 9, qclass, edns: 1232 }), 'udp', '127.0.0.1');
    if (!(r instanceof Buffer)) throw new Error('expected a synchronous reply');
    t.same(decode(r), {
      id: 9, rcode: 'REFUSED', flags: flags({ aa: false, ra: false }),
      question: [{ name, type, class: qclass }],
      answer: [], authority: [], additional: [],
      opt: { udpSize: 1232, extRcode: 0, version: 0, do: false }, size: r.length,
    }, `${name} ${qclass} ${type}`);
  }
  t.same(forwarded, [], 'nothing forwarded');
});

t.test('NOTIMP and FORMERR keep an OPT record when the query had one (RFC 6891 §7)', async (t) => {
  const { ask } = setup();
  const opt = { udpSize: 1232, extRcode: 0, version: 0, do: true };
  const notimp = buildQuery('leader.mesos', 'SOA', { id: 5, edns: 4096, dnssecOk: true });
  notimp[2] = (notimp[2]! & 0x87) | (4 << 3); // opcode NOTIFY
  const r1 = ask(notimp);
  t.same(r1, {
    id: 5, rcode: 'NOTIMP', flags: flags({ aa: false }),
    question: [{ name: 'leader.mesos', type: 'SOA', class: 'IN' }],
    answer: [], authority: [], additional: [], opt, size: r1.size,
  });
  const noq = buildQuery('leader.mesos', 'A', { id: 6, edns: 4096, dnssecOk: true });
  const formerr = Buffer.concat([noq.subarray(0, 12), noq.subarray(noq.length - 11)]);
  formerr.writeUInt16BE(0, 4); // QDCOUNT 0, the OPT kept
  const r2 = ask(formerr);
  t.same(r2, {
    id: 6, rcode: 'FORMERR', flags: flags({ aa: false }),
    question: [], answer: [], authority: [], additional: [], opt, size: r2.size,
  });
});
