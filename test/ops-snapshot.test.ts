// The last-good snapshot file: written after a load, answered from at once on the next start
// while the master is down (/ready says stale, the serial is the persisted one), replaced by the
// first fresh load; a corrupt or foreign file is logged and ignored, never fatal.
import t from 'tap';
import { readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startStandInMaster, rewriteLeader } from '../src/demo/master.js';
import { startServerProcess, tempDir, freePort, waitFor, ROOT } from './support/procs.js';
import { dig, recKey } from './support/dig.js';
import { writeLastGood, readLastGood } from '../src/zone/lastgood.js';
import { buildQuery } from './support/dnsmsg.js';
import { tcpTransfer } from './support/xfr-client.js';

/** A DNS AXFR of mesos.: its rcode and every record, in order, as "name type data". */
async function dnsAxfr(port: number): Promise<{ rcode: string; records: string[] }> {
  const r = await tcpTransfer(port, buildQuery('mesos.', 'AXFR', { id: 77 }));
  return { rcode: r.messages[0]?.rcode ?? 'none', records: r.messages.flatMap((m) => m.answer.map((a) => `${a.name} ${a.type} ${JSON.stringify(a.data)}`)) };
}

const fixture = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'fake.json'), 'utf8')) as Record<string, unknown>;

async function ready(port: number): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(`http://127.0.0.1:${port}/ready`);
  return { status: r.status, body: await r.json() as Record<string, unknown> };
}

/** Start a server with the snapshot file and let it load from a master, so the file gets written. */
async function makeSnapshot(file: string): Promise<{ serial: number; transfer: { rcode: string; records: string[] } }> {
  const m = await startStandInMaster({ host: '127.0.0.1', port: 0, state: {} });
  m.setState(rewriteLeader(structuredClone(fixture), `127.0.0.1:${m.port}`));
  const s = await startServerProcess({ masters: [`127.0.0.1:${m.port}`], externalon: false, snapshotfile: file });
  try {
    const r = await s.waitLog('refresh');
    await waitFor('the snapshot file', () => existsSync(file) && statSync(file).size > 100);
    return { serial: r.serial as number, transfer: await dnsAxfr(s.dnsPort) };
  } finally {
    await s.stop();
    await m.close();
  }
}

t.test('restart with the master down: answers from the snapshot at once, stale, then fresh', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const file = join(dir, 'zone.snapshot');
  const { serial, transfer } = await makeSnapshot(file);
  const masterPort = await freePort();
  const s = await startServerProcess({ masters: [`127.0.0.1:${masterPort}`], externalon: false, snapshotfile: file, refreshSeconds: 1, stateTimeoutSeconds: 1 });
  let m: Awaited<ReturnType<typeof startStandInMaster>> | null = null;
  t.teardown(async () => { await s.stop(); await m?.close(); });
  const loaded = s.logs.find((l) => l.msg === 'snapshot loaded');
  t.ok(loaded, 'the snapshot was loaded before the server listened');
  t.equal(loaded?.serial, serial, 'with the persisted serial');
  const a = await dig(s.dnsPort, 'chronos.marathon.mesos.', 'A');
  t.same({ status: a.status, answer: a.answer.map(recKey) }, { status: 'NOERROR', answer: ['chronos.marathon.mesos. IN A 1.2.3.11'] });
  const soa = await dig(s.dnsPort, 'mesos.', 'SOA');
  t.equal(soa.answer[0]?.rdata.split(' ')[2], String(serial), 'SOA serial is the persisted one');
  const stale = await ready(s.httpPort);
  t.match(stale, { status: 503, body: { ready: false, serving: true, serial, reason: /^stale: serving the snapshot file/ } });
  const hosts = await (await fetch(`http://127.0.0.1:${s.httpPort}/v1/hosts/chronos.marathon.mesos`)).json();
  t.same(hosts, [{ host: 'chronos.marathon.mesos.', ip: '1.2.3.11' }], '/v1/hosts answers from the snapshot too');
  // The file has no records to render the bulk bodies from: "come back later", not a server error.
  for (const route of ['axfr', 'enumerate']) {
    const r = await fetch(`http://127.0.0.1:${s.httpPort}/v1/${route}`);
    t.same({ status: r.status, retryAfter: r.headers.get('retry-after'), body: await r.json() },
      { status: 503, retryAfter: '5', body: { error: 'serving the snapshot file: /v1/axfr and /v1/enumerate return with the first load from a master' } },
      `/v1/${route} while serving the snapshot file`);
  }
  // A DNS zone transfer sends what we answer: the snapshot's zone, as transferred before the restart.
  const fromFile = await dnsAxfr(s.dnsPort);
  t.ok(transfer.rcode === 'NOERROR' && transfer.records.length > 40, `the transfer before the restart (${transfer.records.length} records)`);
  t.same(fromFile, transfer, 'AXFR while serving the snapshot file: the same records, the same SOA serial');

  m = await startStandInMaster({ host: '127.0.0.1', port: masterPort, state: {} });
  m.setState(rewriteLeader(structuredClone(fixture), `127.0.0.1:${masterPort}`));
  const fresh = await s.waitLog('fresh state replaces the snapshot');
  // The master listens on another port than the first time: _leader._tcp changed, so a new serial,
  // above the persisted one (the serial never goes back across a restart).
  t.equal(fresh.changed, true);
  t.ok((fresh.serial as number) > serial, `serial ${fresh.serial} > persisted ${serial}`);
  t.match(await ready(s.httpPort), { status: 200, body: { ready: true, serving: true, serial: fresh.serial } });
  const axfr = await fetch(`http://127.0.0.1:${s.httpPort}/v1/axfr`);
  const body = await axfr.json() as { Serial: number; Records: { As: Record<string, string[]> } };
  t.same({ status: axfr.status, serial: body.Serial, chronos: body.Records.As['chronos.marathon.mesos.'] },
    { status: 200, serial: fresh.serial, chronos: ['1.2.3.11'] }, '/v1/axfr after the fresh load');
});

t.test('corrupt, truncated or foreign snapshots are logged and ignored, never fatal', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const good = join(dir, 'good.snapshot');
  await makeSnapshot(good);
  const bytes = readFileSync(good);
  const lg = readLastGood(good, 'mesos')!;
  t.ok(lg, 'the written file reads back');
  const variants: [string, Buffer | null, RegExp][] = [
    ['empty', Buffer.alloc(0), /truncated/],
    ['truncated header', bytes.subarray(0, 40), /truncated/],
    ['truncated image', bytes.subarray(0, bytes.length - 7), /truncated/],
    ['flipped image byte', (() => { const b = Buffer.from(bytes); b[b.length - 100] ^= 0xff; return b; })(), /checksum/],
    ['flipped serial', (() => { const b = Buffer.from(bytes); b[52] ^= 1; return b; })(), /checksum/],
    ['not a snapshot', Buffer.from(JSON.stringify({ hello: 'world', pad: 'x'.repeat(200) })), /not a mesos-dns snapshot/],
    ['other format version', (() => { const b = Buffer.from(bytes); b.writeUInt32LE(99, 8); return b; })(), /format version 99/],
    ['other domain', null, /domain "other"/],
  ];
  for (const [what, content, reason] of variants) {
    const file = join(dir, `${what.replace(/\W+/g, '-')}.snapshot`);
    if (content) writeFileSync(file, content);
    else writeLastGood(file, { ...lg, domain: 'other' });
    const s = await startServerProcess({ masters: [`127.0.0.1:${await freePort()}`], externalon: false, snapshotfile: file, stateTimeoutSeconds: 1 });
    try {
      const ignored = s.logs.find((l) => l.msg === 'snapshot ignored');
      t.match(ignored?.reason, reason, `${what}: ignored (${ignored?.reason})`);
      const r = await dig(s.dnsPort, 'chronos.marathon.mesos.', 'A');
      t.equal(r.status, 'SERVFAIL', `${what}: no zone yet, the server runs on (A.1)`);
    } finally {
      t.equal(await s.stop(), 0, `${what}: clean exit`);
    }
  }
});
