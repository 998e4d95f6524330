// Process plumbing for the bench: free ports, CPU-pinned children, /proc accounting, clean stops.
// Why /proc: CPU seconds and RSS must come from the kernel's view of the measured process itself,
// not from anything the process reports, so any server (ours, the baseline, or the original Go
// binary) is measured the same way. Every child is registered so that an abort (wrong answers,
// Ctrl-C, exceptions) still stops everything the bench started, by pid, and nothing else.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

// The tests' port picker (below the ephemeral range, checked for UDP and TCP): one copy for both.
export { freePort } from '../test/support/ports.js';

const children = new Set<ChildProcess>();

export const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

export interface Spawned {
  child: ChildProcess;
  pid: number;
  /** Every stderr line so far. */
  stderrLines: string[];
  stdoutLines: string[];
  exited: Promise<number | null>;
  onStderrLine(cb: (line: string) => void): void;
}

/** Starts `cmd args` under `taskset -c <cpu>` (taskset execs, so the pid is the program's own). */
export function spawnPinned(cpu: string | null, cmd: string, args: string[], env?: NodeJS.ProcessEnv): Spawned {
  const full = cpu === null ? [cmd, ...args] : ['taskset', '-c', cpu, cmd, ...args];
  const child = spawn(full[0]!, full.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
  children.add(child);
  const stderrLines: string[] = [];
  const stdoutLines: string[] = [];
  const listeners: ((l: string) => void)[] = [];
  const splitter = (sink: string[], notify: boolean) => {
    let rest = '';
    return (d: Buffer) => {
      rest += d.toString('utf8');
      let i: number;
      while ((i = rest.indexOf('\n')) >= 0) {
        const line = rest.slice(0, i);
        rest = rest.slice(i + 1);
        sink.push(line);
        if (notify) for (const l of listeners) l(line);
      }
    };
  };
  child.stdout!.on('data', splitter(stdoutLines, false));
  child.stderr!.on('data', splitter(stderrLines, true));
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      children.delete(child);
      resolve(code);
    });
    child.on('error', () => {
      children.delete(child);
      resolve(null);
    });
  });
  if (child.pid === undefined) throw new Error(`could not start ${full.join(' ')}`);
  return { child, pid: child.pid, stderrLines, stdoutLines, exited, onStderrLine: (cb) => listeners.push(cb) };
}

/** SIGTERM, then SIGKILL after `graceMs`. Resolves when the process has exited. */
export async function stop(s: Spawned, graceMs = 5000): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  s.child.kill('SIGTERM');
  const t = setTimeout(() => s.child.kill('SIGKILL'), graceMs);
  await s.exited;
  clearTimeout(t);
}

/** Kills every child still running (used on abort). */
export function killAll(): void {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

/** utime + stime of a process, in seconds. */
export function cpuSeconds(pid: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    throw new Error(`process ${pid} is gone (cannot read /proc/${pid}/stat)`);
  }
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After "pid (comm) ": state is field 3, so utime (14) and stime (15) are rest[11] and rest[12].
  return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
}

/** VmRSS and VmHWM (peak RSS) in MiB. */
export function memMiB(pid: number): { rss: number; hwm: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const get = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN) / 1024;
  return { rss: get('VmRSS'), hwm: get('VmHWM') };
}

/** Pins this process (all its threads) to `cpu`; returns false if taskset is unavailable. */
export function pinSelf(cpu: string): boolean {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cpu, String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits for the first stdout line of a child that prints JSON when ready (baseline). */
export async function waitStdoutJson(s: Spawned, timeoutMs: number): Promise<Record<string, unknown>> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const line = s.stdoutLines.find((l) => l.startsWith('{'));
    if (line) return JSON.parse(line) as Record<string, unknown>;
    if (s.child.exitCode !== null) break;
    await sleep(10);
  }
  throw new Error(`child ${s.pid} did not report readiness; stderr: ${s.stderrLines.slice(-5).join(' | ')}`);
}

export interface ThreadCpu {
  tid: number; comm: string; nice: number; cpu: number;
  /** Of `cpu`, the seconds in the kernel. */
  sys: number;
  /** Context switches: voluntary (the thread slept, to be woken later) and involuntary (preempted). */
  slept: number; preempted: number;
}

/** Per-thread CPU seconds, nice values and switches of `pid` from /proc/<pid>/task/ (threads that exit meanwhile are skipped). */
export function threadStats(pid: number): ThreadCpu[] {
  const out: ThreadCpu[] = [];
  let tids: string[] = [];
  try { tids = readdirSync(`/proc/${pid}/task`); } catch { return out; }
  for (const t of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // After "tid (comm) ": utime, stime are fields 14, 15 (rest[11], rest[12]); nice is 19 (rest[16]).
      const status = readFileSync(`/proc/${pid}/task/${t}/status`, 'utf8');
      const count = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
      out.push({
        tid: Number(t), comm, nice: Number(rest[16]), cpu: (Number(rest[11]) + Number(rest[12])) / CLK_TCK, sys: Number(rest[12]) / CLK_TCK,
        slept: count('voluntary_ctxt_switches'), preempted: count('nonvoluntary_ctxt_switches'),
      });
    } catch { /* thread gone */ }
  }
  return out;
}
