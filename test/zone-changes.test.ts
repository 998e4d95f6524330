// Change sets between zone versions (zone/changes.ts) and the serial policy (zone/serial.ts).
// The change set of two images is checked against an oracle computed apart from the image: the
// set difference of the generator's record maps (lower-cased names inside the domain), so a
// diff that missed, invented or mis-decoded a record would show.
import t, { type Test } from 'tap';
import { generate } from '../src/records/generate.js';
import { parseState } from '../src/state/parse.js';
import { ZoneImage } from '../src/zone/image.js';
import { buildImage } from '../src/zone/image-write.js';
import { diffImages, ChangeTracker, type RR } from '../src/zone/changes.js';
import { SerialPolicy } from '../src/zone/serial.js';
import type { RecordSet } from '../src/records/types.js';

const opts = {
  domain: 'mesos', nsName: 'ns1.mesos.', listener: '127.0.0.1', enforceRFC952: false,
  ipSources: ['netinfo', 'mesos', 'host'], masters: ['10.0.0.1:5050'],
};
const imageParams = { domain: 'mesos', ttl: 60, srvWeight: 1 };

interface T { id: string; name: string; slave: string; ip?: string; ports?: string; discovery?: unknown }
function stateOf(tasks: T[], slaves = [['S1', '10.0.0.2'], ['S2', '10.0.0.3']]) {
  return parseState({
    leader: 'master@10.0.0.1:5050',
    slaves: slaves.map(([id, ip]) => ({ id, pid: `slave(1)@${ip}:5051` })),
    frameworks: [{
      name: 'marathon', pid: 'scheduler(1)@10.0.0.4:8080',
      tasks: tasks.map((x) => ({
        id: x.id, name: x.name, slave_id: x.slave, state: 'TASK_RUNNING', resources: { ports: x.ports ?? '[31000-31001]' },
        ...(x.discovery ? { discovery: x.discovery } : {}),
        ...(x.ip ? { statuses: [{ state: 'TASK_RUNNING', timestamp: 1, container_status: { network_infos: [{ ip_addresses: [{ ip_address: x.ip }] }] } }] } : {}),
      })),
    }],
  }).state!;
}

function build(tasks: T[], slaves?: string[][]) {
  const gen = generate(stateOf(tasks, slaves), new Map(), opts);
  const records = gen.records;
  return { image: new ZoneImage(buildImage(gen.draft, imageParams)), records };
}

/** The oracle: every record of the maps as "name type data", names lower-cased. */
function rrStrings(rs: RecordSet): Set<string> {
  const out = new Set<string>();
  for (const type of ['A', 'AAAA', 'SRV'] as const) {
    for (const [name, values] of rs[type]) {
      for (const v of values) {
        const data = type === 'SRV' ? `0 1 ${v.slice(v.lastIndexOf(':') + 1)} ${v.slice(0, v.lastIndexOf(':'))}` : v;
        out.add(`${name.toLowerCase()} ${type} ${data}`);
      }
    }
  }
  return out;
}
const str = (r: RR) => `${r.name} ${r.type} ${r.data}`;
const sorted = (a: Iterable<string>) => [...a].sort();

function expectDiff(t: Test, a: ReturnType<typeof build>, b: ReturnType<typeof build>, what: string) {
  const before = rrStrings(a.records), after = rrStrings(b.records);
  const d = diffImages(a.image, b.image);
  t.same(sorted(d.removed.map(str)), sorted([...before].filter((x) => !after.has(x))), `${what}: removed`);
  t.same(sorted(d.added.map(str)), sorted([...after].filter((x) => !before.has(x))), `${what}: added`);
  t.equal(new Set(d.removed.map(str)).size, d.removed.length, `${what}: no record removed twice`);
  return d;
}

const base: T[] = [
  { id: 'web.1', name: 'web', slave: 'S1', ip: '10.1.0.1' },
  { id: 'web.2', name: 'web', slave: 'S2', ip: '10.1.0.2' },
  { id: 'db.1', name: 'db', slave: 'S1', discovery: { name: 'db', ports: { ports: [{ number: 5432, protocol: 'tcp', name: 'pg' }] } } },
];

t.test('no change: an empty change set', async (t) => {
  const d = diffImages(build(base).image, build(base).image);
  t.same(d, { removed: [], added: [] });
});

t.test('a task launched: exactly its records, and its app\'s aggregate names gain it', async (t) => {
  const a = build(base), b = build([...base, { id: 'web.3', name: 'web', slave: 'S2', ip: '10.1.0.3' }]);
  const d = expectDiff(t, a, b, 'launch');
  t.same(d.removed, []);
  t.ok(d.added.some((r) => r.name === 'web.marathon.mesos.' && r.type === 'A' && r.data === '10.1.0.3'), 'the app name gains the address');
  t.ok(d.added.some((r) => r.name === '_web._tcp.marathon.mesos.' && r.type === 'SRV' && /^0 1 3100[01] web-[a-z0-9]+-s2\.marathon\.slave\.mesos\.$/.test(r.data)), 'the SRV set gains the instance');
});

t.test('a task killed: exactly its records go, the app keeps the others', async (t) => {
  const a = build(base), b = build(base.filter((x) => x.id !== 'web.2'));
  const d = expectDiff(t, a, b, 'kill');
  t.same(d.added, []);
  t.ok(d.removed.some((r) => r.name === 'web.marathon.mesos.' && r.data === '10.1.0.2'));
  t.notOk(d.removed.some((r) => r.data === '10.1.0.1'), 'the other instance stays');
});

t.test('a task changed (new address, new ports), an agent moved, an app gone', async (t) => {
  const a = build(base);
  const changed = [{ ...base[0], ip: '10.1.0.9', ports: '[32000-32000]' }, base[1]];
  const b = build(changed, [['S1', '10.0.0.2'], ['S2', '10.0.0.8']]);
  const d = expectDiff(t, a, b, 'change');
  t.ok(d.removed.length > 0 && d.added.length > 0);
  t.ok(d.removed.some((r) => r.name === '_db._tcp.marathon.mesos.'), 'the removed app\'s SRV goes');
  t.ok(d.added.some((r) => r.name === 'slave.mesos.' && r.data === '10.0.0.8'));
});

t.test('IPv6 and upper-case legacy names are diffed as answered (lower-cased)', async (t) => {
  const a = build(base);
  const b = build([...base, { id: 'v6.1', name: 'v6', slave: 'S1', ip: 'fd00::1', discovery: { name: 'Legacy.API', ports: { ports: [{ number: 80, protocol: 'tcp', name: 'Web' }] } } }]);
  const d = expectDiff(t, a, b, 'v6');
  t.ok(d.added.some((r) => r.type === 'AAAA' && r.data === 'fd00::1'));
  t.ok(d.added.every((r) => r.name === r.name.toLowerCase() && r.name.endsWith('.')));
});

t.test('ChangeTracker: the first version has no change set, later ones do; the copy is independent', async (t) => {
  const tr = new ChangeTracker();
  const gen = (tasks: T[]) => buildImage(generate(stateOf(tasks), new Map(), opts).draft, imageParams);
  const first = tr.publish(gen(base));
  t.equal(first.changes, null);
  new Uint8Array(first.image).fill(0); // the receiver's copy may be anything: the tracker kept its own
  const second = tr.publish(gen([...base, { id: 'web.3', name: 'web', slave: 'S2', ip: '10.1.0.3' }]));
  t.ok(second.changes!.added.length > 0);
  t.same(second.changes!.removed, []);
});

t.test('serial: bumps on change only, at most once a second, never below previous + 1 or the clock', async (t) => {
  let now = 1_000_000_000_500; // ms
  const p = new SerialPolicy(undefined, () => now);
  t.equal(p.current, 1_000_000_000);
  t.equal(p.changed(), 1_000_000_001, 'first bump: previous + 1 (already at the clock)');
  now += 100;
  t.equal(p.changed(), 1_000_000_001, 'within the second: kept');
  t.ok(p.isPending);
  t.equal(p.dueIn(), 900);
  now += 10;
  t.equal(p.changed(), 1_000_000_001, 'coalesced');
  now += 890;
  t.equal(p.dueIn(), 0);
  t.equal(p.bump(), 1_000_000_002, 'the pending bump');
  t.notOk(p.isPending);
  t.equal(p.dueIn(), -1);
  now += 5000;
  t.equal(p.changed(), 1_000_000_006, 'the clock when it is ahead');
  // monotonic over a burst of changes at 50 per second
  let last = p.current, bumps = 0, monotonic = true;
  for (let i = 0; i < 500; i++) {
    now += 20;
    const s = p.changed();
    if (p.dueIn() === 0) p.bump();
    monotonic &&= p.current >= s && s >= last;
    if (p.current !== last) bumps++;
    last = p.current;
  }
  t.ok(monotonic, 'never decreases');
  t.ok(bumps <= 11, `≤ 1 bump per second over 10 s (${bumps})`);
  t.ok(bumps >= 9, `but the serial keeps moving (${bumps})`);
});

t.test('serial: a previous serial ahead of the clock is exceeded after a restart', async (t) => {
  const now = 1_000_000_000_000;
  const p = new SerialPolicy(1_000_000_500, () => now);
  t.equal(p.current, 1_000_000_500, 'served until the first load');
  t.equal(p.changed(), 1_000_000_501);
  const q = new SerialPolicy(0xffffffff, () => now);
  t.equal(q.changed(), 1, 'wraps past 2^32 - 1 to 1, never 0 (RFC 1982)');
  const r = new SerialPolicy(-3 as number, () => now);
  t.equal(r.current, 1_000_000_000, 'an unusable previous is ignored');
});
