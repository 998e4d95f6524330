// The /v1/watch change feed from several clients across changes in the stand-in master: each
// starts with the whole zone (no `since`), then gets one line per new serial naming what was
// added; a client that reconnects with its last serial gets only what it missed; an incremental
// IXFR from the same journal; a bad `since` is a 400.
import t from 'tap';
import http from 'node:http';
import { startStandInMaster, type StandInMaster } from '../src/demo/master.js';
import { StateGen } from '../bench/gen-state.js';
import { startServerProcess, waitFor, type ServerProcess } from './support/procs.js';
import { tcpTransfer, ixfrQuery } from './support/xfr-client.js';
import { addRunningTask } from './support/serve.js';

type Json = Record<string, unknown>;
let master: StandInMaster;
let server: ServerProcess;
let gen: StateGen;

const addTask = (name: string, ip: string) => addRunningTask(gen, name, ip);

t.before(async () => {
  master = await startStandInMaster({ host: '127.0.0.1', port: 0, state: {} });
  gen = new StateGen({ tasks: 300, seed: 5, leader: `master@127.0.0.1:${master.port}` });
  master.setState(gen.serialize());
  server = await startServerProcess({ masters: [`127.0.0.1:${master.port}`], ExternalOn: false, RefreshSeconds: 1 });
  await server.waitLog('refresh');
});
t.teardown(async () => { await server?.stop(); await master?.close(); });

interface Watch { lines: Json[]; status: number; close(): void }

function watch(query = ''): Promise<Watch> {
  return new Promise((resolve, reject) => {
    const lines: Json[] = [];
    const req = http.get(`http://127.0.0.1:${server.httpPort}/v1/watch${query}`, (res) => {
      let partial = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        partial += d;
        const parts = partial.split('\n');
        partial = parts.pop()!;
        for (const p of parts) if (p) lines.push(JSON.parse(p) as Json);
      });
      res.on('error', () => {});
      resolve({ lines, status: res.statusCode!, close: () => req.destroy() });
    });
    req.on('error', reject);
  });
}

const axfrSerial = async () => ((await (await fetch(`http://127.0.0.1:${server.httpPort}/v1/axfr`)).json()) as Json).Serial as number;

t.test('several watchers: the whole zone first, then one line per serial with what was added', async (t) => {
  const watchers = await Promise.all([watch(), watch(), watch()]);
  t.teardown(() => watchers.forEach((w) => w.close()));
  t.same(watchers.map((w) => w.status), [200, 200, 200]);
  await waitFor('the full zone on every watcher', () => watchers.every((w) => w.lines.length >= 1), 10_000);
  const serial0 = await axfrSerial();
  for (const w of watchers) {
    const full = w.lines[0];
    t.equal(full.full, true);
    t.equal(full.serial, serial0, 'the full zone of the current serial');
    const names = full.names as Record<string, { type: string; data: string }[]>;
    t.ok(Object.keys(names).length > 300, 'every name');
    t.ok(Object.values(names).every((rs) => rs.length > 0), 'each with its records');
  }
  for (const [i, name] of ['watch-one', 'watch-two'].entries()) {
    addTask(name, `10.88.0.${i + 1}`);
    master.setState(gen.serialize());
    const fqdn = `${name}.marathon.mesos.`;
    await waitFor(`${name} on every watcher`, () => watchers.every((w) => w.lines.some((l) => (l.added as Json | undefined)?.[fqdn])), 20_000, 50);
  }
  for (const w of watchers) {
    const changes = w.lines.slice(1).filter((l) => l.heartbeat === undefined);
    const one = changes.find((l) => (l.added as Json)['watch-one.marathon.mesos.'])!;
    t.same((one.added as Json)['watch-one.marathon.mesos.'], [{ type: 'A', data: '10.88.0.1' }], 'the new name with its record');
    t.ok((one.serial as number) > serial0, 'a later serial');
    const serials = changes.map((l) => l.serial as number);
    t.same(serials, [...serials].sort((a, b) => a - b), 'in serial order');
    t.equal(new Set(serials).size, serials.length, 'one line per serial');
  }
});

t.test('a watcher resuming from its serial gets only what it missed; IXFR from that serial is incremental', async (t) => {
  const from = await axfrSerial();
  addTask('watch-three', '10.88.0.3');
  master.setState(gen.serialize());
  await waitFor('a new serial', async () => (await axfrSerial()) !== from, 20_000, 100);
  const w = await watch(`?since=${from}`);
  t.teardown(() => w.close());
  await waitFor('the missed change', () => w.lines.length >= 1, 10_000);
  t.notOk(w.lines[0].full, 'no full zone');
  t.ok((w.lines[0].added as Json)['watch-three.marathon.mesos.'], 'the change it missed');
  const r = await tcpTransfer(server.dnsPort, ixfrQuery('mesos', from));
  const rrs = r.messages.flatMap((m) => m.answer);
  const soaSerials = rrs.filter((a) => a.type === 'SOA').map((a) => (a.data as { serial: number }).serial);
  const now = await axfrSerial();
  t.same(soaSerials, [now, from, now, now], 'incremental: current SOA, old SOA, deletions, current SOA, additions, current SOA');
  t.ok(rrs.some((a) => a.name === 'watch-three.marathon.mesos' && a.type === 'A' && a.data === '10.88.0.3'), 'the added record');
  t.ok(rrs.length < 50, `only the difference (${rrs.length} records)`);
});

t.test('a bad since is a 400', async (t) => {
  const r = await fetch(`http://127.0.0.1:${server.httpPort}/v1/watch?since=banana`);
  t.equal(r.status, 400);
});
