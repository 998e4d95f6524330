// ad-hoc (not committed): JS cost per answer, in-process, by query mix
import { StateGen } from './dist/bench/gen-state.js';
import { computeRecords, positiveQueries } from './dist/bench/expect.js';
import { buildZone, parseStateBody } from './dist/src/zone/build.js';
import { ZoneImage } from './dist/src/zone/image.js';
import { createAuthority } from './dist/src/dns/authority.js';
import { defaultConfig } from './dist/src/config/load.js';
import { createQueryHandler } from './dist/src/dns/handler.js';
import dnsPacket from 'dns-packet';
const gen = new StateGen({ tasks: 10000, seed: 1, leader: 'master@127.0.0.1:5050' });
const body = gen.serialize();
const rs = computeRecords(gen.state, { masters: ['127.0.0.1:5050'] });
const params = { generate: { domain: 'mesos', nsName: 'ns1.mesos.', listener: '127.0.0.1', enforceRFC952: false, ipSources: ['netinfo', 'mesos', 'host'], masters: ['127.0.0.1:5050'] }, image: { domain: 'mesos', ttl: 60, srvWeight: 1 } };
const { zone } = await buildZone({ value: parseStateBody(body).result }, params, async () => new Map());
const auth = createAuthority(defaultConfig(), new ZoneImage(zone.image), 1);
const h = createQueryHandler({ authority: () => auth, forwarder: null });
const q = positiveQueries(rs);
const pk = (line) => { const [name, type] = line.split(' '); return dnsPacket.encode({ type: 'query', id: 1, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name: name.replace(/\.$/, '') }] }); };
const sets = {
  A: q.filter((l) => l.endsWith(' A')),
  SRV: q.filter((l) => l.endsWith(' SRV')),
  all: q,
};
for (const [k, v] of Object.entries(sets)) console.log(k, v.length);
for (let rep = 0; rep < 3; rep++) for (const [k, lines] of Object.entries(sets)) {
  const pkts = lines.map(pk);
  let bytes = 0; const N = 600000;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) bytes += h(pkts[i % pkts.length], 'udp', '127.0.0.1').length;
  const dt = performance.now() - t0;
  console.log(`${k}: ${(dt * 1e3 / N).toFixed(3)} us/query, avg reply ${(bytes / N).toFixed(0)} B`);
}
