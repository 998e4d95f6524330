// Upstream transport and relaying: truncated UDP replies retried over TCP, relayed replies cut to
// the client's size limit (Part A items 8 and 13), RFC 5452 reply matching, a resolver without
// EDNS, garbage from upstream, and real dig reading what we send.
import t from 'tap';
import dnsPacket from 'dns-packet';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startNamed } from './support/named.js';
import {
  exampleZone,
  makeQuery,
  makeRequest,
  respond,
  scriptedUpstream,
  serveForwarder,
  sorted,
  summarize,
  testSettings,
} from './support/forward-msg.js';
import { createForwarder, createForwardMetrics, UDP_SOCKET_USES } from '../src/forward/index.js';
import { MAX_CACHE_TTL } from '../src/forward/answer.js';
import type { Config } from '../src/config/types.js';
import { silentLogger } from '../src/log.js';

const run = promisify(execFile);
const named = await startNamed({ zones: [{ name: 'example.test', content: exampleZone() }] });
t.teardown(() => named.stop());

function make(over: Partial<Config> = {}) {
  const metrics = createForwardMetrics();
  const f = createForwarder(testSettings({ Resolvers: [`127.0.0.1:${named.port}`], CacheOn: false, ...over }), silentLogger, { metrics });
  t.teardown(() => f.close());
  return { f, metrics };
}

const bigTxt = Array.from({ length: 30 }, (_, i) => `big.example.test. 300 IN TXT "${String(i).padStart(2, '0')}-${'x'.repeat(57)}"`).sort();
const manyA = Array.from({ length: 90 }, (_, i) => `many.example.test. 300 IN A 10.0.0.${i + 1}`).sort();

t.test('a truncated UDP reply is retried over TCP and the whole answer relayed', async (t) => {
  const { f, metrics } = make();
  const r = await f.forward(makeRequest(makeQuery('big.example.test', 'TXT', { id: 11 }), { transport: 'tcp' }));
  t.same(sorted(summarize(r)), {
    id: 11,
    rcode: 'NOERROR',
    flags: 'qr aa rd',
    question: ['big.example.test. IN TXT'],
    answer: bigTxt,
    authority: [],
    additional: [],
    edns: null,
  });
  await named.sync();
  const log = named.queryLog().filter((e) => e.name === 'big.example.test');
  t.same(
    log.map((e) => e.tcp),
    [false, true],
    'UDP first (truncated at 1232), then TCP',
  );
  t.ok(log.every((e) => e.flags.includes('E(0)')), 'queries carry EDNS');
  t.match(metrics, { tcpRetries: 1, upstreamQueries: 2, truncated: 0 });
});

t.test('a relayed reply larger than the client limit is truncated with TC, never SERVFAIL', async (t) => {
  const { f, metrics } = make();
  // No EDNS: 512 bytes. Header+question 35, each A answer 16 bytes (owner compressed): 29 fit.
  const small = await f.forward(makeRequest(makeQuery('many.example.test', 'A', { id: 12 })));
  const s = summarize(small);
  t.equal(small.length, 35 + 29 * 16);
  t.same({ ...s, answer: [] }, { id: 12, rcode: 'NOERROR', flags: 'qr aa tc rd', question: ['many.example.test. IN A'], answer: [], authority: [], additional: [], edns: null });
  t.equal(s.answer.length, 29);
  t.ok(s.answer.every((a) => manyA.includes(a)), 'only whole, real records');

  // EDNS 4096 from the client: our limit is 1232, and the OPT record is kept.
  const mid = await f.forward(makeRequest(makeQuery('many.example.test', 'A', { id: 13, edns: 4096 })));
  const m = summarize(mid);
  t.equal(mid.length, 35 + 74 * 16 + 11);
  t.same({ ...m, answer: [] }, { id: 13, rcode: 'NOERROR', flags: 'qr aa tc rd', question: ['many.example.test. IN A'], answer: [], authority: [], additional: [], edns: { udp: 1232, do: false, version: 0, extRcode: 0 } });

  // TCP: everything.
  const full = summarize(await f.forward(makeRequest(makeQuery('many.example.test', 'A', { id: 14 }), { transport: 'tcp' })));
  t.same(sorted(full).answer, manyA);
  t.notOk(full.flags.includes('tc'));
  t.equal(metrics.truncated, 2);

  // SetTruncateBit false: still cut to size, but without TC.
  const quiet = make({ SetTruncateBit: false }).f;
  const q = await quiet.forward(makeRequest(makeQuery('many.example.test', 'A', { id: 15 })));
  t.equal(q.length, 35 + 29 * 16);
  t.equal(summarize(q).flags, 'qr aa rd');
});

t.test('real dig reads our replies (compression, truncation, TCP)', async (t) => {
  const { f } = make();
  const srv = await serveForwarder(f);
  t.teardown(() => srv.close());
  const dig = async (...args: string[]) => (await run('dig', ['@127.0.0.1', '-p', String(srv.port), '+time=5', '+tries=1', ...args])).stdout;

  const alias = await dig('ALIAS.example.test', 'A', '+noedns');
  t.match(alias, /status: NOERROR/);
  t.match(alias, /flags: qr aa rd;/);
  const answers = alias.split('\n').filter((l) => /^\S+\s+\d+\s+IN\s+(A|CNAME)\s/.test(l)).map((l) => l.split(/\s+/).join(' ')).sort();
  t.same(answers, ['ALIAS.example.test. 300 IN CNAME www.example.test.', 'www.example.test. 300 IN A 192.0.2.1', 'www.example.test. 300 IN A 192.0.2.2']);

  const trunc = await dig('many.example.test', 'A', '+noedns', '+ignore');
  t.match(trunc, /flags: qr aa tc rd;/);
  t.match(trunc, /ANSWER: 29,/);
  const tcp = await dig('many.example.test', 'A', '+tcp');
  t.match(tcp, /ANSWER: 90,/);
  t.match(tcp, /EDNS: version: 0, flags:; udp: 1232/);
});

t.test('replies that do not match ID, question or type are ignored; the matching one is used (RFC 5452)', async (t) => {
  const up = await scriptedUpstream((q) => {
    const id = q.readUInt16BE(0);
    const name = dnsPacket.decode(q).questions![0].name;
    const a = (n: string) => [{ type: 'A' as const, name: n, ttl: 60, data: '192.0.2.77' }];
    return [
      respond(q, { id: id ^ 1, answers: a(name), opt: true }), // wrong ID
      respond(q, { question: { name: 'evil.test', type: 'A' }, answers: a('evil.test'), opt: true }), // wrong name
      respond(q, { question: { name, type: 'AAAA' }, opt: true }), // wrong type
      Buffer.from([q[0], q[1], 0x81]), // short garbage with the right ID
      respond(q, { answers: [{ type: 'A', name: name.toUpperCase(), ttl: 60, data: '192.0.2.1' }], opt: true }), // right (case differs)
    ];
  });
  t.teardown(() => up.close());
  const { f, metrics } = make({ Resolvers: [`127.0.0.1:${up.port}`] });
  const r = summarize(await f.forward(makeRequest(makeQuery('Match.test', 'A', { id: 21 }))));
  t.same(r, { id: 21, rcode: 'NOERROR', flags: 'qr rd ra', question: ['Match.test. IN A'], answer: ['Match.test. 60 IN A 192.0.2.1'], authority: [], additional: [], edns: null });
  t.equal(metrics.upstreamMismatched, 4);
  t.equal(up.received(), 1);
});

t.test('a resolver that answers FORMERR to EDNS is asked again without it', async (t) => {
  const up = await scriptedUpstream((q) => {
    const p = dnsPacket.decode(q);
    if ((p.additionals ?? []).length) return respond(q, { rcode: 1 });
    return respond(q, { answers: [{ type: 'A', name: p.questions![0].name, ttl: 60, data: '192.0.2.5' }] });
  });
  t.teardown(() => up.close());
  const { f } = make({ Resolvers: [`127.0.0.1:${up.port}`] });
  const r = summarize(await f.forward(makeRequest(makeQuery('old.test', 'A', { id: 5, edns: 1232 }))));
  t.same(r, { id: 5, rcode: 'NOERROR', flags: 'qr rd ra', question: ['old.test. IN A'], answer: ['old.test. 60 IN A 192.0.2.5'], authority: [], additional: [], edns: { udp: 1232, do: false, version: 0, extRcode: 0 } });
  t.equal(up.received(), 2);
});

t.test('nothing an upstream sends can break a reply', async (t) => {
  // Replies that pass matching (right ID and question) but are corrupt after the question:
  // random bytes, cut short, bad pointers, huge counts. Every client reply must still be a
  // well-formed DNS message (an answer or SERVFAIL).
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const mutate = (good: Buffer, qEnd: number): Buffer => {
    const b = Buffer.from(good);
    const kind = Math.floor(rand() * 5);
    if (kind === 0) return b.subarray(0, qEnd + Math.floor(rand() * (b.length - qEnd)));
    if (kind === 1) b.writeUInt16BE(Math.floor(rand() * 65536), 6 + 2 * Math.floor(rand() * 3));
    if (kind === 2) b[qEnd + Math.floor(rand() * (b.length - qEnd))] = 0xc0 | Math.floor(rand() * 64);
    for (let i = 0; i < 1 + rand() * 6; i++) b[qEnd + Math.floor(rand() * (b.length - qEnd))] = Math.floor(rand() * 256);
    return b;
  };
  const up = await scriptedUpstream((q) => {
    const name = dnsPacket.decode(q).questions![0].name;
    const good = respond(q, {
      answers: [
        { type: 'CNAME', name, ttl: 60, data: `x.${name}` },
        { type: 'MX', name: `x.${name}`, ttl: 60, data: { preference: 1, exchange: `mx.${name}` } },
        { type: 'SRV', name: `x.${name}`, ttl: 60, data: { priority: 0, weight: 1, port: 80, target: `t.${name}` } },
      ],
      authorities: [{ type: 'SOA', name, ttl: 60, data: { mname: `ns.${name}`, rname: `h.${name}`, serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 1 } }],
      opt: true,
    });
    return mutate(good, 12 + name.length + 2 + 4);
  });
  t.teardown(() => up.close());
  const { f } = make({ Resolvers: [`127.0.0.1:${up.port}`], Timeout: 1, CacheOn: true });
  let answered = 0;
  let failed = 0;
  for (let i = 0; i < 150; i++) {
    const buf = await f.forward(makeRequest(makeQuery(`n${i}.fuzz.test`, 'MX', { id: i, edns: 1232 })));
    const s = summarize(buf); // throws if malformed
    t.equal(s.id, i);
    if (s.rcode === 'SERVFAIL') failed++;
    else answered++;
  }
  t.ok(answered > 0 && failed > 0, `answered ${answered}, SERVFAIL ${failed}`);
});

t.test('TCP to a resolver is one pipelined connection, re-opened when the resolver closes it', async (t) => {
  const answer = (q: Buffer) => respond(q, { answers: [{ type: 'A', name: dnsPacket.decode(q).questions![0].name, ttl: 60, data: '192.0.2.44' }] });
  const tcUdp = (q: Buffer) => respond(q, { flags: dnsPacket.TRUNCATED_RESPONSE | 0x0180, opt: true });
  const up = await scriptedUpstream(tcUdp, answer, { closeAfterReplies: 10 });
  t.teardown(() => up.close());
  const { f, metrics } = make({ Resolvers: [`127.0.0.1:${up.port}`] });
  const burst = async (from: number) =>
    Promise.all(Array.from({ length: 10 }, (_, i) => f.forward(makeRequest(makeQuery(`p${from + i}.test`, 'A', { id: from + i })))));
  for (const [i, b] of (await burst(0)).entries()) {
    t.same(summarize(b), { id: i, rcode: 'NOERROR', flags: 'qr rd ra', question: [`p${i}.test. IN A`], answer: [`p${i}.test. 60 IN A 192.0.2.44`], authority: [], additional: [], edns: null });
  }
  t.equal(up.tcpConnections(), 1, 'ten queries, one connection');
  // The resolver closed it after ten replies: the next queries open a new one.
  const again = await burst(10);
  t.same(again.map((b) => summarize(b).rcode), Array(10).fill('NOERROR'));
  t.equal(up.tcpConnections(), 2);
  t.equal(up.tcpReceived(), 20);
  t.equal(metrics.tcpRetries, 20);
});

t.test('UDP source ports change as sockets are retired', async (t) => {
  const up = await scriptedUpstream((q) => respond(q, { answers: [{ type: 'A', name: dnsPacket.decode(q).questions![0].name, ttl: 60, data: '192.0.2.45' }] }));
  t.teardown(() => up.close());
  const metrics = createForwardMetrics();
  const f = createForwarder(testSettings({ Resolvers: [`127.0.0.1:${up.port}`], CacheOn: false }), silentLogger, { metrics, udpSockets: 1, udpSocketUses: 2 });
  t.teardown(() => f.close());
  for (let i = 0; i < 8; i++) t.equal(summarize(await f.forward(makeRequest(makeQuery(`s${i}.test`, 'A')))).rcode, 'NOERROR');
  t.equal(up.ports().size, 4, 'a new source port every two queries');
});

t.test('6000 forwarded queries with the default pool leave from many source ports (RFC 5452)', async (t) => {
  const up = await scriptedUpstream((q) => respond(q, { answers: [{ type: 'A', name: dnsPacket.decode(q).questions![0].name, ttl: 60, data: '192.0.2.47' }] }));
  t.teardown(() => up.close());
  const f = createForwarder(testSettings({ Resolvers: [`127.0.0.1:${up.port}`], CacheOn: false }), silentLogger, { metrics: createForwardMetrics() });
  t.teardown(() => f.close());
  for (let b = 0; b < 60; b++) {
    const replies = await Promise.all(Array.from({ length: 100 }, (_, i) => f.forward(makeRequest(makeQuery(`r${b}-${i}.test`, 'A')))));
    t.ok(replies.every((r) => summarize(r).rcode === 'NOERROR'), `batch ${b}`);
  }
  t.equal(up.received(), 6000);
  t.ok(up.ports().size >= 6000 / UDP_SOCKET_USES, `${up.ports().size} source ports (was 4)`);
});

t.test('relayed TTLs are capped at one day (MAX_CACHE_TTL), cached or not', async (t) => {
  const up = await scriptedUpstream((q) => respond(q, { answers: [
    { type: 'A', name: dnsPacket.decode(q).questions![0].name, ttl: 2147483647, data: '192.0.2.48' },
    { type: 'A', name: dnsPacket.decode(q).questions![0].name, ttl: 600, data: '192.0.2.49' },
  ] }));
  t.teardown(() => up.close());
  for (const CacheOn of [false, true]) {
    const f = createForwarder(testSettings({ Resolvers: [`127.0.0.1:${up.port}`], CacheOn }), silentLogger, { metrics: createForwardMetrics() });
    t.teardown(() => f.close());
    for (let i = 0; i < 2; i++) {
      t.same(summarize(await f.forward(makeRequest(makeQuery('ttl.test', 'A')))).answer.sort(),
        ['ttl.test. 600 IN A 192.0.2.49', `ttl.test. ${MAX_CACHE_TTL} IN A 192.0.2.48`], `CacheOn ${CacheOn}, ask ${i + 1}`);
    }
  }
});

t.test('ForwardMaxTTL sets the cap on relayed and cached TTLs, negative answers too', async (t) => {
  const up = await scriptedUpstream((q) => {
    const name = dnsPacket.decode(q).questions![0].name;
    if (name.startsWith('nx.')) {
      return respond(q, { rcode: 3, authorities: [{ type: 'SOA', name: 'ttl.test', ttl: 7200, data: { mname: 'ns.ttl.test', rname: 'h.ttl.test', serial: 1, refresh: 2, retry: 3, expire: 4, minimum: 3600 } }] });
    }
    return respond(q, { answers: [{ type: 'A', name, ttl: 2147483647, data: '192.0.2.48' }, { type: 'A', name, ttl: 60, data: '192.0.2.49' }] });
  });
  t.teardown(() => up.close());
  for (const CacheOn of [false, true]) {
    const f = createForwarder(testSettings({ Resolvers: [`127.0.0.1:${up.port}`], CacheOn, ForwardMaxTTL: 300 }), silentLogger, { metrics: createForwardMetrics() });
    t.teardown(() => f.close());
    for (let i = 0; i < 2; i++) {
      t.same(summarize(await f.forward(makeRequest(makeQuery('ttl.test', 'A')))).answer.sort(),
        ['ttl.test. 300 IN A 192.0.2.48', 'ttl.test. 60 IN A 192.0.2.49'], `CacheOn ${CacheOn}, ask ${i + 1}`);
      t.same(summarize(await f.forward(makeRequest(makeQuery('nx.ttl.test', 'A')))).authority,
        ['ttl.test. 300 IN SOA ns.ttl.test. h.ttl.test. 1 2 3 4 3600'], `negative, CacheOn ${CacheOn}, ask ${i + 1}`);
    }
  }
});

t.test('an IPv6 resolver ("[::1]:port") over UDP and TCP', async (t) => {
  const a = (q: Buffer) => respond(q, { answers: [{ type: 'AAAA', name: dnsPacket.decode(q).questions![0].name, ttl: 60, data: '2001:db8::46' }] });
  let up;
  try {
    up = await scriptedUpstream((q) => respond(q, { flags: dnsPacket.TRUNCATED_RESPONSE | 0x0180 }), a, { host: '::1' });
  } catch {
    t.comment('no IPv6 loopback here: skipped');
    return;
  }
  t.teardown(() => up.close());
  const { f } = make({ Resolvers: [`[::1]:${up.port}`] });
  const r = summarize(await f.forward(makeRequest(makeQuery('v6.test', 'AAAA', { id: 6 }))));
  t.same(r, { id: 6, rcode: 'NOERROR', flags: 'qr rd ra', question: ['v6.test. IN AAAA'], answer: ['v6.test. 60 IN AAAA 2001:db8::46'], authority: [], additional: [], edns: null });
  t.same([up.received(), up.tcpReceived()], [1, 1]);
});
