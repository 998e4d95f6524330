// Resolvers that fail: a black hole (reads, never answers) gets SERVFAIL within Timeout, the
// next resolver takes over, a resolver that keeps failing is backed off and later probed,
// identical concurrent queries are sent upstream once, and the cap on outstanding lookups answers
// SERVFAIL at once. Time bounds are generous (Timeout plus slack); the backoff clock is a test clock.
import t from 'tap';
import { startNamed } from './support/named.js';
import { blackHole, exampleZone, makeQuery, makeRequest, sorted, summarize, testSettings } from './support/forward-msg.js';
import { createForwarder, createForwardMetrics, type ForwarderOptions } from '../src/forward/index.js';
import { MAX_WAITERS_PER_LOOKUP, WAITERS_PER_OUTSTANDING } from '../src/forward/index.js';
import type { Config } from '../src/config/types.js';
import { silentLogger } from '../src/log.js';

const named = await startNamed({ zones: [{ name: 'example.test', content: exampleZone() }] });
t.teardown(() => named.stop());
const namedAddr = `127.0.0.1:${named.port}`;

function make(over: Partial<Config>, opts: ForwarderOptions = {}) {
  const metrics = createForwardMetrics();
  const f = createForwarder(testSettings({ CacheOn: false, ...over }), silentLogger, { metrics, ...opts });
  t.teardown(() => f.close());
  return { f, metrics };
}
async function hole() {
  const h = await blackHole();
  t.teardown(() => h.close());
  return h;
}
async function timed<T>(p: T | Promise<T>): Promise<[T, number]> {
  const t0 = Date.now();
  const v = await p;
  return [v, Date.now() - t0];
}
const servfail = (id: number, q: string) => ({ id, rcode: 'SERVFAIL', flags: 'qr rd ra', question: [q], answer: [], authority: [], additional: [], edns: null });
const www = (id: number, flags = 'qr aa rd') => ({
  id,
  rcode: 'NOERROR',
  flags,
  question: ['www.example.test. IN A'],
  answer: ['www.example.test. 300 IN A 192.0.2.1', 'www.example.test. 300 IN A 192.0.2.2'],
  authority: [],
  additional: [],
  edns: null,
});

t.test('an upstream that never answers: SERVFAIL within Timeout', async (t) => {
  const h = await hole();
  const { f, metrics } = make({ Resolvers: [`127.0.0.1:${h.port}`], Timeout: 1 });
  const [r, ms] = await timed(f.forward(makeRequest(makeQuery('www.example.test', 'A', { id: 1 }))));
  t.same(summarize(r), servfail(1, 'www.example.test. IN A'));
  t.ok(ms >= 900 && ms < 3000, `took ${ms} ms`);
  t.equal(h.received(), 1);
  t.match(metrics, { servfail: 1, upstreamTimeouts: 1 });
});

t.test('all resolvers silent: each is asked, SERVFAIL within Timeout', async (t) => {
  const a = await hole();
  const b = await hole();
  const { f } = make({ Resolvers: [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`], Timeout: 1 });
  const [r, ms] = await timed(f.forward(makeRequest(makeQuery('www.example.test', 'A', { id: 2 }))));
  t.same(summarize(r), servfail(2, 'www.example.test. IN A'));
  t.ok(ms < 3000, `took ${ms} ms`);
  t.same([a.received(), b.received()], [1, 1]);
});

t.test('fail-over: the first resolver never answers, the second does; a failing one is backed off and probed later', async (t) => {
  const h = await hole();
  let clock = 5_000_000;
  const { f, metrics } = make(
    { Resolvers: [`127.0.0.1:${h.port}`, namedAddr], Timeout: 2 },
    { now: () => clock, failThreshold: 3, backoffMs: 10_000 },
  );
  for (let i = 0; i < 3; i++) {
    const [r, ms] = await timed(f.forward(makeRequest(makeQuery('www.example.test', 'A', { id: 10 + i }))));
    t.same(sorted(summarize(r)), www(10 + i), `query ${i} answered by the second resolver`);
    t.ok(ms < 4000, `took ${ms} ms`);
  }
  t.equal(h.received(), 3);

  // Three failures: the black hole is now skipped (asked last), so answers come at once.
  const [r, ms] = await timed(f.forward(makeRequest(makeQuery('www.example.test', 'A', { id: 20 }))));
  t.same(sorted(summarize(r)), www(20));
  t.ok(ms < 900, `answered without waiting a 1 s slice for the dead resolver (${ms} ms)`);
  t.equal(h.received(), 3, 'not asked while backed off');

  // After the backoff one query probes it again (and still gets its answer from the second).
  clock += 10_001;
  const [p] = await timed(f.forward(makeRequest(makeQuery('www.example.test', 'A', { id: 21 }))));
  t.same(sorted(summarize(p)), www(21));
  t.equal(h.received(), 4, 'probed once');
  t.ok(metrics.upstreamTimeouts >= 4);
});

t.test('identical concurrent queries are sent upstream once (coalescing)', async (t) => {
  const { f, metrics } = make({ Resolvers: [namedAddr] });
  const names = ['w5.example.test', 'W5.EXAMPLE.TEST', 'w5.Example.Test'];
  const replies = await Promise.all(
    Array.from({ length: 30 }, (_, i) => f.forward(makeRequest(makeQuery(names[i % 3], 'A', { id: 1000 + i })))),
  );
  replies.forEach((b, i) => {
    const s = summarize(b);
    const n = names[i % 3];
    t.same(s, { id: 1000 + i, rcode: 'NOERROR', flags: 'qr aa rd', question: [`${n}. IN A`], answer: [`${n}. 300 IN A 192.0.2.6`], authority: [], additional: [], edns: null });
  });
  await named.sync();
  t.equal(named.count('w5.example.test', 'A'), 1, 'named saw one query');
  t.match(metrics, { queries: 30, coalesced: 29, upstreamQueries: 1 });
});

t.test('clients joining an in-flight lookup are capped per lookup and in total: the rest get SERVFAIL at once', async (t) => {
  const h = await hole();
  const { f, metrics } = make({ Resolvers: [`127.0.0.1:${h.port}`], Timeout: 2, ForwardMaxOutstanding: 100 });
  // one name at a high rate against an upstream that never answers: only so many may wait
  const heap0 = process.memoryUsage().heapUsed;
  const one = Array.from({ length: 50_000 }, (_, i) => f.forward(makeRequest(makeQuery('same.example.test', 'A', { id: i & 0xffff }))));
  const waiting = one.filter((r) => !Buffer.isBuffer(r)).length;
  t.equal(waiting, 1 + MAX_WAITERS_PER_LOOKUP, 'the first client and MAX_WAITERS_PER_LOOKUP others wait');
  const now = one.find((r): r is Buffer => Buffer.isBuffer(r))!;
  t.same(summarize(now), { id: summarize(now).id, rcode: 'SERVFAIL', flags: 'qr rd ra', question: ['same.example.test. IN A'], answer: [], authority: [], additional: [], edns: null });
  t.ok(process.memoryUsage().heapUsed - heap0 < 64 * 2 ** 20, 'memory stays bounded');
  // in total: waiters stop at WAITERS_PER_OUTSTANDING x ForwardMaxOutstanding (400 here, under 4 x 256)
  const more = [];
  for (let n = 0; n < 3; n++) {
    for (let i = 0; i < 2 * MAX_WAITERS_PER_LOOKUP; i++) more.push(f.forward(makeRequest(makeQuery(`n${n}.example.test`, 'A', { id: i }))));
  }
  const total = waiting - 1 + more.filter((r) => !Buffer.isBuffer(r)).length - 3;
  t.equal(total, 100 * WAITERS_PER_OUTSTANDING, 'waiters in total are capped');
  t.ok(metrics.overload > 50_000 - 1 - MAX_WAITERS_PER_LOOKUP);
  // all of them are answered (SERVFAIL by the Timeout), and the counts go back to zero
  const all = await Promise.all([...one, ...more]);
  t.ok(all.every((b) => summarize(b).rcode === 'SERVFAIL'));
  const again = f.forward(makeRequest(makeQuery('same.example.test', 'A', { id: 1 })));
  t.notOk(Buffer.isBuffer(again), 'after they are answered, a new lookup may start');
  await again;
});

t.test('past ForwardMaxOutstanding, SERVFAIL at once instead of queueing', async (t) => {
  const h = await hole();
  const { f, metrics } = make({ Resolvers: [`127.0.0.1:${h.port}`], Timeout: 2, ForwardMaxOutstanding: 2 });
  const slow = [
    f.forward(makeRequest(makeQuery('a.example.test', 'A', { id: 1 }))),
    f.forward(makeRequest(makeQuery('b.example.test', 'A', { id: 2 }))),
  ];
  const joined = f.forward(makeRequest(makeQuery('a.example.test', 'A', { id: 3 }))); // joins a lookup: not capped
  const [over, ms] = await timed(f.forward(makeRequest(makeQuery('c.example.test', 'A', { id: 4 }))));
  t.same(summarize(over), servfail(4, 'c.example.test. IN A'));
  t.ok(ms < 1500, `refused without waiting for Timeout (2 s) (${ms} ms)`);
  t.equal(metrics.overload, 1);
  const rest = await Promise.all([...slow, joined]);
  t.same(rest.map((b) => summarize(b).rcode), ['SERVFAIL', 'SERVFAIL', 'SERVFAIL']);
  t.equal(h.received(), 2, 'the refused query never went upstream');

  // Capacity is back once they are done.
  const later = f.forward(makeRequest(makeQuery('d.example.test', 'A', { id: 5 })));
  t.equal(metrics.overload, 1);
  await later;
  t.equal(h.received(), 3);
});
