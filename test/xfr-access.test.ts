// Who may transfer the zone, and the pieces of the transfer machinery on their own: the
// TransferAllowFrom check (REFUSED, logged once per source per minute), NOTIFY retries and
// coalescing against a real UDP socket standing in for a secondary, serial arithmetic, and the
// journal's condensing of change sets.
import t from 'tap';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStandInMaster, rewriteLeader, type StandInMaster } from '../src/demo/master.js';
import { startServerProcess, ROOT, waitFor, type ServerProcess } from './support/procs.js';
import { buildQuery, decode } from './support/dnsmsg.js';
import { tcpTransfer } from './support/xfr-client.js';
import { Notifier } from '../src/xfr/notify.js';
import { Journal } from '../src/xfr/journal.js';
import { serialGe, serialLt } from '../src/xfr/serial.js';
import { silentLogger } from '../src/log.js';
import type { RR } from '../src/zone/changes.js';

const fixture = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'fake.json'), 'utf8')) as object;

t.test('a client outside TransferAllowFrom gets REFUSED, logged once per source per minute', async (t) => {
  const master: StandInMaster = await startStandInMaster({ host: '127.0.0.1', port: 0, state: {} });
  master.setState(rewriteLeader(structuredClone(fixture), `127.0.0.1:${master.port}`));
  const server: ServerProcess = await startServerProcess({
    masters: [`127.0.0.1:${master.port}`], ExternalOn: false, TransferAllowFrom: ['10.0.0.0/8'],
  });
  t.teardown(async () => { await server.stop(); await master.close(); });
  await server.waitLog('refresh');
  for (const type of ['AXFR', 'IXFR', 'AXFR']) {
    const r = await tcpTransfer(server.dnsPort, buildQuery('mesos.', type, { id: 77 }));
    t.same(r.messages.map((m) => ({ id: m.id, rcode: m.rcode, answer: m.answer })), [{ id: 77, rcode: 'REFUSED', answer: [] }], `${type} refused`);
  }
  // Another zone from a refused client: still REFUSED (the address is checked first, RFC 5936 §5).
  const other = await tcpTransfer(server.dnsPort, buildQuery('example.com.', 'AXFR'));
  t.equal(other.messages[0].rcode, 'REFUSED', 'a refused client learns nothing about other zones');
  // Ordinary queries are not affected.
  const soa = await tcpTransfer(server.dnsPort, buildQuery('mesos.', 'SOA'));
  t.equal(soa.messages[0].rcode, 'NOERROR', 'SOA queries still answered');
  await waitFor('the refusal log line', () => server.logs.some((l) => l.msg.startsWith('zone transfer refused')), 5000);
  const lines = server.logs.filter((l) => l.msg.startsWith('zone transfer refused'));
  t.equal(lines.length, 1, 'logged once for four refusals');
  t.equal(lines[0].client, '127.0.0.1');
});

t.test('serial arithmetic (RFC 1982)', async (t) => {
  t.ok(serialLt(1, 2));
  t.notOk(serialLt(2, 1));
  t.ok(serialLt(0xffffffff, 0), 'wraps');
  t.notOk(serialLt(0, 0x80000000), 'a distance of 2^31 is undefined: not less');
  t.ok(serialGe(5, 5) && serialGe(6, 5) && serialGe(0, 0xfffffff0) && !serialGe(4, 5));
});

const rr = (name: string, data: string): RR => ({ name, type: 'A', data });

t.test('journal: condensed differences, chain breaks, bounds', async (t) => {
  const j = new Journal(1 << 20, 3);
  j.record(10, null);
  t.same(j.since(10), { removed: [], added: [] }, 'up to date: nothing');
  j.record(11, { fromSerial: 10, toSerial: 11, time: 0, removed: [rr('a.mesos.', '10.0.0.1')], added: [rr('b.mesos.', '10.0.0.2')] });
  j.record(12, { fromSerial: 11, toSerial: 12, time: 0, removed: [rr('b.mesos.', '10.0.0.2')], added: [rr('a.mesos.', '10.0.0.1'), rr('c.mesos.', '10.0.0.3')] });
  t.same(j.since(10), { removed: [], added: [rr('c.mesos.', '10.0.0.3')] }, 'a removal undone and an addition undone cancel out');
  t.same(j.since(11), { removed: [rr('b.mesos.', '10.0.0.2')], added: [rr('a.mesos.', '10.0.0.1'), rr('c.mesos.', '10.0.0.3')] });
  t.equal(j.since(9), null, 'a serial before the journal: unknown');
  for (let s = 13; s <= 15; s++) j.record(s, { fromSerial: s - 1, toSerial: s, time: 0, removed: [], added: [] });
  t.equal(j.since(10), null, 'at most 3 entries: the oldest fell out');
  t.ok(j.since(12), 'recent ones kept');
  j.record(17, { fromSerial: 16, toSerial: 17, time: 0, removed: [], added: [] });
  t.equal(j.since(15), null, 'a gap in the chain starts the journal over');
  const small = new Journal(300);
  small.record(1, null);
  small.record(2, { fromSerial: 1, toSerial: 2, time: 0, removed: [], added: Array.from({ length: 20 }, (_, i) => rr(`n${i}.mesos.`, '10.0.0.1')) });
  t.equal(small.since(1), null, 'a change set over the byte bound is not kept');
});

/** A UDP socket playing the secondary: records NOTIFYs, answers when told to. */
async function fakeSecondary(answer: (m: Buffer, n: number) => Buffer | null) {
  const s = dgram.createSocket('udp4');
  const got: Buffer[] = [];
  s.on('message', (m, r) => { got.push(m); const a = answer(m, got.length); if (a) s.send(a, r.port, r.address); });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return { port: s.address().port, got, close: () => s.close() };
}

const reply = (m: Buffer, rcode = 0) => { const a = Buffer.from(m); a[2] |= 0x80; a[3] = (a[3] & 0xf0) | rcode; return a; };
const soaRdata = (serial: number) => { const b = Buffer.alloc(22); b.writeUInt32BE(serial, 2); return b; };
const serialOf = (m: Buffer) => decode(m).answer[0]?.data as { serial: number };

t.test('NOTIFY: opcode 4, AA, the zone SOA question and the new serial; retried with backoff, 5 retransmissions at most', async (t) => {
  const sec = await fakeSecondary(() => null);
  const n = new Notifier({ targets: [`127.0.0.1:${sec.port}`], domain: 'mesos', soaRdata, ttl: 60, log: silentLogger, firstTimeoutMs: 20 });
  t.teardown(() => { n.close(); sec.close(); });
  n.notify(1234);
  await waitFor('six sends', () => n.counters.failed === 1, 5000);
  t.equal(sec.got.length, 6, 'one send and 5 retransmissions');
  const d = decode(sec.got[0]);
  t.same({ opcode: (sec.got[0][2] >> 3) & 0xf, aa: d.flags.aa, qr: d.flags.qr, q: d.question }, { opcode: 4, aa: true, qr: false, q: [{ name: 'mesos', type: 'SOA', class: 'IN' }] });
  t.equal(serialOf(sec.got[0]).serial, 1234, 'SOA hint with the new serial');
  t.ok(sec.got.every((m) => m.readUInt16BE(0) === sec.got[0].readUInt16BE(0)), 'one transaction: one ID');
});

t.test('NOTIFY: a matching reply ends it; a reply with another ID does not; serials coalesce while one is unanswered', async (t) => {
  let answerFrom = 3; // ignore the first two sends
  const sec = await fakeSecondary((m, i) => {
    if (i < answerFrom) return null;
    const wrong = reply(m); wrong.writeUInt16BE((m.readUInt16BE(0) + 1) & 0xffff, 0);
    return i === answerFrom ? wrong : reply(m); // first a reply with a wrong ID, then the right one
  });
  const n = new Notifier({ targets: [`127.0.0.1:${sec.port}`], domain: 'mesos', soaRdata, ttl: 60, log: silentLogger, firstTimeoutMs: 30 });
  t.teardown(() => { n.close(); sec.close(); });
  n.notify(1);
  n.notify(2); // while 1 is unanswered
  n.notify(3); // coalesced with 2
  await waitFor('both transactions acknowledged', () => n.counters.acked === 2 && n.outstanding === 0, 5000);
  const serials = sec.got.map((m) => serialOf(m).serial);
  t.same([...new Set(serials)], [1, 3], 'serial 2 was never sent on its own: the newest went once 1 ended');
  t.ok(sec.got.filter((m) => serialOf(m).serial === 1).length >= 4, 'the wrong-ID reply did not end the first transaction');
  t.not(sec.got[0].readUInt16BE(0), sec.got.at(-1)!.readUInt16BE(0), 'a new transaction, a new ID');
  answerFrom = 0;
});
