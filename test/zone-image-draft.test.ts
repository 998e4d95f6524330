// The zone image built from the generator's draft against the image built from the same records
// given as plain maps (draftFromRecordSet: no parent hints, names interned one by one).
// The generator's draft takes shortcuts (names built in pieces, parents it already knows, long
// value lists de-duplicated through a table); the zone served must not depend on them, including
// for legacy names with upper case, dots or non-ASCII characters, case-merged names, repeated task
// ids and long value lists.
import t from 'tap';
import { generate } from '../src/records/generate.js';
import { parseState } from '../src/state/parse.js';
import { RecordDraft } from '../src/records/draft.js';
import { draftFromRecordSet } from './support/records.js';
import { ZoneImage, NO_ENTRY } from '../src/zone/image.js';
import { buildImage } from '../src/zone/image-write.js';

const port = (number: number, protocol: string, name: string) => ({ number, protocol, name });
const tasks: unknown[] = [];
const task = (id: string, name: string, slave: string, discovery: unknown, ports = '[31000-31001]', ip = '') => tasks.push({
  id, name, slave_id: slave, state: 'TASK_RUNNING', resources: { ports },
  ...(discovery ? { discovery } : {}),
  ...(ip ? { statuses: [{ state: 'TASK_RUNNING', timestamp: 1, container_status: { network_infos: [{ ip_addresses: [{ ip_address: ip }] }] } }] } : {}),
});
const web = [port(80, '', 'Web'), port(443, 'tcp', 'https'), port(53, 'udp', 'dns'), port(9000, 'SCTP', '')];
task('a1', 'x', 'S-1', { name: 'API', ports: { ports: web } });
task('a2', 'x', 'S-1', { name: 'api', ports: { ports: web } });
task('a3', 'x', 'S-2', { name: 'My.API', ports: { ports: web } }, '[31000-31000]', 'fd00::1');
task('a4', 'x', 'S-2', { name: 'caf\u00e9', ports: { ports: web } });
task('a5', 'x', 'S-2', { name: 'x.y.z', ports: { ports: [port(81, '', 'a.b')] } }, '[]', '::ffff:10.0.0.9');
task('a1', 'x', 'S-1', { name: 'API', ports: { ports: web } }); // a repeated task id
for (let i = 0; i < 20; i++) task(`big-${i}`, 'Big_App', i % 2 ? 'S-1' : 'S-2', null, '[31000-31003]', `10.1.0.${i % 12}`);
task('nodot', 'plain', 'weird.S-3', null);
task('dotted-tail', 'plain', 'odd-S4.x', null); // the slave id's tail holds a dot: the canonical name has two labels more

const state = parseState({
  leader: 'master@10.0.0.1:5050',
  slaves: [
    { id: 'S-1', pid: 'slave(1)@10.0.0.2:5051' }, { id: 'S-2', pid: 'slave(1)@10.0.0.3:5051' },
    { id: 'weird.S-3', pid: 'slave(1)@10.0.0.5:5051' }, { id: 'odd-S4.x', pid: 'slave(1)@10.0.0.7:5051' },
  ],
  frameworks: [
    { name: 'fw', pid: 'scheduler(1)@10.0.0.4:8080', tasks },
    { name: 'Other.FW', pid: 'scheduler(1)@10.0.0.6:8080', tasks: tasks.slice(0, 3) },
  ],
}).state!;

/** Every entry of an image: name → its A, AAAA and SRV records (SRV with its target entry's name). */
function content(img: ZoneImage): Map<string, string[]> {
  const hex = (a: Uint8Array) => Buffer.from(a).toString('hex');
  const out = new Map<string, string[]>();
  for (let n = 0; n < img.entryCount; n++) {
    const e = img.entryAt(n);
    const rr: string[] = [];
    for (let i = 0; i < img.aCount(e); i++) rr.push(hex(img.u8.subarray(img.aOff(e) + i * 16, img.aOff(e) + i * 16 + 16)));
    for (let i = 0; i < img.aaaaCount(e); i++) rr.push(hex(img.u8.subarray(img.aaaaOff(e) + i * 28, img.aaaaOff(e) + i * 28 + 28)));
    for (let i = 0; i < img.srvCount(e); i++) {
      const target = img.srvTarget(e, i);
      rr.push(hex(img.u8.subarray(img.srvOff(e, i), img.srvOff(e, i) + img.srvLen(e, i))) + ' → ' + (target === NO_ENTRY ? '-' : hex(img.nameWire(target))));
    }
    out.set(hex(img.nameWire(e)), rr);
  }
  return out;
}

for (const enforceRFC952 of [false, true]) {
  t.test(`image from the generator's draft = image from its record maps (RFC952 ${enforceRFC952})`, async (t) => {
    const g = generate(state, new Map(), {
      domain: 'mesos', nsName: 'ns1.mesos.', listener: '127.0.0.1', enforceRFC952, ipSources: ['netinfo', 'host'], masters: [],
    });
    const params = { domain: 'mesos', ttl: 60, srvWeight: 1 };
    const fromDraft = new ZoneImage(buildImage(g.draft, params));
    const fromMaps = new ZoneImage(buildImage(draftFromRecordSet(g.records), params));
    t.ok(fromDraft.entryCount > 100);
    t.same(content(fromDraft), content(fromMaps));
    // and the records themselves survive the trip to another thread's form unchanged
    const back = RecordDraft.fromTransfer(g.draft.toTransfer());
    t.same(back.toRecordSet(), g.records);
    t.same(back.toEnumeration(), g.enumeration);
  });
}
