// The stand-in master's v1 operator API: the stream tests and the freshness bench rely on it
// telling the same story as its /master/state, in the master's own framing and shapes.
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { startStandInMaster, rewriteLeader, type StandInMaster } from '../src/demo/master.js';
import { RecordIOParser } from '../src/stream/recordio.js';

const fixture = JSON.parse(readFileSync(new URL('./fixtures/fake.json', import.meta.url), 'utf8')) as object;

async function master(t: Test): Promise<StandInMaster> {
  const m = await startStandInMaster({ state: {}, heartbeatSeconds: 0.2 });
  m.setState(rewriteLeader(fixture, m.hostPort));
  t.teardown(() => m.close());
  return m;
}

/** Open a SUBSCRIBE stream; `events` fills as records arrive. */
async function subscribe(m: StandInMaster) {
  const res = await request(`${m.url}/api/v1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"SUBSCRIBE"}' });
  const events: Record<string, any>[] = [];
  const p = new RecordIOParser(1 << 24, (r) => events.push(JSON.parse(r.toString('utf8'))));
  const done = (async () => { try { for await (const c of res.body) p.push(c as Buffer); } catch { /* cut */ } return p.end(); })();
  return { res, events, done };
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) { if (Date.now() > end) throw new Error('timed out'); await new Promise((r) => setTimeout(r, 10)); }
}

t.test('SUBSCRIBE: SUBSCRIBED with the whole cluster, a HEARTBEAT, then events and heartbeats', async (t) => {
  const m = await master(t);
  const s = await subscribe(m);
  t.equal(s.res.statusCode, 200);
  t.equal(s.res.headers['content-type'], 'application/json');
  t.equal(s.res.headers['transfer-encoding'], 'chunked');
  await until(() => s.events.length >= 2);
  const [sub, hb] = s.events;
  t.equal(sub!['type'], 'SUBSCRIBED');
  t.equal(sub!['subscribed']['heartbeat_interval_seconds'], 0.2);
  const gs = sub!['subscribed']['get_state'];
  const v0 = fixture as any;
  t.equal(gs.get_agents.agents.length, v0.slaves.length);
  t.equal(gs.get_frameworks.frameworks.length, v0.frameworks.length);
  t.equal(gs.get_tasks.tasks.length, v0.frameworks.reduce((n: number, f: any) => n + f.tasks.length, 0));
  t.notOk(gs.get_frameworks.frameworks.some((f: any) => 'pid' in f || 'pid' in f.framework_info), 'v1 has no framework pid');
  const toy = gs.get_tasks.tasks.find((x: any) => x.task_id.value.startsWith('toy-store.'));
  t.same(toy.resources, [{ name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31354, end: 31354 }, { begin: 31355, end: 31355 }] } }]);
  t.same(hb, { type: 'HEARTBEAT' });

  const l = m.cluster().launch({ framework: 'marathon', name: 'live', ip: '10.9.9.9' });
  await until(() => s.events.some((e) => e['type'] === 'TASK_UPDATED'));
  const added = s.events.find((e) => e['type'] === 'TASK_ADDED')!;
  t.equal(added['task_added']['task']['name'], 'live');
  t.equal(added['task_added']['task']['state'], 'TASK_STAGING');
  const upd = s.events.find((e) => e['type'] === 'TASK_UPDATED')!;
  t.equal(upd['task_updated']['state'], 'TASK_RUNNING');
  t.equal(upd['task_updated']['status']['task_id']['value'], l.id);
  // The same task in /master/state.
  const state = await (await request(`${m.url}/master/state`)).body.json() as any;
  const task = state.frameworks.find((f: any) => f.name === 'marathon').tasks.find((x: any) => x.id === l.id);
  t.equal(task.state, 'TASK_RUNNING');
  t.equal(task.statuses[0].container_status.network_infos[0].ip_addresses[0].ip_address, '10.9.9.9');
  t.ok(m.cluster().kill(l.id));
  await until(() => s.events.some((e) => e['task_updated']?.['state'] === 'TASK_KILLED'));
  const after = await (await request(`${m.url}/master/state`)).body.json() as any;
  t.notOk(JSON.stringify(after).includes(l.id), 'a killed task leaves /master/state');
  const beats = s.events.filter((e) => e['type'] === 'HEARTBEAT').length;
  await until(() => s.events.filter((e) => e['type'] === 'HEARTBEAT').length > beats + 1);
  m.cutStreams(true);
  t.ok((await s.done) > 0, 'cut mid-record: a partial record was left');
  await until(() => m.streams === 0);
});

t.test('state-summary and GET_MASTER', async (t) => {
  const m = await master(t);
  const sum = await (await request(`${m.url}/master/state-summary`)).body.json() as any;
  const mar = sum.frameworks.find((f: any) => f.name === 'marathon');
  t.equal(mar.pid, 'scheduler(1)@1.2.3.11:25501');
  t.notOk('tasks' in mar);
  const gm = await (await request(`${m.url}/api/v1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"GET_MASTER"}' })).body.json() as any;
  t.equal(gm.get_master.master_info.pid, `master@${m.hostPort}`);
});

t.test('the master\'s refusals: 415, 405, 404 (no v1 API), 503 (recovery), 307 (not leader)', async (t) => {
  const m = await master(t);
  const call = async (headers: Record<string, string>, method = 'POST') => {
    const r = await request(`${m.url}/api/v1`, { method: method as 'POST', headers, body: method === 'POST' ? '{"type":"SUBSCRIBE"}' : undefined });
    await r.body.dump();
    return { status: r.statusCode, location: r.headers['location'] };
  };
  t.equal((await call({ 'content-type': 'application/json; charset=utf-8' })).status, 415);
  t.equal((await call({}, 'GET')).status, 405);
  m.setApiStatus(404);
  t.equal((await call({ 'content-type': 'application/json' })).status, 404);
  m.setApiStatus(503);
  t.equal((await call({ 'content-type': 'application/json' })).status, 503);
  m.setApiStatus(null);
  m.setApiRedirect('//127.0.0.1:1/api/v1');
  t.same(await call({ 'content-type': 'application/json' }), { status: 307, location: '//127.0.0.1:1/api/v1' });
});

t.test('failover: recovering agents are only in recovered_agents until they re-register', async (t) => {
  const m = await master(t);
  const c = m.cluster();
  const agent = (fixture as any).slaves[0].id as string;
  c.setRecovering([agent]);
  const s = await subscribe(m);
  await until(() => s.events.length >= 1);
  const ga = s.events[0]!['subscribed']['get_state']['get_agents'];
  t.same(ga.recovered_agents.map((a: any) => a.id.value), [agent]);
  t.notOk(ga.agents.some((a: any) => a.agent_info.id.value === agent));
  c.reregister(agent);
  await until(() => s.events.some((e) => e['type'] === 'AGENT_ADDED'));
  t.equal(s.events.find((e) => e['type'] === 'AGENT_ADDED')!['agent_added']['agent']['agent_info']['id']['value'], agent);
  m.cutStreams(false);
  await s.done;
});

t.test('churn: N events a second, launches and kills alternating', async (t) => {
  const m = await master(t);
  const launched: string[] = [], killed: string[] = [];
  m.cluster().setChurn(200, { onLaunch: (l) => launched.push(l.id), onKill: (id) => killed.push(id) });
  await until(() => launched.length + killed.length >= 40);
  m.cluster().setChurn(0);
  t.ok(Math.abs(launched.length - killed.length) <= 1, 'alternating');
  t.same(killed, launched.slice(0, killed.length), 'kills the oldest it launched');
});
