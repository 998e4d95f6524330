// DNS over TCP under attack (issue 11): a client that never reads its answers, and connections
// that drip bytes, must cost a bounded amount of memory and slots, and never shut out UDP or new
// TCP clients. Everything runs against the real server process over loopback sockets.
import t, { type Test } from 'tap';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { startStandInMaster, rewriteLeader } from '../src/demo/master.js';
import { startServerProcess, waitFor, type ServerProcess } from './support/procs.js';
import { buildQuery, decode, queryUdp, queryTcp } from './support/dnsmsg.js';
import { respond } from './support/forward-msg.js';
import { startDnsServer } from '../src/dns/server.js';
import { silentLogger } from '../src/log.js';

/** A state whose `slave.mesos A` answer is ~9 kB: 600 agents, no tasks. */
function manyAgents(n: number): Record<string, unknown> {
  const slaves = [];
  for (let i = 0; i < n; i++) {
    const ip = `10.1.${i >> 8}.${i & 255}`;
    slaves.push({ id: `agent-${i}`, hostname: ip, pid: `slave(1)@${ip}:5051`, resources: { ports: '[31000-32000]' } });
  }
  return { slaves, frameworks: [] };
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

function frame(q: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(q.length);
  return Buffer.concat([len, q]);
}

async function startWithAgents(t: Test, agents: number): Promise<ServerProcess> {
  const m = await startStandInMaster({ host: '127.0.0.1', port: 0, state: {} });
  m.setState(rewriteLeader(manyAgents(agents), `127.0.0.1:${m.port}`));
  const s = await startServerProcess({ masters: [`127.0.0.1:${m.port}`], externalon: false, refreshSeconds: 600 });
  t.teardown(async () => { await s.stop(); await m.close(); });
  await s.waitLog('refresh');
  return s;
}

t.test('a TCP client that pipelines large answers and never reads: bounded memory, closed after the write deadline, UDP unaffected', async (t) => {
  const s = await startWithAgents(t, 600);
  const probe = await queryUdp('127.0.0.1', s.dnsPort, 'slave.mesos.', 'A', 2000);
  t.equal(probe?.rcode, 'NOERROR');
  const rss0 = rssKiB(s.proc.pid!);

  const sock = net.connect(s.dnsPort, '127.0.0.1');
  sock.pause(); // never read
  await new Promise<void>((r, j) => { sock.once('connect', r); sock.once('error', j); });
  let closed = false;
  const closedAt = new Promise<number>((r) => sock.once('close', () => { closed = true; r(Date.now()); }));
  sock.on('error', () => { /* reset by the server: expected */ });
  const q = frame(buildQuery('slave.mesos.', 'A', { id: 1 }));
  const batch = Buffer.concat(Array.from({ length: 256 }, () => q));
  const attackStart = Date.now();
  // Pipeline queries as fast as the server takes them, for 5 s (our own side respects drain so
  // the test process stays small).
  const writer = (async () => {
    while (!closed && Date.now() - attackStart < 5000) {
      if (!sock.write(batch)) {
        // The server stops reading, so 'drain' may never come: drop the listener when the wait
        // times out (left behind, they piled up: MaxListenersExceededWarning, 11 on this socket).
        let onDrain = (): void => {};
        await new Promise<void>((r) => { onDrain = r; sock.once('drain', onDrain); setTimeout(r, 200); });
        sock.off('drain', onDrain);
      }
      else await new Promise((r) => setImmediate(r));
    }
  })();

  // Meanwhile UDP answers keep coming, and memory stays flat.
  let udpAnswered = 0, udpAsked = 0, peak = rss0;
  while (Date.now() - attackStart < 5000) {
    udpAsked++;
    const a = await queryUdp('127.0.0.1', s.dnsPort, 'leader.mesos.', 'A', 1000);
    if (a?.rcode === 'NOERROR') udpAnswered++;
    peak = Math.max(peak, rssKiB(s.proc.pid!));
    await new Promise((r) => setTimeout(r, 100));
  }
  await writer;
  peak = Math.max(peak, rssKiB(s.proc.pid!));
  const growthMiB = (peak - rss0) / 1024;
  t.comment(`RSS growth during the attack: ${growthMiB.toFixed(1)} MiB; UDP answered ${udpAnswered}/${udpAsked}`);
  t.ok(growthMiB < 100, `RSS growth under 100 MiB (was ${growthMiB.toFixed(1)} MiB)`);
  t.ok(udpAnswered >= udpAsked - 2, `UDP answered during the attack (${udpAnswered}/${udpAsked})`);

  // The server gives up on the connection after its write deadline (10 s), well before 30 s.
  let giveUp: NodeJS.Timeout | undefined;
  const end = await Promise.race([closedAt, new Promise<number>((r) => { giveUp = setTimeout(() => r(0), 30_000); })]);
  clearTimeout(giveUp);
  t.ok(end > 0, 'the server closed the non-reading connection');
  sock.destroy();
  const after = await queryUdp('127.0.0.1', s.dnsPort, 'slave.mesos.', 'A', 2000);
  t.equal(after?.rcode, 'NOERROR', 'still answering afterwards');
});

t.test('1000 connections dripping a byte a second do not shut out new TCP clients (read deadline, evict oldest idle)', async (t) => {
  const s = await startWithAgents(t, 3);
  const drips: net.Socket[] = [];
  let closedByServer = 0;
  const q = frame(buildQuery('leader.mesos.', 'A'));
  // 63 source addresses × 16 = 1008 ≥ 1000: the per-source cap is not what saves the newcomers.
  await Promise.all(Array.from({ length: 1000 }, (_, i) => new Promise<void>((resolve) => {
    const sock = net.connect({ port: s.dnsPort, host: '127.0.0.1', localAddress: `127.0.0.${2 + (i % 63)}` });
    drips.push(sock);
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    sock.on('error', () => { /* closed by the server */ });
    sock.on('close', () => { clearInterval(timer); closedByServer++; resolve(); });
    sock.on('connect', () => {
      sock.write(q.subarray(0, ++sent));
      timer = setInterval(() => { if (sent < q.length - 1) sock.write(q.subarray(sent, ++sent)); }, 1000);
      resolve();
    });
  })));
  t.teardown(() => drips.forEach((d) => d.destroy()));
  let answered = 0;
  for (let i = 0; i < 25; i++) {
    const a = await queryTcp('127.0.0.1', s.dnsPort, 'leader.mesos.', 'A', 3000);
    if (a?.rcode === 'NOERROR' && a.answers.length === 1) answered++;
  }
  t.comment(`new TCP clients answered: ${answered}/25`);
  t.equal(answered, 25, 'every new client answered');
  // Each drip's message never completes: the read deadline (2 s) closes all of them.
  await waitFor('drip connections closed', () => closedByServer >= 1000, 20_000).catch(() => undefined);
  t.equal(closedByServer, 1000, 'every dripping connection was closed by the server');
});

t.test('one source address holds at most 16 connections: a 17th replaces its least recently used idle one', async (t) => {
  const s = await startWithAgents(t, 3);
  const socks: net.Socket[] = [];
  const closed = new Set<number>();
  for (let i = 0; i < 20; i++) {
    const sock = net.connect({ port: s.dnsPort, host: '127.0.0.1', localAddress: '127.0.0.1' });
    sock.on('error', () => {});
    sock.on('close', () => closed.add(i));
    await new Promise((r) => sock.once('connect', r));
    socks.push(sock);
    await new Promise((r) => setTimeout(r, 20));
  }
  t.teardown(() => socks.forEach((d) => d.destroy()));
  await waitFor('4 closed', () => closed.size >= 4, 5000).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 200));
  t.same([...closed].sort((a, b) => a - b), [0, 1, 2, 3], 'the four oldest were closed, the newest 16 kept');
  const a = await queryTcp('127.0.0.1', s.dnsPort, 'leader.mesos.', 'A', 3000);
  t.equal(a?.rcode, 'NOERROR', 'a new connection from that source is still served');
});

t.test('a client that half-closes after sending still gets its forwarded answers', async (t) => {
  // The handler stands in for forwarding: every answer arrives 100 ms later, after the client's FIN.
  const dns = await startDnsServer({
    host: '127.0.0.1', port: 0, log: silentLogger,
    handler: (msg) => new Promise<Buffer>((r) => setTimeout(() => r(respond(Buffer.from(msg), { answers: [
      { name: 'example.org', type: 'A', ttl: 60, data: '192.0.2.1' } as never] })), 100)),
  });
  t.teardown(() => dns.close());
  const sock = net.connect(dns.tcpPort, '127.0.0.1');
  sock.on('error', () => {});
  const got: Buffer[] = [];
  let buf = Buffer.alloc(0);
  sock.on('data', (c) => {
    buf = Buffer.concat([buf, c]);
    while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
      got.push(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      buf = buf.subarray(2 + buf.readUInt16BE(0));
    }
  });
  const ended = new Promise<void>((r) => sock.once('end', () => r()));
  sock.end(Buffer.concat([frame(buildQuery('example.org.', 'A', { id: 1 })), frame(buildQuery('example.org.', 'A', { id: 2 }))]));
  let giveUp: NodeJS.Timeout | undefined;
  await Promise.race([ended, new Promise((r) => { giveUp = setTimeout(r, 5000); })]);
  clearTimeout(giveUp);
  sock.destroy();
  t.same(got.map((b) => { const d = decode(b); return { id: d.id, rcode: d.rcode, answer: d.answer }; }), [1, 2].map((id) => ({
    id, rcode: 'NOERROR', answer: [{ name: 'example.org', type: 'A', ttl: 60, data: '192.0.2.1' }],
  })), 'both answers arrive, then the server ends the connection');
});
