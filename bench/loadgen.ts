// Fixed-rate UDP DNS load generator with per-query latency (dnsperf only reports averages).
// Why it is built this way:
//  - open loop: queries leave on the clock (small batches every millisecond, catching up if the
//    timer fires late), never "when the previous answer came back", so a server stall shows up as
//    latency and loss instead of silently lowering the offered rate;
//  - one socket, 16-bit IDs used in sequence: at 20k/s an ID comes back around only after ~3.3 s,
//    far beyond the 1 s loss timeout; replies are matched by ID *and* echoed question bytes;
//  - latencies go into a 1-µs histogram up to the timeout (exact percentiles, fixed memory);
//  - it runs as its own process (the bench pins it to the core the server does not use) and
//    stops by itself: duration + timeout + a hard cap.
// Usage: node dist/bench/loadgen.js --port=P --file=queries.txt --rate=20000 --duration=60 [--timeout=1] [--warmup=1]
// The file is in dnsperf format ("name TYPE" per line), cycled in order. Prints one JSON object.
import dgram from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import dnsPacket from 'dns-packet';

const arg = (k: string, d: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d;
const host = arg('host', '127.0.0.1');
const port = Number(arg('port', '53'));
const rate = Number(arg('rate', '20000'));
const durationS = Number(arg('duration', '10'));
const timeoutMs = Number(arg('timeout', '1')) * 1000;
const file = arg('file', '');
/** Seconds of identical load sent first and left out of every statistic (JIT warm-up on both sides). */
const warmupMs = Number(arg('warmup', '1')) * 1000;
/** Diagnostics: write each answer slower than 5 ms here ("epoch ms sent, latency ms" per line), to lay beside the server's GC log. */
const slowOut = arg('slow-out', '');
const slow: string[] = [];
if (!file || !port || !(rate > 0) || !(durationS > 0)) {
  console.error('usage: loadgen --port=P --file=F [--rate=R] [--duration=S] [--timeout=S] [--host=H]');
  process.exit(2);
}

const queries: Buffer[] = [];
for (const line of readFileSync(file, 'utf8').split('\n')) {
  const [name, type] = line.trim().split(/\s+/);
  if (!name || !type || name.startsWith(';')) continue;
  queries.push(
    dnsPacket.encode({ type: 'query', id: 0, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: name.replace(/\.$/, ''), type: type as dnsPacket.RecordType, class: 'IN' }] }),
  );
}
if (queries.length === 0) {
  console.error(`loadgen: no queries in ${file}`);
  process.exit(2);
}

const total = Math.round(rate * (durationS + warmupMs / 1000));
const sendAt = new Float64Array(65536); // 0 = no query pending on this ID
const qOf = new Int32Array(65536);
const seqOf = new Float64Array(65536);
const HMAX = Math.ceil(timeoutMs * 1000);
const hist = new Uint32Array(HMAX + 1);
const rcodes = new Map<number, number>();
const seconds = Math.ceil(durationS) + 2;
const perSec = Array.from({ length: seconds }, () => ({ sent: 0, recv: 0, lost: 0, maxUs: 0, over5ms: 0 }));
let sent = 0;
let received = 0;
let lost = 0;
let late = 0;
let mismatched = 0;
let sendErrors = 0;
let maxUs = 0;
let sumUs = 0;
let oldest = 0; // oldest sequence number that may still be pending
let lateTicks = 0;
let warmupSent = 0;
/** performance.now() from which queries count (t0 + warm-up). */
let m0 = 0;
let lastSendAt = 0;

const sock = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: 8 << 20, sendBufferSize: 8 << 20 });
let t0 = 0;
const startEpochMs = Date.now();

sock.on('message', (msg) => {
  const now = performance.now();
  if (msg.length < 12) return;
  const id = msg.readUInt16BE(0);
  const at = sendAt[id]!;
  if (at === 0) {
    late++;
    return;
  }
  const q = queries[qOf[id]!]!;
  if (msg.length < q.length || msg.compare(q, 12, q.length, 12, q.length) !== 0) {
    mismatched++;
    return;
  }
  sendAt[id] = 0;
  if (at < m0) return; // warm-up query
  received++;
  const us = Math.min(HMAX, Math.round((now - at) * 1000));
  hist[us]!++;
  sumUs += us;
  if (us > maxUs) maxUs = us;
  const rc = msg[3]! & 0x0f;
  rcodes.set(rc, (rcodes.get(rc) ?? 0) + 1);
  const s = perSec[Math.min(seconds - 1, Math.floor((at - m0) / 1000))]!;
  s.recv++;
  if (us > s.maxUs) s.maxUs = us;
  if (us > 5000) {
    s.over5ms++;
    if (slowOut && slow.length < 100_000) slow.push(`${(performance.timeOrigin + at).toFixed(3)} ${(us / 1000).toFixed(3)}`);
  }
});

function sweep(now: number, all: boolean): void {
  while (oldest < sent) {
    const id = oldest & 0xffff;
    const at = sendAt[id]!;
    if (at !== 0 && seqOf[id] === oldest) {
      if (!all && now - at < timeoutMs) break;
      sendAt[id] = 0;
      if (at >= m0) {
        lost++;
        perSec[Math.min(seconds - 1, Math.floor((at - m0) / 1000))]!.lost++;
      }
    }
    oldest++;
  }
}

function sendOne(now: number): void {
  const seq = sent;
  const id = seq & 0xffff;
  if (sendAt[id] !== 0) {
    // Only possible above ~65k queries per timeout: count the old one lost rather than confuse them.
    sendAt[id] = 0;
    lost++;
  }
  const qi = seq % queries.length;
  const q = queries[qi]!;
  const b = Buffer.allocUnsafe(q.length);
  q.copy(b);
  b.writeUInt16BE(id, 0);
  sendAt[id] = now;
  qOf[id] = qi;
  seqOf[id] = seq;
  sent++;
  lastSendAt = now;
  if (now < m0) warmupSent++;
  else perSec[Math.min(seconds - 1, Math.floor((now - m0) / 1000))]!.sent++;
  sock.send(b, port, host, (err) => {
    if (err) sendErrors++;
  });
}

function tick(): void {
  const now = performance.now();
  const due = Math.min(total, Math.floor(((now - t0) / 1000) * rate));
  if (due - sent > rate / 100) lateTicks++; // more than 10 ms behind schedule
  while (sent < due) sendOne(performance.now());
  sweep(now, false);
  if (sent < total) setTimeout(tick, 1);
  else setTimeout(finish, timeoutMs + 100);
}

function pct(p: number): number {
  const want = Math.ceil(received * p);
  let acc = 0;
  for (let i = 0; i <= HMAX; i++) {
    acc += hist[i]!;
    if (acc >= want && want > 0) return i / 1000;
  }
  return NaN;
}

function finish(): void {
  sweep(performance.now(), true);
  const measured = sent - warmupSent;
  const names: Record<number, string> = { 0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED' };
  const out = {
    host,
    port,
    file,
    rate,
    durationS,
    timeoutS: timeoutMs / 1000,
    startEpochMs,
    warmupS: warmupMs / 1000,
    warmupSent,
    sent: measured,
    received,
    lost,
    late,
    mismatched,
    sendErrors,
    achievedRate: Math.round(measured / Math.max(durationS, (lastSendAt - m0) / 1000)),
    lateTicks,
    rcodes: Object.fromEntries([...rcodes].map(([k, v]) => [names[k] ?? `RCODE${k}`, v])),
    latencyMs: { p50: pct(0.5), p90: pct(0.9), p99: pct(0.99), p999: pct(0.999), max: maxUs / 1000, mean: received ? sumUs / received / 1000 : NaN },
    perSecond: perSec.map((s, t) => ({ t, sent: s.sent, recv: s.recv, lost: s.lost, maxMs: s.maxUs / 1000, over5ms: s.over5ms })).filter((s) => s.sent > 0),
  };
  process.stdout.write(JSON.stringify(out) + '\n');
  if (slowOut) writeFileSync(slowOut, slow.join('\n') + '\n');
  sock.close();
  process.exit(0);
}

// Hard cap: whatever happens, this process ends.
setTimeout(() => {
  console.error('loadgen: hard time limit reached');
  process.exit(3);
}, (durationS + warmupMs / 1000 + timeoutMs / 1000 + 10) * 1000).unref();

sock.bind(0, () => {
  t0 = performance.now();
  m0 = t0 + warmupMs;
  tick();
});
