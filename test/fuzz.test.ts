// `npm run fuzz` for a few seconds (issue 11): mutated UDP/TCP queries, mutated upstream replies
// and mutated master states against the real server. It must find nothing: every reply parses and
// carries QR, the probe is always answered, the process stays up and its RSS stays flat (100 MiB).
import t from 'tap';
import { runFuzz } from '../bench/fuzz.js';

t.test('a short fuzz run finds nothing', async (t) => {
  const r = await runFuzz({ seconds: 8, seed: 20261203, maxRssGrowthMiB: 100, mutateState: true });
  t.same(r.failures, [], 'no failures');
  t.ok(r.ok);
  t.ok(r.udpSent > 2000, `${r.udpSent} UDP queries sent`);
  t.ok(r.replies > 500, `${r.replies} replies checked`);
  t.ok(r.tcpSent > 10, `${r.tcpSent} TCP exchanges`);
  t.ok(r.upstreamReplies > 0, `${r.upstreamReplies} mutated upstream replies`);
  t.ok(r.statesServed >= 3, `${r.statesServed} mutated states`);
  t.ok(r.probes >= 5 && r.probesFailed === 0, `${r.probes} probes answered`);
});
