// The shared wire module (src/wire/): the one name hash that the record generator, the image
// builder and the query parser must agree on, and the one query parse that forwarding reuses.
import t from 'tap';
import { hashOf } from '../src/records/names.js';
import { hashWire, lowerCopy, nameToWire, wireLength } from '../src/wire/name.js';
import { clientQuery, parseQuery, ParseStatus } from '../src/wire/query.js';
import { lowerQname } from '../src/forward/wire.js';
import { makeQuery } from './support/forward-msg.js';

const header = (qd: number, an: number) => Buffer.from([0, 1, 0x01, 0x00, 0, qd, 0, an, 0, 0, 0, 0]);

// Names as the generator spells them (trailing dot), mixed case, edge lengths.
const names = [
  'a.', 'mesos.', 'Web.Marathon.Mesos.', '_http._tcp.web.marathon.mesos.', 'leader.mesos.',
  `${'x'.repeat(63)}.mesos.`, `${'a'.repeat(50)}.${'b'.repeat(50)}.${'c'.repeat(50)}.${'d'.repeat(50)}.mesos.`,
  'under_score.and-dash.0.mesos.',
];
for (let i = 0; i < 200; i++) {
  const labels = Array.from({ length: 1 + (i % 5) }, (_, k) => Math.random().toString(36).slice(2, 3 + ((i + k) % 20)));
  names.push(`${labels.join('.')}.mesos.`);
}

t.test('one name hash: generator (hashOf), builder (hashWire) and query parser agree', async (t) => {
  for (const name of names) {
    const lower = name.toLowerCase();
    const wire = nameToWire(lower)!;
    t.equal(wireLength(lower), wire.length, `${name}: encodable`);
    const want = hashWire(wire);
    const b = Buffer.from(lower, 'latin1');
    t.equal(hashOf(b, 0, b.length) >>> 0, want, `${name}: generator hash`);
    const q = parseQuery(makeQuery(name, 'A', { id: 1 }));
    t.equal(q.status, ParseStatus.Ok);
    t.equal(q.hash, want, `${name}: query parser hash (lower-cased while hashing)`);
    t.same(Buffer.from(q.lname), Buffer.from(wire), `${name}: lower-cased question name`);
    t.same(lowerCopy(nameToWire(name)!), Buffer.from(wire), `${name}: lowerCopy`);
  }
});

t.test('client queries: the question must be a single, uncompressed name', async (t) => {
  const query = makeQuery('Host.Example.Test', 'AAAA', { id: 77, edns: 1400, do: true });
  const q = clientQuery(parseQuery(query));
  t.same(
    { ...q, qname: query.toString('latin1', 12, 12 + q.qnameLen), lower: lowerQname(query, q).toString('latin1') },
    { id: 77, flags: 0x0100, opcode: 0, qnameLen: 19, qname: '\x04Host\x07Example\x04Test\x00', lower: '\x04host\x07example\x04test\x00', qtype: 28, qclass: 1, qEnd: 35, ednsVersion: 0, dnssecOk: true },
  );
  const plain = makeQuery('a.test', 'A', { id: 1 });
  t.match(clientQuery(parseQuery(plain)), { qnameLen: 8, ednsVersion: -1, dnssecOk: false });
  t.equal(parseQuery(Buffer.concat([header(1, 0), Buffer.from([0xc0, 0, 0, 1, 0, 1])])).status, ParseStatus.FormErr, 'compressed question name');
  t.equal(parseQuery(Buffer.concat([header(2, 0), Buffer.from([0, 0, 1, 0, 1, 0, 0, 1, 0, 1])])).status, ParseStatus.FormErr, 'two questions');
  t.equal(parseQuery(Buffer.from([0, 1, 0])).status, ParseStatus.Drop, 'shorter than a header');
});
