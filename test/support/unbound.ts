// A real Unbound (Debian `unbound`) on 127.0.0.1 with a free port, for tests: the stub zones given
// and a stub for the root pointing at a local address the caller controls, so Unbound never sends a
// packet to the real root servers (as TOOLCHAIN.md requires for BIND). No validator module: the
// Mesos domain is unsigned, and a trust anchor would make Unbound fetch the root's keys.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, stopDaemon } from './procs.js';
import { dig } from './dig.js';

export interface UnboundOptions {
  /** Zone → `host@port` addresses of its authoritative servers. */
  stubs: Record<string, string[]>;
  /** Where the root stub points (a local socket that should see no traffic). */
  rootAddr: string;
  /** Extra `server:` lines. */
  extra?: string[];
}

export interface UnboundInstance {
  port: number;
  output(): string;
  stop(): Promise<void>;
}

export async function startUnbound(o: UnboundOptions): Promise<UnboundInstance> {
  const dir = mkdtempSync(join(tmpdir(), 'unbound-test-'));
  const port = await freePort();
  const stubs = Object.entries({ ...o.stubs, '.': [o.rootAddr] }).map(([zone, addrs]) =>
    ['stub-zone:', `    name: "${zone}"`, ...addrs.map((a) => `    stub-addr: ${a}`), '    stub-first: no', '    stub-prime: no'].join('\n'));
  const conf = [
    'server:',
    '    interface: 127.0.0.1',
    `    port: ${port}`,
    '    do-ip6: no',
    '    do-daemonize: no',
    '    username: ""',
    '    chroot: ""',
    `    directory: "${dir}"`,
    '    pidfile: ""',
    '    use-syslog: no',
    '    logfile: ""',
    '    verbosity: 1',
    '    num-threads: 1',
    '    module-config: "iterator"',
    '    qname-minimisation: yes',
    // Our servers are on loopback; Unbound skips loopback addresses by default.
    '    do-not-query-localhost: no',
    '    access-control: 127.0.0.0/8 allow',
    ...(o.extra ?? []).map((l) => `    ${l}`),
    ...stubs,
    '',
  ].join('\n');
  writeFileSync(join(dir, 'unbound.conf'), conf);
  const child: ChildProcess = spawn('unbound', ['-d', '-c', join(dir, 'unbound.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  let exited = false;
  const exitP = new Promise<void>((r) => child.once('exit', () => { exited = true; r(); }));
  const stop = () => stopDaemon(child, () => exited, exitP, dir);
  // Ready when it answers anything (a REFUSED for a class it does not serve costs no upstream query).
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (exited) { await stop(); throw new Error(`unbound exited during start-up:\n${out}`); }
    try {
      const r = await dig(port, 'version.server', 'TXT', { extra: ['-c', 'CH', '+time=1'] });
      if (r.status) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) { await stop(); throw new Error(`unbound did not answer on port ${port}:\n${out}`); }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { port, output: () => out, stop };
}
