// Incremental zone versions (zone/incremental.ts, zone/patch.ts) must serve exactly what a full
// build of the same state serves. Random event sequences (launches, kills, status changes, agents
// and frameworks added, removed and renamed) drive the stream's real cluster model; after every
// batch the patched image is compared with a full build, whole: every name with its records, its
// SRV targets' addresses as the image points to them (the additional section), and every empty
// non-terminal; the change set must turn the previous version into the new one; and answers to
// the names that changed (and their parents, and a sample of the rest) are compared through the
// real query handler. A patch that is ignored, or a target pointer left behind, fails it.
import t from 'tap';
import { DemoCluster } from '../src/demo/cluster.js';
import { generate } from '../src/records/generate.js';
import { NO_ENTRY, ZoneImage } from '../src/zone/image.js';
import { buildImage } from '../src/zone/image-write.js';
import { IncrementalZone } from '../src/zone/incremental.js';
import { compactImage, patchImage } from '../src/zone/patch.js';
import { Spares } from '../src/zone/spares.js';
import { entryRRs, wireToText, type ZoneDiff } from '../src/zone/changes.js';
import type { BuildParams } from '../src/zone/build.js';
import type { State } from '../src/state/types.js';
import { createAuthority } from '../src/dns/authority.js';
import { createQueryHandler } from '../src/dns/handler.js';
import { defaultConfig } from '../src/config/load.js';
import { buildQuery, decode, sorted } from './support/dnsmsg.js';
import { attach, fake, RandomChurn, rng } from './support/model.js';
import { hashWire, nameToWire } from '../src/wire/name.js';

const params: BuildParams = {
  generate: {
    domain: 'mesos', nsName: 'ns1.mesos.', listener: '127.0.0.1', enforceRFC952: false,
    ipSources: ['netinfo', 'mesos', 'host'], masters: ['1.2.3.4:5050'],
  },
  image: { domain: 'mesos', ttl: 60, srvWeight: 1 },
};
const HOSTS = new Map([['localhost', ['127.0.0.1']]]);

function full(state: State) {
  const g = generate(state, HOSTS, params.generate);
  const image = new ZoneImage(buildImage(g.draft, params.image));
  const c = g.draft.countByType();
  return { image, counts: { tasks: g.draft.taskId.length, names: g.draft.listCount(), records: g.draft.nodeCount, byType: { A: c[0], AAAA: c[1], SRV: c[2] } } };
}

/** Every name of an image: its records, each SRV with its target's addresses as pointed to, or "ENT". */
function dump(img: ZoneImage): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < img.entryCount; i++) {
    const e = img.entryAt(i);
    const name = wireToText(img.nameWire(e));
    if (!img.hasData(e)) { out.set(name, 'ENT'); continue; }
    const rrs = entryRRs(img, e, name).map((r) => `${r.type} ${r.data}`);
    for (let k = 0; k < img.srvCount(e); k++) {
      const tgt = img.srvTarget(e, k);
      const addrs = tgt === NO_ENTRY ? [] : entryRRs(img, tgt, '').filter((r) => r.type !== 'SRV').map((r) => r.data).sort();
      const srv = entryRRs(img, e, name).filter((r) => r.type === 'SRV')[k];
      rrs.push(`additional of ${srv.data}: ${addrs.join(',')}`);
    }
    out.set(name, rrs.sort().join(' | '));
  }
  return out;
}
const records = (d: Map<string, string>) => [...d].filter(([, v]) => v !== 'ENT').flatMap(([n, v]) => v.split(' | ').filter((r) => !r.startsWith('additional')).map((r) => `${n} ${r}`)).sort();

/** Apply a change set to a record list. */
function applied(before: string[], c: ZoneDiff): string[] {
  const s = new Set(before);
  for (const r of c.removed) s.delete(`${r.name} ${r.type} ${r.data}`);
  for (const r of c.added) s.add(`${r.name} ${r.type} ${r.data}`);
  return [...s].sort();
}

const config = { ...defaultConfig(), Masters: ['1.2.3.4:5050'] };
function answers(img: ZoneImage, names: string[]): unknown[] {
  const auth = createAuthority(config, img, 1);
  const handler = createQueryHandler({ authority: () => auth, forwarder: null });
  const out: unknown[] = [];
  for (const n of names) for (const type of ['A', 'AAAA', 'SRV', 'ANY']) {
    const r = decode(handler(buildQuery(n, type), 'tcp', '127.0.0.1') as Buffer); // no truncation: its cut depends on the shuffle
    out.push({ ...r, answer: sorted(r.answer), additional: sorted(r.additional) });
  }
  return out;
}

t.test('random event sequences: every incremental version equals a full build of the same state', async (t) => {
  let patched = 0, fallbacks = 0, compactions = 0, mismatches = 0;
  for (let seed = 1; seed <= 40 && mismatches === 0; seed++) {
    const rand = rng(seed);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const c = new DemoCluster(JSON.parse(fake));
    const m = attach(c);
    const inc = new IncrementalZone();
    const first = m.take().result.state!;
    const f0 = full(first);
    inc.adopt(f0.image, first, params, HOSTS, f0.counts);
    let prev = records(dump(f0.image));
    const churn = new RandomChurn(c, rand, seed, ['web', 'db', 'cache', 'Web'], ['marathon', 'chronos', 'web.marathon']);
    for (let step = 0; step < 40; step++) {
      // A batch: 1-4 events coalesced into one version.
      for (let k = 1 + Math.floor(rand() * 4); k > 0; k--) churn.step(step);
      const { result, hint } = m.take();
      const state = result.state!;
      const want = full(state);
      const got = inc.update(state, params, HOSTS, hint);
      if (got === null) {
        fallbacks++;
        inc.adopt(want.image, state, params, HOSTS, want.counts);
        prev = records(dump(want.image));
        continue;
      }
      patched++;
      if (got.stats.compacted) compactions++;
      const img = new ZoneImage(got.image);
      const a = dump(img), b = dump(want.image);
      const now = records(a);
      const changedNames = new Set([...got.changes.added, ...got.changes.removed].map((r) => r.name));
      const probe = new Set<string>(['mesos.', 'no-such-name.mesos.', 'x.marathon.mesos.']);
      for (const n of changedNames) { probe.add(n); probe.add(n.slice(n.indexOf('.') + 1)); probe.add('x.' + n); }
      const all = [...b.keys()];
      for (let k = 0; k < 10 && all.length; k++) probe.add(pick(all));
      const same = JSON.stringify([...a].sort()) === JSON.stringify([...b].sort())
        && JSON.stringify(applied(prev, got.changes)) === JSON.stringify(now)
        && JSON.stringify(answers(img, [...probe])) === JSON.stringify(answers(want.image, [...probe]));
      if (!same) {
        mismatches++;
        t.same(Object.fromEntries([...a].sort()), Object.fromEntries([...b].sort()), `seed ${seed} step ${step}: names and records`);
        t.same(applied(prev, got.changes), now, `seed ${seed} step ${step}: the change set turns the previous version into this one`);
        t.same(answers(img, [...probe]), answers(want.image, [...probe]), `seed ${seed} step ${step}: answers`);
        break;
      }
      t.equal(got.tasks, want.counts.tasks, 'task count follows');
      prev = now;
    }
  }
  t.equal(mismatches, 0, 'no version differed from a full build');
  t.ok(patched > fallbacks * 4, `most versions are patched (${patched} patched, ${fallbacks} full builds)`);
  t.ok(compactions > 0, `compaction ran (${compactions} times)`);
});

t.test('patchImage and compactImage: a name replaced, added, removed; the others untouched', async (t) => {
  const draft = (recs: [string, string][]) => {
    const g = generate({ leader: '', slaves: [], frameworks: [] }, new Map(), params.generate).draft;
    for (const [n, ip] of recs) g.add('A', n, ip);
    return new ZoneImage(buildImage(g, params.image));
  };
  const base = draft([['a.x.mesos.', '10.0.0.1'], ['b.x.mesos.', '10.0.0.2'], ['c.x.mesos.', '10.0.0.3']]);
  const src = draft([['a.x.mesos.', '10.9.9.9'], ['d.y.mesos.', '10.0.0.4']]);
  const w = (n: string) => nameToWire(n, true)!;
  const edit = (n: string, from: ZoneImage | 'ent' | null) => ({ name: w(n), hash: hashWire(w(n)), from, entry: from instanceof ZoneImage ? from.findName(n) : -1 });
  const p = patchImage(base, [edit('a.x.mesos.', src), edit('d.y.mesos.', src), edit('y.mesos.', 'ent'), edit('c.x.mesos.', null)])!;
  const img = new ZoneImage(p.buffer);
  t.same(img.addresses('a.x.mesos.').A, ['10.9.9.9']);
  t.same(img.addresses('b.x.mesos.').A, ['10.0.0.2'], 'untouched');
  t.equal(img.findName('c.x.mesos.'), -1, 'removed');
  t.same(img.addresses('d.y.mesos.').A, ['10.0.0.4']);
  t.ok(img.findName('y.mesos.') >= 0 && !img.hasData(img.findName('y.mesos.')), 'an empty non-terminal');
  t.ok(p.freed > 0, 'the replaced blocks and the old index are counted as freed');
  const dense = new ZoneImage(compactImage(img));
  t.same([...dump(dense)].sort(), [...dump(img)].sort(), 'compaction keeps every name');
  t.ok(dense.buffer.byteLength < img.buffer.byteLength, 'and drops the dead bytes');
});

t.test('a version written into a reused buffer (zone/spares.ts) is byte for byte the one written into a new buffer', async (t) => {
  const draft = (recs: [string, string][]) => {
    const g = generate({ leader: '', slaves: [], frameworks: [] }, new Map(), params.generate).draft;
    for (const [n, ip] of recs) g.add('A', n, ip);
    return new ZoneImage(buildImage(g, { ...params.image, shared: true }));
  };
  const base = draft([['a.x.mesos.', '10.0.0.1'], ['b.x.mesos.', '10.0.0.2'], ['c.x.mesos.', '10.0.0.3']]);
  const src = draft([['a.x.mesos.', '10.9.9.9'], ['d.y.mesos.', '10.0.0.4']]);
  const w = (n: string) => nameToWire(n, true)!;
  const edit = (n: string, from: ZoneImage | 'ent' | null) => ({ name: w(n), hash: hashWire(w(n)), from, entry: from instanceof ZoneImage ? from.findName(n) : -1 });
  const edits = [edit('a.x.mesos.', src), edit('d.y.mesos.', src), edit('y.z.mesos.', 'ent'), edit('c.x.mesos.', null)];
  // A spare holds an older version's bytes: here every byte set, and longer than needed.
  const dirty = (bytes: number) => { const b = new SharedArrayBuffer(bytes + 64); new Uint8Array(b).fill(0xa5); return b; };
  const same = (a: ArrayBuffer | SharedArrayBuffer, b: ArrayBuffer | SharedArrayBuffer) => {
    const n = new ZoneImage(a).size;
    return n === new ZoneImage(b).size && Buffer.compare(Buffer.from(new Uint8Array(a, 0, n)), Buffer.from(new Uint8Array(b, 0, n))) === 0;
  };
  const fresh = patchImage(base, edits)!, reused = patchImage(base, edits, dirty)!;
  t.ok(fresh.buffer instanceof SharedArrayBuffer, 'shared like its base');
  t.ok(same(fresh.buffer, reused.buffer), 'patch');
  const img = new ZoneImage(reused.buffer);
  t.same(img.addresses('a.x.mesos.').A, ['10.9.9.9']);
  t.ok(same(compactImage(img), compactImage(img, dirty)), 'compaction');

  let drops = 0;
  const spares = new Spares(() => drops++);
  const a = spares.take(1000);
  t.ok(a.byteLength >= 1300, 'a new buffer has room to grow');
  spares.give(a, true);
  t.equal(spares.take(1000), a, 'a spare that fits is written again');
  spares.give(a, false);
  t.equal(drops, 1, 'one not wanted is let go (its memory waits for a collection on each thread)');
  spares.give(a, true);
  t.not(spares.take(a.byteLength + 1), a, 'a spare too small is not used');
  t.equal(spares.size, 0);
  t.equal(drops, 2, 'and is let go');

  // Bounded: however many readers give buffers back, at most two are kept (two versions in flight).
  const bufs = [spares.take(1000), spares.take(1000), spares.take(1000)];
  for (const b of bufs) spares.give(b, true);
  t.equal(spares.size, 2, 'at most two spares are kept');
  t.equal(drops, 3, 'the third is let go');
});
