// `npm run fuzz`: mutated input against a running server for a bounded time (issue 11). Not a
// benchmark; it lives beside the load tools because it drives the real process the same way
// (bench/proc.ts), and a fuzzer that runs the real binary finds what a unit fuzzer cannot:
// crashes of the process, replies the client cannot parse, memory that grows.
// What it sends, for --seconds (default 60):
//  - UDP and TCP queries made from a corpus of valid ones (in the domain, forwarded, zone
//    transfers, EDNS) with random mutations: bit flips, random bytes, cuts, insertions, header
//    counts, label lengths turned into compression pointers;
//  - answers from a local upstream resolver that are themselves mutated (the forwarding path);
//  - every second a mutated copy of the master's state (wrong types, deleted keys, huge strings,
//    duplicated entries) from the stand-in master.
// What it checks: every reply parses (our strict decoder: bounds, pointers backwards), has QR set
// and the ID of a query sent; a probe (`leader.mesos A`) is answered within 2 s throughout; the
// process never exits; RSS grows less than --max-rss-growth MiB (default 100) from the end of the
// warm-up to the end. Prints one JSON summary; exit status 1 on any failure (the first few inputs
// that broke something are in the summary, as hex).
// Options: --seconds=N, --seed=N, --max-rss-growth=MiB, --no-state (keep the state valid), --server=PATH.
import dgram from 'node:dgram';
import net from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import dnsPacket from 'dns-packet';
import { startStandInMaster } from '../src/demo/master.js';
import { decodeMessage } from '../src/forward/wire.js';
import { freePort, memMiB, sleep, spawnPinned, stop, type Spawned } from './proc.js';
import { Rng } from './gen-state.js';

// dist/bench/fuzz.js when built, bench/fuzz.ts when a test imports it.
const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = existsSync(join(HERE, '..', 'package.json')) ? resolve(HERE, '..') : resolve(HERE, '..', '..');

export interface FuzzOptions {
  seconds: number;
  seed: number;
  maxRssGrowthMiB: number;
  mutateState: boolean;
  server?: string;
  log?: (s: string) => void;
}

export interface FuzzReport {
  seconds: number;
  seed: number;
  udpSent: number;
  tcpSent: number;
  replies: number;
  malformed: number;
  unknownId: number;
  probes: number;
  probesFailed: number;
  statesServed: number;
  upstreamReplies: number;
  rssStartMiB: number;
  rssEndMiB: number;
  exited: number | null | false;
  failures: string[];
  ok: boolean;
}

const q = (name: string, type: string, o: { edns?: boolean; id?: number } = {}): Buffer =>
  dnsPacket.encode({
    type: 'query', id: o.id ?? 0, flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: type as dnsPacket.RecordType, class: 'IN' }],
    additionals: o.edns ? ([{ type: 'OPT', name: '.', udpPayloadSize: 4096, flags: 0x8000 }] as unknown as dnsPacket.Answer[]) : [],
  });

/** Valid queries the mutations start from. */
function corpus(): Buffer[] {
  const names = ['leader.mesos', 'master.mesos', 'slave.mesos', '_leader._tcp.mesos', 'liquor-store.marathon.mesos',
    '_liquor-store._tcp.marathon.mesos', 'marathon.mesos', 'mesos', 'nx.mesos', 'www.example.test', 'a.b.c.example.test'];
  const types = ['A', 'AAAA', 'SRV', 'ANY', 'SOA', 'NS', 'TXT', 'AXFR', 'IXFR', 'PTR', 'CNAME'];
  const out: Buffer[] = [];
  for (const n of names) for (const t of types) { out.push(q(n, t)); out.push(q(n, t, { edns: true })); }
  return out;
}

/** A random mutation of `b` (a copy). */
function mutate(b: Buffer, r: Rng): Buffer {
  let m = Buffer.from(b);
  const n = 1 + r.int(4);
  for (let k = 0; k < n; k++) {
    switch (r.int(8)) {
      case 0: if (m.length) { const i = r.int(m.length); m[i] ^= 1 << r.int(8); } break;
      case 1: if (m.length) m[r.int(m.length)] = r.int(256); break;
      case 2: m = m.subarray(0, r.int(m.length + 1)); break;
      case 3: { const i = r.int(m.length + 1); m = Buffer.concat([m.subarray(0, i), randomBytes(r, 1 + r.int(16)), m.subarray(i)]); break; }
      case 4: if (m.length >= 12) m.writeUInt16BE(r.int(4) === 0 ? 0xffff : r.int(8), 4 + 2 * r.int(4)); break;
      case 5: if (m.length > 13) { const i = 12 + r.int(m.length - 12); m[i] = 0xc0 | r.int(64); } break;
      case 6: if (m.length > 12) { const i = 12 + r.int(m.length - 12); m[i] = r.int(2) ? 63 : 64 + r.int(192); } break;
      default: m = Buffer.concat([m, m.subarray(12)]); break;
    }
  }
  return m;
}

function randomBytes(r: Rng, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = r.int(256);
  return b;
}

/** A mutated copy of a JSON value: wrong types, deleted keys, huge strings, duplicates. */
function mutateJson(v: unknown, r: Rng, depth = 0): unknown {
  if (Array.isArray(v)) {
    const out = v.map((x) => (r.int(10) === 0 ? mutateJson(x, r, depth + 1) : x));
    if (out.length && r.int(20) === 0) out.push(...out.slice(0, 1 + r.int(out.length)));
    return out;
  }
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const c = r.int(depth < 2 ? 30 : 12);
      if (c === 0) continue; // deleted
      out[k] = c === 1 ? wrongType(r) : mutateJson(x, r, depth + 1);
    }
    return out;
  }
  return r.int(40) === 0 ? wrongType(r) : v;
}

function wrongType(r: Rng): unknown {
  switch (r.int(7)) {
    case 0: return null;
    case 1: return r.int(2) ? -1 : 1e300;
    case 2: return 'x'.repeat(r.int(2) ? 70 : 5000);
    case 3: return [];
    case 4: return {};
    case 5: return '[0-65535]';
    default: return true;
  }
}

export async function runFuzz(o: FuzzOptions): Promise<FuzzReport> {
  const log = o.log ?? (() => {});
  const r = new Rng(o.seed);
  const rep: FuzzReport = {
    seconds: o.seconds, seed: o.seed, udpSent: 0, tcpSent: 0, replies: 0, malformed: 0, unknownId: 0, probes: 0,
    probesFailed: 0, statesServed: 0, upstreamReplies: 0, rssStartMiB: 0, rssEndMiB: 0, exited: false, failures: [], ok: false,
  };
  const fail = (what: string) => { if (rep.failures.length < 10) rep.failures.push(what); };

  const baseState = JSON.parse(readFileSync(join(ROOT, 'src', 'demo', 'example-state.json'), 'utf8')) as Record<string, unknown>;
  const master = await startStandInMaster({ host: '127.0.0.1', port: 0, state: {} });
  const withLeader = (s: Record<string, unknown>) => ({ ...s, leader: `master@127.0.0.1:${master.port}`, pid: `master@127.0.0.1:${master.port}` });
  master.setState(withLeader(baseState));

  // The upstream resolver: answers each query with a (usually mutated) valid reply.
  const up = dgram.createSocket('udp4');
  up.on('message', (m, from) => {
    let reply: Buffer;
    try {
      const p = dnsPacket.decode(m);
      const qq = p.questions?.[0];
      reply = dnsPacket.encode({
        type: 'response', id: p.id, flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE, questions: p.questions,
        answers: qq ? [{ type: 'A', name: qq.name, ttl: 300, data: '192.0.2.1' }, { type: 'CNAME', name: qq.name, ttl: 300, data: 'x.example.test' }] : [],
        additionals: [{ type: 'A', name: 'leader.mesos', ttl: 300, data: '6.6.6.6' }],
      });
    } catch {
      return;
    }
    // Keep ID and question intact half of the time, so mutated replies get past the matching.
    const mut = mutate(reply, r);
    let qEnd = 12;
    while (reply[qEnd] !== 0) qEnd += 1 + reply[qEnd]!;
    qEnd += 5;
    if (r.int(2) && mut.length >= qEnd) reply.copy(mut, 0, 0, qEnd);
    rep.upstreamReplies++;
    up.send(r.int(4) === 0 ? reply : mut, from.port, from.address);
  });
  await new Promise<void>((res) => up.bind(0, '127.0.0.1', () => res()));
  const upPort = (up.address() as net.AddressInfo).port;

  const dir = mkdtempSync(join(tmpdir(), 'mesos-dns-fuzz-'));
  const dnsPort = await freePort();
  const httpPort = await freePort();
  writeFileSync(join(dir, 'config.json'), JSON.stringify({
    masters: [`127.0.0.1:${master.port}`], port: dnsPort, httpport: httpPort, listener: '127.0.0.1', httplistener: '127.0.0.1',
    resolvers: [`127.0.0.1:${upPort}`], timeout: 1, refreshSeconds: 1, statesource: 'poll', shutdowngraceseconds: 0,
  }));
  const server: Spawned = spawnPinned(null, process.execPath, [o.server ?? join(ROOT, 'bin', 'mesos-dns'), `-config=${join(dir, 'config.json')}`]);
  const cleanup = async () => {
    await stop(server);
    up.close();
    await master.close();
    rmSync(dir, { recursive: true, force: true });
  };
  let exited: number | null | false = false;
  void server.exited.then((c) => { exited = c; });

  const sock = dgram.createSocket('udp4');
  const sentIds = new Set<number>();
  sock.on('message', (m) => {
    rep.replies++;
    const problem = check(m);
    if (problem) { rep.malformed++; fail(`${problem}: ${m.toString('hex').slice(0, 200)}`); }
    else if (!sentIds.has(m.readUInt16BE(0))) rep.unknownId++;
  });
  await new Promise<void>((res) => sock.bind(0, '127.0.0.1', () => res()));

  // Wait for the first answer.
  const ready = Date.now() + 30_000;
  while (!(await probe(dnsPort))) {
    if (exited !== false || Date.now() > ready) { rep.exited = exited; fail('server never answered'); await cleanup(); sock.close(); return rep; }
    await sleep(200);
  }
  log(`server ${server.pid} answering on ${dnsPort}; fuzzing for ${o.seconds} s`);
  const inputs = corpus();
  const warmupEnd = Date.now() + Math.min(3000, o.seconds * 200);
  const end = Date.now() + o.seconds * 1000;
  let nextState = Date.now() + 1000;
  let nextProbe = Date.now() + 500;
  let rssStartTaken = false;
  while (Date.now() < end && exited === false) {
    if (!rssStartTaken && Date.now() >= warmupEnd) { rep.rssStartMiB = memMiB(server.pid).rss; rssStartTaken = true; }
    // A burst of UDP queries, then one TCP connection, then give the event loop a turn.
    for (let i = 0; i < 200; i++) {
      const m = mutate(inputs[r.int(inputs.length)]!, r);
      if (m.length >= 2) { const id = r.int(65536); m.writeUInt16BE(id, 0); sentIds.add(id); }
      sock.send(m, dnsPort, '127.0.0.1');
      rep.udpSent++;
    }
    const tm = mutate(inputs[r.int(inputs.length)]!, r);
    const framing = r.int(4) === 0 ? r.int(65536) : tm.length;
    const problem = await tcpExchange(dnsPort, tm, framing);
    rep.tcpSent++;
    if (problem) { rep.malformed++; fail(`tcp ${problem}: ${tm.toString('hex').slice(0, 200)}`); }
    if (o.mutateState && Date.now() >= nextState) {
      nextState = Date.now() + 1000;
      master.setState(r.int(3) === 0 ? withLeader(baseState) : withLeader(mutateJson(baseState, r) as Record<string, unknown>));
      rep.statesServed++;
    }
    if (Date.now() >= nextProbe) {
      nextProbe = Date.now() + 500;
      rep.probes++;
      if (!(await probe(dnsPort))) { rep.probesFailed++; fail(`probe unanswered at ${new Date().toISOString()}`); }
    }
    await sleep(5);
  }
  await sleep(300);
  rep.rssEndMiB = memMiB(server.pid).rss;
  if (!rssStartTaken) rep.rssStartMiB = rep.rssEndMiB;
  rep.exited = exited;
  if (exited !== false) fail(`server exited (${exited}): ${server.stderrLines.slice(-3).join(' | ')}`);
  if (rep.rssEndMiB - rep.rssStartMiB > o.maxRssGrowthMiB) fail(`RSS grew ${rep.rssStartMiB} → ${rep.rssEndMiB} MiB`);
  sock.close();
  await cleanup();
  rep.ok = rep.failures.length === 0;
  return rep;
}

/** Why a reply is unacceptable, or null: it must decode strictly and be a response. */
function check(m: Buffer): string | null {
  if (m.length < 12) return 'reply shorter than a header';
  if (!(m[2]! & 0x80)) return 'reply without QR';
  try {
    decodeMessage(m);
  } catch (e) {
    return `reply does not decode (${(e as Error).message})`;
  }
  return null;
}

/** `leader.mesos A` answered (any rcode, well-formed) within 2 s. */
function probe(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = dgram.createSocket('udp4');
    const id = Math.floor(Math.random() * 65536);
    const done = (ok: boolean) => { clearTimeout(t); s.close(); res(ok); };
    const t = setTimeout(() => done(false), 2000);
    s.on('message', (m) => { if (m.length >= 12 && m.readUInt16BE(0) === id && check(m) === null) done(true); });
    s.send(q('leader.mesos', 'A', { id }), port, '127.0.0.1');
  });
}

/** One TCP connection: the message with a (possibly wrong) length prefix; every reply must be framed and well-formed. */
function tcpExchange(port: number, m: Buffer, framing: number): Promise<string | null> {
  return new Promise((res) => {
    const c = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let problem: string | null = null;
    const finish = () => { clearTimeout(t); c.destroy(); res(problem); };
    const t = setTimeout(finish, 300);
    c.on('error', () => finish());
    c.on('close', () => finish());
    c.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(framing & 0xffff);
      c.end(Buffer.concat([len, m]));
    });
    c.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        problem ??= check(msg);
      }
      if (buf.length > 70_000) { problem ??= 'TCP reply framing'; finish(); }
    });
  });
}

// ------------------------------------------------------------------ command line
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const opt = (k: string, d: string) => argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d;
  const report = await runFuzz({
    seconds: Number(opt('seconds', '60')),
    seed: Number(opt('seed', String(Date.now() % 1_000_000))),
    maxRssGrowthMiB: Number(opt('max-rss-growth', '100')),
    mutateState: !argv.includes('--no-state'),
    server: argv.find((a) => a.startsWith('--server='))?.slice(9),
    log: (s) => process.stderr.write(s + '\n'),
  });
  process.stdout.write(JSON.stringify(report) + '\n');
  process.exit(report.ok ? 0 : 1);
}
