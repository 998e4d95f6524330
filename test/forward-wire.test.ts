// The relaying codec on its own: hostile name compression, round trips checked by an independent
// decoder (dns-packet), case-insensitive compression towards the client's spelling, and truncation
// that keeps the most whole answers that fit (exact packed size).
import t from 'tap';
import dnsPacket from 'dns-packet';
import { decodeMessage, encodeLimited, encodeMessage, encodeSections, WireError, type Message } from '../src/forward/wire.js';

const header = (qd: number, an: number) => Buffer.from([0, 1, 0x81, 0x80, 0, qd, 0, an, 0, 0, 0, 0]);

t.test('hostile compression pointers are rejected, never followed forever', async (t) => {
  // question name = pointer to itself
  t.throws(() => decodeMessage(Buffer.concat([header(1, 0), Buffer.from([0xc0, 12, 0, 1, 0, 1])])), WireError);
  // two names pointing at each other (the second is forward of the first)
  const loop = Buffer.concat([header(1, 1), Buffer.from([1, 0x61, 0xc0, 18, 0, 1, 0, 1]), Buffer.from([1, 0x62, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 0])]);
  t.throws(() => decodeMessage(loop), WireError);
  // pointer past the end, label past the end, reserved label type, name over 255 bytes
  t.throws(() => decodeMessage(Buffer.concat([header(1, 0), Buffer.from([0xc0, 200, 0, 1, 0, 1])])), WireError);
  t.throws(() => decodeMessage(Buffer.concat([header(1, 0), Buffer.from([40, 0x61])])), WireError);
  t.throws(() => decodeMessage(Buffer.concat([header(1, 0), Buffer.from([0x40, 0x61, 0, 0, 1, 0, 1])])), WireError);
  const long = Buffer.concat([header(1, 0), ...Array.from({ length: 5 }, () => Buffer.concat([Buffer.from([63]), Buffer.alloc(63, 0x61)])), Buffer.from([0, 0, 1, 0, 1])]);
  t.throws(() => decodeMessage(long), WireError);
  // counts larger than the content, RDATA longer than the message
  t.throws(() => decodeMessage(Buffer.concat([header(1, 3), Buffer.from([0, 0, 1, 0, 1])])), WireError);
  t.throws(() => decodeMessage(Buffer.concat([header(1, 1), Buffer.from([0, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 9, 1])])), WireError);
  // an MX whose RDATA length disagrees with its content
  t.throws(() => decodeMessage(Buffer.concat([header(1, 1), Buffer.from([0, 0, 15, 0, 1, 0, 0, 15, 0, 1, 0, 0, 0, 1, 0, 5, 0, 1, 0, 0, 0])])), WireError);
});

t.test('a decoded and re-encoded reply reads the same in dns-packet', async (t) => {
  const original = {
    type: 'response' as const,
    id: 4242,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | dnsPacket.AUTHORITATIVE_ANSWER,
    questions: [{ type: 'MX' as const, name: 'example.test', class: 'IN' as const }],
    answers: [
      { type: 'MX' as const, name: 'example.test', ttl: 60, data: { preference: 10, exchange: 'mail.example.test' } },
      { type: 'CNAME' as const, name: 'alias.example.test', ttl: 61, data: 'example.test' },
      { type: 'SRV' as const, name: '_s._tcp.example.test', ttl: 62, data: { priority: 1, weight: 2, port: 3, target: 'host.example.test' } },
      { type: 'TXT' as const, name: 'example.test', ttl: 63, data: ['hello', 'world'] },
      { type: 'AAAA' as const, name: 'mail.example.test', ttl: 64, data: '2001:db8::1' },
    ],
    authorities: [
      { type: 'NS' as const, name: 'example.test', ttl: 65, data: 'ns.other.test' },
      { type: 'SOA' as const, name: 'example.test', ttl: 66, data: { mname: 'ns.other.test', rname: 'h.example.test', serial: 9, refresh: 8, retry: 7, expire: 6, minimum: 5 } },
    ],
    additionals: [{ type: 'A' as const, name: 'ns.other.test', ttl: 67, data: '192.0.2.1' }],
  };
  const wire = dnsPacket.encode(original); // dns-packet writes no compression
  const ours = encodeMessage(decodeMessage(wire)).buf;
  t.ok(ours.length < wire.length, `compressed: ${ours.length} < ${wire.length}`);
  const back = dnsPacket.decode(ours);
  const strip = (p: dnsPacket.Packet) => JSON.parse(JSON.stringify({ id: p.id, flags: p.flags, questions: p.questions, answers: p.answers, authorities: p.authorities, additionals: p.additionals }));
  t.same(strip(back), strip(dnsPacket.decode(wire)));
  t.ok(ours.includes(Buffer.from('\x04host\x07example\x04test\x00', 'latin1')), 'SRV target written uncompressed (RFC 2782)');
});

t.test('compression is case-insensitive, so names take the spelling of the question', async (t) => {
  const m: Message = decodeMessage(
    dnsPacket.encode({
      type: 'response',
      id: 1,
      questions: [{ type: 'CNAME', name: 'WwW.Example.TEST' }],
      answers: [{ type: 'CNAME', name: 'www.example.test', ttl: 5, data: 'web.EXAMPLE.test' }],
    }),
  );
  const p = dnsPacket.decode(encodeMessage(m).buf);
  t.same([p.answers![0].name, (p.answers![0] as { data: string }).data], ['WwW.Example.TEST', 'web.Example.TEST']);
});

t.test('truncation keeps the most whole answers that fit, exactly', async (t) => {
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 200) + 1;
  const answers = Array.from({ length: 40 }, (_, i) => ({ type: 'TXT' as const, name: `t${i % 3}.example.test`, ttl: 60, data: ['y'.repeat(rand())] }));
  const m = decodeMessage(
    dnsPacket.encode({
      type: 'response',
      id: 2,
      questions: [{ type: 'TXT', name: 't0.example.test' }],
      answers,
      authorities: [{ type: 'NS', name: 'example.test', ttl: 60, data: 'ns.example.test' }],
      additionals: [
        { type: 'A', name: 'ns.example.test', ttl: 60, data: '192.0.2.1' },
        { type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0 } as unknown as dnsPacket.Answer,
      ],
    }),
  );
  const fullLen = encodeMessage(m).buf.length;
  const opt = m.additionals.filter((r) => r.type === 41);
  for (let limit = 120; limit <= fullLen + 10; limit += 37) {
    const { buf, truncated } = encodeLimited(m, limit, true);
    t.ok(buf.length <= limit, `fits ${limit}`);
    const p = dnsPacket.decode(buf);
    t.equal(truncated, limit < fullLen);
    t.equal(((p.flags ?? 0) & dnsPacket.TRUNCATED_RESPONSE) !== 0, limit < fullLen);
    if (!truncated) continue;
    const k = p.answers!.length;
    t.same(p.additionals!.map((a) => a.type), ['OPT'], 'additional dropped, OPT kept');
    t.same(p.authorities!.length, 1);
    if (k < answers.length) {
      const more = encodeSections(m.id, m.flags, m.questions, m.answers.slice(0, k + 1), m.authorities, opt).buf.length;
      t.ok(more > limit, `one more answer (${more} bytes) would not fit ${limit}`);
    }
  }
  const quiet = encodeLimited(m, 300, false);
  t.notOk((dnsPacket.decode(quiet.buf).flags ?? 0) & dnsPacket.TRUNCATED_RESPONSE, 'SetTruncateBit false: cut without TC');
});

