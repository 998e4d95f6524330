// Host-name resolution for the state: bounded concurrency, per-name timeout, never throws. The
// lookup is injected so that no test ever asks a real DNS server anything.
import t from 'tap';
import { resolveHosts, type LookupFn } from '../src/state/resolve.js';

const table: Record<string, string[]> = {
  'a.example': ['10.0.0.1'],
  'b.example': ['10.0.0.2', '2001:db8::2', '10.0.0.2'],
  'c.example': ['2001:db8::3'],
};
const fromTable: LookupFn = async (name) => {
  await new Promise((r) => setTimeout(r, 5));
  const v = table[name];
  if (!v) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
  return v;
};

t.test('resolves names, keeps IP literals, de-duplicates, failures give []', async (t) => {
  const out = await resolveHosts(['a.example', 'b.example', '10.9.9.9', '::1', 'nope.example', '', 'a.example'], 1000, { lookup: fromTable });
  t.same([...out.keys()].sort(), ['', '10.9.9.9', '::1', 'a.example', 'b.example', 'nope.example'].sort());
  t.same(out.get('a.example'), ['10.0.0.1']);
  t.same(out.get('b.example'), ['10.0.0.2', '2001:db8::2'], 'duplicates dropped, order kept');
  t.same(out.get('10.9.9.9'), ['10.9.9.9']);
  t.same(out.get('::1'), ['::1']);
  t.same(out.get('nope.example'), []);
  t.same(out.get(''), []);
});

t.test('IP literals and empty names need no lookup at all', async (t) => {
  let calls = 0;
  const out = await resolveHosts(['1.2.3.4', '2001:db8::1', ''], 1000, {
    lookup: async () => {
      calls++;
      return [];
    },
  });
  t.equal(calls, 0);
  t.same(out.get('2001:db8::1'), ['2001:db8::1']);
});

t.test('never more than `concurrency` lookups in flight', async (t) => {
  let inFlight = 0;
  let peak = 0;
  const names = Array.from({ length: 20 }, (_, i) => `h${i}.example`);
  const out = await resolveHosts(names, 1000, {
    concurrency: 3,
    lookup: async (name) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return [`10.1.0.${name.slice(1, name.indexOf('.'))}`];
    },
  });
  t.equal(peak, 3);
  t.equal(out.size, 20);
  t.same(out.get('h7.example'), ['10.1.0.7']);
});

t.test('a slow name times out to [] without holding up the others', async (t) => {
  let release: () => void = () => {};
  const slow = new Promise<void>((r) => (release = r));
  const started = Date.now();
  const out = await resolveHosts(['slow.example', 'a.example', 'c.example'], 200, {
    concurrency: 2,
    lookup: async (name) => {
      if (name === 'slow.example') {
        await slow;
        return ['10.6.6.6'];
      }
      return fromTable(name);
    },
  });
  t.same(out.get('slow.example'), [], 'timed out');
  t.same(out.get('a.example'), ['10.0.0.1']);
  t.same(out.get('c.example'), ['2001:db8::3']);
  t.ok(Date.now() - started < 5_000);
  release();
  await new Promise((r) => setTimeout(r, 10));
  t.same(out.get('slow.example'), [], 'a late answer does not change the returned map');
});

t.test('a timed-out lookup keeps its slot until it really ends (the thread pool is not flooded)', async (t) => {
  let inFlight = 0;
  let peak = 0;
  const releases: (() => void)[] = [];
  const run = resolveHosts(['s1', 's2', 's3'], 50, {
    concurrency: 1,
    lookup: () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      return new Promise<string[]>((r) => releases.push(() => { inFlight--; r(['10.0.0.9']); }));
    },
  });
  await new Promise((r) => setTimeout(r, 150));
  t.equal(releases.length, 1, 'the second lookup waits although the first has timed out');
  releases[0]!();
  await new Promise((r) => setTimeout(r, 20));
  t.equal(releases.length, 2);
  releases[1]!();
  await new Promise((r) => setTimeout(r, 20));
  releases[2]!();
  const out = await run;
  t.equal(peak, 1);
  t.same(out.get('s1'), [], 's1 had timed out');
});

t.test('a lookup that throws synchronously is a failure, not an exception', async (t) => {
  const out = await resolveHosts(['x.example'], 100, {
    lookup: () => {
      throw new Error('boom');
    },
  });
  t.same(out.get('x.example'), []);
});

t.test('empty input', async (t) => {
  t.same([...(await resolveHosts([], 100)).entries()], []);
});
