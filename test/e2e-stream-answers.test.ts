// Stream mode and polling, side by side on one stand-in master: every name either serves,
// asked with real dig for A, AAAA and SRV (and the zone apex for SOA, NS, ANY), must get the
// same whole answer (rcode, flags, EDNS, every section) from both; only TTLs and serials differ.
import t from 'tap';
import { dig } from './support/dig.js';
import { master, server, whole } from './support/stream.js';

t.setTimeout(300_000); // hundreds of dig processes on a busy 2-core machine

t.test('stream answers equal polling answers for the same cluster (whole answers, dig)', { timeout: 300_000 }, async (t) => {
  const m = await master(t);
  m.cluster().launch({ framework: 'marathon', name: 'extra', ip: 'fd00::5', ports: [31001, 31002] });
  const stream = await server(t, [m.hostPort]);
  const poll = await server(t, [m.hostPort], { statesource: 'poll' });
  await Promise.all([stream.waitLog('stream update'), poll.waitLog('refresh')]);
  const names = new Set<string>();
  const enumBody = await (await fetch(`http://127.0.0.1:${poll.httpPort}/v1/axfr`)).json() as { Records: Record<string, Record<string, string[]>> };
  for (const byName of Object.values(enumBody.Records)) for (const n of Object.keys(byName)) names.add(n);
  t.ok(names.size > 40, `${names.size} names`);
  let compared = 0;
  const jobs: [string, string][] = [];
  for (const name of [...names, 'nothing-here.mesos.', 'nothing.marathon.mesos.', 'mesos.']) {
    for (const type of ['A', 'AAAA', 'SRV']) jobs.push([name, type]);
  }
  for (const name of ['mesos.', 'leader.mesos.', 'marathon.mesos.']) for (const type of ['SOA', 'NS', 'ANY']) jobs.push([name, type]);
  // Eight at a time: each is two dig processes.
  const next = async (): Promise<void> => {
    for (let j = jobs.pop(); j; j = jobs.pop()) {
      const [name, type] = j;
      const [a, b] = await Promise.all([dig(stream.dnsPort, name, type), dig(poll.dnsPort, name, type)]);
      if (JSON.stringify(whole(a)) !== JSON.stringify(whole(b))) t.same(whole(a), whole(b), `${name} ${type}`);
      compared++;
    }
  };
  await Promise.all(Array.from({ length: 8 }, next));
  t.ok(compared > 200);
});

