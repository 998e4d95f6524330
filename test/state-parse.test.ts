// State parsing: ports and pid forms of SPEC §5.3/§12.5, the fixture parsed whole, and the
// tolerance rules of SPEC A.15 (one broken entity → one warning, the rest kept; an unusable top
// level → no state).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { hostNamesOf, parseState } from '../src/state/parse.js';
import { parsePID } from '../src/state/pid.js';
import { splitHostPort } from '../src/net/hostport.js';
import { parsePorts } from '../src/state/ports.js';
import type { State } from '../src/state/types.js';

const fake = JSON.parse(readFileSync(new URL('./fixtures/fake.json', import.meta.url), 'utf8'));

t.test('ports', async (t) => {
  const ok: [string, number[]][] = [
    ['[31111-31111, 31115-31117]', [31111, 31115, 31116, 31117]],
    ['', []],
    ['[]', []],
    ['[ ]', []],
    ['x[31000-31001]y', [31000, 31001]],
    ['[31000-31001', [31000, 31001]],
    ['[1-2-3]', [1, 2]],
    ['[5-3]', []],
    ['[31354-31354, 31355-31355]', [31354, 31355]],
    ['[31737-31738]', [31737, 31738]],
  ];
  for (const [s, want] of ok) {
    const r = parsePorts(s);
    t.same(r.ports, want, JSON.stringify(s));
    t.equal(r.error, undefined, `${JSON.stringify(s)} usable`);
  }
  // non-integer items and out-of-range items are skipped, the rest kept
  const r = parsePorts('[a-b, 10-11, 12-x, 70000-70001]');
  t.same(r.ports, [10, 11]);
  t.same(r.skipped, ['a-b', '12-x', '70000-70001']);
  // the forms that crashed the original make the task unusable
  t.match(parsePorts('31000-31001').error, /has no \[ \]/);
  t.match(parsePorts('[31000]').error, /bare port "31000"/);
  t.match(parsePorts('[10-11, 31000]').error, /bare port/);
});

t.test('PID unmarshal', async (t) => {
  const cases: [string, { id: string; host: string; port: number }][] = [
    ['slave(1)@127.0.0.1:5051', { id: 'slave(1)', host: '127.0.0.1', port: 5051 }],
    ['  slave(1)@127.0.0.1:5051  ', { id: 'slave(1)', host: '127.0.0.1', port: 5051 }],
    ['"slave(1)@127.0.0.1:5051"', { id: 'slave(1)', host: '127.0.0.1', port: 5051 }],
    ['" slave(1)@127.0.0.1:5051 "', { id: 'slave(1)', host: '127.0.0.1', port: 5051 }],
    ['  slave(1)@[2001:db8::1]:5051  ', { id: 'slave(1)', host: '2001:db8::1', port: 5051 }],
    ['scheduler(1)@mesos-agent-3.example:8080', { id: 'scheduler(1)', host: 'mesos-agent-3.example', port: 8080 }],
  ];
  for (const [s, want] of cases) t.same(parsePID(s), want, JSON.stringify(s));
  const bad: [unknown, RegExp][] = [
    [null, /null is not a string/],
    [undefined, /missing/],
    [5051, /not a string/],
    ['slave(1)127.0.0.1:5051', /exactly one '@'/],
    ['a@b@1.2.3.4:5', /exactly one '@'/],
    ['slave(1)@127.0.0.1', /host:port/],
    ['slave(1)@2001:db8::1:5051', /host:port/],
    ['slave(1)@127.0.0.1:http', /invalid port/],
    ['slave(1)@127.0.0.1:70000', /invalid port/],
    ['slave(1)@:5051', /empty host/],
  ];
  for (const [v, re] of bad) t.match(parsePID(v), re, `${JSON.stringify(v)} rejected`);
});

t.test('splitHostPort (Go net.SplitHostPort)', async (t) => {
  t.same(splitHostPort('1.2.3.4:5'), { host: '1.2.3.4', port: '5' });
  t.same(splitHostPort('[::1]:53'), { host: '::1', port: '53' });
  t.same(splitHostPort('h:'), { host: 'h', port: '' });
  for (const s of ['', 'a', '::1:53', '[::1]', '[::1]x:5', 'a[b:5', 'a]b:5']) t.equal(splitHostPort(s), null, s);
});

t.test('fixture parses completely', async (t) => {
  const r = parseState(fake);
  t.same(r.warnings, []);
  t.equal(r.error, undefined);
  const s = r.state!;
  t.equal(s.leader, 'master@1.2.3.4:5050');
  t.same(s.slaves.map((x) => [x.id, x.pid.host, x.pid.port]), [
    ['20140916-194712-631065744-5050-4798-2', '1.2.3.10', 5051],
    ['20140803-125133-3041283216-5050-2410-0', '1.2.3.11', 5051],
    ['20140827-000744-3041283216-5050-2116-1', '1.2.3.12', 5051],
    ['20140803-194712-3041283216-5050-2116-3', '2001:db8::1', 5051],
  ]);
  t.same(s.frameworks.map((f) => [f.name, f.pid && `${f.pid.host}:${f.pid.port}`, f.hostname, f.tasks.length]), [
    ['ipv6-framework', '2001:db8::1:25501', 'localhost', 1],
    ['chronos with a space AND MIXED CASE-2.0.1', '1.2.3.12:25501', 'localhost', 1],
    ['no pid', null, 'localhost', 0],
    ['marathon', '1.2.3.11:25501', 'google.com', 8],
  ]);
  const toy = s.frameworks[0].tasks[0];
  t.same(toy, {
    id: 'toy-store.b8db9f73-562f-11e4-a088-c20493233aa5',
    name: 'toy-store',
    slaveId: '20140803-194712-3041283216-5050-2116-3',
    state: 'TASK_RUNNING',
    ports: [31354, 31355],
    statuses: [{
      state: 'TASK_RUNNING',
      timestamp: 1507139816.34576,
      labels: [],
      networkInfos: [
        { ipAddresses: ['12.0.1.3'], ipAddress: '' },
        { ipAddresses: ['12.0.1.2', 'fd01:b::1:8000:2'], ipAddress: '' },
      ],
    }],
    discovery: null,
  });
  const liquor = s.frameworks[3].tasks[1];
  t.equal(liquor.name, 'liquor.store');
  t.same(liquor.discovery, {
    name: 'liquor.store',
    ports: [{ number: 80, protocol: 'tcp', name: 'http' }, { number: 443, protocol: 'tcp', name: 'https' }],
  });
  t.same(liquor.statuses.map((x) => [x.state, x.labels.length]), [
    ['TASK_RUNNING', 2], ['TASK_RUNNING', 2], ['TASK_RUNNING', 2], ['TASK_STARTING', 0],
  ]);
  t.same(s.frameworks[3].tasks.map((x) => x.state), [
    'TASK_KILLED', 'TASK_RUNNING', 'TASK_RUNNING', 'TASK_RUNNING', 'TASK_RUNNING', 'TASK_RUNNING', 'TASK_RUNNING',
    'TASK_RUNNING',
  ]);
  t.same(hostNamesOf(s), ['localhost']);
});

t.test('Go-style case-insensitive keys', async (t) => {
  const r = parseState({
    LEADER: 'master@1.2.3.4:5050',
    Slaves: [{ ID: 's1', Pid: 'slave(1)@1.2.3.10:5051' }],
    frameworks: [{ Name: 'f', PID: 'x@1.2.3.11:1', Tasks: [{ Id: 't', SLAVE_ID: 's1', State: 'TASK_RUNNING' }] }],
  });
  t.same(r.warnings, []);
  t.equal(r.state!.leader, 'master@1.2.3.4:5050');
  t.equal(r.state!.slaves[0].id, 's1');
  t.equal(r.state!.frameworks[0].tasks[0].slaveId, 's1');
});

t.test('unusable top level → no state', async (t) => {
  const bad: [unknown, RegExp][] = [
    [null, /not a JSON object/],
    [[], /not a JSON object/],
    ['master@1.2.3.4:5050', /not a JSON object/],
    [42, /not a JSON object/],
    [{}, /no leader/],
    [{ leader: '' }, /no leader/],
    [{ leader: null }, /no leader/],
    [{ leader: 5 }, /no leader/],
    [{ leader: 'master-1.2.3.4:5050' }, /no usable leader/],
    [{ leader: 'master@1.2.3.4' }, /no usable leader/],
  ];
  for (const [v, re] of bad) {
    const r = parseState(v);
    t.equal(r.state, null, `${JSON.stringify(v)}: no state`);
    t.match(r.error, re, `${JSON.stringify(v)}: error says why`);
  }
});

/** A small valid state with one of each entity kind, to break one piece at a time. */
function base(): any {
  return {
    leader: 'master@10.0.0.1:5050',
    slaves: [
      { id: 'S-good', pid: 'slave(1)@10.0.0.2:5051' },
      { id: 'S-other', pid: 'slave(1)@10.0.0.3:5051' },
    ],
    frameworks: [
      {
        name: 'fw', pid: 'scheduler(1)@10.0.0.4:8080', hostname: 'h',
        tasks: [
          { id: 'good', name: 'good', slave_id: 'S-good', state: 'TASK_RUNNING', resources: { ports: '[31000-31001]' } },
          { id: 'x', name: 'x', slave_id: 'S-good', state: 'TASK_RUNNING', resources: { ports: '[31002-31002]' } },
        ],
      },
      { name: 'other', pid: 'scheduler(1)@10.0.0.5:8080', tasks: [] },
    ],
  };
}

t.test('tolerant parsing: one broken entity → one warning, rest kept', async (t) => {
  type Case = [string, (s: any) => void, RegExp, (st: State) => void];
  const keepsRest = (slaves: string[], fws: string[], tasks: string[]) => (st: State): void => {
    t.same(st.slaves.map((x) => x.id), slaves);
    t.same(st.frameworks.map((x) => x.name), fws);
    t.same(st.frameworks.flatMap((f) => f.tasks.map((x) => x.id)), tasks);
  };
  const allTasks = ['good', 'x'];
  const cases: Case[] = [
    ['task ports without brackets', (s) => { s.frameworks[0].tasks[1].resources.ports = '31000-31001'; },
      /^skipping task "x" of framework "fw": ports "31000-31001" has no \[ \]$/, keepsRest(['S-good', 'S-other'], ['fw', 'other'], ['good'])],
    ['task ports bare number', (s) => { s.frameworks[0].tasks[1].resources.ports = '[31000]'; },
      /^skipping task "x" of framework "fw": ports "\[31000\]" has a bare port/, keepsRest(['S-good', 'S-other'], ['fw', 'other'], ['good'])],
    ['task ports not a string', (s) => { s.frameworks[0].tasks[1].resources.ports = 31000; },
      /^skipping task "x" of framework "fw": resources\.ports is 31000, not a string$/, keepsRest(['S-good', 'S-other'], ['fw', 'other'], ['good'])],
    ['task without id', (s) => { delete s.frameworks[0].tasks[1].id; },
      /^skipping task "x" of framework "fw": missing id$/, keepsRest(['S-good', 'S-other'], ['fw', 'other'], ['good'])],
    ['task without slave_id', (s) => { delete s.frameworks[0].tasks[1].slave_id; },
      /^skipping task "x" of framework "fw": missing slave_id$/, keepsRest(['S-good', 'S-other'], ['fw', 'other'], ['good'])],
    ['task id of wrong type', (s) => { s.frameworks[0].tasks[1].id = 7; s.frameworks[0].tasks[1].name = 7; },
      /^skipping task #1 of framework "fw": id is 7, not a string$/, keepsRest(['S-good', 'S-other'], ['fw', 'other'], ['good'])],
    ['task not an object', (s) => { s.frameworks[0].tasks[1] = 'x'; },
      /^skipping task #1 of framework "fw": task is "x", not an object$/, keepsRest(['S-good', 'S-other'], ['fw', 'other'], ['good'])],
    ['task statuses not an array', (s) => { s.frameworks[0].tasks[1].statuses = {}; },
      /^skipping task "x" of framework "fw": statuses is object, not an array$/, keepsRest(['S-good', 'S-other'], ['fw', 'other'], ['good'])],
    ['task status timestamp wrong type', (s) => { s.frameworks[0].tasks[1].statuses = [{ state: 'TASK_RUNNING', timestamp: 'now' }]; },
      /^skipping task "x" of framework "fw": statuses\[0\]\.timestamp is "now", not a number$/, keepsRest(['S-good', 'S-other'], ['fw', 'other'], ['good'])],
    ['task label wrong type', (s) => { s.frameworks[0].tasks[1].statuses = [{ state: 'TASK_RUNNING', labels: [{ key: 'k', value: 1 }] }]; },
      /^skipping task "x" of framework "fw": statuses\[0\]\.labels\[0\]\.value is 1, not a string$/, keepsRest(['S-good', 'S-other'], ['fw', 'other'], ['good'])],
    ['task network info wrong type', (s) => {
      s.frameworks[0].tasks[1].statuses = [{ state: 'TASK_RUNNING', container_status: { network_infos: [{ ip_addresses: [{ ip_address: 5 }] }] } }];
    }, /^skipping task "x" of framework "fw": statuses\[0\]\.container_status\.network_infos\[0\]\.ip_addresses\[0\]\.ip_address is 5/,
    keepsRest(['S-good', 'S-other'], ['fw', 'other'], ['good'])],
    ['task discovery port number not an integer', (s) => {
      s.frameworks[0].tasks[1].discovery = { name: 'd', ports: { ports: [{ number: 80.5, protocol: 'tcp' }] } };
    }, /^skipping task "x" of framework "fw": discovery\.ports\.ports\[0\]\.number 80\.5 is not an integer$/,
    keepsRest(['S-good', 'S-other'], ['fw', 'other'], ['good'])],
    ['slave with null pid', (s) => { s.slaves[1].pid = null; },
      /^skipping slave "S-other": pid null is not a string$/, keepsRest(['S-good'], ['fw', 'other'], allTasks)],
    ['slave pid without @', (s) => { s.slaves[1].pid = 'slave(1)10.0.0.3:5051'; },
      /^skipping slave "S-other": pid "slave\(1\)10\.0\.0\.3:5051" does not have exactly one '@'$/, keepsRest(['S-good'], ['fw', 'other'], allTasks)],
    ['slave without pid', (s) => { delete s.slaves[1].pid; },
      /^skipping slave "S-other": pid is missing$/, keepsRest(['S-good'], ['fw', 'other'], allTasks)],
    ['slave without id', (s) => { delete s.slaves[1].id; },
      /^skipping slave #1: missing id$/, keepsRest(['S-good'], ['fw', 'other'], allTasks)],
    ['slave not an object', (s) => { s.slaves[1] = null; },
      /^skipping slave #1: slave is null, not an object$/, keepsRest(['S-good'], ['fw', 'other'], allTasks)],
    ['framework with null pid', (s) => { s.frameworks[1].pid = null; },
      /^skipping framework "other": pid null is not a string$/, keepsRest(['S-good', 'S-other'], ['fw'], allTasks)],
    ['framework with odd pid', (s) => { s.frameworks[1].pid = 'scheduler@10.0.0.5'; },
      /^skipping framework "other": pid "scheduler@10\.0\.0\.5" has no valid host:port$/, keepsRest(['S-good', 'S-other'], ['fw'], allTasks)],
    ['framework tasks not an array', (s) => { s.frameworks[1].tasks = 'none'; },
      /^skipping framework "other": tasks is "none", not an array$/, keepsRest(['S-good', 'S-other'], ['fw'], allTasks)],
    ['framework name wrong type', (s) => { s.frameworks[1].name = ['x']; },
      /^skipping framework #1: name is array, not a string$/, keepsRest(['S-good', 'S-other'], ['fw'], allTasks)],
    ['slaves not an array', (s) => { s.slaves = 'x'; },
      /^ignoring slaves: "x", not an array$/, keepsRest([], ['fw', 'other'], allTasks)],
  ];
  for (const [what, breakIt, re, check] of cases) {
    const s = base();
    breakIt(s);
    const r = parseState(s);
    t.equal(r.error, undefined, `${what}: state kept`);
    t.equal(r.warnings.length, 1, `${what}: exactly one warning`);
    t.match(r.warnings[0], re, `${what}: warning names it`);
    if (r.state !== null) check(r.state);
  }
});

t.test('tolerated forms that are not errors', async (t) => {
  const s = base();
  s.frameworks[1].pid = undefined; // absent pid: hostname is used
  s.frameworks[1].hostname = 'sched.example';
  s.frameworks[0].tasks[0].resources = null;
  s.frameworks[0].tasks[1].discovery = { name: '', ports: { ports: [{ number: 80, protocol: 'tcp', name: 'http' }] } };
  s.frameworks[0].tasks[1].statuses = null;
  s.slaves[0].pid = '  slave(1)@agent-1.example:5051  ';
  const r = parseState(JSON.parse(JSON.stringify(s)));
  t.same(r.warnings, []);
  const st = r.state!;
  t.equal(st.frameworks[1].pid, null);
  t.same(st.frameworks[0].tasks[0].ports, []);
  t.equal(st.frameworks[0].tasks[1].discovery, null, 'DiscoveryInfo with an empty name is no DiscoveryInfo');
  t.same(st.frameworks[0].tasks[1].statuses, []);
  t.same(hostNamesOf(st), ['sched.example', 'agent-1.example']);
});

t.test('non-fatal item warnings keep the task', async (t) => {
  const s = base();
  s.frameworks[0].tasks[1].resources.ports = '[31002-31002, abc-def]';
  s.frameworks[0].tasks[1].discovery = { name: 'd', ports: { ports: [{ number: 70000, protocol: 'tcp' }, { number: 80 }] } };
  const r = parseState(s);
  t.equal(r.warnings.length, 2);
  t.match(r.warnings[0], /task "x" of framework "fw": ignoring port range "abc-def"/);
  t.match(r.warnings[1], /task "x" of framework "fw": ignoring discovery port 70000/);
  const x = r.state!.frameworks[0].tasks[1];
  t.same(x.ports, [31002]);
  t.same(x.discovery, { name: 'd', ports: [{ number: 80, protocol: '', name: '' }] });
});

t.test('hostNamesOf lists distinct non-IP hosts only', async (t) => {
  const st: State = {
    leader: 'master@leader.example:5050',
    slaves: [
      { id: 'a', pid: { id: 's', host: 'agent.example', port: 1 } },
      { id: 'b', pid: { id: 's', host: '10.0.0.1', port: 1 } },
      { id: 'c', pid: { id: 's', host: 'agent.example', port: 2 } },
      { id: 'd', pid: { id: 's', host: 'fe80::1', port: 2 } },
    ],
    frameworks: [
      { name: 'p', pid: { id: 'x', host: 'sched.example', port: 1 }, hostname: 'unused.example', tasks: [] },
      { name: 'q', pid: null, hostname: 'nopid.example', tasks: [] },
      { name: 'r', pid: null, hostname: '', tasks: [] },
      { name: 's', pid: null, hostname: '::ffff:1.2.3.4', tasks: [] },
    ],
  };
  t.same(hostNamesOf(st).sort(), ['agent.example', 'nopid.example', 'sched.example']);
});

t.test('a skipped task gives only its one warning, not its item warnings too', async (t) => {
  const s = base();
  s.frameworks[0].tasks[1].resources.ports = '[31002-31002, abc-def]';
  s.frameworks[0].tasks[1].statuses = 'bad';
  const r = parseState(s);
  t.same(r.warnings, ['skipping task "x" of framework "fw": statuses is "bad", not an array']);
});
