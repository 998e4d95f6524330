// PTR records (PTROn, issue 14 item 7), checked with the real `dig -x` and whole answers: an
// address of exactly one task points at that task's canonical name (and that name points back);
// an address several tasks share falls back to its agent (`slave.<domain>`) or has no PTR; IPv6
// under ip6.arpa; a configured reverse zone (PTRZones) is served whole — SOA at its apex, NODATA
// at empty non-terminals, NXDOMAIN for addresses it does not hold — and transferred: a real BIND
// secondary of it answers `dig -x` exactly as we do. Reverse names we do not own go where they
// went before (here: no forwarder, REFUSED), and with PTROn off nothing changes.
// e2e-dns-threads.test.ts runs this file again with two answering threads (E2E_ANSWER_THREADS):
// each thread must hold the reverse names, and /metrics must count the threads' transfers.
import t from 'tap';
import { startStandInMaster, type StandInMaster } from '../src/demo/master.js';
import { taskHash } from '../bench/expect.js';
import { startServerProcess, waitFor, type ServerProcess } from './support/procs.js';
import { startNamed, type NamedInstance } from './support/named.js';
import { dig, parseDig, recKey, type DigResult } from './support/dig.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { delta, metricValues } from './support/metrics.js';

const run = promisify(execFile);

/** A v0 task running on `slave` with a container address (none: host networking). */
function task(name: string, id: string, slave: string, ip: string | null) {
  return {
    id, name, framework_id: 'fw-1', slave_id: slave, state: 'TASK_RUNNING', resources: { ports: '[31000-31000]' },
    statuses: [{
      state: 'TASK_RUNNING', timestamp: 1700000000,
      ...(ip ? { container_status: { network_infos: [{ ip_addresses: [{ ip_address: ip }] }] } } : {}),
    }],
  };
}

const state = (leader: string) => ({
  leader,
  slaves: [
    { id: '20240101-000000-1-5050-7-S11', hostname: 'a1', pid: 'slave(1)@10.1.0.1:5051' },
    { id: '20240101-000000-1-5050-7-S22', hostname: 'b2', pid: 'slave(1)@10.1.0.2:5051' },
  ],
  frameworks: [{
    id: 'fw-1', name: 'marathon', pid: 'scheduler-1@10.1.0.9:8080', hostname: 'm',
    tasks: [
      task('web', 'web.1', '20240101-000000-1-5050-7-S11', '10.2.0.1'), // the only task at its address
      task('db', 'db.1', '20240101-000000-1-5050-7-S11', '10.2.0.2'), // two tasks at one address: no PTR
      task('db', 'db.2', '20240101-000000-1-5050-7-S22', '10.2.0.2'),
      task('six', 'six.1', '20240101-000000-1-5050-7-S22', 'fd00::5'),
      task('l'.repeat(70), 'long.1', '20240101-000000-1-5050-7-S22', 'fd00::7'), // its canonical label is cut to 63
      task('hostnet', 'hostnet.1', '20240101-000000-1-5050-7-S22', null), // two on agent b2's address
      task('hostnet', 'hostnet.2', '20240101-000000-1-5050-7-S22', null),
    ],
  }],
});

/** Flags of our authoritative answers: AA, and RA as RecurseOn (default true) says. */
const AA = ['aa', 'qr', 'ra'];
const canonical = (name: string, id: string, tail: string) => `${name}-${taskHash(id)}-${tail}.marathon.mesos.`;
const whole = (r: DigResult) => ({
  status: r.status, flags: r.flags, answer: r.answer.map(recKey), authority: r.authority.map((x) => `${recKey(x).split(' ').slice(0, 3).join(' ')}`),
});

let master: StandInMaster;
let server: ServerProcess;
const AnswerThreads = Number(process.env.E2E_ANSWER_THREADS ?? 1);
t.before(async () => {
  master = await startStandInMaster({ host: '127.0.0.1', port: 0, state: {} });
  master.setState(state(`master@127.0.0.1:${master.port}`));
  server = await startServerProcess({
    masters: [`127.0.0.1:${master.port}`], ExternalOn: false, RefreshSeconds: 3600, PTROn: true, PTRZones: ['10.IN-ADDR.ARPA'], answerthreads: AnswerThreads,
  });
  t.equal((await server.waitLog('listening')).answerThreads, AnswerThreads, `answering threads: ${AnswerThreads}`);
  await server.waitLog('refresh');
});
t.teardown(async () => { await server?.stop(); await master?.close(); });

/** `dig -x ip` (a PTR query for the address's reverse name), parsed. */
async function digX(port: number, ip: string): Promise<DigResult> {
  const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(port), '+norec', '+tries=1', '+time=5', '-x', ip], { timeout: 20_000 });
  return parseDig(stdout);
}

t.test('dig -x: one task at an address → its canonical name, which resolves back', async (t) => {
  const r = await digX(server.dnsPort, '10.2.0.1');
  const name = canonical('web', 'web.1', 's11');
  t.same(whole(r), {
    status: 'NOERROR', flags: AA, answer: [`1.0.2.10.in-addr.arpa. IN PTR ${name}`], authority: [],
  });
  t.equal(r.answer[0].ttl, 60, 'the zone TTL');
  const back = await dig(server.dnsPort, name, 'A');
  t.same(back.answer.map(recKey), [`${name} IN A 10.2.0.1`], 'forward-confirmed: the name points back at the address');
});

t.test('dig -x: agent addresses → slave.<domain>; a shared task address → none', async (t) => {
  for (const ip of ['10.1.0.1', '10.1.0.2']) {
    const r = await digX(server.dnsPort, ip);
    t.same(whole(r), {
      status: 'NOERROR', flags: AA, answer: [`${ip.split('.').reverse().join('.')}.in-addr.arpa. IN PTR slave.mesos.`], authority: [],
    }, `${ip}: an agent (10.1.0.2 also the address of two host-network tasks)`);
  }
  const shared = await digX(server.dnsPort, '10.2.0.2');
  t.same(whole(shared), { status: 'NXDOMAIN', flags: AA, answer: [], authority: ['10.in-addr.arpa. IN SOA'] },
    'two tasks at 10.2.0.2: no PTR (inside the configured zone: NXDOMAIN with its SOA)');
  const framework = await digX(server.dnsPort, '10.1.0.9');
  t.equal(framework.status, 'NXDOMAIN', 'a scheduler address is neither task nor agent');
});

t.test('IPv6 under ip6.arpa; names outside the configured zones that we do not hold are not ours', async (t) => {
  const r = await digX(server.dnsPort, 'fd00::5');
  const owner = '5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa.';
  t.same(whole(r), { status: 'NOERROR', flags: AA, answer: [`${owner} IN PTR ${canonical('six', 'six.1', 's22')}`], authority: [] });
  const long = await digX(server.dnsPort, 'fd00::7');
  const target = long.answer[0]?.rdata ?? '';
  t.equal(target.split('.')[0].length, 63, `a 70-character task name: its canonical label cut to 63 (${target})`);
  const back = await dig(server.dnsPort, target, 'AAAA');
  t.same(back.answer.map((r) => r.rdata), ['fd00::7'], 'and that name is the one the zone answers for the address');
  const other = await digX(server.dnsPort, '172.16.0.1');
  t.same({ status: other.status, aa: other.flags.includes('aa') }, { status: 'REFUSED', aa: false }, 'forwarded as before (no forwarder here: REFUSED)');
  const otherV6 = await digX(server.dnsPort, 'fd00::6');
  t.equal(otherV6.status, 'REFUSED', 'an ip6.arpa name we do not hold: forwarded');
});

t.test('the configured zone: SOA at its apex, NODATA at empty non-terminals and for other types', async (t) => {
  const soa = await dig(server.dnsPort, '10.in-addr.arpa.', 'SOA');
  t.same({ status: soa.status, flags: soa.flags, answer: soa.answer.map((a) => `${a.name} ${a.type}`) },
    { status: 'NOERROR', flags: AA, answer: ['10.in-addr.arpa. SOA'] });
  const serial = (await dig(server.dnsPort, 'mesos.', 'SOA')).answer[0].rdata.split(' ')[2];
  t.equal(soa.answer[0].rdata.split(' ')[2], serial, 'the domain\'s serial');
  const ent = await dig(server.dnsPort, '2.10.in-addr.arpa.', 'PTR');
  t.same(whole(ent), { status: 'NOERROR', flags: AA, answer: [], authority: ['10.in-addr.arpa. IN SOA'] }, 'empty non-terminal: NODATA');
  const a = await dig(server.dnsPort, '1.0.2.10.in-addr.arpa.', 'A');
  t.same(whole(a), { status: 'NOERROR', flags: AA, answer: [], authority: ['10.in-addr.arpa. IN SOA'] }, 'another type: NODATA');
});

t.test('the reverse zone is transferred: dig AXFR, and a real BIND secondary answers dig -x as we do', async (t) => {
  const before = await metricValues(server.httpPort);
  const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(server.dnsPort), '+tcp', '10.in-addr.arpa.', 'AXFR'], { timeout: 20_000 });
  const rrs = stdout.split('\n').filter((l) => l && !l.startsWith(';')).map((l) => l.trim().split(/\s+/)).map((f) => `${f[0]} ${f[3]} ${f[3] === 'SOA' ? '' : f[4]}`.trim());
  t.same(rrs, [
    '10.in-addr.arpa. SOA', '10.in-addr.arpa. NS ns1.mesos.',
    '1.0.1.10.in-addr.arpa. PTR slave.mesos.', `1.0.2.10.in-addr.arpa. PTR ${canonical('web', 'web.1', 's11')}`,
    '2.0.1.10.in-addr.arpa. PTR slave.mesos.', '10.in-addr.arpa. SOA',
  ]);
  const after = await metricValues(server.httpPort);
  t.equal(delta(before, after, 'mesos_dns_xfr_total{type="AXFR",result="full"}'), 1, '/metrics counts the transfer (with threads: summed over them)');
  t.ok(delta(before, after, 'mesos_dns_xfr_bytes_total{type="AXFR"}') > 100, 'and its bytes');
  const bind: NamedInstance = await startNamed({ zones: [{ name: '10.in-addr.arpa', primaries: [{ host: '127.0.0.1', port: server.dnsPort }] }] });
  t.teardown(() => bind.stop());
  for (const ip of ['10.2.0.1', '10.1.0.1', '10.1.0.2', '10.2.0.2', '10.9.9.9']) {
    const ours = await digX(server.dnsPort, ip), theirs = await digX(bind.port, ip);
    t.same({ status: theirs.status, answer: theirs.answer.map(recKey) }, { status: ours.status, answer: ours.answer.map(recKey) }, `${ip}: the secondary's answer is ours`);
  }
});

t.test('PTROn off (the default): reverse names are forwarded as before', async (t) => {
  const s = await startServerProcess({ masters: [`127.0.0.1:${master.port}`], ExternalOn: false, RefreshSeconds: 3600, PTRZones: ['10.in-addr.arpa'] });
  t.teardown(() => s.stop());
  await s.waitLog('refresh');
  const r = await digX(s.dnsPort, '10.2.0.1');
  t.same({ status: r.status, answer: r.answer }, { status: 'REFUSED', answer: [] });
});

t.test('stream mode: a task launched later gets its PTR with the version that adds it', async (t) => {
  const m = await startStandInMaster({ host: '127.0.0.1', port: 0, state: {} });
  m.setState(state(`master@127.0.0.1:${m.port}`));
  const s = await startServerProcess({ masters: [`127.0.0.1:${m.port}`], ExternalOn: false, StateSource: 'stream', PTROn: true, answerthreads: AnswerThreads });
  t.teardown(async () => { await s.stop(); await m.close(); });
  await waitFor('the first zone', async () => (await dig(s.dnsPort, 'leader.mesos.', 'A')).status === 'NOERROR', 30_000);
  const l = m.cluster().launch({ framework: 'marathon', name: 'late', ip: '10.2.0.9' });
  const r = await waitFor('the PTR of the launched task', async () => {
    const x = await digX(s.dnsPort, '10.2.0.9');
    return x.answer.length ? x : null;
  }, 30_000, 100);
  const name = r.answer[0].rdata;
  t.match(name, /^late-[a-z0-9]{5}-s1[12]\.marathon\.mesos\.$/, 'its canonical name');
  t.same((await dig(s.dnsPort, name, 'A')).answer.map((a) => a.rdata), ['10.2.0.9'], 'which answers the address');
  t.ok(l.id, 'launched');
});
