// Record generation against the original's expectations: every TestInsertState row (SPEC §12.2),
// TestParseState_SOAMname / TestMasterRecord / TestNTasks (§12.3), the complete record set of
// §12.8 with each of its variants, the enumeration rules of §7.7, and byte-for-byte agreement with
// what the original served for the reference config (/v1/enumerate, /v1/axfr captures).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { parseState } from '../src/state/parse.js';
import { addMasterRecords, generate } from '../src/records/generate.js';
import { RecordDraft } from '../src/records/draft.js';
import type { State } from '../src/state/types.js';
import type { GenerateOptions, RecordSet } from '../src/records/types.js';

const fake = JSON.parse(readFileSync(new URL('./fixtures/fake.json', import.meta.url), 'utf8'));
const refDir = new URL('./fixtures/reference/http/', import.meta.url);

function fixture(leader?: string): State {
  const raw = structuredClone(fake);
  if (leader !== undefined) raw.leader = leader;
  const r = parseState(raw);
  if (r.state === null || r.warnings.length > 0) throw new Error(`fixture did not parse: ${r.error} ${r.warnings}`);
  return r.state;
}

const LOCALHOST = new Map([['localhost', ['127.0.0.1']]]);
const RG_LEADER = 'master@144.76.157.37:5050';

/** TestInsertState's parameters with the given IPSources. */
function rgOpts(ipSources: string[], over: Partial<GenerateOptions> = {}): GenerateOptions {
  return {
    domain: 'mesos', nsName: 'mesos-dns.mesos.', listener: '127.0.0.1', enforceRFC952: true,
    ipSources, masters: ['144.76.157.37:5050'], ...over,
  };
}

type Flat = Record<'A' | 'AAAA' | 'SRV', Record<string, string[]>>;

/** Record maps as plain sorted objects, for whole-set comparison. */
function flat(rs: RecordSet): Flat {
  const out: Flat = { A: {}, AAAA: {}, SRV: {} };
  for (const k of ['A', 'AAAA', 'SRV'] as const) {
    for (const [name, set] of rs[k]) out[k][name] = [...set].sort();
  }
  return out;
}

function sortFlat(f: Flat): Flat {
  const out: Flat = { A: {}, AAAA: {}, SRV: {} };
  for (const k of ['A', 'AAAA', 'SRV'] as const) for (const [n, v] of Object.entries(f[k])) out[k][n] = [...v].sort();
  return out;
}

const RG = ['netinfo', 'docker', 'mesos', 'host'];

// SPEC §12.8: the complete record set for TestInsertState's `rg` parameters.
const CANONICAL: Flat = {
  A: {
    'big-dog-4dfjd-0.marathon.mesos.': ['10.3.0.1'],
    'big-dog-4dfjd-0.marathon.slave.mesos.': ['1.2.3.11'],
    'big-dog.marathon.mesos.': ['10.3.0.1'],
    'big-dog.marathon.slave.mesos.': ['1.2.3.11'],
    'big.dog-4dfjd-0.marathon.mesos.': ['10.3.0.1'],
    'big.dog-4dfjd-0.marathon.slave.mesos.': ['1.2.3.11'],
    'big.dog.marathon.mesos.': ['10.3.0.1'],
    'big.dog.marathon.slave.mesos.': ['1.2.3.11'],
    'car-store-zinaz-0.marathon.mesos.': ['1.2.3.11'],
    'car-store-zinaz-0.marathon.slave.mesos.': ['1.2.3.11'],
    'car-store.marathon.mesos.': ['1.2.3.11'],
    'car-store.marathon.slave.mesos.': ['1.2.3.11'],
    'chronos-rx8q6-0.marathon.mesos.': ['1.2.3.11'],
    'chronos-rx8q6-0.marathon.slave.mesos.': ['1.2.3.11'],
    'chronos.marathon.mesos.': ['1.2.3.11'],
    'chronos.marathon.slave.mesos.': ['1.2.3.11'],
    'chronoswithaspaceandmixe.mesos.': ['1.2.3.12'],
    'leader.mesos.': ['144.76.157.37'],
    'liquor-store-4dfjd-0.marathon.mesos.': ['10.3.0.1'],
    'liquor-store-4dfjd-0.marathon.slave.mesos.': ['1.2.3.11'],
    'liquor-store-zasmd-1.marathon.mesos.': ['10.3.0.2'],
    'liquor-store-zasmd-1.marathon.slave.mesos.': ['1.2.3.12'],
    'liquor-store.marathon.mesos.': ['10.3.0.1', '10.3.0.2'],
    'liquor-store.marathon.slave.mesos.': ['1.2.3.11', '1.2.3.12'],
    'liquor.store-4dfjd-0.marathon.mesos.': ['10.3.0.1'],
    'liquor.store-4dfjd-0.marathon.slave.mesos.': ['1.2.3.11'],
    'liquor.store-zasmd-1.marathon.mesos.': ['10.3.0.2'],
    'liquor.store-zasmd-1.marathon.slave.mesos.': ['1.2.3.12'],
    'liquor.store.marathon.mesos.': ['10.3.0.1', '10.3.0.2'],
    'liquor.store.marathon.slave.mesos.': ['1.2.3.11', '1.2.3.12'],
    'marathon.mesos.': ['1.2.3.11'],
    'master.mesos.': ['144.76.157.37'],
    'master0.mesos.': ['144.76.157.37'],
    'mesos-dns.mesos.': ['127.0.0.1'],
    'nginx-6ud99-0.marathon.mesos.': ['10.3.0.3'],
    'nginx-6ud99-0.marathon.slave.mesos.': ['1.2.3.11'],
    'nginx.marathon.mesos.': ['10.3.0.3'],
    'nginx.marathon.slave.mesos.': ['1.2.3.11'],
    'nopid.mesos.': ['127.0.0.1'],
    'reviewbot-8sq89-1.marathon.mesos.': ['1.2.3.12'],
    'reviewbot-8sq89-1.marathon.slave.mesos.': ['1.2.3.12'],
    'reviewbot.marathon.mesos.': ['1.2.3.12'],
    'reviewbot.marathon.slave.mesos.': ['1.2.3.12'],
    'slave.mesos.': ['1.2.3.10', '1.2.3.11', '1.2.3.12'],
    'some-box-h3dyr-0.chronoswithaspaceandmixe.mesos.': ['1.2.3.11'],
    'some-box-h3dyr-0.chronoswithaspaceandmixe.slave.mesos.': ['1.2.3.11'],
    'some-box.chronoswithaspaceandmixe.mesos.': ['1.2.3.11'],
    'some-box.chronoswithaspaceandmixe.slave.mesos.': ['1.2.3.11'],
    'toy-store-go588-3.ipv6-framework.mesos.': ['12.0.1.2', '12.0.1.3'],
    'toy-store.ipv6-framework.mesos.': ['12.0.1.2', '12.0.1.3'],
  },
  AAAA: {
    'ipv6-framework.mesos.': ['2001:db8::1'],
    'slave.mesos.': ['2001:db8::1'],
    'toy-store-go588-3.ipv6-framework.mesos.': ['fd01:b::1:8000:2'],
    'toy-store-go588-3.ipv6-framework.slave.mesos.': ['2001:db8::1'],
    'toy-store.ipv6-framework.mesos.': ['fd01:b::1:8000:2'],
    'toy-store.ipv6-framework.slave.mesos.': ['2001:db8::1'],
  },
  SRV: {
    '_big-dog._tcp.marathon.mesos.': ['big-dog-4dfjd-0.marathon.mesos.:443', 'big-dog-4dfjd-0.marathon.mesos.:80'],
    '_big-dog._tcp.marathon.slave.mesos.': ['big-dog-4dfjd-0.marathon.slave.mesos.:31354', 'big-dog-4dfjd-0.marathon.slave.mesos.:31355'],
    '_big-dog._udp.marathon.slave.mesos.': ['big-dog-4dfjd-0.marathon.slave.mesos.:31354', 'big-dog-4dfjd-0.marathon.slave.mesos.:31355'],
    '_big.dog._tcp.marathon.mesos.': ['big.dog-4dfjd-0.marathon.mesos.:443', 'big.dog-4dfjd-0.marathon.mesos.:80'],
    '_big.dog._tcp.marathon.slave.mesos.': ['big.dog-4dfjd-0.marathon.slave.mesos.:31354', 'big.dog-4dfjd-0.marathon.slave.mesos.:31355'],
    '_big.dog._udp.marathon.slave.mesos.': ['big.dog-4dfjd-0.marathon.slave.mesos.:31354', 'big.dog-4dfjd-0.marathon.slave.mesos.:31355'],
    '_car-store._tcp.marathon.mesos.': ['car-store-zinaz-0.marathon.slave.mesos.:31364', 'car-store-zinaz-0.marathon.slave.mesos.:31365'],
    '_car-store._tcp.marathon.slave.mesos.': ['car-store-zinaz-0.marathon.slave.mesos.:31364', 'car-store-zinaz-0.marathon.slave.mesos.:31365'],
    '_car-store._udp.marathon.mesos.': ['car-store-zinaz-0.marathon.slave.mesos.:31364', 'car-store-zinaz-0.marathon.slave.mesos.:31365'],
    '_car-store._udp.marathon.slave.mesos.': ['car-store-zinaz-0.marathon.slave.mesos.:31364', 'car-store-zinaz-0.marathon.slave.mesos.:31365'],
    '_chronos._tcp.marathon.mesos.': ['chronos-rx8q6-0.marathon.slave.mesos.:31332'],
    '_chronos._tcp.marathon.slave.mesos.': ['chronos-rx8q6-0.marathon.slave.mesos.:31332'],
    '_chronos._udp.marathon.mesos.': ['chronos-rx8q6-0.marathon.slave.mesos.:31332'],
    '_chronos._udp.marathon.slave.mesos.': ['chronos-rx8q6-0.marathon.slave.mesos.:31332'],
    '_framework._tcp.chronoswithaspaceandmixe.mesos.': ['chronoswithaspaceandmixe.mesos.:25501'],
    '_framework._tcp.ipv6-framework.mesos.': ['ipv6-framework.mesos.:25501'],
    '_framework._tcp.marathon.mesos.': ['marathon.mesos.:25501'],
    '_http._big-dog._tcp.marathon.mesos.': ['big-dog-4dfjd-0.marathon.mesos.:80'],
    '_http._big.dog._tcp.marathon.mesos.': ['big.dog-4dfjd-0.marathon.mesos.:80'],
    '_http._liquor-store._tcp.marathon.mesos.': ['liquor-store-4dfjd-0.marathon.mesos.:80', 'liquor-store-zasmd-1.marathon.mesos.:80'],
    '_http._liquor.store._tcp.marathon.mesos.': ['liquor.store-4dfjd-0.marathon.mesos.:80', 'liquor.store-zasmd-1.marathon.mesos.:80'],
    '_https._big-dog._tcp.marathon.mesos.': ['big-dog-4dfjd-0.marathon.mesos.:443'],
    '_https._big.dog._tcp.marathon.mesos.': ['big.dog-4dfjd-0.marathon.mesos.:443'],
    '_https._liquor-store._tcp.marathon.mesos.': ['liquor-store-4dfjd-0.marathon.mesos.:443', 'liquor-store-zasmd-1.marathon.mesos.:443'],
    '_https._liquor.store._tcp.marathon.mesos.': ['liquor.store-4dfjd-0.marathon.mesos.:443', 'liquor.store-zasmd-1.marathon.mesos.:443'],
    '_leader._tcp.mesos.': ['leader.mesos.:5050'],
    '_leader._udp.mesos.': ['leader.mesos.:5050'],
    '_liquor-store._tcp.marathon.mesos.': ['liquor-store-4dfjd-0.marathon.mesos.:443', 'liquor-store-4dfjd-0.marathon.mesos.:80', 'liquor-store-zasmd-1.marathon.mesos.:443', 'liquor-store-zasmd-1.marathon.mesos.:80'],
    '_liquor-store._tcp.marathon.slave.mesos.': ['liquor-store-4dfjd-0.marathon.slave.mesos.:31354', 'liquor-store-4dfjd-0.marathon.slave.mesos.:31355', 'liquor-store-zasmd-1.marathon.slave.mesos.:31737', 'liquor-store-zasmd-1.marathon.slave.mesos.:31738'],
    '_liquor-store._udp.marathon.slave.mesos.': ['liquor-store-4dfjd-0.marathon.slave.mesos.:31354', 'liquor-store-4dfjd-0.marathon.slave.mesos.:31355', 'liquor-store-zasmd-1.marathon.slave.mesos.:31737', 'liquor-store-zasmd-1.marathon.slave.mesos.:31738'],
    '_liquor.store._tcp.marathon.mesos.': ['liquor.store-4dfjd-0.marathon.mesos.:443', 'liquor.store-4dfjd-0.marathon.mesos.:80', 'liquor.store-zasmd-1.marathon.mesos.:443', 'liquor.store-zasmd-1.marathon.mesos.:80'],
    '_liquor.store._tcp.marathon.slave.mesos.': ['liquor.store-4dfjd-0.marathon.slave.mesos.:31354', 'liquor.store-4dfjd-0.marathon.slave.mesos.:31355', 'liquor.store-zasmd-1.marathon.slave.mesos.:31737', 'liquor.store-zasmd-1.marathon.slave.mesos.:31738'],
    '_liquor.store._udp.marathon.slave.mesos.': ['liquor.store-4dfjd-0.marathon.slave.mesos.:31354', 'liquor.store-4dfjd-0.marathon.slave.mesos.:31355', 'liquor.store-zasmd-1.marathon.slave.mesos.:31737', 'liquor.store-zasmd-1.marathon.slave.mesos.:31738'],
    '_reviewbot._tcp.marathon.mesos.': ['reviewbot-8sq89-1.marathon.slave.mesos.:31744'],
    '_reviewbot._tcp.marathon.slave.mesos.': ['reviewbot-8sq89-1.marathon.slave.mesos.:31744'],
    '_reviewbot._udp.marathon.mesos.': ['reviewbot-8sq89-1.marathon.slave.mesos.:31744'],
    '_reviewbot._udp.marathon.slave.mesos.': ['reviewbot-8sq89-1.marathon.slave.mesos.:31744'],
    '_slave._tcp.mesos.': ['slave.mesos.:5051'],
    '_some-box._tcp.chronoswithaspaceandmixe.mesos.': ['some-box-h3dyr-0.chronoswithaspaceandmixe.slave.mesos.:31354'],
    '_some-box._tcp.chronoswithaspaceandmixe.slave.mesos.': ['some-box-h3dyr-0.chronoswithaspaceandmixe.slave.mesos.:31354'],
    '_some-box._udp.chronoswithaspaceandmixe.mesos.': ['some-box-h3dyr-0.chronoswithaspaceandmixe.slave.mesos.:31354'],
    '_some-box._udp.chronoswithaspaceandmixe.slave.mesos.': ['some-box-h3dyr-0.chronoswithaspaceandmixe.slave.mesos.:31354'],
    '_toy-store._tcp.ipv6-framework.mesos.': ['toy-store-go588-3.ipv6-framework.slave.mesos.:31354', 'toy-store-go588-3.ipv6-framework.slave.mesos.:31355'],
    '_toy-store._tcp.ipv6-framework.slave.mesos.': ['toy-store-go588-3.ipv6-framework.slave.mesos.:31354', 'toy-store-go588-3.ipv6-framework.slave.mesos.:31355'],
    '_toy-store._udp.ipv6-framework.mesos.': ['toy-store-go588-3.ipv6-framework.slave.mesos.:31354', 'toy-store-go588-3.ipv6-framework.slave.mesos.:31355'],
    '_toy-store._udp.ipv6-framework.slave.mesos.': ['toy-store-go588-3.ipv6-framework.slave.mesos.:31354', 'toy-store-go588-3.ipv6-framework.slave.mesos.:31355'],
  },
};

/** A copy of a Flat set with some names replaced (value undefined = remove the name). */
function patch(base: Flat, changes: Partial<Record<'A' | 'AAAA' | 'SRV', Record<string, string[] | undefined>>>): Flat {
  const out: Flat = structuredClone(base);
  for (const k of ['A', 'AAAA', 'SRV'] as const) {
    for (const [n, v] of Object.entries(changes[k] ?? {})) {
      if (v === undefined) delete out[k][n];
      else out[k][n] = v;
    }
  }
  return sortFlat(out);
}

/** Rename in every name and value. */
function rename(base: Flat, from: string, to: string): Flat {
  const out: Flat = { A: {}, AAAA: {}, SRV: {} };
  for (const k of ['A', 'AAAA', 'SRV'] as const) {
    for (const [n, v] of Object.entries(base[k])) out[k][n.split(from).join(to)] = v.map((x) => x.split(from).join(to)).sort();
  }
  return out;
}

t.test('TestInsertState: every row (SPEC §12.2)', async (t) => {
  const state = fixture(RG_LEADER);
  const gens: Record<string, RecordSet> = {
    rg: generate(state, LOCALHOST, rgOpts(RG)).records,
    rgDocker: generate(state, LOCALHOST, rgOpts(['docker', 'host'])).records,
    rgMesos: generate(state, LOCALHOST, rgOpts(['mesos', 'host'])).records,
    rgSlave: generate(state, LOCALHOST, rgOpts(['host'])).records,
    rgNetinfo: generate(state, LOCALHOST, rgOpts(['netinfo'])).records,
  };
  const rows: [string, 'A' | 'AAAA' | 'SRV', string, string[]][] = [
    ['rg', 'A', 'big-dog.marathon.mesos.', ['10.3.0.1']],
    ['rg', 'A', 'liquor-store.marathon.mesos.', ['10.3.0.1', '10.3.0.2']],
    ['rg', 'A', 'liquor-store.marathon.slave.mesos.', ['1.2.3.11', '1.2.3.12']],
    ['rg', 'A', 'car-store.marathon.slave.mesos.', ['1.2.3.11']],
    ['rg', 'A', 'nginx.marathon.mesos.', ['10.3.0.3']],
    ['rg', 'A', 'poseidon.marathon.mesos.', []],
    ['rg', 'A', 'poseidon.marathon.slave.mesos.', []],
    ['rg', 'A', 'master.mesos.', ['144.76.157.37']],
    ['rg', 'A', 'master0.mesos.', ['144.76.157.37']],
    ['rg', 'A', 'leader.mesos.', ['144.76.157.37']],
    ['rg', 'A', 'slave.mesos.', ['1.2.3.10', '1.2.3.11', '1.2.3.12']],
    ['rg', 'A', 'some-box.chronoswithaspaceandmixe.mesos.', ['1.2.3.11']],
    ['rg', 'A', 'marathon.mesos.', ['1.2.3.11']],
    ['rg', 'AAAA', 'toy-store.ipv6-framework.mesos.', ['fd01:b::1:8000:2']],
    ['rg', 'AAAA', 'toy-store.ipv6-framework.slave.mesos.', ['2001:db8::1']],
    ['rg', 'AAAA', 'ipv6-framework.mesos.', ['2001:db8::1']],
    ['rg', 'AAAA', 'slave.mesos.', ['2001:db8::1']],
    ['rg', 'SRV', '_big-dog._tcp.marathon.mesos.', ['big-dog-4dfjd-0.marathon.mesos.:80', 'big-dog-4dfjd-0.marathon.mesos.:443']],
    ['rg', 'SRV', '_poseidon._tcp.marathon.mesos.', []],
    ['rg', 'SRV', '_leader._tcp.mesos.', ['leader.mesos.:5050']],
    ['rg', 'SRV', '_liquor-store._tcp.marathon.mesos.', [
      'liquor-store-4dfjd-0.marathon.mesos.:80', 'liquor-store-4dfjd-0.marathon.mesos.:443',
      'liquor-store-zasmd-1.marathon.mesos.:80', 'liquor-store-zasmd-1.marathon.mesos.:443']],
    ['rg', 'SRV', '_liquor-store._udp.marathon.mesos.', []],
    ['rg', 'SRV', '_liquor-store.marathon.mesos.', []],
    ['rg', 'SRV', '_https._liquor-store._tcp.marathon.mesos.', [
      'liquor-store-4dfjd-0.marathon.mesos.:443', 'liquor-store-zasmd-1.marathon.mesos.:443']],
    ['rg', 'SRV', '_http._liquor-store._tcp.marathon.mesos.', [
      'liquor-store-4dfjd-0.marathon.mesos.:80', 'liquor-store-zasmd-1.marathon.mesos.:80']],
    ['rg', 'SRV', '_car-store._tcp.marathon.mesos.', [
      'car-store-zinaz-0.marathon.slave.mesos.:31364', 'car-store-zinaz-0.marathon.slave.mesos.:31365']],
    ['rg', 'SRV', '_car-store._udp.marathon.mesos.', [
      'car-store-zinaz-0.marathon.slave.mesos.:31364', 'car-store-zinaz-0.marathon.slave.mesos.:31365']],
    ['rg', 'SRV', '_slave._tcp.mesos.', ['slave.mesos.:5051']],
    ['rg', 'SRV', '_framework._tcp.marathon.mesos.', ['marathon.mesos.:25501']],
    ['rgSlave', 'A', 'liquor-store.marathon.mesos.', ['1.2.3.11', '1.2.3.12']],
    ['rgSlave', 'A', 'liquor-store.marathon.slave.mesos.', ['1.2.3.11', '1.2.3.12']],
    ['rgSlave', 'A', 'nginx.marathon.mesos.', ['1.2.3.11']],
    ['rgSlave', 'A', 'car-store.marathon.slave.mesos.', ['1.2.3.11']],
    ['rgSlave', 'AAAA', 'toy-store.ipv6-framework.mesos.', ['2001:db8::1']],
    ['rgSlave', 'AAAA', 'toy-store.ipv6-framework.slave.mesos.', ['2001:db8::1']],
    ['rgMesos', 'A', 'liquor-store.marathon.mesos.', ['1.2.3.11', '1.2.3.12']],
    ['rgMesos', 'A', 'liquor-store.marathon.slave.mesos.', ['1.2.3.11', '1.2.3.12']],
    ['rgMesos', 'A', 'nginx.marathon.mesos.', ['10.3.0.3']],
    ['rgMesos', 'A', 'car-store.marathon.slave.mesos.', ['1.2.3.11']],
    ['rgMesos', 'AAAA', 'toy-store.ipv6-framework.mesos.', ['2001:db8::1']],
    ['rgMesos', 'AAAA', 'toy-store.ipv6-framework.slave.mesos.', ['2001:db8::1']],
    ['rgNetinfo', 'A', 'toy-store.ipv6-framework.mesos.', ['12.0.1.3', '12.0.1.2']],
    ['rgNetinfo', 'AAAA', 'toy-store.ipv6-framework.mesos.', ['fd01:b::1:8000:2']],
    ['rgNetinfo', 'AAAA', 'toy-store.ipv6-framework.slave.mesos.', ['2001:db8::1']],
    ['rgDocker', 'A', 'liquor-store.marathon.mesos.', ['10.3.0.1', '10.3.0.2']],
    ['rgDocker', 'A', 'liquor-store.marathon.slave.mesos.', ['1.2.3.11', '1.2.3.12']],
    ['rgDocker', 'A', 'nginx.marathon.mesos.', ['1.2.3.11']],
    ['rgDocker', 'A', 'car-store.marathon.slave.mesos.', ['1.2.3.11']],
    ['rgDocker', 'AAAA', 'toy-store.ipv6-framework.mesos.', ['2001:db8::1']],
    ['rgDocker', 'AAAA', 'toy-store.ipv6-framework.slave.mesos.', ['2001:db8::1']],
  ];
  t.equal(rows.length, 50);
  for (const [gen, type, name, want] of rows) {
    t.same([...(gens[gen][type].get(name) ?? [])].sort(), [...want].sort(), `${gen} ${type} ${name}`);
  }
});

t.test('complete record set for the rg parameters (SPEC §12.8)', async (t) => {
  const g = generate(fixture(RG_LEADER), LOCALHOST, rgOpts(RG));
  t.same(g.warnings, []);
  const got = flat(g.records);
  t.equal(Object.keys(got.A).length, 50, '50 A names');
  t.equal(Object.keys(got.AAAA).length, 6, '6 AAAA names');
  t.equal(Object.keys(got.SRV).length, 46, '46 SRV names');
  t.same(got, sortFlat(CANONICAL));
});

t.test('variants of §12.8', async (t) => {
  const canon = sortFlat(CANONICAL);
  const state = fixture(RG_LEADER);

  t.test('resolver-test config (fixture leader 1.2.3.4)', async (t) => {
    const got = flat(generate(fixture(), LOCALHOST, rgOpts(RG)).records);
    t.same(got, patch(canon, { A: {
      'leader.mesos.': ['1.2.3.4'],
      'master.mesos.': ['1.2.3.4', '144.76.157.37'],
      'master0.mesos.': ['144.76.157.37'],
      'master1.mesos.': ['1.2.3.4'],
    } }));
  });

  t.test('RFC1123', async (t) => {
    const got = flat(generate(state, LOCALHOST, rgOpts(RG, { enforceRFC952: false })).records);
    t.same(got, rename(canon, 'chronoswithaspaceandmixe', 'chronoswithaspaceandmixedcase-2.0.1'));
  });

  const dockerToSlave = {
    'big-dog-4dfjd-0.marathon.mesos.': ['1.2.3.11'],
    'big-dog.marathon.mesos.': ['1.2.3.11'],
    'big.dog-4dfjd-0.marathon.mesos.': ['1.2.3.11'],
    'big.dog.marathon.mesos.': ['1.2.3.11'],
    'liquor-store-4dfjd-0.marathon.mesos.': ['1.2.3.11'],
    'liquor-store-zasmd-1.marathon.mesos.': ['1.2.3.12'],
    'liquor-store.marathon.mesos.': ['1.2.3.11', '1.2.3.12'],
    'liquor.store-4dfjd-0.marathon.mesos.': ['1.2.3.11'],
    'liquor.store-zasmd-1.marathon.mesos.': ['1.2.3.12'],
    'liquor.store.marathon.mesos.': ['1.2.3.11', '1.2.3.12'],
  };
  const toyFromSlave = {
    A: { 'toy-store.ipv6-framework.mesos.': undefined, 'toy-store-go588-3.ipv6-framework.mesos.': undefined },
    AAAA: { 'toy-store.ipv6-framework.mesos.': ['2001:db8::1'], 'toy-store-go588-3.ipv6-framework.mesos.': ['2001:db8::1'] },
  };
  const nginxFromSlave = { 'nginx.marathon.mesos.': ['1.2.3.11'], 'nginx-6ud99-0.marathon.mesos.': ['1.2.3.11'] };

  t.test('[docker, host]', async (t) => {
    const got = flat(generate(state, LOCALHOST, rgOpts(['docker', 'host'])).records);
    t.same(got, patch(canon, { A: { ...nginxFromSlave, ...toyFromSlave.A }, AAAA: toyFromSlave.AAAA }));
  });

  t.test('[mesos, host]', async (t) => {
    const got = flat(generate(state, LOCALHOST, rgOpts(['mesos', 'host'])).records);
    t.same(got, patch(canon, { A: { ...dockerToSlave, ...toyFromSlave.A }, AAAA: toyFromSlave.AAAA }));
  });

  t.test('default [netinfo, mesos, host]', async (t) => {
    const got = flat(generate(state, LOCALHOST, rgOpts(['netinfo', 'mesos', 'host'])).records);
    t.same(got, patch(canon, { A: dockerToSlave }));
  });

  t.test('[host]', async (t) => {
    const got = flat(generate(state, LOCALHOST, rgOpts(['host'])).records);
    t.same(got, patch(canon, { A: { ...dockerToSlave, ...nginxFromSlave, ...toyFromSlave.A }, AAAA: toyFromSlave.AAAA }));
  });

  t.test('[netinfo]', async (t) => {
    const got = flat(generate(state, LOCALHOST, rgOpts(['netinfo'])).records);
    const gone: Record<string, undefined> = {};
    for (const [short, canonical] of [
      ['big-dog.marathon', 'big-dog-4dfjd-0.marathon'],
      ['big.dog.marathon', 'big.dog-4dfjd-0.marathon'],
      ['car-store.marathon', 'car-store-zinaz-0.marathon'],
      ['chronos.marathon', 'chronos-rx8q6-0.marathon'],
      ['liquor-store.marathon', 'liquor-store-4dfjd-0.marathon'],
      ['liquor-store.marathon', 'liquor-store-zasmd-1.marathon'],
      ['liquor.store.marathon', 'liquor.store-4dfjd-0.marathon'],
      ['liquor.store.marathon', 'liquor.store-zasmd-1.marathon'],
      ['nginx.marathon', 'nginx-6ud99-0.marathon'],
      ['reviewbot.marathon', 'reviewbot-8sq89-1.marathon'],
      ['some-box.chronoswithaspaceandmixe', 'some-box-h3dyr-0.chronoswithaspaceandmixe'],
    ]) {
      gone[short + '.mesos.'] = undefined;
      gone[canonical + '.mesos.'] = undefined;
    }
    t.same(got, patch(canon, { A: gone }));
  });
});

t.test('nopid.mesos. follows hostIPs', async (t) => {
  const state = fixture(RG_LEADER);
  const none = flat(generate(state, new Map(), rgOpts(RG)).records);
  t.equal(none.A['nopid.mesos.'], undefined, 'unresolved host: no record');
  const both = flat(generate(state, new Map([['localhost', ['127.0.0.1', '::1']]]), rgOpts(RG)).records);
  t.same(both.A['nopid.mesos.'], ['127.0.0.1']);
  t.same(both.AAAA['nopid.mesos.'], ['::1']);
  t.equal(both.SRV['_framework._tcp.nopid.mesos.'], undefined, 'no pid, no port, no SRV');
});

t.test('enumeration for the rg parameters (SPEC §7.7, §12.8)', async (t) => {
  const e = generate(fixture(RG_LEADER), LOCALHOST, rgOpts(RG)).enumeration;
  const fws = e.frameworks!;
  t.same(fws.map((f) => f.name), ['ipv6-framework', 'chronos with a space AND MIXED CASE-2.0.1', 'no pid', 'marathon']);
  t.same(fws.map((f) => f.tasks.map((x) => [x.name, x.records?.length ?? 0])), [
    [['toy-store', 16]],
    [['some-box', 8]],
    [],
    [['liquor.store', 24], ['big.dog2', 24], ['non-human-readable-liquor-store', 24], ['car.store', 12], ['chronos', 8],
      ['nginx', 4], ['reviewbot', 8]],
  ]);
  t.same(fws[3].tasks.map((x) => x.id), [
    'liquor-store.b8db9f73-562f-11e4-a088-c20493233aa5', 'liquor-store.b8db9f73-562f-11e4-a088-c20493233aa5',
    'liquor-store.b71166c1-562f-11e4-a088-c20493233aa5', 'car-store.43758382-562f-11e4-a088-c20493233aa5',
    'chronos.49b91a9a-3dda-11e4-a088-c20493233aa5', 'nginx.1bc32344-3dda-11e4-a088-c20493233aa5',
    'reviewbot.8c9b3434-615a-11e4-a088-c20493233aa5',
  ]);
  const toy = fws[0].tasks[0].records!.map((r) => [r.rtype, r.name, r.host]);
  const slaveT = 'toy-store-go588-3.ipv6-framework.slave.mesos.';
  t.same(toy, [
    ['A', 'toy-store.ipv6-framework.mesos.', '12.0.1.3'],
    ['A', 'toy-store-go588-3.ipv6-framework.mesos.', '12.0.1.3'],
    ['A', 'toy-store.ipv6-framework.mesos.', '12.0.1.2'],
    ['A', 'toy-store-go588-3.ipv6-framework.mesos.', '12.0.1.2'],
    ['AAAA', 'toy-store.ipv6-framework.mesos.', 'fd01:b::1:8000:2'],
    ['AAAA', 'toy-store-go588-3.ipv6-framework.mesos.', 'fd01:b::1:8000:2'],
    ['AAAA', 'toy-store.ipv6-framework.slave.mesos.', '2001:db8::1'],
    ['AAAA', slaveT, '2001:db8::1'],
    ['SRV', '_toy-store._tcp.ipv6-framework.slave.mesos.', slaveT + ':31354'],
    ['SRV', '_toy-store._udp.ipv6-framework.slave.mesos.', slaveT + ':31354'],
    ['SRV', '_toy-store._tcp.ipv6-framework.mesos.', slaveT + ':31354'],
    ['SRV', '_toy-store._udp.ipv6-framework.mesos.', slaveT + ':31354'],
    ['SRV', '_toy-store._tcp.ipv6-framework.slave.mesos.', slaveT + ':31355'],
    ['SRV', '_toy-store._udp.ipv6-framework.slave.mesos.', slaveT + ':31355'],
    ['SRV', '_toy-store._tcp.ipv6-framework.mesos.', slaveT + ':31355'],
    ['SRV', '_toy-store._udp.ipv6-framework.mesos.', slaveT + ':31355'],
  ]);
  // a DiscoveryInfo task: raw-name block first, then the sanitised block, each in §7.6 order
  const block = (n: string): string[][] => {
    const c = `${n}-4dfjd-0.marathon`;
    return [
      ['A', `${n}.marathon.mesos.`, '10.3.0.1'],
      ['A', `${c}.mesos.`, '10.3.0.1'],
      ['A', `${n}.marathon.slave.mesos.`, '1.2.3.11'],
      ['A', `${c}.slave.mesos.`, '1.2.3.11'],
      ['SRV', `_${n}._tcp.marathon.slave.mesos.`, `${c}.slave.mesos.:31354`],
      ['SRV', `_${n}._udp.marathon.slave.mesos.`, `${c}.slave.mesos.:31354`],
      ['SRV', `_${n}._tcp.marathon.slave.mesos.`, `${c}.slave.mesos.:31355`],
      ['SRV', `_${n}._udp.marathon.slave.mesos.`, `${c}.slave.mesos.:31355`],
      ['SRV', `_${n}._tcp.marathon.mesos.`, `${c}.mesos.:80`],
      ['SRV', `_http._${n}._tcp.marathon.mesos.`, `${c}.mesos.:80`],
      ['SRV', `_${n}._tcp.marathon.mesos.`, `${c}.mesos.:443`],
      ['SRV', `_https._${n}._tcp.marathon.mesos.`, `${c}.mesos.:443`],
    ];
  };
  t.same(fws[3].tasks[0].records!.map((r) => [r.rtype, r.name, r.host]), [...block('liquor.store'), ...block('liquor-store')]);
  t.same(fws[3].tasks[1].records!.map((r) => [r.rtype, r.name, r.host]), [...block('big.dog'), ...block('big-dog')]);
});

t.test('enumeration: records only newly added pairs, null when none; frameworks null when none', async (t) => {
  const base = {
    leader: 'master@10.0.0.1:5050',
    slaves: [{ id: 'S-1', pid: 'slave(1)@10.0.0.2:5051' }],
    frameworks: [{
      name: 'fw', pid: 'scheduler(1)@10.0.0.4:8080',
      tasks: [
        { id: 'a', name: 'web', slave_id: 'S-1', state: 'TASK_RUNNING', resources: { ports: '[1000-1000]' } },
        { id: 'a', name: 'web', slave_id: 'S-1', state: 'TASK_RUNNING', resources: { ports: '[1000-1000]' } },
        { id: 'b', name: 'web', slave_id: 'S-1', state: 'TASK_RUNNING' },
        { id: 'c', name: 'gone', slave_id: 'S-unknown', state: 'TASK_RUNNING' },
        { id: 'd', name: 'done', slave_id: 'S-1', state: 'TASK_FINISHED' },
      ],
    }, { name: 'empty', tasks: [] }],
  };
  const st = parseState(base).state!;
  const e = generate(st, new Map(), { ...rgOpts(['host']), masters: [] }).enumeration;
  t.same(JSON.parse(JSON.stringify(e)), {
    frameworks: [{
      tasks: [
        { name: 'web', id: 'a', records: [
          { name: 'web.fw.mesos.', host: '10.0.0.2', rtype: 'A' },
          { name: 'web-o556e-1.fw.mesos.', host: '10.0.0.2', rtype: 'A' },
          { name: 'web.fw.slave.mesos.', host: '10.0.0.2', rtype: 'A' },
          { name: 'web-o556e-1.fw.slave.mesos.', host: '10.0.0.2', rtype: 'A' },
          { name: '_web._tcp.fw.slave.mesos.', host: 'web-o556e-1.fw.slave.mesos.:1000', rtype: 'SRV' },
          { name: '_web._udp.fw.slave.mesos.', host: 'web-o556e-1.fw.slave.mesos.:1000', rtype: 'SRV' },
          { name: '_web._tcp.fw.mesos.', host: 'web-o556e-1.fw.slave.mesos.:1000', rtype: 'SRV' },
          { name: '_web._udp.fw.mesos.', host: 'web-o556e-1.fw.slave.mesos.:1000', rtype: 'SRV' },
        ] },
        { name: 'web', id: 'a', records: null },
        { name: 'web', id: 'b', records: [
          { name: 'web-78mt6-1.fw.mesos.', host: '10.0.0.2', rtype: 'A' },
          { name: 'web-78mt6-1.fw.slave.mesos.', host: '10.0.0.2', rtype: 'A' },
        ] },
      ],
      name: 'fw',
    }, { tasks: [], name: 'empty' }],
  });
  t.equal(JSON.stringify(e.frameworks![1]), '{"tasks":[],"name":"empty"}', 'key order: tasks before name');
  const noFw = generate(parseState({ leader: 'master@10.0.0.1:5050' }).state!, new Map(), rgOpts(RG)).enumeration;
  t.same(noFw, { frameworks: null });
});

const refConfig = JSON.parse(readFileSync(new URL('../config.json', refDir), 'utf8'));
const REF_OPTS: GenerateOptions = {
  domain: refConfig.domain, nsName: refConfig.SOAMname + '.', listener: refConfig.listener,
  enforceRFC952: refConfig.EnforceRFC952, ipSources: refConfig.IPSources, masters: refConfig.masters,
};
const REF_LEADER = 'master@127.0.0.1:25050';

t.test('enumeration equals the original\'s /v1/enumerate for the reference config', async (t) => {
  const want = JSON.parse(readFileSync(new URL('v1-enumerate.body', refDir), 'utf8'));
  const got = generate(fixture(REF_LEADER), LOCALHOST, REF_OPTS).enumeration;
  t.same(got, want);
  t.equal(JSON.stringify(got), JSON.stringify(want), 'same key order and record order');
});

t.test('record set equals the original\'s /v1/axfr for the reference config', async (t) => {
  const want = JSON.parse(readFileSync(new URL('v1-axfr.body', refDir), 'utf8')).Records;
  const g = generate(fixture(REF_LEADER), LOCALHOST, REF_OPTS);
  t.same(g.warnings, []);
  t.same(flat(g.records), sortFlat({ A: want.As, AAAA: want.AAAAs, SRV: want.SRVs }));
});

t.test('TestParseState_SOAMname: name-server record from the listener', async (t) => {
  const st = parseState({ leader: 'foo@0.1.2.3:45' }).state!;
  const zero = { domain: '', enforceRFC952: false, ipSources: [], masters: [] };
  const v4 = generate(st, new Map(), { ...zero, nsName: 'jdef123.mesos.', listener: '4.5.6.7' }).records;
  t.ok(v4.A.get('jdef123.mesos.')?.has('4.5.6.7'));
  const v6 = generate(st, new Map(), { ...zero, nsName: 'ack456.mesos.', listener: '2001:db8::1' }).records;
  t.ok(v6.AAAA.get('ack456.mesos.')?.has('2001:db8::1'));
  t.equal(v6.A.get('ack456.mesos.'), undefined);
});

t.test('name-server record variants (§7.4)', async (t) => {
  const st = parseState({ leader: 'm@10.0.0.1:5050' }).state!;
  const o = { domain: 'mesos', nsName: 'ns1.mesos.', enforceRFC952: false, ipSources: [], masters: [] };
  const lo = generate(st, new Map(), { ...o, listener: '127.0.0.1' });
  t.same(flat(lo.records).A['ns1.mesos.'], ['127.0.0.1']);
  const any = generate(st, new Map(), { ...o, listener: '0.0.0.0', interfaceAddrs: ['10.1.1.1', 'fe80::1', '2001:DB8:0:0::5', '::ffff:10.9.9.9'] });
  const f = flat(any.records);
  t.same(f.A['ns1.mesos.'], ['10.1.1.1', '10.9.9.9']);
  t.same(f.AAAA['ns1.mesos.'], ['2001:db8::5', 'fe80::1']);
  const none = generate(st, new Map(), { ...o, listener: '0.0.0.0' });
  t.equal(none.records.A.get('ns1.mesos.'), undefined);
  const bad = generate(st, new Map(), { ...o, listener: 'dns.example' });
  t.equal(bad.records.A.get('ns1.mesos.'), undefined);
  t.same(bad.warnings, ['listener "dns.example" is not an IP address: no name-server record']);
  const mapped = generate(st, new Map(), { ...o, listener: '::ffff:192.0.2.1' });
  t.same(flat(mapped.records).A['ns1.mesos.'], ['192.0.2.1']);
});

t.test('TestMasterRecord (§12.3): exact record maps', async (t) => {
  const L = (x: string) => ({ 'leader.foo.com.': [x] });
  const srv = { '_leader._tcp.foo.com.': ['leader.foo.com.:7'], '_leader._udp.foo.com.': ['leader.foo.com.:7'] };
  const as9 = { A: { ...L('0.0.0.6'), 'master.foo.com.': ['0.0.0.6', '0.0.0.8'], 'master0.foo.com.': ['0.0.0.8'], 'master1.foo.com.': ['0.0.0.6'] }, AAAA: {}, SRV: srv };
  const as6 = { A: { ...L('0.0.0.6'), 'master.foo.com.': ['0.0.0.6'], 'master0.foo.com.': ['0.0.0.6'] }, AAAA: {}, SRV: srv };
  const empty = { A: {}, AAAA: {}, SRV: {} };
  const rows: [string[] | null, string, Flat][] = [
    [null, '', empty],
    [null, '@', empty],
    [null, '1@', empty],
    [null, '@2', empty],
    [null, '3@4', empty],
    [null, '5@0.0.0.6:7', as6],
    [null, '5@[2001:db8::1]:7', { A: {}, AAAA: { 'leader.foo.com.': ['2001:db8::1'], 'master.foo.com.': ['2001:db8::1'], 'master0.foo.com.': ['2001:db8::1'] }, SRV: srv }],
    [['0.0.0.6:7'], '5@0.0.0.6:7', as6],
    [['0.0.0.8:9'], '5@0.0.0.6:7', as9],
    [['0.0.0.8:9', '0.0.0.8:9'], '5@0.0.0.6:7', as9],
    [['0.0.0.8:9', '0.0.0.6:7'], '5@0.0.0.6:7', as9],
    [['0.0.0.8:9', '0.0.0.6:7', '0.0.0.6:7'], '5@0.0.0.6:7', as9],
    [['0.0.0.8:9', '0.0.0.6:7', '0.0.0.7:0'], '5@0.0.0.6:7', { A: {
      ...L('0.0.0.6'), 'master.foo.com.': ['0.0.0.6', '0.0.0.7', '0.0.0.8'],
      'master0.foo.com.': ['0.0.0.8'], 'master1.foo.com.': ['0.0.0.6'], 'master2.foo.com.': ['0.0.0.7'],
    }, AAAA: {}, SRV: srv }],
    [['0.0.0.8:9', '0.0.0.6:7', '[2001:db8::1]:0'], '5@0.0.0.6:7', { A: {
      ...L('0.0.0.6'), 'master.foo.com.': ['0.0.0.6', '0.0.0.8'],
      'master0.foo.com.': ['0.0.0.8'], 'master1.foo.com.': ['0.0.0.6'],
    }, AAAA: { 'master.foo.com.': ['2001:db8::1'], 'master2.foo.com.': ['2001:db8::1'] }, SRV: srv }],
  ];
  t.equal(rows.length, 14);
  for (const [masters, leader, want] of rows) {
    const b = new RecordDraft();
    addMasterRecords(b, 'foo.com', masters ?? [], leader, []);
    t.same(flat(b.toRecordSet()), sortFlat(want), `masters=${JSON.stringify(masters)} leader=${JSON.stringify(leader)}`);
  }
});

t.test('master/leader: where the original panicked, skip with a warning', async (t) => {
  const run = (masters: string[], leader: string) => {
    const b = new RecordDraft();
    const w: string[] = [];
    addMasterRecords(b, 'mesos', masters, leader, w);
    return { f: flat(b.toRecordSet()), w };
  };
  const a = run(['master-1.example:5050', '10.0.0.2:5050'], 'master@master-1.example:5050');
  t.same(a.f, sortFlat({ A: { 'master.mesos.': ['10.0.0.2'], 'master0.mesos.': ['10.0.0.2'] }, AAAA: {}, SRV: {} }));
  t.same(a.w, [
    'leader host "master-1.example" is not an IP address: no leader records',
    'master host "master-1.example" is not an IP address: skipped',
    'leader "master@master-1.example:5050" is not in the masters list',
  ]);
  const b = run(['', ':5050', '10.0.0.1:5050'], 'master@10.0.0.1:5050');
  t.same(b.f, sortFlat({ A: { 'leader.mesos.': ['10.0.0.1'], 'master.mesos.': ['10.0.0.1'], 'master0.mesos.': ['10.0.0.1'] }, AAAA: {},
    SRV: { '_leader._tcp.mesos.': ['leader.mesos.:5050'], '_leader._udp.mesos.': ['leader.mesos.:5050'] } }));
  t.same(b.w, ['master host "" is not an IP address: skipped'], 'the "" unknown-leader slot is silent');
  // the leader's own '@'-field rule: the second field is the address
  const c = run([], 'master@10.0.0.1:5050@x');
  t.same(c.f.A['leader.mesos.'], ['10.0.0.1']);
});

t.test('TestNTasks: a set per name', async (t) => {
  const b = new RecordDraft();
  t.equal(b.add('A', 'blah.mesos', '10.0.0.1'), true);
  t.equal(b.add('A', 'blah.mesos', '10.0.0.1'), false);
  t.equal(b.add('A', 'blah.mesos', '10.0.0.2'), true);
  t.equal(b.add('A', 'blah.mesos', ''), false, 'empty value never stored');
  t.same([...b.toRecordSet().A.get('blah.mesos')!], ['10.0.0.1', '10.0.0.2']);
});
