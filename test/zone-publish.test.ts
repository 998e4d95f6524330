// publishState (zone/publish.ts), driven as the stream's cluster model drives it: complete states
// with hints. Each published version must carry the exact change set from the previous one, and
// calls arriving during a build must be merged into one build of the latest state.
import t from 'tap';
import { parseState } from '../src/state/parse.js';
import { ZoneImage } from '../src/zone/image.js';
import { ChangeTracker, type ZoneDiff, type RR } from '../src/zone/changes.js';
import { createPublisher } from '../src/zone/publish.js';
import type { ChangeHint } from '../src/stream/model.js';
import type { BuiltZone } from '../src/zone/build.js';

const params = {
  generate: {
    domain: 'mesos', nsName: 'ns1.mesos.', listener: '127.0.0.1', enforceRFC952: false,
    ipSources: ['netinfo', 'mesos', 'host'], masters: ['10.0.0.1:5050'],
  },
  image: { domain: 'mesos', ttl: 60, srvWeight: 1 },
};

function rawState(tasks: [string, string, string][]) {
  return {
    leader: 'master@10.0.0.1:5050',
    slaves: [{ id: 'S1', pid: 'slave(1)@10.0.0.2:5051' }],
    frameworks: [{
      name: 'marathon', pid: 'scheduler(1)@10.0.0.4:8080',
      tasks: tasks.map(([id, name, ip]) => ({
        id, name, slave_id: 'S1', state: 'TASK_RUNNING', resources: { ports: '[31000-31000]' },
        statuses: [{ state: 'TASK_RUNNING', timestamp: 1, container_status: { network_infos: [{ ip_addresses: [{ ip_address: ip }] }] } }],
      })),
    }],
  };
}
const hint = (frameworks: string[] = ['marathon']): ChangeHint => ({ full: false, frameworks: new Set(frameworks), agents: new Set(), mastersChanged: false });

function setup() {
  const published: { zone: BuiltZone; changes: ZoneDiff | null; hint: ChangeHint }[] = [];
  let records = 0;
  const publish = createPublisher({
    params: () => params, resolve: async () => new Map(), versions: new ChangeTracker(),
    sink: { zone: (zone, h, changes) => published.push({ zone, changes, hint: h }), records: () => { records++; } },
  });
  return { publish, published, records: () => records };
}
const a = (img: ArrayBuffer | SharedArrayBuffer, name: string) => new ZoneImage(img).addresses(name).A.sort();
const str = (r: RR) => `${r.name} ${r.type} ${r.data}`;

t.test('each version: the new names answer, and the change set is exactly the difference', async (t) => {
  const { publish, published, records } = setup();
  let tasks: [string, string, string][] = [['w1', 'web', '10.1.0.1']];
  await publish({ value: parseState(rawState(tasks)) }, { ...hint(), full: true });
  t.equal(published.length, 1);
  t.equal(published[0].changes, null, 'the first version has no predecessor');
  t.same(a(published[0].zone.image, 'web.marathon.mesos.'), ['10.1.0.1']);

  tasks = [...tasks, ['w2', 'web', '10.1.0.2']];
  await publish({ value: parseState(rawState(tasks)) }, hint());
  const launch = published[1].changes!;
  t.same(a(published[1].zone.image, 'web.marathon.mesos.'), ['10.1.0.1', '10.1.0.2']);
  t.same(launch.removed, []);
  t.ok(launch.added.map(str).includes('web.marathon.mesos. A 10.1.0.2'));
  t.notOk(launch.added.map(str).includes('web.marathon.mesos. A 10.1.0.1'), 'the unchanged instance is not in it');

  tasks = tasks.slice(1);
  await publish({ value: parseState(rawState(tasks)) }, hint());
  const kill = published[2].changes!;
  t.same(kill.added, []);
  t.same(kill.removed.filter((r) => r.name === 'web.marathon.mesos.').map(str), ['web.marathon.mesos. A 10.1.0.1']);
  t.same(a(published[2].zone.image, 'web.marathon.mesos.'), ['10.1.0.2']);
  t.equal(records(), 3, 'every version is followed by its records');
});

t.test('calls during a build are merged into one build of the latest state, with the union of the hints', async (t) => {
  const { publish, published } = setup();
  const done: Promise<void>[] = [];
  for (let i = 1; i <= 6; i++) {
    const tasks: [string, string, string][] = [];
    for (let j = 1; j <= i; j++) tasks.push([`t${j}`, 'app', `10.2.0.${j}`]);
    done.push(publish({ value: parseState(rawState(tasks)) }, hint([`fw${i}`])));
  }
  await Promise.all(done);
  t.equal(published.length, 2, 'the first build, then one for everything that came meanwhile');
  t.same(a(published[1].zone.image, 'app.marathon.mesos.'), ['10.2.0.1', '10.2.0.2', '10.2.0.3', '10.2.0.4', '10.2.0.5', '10.2.0.6']);
  t.same([...published[1].hint.frameworks].sort(), ['fw2', 'fw3', 'fw4', 'fw5', 'fw6']);
  t.same(published[1].changes!.added.filter((r) => r.name === 'app.marathon.mesos.').map((r) => r.data).sort(),
    ['10.2.0.2', '10.2.0.3', '10.2.0.4', '10.2.0.5', '10.2.0.6'], 'the change set spans the merged calls');
});

t.test('a state that cannot be used fails its call, and the next one still publishes', async (t) => {
  const { publish, published } = setup();
  await t.rejects(publish({ value: undefined }, hint()));
  await publish({ value: parseState(rawState([['x1', 'x', '10.3.0.1']])) }, hint());
  t.equal(published.length, 1);
});
