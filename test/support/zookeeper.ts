// A real ZooKeeper (Debian's 3.8 jar) for tests, started in the foreground on 127.0.0.1 with a
// free port and a temporary dataDir. Tests talk to the real thing because the behaviour under test
// (watches, session expiry, reconnects, sequence numbering) is ZooKeeper's, and a fake would only
// encode our own assumptions. restart() keeps the port and the data so that a client can come back
// to "the same ensemble"; pause()/resume() (SIGSTOP/SIGCONT) simulate a server that is up on TCP
// but no longer answers, which a stop cannot show.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import net from 'node:net';
import zookeeper from 'node-zookeeper-client';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './procs.js';

export interface ZooKeeperServer {
  port: number;
  host: string;
  /** `host:port`, ready for node-zookeeper-client or a zk:// URL. */
  connectString: string;
  dataDir: string;
  /** Graceful stop (SIGTERM, SIGKILL after a bound); data kept for restart(). Idempotent. */
  stop(): Promise<void>;
  /** Abrupt stop (SIGKILL): the way a crashed server disappears. Data kept. */
  kill(): Promise<void>;
  /** Start again on the same port with the same data (stopping first if running). */
  restart(): Promise<void>;
  /** Stop and delete the temporary directory: call once at the end of a test. */
  dispose(): Promise<void>;
  /** Freeze / unfreeze the JVM: connections stay open but nothing answers. */
  pause(): void;
  resume(): void;
  running(): boolean;
  /** The server's own output so far, for diagnosing a failed test. */
  log(): string;
}

export interface StartOptions {
  /** Listen address; loopback only. Default 127.0.0.1. */
  host?: '127.0.0.1' | '::1';
  /** Fixed port (e.g. one chosen earlier); default: a free one. */
  port?: number;
  /** ZooKeeper tickTime in ms (sessions are 2..20 ticks). Default 2000. */
  tickTime?: number;
  readyTimeoutMs?: number;
}

const CLASSPATH = '/etc/zookeeper/conf:/usr/share/java/zookeeper.jar';
const live = new Set<ChildProcess>();

// A test that throws must not leave a JVM behind holding a port.
process.once('exit', () => {
  for (const p of live) {
    try {
      p.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
});


/** Send a four-letter word and return the whole reply ("" when nothing listens). */
export function fourLetter(host: string, port: number, word: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    const sock = net.connect({ host, port });
    const done = () => {
      sock.destroy();
      resolve(out);
    };
    sock.setTimeout(timeoutMs, done);
    sock.on('connect', () => sock.write(word));
    sock.on('data', (d) => (out += d.toString()));
    sock.on('error', done);
    sock.on('close', done);
  });
}

export { freePort }; // detect-zk's tests take it from here

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startZooKeeper(opts: StartOptions = {}): Promise<ZooKeeperServer> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? (await freePort(host));
  const tickTime = opts.tickTime ?? 2000;
  const readyTimeoutMs = opts.readyTimeoutMs ?? 30_000;
  const base = mkdtempSync(join(tmpdir(), 'zk-test-'));
  const dataDir = join(base, 'data');
  const cfg = join(base, 'zoo.cfg');
  const logFile = join(base, 'zookeeper.log');
  writeFileSync(
    cfg,
    [
      `tickTime=${tickTime}`,
      `dataDir=${dataDir}`,
      `clientPort=${port}`,
      `clientPortAddress=${host}`,
      'admin.enableServer=false',
      '4lw.commands.whitelist=ruok,srvr',
      'maxClientCnxns=0',
      '',
    ].join('\n'),
  );

  let proc: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();

  async function launch(): Promise<void> {
    const fd = openSync(logFile, 'a');
    const child = spawn(
      'java',
      [
        '-Xmx128m',
        '-XX:+UseSerialGC',
        '-Dzookeeper.jmx.log4j.disable=true',
        '-cp',
        CLASSPATH,
        'org.apache.zookeeper.server.ZooKeeperServerMain',
        cfg,
      ],
      { stdio: ['ignore', fd, fd] },
    );
    closeSync(fd);
    proc = child;
    live.add(child);
    exited = new Promise((resolve) =>
      child.once('exit', () => {
        live.delete(child);
        if (proc === child) proc = null;
        resolve();
      }),
    );
    const deadline = Date.now() + readyTimeoutMs;
    while (Date.now() < deadline) {
      if (proc !== child) throw new Error(`ZooKeeper exited during start-up:\n${readLog()}`);
      if ((await fourLetter(host, port, 'ruok', 500)) === 'imok') return;
      await sleep(100);
    }
    child.kill('SIGKILL');
    throw new Error(`ZooKeeper not ready on ${host}:${port} after ${readyTimeoutMs} ms:\n${readLog()}`);
  }

  function readLog(): string {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  }

  async function halt(signal: NodeJS.Signals): Promise<void> {
    const p = proc;
    if (!p) return;
    p.kill('SIGCONT'); // a paused JVM cannot act on SIGTERM
    p.kill(signal);
    const killer = setTimeout(() => p.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  }

  await launch();
  const hostPart = host.includes(':') ? `[${host}]` : host;

  return {
    port,
    host,
    connectString: `${hostPart}:${port}`,
    dataDir,
    async stop() {
      await halt('SIGTERM');
    },
    async kill() {
      await halt('SIGKILL');
    },
    async restart() {
      await halt('SIGTERM');
      await launch();
    },
    async dispose() {
      await halt('SIGKILL');
      rmSync(base, { recursive: true, force: true });
    },
    pause() {
      proc?.kill('SIGSTOP');
    },
    resume() {
      proc?.kill('SIGCONT');
    },
    running: () => proc !== null,
    log: readLog,
  };
}

// ---------------------------------------------------------------- test clients (playing Mesos masters)

/**
 * A plain node-zookeeper-client session for tests. `sessionTimeoutMs` long enough keeps ephemeral
 * nodes alive across a ZooKeeper restart. "[v6]:port" is handed over the way the detector does,
 * because the library cannot parse it.
 */
export function connectClient(connectString: string, o: { sessionTimeoutMs?: number; connectTimeoutMs?: number } = {}): Promise<zookeeper.Client> {
  return new Promise((resolve, reject) => {
    const v6 = /^\[(.+)\]:(\d+)$/.exec(connectString);
    const c = zookeeper.createClient(v6 ? 'placeholder:1' : connectString, { sessionTimeout: o.sessionTimeoutMs ?? 10_000, spinDelay: 200, retries: 0 });
    if (v6) (c as unknown as { connectionManager: { servers: unknown[] } }).connectionManager.servers = [{ host: v6[1], port: Number(v6[2]) }];
    const tm = setTimeout(() => reject(new Error('test ZooKeeper client could not connect')), o.connectTimeoutMs ?? 10_000);
    c.once('connected', () => {
      clearTimeout(tm);
      resolve(c);
    });
    c.connect();
  });
}

export function closeClient(c: zookeeper.Client): Promise<void> {
  return new Promise((resolve) => {
    const tm = setTimeout(resolve, 2000);
    c.once('disconnected', () => {
      clearTimeout(tm);
      resolve();
    });
    c.close();
  });
}
