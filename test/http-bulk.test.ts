// The bulk HTTP bodies under attack (issue 11): /v1/axfr and /v1/enumerate are rendered once per
// zone version and shared, only a few are sent at once, and a client that does not read is
// dropped after the write deadline, so non-reading or parallel clients cost bounded memory.
// Real server process, real sockets.
import t, { type Test } from 'tap';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { waitFor, type ServerProcess } from './support/procs.js';
import { httpGet as get, startOnGeneratedState } from './support/serve.js';

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

const startLarge = (t: Test, tasks: number, extra: Record<string, unknown> = {}): Promise<ServerProcess> =>
  startOnGeneratedState(t, { tasks, seed: 11, config: { externalon: false, ...extra }, firstRefreshMs: 60_000 });

const renders = (s: ServerProcess, kind: string) => s.logs.filter((l) => l.msg === 'bulk body rendered' && l.kind === kind).length;

t.test('/v1/axfr and /v1/enumerate: parallel readers get byte-identical bodies from one render per zone version', async (t) => {
  const s = await startLarge(t, 3000);
  const axfr = await Promise.all([1, 2, 3].map(() => get(s.httpPort, '/v1/axfr')));
  t.same(axfr.map((r) => r.status), [200, 200, 200]);
  t.ok(axfr[0]!.body.length > 100_000, `a large body (${axfr[0]!.body.length} bytes)`);
  t.ok(axfr.every((r) => r.body.equals(axfr[0]!.body)), 'byte-identical');
  t.same(JSON.parse(axfr[0]!.body.toString()).Domain, 'mesos', 'a real axfr body');
  const again = await get(s.httpPort, '/v1/axfr');
  t.ok(again.body.equals(axfr[0]!.body), 'a later request gets the same bytes');
  const en = await Promise.all([1, 2].map(() => get(s.httpPort, '/v1/enumerate')));
  t.ok(en[0]!.body.equals(en[1]!.body), 'enumerate: byte-identical');
  await new Promise((r) => setTimeout(r, 200)); // let the log lines arrive
  t.same({ axfr: renders(s, 'axfr'), enumerate: renders(s, 'enumerate') }, { axfr: 1, enumerate: 1 }, 'one render per kind for this zone version');
});

t.test('20 clients that request /v1/axfr and never read: bounded memory, 503 + Retry-After past the cap, dropped after the write deadline', async (t) => {
  const s = await startLarge(t, 12_000);
  // Warm: one full read, so the comparison below measures the clients, not the first render.
  const first = await get(s.httpPort, '/v1/axfr');
  t.equal(first.status, 200);
  const size = first.body.length;
  const rss0 = rssKiB(s.proc.pid!);
  const socks: net.Socket[] = [];
  const heads: string[] = [];
  const received: number[] = [];
  const closed: number[] = [];
  const t0 = Date.now();
  for (let i = 0; i < 20; i++) {
    const sock = net.connect(s.httpPort, '127.0.0.1');
    received.push(0);
    sock.on('error', () => {});
    sock.on('close', () => closed.push(i));
    // Read only the first bytes (the status line), then stop reading.
    sock.once('data', (c: Buffer) => { heads.push(c.toString('latin1').split('\r\n')[0]!); sock.pause(); });
    sock.on('data', (c: Buffer) => { received[i] += c.length; });
    sock.write('GET /v1/axfr HTTP/1.1\r\nHost: x\r\n\r\n');
    socks.push(sock);
  }
  t.teardown(() => socks.forEach((x) => x.destroy()));
  let peak = rss0;
  while (Date.now() - t0 < 4000) {
    peak = Math.max(peak, rssKiB(s.proc.pid!));
    await new Promise((r) => setTimeout(r, 100));
  }
  const growthMiB = (peak - rss0) / 1024;
  t.comment(`body ${(size / 2 ** 20).toFixed(1)} MiB; RSS growth with 20 non-reading clients: ${growthMiB.toFixed(1)} MiB`);
  t.ok(growthMiB < 100, `RSS growth under 100 MiB (was ${growthMiB.toFixed(1)} MiB)`);
  const ok = heads.filter((h) => h.endsWith(' 200 OK')).length;
  const busy = heads.filter((h) => h.endsWith(' 503 Service Unavailable')).length;
  t.same({ ok, busy }, { ok: 4, busy: 16 }, 'four sent at once, the rest told to retry');
  // Past the write deadline (10 s), read again: a dropped connection ends without the whole body
  // (a paused client would not notice the close).
  await new Promise((r) => setTimeout(r, 14_000 - (Date.now() - t0)));
  socks.forEach((x) => x.resume());
  await waitFor('all 20 closed', () => closed.length === 20, 20_000).catch(() => undefined);
  t.equal(closed.length, 20, 'every non-reading client was disconnected');
  const cut = socks.map((_, i) => i).filter((i) => heads[i]?.endsWith(' 200 OK') && received[i]! < size);
  t.equal(cut.length, 4, `the four that got 200 were cut short by the deadline (${cut.map((i) => received[i]).join(', ')} of ${size} bytes)`);
  const r = await get(s.httpPort, '/v1/axfr');
  t.ok(r.status === 200 && r.body.equals(first.body), 'a reading client is served afterwards');
});

