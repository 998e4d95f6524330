// Long task names (issue 11, README "Names"): a task name of 56+ characters used to make the
// `<task>-<hash>-<agent>` label longer than 63 octets, and 63 characters the `_<task>` label: those
// names showed in /v1/axfr but could never be asked, and SRV sets pointing at them answered empty.
// The task part is now cut so every label fits. Tasks named with 55 to 70 characters are served by
// the stand-in master; the real server is asked with real dig and answers are compared whole.
import t from 'tap';
import { startStandInMaster, rewriteLeader } from '../src/demo/master.js';
import { taskHash } from '../src/records/hash.js';
import { startServerProcess } from './support/procs.js';
import { dig, recKey, type DigResult } from './support/dig.js';
import { fixture } from './support/stream.js';

const LENGTHS = Array.from({ length: 16 }, (_, i) => 55 + i);
// No dashes at the ends (the sanitiser trims them), distinct by their first characters.
const nameOf = (len: number) => `n${len}x`.padEnd(len, 'abcdefghijklmnopqrstuvwxyz0123456789');

const state = rewriteLeader(structuredClone(fixture), '127.0.0.1:5050');
const marathon = state.frameworks.find((f: { name: string }) => f.name === 'marathon');
const template = marathon.tasks.find((x: { name: string }) => x.name === 'chronos'); // agent ...-0 at 1.2.3.11
for (const len of LENGTHS) {
  marathon.tasks.push({ ...structuredClone(template), name: nameOf(len), id: `${nameOf(len)}.id-${len}`, resources: { ...template.resources, ports: `[${40000 + len}-${40000 + len}]` } });
}

const master = await startStandInMaster({ host: '127.0.0.1', port: 0, state: {} });
t.teardown(() => master.close());
master.setState(rewriteLeader(state, `127.0.0.1:${master.port}`));
const server = await startServerProcess({ masters: [`127.0.0.1:${master.port}`], externalon: false });
t.teardown(() => server.stop());
await server.waitLog('refresh');

const whole = (r: DigResult) => ({
  status: r.status, flags: r.flags, answer: r.answer.map(recKey).sort(), authority: r.authority.map(recKey), additional: r.additional.map(recKey).sort(),
});

for (const len of LENGTHS) {
  t.test(`a task name of ${len} characters`, async (t) => {
    const n = nameOf(len).slice(0, 63); // RFC 1123 sanitising keeps 63 characters
    const part = `-${taskHash(`${nameOf(len)}.id-${len}`)}-0`;
    const cut = n.slice(0, 63 - part.length); // 55 characters with a one-character agent tail
    const canonical = `${cut}${part}.marathon.mesos.`;
    const canonicalSlave = `${cut}${part}.marathon.slave.mesos.`;
    t.ok(canonical.split('.').every((l) => l.length <= 63));
    t.same(whole(await dig(server.dnsPort, canonical, 'A')), {
      status: 'NOERROR', flags: ['aa', 'qr', 'ra'], answer: [`${canonical} IN A 1.2.3.11`], authority: [], additional: [],
    }, canonical);
    t.same(whole(await dig(server.dnsPort, canonicalSlave, 'A')), {
      status: 'NOERROR', flags: ['aa', 'qr', 'ra'], answer: [`${canonicalSlave} IN A 1.2.3.11`], authority: [], additional: [],
    }, canonicalSlave);
    // The short name needs no cut: it stays the whole (sanitised) name.
    t.same(whole(await dig(server.dnsPort, `${n}.marathon.mesos.`, 'A')), {
      status: 'NOERROR', flags: ['aa', 'qr', 'ra'], answer: [`${n}.marathon.mesos. IN A 1.2.3.11`], authority: [], additional: [],
    });
    const svc = `_${n.slice(0, 62)}._tcp.marathon.mesos.`;
    t.same(whole(await dig(server.dnsPort, svc, 'SRV')), {
      status: 'NOERROR', flags: ['aa', 'qr', 'ra'],
      answer: [`${svc} IN SRV 0 1 ${40000 + len} ${canonicalSlave}`], authority: [], additional: [`${canonicalSlave} IN A 1.2.3.11`],
    }, svc);
  });
}

t.test('one warning per cut name, and no label over 63 octets in /v1/axfr', async (t) => {
  const cutLines = server.logs.filter((l) => /too long for a 63-octet label/.test(l.msg));
  // 56..70 cut the canonical label; 63..70 also the `_<task>` label.
  t.equal(cutLines.filter((l) => l.msg.includes('<task>-<hash>-<agent>')).length, 15);
  t.equal(cutLines.filter((l) => l.msg.includes('_<task> service names')).length, 8);
  const axfr = await (await fetch(`http://127.0.0.1:${server.httpPort}/v1/axfr`)).text();
  const names = [...axfr.matchAll(/"([^"]*\.mesos\.)"/g)].map((m) => m[1]);
  t.ok(names.length > 100, `${names.length} names`);
  t.same(names.filter((nm) => nm.split('.').some((l) => l.length > 63)), []);
});
