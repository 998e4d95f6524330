// mesos-dns behind a real Unbound (issue 11): a stub zone for the domain pointing at our server,
// as contrib/unbound/mesos.conf deploys it, with qname minimisation on (Unbound then asks
// `marathon.mesos`, `_tcp.marathon.mesos` … before the full name, so every empty non-terminal must
// answer NODATA, not NXDOMAIN). Every in-domain query of the reference list asked through Unbound
// must get the answer we give directly: same status, answer and authority records (Unbound's own
// flags and count-down TTLs aside). Unbound's root stub points at a local black hole, which must
// see no packet: nothing leaves the machine.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStandInMaster, rewriteLeader } from '../src/demo/master.js';
import { startServerProcess, ROOT } from './support/procs.js';
import { dig, recKey, type DigResult } from './support/dig.js';
import { fixture } from './support/stream.js';
import { blackHole } from './support/forward-msg.js';
import { startUnbound } from './support/unbound.js';

const REF = join(ROOT, 'test', 'fixtures', 'reference');
const queries = readFileSync(join(REF, 'queries-curated.txt'), 'utf8').split('\n')
  .filter((l) => l.trim() && !l.startsWith('#')).map((l) => l.trim().split(/\s+/) as [string, string])
  .filter(([name]) => /(^|\.)mesos\.$/i.test(name));

const master = await startStandInMaster({ host: '127.0.0.1', port: 0, state: {} });
t.teardown(() => master.close());
master.setState(rewriteLeader(structuredClone(fixture), `127.0.0.1:${master.port}`));
const server = await startServerProcess({ masters: [`127.0.0.1:${master.port}`], externalon: false });
t.teardown(() => server.stop());
await server.waitLog('refresh');
const root = await blackHole();
t.teardown(() => root.close());
const unbound = await startUnbound({
  stubs: { mesos: [`127.0.0.1@${server.dnsPort}`] }, rootAddr: `127.0.0.1@${root.port}`,
  // As contrib/unbound/mesos.conf: the domain is unsigned and its addresses private.
  extra: ['domain-insecure: "mesos"', 'private-domain: "mesos"', 'cache-max-negative-ttl: 60'],
});
t.teardown(() => unbound.stop());

// Record keys without TTLs, lower-cased: names are case-insensitive, and Unbound compresses the
// names in its replies against the client's spelling of the question (`MESOS. SOA` gets
// `ns1.MESOS.` from it where we write `ns1.mesos.`).
const whole = (r: DigResult) => ({
  status: r.status, answer: r.answer.map((x) => recKey(x).toLowerCase()).sort(), authority: r.authority.map((x) => recKey(x).toLowerCase()).sort(),
});

t.test('every in-domain reference query: through Unbound = from mesos-dns', async (t) => {
  let positive = 0;
  // ANY is left out: a resolver answers it from whatever its cache holds (RFC 8482), here the NS
  // of an earlier `mesos. NS`, not what the authority gives.
  for (const [name, type] of queries.filter(([, type]) => type !== 'ANY')) {
    const direct = await dig(server.dnsPort, name, type);
    const via = await dig(unbound.port, name, type, { extra: ['+rec'] });
    t.same(whole(via), whole(direct), `${name} ${type}`);
    if (direct.status === 'NOERROR' && direct.answer.length > 0) positive++;
  }
  t.ok(positive >= 30, `${positive} positive answers compared`);
});

t.test('SRV targets resolve through Unbound to the addresses we give', async (t) => {
  const srv = await dig(unbound.port, '_liquor-store._tcp.marathon.mesos.', 'SRV', { extra: ['+rec'] });
  const targets = [...new Set(srv.answer.map((a) => a.rdata.split(' ')[3]))].sort();
  t.same(targets, ['liquor-store-4dfjd-0.marathon.mesos.', 'liquor-store-zasmd-1.marathon.mesos.']);
  for (const target of targets) {
    t.same(whole(await dig(unbound.port, target, 'A', { extra: ['+rec'] })), whole(await dig(server.dnsPort, target, 'A')), target);
  }
});

t.test('no packet reached the root stub', async (t) => {
  t.equal(root.received(), 0);
});
