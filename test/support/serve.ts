// Starting a server process on a stand-in master (serving the original's fixture, or a generated
// state), a plain HTTP GET against it, and a task added to a generated state: the set-up the
// end-to-end tests shared as copies.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import { startStandInMaster, rewriteLeader, type StandInMaster } from '../../src/demo/master.js';
import { StateGen } from '../../bench/gen-state.js';
import { ROOT, startServerProcess, type ServerProcess } from './procs.js';

export interface HttpReply { status: number; headers: http.IncomingHttpHeaders; body: Buffer }

/** GET on a fresh connection (no agent: tests count connections), the whole body collected. */
export function httpGet(port: number, path: string): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

export interface GeneratedServerOptions {
  tasks: number;
  seed: number;
  /** Config keys on top of the masters and RefreshSeconds 600. */
  config?: Record<string, unknown>;
  /** Open-file limit of the server process (procs.ts startServerProcess). */
  fdLimit?: number;
  /** How long the first refresh may take. */
  firstRefreshMs?: number;
}

/**
 * A stand-in master serving a generated state of `tasks` tasks, and a server polling it (no
 * refresh after the first within a test's time); both stopped at the test's teardown.
 */
export async function startOnGeneratedState(t: Test, o: GeneratedServerOptions): Promise<ServerProcess> {
  const m = await startStandInMaster({ host: '127.0.0.1', port: 0, state: {} });
  m.setState(rewriteLeader(new StateGen({ tasks: o.tasks, seed: o.seed, leader: 'master@127.0.0.1:5050' }).serialize(), `127.0.0.1:${m.port}`));
  const s = await startServerProcess({ masters: [`127.0.0.1:${m.port}`], refreshSeconds: 600, ...o.config }, [],
    o.fdLimit !== undefined ? { fdLimit: o.fdLimit } : {});
  t.teardown(async () => { await s.stop(); await m.close(); });
  await s.waitLog('refresh', 1, o.firstRefreshMs);
  return s;
}

type Json = Record<string, unknown>;

/**
 * Add a running task named `name` with the container address `ip` to the first framework of
 * `gen`'s state: a copy of one of its running tasks, without discovery info.
 */
export function addRunningTask(gen: StateGen, name: string, ip: string): void {
  const fw = (gen.state.frameworks as Json[])[0]!;
  const tasks = fw.tasks as Json[];
  const task = structuredClone(tasks.find((x) => x.state === 'TASK_RUNNING')!);
  task.name = name;
  task.id = `${name}.${gen.rng.uuid()}`;
  delete task.discovery;
  for (const st of task.statuses as Json[]) {
    st.container_status = { network_infos: [{ ip_addresses: [{ protocol: 'IPv4', ip_address: ip }], name: 'dcos' }] };
  }
  tasks.push(task);
}

const fixture = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'fake.json'), 'utf8')) as object;

/**
 * A stand-in master serving test/fixtures/fake.json (the original's fixture), and a server polling
 * it with ExternalOn off unless `config` says otherwise; both stopped at the test's teardown.
 * Resolves after the first refresh.
 */
export async function startOnFixture(t: Test, config: Record<string, unknown> = {}): Promise<{ m: StandInMaster; s: ServerProcess }> {
  const m = await startStandInMaster({ host: '127.0.0.1', port: 0, state: {} });
  m.setState(rewriteLeader(structuredClone(fixture), `127.0.0.1:${m.port}`));
  const s = await startServerProcess({ masters: [`127.0.0.1:${m.port}`], externalon: false, ...config });
  t.teardown(async () => { await s.stop(); await m.close(); });
  await s.waitLog('refresh');
  return { m, s };
}
