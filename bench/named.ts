// A local BIND `named` as the upstream for the forwarding rates. Why it is built this way:
//  - a real, fast authoritative server is the upstream the original's 31k/s figure was taken
//    against; a Node stand-in would measure itself rather than our forwarder;
//  - a local root zone is always configured, so named never contacts the real root servers;
//    `recursion no` and `dnssec-validation no` keep it purely authoritative;
//  - `querylog` is off (logging every query would cost named more than answering it), and
//    `-n 1` gives it one worker: it is pinned to the load core (shared with dnsperf), not the
//    server's;
//  - a statistics channel (JSON over HTTP on loopback) lets the bench count the queries named
//    received, i.e. how many forwarded queries reached upstream (cache efficiency), for the cost
//    of one HTTP request before and after a run;
//  - started as a pinned child via proc.ts, so an aborted bench kills it with everything else;
//    readiness is a real DNS answer over UDP. Copied in spirit from test/support/named.ts, which
//    tsc does not compile for the bench.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnPinned, stop, sleep, type Spawned } from './proc.js';
import { queryUdp } from './dnsclient.js';

export interface NamedZone {
  /** Zone name without trailing dot, e.g. "example.test". */
  name: string;
  /** Zone file content (a primary zone). */
  content?: string;
  /** A secondary zone transferred from this primary instead (NEXT.md §2.7's settings). */
  primary?: { host: string; port: number };
}

export interface BenchNamed {
  proc: Spawned;
  port: number;
  /** Queries named has received so far (statistics channel), or null if it cannot be read. */
  queriesReceived(): Promise<number | null>;
  stop(): Promise<void>;
}

export async function startNamed(opts: { zones: NamedZone[]; cpu: string | null; readyTimeoutMs?: number; probe: string; port?: number }): Promise<BenchNamed> {
  let lastErr = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = opts.port ?? await freePort();
    const statsPort = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'bench-named-'));
    const root = ['$TTL 300', '. IN SOA a.root. hostmaster.root. 1 60 60 600 60', '. IN NS a.root.', 'a.root. IN A 127.0.0.1'];
    for (const z of opts.zones) root.push(`${z.name}. IN NS ns.${z.name}.`, `ns.${z.name}. IN A 127.0.0.1`);
    writeFileSync(join(dir, 'root.zone'), root.join('\n') + '\n');
    const stanzas = opts.zones.map((z, i) => {
      const file = join(dir, `zone${i}.db`);
      if (z.primary) {
        // BIND 9.18.28+ refuses RRsets over 100 records unless the limits are lifted; its minimum
        // refresh/retry (300 s) would clamp our SOA timers.
        return `zone "${z.name}" { type secondary; primaries { ${z.primary.host} port ${z.primary.port}; }; file "${file}";
  masterfile-format text; max-records-per-type 0; max-types-per-name 0; check-names ignore; min-refresh-time 60;
  min-retry-time 10; allow-notify { 127.0.0.1; }; allow-transfer { none; }; };`;
      }
      writeFileSync(file, z.content ?? '');
      return `zone "${z.name}" { type primary; file "${file}"; };`;
    });
    const conf = `options {
  directory "${dir}";
  pid-file none;
  session-keyfile none;
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
  querylog no;
  notify no;
};
controls { };
statistics-channels { inet 127.0.0.1 port ${statsPort} allow { 127.0.0.1; }; };
zone "." { type primary; file "${join(dir, 'root.zone')}"; };
${stanzas.join('\n')}
`;
    writeFileSync(join(dir, 'named.conf'), conf);
    const proc = spawnPinned(opts.cpu, 'named', ['-g', '-4', '-n', '1', '-c', join(dir, 'named.conf')]);
    const cleanup = async () => {
      await stop(proc);
      rmSync(dir, { recursive: true, force: true });
    };
    const out = () => proc.stderrLines.join('\n');
    const end = performance.now() + (opts.readyTimeoutMs ?? 15_000);
    let ready = false;
    while (performance.now() < end) {
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) break;
      if (/not loaded due to errors/.test(out())) break;
      const r = await queryUdp('127.0.0.1', port, opts.probe, 'A', 300);
      if (r && r.rcode === 'NOERROR' && r.answers.length) {
        ready = true;
        break;
      }
      await sleep(100);
    }
    if (!ready) {
      lastErr = out().split('\n').slice(-15).join('\n');
      await cleanup();
      if (/address in use/i.test(lastErr)) continue;
      throw new Error(`named did not answer ${opts.probe} on port ${port}:\n${lastErr}`);
    }
    return {
      proc,
      port,
      async queriesReceived() {
        try {
          const res = await fetch(`http://127.0.0.1:${statsPort}/json/v1/server`, { signal: AbortSignal.timeout(2000) });
          const j = (await res.json()) as { nsstats?: Record<string, number>; opcodes?: Record<string, number> };
          const n = (j.nsstats?.Requestv4 ?? 0) + (j.nsstats?.Requestv6 ?? 0);
          return n || (j.opcodes?.QUERY ?? null);
        } catch {
          return null;
        }
      },
      stop: cleanup,
    };
  }
  throw new Error(`could not start named on a free port:\n${lastErr}`);
}
