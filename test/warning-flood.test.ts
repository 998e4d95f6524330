// The warning flood (issue 11 item 9): every bad entity was logged again on every refresh, on the
// answering thread — 100k bad tasks wrote 70 MB of log in 15 s. Now a problem is logged once
// (until it changes), at most MAX_WARNING_LINES lines per refresh, and the refresh line counts them.
import t from 'tap';
import { WarningFilter, MAX_WARNING_LINES, MAX_REMEMBERED_WARNINGS } from '../src/zone/warnings.js';
import { startStandInMaster } from '../src/demo/master.js';
import { startServerProcess } from './support/procs.js';

t.test('WarningFilter: new ones once, repeated ones not, changed ones again, lines capped', async (t) => {
  const f = new WarningFilter();
  t.same(f.take(['a', 'b', 'a']), { lines: ['a', 'b'], total: 3, fresh: 2 });
  t.same(f.take(['a', 'b']), { lines: [], total: 2, fresh: 0 }, 'the same problems: nothing logged');
  t.same(f.take(['a', 'b2']), { lines: ['b2'], total: 2, fresh: 1 }, 'a changed problem is logged');
  t.same(f.take(['a']), { lines: [], total: 1, fresh: 0 });
  t.same(f.take(['a', 'b2']), { lines: ['b2'], total: 2, fresh: 1 }, 'a problem that went away and came back is logged again');
  const many = Array.from({ length: 1000 }, (_, i) => `w${i}`);
  const r = f.take(many);
  t.equal(r.lines.length, MAX_WARNING_LINES + 1);
  t.same(r.lines.slice(0, 2), ['w0', 'w1']);
  t.equal(r.lines[MAX_WARNING_LINES], `${1000 - MAX_WARNING_LINES} more new warnings not logged (at most ${MAX_WARNING_LINES} per refresh)`);
  t.same(f.take(many).lines, [], 'the ones not logged are remembered too');
  const huge = Array.from({ length: MAX_REMEMBERED_WARNINGS + 10 }, (_, i) => `h${i}`);
  f.take(huge);
  t.equal(f.take(huge).fresh, 10, 'past the memory limit, the rest count as new (and are capped)');
});

t.test('100k bad tasks, refreshed every second: a bounded log', async (t) => {
  const tasks = Array.from({ length: 100_000 }, (_, i) => ({
    id: `bad-${i}`, name: 'bad', slave_id: 'S0', state: 'TASK_RUNNING', resources: { ports: '31000-31001' },
  }));
  const m = await startStandInMaster({ host: '127.0.0.1', port: 0, state: {} });
  m.setState({
    leader: `master@127.0.0.1:${m.port}`,
    slaves: [{ id: 'S0', pid: 'slave(1)@127.0.0.1:5051' }],
    frameworks: [{ name: 'fw', pid: 'scheduler@127.0.0.1:9999', tasks: [...tasks, { id: 'good-1', name: 'good', slave_id: 'S0', state: 'TASK_RUNNING' }] }],
  });
  const s = await startServerProcess({ masters: [`127.0.0.1:${m.port}`], externalon: false, refreshSeconds: 1 });
  t.teardown(async () => { await s.stop(); await m.close(); });
  const first = await s.waitLog('refresh', 1, 60_000);
  const third = await s.waitLog('refresh', 3, 60_000);
  t.same([first.skipped, first.newWarnings, first.tasks], [100_000, 100_000, 1], 'first refresh: all counted, all new');
  t.same([third.skipped, third.newWarnings], [100_000, 0], 'third: all counted, none new');
  const warns = s.logs.filter((l) => l.level === 40);
  t.equal(warns.length, MAX_WARNING_LINES + 1, 'at most the line limit plus one summary, once');
  t.match(warns[MAX_WARNING_LINES].msg, /^99900 more new warnings not logged/);
  t.ok(s.stderr().length < 100_000, `log bytes bounded: ${s.stderr().length}`);
});
