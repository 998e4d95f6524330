// Command line entry: flags → config (exit 1 naming the key on any error, before anything
// listens: A.19) → server. `-demo` runs the whole pipeline against a built-in stand-in master
// serving a bundled example cluster, so a newcomer can `dig` real answers with no Mesos around.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseFlags, USAGE } from './config/flags.js';
import { loadConfig, defaultConfig } from './config/load.js';
import { ConfigError } from './config/error.js';
import type { Config } from './config/types.js';
import { createLogger, type Logger } from './log.js';
import { startServer, VERSION, type RunningServer } from './server.js';
import { startStandInMaster, rewriteLeader, type StandInMaster } from './demo/master.js';

const DEMO_STATE = fileURLToPath(new URL('../../src/demo/example-state.json', import.meta.url));

async function demoConfig(log: Logger): Promise<{ config: Config; master: StandInMaster }> {
  const state = JSON.parse(readFileSync(DEMO_STATE, 'utf8')) as object;
  const master = await startStandInMaster({ host: '127.0.0.1', port: 0, state: {} });
  master.setState(rewriteLeader(state, `127.0.0.1:${master.port}`));
  log.info({ master: `127.0.0.1:${master.port}` }, 'demo: stand-in Mesos master serving the bundled example cluster');
  const config: Config = {
    ...defaultConfig(),
    Masters: [`127.0.0.1:${master.port}`],
    Listener: '127.0.0.1', Port: 8053,
    HTTPListener: '127.0.0.1', HttpPort: 8123,
    ExternalOn: false, // the demo never sends queries off this machine
    File: 'demo (built-in)',
  };
  return { config, master };
}

/**
 * SIGUSR1 and SIGHUP, handled from the start. Why: Node's default for SIGUSR1 opens its inspector
 * on 127.0.0.1:9229 — code execution for any local user — and SIGHUP's default ends the process
 * without a word. A listener replaces each default. SIGUSR1 asks for a refresh once the server
 * runs; SIGHUP is logged and ignored (no reload meaning yet).
 */
function installSignalHandlers(log: Logger, running: () => RunningServer | null): void {
  process.on('SIGUSR1', () => {
    const server = running();
    log.info({ signal: 'SIGUSR1' }, server ? 'SIGUSR1: refreshing now' : 'SIGUSR1: not serving yet, ignored');
    void server?.refreshNow();
  });
  process.on('SIGHUP', () => log.info({ signal: 'SIGHUP' }, 'SIGHUP ignored'));
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
  if (flags.version) { process.stdout.write(`${VERSION}\n`); return 0; }
  const log = createLogger(flags.verbosity);
  let server: RunningServer | null = null;
  installSignalHandlers(log, () => server);

  let config: Config;
  let master: StandInMaster | null = null;
  try {
    if (flags.demo) ({ config, master } = await demoConfig(log));
    else config = loadConfig(flags.config, { warn: (msg) => log.warn(msg) });
  } catch (err) {
    const msg = err instanceof ConfigError ? err.message : `configuration error: ${(err as Error).message}`;
    process.stderr.write(`mesos-dns: ${msg}\n`);
    log.flush?.();
    return 1;
  }
  log.debug({ config: { ...config, MesosCredentials: { Principal: config.MesosCredentials.Principal, Secret: config.MesosCredentials.Secret ? '******' : '' } } }, 'configuration');

  let started: RunningServer;
  try {
    started = server = await startServer(config, log);
  } catch (err) {
    process.stderr.write(`mesos-dns: cannot start: ${(err as Error).message}\n`);
    await master?.close();
    return 1;
  }
  if (flags.demo) {
    process.stderr.write(
      `mesos-dns demo: DNS on 127.0.0.1:${started.dnsPort}, HTTP on http://127.0.0.1:${started.httpPort}\n` +
      `  try: dig @127.0.0.1 -p ${started.dnsPort} leader.mesos\n` +
      `       dig @127.0.0.1 -p ${started.dnsPort} _liquor-store._tcp.marathon.mesos SRV\n` +
      `       curl http://127.0.0.1:${started.httpPort}/v1/hosts/liquor-store.marathon.mesos\n`);
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (sig: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal: sig }, 'stopping');
      void Promise.allSettled([started.close(), master?.close()]).then(() => { log.flush?.(); resolve(0); });
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}
