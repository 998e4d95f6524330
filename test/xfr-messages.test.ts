// The transfer message writer (src/xfr/messages.ts) on its own: compression is per message and
// case-preserving and survives a full compression table; a message handed out is never written
// again unless it was released; a buffer released twice is not handed to two messages.
import t from 'tap';
import { MessageWriter, releaseMessage, type ReplyHead } from '../src/xfr/messages.js';
import { nameToWire } from '../src/wire/name.js';
import { decode } from './support/dnsmsg.js';

const head = (id = 7): ReplyHead => ({ id, queryFlags: 0, question: new Uint8Array([...nameToWire('Mesos.')!, 0, 252, 0, 1]), edns: false, ednsDO: false });
/** An A record body: type A, class IN, TTL 60, 4 bytes of address. */
const aBody = (i: number) => Uint8Array.from([0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, (i >> 16) & 255, (i >> 8) & 255, i & 255]);

/** Writes `names` (one A each) and returns the framed messages, each copied when finished. */
function writeAll(w: MessageWriter, names: string[]): { copies: Buffer[]; views: Buffer[] } {
  const copies: Buffer[] = [], views: Buffer[] = [];
  const take = (m: Buffer | null) => { if (m) { views.push(m); copies.push(Buffer.from(m)); } };
  names.forEach((n, i) => { const o = nameToWire(n)!; const b = aBody(i); take(w.add(o, 0, o.length, b, 0, b.length)); });
  take(w.finish());
  return { copies, views };
}

const unframe = (m: Buffer) => decode(m.subarray(2));

t.test('compression is case-preserving: names differing in case are spelled out, equal ones pointed at', async (t) => {
  const w = new MessageWriter(head());
  const { copies } = writeAll(w, ['web.Marathon.Mesos.', 'web.marathon.mesos.', 'db.marathon.mesos.', 'web.Marathon.Mesos.', 'Mesos.']);
  t.equal(copies.length, 1);
  const m = unframe(copies[0]);
  t.same(m.question, [{ name: 'Mesos', type: 'AXFR', class: 'IN' }]);
  t.same(m.answer.map((a) => a.name), ['web.Marathon.Mesos', 'web.marathon.mesos', 'db.marathon.mesos', 'web.Marathon.Mesos', 'Mesos']);
  // Header 12, question 11; owners: "web" "Marathon" + pointer to the question's "Mesos" (15);
  // web.marathon.mesos spelled out, no suffix of it matches in case (20); "db" + pointer (5);
  // the last two are pointers (2 each); 14 bytes of A body each.
  t.equal(copies[0].length - 2, 12 + 11 + (15 + 20 + 5 + 2 + 2) + 5 * 14, 'exactly the bytes of that compression');
});

t.test('a full compression table: every name still decodes as written', async (t) => {
  // Names of single-character labels, nearly all suffixes distinct: more targets than the table takes.
  let seed = 1;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 26;
  const names = Array.from({ length: 3000 }, () => Array.from({ length: 20 }, () => String.fromCharCode(97 + rnd())).join('.') + '.mesos.');
  const { copies } = writeAll(new MessageWriter(head(), 60_000), names);
  const got = copies.flatMap((m) => unframe(m).answer.map((a) => `${a.name}. ${a.data as string}`));
  t.same(got, names.map((n, i) => `${n} 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`));
  t.ok(copies.length > 1, `several messages (${copies.length})`);
  t.ok(copies.every((m) => m.length <= 2 + 60_000 + 300), 'each within the limit');
});

t.test('a message not released is never written again; a released buffer is reused once', async (t) => {
  const names = Array.from({ length: 20_000 }, (_, i) => `task-${i}.app-${i % 97}.marathon.mesos.`);
  const a = writeAll(new MessageWriter(head(1)), names);
  t.ok(a.views.length > 5, `several messages (${a.views.length})`);
  // Nothing was released: other transfers writing now must not touch a's messages.
  const b = writeAll(new MessageWriter(head(2)), names);
  t.ok(a.views.every((v, i) => v.equals(a.copies[i])), 'unreleased messages unchanged by a later transfer');
  t.ok(b.views.every((v) => a.views.every((u) => u.buffer !== v.buffer)), 'the later transfer wrote into other buffers');
  // Released (twice: the second is ignored), a buffer goes to exactly one later message.
  releaseMessage(a.views[0]); releaseMessage(a.views[0]);
  const c = writeAll(new MessageWriter(head(3)), names.slice(0, 10));
  const d = writeAll(new MessageWriter(head(4)), names.slice(0, 10));
  t.equal(c.views[0].buffer, a.views[0].buffer, 'the released buffer is reused');
  t.not(d.views[0].buffer, a.views[0].buffer, 'by one message only');
  t.same(unframe(c.copies[0]).answer.map((x) => x.name), names.slice(0, 10).map((n) => n.slice(0, -1)), 'and holds its new message whole');
  t.ok(b.views.every((v, i) => v.equals(b.copies[i])), 'other unreleased messages still unchanged');
});
