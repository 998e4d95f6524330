// Zone transfers from our server, checked with real dig and a raw TCP client: AXFR at 10k tasks
// equals /v1/axfr record for record, is framed as RFC 5936 §2.2 asks (SOA first and last, one ID,
// the question only in the first message, every message within 64 KB and decodable on its own),
// and every refusal path answers with the right rcode.
import t from 'tap';
import dgram from 'node:dgram';
import net from 'node:net';
import { startStandInMaster, type StandInMaster } from '../src/demo/master.js';
import { StateGen } from '../bench/gen-state.js';
import { startServerProcess, type ServerProcess } from './support/procs.js';
import { buildQuery, decode, type Decoded } from './support/dnsmsg.js';
import { tcpTransfer, ixfrQuery } from './support/xfr-client.js';
import { metricValues } from './support/metrics.js';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);
let master: StandInMaster;
let server: ServerProcess;

t.before(async () => {
  master = await startStandInMaster({ host: '127.0.0.1', port: 0, state: {} });
  master.setState(new StateGen({ tasks: 10_000, seed: 14, leader: `master@127.0.0.1:${master.port}` }).serialize());
  server = await startServerProcess({ masters: [`127.0.0.1:${master.port}`], ExternalOn: false, RefreshSeconds: 3600 });
  await server.waitLog('refresh');
});
t.teardown(async () => { await server?.stop(); await master?.close(); });

let axfrJson: Promise<Record<string, unknown>> | null = null;
/** /v1/axfr, fetched once (the zone does not change in this file: RefreshSeconds is an hour). */
function httpAxfr(): Promise<Record<string, unknown>> {
  return axfrJson ??= fetch(`http://127.0.0.1:${server.httpPort}/v1/axfr`).then((r) => r.json() as Promise<Record<string, unknown>>);
}

/** "name TYPE rdata" keys of /v1/axfr's records, in dig's spelling for SRV. */
function axfrJsonKeys(body: Record<string, unknown>): string[] {
  const rec = body.Records as Record<string, Record<string, string[]>>;
  const out: string[] = [];
  for (const [name, vals] of Object.entries(rec.As)) for (const v of vals) out.push(`${name} A ${v}`);
  for (const [name, vals] of Object.entries(rec.AAAAs)) for (const v of vals) out.push(`${name} AAAA ${v}`);
  for (const [name, vals] of Object.entries(rec.SRVs)) {
    for (const v of vals) { const c = v.lastIndexOf(':'); out.push(`${name} SRV 0 ${body.SRVWeight ?? 1} ${v.slice(c + 1)} ${v.slice(0, c)}`); }
  }
  return out.sort();
}

t.test('dig AXFR at 10k tasks equals /v1/axfr record for record, framed by SOA', async (t) => {
  const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(server.dnsPort), '+tries=1', '+time=30', 'mesos.', 'AXFR'], { maxBuffer: 256 << 20 });
  const lines = stdout.split('\n').filter((l) => l && !l.startsWith(';'));
  const rrs = lines.map((l) => l.trim().split(/\s+/));
  t.equal(rrs[0][3], 'SOA', 'first record: SOA');
  t.equal(rrs[rrs.length - 1][3], 'SOA', 'last record: SOA');
  t.equal(rrs[0].slice(4).join(' '), rrs[rrs.length - 1].slice(4).join(' '), 'the same SOA');
  const serial = Number(rrs[0][6]);
  const body = await httpAxfr();
  t.equal(serial, body.Serial, 'the serial /v1/axfr shows');
  const ns = rrs.filter((f) => f[3] === 'NS');
  t.same(ns.map((f) => `${f[0]} ${f[4]}`), ['mesos. ns1.mesos.'], 'one NS record at the apex');
  const got = rrs.filter((f) => ['A', 'AAAA', 'SRV'].includes(f[3])).map((f) => `${f[0]} ${f[3]} ${f.slice(4).join(' ')}`).sort();
  const want = axfrJsonKeys({ ...body, SRVWeight: 1 });
  t.ok(want.length > 30_000, `a large zone (${want.length} records)`);
  t.equal(got.length, want.length, 'as many records');
  t.same(got, want, 'the same records');
  t.ok(rrs.every((f) => f[1] === '60'), 'every record with the configured TTL');
});

/** The A, AAAA and SRV records of a transfer's messages as "name TYPE rdata" keys (axfrJsonKeys' spelling). */
function transferKeys(messages: Decoded[]): string[] {
  const out: string[] = [];
  for (const a of messages.flatMap((m) => m.answer)) {
    if (a.type === 'A' || a.type === 'AAAA') out.push(`${a.name}. ${a.type} ${a.data as string}`);
    else if (a.type === 'SRV') {
      const d = a.data as { priority: number; weight: number; port: number; target: string };
      out.push(`${a.name}. SRV ${d.priority} ${d.weight} ${d.port} ${d.target}.`);
    }
  }
  return out.sort();
}

t.test('slow readers get every record exactly: a message buffer is reused only after it was written', async (t) => {
  // Message buffers are pooled (xfr/messages.ts) and go back to the pool from the socket's write
  // callback. Slow readers make the server's writes queue up in the socket; a buffer reused while
  // still queued would send a later message's bytes in place of its own. Two slow readers and a
  // fast one at once, so buffers pass between transfers.
  const want = axfrJsonKeys({ ...(await httpAxfr()), SRVWeight: 1 });
  const q = (id: number) => buildQuery('mesos.', 'AXFR', { id });
  const replies = await Promise.all([tcpTransfer(server.dnsPort, q(31), 120_000, 5), tcpTransfer(server.dnsPort, q(32), 120_000, 3),
    tcpTransfer(server.dnsPort, q(33), 120_000)]);
  for (const [i, r] of replies.entries()) {
    const all = r.messages.flatMap((m) => m.answer);
    t.same([all[0]?.type, all.at(-1)?.type], ['SOA', 'SOA'], `transfer ${i + 1}: framed by SOA`);
    t.ok(r.messages.every((m) => m.id === 31 + i), `transfer ${i + 1}: every message carries its own ID`);
    const got = transferKeys(r.messages);
    t.equal(got.length, want.length, `transfer ${i + 1}: as many records as /v1/axfr (${want.length})`);
    const diff = want.findIndex((k, j) => got[j] !== k);
    t.ok(got.length === want.length && diff < 0, `transfer ${i + 1}: the same records${diff < 0 ? '' : ` (first difference: ${got[diff]} for ${want[diff]})`}`);
  }
});

t.test('AXFR messages: one ID, QR AA, question only in the first, each ≤ 64 KB, SOA only first and last', async (t) => {
  const q = buildQuery('mesos.', 'AXFR', { id: 0x5151, edns: 1232 });
  const r = await tcpTransfer(server.dnsPort, q);
  t.ok(r.messages.length > 5, `several messages (${r.messages.length})`);
  t.ok(r.raw.every((m) => m.length <= 61_000), `each ≤ ~60 KB (largest ${Math.max(...r.raw.map((m) => m.length))})`);
  t.ok(r.messages.every((m) => m.id === 0x5151 && m.flags.qr && m.flags.aa && !m.flags.tc && m.rcode === 'NOERROR'), 'headers');
  t.same(r.messages[0].question, [{ name: 'mesos', type: 'AXFR', class: 'IN' }], 'question copied in the first');
  t.ok(r.messages.slice(1).every((m) => m.question.length === 0), 'later messages without a question');
  t.ok(r.messages[0].opt !== null && r.messages.slice(1).every((m) => m.opt === null), 'OPT in the first message only');
  const all = r.messages.flatMap((m) => m.answer);
  const soaAt = all.map((a, i) => (a.type === 'SOA' ? i : -1)).filter((i) => i >= 0);
  t.same(soaAt, [0, all.length - 1], 'SOA first and last only');
  // Compression works per message: a message is much smaller than its names spelled out.
  const spelled = r.messages[1].answer.reduce((n, a) => n + a.name.length + 2, 0);
  t.ok(r.raw[1].length < spelled + r.messages[1].answer.length * 30, 'owner names compressed');
});

t.test('refusals: UDP AXFR REFUSED, another zone NOTAUTH, IXFR over UDP a single SOA', async (t) => {
  const udp = udpQuery;
  const u = decode(await udp(buildQuery('mesos.', 'AXFR', { id: 7 })));
  t.same({ id: u.id, rcode: u.rcode, answer: u.answer, question: u.question }, { id: 7, rcode: 'REFUSED', answer: [], question: [{ name: 'mesos', type: 'AXFR', class: 'IN' }] });
  for (const zone of ['example.com.', 'marathon.mesos.']) {
    const r = await tcpTransfer(server.dnsPort, buildQuery(zone, 'AXFR', { id: 8 }));
    t.equal(r.messages.length, 1, `${zone}: one message`);
    t.same({ rcode: r.messages[0].rcode, answer: r.messages[0].answer }, { rcode: 'NOTAUTH', answer: [] }, `${zone}: NOTAUTH`);
  }
  const soa = (await httpAxfr()).Serial as number;
  const ui = decode(await udp(ixfrQuery('mesos', soa - 5, 9)));
  t.same({ rcode: ui.rcode, types: ui.answer.map((a) => a.type), serial: (ui.answer[0].data as { serial: number }).serial },
    { rcode: 'NOERROR', types: ['SOA'], serial: soa }, 'UDP IXFR: our SOA only');
});

t.test('IXFR over TCP: up to date → a single SOA; unknown serial → the whole zone, AXFR-style', async (t) => {
  const serial = (await httpAxfr()).Serial as number;
  const same = await tcpTransfer(server.dnsPort, ixfrQuery('mesos', serial));
  t.same(same.messages.map((m) => m.answer.map((a) => a.type)), [['SOA']], 'serial = ours: one SOA');
  const ahead = await tcpTransfer(server.dnsPort, ixfrQuery('mesos', serial + 100));
  t.same(ahead.messages.map((m) => m.answer.map((a) => a.type)), [['SOA']], 'serial ahead of ours: one SOA');
  const full = await tcpTransfer(server.dnsPort, ixfrQuery('mesos', serial - 1000));
  const all = full.messages.flatMap((m) => m.answer);
  t.equal(full.messages[0].question[0].type, 'IXFR', 'the question is the IXFR');
  t.same([all[0].type, all[1].type, all[all.length - 1].type], ['SOA', 'NS', 'SOA'], 'AXFR-style: SOA, NS, …, SOA');
  t.ok(all.length > 30_000, 'the whole zone');
});

t.test('other queries on the same connection are answered, after the transfer', async (t) => {
  const s = net.connect(server.dnsPort, '127.0.0.1');
  await new Promise((r) => s.once('connect', r));
  const frame = (b: Buffer) => Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
  s.write(Buffer.concat([frame(buildQuery('mesos.', 'SOA', { id: 1 })), frame(buildQuery('mesos.', 'AXFR', { id: 2 })),
    frame(buildQuery('leader.mesos.', 'A', { id: 3 }))]));
  const ids: number[] = [];
  let buf = Buffer.alloc(0);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), 30_000);
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        ids.push(buf.readUInt16BE(2));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
        if (ids.at(-1) === 3) { clearTimeout(timer); resolve(); }
      }
    });
  });
  s.destroy();
  t.equal(ids[0], 1, 'SOA first');
  t.ok(ids.slice(1, -1).every((i) => i === 2) && ids.length > 3, 'then the transfer');
  t.equal(ids.at(-1), 3, 'then the A query');
});

t.test('UDP queries are answered while a slow reader\'s AXFR is in progress, and the transfer waits for it', async (t) => {
  const full = (await tcpTransfer(server.dnsPort, buildQuery('mesos.', 'AXFR', { id: 1 }))).raw.reduce((n, m) => n + m.length + 2, 0);
  const want = decode(await udpQuery(buildQuery('leader.mesos.', 'A', { id: 11 })));
  const bytes = async () => (await metricValues(server.httpPort)).get('mesos_dns_xfr_bytes_total{type="AXFR"}') ?? 0;
  const before = await bytes();
  // A slow reader: it takes the first message, then stops reading (its kernel buffers fill).
  const s = net.connect(server.dnsPort, '127.0.0.1');
  const q = buildQuery('mesos.', 'AXFR', { id: 12 });
  s.write(Buffer.concat([Buffer.from([q.length >> 8, q.length & 0xff]), q]));
  let received = 0;
  await new Promise<void>((resolve) => s.once('data', (d) => { received += d.length; s.pause(); resolve(); }));
  // Sent after the transfer started; a writer that held the thread until the whole zone was
  // written would answer it only then, with every byte of the transfer produced.
  const got = decode(await udpQuery(buildQuery('leader.mesos.', 'A', { id: 11 })));
  const produced = (await bytes()) - before;
  t.same(got, want, 'the whole answer, as when no transfer runs');
  t.ok(produced < full / 2, `answered mid-transfer: ${produced} of ${full} bytes produced (back-pressure holds the rest)`);
  // The reader resumes: the rest of the zone follows, ending with the closing SOA.
  s.on('data', (d) => { received += d.length; if (received >= full) s.destroy(); });
  const closed = new Promise((r) => s.once('close', r));
  s.resume();
  await closed;
  t.equal(received, full, 'then the whole transfer arrives');
});

/** One UDP query and its reply (5 s at most). */
function udpQuery(msg: Buffer): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const timer = setTimeout(() => { s.close(); reject(new Error('no UDP reply')); }, 5000);
    s.on('message', (m) => { clearTimeout(timer); s.close(); resolve(m); });
    s.send(msg, server.dnsPort, '127.0.0.1');
  });
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

t.test('clients that stop reading mid-transfer: no memory growth, cut off at the idle timeout', async (t) => {
  const full = (await tcpTransfer(server.dnsPort, buildQuery('mesos.', 'AXFR', { id: 1 }))).raw.reduce((n, m) => n + m.length, 0);
  t.comment(`AXFR at 10k tasks: ${full} bytes`);
  const before = rssKiB(server.proc.pid!);
  const N = 20;
  const socks: net.Socket[] = [];
  for (let i = 0; i < N; i++) {
    const s = net.connect(server.dnsPort, '127.0.0.1');
    s.pause(); // never read: the kernel buffers fill and the server must wait
    const q = buildQuery('mesos.', 'AXFR', { id: 100 + i });
    s.write(Buffer.concat([Buffer.from([q.length >> 8, q.length & 0xff]), q]));
    socks.push(s);
  }
  await new Promise((r) => setTimeout(r, 3000));
  const during = rssKiB(server.proc.pid!);
  t.comment(`server RSS ${before} KiB before, ${during} KiB with ${N} stalled transfers of ${full} bytes each`);
  // Unbounded buffering would hold N whole transfers (here ~N × full bytes); a paused stream holds about one message.
  t.ok((during - before) * 1024 < (N * full) / 3, 'memory did not grow with the stalled transfers');
  // After the server's write deadline (10 s without progress) the connection is closed: reading now
  // yields a cut-off transfer. Twice the deadline: a loaded machine may start some transfers late.
  await new Promise((r) => setTimeout(r, 20_000));
  const received = await Promise.all(socks.map((s) => new Promise<number>((resolve) => {
    let n = 0;
    s.on('data', (d) => { n += d.length; });
    s.on('close', () => resolve(n));
    s.on('error', () => resolve(n));
    s.resume();
  })));
  t.ok(received.every((n) => n < full), `every stalled transfer was cut off (received ≤ ${Math.max(...received)} of ${full} bytes)`);
  const after = await tcpTransfer(server.dnsPort, buildQuery('mesos.', 'AXFR', { id: 2 }));
  t.equal(after.raw.reduce((n, m) => n + m.length, 0), full, 'the server still transfers whole zones');
});
