// Task IP selection (SPEC §7.6, every task-IP row of §12.5) and the IP text forms record values
// use (Go's net.IP String: IPv4-mapped → dotted IPv4, IPv6 compressed lower-case).
import t from 'tap';
import { slaveAddrs, taskIPs, generate } from '../src/records/generate.js';
import { parseIP } from '../src/net/ip.js';
import { parseState } from '../src/state/parse.js';
import type { Label, NetworkInfo, Task, TaskStatus } from '../src/state/types.js';

function status(over: Partial<TaskStatus>): TaskStatus {
  return { state: 'TASK_RUNNING', timestamp: 0, labels: [], networkInfos: [], ...over };
}
function task(statuses: TaskStatus[]): Task {
  return { id: 't', name: 't', slaveId: 's', state: 'TASK_RUNNING', ports: [], statuses, discovery: null };
}
const ni = (ipAddresses: string[], ipAddress = ''): NetworkInfo => ({ ipAddresses, ipAddress });
const docker = (v: string): Label => ({ key: 'Docker.NetworkSettings.IPAddress', value: v });
const mesos = (v: string): Label => ({ key: 'MesosContainerizer.NetworkSettings.IPAddress', value: v });
const ips = (tk: Task | null, sources: string[], slave: string[] = []): string[] =>
  taskIPs(tk, slaveAddrs(slave), sources).map((p) => p.text);

t.test('task IP rows of §12.5', async (t) => {
  const netinfo1234 = task([status({ networkInfos: [ni(['1.2.3.4'])] })]);
  t.same(ips(null, ['netinfo', 'docker', 'mesos', 'host']), [], 'nil task → nothing');
  t.same(ips(null, []), [], 'nil task, no sources → nothing');
  t.same(ips(netinfo1234, ['host', 'mesos']), [], 'netinfo IP but sources [host, mesos]');
  t.same(ips(netinfo1234, ['foo', 'netinfo', 'bar']), ['1.2.3.4'], 'unknown sources ignored');
  t.same(ips(task([status({ networkInfos: [ni(['1.2.3.4']), ni(['1.2.3.5'])] })]), ['netinfo']),
    ['1.2.3.4', '1.2.3.5'], 'several network_infos → all, in order');
  t.same(ips(task([status({ networkInfos: [ni(['1.2.3.4', '1.2.3.5'])] })]), ['netinfo']),
    ['1.2.3.4', '1.2.3.5'], 'several ip_addresses → all, in order');
  t.same(ips(task([status({ networkInfos: [ni([], '1.2.3.4')] })]), ['netinfo']), ['1.2.3.4'], 'Mesos 0.25 ip_address form');
  t.same(ips(task([status({ networkInfos: [ni([], ''), ni(['1.2.3.4'])] })]), ['netinfo']), ['1.2.3.4'],
    'empty ip_address + ip_addresses entry');
  t.same(ips(task([status({ networkInfos: [ni(['1.2.4.8'], '1.2.3.4')] })]), ['netinfo']), ['1.2.4.8'],
    'both forms in one network_info → only ip_addresses');
  t.same(ips(netinfo1234, ['host', 'netinfo'], ['2.3.4.5']), ['2.3.4.5'], '[host, netinfo] → slave IP only');
  t.same(ips(task([status({ networkInfos: [ni(['1.2.3.4', 'fd01:b::1:8000:2'])] })]), ['netinfo', 'host'], ['2.3.4.5']),
    ['1.2.3.4', 'fd01:b::1:8000:2'], '[netinfo, host] → all netinfo IPs, mixed families');
  t.same(ips(task([status({ state: 'TASK_STOPPED', networkInfos: [ni(['1.2.3.4'])] })]), ['netinfo']), [],
    'a TASK_STOPPED status is ignored');
  const history = task([
    status({ timestamp: 1, networkInfos: [ni(['1.2.3.4'])] }),
    status({ timestamp: 4, networkInfos: [ni(['1.3.5.7'])] }),
    status({ timestamp: 3, labels: [docker('2.3.4.5')] }),
    status({ timestamp: 5, labels: [docker('2.4.6.8')] }),
    status({ timestamp: 2, labels: [docker('2.5.8.1')] }),
  ]);
  t.same(ips(history, ['docker', 'netinfo']), ['2.4.6.8'], 'only the latest RUNNING status counts');
  t.same(ips(history, ['netinfo', 'docker']), ['2.4.6.8'], 'latest status has no netinfo → next source');
  t.same(ips(task([status({ labels: [docker('1.2.3.4'), { key: 'x', value: '9.9.9.9' }, docker('2.3.4.5')] })]), ['docker']),
    ['1.2.3.4', '2.3.4.5'], 'two docker labels in one status → both, label order');
});

t.test('more task IP rules', async (t) => {
  t.same(ips(task([status({ labels: [mesos('10.3.0.3'), docker('10.0.0.9')] })]), ['mesos']), ['10.3.0.3'], 'mesos label');
  t.same(ips(task([
    status({ timestamp: 7, labels: [docker('1.1.1.1')] }),
    status({ timestamp: 7, labels: [docker('2.2.2.2')] }),
  ]), ['docker']), ['1.1.1.1'], 'equal timestamps: the earliest status wins');
  t.same(ips(task([status({ timestamp: -5, labels: [docker('1.1.1.1')] })]), ['docker']), [],
    'a status older than -1 is never picked (the original starts at -1)');
  t.same(ips(task([status({ labels: [docker(''), docker('not-an-ip'), docker('1.2.3.4 '), docker('fe80::1%eth0'), docker('5.6.7.8')] })]), ['docker']),
    ['5.6.7.8'], 'unparseable values are skipped');
  t.same(ips(task([status({ labels: [docker('bogus')] })]), ['docker', 'host'], ['9.9.9.9']), ['9.9.9.9'],
    'a source with only unparseable values yields nothing: the next source is used');
  t.same(ips(task([status({ labels: [docker('::FFFF:10.1.2.3'), docker('2001:DB8:0:0:0:0:0:1')] })]), ['docker']),
    ['10.1.2.3', '2001:db8::1'], 'canonical text');
  t.same(ips(task([]), ['host'], ['slave-host']), [], 'a non-IP slave fallback is not a task IP');
});

t.test('parseIP: Go text forms', async (t) => {
  const cases: [string, [4 | 6, string] | null][] = [
    ['1.2.3.4', [4, '1.2.3.4']],
    ['::ffff:1.2.3.4', [4, '1.2.3.4']],
    ['::FFFF:0102:0304', [4, '1.2.3.4']],
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', [6, '2001:db8::1']],
    ['2001:db8:0:1:0:0:1:1', [6, '2001:db8:0:1::1:1']],
    ['2001:db8:0:0:1:0:0:1', [6, '2001:db8::1:0:0:1']],
    ['2001:db8:1:1:1:1:0:1', [6, '2001:db8:1:1:1:1:0:1']],
    ['::', [6, '::']],
    ['::1', [6, '::1']],
    ['1::', [6, '1::']],
    ['::1.2.3.4', [6, '::102:304']],
    ['fd01:b::1:8000:2', [6, 'fd01:b::1:8000:2']],
    ['01.2.3.4', null],
    ['1.2.3', null],
    ['fe80::1%eth0', null],
    ['[::1]', null],
    ['localhost', null],
    ['', null],
  ];
  for (const [s, want] of cases) {
    const p = parseIP(s);
    t.same(p === null ? null : [p.family, p.text], want, JSON.stringify(s));
  }
});

t.test('task IPs through generate: slave host names, fallbacks, odd values', async (t) => {
  const st = parseState({
    leader: 'master@10.0.0.1:5050',
    slaves: [
      { id: 'S-1', pid: 'slave(1)@agent-1.example:5051' },
      { id: 'S-2', pid: 'slave(1)@Agent-2.Example:5052' },
      { id: 'S-3', pid: 'slave(1)@[::ffff:10.0.0.3]:5053' },
    ],
    frameworks: [
      { name: 'f', hostname: 'sched.example', tasks: [
        { id: 'a', name: 'a', slave_id: 'S-1', state: 'TASK_RUNNING', resources: { ports: '[1-1]' } },
        { id: 'b', name: 'b', slave_id: 'S-2', state: 'TASK_RUNNING' },
        { id: 'c', name: 'c', slave_id: 'S-3', state: 'TASK_RUNNING' },
        { id: 'd', name: '', slave_id: 'S-3', state: 'TASK_RUNNING' },
      ] },
      { name: '', pid: 'scheduler(1)@10.0.0.9:80', tasks: [] },
    ],
  }).state!;
  const hostIPs = new Map([
    ['agent-1.example', ['10.0.0.2', '2001:DB8::2']],
    ['sched.example', ['10.0.0.8']],
  ]);
  const g = generate(st, hostIPs, {
    domain: 'mesos', nsName: 'ns1.mesos.', listener: '127.0.0.1', enforceRFC952: false, ipSources: ['host'], masters: [],
  });
  const A = (n: string) => [...(g.records.A.get(n) ?? [])];
  const AAAA = (n: string) => [...(g.records.AAAA.get(n) ?? [])];
  t.same(A('slave.mesos.'), ['10.0.0.2', '10.0.0.3'], 'resolved and IPv4-mapped slave hosts');
  t.same(AAAA('slave.mesos.'), ['2001:db8::2']);
  t.same([...g.records.SRV.get('_slave._tcp.mesos.')!], ['slave.mesos.:5051', 'slave.mesos.:5053'], 'unresolved slave: no slave SRV');
  t.same(A('a.f.mesos.'), ['10.0.0.2']);
  t.same(AAAA('a.f.mesos.'), ['2001:db8::2']);
  t.same(A('f.mesos.'), ['10.0.0.8'], 'framework without pid: hostname resolved');
  t.equal(g.records.SRV.get('_framework._tcp.f.mesos.'), undefined, 'no pid → no framework SRV');
  // unresolved slave host: DomainFrag of the host stored raw as an A value, no task IPs via host
  t.same(A('b.f.slave.mesos.'), ['agent-2.example']);
  t.same(A('b-78mt6-2.f.slave.mesos.'), ['agent-2.example']);
  t.equal(g.records.A.get('b.f.mesos.'), undefined);
  t.same(A('c.f.mesos.'), ['10.0.0.3']);
  // empty framework and task names give the original's bogus names
  t.same(A('.mesos.'), ['10.0.0.9']);
  t.same([...g.records.SRV.get('_framework._tcp..mesos.')!], ['.mesos.:80']);
  t.same(A('.f.mesos.'), ['10.0.0.3']);
  t.same(A('-8o5do-3.f.mesos.'), ['10.0.0.3']);
  t.same(A('.f.slave.mesos.'), ['10.0.0.3']);
  t.same(g.warnings, []);
});
