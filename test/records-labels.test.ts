// Label sanitisers, DomainFrag, task hash and slave-id tail against the original's own test
// expectations (SPEC §12.6, §12.3 hash, §6.5), plus property checks over random strings.
import t from 'tap';
import { createHash } from 'node:crypto';
import { domainFrag, fitFirst, fitLast, rfc1123, rfc952 } from '../src/records/labels.js';
import { slaveIDTail, taskHash } from '../src/records/hash.js';

const shared: [string, string][] = [
  ['', ''],
  ['a', 'a'],
  ['-', ''],
  ['a---', 'a'],
  ['---a---', 'a'],
  ['---a---b', 'a---b'],
  ['a.b.c.d.e', 'a-b-c-d-e'],
  ['a.c.d_de.', 'a-c-d-de'],
  ['abc123', 'abc123'],
  ['-abc123', 'abc123'],
  ['abc123-', 'abc123'],
  ['abc-123', 'abc-123'],
  ['abc--123', 'abc--123'],
  ['r29f.dev.angrypigs', 'r29f-dev-angrypigs'],
  ['hello' + '-'.repeat(58) + 'f', 'hellof'],
];

const only952: [string, string][] = [
  ['4abc123', 'abc123'],
  ['-4abc123', 'abc123'],
  ['fd%gsf---gs7-f$gs--d7fddg-123', 'fdgsf---gs7-fgs--d7fddg1'],
  ['89fdgsf---gs7-fgs--d7fddg-123', 'fdgsf---gs7-fgs--d7fddg1'],
  ['89fdgsf---gs7-fgs--d7fddg---123', 'fdgsf---gs7-fgs--d7fddg1'],
  ['89fdgsf---gs7-fgs--d7fddg-', 'fdgsf---gs7-fgs--d7fddg'],
  ['chronos with a space AND MIXED CASE-2.0.1', 'chronoswithaspaceandmixe'],
  ['chronos with a space AND----------MIXED--', 'chronoswithaspaceandmixe'],
  ['hello' + '-'.repeat(56) + 'f', 'hellof'],
  // §6.2 trailing-dash quirk
  ['a'.repeat(22) + '---b--x', 'a'.repeat(22) + 'b-'],
];

const long1123 = 'fdgsf---gs7-fgs--d7fddg1234567890123456789012345678901234567891';
const only1123: [string, string][] = [
  ['4abc123', '4abc123'],
  ['-4abc123', '4abc123'],
  ['89fdgsf---gs7-fgs--d7fddg-123', '89fdgsf---gs7-fgs--d7fddg-123'],
  ['89fdgsf---gs7-fgs--d7fddg---123', '89fdgsf---gs7-fgs--d7fddg---123'],
  ['89fdgsf---gs7-fgs--d7fddg-', '89fdgsf---gs7-fgs--d7fddg'],
  ['fd%gsf---gs7-f$gs--d7fddg-123', 'fdgsf---gs7-fgs--d7fddg-123'],
  ['fd%gsf---gs7-f$gs--d7fddg123456789012345678901234567890123456789-123', long1123],
  ['$$fdgsf---gs7-fgs--d7fddg123456789012345678901234567890123456789-123', long1123],
  ['%%fdgsf---gs7-fgs--d7fddg123456789012345678901234567890123456789---123', long1123],
  ['##fdgsf---gs7-fgs--d7fddg123456789012345678901234567890123456789-',
    'fdgsf---gs7-fgs--d7fddg123456789012345678901234567890123456789'],
  ['hello' + '-'.repeat(56) + 'f', 'hello' + '-'.repeat(56) + 'f'],
  // §6.2 trailing-dash quirk
  ['a'.repeat(60) + '---a--x', 'a'.repeat(61) + '--'],
  ['chronos with a space AND MIXED CASE-2.0.1', 'chronoswithaspaceandmixedcase-2-0-1'],
  ['ÜnïcødeΣ name', 'ncdename'],
];

t.test('RFC1123 and RFC952 shared cases', async (t) => {
  for (const [input, want] of shared) {
    t.equal(rfc1123(input), want, `rfc1123(${JSON.stringify(input)})`);
    t.equal(rfc952(input), want, `rfc952(${JSON.stringify(input)})`);
  }
});

t.test('RFC952-only cases', async (t) => {
  for (const [input, want] of only952) t.equal(rfc952(input), want, `rfc952(${JSON.stringify(input)})`);
});

t.test('RFC1123-only cases', async (t) => {
  for (const [input, want] of only1123) t.equal(rfc1123(input), want, `rfc1123(${JSON.stringify(input)})`);
});

t.test('DomainFrag', async (t) => {
  const both: [string, string][] = [
    ['(@ host . com', 'host.com'],
    ['MiXeDcase.CoM', 'mixedcase.com'],
    ['a..c', 'a.c'],
    ['.', ''],
    ['..', ''],
    ['', ''],
    ['a.c.', 'a.c'],
    ['.a.c', 'a.c'],
    ['a..c.e', 'a.c.e'],
    ['space space.com', 'spacespace.com'],
    ['blah-dash.com', 'blah-dash.com'],
    ['not$1234.com', 'not1234.com'],
    ['no pid', 'nopid'],
  ];
  for (const [input, want] of both) {
    t.equal(domainFrag(input, rfc1123), want, `rfc1123 ${JSON.stringify(input)}`);
    t.equal(domainFrag(input, rfc952), want, `rfc952 ${JSON.stringify(input)}`);
  }
  t.equal(domainFrag('pod_123$abc.marathon-0.6.0-dev.mesos', rfc952), 'pod-123abc.marathon-0.dev.mesos');
  t.equal(domainFrag('pod_123$abc.marathon-0.6.0-dev.mesos', rfc1123), 'pod-123abc.marathon-0.6.0-dev.mesos');
  t.equal(domainFrag('chronos with a space AND MIXED CASE-2.0.1', rfc952), 'chronoswithaspaceandmixe');
  t.equal(domainFrag('chronos with a space AND MIXED CASE-2.0.1', rfc1123), 'chronoswithaspaceandmixedcase-2.0.1');
});

t.test('property: random strings', async (t) => {
  // deterministic xorshift so a failure reproduces
  let seed = 0x9e3779b9;
  const rnd = (n: number): number => {
    seed ^= seed << 13; seed >>>= 0;
    seed ^= seed >>> 17;
    seed ^= seed << 5; seed >>>= 0;
    return seed % n;
  };
  const alphabet = 'abcXYZ0189-._ $%@\u00e9\u4e2d';
  let bad952 = 0;
  let bad1123 = 0;
  const ok = /^[0-9a-z-]*$/;
  for (let i = 0; i < 100000; i++) {
    const len = rnd(90);
    let s = '';
    for (let j = 0; j < len; j++) s += alphabet[rnd(alphabet.length)];
    const a = rfc952(s);
    const b = rfc1123(s);
    if (!ok.test(a) || a.length > 24 || /^[-0-9]/.test(a)) { bad952++; if (bad952 < 5) t.fail(`rfc952(${JSON.stringify(s)}) = ${a}`); }
    if (!ok.test(b) || b.length > 63 || b.startsWith('-')) { bad1123++; if (bad1123 < 5) t.fail(`rfc1123(${JSON.stringify(s)}) = ${b}`); }
  }
  t.equal(bad952, 0, 'RFC952: charset [0-9a-z-], first char a letter, length ≤ 24');
  t.equal(bad1123, 0, 'RFC1123: charset [0-9a-z-], no leading dash, length ≤ 63');
});

t.test('task hash', async (t) => {
  t.equal(taskHash('test'), 'iffe9');
  t.equal(taskHash(''), '5eh48');
  const fixture: [string, string][] = [
    ['toy-store.b8db9f73-562f-11e4-a088-c20493233aa5', 'go588'],
    ['some-box.b8db9f73-562f-11e4-a088-c20493233aa5', 'h3dyr'],
    ['liquor-store.b8db9f73-562f-11e4-a088-c20493233aa5', '4dfjd'],
    ['liquor-store.b71166c1-562f-11e4-a088-c20493233aa5', 'zasmd'],
    ['car-store.43758382-562f-11e4-a088-c20493233aa5', 'zinaz'],
    ['chronos.49b91a9a-3dda-11e4-a088-c20493233aa5', 'rx8q6'],
    ['nginx.1bc32344-3dda-11e4-a088-c20493233aa5', '6ud99'],
    ['reviewbot.8c9b3434-615a-11e4-a088-c20493233aa5', '8sq89'],
  ];
  for (const [id, want] of fixture) t.equal(taskHash(id), want, id);
});

t.test('task hash equals a straightforward z-base-32 of the SHA-1 prefix', async (t) => {
  // independent reference: encode the digest bit by bit
  const ref = (s: string): string => {
    const d = createHash('sha1').update(s).digest();
    let bits = '';
    for (const byte of d) bits += byte.toString(2).padStart(8, '0');
    let out = '';
    for (let i = 0; i < 5; i++) out += 'ybndrfg8ejkmcpqxot1uwisza345h769'[parseInt(bits.slice(i * 5, i * 5 + 5), 2)];
    return out;
  };
  let mismatches = 0;
  for (let i = 0; i < 2000; i++) {
    const s = `task-${i}-\u00e9${i * 7919}`;
    if (taskHash(s) !== ref(s)) mismatches++;
  }
  t.equal(mismatches, 0);
});

t.test('slave-id tail', async (t) => {
  t.equal(slaveIDTail('20140803-194712-3041283216-5050-2116-3'), '3');
  t.equal(slaveIDTail('20151020-000000-0000000000-5050-0000-S3'), 's3');
  t.equal(slaveIDTail('NoDash'), 'nodash');
  t.equal(slaveIDTail('a-B_c'), 'b_c');
  t.equal(slaveIDTail('trailing-'), '');
});

t.test('labels cut to fit 63 octets (long task names, README "Names")', async (t) => {
  const a = (n: number) => 'a'.repeat(n);
  t.equal(fitLast(a(55), 8), a(55), '55 + "-hash-0" fits as is');
  t.equal(fitLast(a(56), 8), a(55));
  t.equal(fitLast(a(63), 8), a(55));
  t.equal(fitLast(`raw.${a(60)}`, 8), `raw.${a(55)}`, 'only the last label of a raw name');
  t.equal(fitLast(a(60), 70), a(60), 'left alone when not even one character would fit');
  t.equal(fitFirst(a(62), 1), a(62));
  t.equal(fitFirst(a(63), 1), a(62));
  t.equal(fitFirst(`${a(63)}.store`, 1), `${a(62)}.store`, 'only the first label');
});
