// Signals (issue 11 item 10): Node's default for SIGUSR1 opens its inspector on 127.0.0.1:9229 —
// code execution for any local user — and SIGHUP's default ends the process silently. The server
// handles both: SIGUSR1 refreshes and opens no port, SIGHUP reloads the config and keeps running
// (test/ops-reload.test.ts covers what a reload changes).
import t from 'tap';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import net from 'node:net';
import { waitFor } from './support/procs.js';
import { startOnFixture } from './support/serve.js';

/** Ports of the TCP sockets `pid` listens on (from /proc: its socket inodes in LISTEN state). */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch { /* closed meanwhile */ }
  }
  const ports: number[] = [];
  for (const file of ['tcp', 'tcp6']) {
    for (const line of readFileSync(`/proc/${pid}/net/${file}`, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && f[3] === '0A' && inodes.has(f[9])) ports.push(parseInt(f[1].split(':')[1], 16));
    }
  }
  return ports.sort((a, b) => a - b);
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    c.once('connect', () => { c.destroy(); resolve(true); });
    c.once('error', () => resolve(false));
  });
}

t.test('SIGUSR1 refreshes and opens no inspector port; SIGHUP reloads and keeps running', async (t) => {
  const { s } = await startOnFixture(t, { refreshSeconds: 3600 });
  const pid = s.proc.pid!;
  const before = listeningPorts(pid);
  t.same(before, [s.dnsPort, s.httpPort].sort((a, b) => a - b), 'listens on DNS and HTTP only');

  s.proc.kill('SIGUSR1');
  await s.waitLog('SIGUSR1: refreshing now');
  await s.waitLog('refresh', 2);
  // the inspector, had it started, would be listening by now (it opens within milliseconds)
  await new Promise((r) => setTimeout(r, 500));
  t.same(listeningPorts(pid), before, 'no new listening socket after SIGUSR1');
  t.notOk(await connects(9229), 'nothing on 127.0.0.1:9229');
  t.notMatch(s.stderr(), /Debugger listening/, 'the inspector did not start');

  s.proc.kill('SIGHUP');
  const reloaded = await s.waitLog('config reloaded');
  t.same(reloaded.replaced, [], 'the same file: nothing replaced');
  await new Promise((r) => setTimeout(r, 200));
  t.equal(s.proc.exitCode, null, 'still running after SIGHUP');
  t.equal(s.proc.signalCode, null);
  await waitFor('an answer over HTTP', async () => (await fetch(`http://127.0.0.1:${s.httpPort}/v1/version`)).ok);
});
