// Zone transfer seen by an operator: /metrics counts every transfer reply by type and result with
// its exact bytes, and every NOTIFY transaction; a SIGHUP reload applies a new TransferAllowFrom
// and a new NotifyTargets list to the running server (no restart), both ways.
import t from 'tap';
import dgram from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStandInMaster, rewriteLeader, type StandInMaster } from '../src/demo/master.js';
import { startServerProcess, ROOT, waitFor } from './support/procs.js';
import { buildQuery, decode, udpAsk } from './support/dnsmsg.js';
import { tcpTransfer, ixfrQuery, type TransferReply } from './support/xfr-client.js';
import { metricValues, delta } from './support/metrics.js';

type Json = Record<string, unknown>;
const fixture = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'fake.json'), 'utf8')) as Json;

/** The fixture with its leader on the stand-in master, minus the last `drop` marathon tasks. */
function stateFor(master: StandInMaster, drop = 0): Json {
  const s = rewriteLeader(structuredClone(fixture), `127.0.0.1:${master.port}`) as Json;
  const fw = (s.frameworks as Json[]).find((f) => f.name === 'marathon')!;
  const tasks = fw.tasks as Json[];
  tasks.splice(tasks.length - drop, drop);
  return s;
}

/** A UDP socket playing a secondary: records NOTIFYs and acknowledges each. */
async function ackingSecondary() {
  const s = dgram.createSocket('udp4');
  const got: Buffer[] = [];
  s.on('message', (m, r) => {
    got.push(m);
    const a = Buffer.from(m); a[2] |= 0x80; a[3] &= 0xf0;
    s.send(a, r.port, r.address);
  });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return { port: s.address().port, got, close: () => s.close() };
}

const serialOf = (m: Buffer) => (decode(m).answer[0]?.data as { serial: number }).serial;
/** Bytes of a reply as the server wrote them: every message with its 2-byte TCP length. */
const wireBytes = (r: TransferReply) => r.raw.reduce((n, m) => n + m.length + 2, 0);
const httpSerial = async (port: number) => ((await (await fetch(`http://127.0.0.1:${port}/v1/axfr`)).json()) as Json).Serial as number;

t.test('/metrics: transfers by type and result with their exact bytes, NOTIFY transactions', async (t) => {
  const master = await startStandInMaster({ host: '127.0.0.1', port: 0, state: {} });
  master.setState(stateFor(master));
  const sec = await ackingSecondary();
  const s = await startServerProcess({
    masters: [`127.0.0.1:${master.port}`], ExternalOn: false, RefreshSeconds: 3600, NotifyTargets: [`127.0.0.1:${sec.port}`],
  });
  t.teardown(async () => { await s.stop(); await master.close(); sec.close(); });
  await s.waitLog('refresh');
  const m0 = await waitFor('the first NOTIFY acknowledged', async () => {
    const m = await metricValues(s.httpPort);
    return m.get('mesos_dns_notify_total{result="acked"}') === 1 ? m : null;
  }, 10_000);
  t.same({ sent: m0.get('mesos_dns_notify_sent_total'), got: sec.got.length }, { sent: 1, got: 1 }, 'one NOTIFY for the first serial');

  const serial = await httpSerial(s.httpPort);
  const axfr1 = await tcpTransfer(s.dnsPort, buildQuery('mesos.', 'AXFR', { id: 1 }));
  const axfr2 = await tcpTransfer(s.dnsPort, buildQuery('mesos.', 'AXFR', { id: 2 }));
  const upToDate = await tcpTransfer(s.dnsPort, ixfrQuery('mesos', serial));
  const unknown = await tcpTransfer(s.dnsPort, ixfrQuery('mesos', serial - 1000));
  const udpAxfr = await udpAsk(s.dnsPort, buildQuery('mesos.', 'AXFR', { id: 3 }));
  const notauth = await tcpTransfer(s.dnsPort, buildQuery('example.com.', 'AXFR', { id: 4 }));
  t.same([udpAxfr[3] & 0xf, notauth.messages[0].rcode], [5, 'NOTAUTH'], 'REFUSED over UDP, NOTAUTH for another zone');

  // A change: two tasks gone, a new serial, a NOTIFY, and an IXFR from the old serial is a difference.
  master.setState(stateFor(master, 2));
  s.proc.kill('SIGUSR1');
  await waitFor('a new serial', async () => (await httpSerial(s.httpPort)) !== serial, 10_000);
  await waitFor('the second NOTIFY acknowledged', async () => (await metricValues(s.httpPort)).get('mesos_dns_notify_total{result="acked"}') === 2, 10_000);
  const incremental = await tcpTransfer(s.dnsPort, ixfrQuery('mesos', serial));
  const types = incremental.messages.flatMap((m) => m.answer.map((a) => a.type));
  t.same([types[0], types[1], types.at(-1)], ['SOA', 'SOA', 'SOA'], 'an incremental reply (two SOAs first)');
  t.ok(types.length < 40, `a difference, not the zone (${types.length} records)`);

  const m1 = await metricValues(s.httpPort);
  const d = (k: string) => delta(m0, m1, k);
  t.same({
    axfrFull: d('mesos_dns_xfr_total{type="AXFR",result="full"}'),
    axfrRefused: d('mesos_dns_xfr_total{type="AXFR",result="refused"}'),
    axfrNotauth: d('mesos_dns_xfr_total{type="AXFR",result="notauth"}'),
    ixfrUpToDate: d('mesos_dns_xfr_total{type="IXFR",result="uptodate"}'),
    ixfrFull: d('mesos_dns_xfr_total{type="IXFR",result="full"}'),
    ixfrIncremental: d('mesos_dns_xfr_total{type="IXFR",result="incremental"}'),
    axfrBytes: d('mesos_dns_xfr_bytes_total{type="AXFR"}'),
    ixfrBytes: d('mesos_dns_xfr_bytes_total{type="IXFR"}'),
    acked: d('mesos_dns_notify_total{result="acked"}'),
    failed: d('mesos_dns_notify_total{result="failed"}'),
    sent: d('mesos_dns_notify_sent_total'),
    retransmits: d('mesos_dns_notify_retransmits_total'),
  }, {
    axfrFull: 2, axfrRefused: 1, axfrNotauth: 1, ixfrUpToDate: 1, ixfrFull: 1, ixfrIncremental: 1,
    // The UDP refusal is counted as a TCP-framed message too (its length + 2).
    axfrBytes: wireBytes(axfr1) + wireBytes(axfr2) + wireBytes(notauth) + udpAxfr.length + 2,
    ixfrBytes: wireBytes(upToDate) + wireBytes(unknown) + wireBytes(incremental),
    acked: 1, failed: 0, sent: 1, retransmits: 0,
  });
  t.equal(m1.get('mesos_dns_xfr_journal_entries'), 1, 'one change set in the journal');
  t.ok((m1.get('mesos_dns_xfr_journal_bytes') ?? 0) > 0, 'its bytes');
  t.equal(serialOf(sec.got[1]), await httpSerial(s.httpPort), 'the NOTIFY carried the new serial');
});

t.test('SIGHUP applies a new TransferAllowFrom and NotifyTargets, and takes them back', async (t) => {
  const master = await startStandInMaster({ host: '127.0.0.1', port: 0, state: {} });
  master.setState(stateFor(master));
  const sec = await ackingSecondary();
  const s = await startServerProcess({
    masters: [`127.0.0.1:${master.port}`], ExternalOn: false, RefreshSeconds: 3600, TransferAllowFrom: ['10.0.0.0/8'],
  });
  t.teardown(async () => { await s.stop(); await master.close(); sec.close(); });
  await s.waitLog('refresh');
  const rcodeOfAxfr = async () => (await tcpTransfer(s.dnsPort, buildQuery('mesos.', 'AXFR'))).messages[0].rcode;
  t.equal(await rcodeOfAxfr(), 'REFUSED', 'loopback is not in 10.0.0.0/8');
  const cfg = JSON.parse(readFileSync(s.configPath, 'utf8')) as Json;

  writeFileSync(s.configPath, JSON.stringify({ ...cfg, TransferAllowFrom: ['127.0.0.1/32'], NotifyTargets: [`127.0.0.1:${sec.port}`] }));
  s.proc.kill('SIGHUP');
  const reloaded = await s.waitLog('config reloaded');
  t.same(reloaded.replaced, ['zone transfer'], 'the reload says what it applied');
  const full = await tcpTransfer(s.dnsPort, buildQuery('mesos.', 'AXFR'));
  const all = full.messages.flatMap((m) => m.answer);
  t.same([full.messages[0].rcode, all[0].type, all.at(-1)!.type], ['NOERROR', 'SOA', 'SOA'], 'now transferred');
  await waitFor('a NOTIFY to the new target', () => sec.got.length >= 1, 10_000);
  const serial = await httpSerial(s.httpPort);
  t.equal(serialOf(sec.got[0]), serial, 'it learns the current serial at once');
  master.setState(stateFor(master, 1));
  s.proc.kill('SIGUSR1');
  await waitFor('a NOTIFY for the next serial', () => sec.got.length >= 2 && serialOf(sec.got.at(-1)!) !== serial, 10_000);

  writeFileSync(s.configPath, JSON.stringify({ ...cfg, TransferAllowFrom: ['10.0.0.0/8'], NotifyTargets: [] }));
  s.proc.kill('SIGHUP');
  await s.waitLog('config reloaded', 2);
  t.equal(await rcodeOfAxfr(), 'REFUSED', 'refused again');
  const got = sec.got.length;
  const before = await httpSerial(s.httpPort);
  master.setState(stateFor(master, 3));
  s.proc.kill('SIGUSR1');
  await waitFor('another new serial', async () => (await httpSerial(s.httpPort)) !== before, 10_000);
  await new Promise((r) => setTimeout(r, 1500)); // a NOTIFY, if any were sent, would be here by now
  t.equal(sec.got.length, got, 'no NOTIFY to a target no longer listed');
});
