// Runs dnsperf (pinned to its own core) and parses its summary. Why dnsperf for the rates and not
// our loadgen: it is the standard closed-loop tool (keeps N queries outstanding and measures the
// highest rate the server sustains), in C, so the client side costs as little as possible; the
// published numbers for the original Mesos-DNS were taken with it. Its per-timeout lines go to
// stdout too, so only the "Statistics" block is parsed. The run is bounded by -l plus a kill timer.
import { spawnPinned, stop, type Spawned } from './proc.js';

export interface DnsperfOptions {
  port: number;
  file: string;
  seconds: number;
  /** dnsperf -c (client sockets). */
  clients: number;
  /** dnsperf -q (max outstanding). */
  outstanding: number;
  /** dnsperf -t (query timeout, s). */
  timeoutS: number;
  cpu: string | null;
  /** dnsperf -Q: offer at most this many queries/s (open loop below saturation); absent: as fast as answered. */
  qps?: number;
}

export interface DnsperfResult {
  sent: number;
  completed: number;
  lost: number;
  qps: number;
  runTimeS: number;
  rcodes: Record<string, number>;
  avgLatencyMs: number;
  maxLatencyMs: number;
  command: string;
}

export function dnsperfArgs(o: DnsperfOptions): string[] {
  return ['-s', '127.0.0.1', '-p', String(o.port), '-d', o.file, '-l', String(o.seconds), '-c', String(o.clients), '-T', '1', '-q', String(o.outstanding), '-t', String(o.timeoutS), ...(o.qps ? ['-Q', String(o.qps)] : [])];
}

export function parseDnsperf(text: string): Omit<DnsperfResult, 'command'> {
  const num = (re: RegExp) => {
    const m = re.exec(text);
    if (!m) throw new Error(`dnsperf output lacks ${re}: ${text.slice(-600)}`);
    return Number(m[1]);
  };
  const rcodes: Record<string, number> = {};
  const rc = /Response codes:\s*(.*)/.exec(text)?.[1] ?? '';
  for (const m of rc.matchAll(/([A-Z]+) (\d+) \(/g)) rcodes[m[1]!] = Number(m[2]);
  const lat = /Average Latency \(s\):\s*([\d.]+) \(min [\d.]+, max ([\d.]+)\)/.exec(text);
  return {
    sent: num(/Queries sent:\s*(\d+)/),
    completed: num(/Queries completed:\s*(\d+)/),
    lost: num(/Queries lost:\s*(\d+)/),
    qps: num(/Queries per second:\s*([\d.]+)/),
    runTimeS: num(/Run time \(s\):\s*([\d.]+)/),
    rcodes,
    avgLatencyMs: lat ? Number(lat[1]) * 1000 : NaN,
    maxLatencyMs: lat ? Number(lat[2]) * 1000 : NaN,
  };
}

export async function runDnsperf(o: DnsperfOptions): Promise<DnsperfResult> {
  const args = dnsperfArgs(o);
  const p: Spawned = spawnPinned(o.cpu, 'dnsperf', args);
  const kill = setTimeout(() => void stop(p, 1000), (o.seconds + o.timeoutS + 10) * 1000);
  const code = await p.exited;
  clearTimeout(kill);
  const text = p.stdoutLines.join('\n');
  if (code !== 0) throw new Error(`dnsperf exited with ${code}: ${p.stderrLines.join(' ').slice(0, 400)} ${text.slice(-400)}`);
  return { ...parseDnsperf(text), command: `dnsperf ${args.join(' ')}` };
}
