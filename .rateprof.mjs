// ad-hoc (not committed): profile the answering thread under the cycled and A loads
import { StateGen } from './dist/bench/gen-state.js';
import { startStandInMaster } from './dist/src/demo/master.js';
import { computeRecords, positiveQueries } from './dist/bench/expect.js';
import { spawn, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
const gen = new StateGen({ tasks: 10000, seed: 1, leader: 'master@127.0.0.1:5050' });
const m = await startStandInMaster({ state: gen.serialize() });
const rs = computeRecords(gen.state, { masters: [m.hostPort] });
const q = positiveQueries(rs); for (let i = q.length - 1; i > 0; i--) { const j = Math.floor(Math.random() * (i + 1)); [q[i], q[j]] = [q[j], q[i]]; }
writeFileSync('/tmp/rp/q-cycled.txt', q.join('\n') + '\n');
writeFileSync('/tmp/rp/q-small.txt', q.slice(0, Number(process.env.SUBSET ?? 1000)).join('\n') + '\n');
const port = 20000 + Math.floor(Math.random() * 20000);
writeFileSync('/tmp/rp/cfg.json', JSON.stringify({ Masters: [m.hostPort], RefreshSeconds: 3600, Port: port, HttpOn: false, Listener: '127.0.0.1', ExternalOn: false, Zk: '', IPSources: ['netinfo', 'mesos', 'host'] }));
const flags = (process.env.NODEFLAGS ?? '').split(' ').filter(Boolean);
const p = spawn('taskset', ['-c', '0', 'env', 'MALLOC_MMAP_THRESHOLD_=1048576', 'node', '--no-flush-bytecode', ...flags, 'bin/mesos-dns', '-config=/tmp/rp/cfg.json'], { stdio: ['ignore', 'ignore', 'pipe'] });
await new Promise((r) => p.stderr.on('data', (d) => { if (String(d).includes('"refresh"')) r(); }));
const files = (process.env.LOADS ?? 'cycled,a').split(',');
const aName = process.env.ANAME;
for (const f of files) {
  let file = '/tmp/rp/q-cycled.txt';
  if (f === 'small') file = '/tmp/rp/q-small.txt';
  if (f === 'a') { file = '/tmp/rp/q-a.txt'; writeFileSync(file, q.find((x) => x.endsWith(' A') && x.includes('.marathon.')) + '\n'); }
  const out = execFileSync('taskset', ['-c', '1', 'dnsperf', '-s', '127.0.0.1', '-p', String(port), '-d', file, '-l', process.env.SECS ?? '10', '-c', '4', '-T', '1', '-q', '100', '-t', '2'], { encoding: 'utf8' });
  console.log(f, out.split('\n').filter((l) => /Queries per second|Average packet size|Queries completed/.test(l)).join(' | '));
  await new Promise((r) => setTimeout(r, 2000));
}
p.kill('SIGTERM'); await new Promise((r) => p.on('exit', r)); m.close?.(); process.exit(0);
