// Launcher for a real BIND `named` on loopback, for tests that need a real upstream (forwarding)
// or a real resolver in front of us (a forward zone pointing at our server), and for the bench's
// forwarding upstream and zone-transfer secondary (one toolkit, built into dist/test/support).
// Why it is built this way:
// - A local root zone is always configured, so named never sends a query to the real root
//   servers (TOOLCHAIN.md); zones it forwards to are delegated in that root zone, otherwise named
//   would answer NXDOMAIN from its own root data instead of using the forward zone.
// - `named -g` keeps it in the foreground but sends *all* logging to stderr (the logging statement
//   is ignored), so the query log is read from stderr; `sync()` sends a marker query and waits
//   until it is logged, so counts taken after it include every earlier query (one worker thread,
//   lines in order) without sleeping.
// - Ports are picked free (bound and released) and readiness is a real DNS query over UDP and
//   TCP; if the port was taken in between, named is restarted on another one.
// - For the bench: `querylog: false` (logging every query would cost named more than answering
//   it), `-n 1` (one worker) pinned to the load core with `cpu`, and `statistics: true` for a
//   statistics channel (JSON over HTTP on loopback) that counts the queries named received, i.e.
//   how many forwarded queries reached upstream, for one HTTP request before and after a run.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePort, stopDaemon } from './procs.js';
import { queryTcp, queryUdp, type Reply } from './dnsmsg.js';

export interface NamedZone {
  /** Zone name without trailing dot, e.g. "example.test". */
  name: string;
  /** Primary zone: a zone file path, or its content. */
  file?: string;
  content?: string;
  /** Forward zone (`forward only`): "127.0.0.1:8053", "127.0.0.1 port 8053" or { host, port }. */
  forwarders?: Array<string | { host: string; port: number }>;
  /** Secondary zone transferred from these primaries, with NEXT.md §2.7's settings. */
  primaries?: Array<{ host: string; port: number }>;
}

export interface NamedOptions {
  zones: NamedZone[];
  /** Default: true when a forward zone is configured. */
  recursion?: boolean;
  /** Extra lines inside `options { }`. */
  extraOptions?: string;
  /** ms to wait for readiness (default 15000). */
  readyTimeoutMs?: number;
  /** Listen on this port (e.g. one a NOTIFY sender was configured with before named started). */
  port?: number;
  /** named's debug level (`-d`); 3 logs how each zone transfer was answered ("got incremental response"). */
  debug?: number;
  /** Log every query (default true; count() and sync() read the log). */
  querylog?: boolean;
  /** A statistics channel for queriesReceived() (default false). */
  statistics?: boolean;
  /** Pin named to this core list (`taskset -c`); default: not pinned. */
  cpu?: string | null;
}

export interface QueryLogEntry {
  name: string;
  class: string;
  type: string;
  /** BIND's flags string: "+" RD, "E(0)" EDNS, "T" TCP, "D" DO, "C" CD. */
  flags: string;
  tcp: boolean;
}

export interface NamedInstance {
  port: number;
  dir: string;
  /** Queries named has logged so far (call sync() first for an exact count). */
  queryLog(): QueryLogEntry[];
  /** Number of logged queries for a name (case-insensitive, trailing dot optional) and optional type. */
  count(name: string, type?: string): number;
  /** Waits until every query sent before this call is in the log. */
  sync(): Promise<void>;
  /** All of named's stderr so far (for failure messages). */
  output(): string;
  /** Queries named has received so far (statistics channel), or null if it cannot be read. */
  queriesReceived(): Promise<number | null>;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});


function fwd(f: string | { host: string; port: number }): string {
  if (typeof f !== 'string') return `${f.host} port ${f.port}`;
  const m = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(f);
  return m ? `${m[1]} port ${m[2]}` : f;
}

/** A reply with rcode NOERROR or NXDOMAIN: named is answering. */
const answering = (r: Reply | null) => r !== null && (r.rcode === 'NOERROR' || r.rcode === 'NXDOMAIN');

const QUERY_RE = /query: (\S+) (\S+) (\S+) (\S*)/;

async function startOnce(opts: NamedOptions, port: number): Promise<NamedInstance | null> {
  const statsPort = opts.statistics ? await freePort() : 0;
  const dir = mkdtempSync(join(tmpdir(), 'named-'));
  const zones = opts.zones.map((z) => ({ ...z, name: z.name.replace(/^\.+|\.+$/g, '') }));
  const recursion = opts.recursion ?? zones.some((z) => z.forwarders);

  const root = ['$TTL 300', '. IN SOA a.root. hostmaster.root. 1 60 60 600 60', '. IN NS a.root.', 'a.root. IN A 127.0.0.1'];
  for (const z of zones) root.push(`${z.name}. IN NS ns.${z.name}.`, `ns.${z.name}. IN A 127.0.0.1`);
  writeFileSync(join(dir, 'root.zone'), root.join('\n') + '\n');

  const zoneStanzas = zones.map((z, i) => {
    if (z.primaries) {
      // NEXT.md §2.7: BIND 9.18.28+ refuses RRsets over 100 records unless the limits are lifted,
      // and its minimum refresh/retry (300 s) would clamp our SOA timers.
      return `zone "${z.name}" { type secondary; primaries { ${z.primaries.map((p) => `${p.host} port ${p.port}`).join('; ')}; };
  file "${join(dir, `zone${i}.db`)}"; masterfile-format text; max-records-per-type 0; max-types-per-name 0;
  check-names ignore; min-refresh-time 60; min-retry-time 10; allow-notify { 127.0.0.1; }; allow-transfer { none; }; };`;
    }
    if (z.forwarders) {
      return `zone "${z.name}" { type forward; forward only; forwarders { ${z.forwarders.map(fwd).join('; ')}; }; };`;
    }
    const file = join(dir, `zone${i}.db`);
    if (z.content !== undefined) writeFileSync(file, z.content);
    else if (z.file) copyFileSync(z.file, file);
    else throw new Error(`zone ${z.name}: needs file, content or forwarders`);
    return `zone "${z.name}" { type primary; file "${file}"; };`;
  });

  const conf = `options {
  directory "${dir}";
  pid-file none;
  session-keyfile none;
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion ${recursion ? 'yes' : 'no'};
  ${recursion ? 'allow-recursion { 127.0.0.1; };' : ''}
  dnssec-validation no;
  querylog ${opts.querylog === false ? 'no' : 'yes'};
  notify no;
  ${opts.extraOptions ?? ''}
};
controls { };
${statsPort ? `statistics-channels { inet 127.0.0.1 port ${statsPort} allow { 127.0.0.1; }; };` : ''}
zone "." { type primary; file "${join(dir, 'root.zone')}"; };
${zoneStanzas.join('\n')}
`;
  writeFileSync(join(dir, 'named.conf'), conf);

  const debug = opts.debug ? ['-d', String(opts.debug)] : [];
  const cmd = ['named', '-g', '-4', '-n', '1', ...debug, '-c', join(dir, 'named.conf')];
  if (opts.cpu != null) cmd.unshift('taskset', '-c', opts.cpu);
  const child = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  let out = '';
  let partial = '';
  const log: QueryLogEntry[] = [];
  let exited = false;
  const exitP = new Promise<void>((r) => child.once('exit', () => r()));
  void exitP.then(() => {
    exited = true;
    running.delete(child);
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    out += d;
    partial += d;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const m = QUERY_RE.exec(line);
      if (m) log.push({ name: m[1], class: m[2], type: m[3], flags: m[4], tcp: m[4].includes('T') });
    }
  });

  const stop = () => stopDaemon(child, () => exited, exitP, dir);

  const syncZone = zones.find((z) => !z.forwarders)?.name ?? '';
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 15000);
  for (;;) {
    if (exited) {
      await stop();
      if (/address in use/i.test(out)) return null;
      throw new Error(`named exited during start-up:\n${out}`);
    }
    if (/not loaded due to errors/.test(out)) {
      await stop();
      throw new Error(`named could not load a zone:\n${out}`);
    }
    if (/address in use/i.test(out)) {
      await stop();
      return null;
    }
    if (answering(await queryUdp('127.0.0.1', port, syncZone || '.', 'SOA', 300))
      && answering(await queryTcp('127.0.0.1', port, syncZone || '.', 'SOA', 1000))) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`named did not answer on port ${port}:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const count = (name: string, type?: string) => {
    const n = name.toLowerCase().replace(/\.$/, '');
    return log.filter((e) => e.name.toLowerCase().replace(/\.$/, '') === n && (!type || e.type === type)).length;
  };
  return {
    port,
    dir,
    queryLog: () => [...log],
    count,
    output: () => out,
    async queriesReceived() {
      if (!statsPort) return null;
      try {
        const res = await fetch(`http://127.0.0.1:${statsPort}/json/v1/server`, { signal: AbortSignal.timeout(2000) });
        const j = (await res.json()) as { nsstats?: Record<string, number>; opcodes?: Record<string, number> };
        const n = (j.nsstats?.Requestv4 ?? 0) + (j.nsstats?.Requestv6 ?? 0);
        return n || (j.opcodes?.QUERY ?? null);
      } catch {
        return null;
      }
    },
    async sync() {
      const marker = `sync-${randomBytes(4).toString('hex')}${syncZone ? '.' + syncZone : ''}`;
      await queryUdp('127.0.0.1', port, marker, 'SOA', 1000);
      const until = Date.now() + 5000;
      while (count(marker) === 0) {
        if (Date.now() > until) throw new Error('named query log did not show the sync marker');
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    stop,
  };
}

/** Starts named; resolves once it answers over UDP and TCP. Call stop() when done. */
export async function startNamed(opts: NamedOptions): Promise<NamedInstance> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const inst = await startOnce(opts, opts.port ?? await freePort());
    if (inst) return inst;
  }
  throw new Error('could not start named on a free port');
}
