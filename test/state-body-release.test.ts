// A state body over the 512 MiB limit (issue 11 item 8): reading stops at the limit and what was
// read is given back — before, RSS stayed ~520 MiB higher for good after one such body. The
// master here is a plain HTTP server that streams a chunked body without end.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { rewriteLeader } from '../src/demo/master.js';
import { DEFAULT_MAX_BODY_BYTES } from '../src/state/fetch.js';
import { startServerProcess, ROOT } from './support/procs.js';
import { dig, recKey } from './support/dig.js';

// as the launcher runs it in production (bin/mesos-dns): the tests start node on it directly
process.env.MALLOC_MMAP_THRESHOLD_ = '1048576';

const fixture = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'fake.json'), 'utf8')) as object;

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Math.round(Number(m![1]) / 1024);
}

t.test('an oversize state body is cut at the limit and its memory given back', async (t) => {
  let huge = false;
  let sent = 0;
  const chunk = Buffer.alloc(1024 * 1024, 0x61);
  const http = createServer((_req, res) => {
    const port = (http.address() as AddressInfo).port;
    if (!huge) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(rewriteLeader(structuredClone(fixture), `127.0.0.1:${port}`)));
      return;
    }
    // chunked (no length): the client can only find out by reading; never more than limit + 64 MiB
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.write(`{"leader":"master@127.0.0.1:${port}","pad":"`);
    const pump = () => {
      while (sent < DEFAULT_MAX_BODY_BYTES + 64 * 1024 * 1024) {
        sent += chunk.length;
        if (!res.write(chunk)) { res.once('drain', pump); return; }
      }
      res.end('"}');
    };
    res.on('close', () => res.removeAllListeners('drain'));
    pump();
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  t.teardown(() => { http.closeAllConnections(); http.close(); });
  const port = (http.address() as AddressInfo).port;
  const s = await startServerProcess({ masters: [`127.0.0.1:${port}`], externalon: false, refreshSeconds: 3600, stateTimeoutSeconds: 60 });
  t.teardown(() => s.stop());
  await s.waitLog('refresh');
  await new Promise((r) => setTimeout(r, 1000));
  const before = rssMiB(s.proc.pid!);

  huge = true;
  s.proc.kill('SIGUSR1'); // a refresh now
  const failed = await s.waitLog('refresh failed; keeping the previous records', 1, 120_000);
  t.match(failed.err, new RegExp(`state body exceeds the limit of ${DEFAULT_MAX_BODY_BYTES} bytes`));
  t.ok(sent < DEFAULT_MAX_BODY_BYTES + 64 * 1024 * 1024, `reading stopped at the limit (${Math.round(sent / 2 ** 20)} MiB sent)`);
  // Node 24 gives the pages back more slowly than Node 20: sample for up to 10 s, report the low.
  let after = Infinity;
  for (let i = 0; i < 20 && after - before >= 100; i++) {
    await new Promise((r) => setTimeout(r, 500));
    after = Math.min(after, rssMiB(s.proc.pid!));
  }
  // Node 24 keeps ~100-130 MiB of it for good (measured 30 s after the rejection: +118 MiB, while
  // Node 20 was back at its start within 5 s). It is glibc malloc memory, not V8's and not our
  // 4 MiB blocks: with MALLOC_ARENA_MAX=1 the same ~100 MiB sits in the main arena ([heap] in
  // /proc/PID/smaps) instead of anonymous mappings, i.e. freed small allocations (the read path's
  // chunks, below the 1 MiB mmap threshold) that a fragmented arena cannot hand back. A lower
  // mmap threshold would return them but cost answers (128K: p99 14 ms, see bin/mesos-dns).
  // Both stay far below the +508 MiB that was held before the fix.
  const bound = Number(process.versions.node.split('.')[0]) >= 24 ? 400 : 100;
  t.ok(after - before < bound, `RSS ${before} MiB before, ${after} MiB after the rejected body`);
  const r = await dig(s.dnsPort, 'leader.mesos.', 'A');
  t.same({ status: r.status, answer: r.answer.map(recKey) }, { status: 'NOERROR', answer: ['leader.mesos. IN A 127.0.0.1'] }, 'the last good records are served');
});
