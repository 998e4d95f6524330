// Command line entry: flags → config (exit 1 naming the key on any error, before anything
// listens: [A.19]) → server. `-demo` runs the whole pipeline against a built-in stand-in master
// serving a bundled example cluster, so a newcomer can `dig` real answers with no Mesos around.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseFlags, USAGE } from './config/flags.js';
import { loadSettings, defaultConfig, settingsOf } from './config/load.js';
import { ConfigError } from './config/error.js';
import type { Config, Settings } from './config/types.js';
import { createLogger, type Logger } from './log.js';
import { startServer, VERSION, type RunningServer } from './server.js';
import type { StandInMaster } from './demo/master.js';
import { RUNTIME } from './runtime.js';

const DEMO_STATE = fileURLToPath(new URL('../../src/demo/example-state.json', import.meta.url));

function envPort(name: string, def: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError('', `${name}: expected a port number, got ${JSON.stringify(v)}`);
  return n;
}

async function demoConfig(log: Logger): Promise<{ config: Config; master: StandInMaster }> {
  const state = JSON.parse(readFileSync(DEMO_STATE, 'utf8')) as object;
  // Loaded only for -demo: a server's start-up does not load the stand-in master.
  const { startStandInMaster, rewriteLeader } = await import('./demo/master.js');
  const master = await startStandInMaster({ host: '127.0.0.1', port: 0, state: {} });
  master.setState(rewriteLeader(state, `127.0.0.1:${master.port}`));
  log.info({ master: `127.0.0.1:${master.port}` }, 'demo: stand-in Mesos master serving the bundled example cluster');
  const config: Config = {
    ...defaultConfig(),
    Masters: [`127.0.0.1:${master.port}`],
    // Fixed ports so the README's commands work; MESOS_DNS_DEMO_PORT / MESOS_DNS_DEMO_HTTP_PORT
    // choose others (tests, a second demo).
    Listener: '127.0.0.1', Port: envPort('MESOS_DNS_DEMO_PORT', 8053),
    HTTPListener: '127.0.0.1', HttpPort: envPort('MESOS_DNS_DEMO_HTTP_PORT', 8123),
    ExternalOn: false, // the demo never sends queries off this machine
    File: 'demo (built-in)',
  };
  return { config, master };
}

/**
 * SIGUSR1 and SIGHUP, handled from the start. Why: Node's default for SIGUSR1 opens its inspector
 * on 127.0.0.1:9229 — code execution for any local user — and SIGHUP's default ends the process
 * without a word. A listener replaces each default. SIGUSR1 asks for a refresh once the server
 * runs; SIGHUP re-reads the config file (`reload`), as BIND and most daemons do.
 */
function installSignalHandlers(log: Logger, running: () => RunningServer | null, reload: () => void): void {
  process.on('SIGUSR1', () => {
    const server = running();
    log.info({ signal: 'SIGUSR1' }, server ? 'SIGUSR1: refreshing now' : 'SIGUSR1: not serving yet, ignored');
    void server?.refreshNow();
  });
  process.on('SIGHUP', reload);
}

/**
 * SIGHUP: read and validate the config file again and hand it to the server, which applies it
 * without dropping a query. An invalid file changes nothing: the error is logged (naming the key,
 * as at start) and the running config stays. Reloads never overlap; one asked for during another
 * runs right after it.
 */
function reloader(log: Logger, file: string | null, running: () => RunningServer | null): () => void {
  let busy = false;
  let again = false;
  const run = async (): Promise<void> => {
    const server = running();
    if (!server) { log.info({ signal: 'SIGHUP' }, 'SIGHUP: not serving yet, ignored'); return; }
    if (!file) { log.info({ signal: 'SIGHUP' }, 'SIGHUP: the demo has no config file, ignored'); return; }
    log.info({ signal: 'SIGHUP', file }, 'reloading the config');
    let next: Settings;
    try {
      next = loadSettings(file, { warn: (msg) => log.warn({ file }, msg) });
    } catch (err) {
      log.error({ file, key: err instanceof ConfigError ? err.key : undefined, err: (err as Error).message }, 'reload failed; keeping the current config');
      return;
    }
    const t0 = performance.now();
    const applied = await server.reload(next);
    log.info({ file, replaced: applied, ms: Math.round(performance.now() - t0) }, 'config reloaded');
  };
  return () => {
    if (busy) { again = true; return; }
    busy = true;
    const loop = async () => {
      do { again = false; await run().catch((err) => log.error({ err }, 'reload failed')); } while (again);
      busy = false;
    };
    void loop();
  };
}

export async function main(argv: string[]): Promise<number> {
  let flags;
  try {
    flags = parseFlags(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (flags.help) { process.stderr.write(USAGE); return 0; }
  // First line: the version alone, as the original prints it (scripts read it); then the runtime.
  if (flags.version) { process.stdout.write(`${VERSION}\n${RUNTIME}\n`); return 0; }
  const log = createLogger(flags.verbosity);
  let server: RunningServer | null = null;
  installSignalHandlers(log, () => server, reloader(log, flags.demo ? null : flags.config, () => server));

  let settings: Settings;
  let master: StandInMaster | null = null;
  try {
    if (flags.demo) {
      let config: Config;
      ({ config, master } = await demoConfig(log));
      settings = settingsOf(config);
    } else settings = loadSettings(flags.config, { warn: (msg) => log.warn(msg) });
  } catch (err) {
    const msg = err instanceof ConfigError ? err.message : `configuration error: ${(err as Error).message}`;
    process.stderr.write(`mesos-dns: ${msg}\n`);
    log.flush?.();
    return 1;
  }
  const config = settings.config;
  log.debug({ config: { ...config, MesosCredentials: { Principal: config.MesosCredentials.Principal, Secret: config.MesosCredentials.Secret ? '******' : '' } } }, 'configuration');

  let started: RunningServer;
  try {
    started = server = await startServer(settings, log);
  } catch (err) {
    process.stderr.write(`mesos-dns: cannot start: ${(err as Error).message}\n`);
    await master?.close();
    return 1;
  }
  if (flags.demo && master) {
    // Names appearing live: the demo master launches a task `demo` in marathon every 3 s and kills
    // it 3 s later, through its event stream (the server is in stream mode by default).
    master.cluster().setChurn(1 / 3, {
      launch: { framework: 'marathon', name: 'demo' },
      onLaunch: (l) => log.info({ task: l.id }, 'demo: the master launched a task (demo.marathon.mesos)'),
      onKill: (id) => log.info({ task: id }, 'demo: the master killed a task'),
    });
    process.stderr.write(
      `mesos-dns demo: DNS on 127.0.0.1:${started.dnsPort}, HTTP on http://127.0.0.1:${started.httpPort}\n` +
      `  try: dig @127.0.0.1 -p ${started.dnsPort} leader.mesos\n` +
      `       dig @127.0.0.1 -p ${started.dnsPort} _liquor-store._tcp.marathon.mesos SRV\n` +
      `       curl http://127.0.0.1:${started.httpPort}/v1/hosts/liquor-store.marathon.mesos\n` +
      `  watch a task come and go: while sleep 0.5; do dig @127.0.0.1 -p ${started.dnsPort} +short _demo._tcp.marathon.mesos SRV; echo --; done\n`);
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    // Lameduck (as CoreDNS's health plugin): /ready turns 503 at once so load balancers and
    // resolvers move away, answers continue for ShutdownGraceSeconds, then the listeners close and
    // forwarded queries in flight finish. A second signal skips the rest of the grace time.
    let graceTimer: NodeJS.Timeout | null = null;
    let finish: (() => void) | null = null;
    const stop = (sig: string) => {
      if (stopping) { if (graceTimer) { clearTimeout(graceTimer); graceTimer = null; finish?.(); } return; }
      stopping = true;
      started.beginShutdown();
      log.info({ signal: sig, graceSeconds: config.ShutdownGraceSeconds }, 'shutting down: lameduck');
      finish = () => {
        finish = null;
        log.info({ signal: sig }, 'stopping');
        void Promise.allSettled([started.close(), master?.close()]).then(() => { log.info('stopped'); log.flush?.(); resolve(0); });
      };
      graceTimer = setTimeout(() => { graceTimer = null; finish?.(); }, config.ShutdownGraceSeconds * 1000);
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}
