// Start the real mesos-dns process (bin/mesos-dns, built dist/) with a config written to a temp
// dir, read its pino log lines, and stop it. Also: temp dirs, bounded waiting, and free ports
// (ports.ts, shared with the bench).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';

export { freePort };

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'bin', 'mesos-dns');

/** The environment for child processes: without tap's loader hooks, which must not run inside the server. */
export function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  for (const k of Object.keys(env)) if (k.startsWith('TAP') || k.startsWith('_TAPJS')) delete env[k];
  return env;
}

export function tempDir(prefix = 'mesos-dns-test-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs = 30_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface LogLine { level: number; msg: string; [k: string]: unknown }

export interface ServerProcess {
  proc: ChildProcess;
  dnsPort: number;
  httpPort: number;
  configPath: string;
  logs: LogLine[];
  stderr: () => string;
  /** Resolves with the n-th log line (counting from 1) whose msg is `msg`. */
  waitLog(msg: string, n?: number, timeoutMs?: number): Promise<LogLine>;
  stop(): Promise<number | null>;
}

interface StartOptions { /** Run under this open-file limit (soft and hard), via util-linux prlimit. */ fdLimit?: number }

/**
 * Start mesos-dns with `config` (ports filled in when absent) and wait until it listens. A start that
 * lost a port we picked to another parallel test (EADDRINUSE) is retried on fresh ports.
 */
export async function startServerProcess(config: Record<string, unknown>, args: string[] = [],
  o: StartOptions = {}): Promise<ServerProcess> {
  const ownPorts = config.port === undefined || config.httpport === undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startServerOnce(config, args, o);
    } catch (e) {
      if (!ownPorts || attempt >= 4 || !String((e as Error).message).includes('EADDRINUSE')) throw e;
    }
  }
}

async function startServerOnce(config: Record<string, unknown>, args: string[], o: StartOptions): Promise<ServerProcess> {
  const { dir, cleanup } = tempDir();
  const dnsPort = (config.port as number | undefined) ?? await freePort();
  const httpPort = (config.httpport as number | undefined) ?? await freePort();
  // No lameduck unless a test asks for one: stop() would wait ShutdownGraceSeconds (5) every time.
  // Polling unless a test asks for the stream: most end-to-end tests pin polling's behaviour
  // (refresh log lines, state fetches); test/e2e-stream*.test.ts cover the stream. One answering
  // thread unless a test asks for more (answer-threads, e2e-dns-threads): "auto" varies with the runtime.
  const full = { listener: '127.0.0.1', httplistener: '127.0.0.1', shutdowngraceseconds: 0, statesource: 'poll', answerthreads: 1, ...config, port: dnsPort, httpport: httpPort };
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify(full, null, 2));
  const argv = [process.execPath, BIN, `-config=${configPath}`, ...args];
  if (o.fdLimit !== undefined) argv.unshift('prlimit', `--nofile=${o.fdLimit}:${o.fdLimit}`, '--'); // prlimit execs: same pid
  const proc = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv() });
  const logs: LogLine[] = [];
  let err = '';
  let partial = '';
  const listeners: (() => void)[] = [];
  proc.stderr!.on('data', (c: Buffer) => {
    err += c.toString();
    partial += c.toString();
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const l of lines) {
      try { logs.push(JSON.parse(l) as LogLine); } catch { /* not a log line */ }
    }
    listeners.forEach((f) => f());
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const waitLog = (msg: string, n = 1, timeoutMs = 30_000) => new Promise<LogLine>((resolve, reject) => {
    const check = () => {
      const found = logs.filter((l) => l.msg === msg);
      if (found.length >= n) { resolve(found[n - 1]); return true; }
      return false;
    };
    if (check()) return;
    const timer = setTimeout(() => reject(new Error(`timed out waiting for log "${msg}" #${n}; stderr:\n${err}`)), timeoutMs);
    listeners.push(() => { if (check()) clearTimeout(timer); });
    void exited.then((code) => { clearTimeout(timer); if (!check()) reject(new Error(`server exited (${code}) before log "${msg}"; stderr:\n${err}`)); });
  });
  const sp: ServerProcess = {
    proc, dnsPort, httpPort, configPath, logs, stderr: () => err, waitLog,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(t);
      cleanup();
      return code;
    },
  };
  try {
    await waitLog('listening');
  } catch (e) {
    await sp.stop();
    throw e;
  }
  return sp;
}

/** Run the CLI to completion (for config errors, -version ...). */
export function runCli(args: string[], timeoutMs = 20_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv() });
    let stdout = '', stderr = '';
    p.stdout.on('data', (c) => (stdout += c));
    p.stderr.on('data', (c) => (stderr += c));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('exit', (code) => { clearTimeout(t); resolve({ code, stdout, stderr }); });
  });
}

export function writeJSON(path: string, v: unknown): void { writeFileSync(path, JSON.stringify(v)); }

/** Stops a helper daemon (named, unbound): SIGTERM, SIGKILL after 5 s, then removes its directory. */
export async function stopDaemon(child: ChildProcess, exited: () => boolean, exitP: Promise<void>, dir: string): Promise<void> {
  if (!exited()) {
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exitP;
    clearTimeout(t);
  }
  rmSync(dir, { recursive: true, force: true });
}
