// DiscoveryInfo record blocks (SPEC §7.6): the legacy block under the raw name (case and dots
// kept), the sanitised block, protocol handling (empty → tcp and udp, any other text used as is)
// and named ports, checked as the exact ordered list of records the task added.
import t from 'tap';
import { generate } from '../src/records/generate.js';
import { parseState } from '../src/state/parse.js';

const state = parseState({
  leader: 'master@10.0.0.1:5050',
  slaves: [{ id: 'S-1', pid: 'slave(1)@10.0.0.2:5051' }],
  frameworks: [{
    name: 'fw', pid: 'scheduler(1)@10.0.0.4:8080',
    tasks: [{
      id: 'api', name: 'ignored-task-name', slave_id: 'S-1', state: 'TASK_RUNNING',
      resources: { ports: '[31000-31000]' },
      discovery: { name: 'My.API', ports: { ports: [
        { number: 80, protocol: '', name: 'Web' },
        { number: 9000, protocol: 'SCTP', name: '' },
      ] } },
    }],
  }],
}).state!;

t.test('DiscoveryInfo blocks, in order', async (t) => {
  const g = generate(state, new Map(), {
    domain: 'mesos', nsName: 'ns1.mesos.', listener: '127.0.0.1', enforceRFC952: false, ipSources: ['host'], masters: [],
  });
  const block = (n: string): string[][] => {
    const c = `${n}-wy34k-1.fw`;
    return [
      ['A', `${n}.fw.mesos.`, '10.0.0.2'],
      ['A', `${c}.mesos.`, '10.0.0.2'],
      ['A', `${n}.fw.slave.mesos.`, '10.0.0.2'],
      ['A', `${c}.slave.mesos.`, '10.0.0.2'],
      ['SRV', `_${n}._tcp.fw.slave.mesos.`, `${c}.slave.mesos.:31000`],
      ['SRV', `_${n}._udp.fw.slave.mesos.`, `${c}.slave.mesos.:31000`],
      ['SRV', `_${n}._tcp.fw.mesos.`, `${c}.mesos.:80`],
      ['SRV', `_${n}._udp.fw.mesos.`, `${c}.mesos.:80`],
      ['SRV', `_web._${n}._tcp.fw.mesos.`, `${c}.mesos.:80`],
      ['SRV', `_web._${n}._udp.fw.mesos.`, `${c}.mesos.:80`],
      ['SRV', `_${n}._sctp.fw.mesos.`, `${c}.mesos.:9000`],
    ];
  };
  const recs = g.enumeration.frameworks![0].tasks[0].records!.map((r) => [r.rtype, r.name, r.host]);
  t.same(recs, [...block('My.API'), ...block('my-api')]);
  t.equal(g.enumeration.frameworks![0].tasks[0].name, 'ignored-task-name', 'enumeration shows the raw task name');
  t.equal(g.records.A.get('ignored-task-name.fw.mesos.'), undefined, 'the task name is not used with DiscoveryInfo');
  t.equal(g.records.SRV.get('_my-api._tcp.fw.mesos.')!.has('my-api-wy34k-1.fw.slave.mesos.:31000'), false,
    'with DiscoveryInfo the non-slave service names carry only DiscoveryInfo ports');
});

t.test('names that look alike across frameworks stay apart', async (t) => {
  // raw DI name "liquor.store" in framework "marathon" and task "liquor" in framework
  // "store.marathon" share the short name liquor.store.marathon, but not their service names
  const st = parseState({
    leader: 'master@10.0.0.1:5050',
    slaves: [{ id: 'S-1', pid: 'slave(1)@10.0.0.2:5051' }],
    frameworks: [
      { name: 'marathon', tasks: [{
        id: 'x', name: 'x', slave_id: 'S-1', state: 'TASK_RUNNING', resources: { ports: '[1-1]' },
        discovery: { name: 'liquor.store', ports: { ports: [] } },
      }] },
      { name: 'store.marathon', tasks: [{
        id: 'y', name: 'liquor', slave_id: 'S-1', state: 'TASK_RUNNING', resources: { ports: '[2-2]' },
      }] },
    ],
  }).state!;
  const g = generate(st, new Map(), {
    domain: 'mesos', nsName: 'ns1.mesos.', listener: '127.0.0.1', enforceRFC952: false, ipSources: ['host'], masters: [],
  });
  const srv = (n: string) => [...(g.records.SRV.get(n) ?? [])];
  t.same(srv('_liquor.store._tcp.marathon.slave.mesos.'), ['liquor.store-n85k5-1.marathon.slave.mesos.:1']);
  t.same(srv('_liquor._tcp.store.marathon.slave.mesos.'), ['liquor-1zfoz-1.store.marathon.slave.mesos.:2']);
  t.same(srv('_liquor._tcp.store.marathon.mesos.'), ['liquor-1zfoz-1.store.marathon.slave.mesos.:2']);
  t.same([...g.records.A.get('liquor.store.marathon.mesos.')!], ['10.0.0.2']);
});
