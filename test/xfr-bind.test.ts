// A real BIND 9.18 secondary (NEXT.md §2.7) in front of our server: it transfers the zone from us
// and answers every name exactly as we do; after a change in the stand-in master our NOTIFY
// makes it transfer again and answer the new name, within seconds — long before its own SOA
// refresh (60 s at the earliest) could have.
import t from 'tap';
import { startStandInMaster, type StandInMaster } from '../src/demo/master.js';
import { StateGen } from '../bench/gen-state.js';
import { startServerProcess, freePort, waitFor, type ServerProcess } from './support/procs.js';
import { startNamed, type NamedInstance } from './support/named.js';
import { dig, recKey, type DigResult } from './support/dig.js';
import { addRunningTask } from './support/serve.js';

let master: StandInMaster;
let server: ServerProcess;
let bind: NamedInstance;
let gen: StateGen;
type Json = Record<string, unknown>;
const leader = () => `master@127.0.0.1:${master.port}`;

const addTask = (name: string, ip: string) => addRunningTask(gen, name, ip);

t.before(async () => {
  master = await startStandInMaster({ host: '127.0.0.1', port: 0, state: {} });
  gen = new StateGen({ tasks: 2000, seed: 21, leader: leader() });
  // An RRset of 150 A records: over BIND's default max-records-per-type (100, since 9.18.28).
  for (let i = 0; i < 150; i++) addTask('xfr-big', `10.77.${i >> 8}.${i & 255}`);
  master.setState(gen.serialize());
  const bindPort = await freePort();
  server = await startServerProcess({
    masters: [`127.0.0.1:${master.port}`], ExternalOn: false, RefreshSeconds: 1,
    NotifyTargets: [`127.0.0.1:${bindPort}`],
  });
  await server.waitLog('refresh');
  // -d 3: BIND then logs whether each transfer reply was incremental (xfrin.c, "got incremental response").
  bind = await startNamed({ zones: [{ name: 'mesos', primaries: [{ host: '127.0.0.1', port: server.dnsPort }] }], port: bindPort, debug: 3 });
});
t.teardown(async () => { await bind?.stop(); await server?.stop(); await master?.close(); });

async function axfrJson(): Promise<Json> {
  return await (await fetch(`http://127.0.0.1:${server.httpPort}/v1/axfr`)).json() as Json;
}

const whole = (r: DigResult) => ({ status: r.status, answer: r.answer.map(recKey).sort() });

t.test('the secondary answers every sampled name exactly as we do, the largest RRsets included', async (t) => {
  const body = await axfrJson();
  await waitFor('BIND to hold our serial', async () => {
    const soa = await dig(bind.port, 'mesos.', 'SOA');
    return soa.answer[0]?.rdata.split(' ')[2] === String(body.Serial);
  }, 20_000);
  const rec = body.Records as Record<string, Record<string, string[]>>;
  const bySize = (m: Record<string, string[]>) => Object.entries(m).sort((a, b) => b[1].length - a[1].length).map(([n]) => n);
  const names = new Set<string>();
  for (const [type, m] of [['A', rec.As], ['AAAA', rec.AAAAs], ['SRV', rec.SRVs]] as const) {
    const sorted = bySize(m);
    for (const n of sorted.slice(0, 5)) names.add(`${n} ${type}`); // the largest RRsets
    for (let i = 0; i < sorted.length; i += Math.max(1, Math.floor(sorted.length / 25))) names.add(`${sorted[i]} ${type}`);
  }
  names.add('no-such-name.marathon.mesos. A');
  names.add('mesos. NS');
  names.add('mesos. SOA');
  const largest = Math.max(...Object.values(rec.SRVs).map((v) => v.length), ...Object.values(rec.As).map((v) => v.length));
  t.ok(largest > 100, `the sample includes RRsets over BIND's old default limit of 100 (largest ${largest})`);
  for (const q of names) {
    const [name, type] = q.split(' ');
    const ours = await dig(server.dnsPort, name, type, { tcp: true });
    const theirs = await dig(bind.port, name, type, { tcp: true });
    t.same(whole(theirs), whole(ours), q);
  }
});

t.test('after a change in the master, our NOTIFY makes the secondary transfer and answer the new name', async (t) => {
  const before = (await axfrJson()).Serial as number;
  addTask('xfr-probe-one', '10.78.0.1');
  master.setState(gen.serialize());
  const t0 = Date.now();
  const theirs = await waitFor('the secondary to answer the new name', async () => {
    const r = await dig(bind.port, 'xfr-probe-one.marathon.mesos.', 'A');
    return r.status === 'NOERROR' && r.answer.length > 0 ? r : null;
  }, 30_000, 100);
  const elapsed = Date.now() - t0;
  const ours = await dig(server.dnsPort, 'xfr-probe-one.marathon.mesos.', 'A');
  t.same(whole(theirs), whole(ours), 'the same answer as ours');
  t.ok(elapsed < 30_000, `propagated in ${elapsed} ms (BIND's own refresh is ≥ 60 s away)`);
  const out = bind.output();
  t.match(out, /notify from 127\.0\.0\.1#\d+: serial \d+/, 'BIND logged our NOTIFY');
  const after = (await axfrJson()).Serial as number;
  t.ok(after > before, 'the serial grew');
  t.match(out, new RegExp(`transfer of 'mesos/IN' from 127\\.0\\.0\\.1#${server.dnsPort}: Transfer status: success`), 'a successful transfer');
  // The first transfer was a whole zone; the one our NOTIFY caused starts from a serial our journal
  // holds, so BIND must have received a difference, not the zone again.
  const from = new RegExp(`transfer of 'mesos/IN' from 127\\.0\\.0\\.1#${server.dnsPort}: got (non)?incremental response`, 'g');
  const kinds = [...out.matchAll(from)].map((m) => (m[1] ? 'full' : 'incremental'));
  t.equal(kinds[0], 'full', 'the first transfer: the whole zone');
  t.ok(kinds.length >= 2 && kinds.slice(1).every((k) => k === 'incremental'), `every later transfer incremental (${kinds.join(', ')})`);
});
