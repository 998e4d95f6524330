// Operating a stream-mode server: its metrics (events by type, connected, re-subscriptions, bytes)
// are exact after known events and a reconnect; a SIGHUP restarts the subscription only when
// master access or StateSource change (other keys reach the answers without a new snapshot); and
// /v1/config and the log lines say which source StateSource resolved to.
import t, { type Test } from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { waitFor, type ServerProcess } from './support/procs.js';
import { dig, recKey } from './support/dig.js';
import { metricValues } from './support/metrics.js';
import { master, server, digUntil } from './support/stream.js';

t.setTimeout(300_000); // end-to-end processes on a busy 2-core machine

/** The stream's series and the received-bytes counter, as /metrics shows them now. */
async function streamSeries(s: ServerProcess): Promise<Record<string, number>> {
  const all = await metricValues(s.httpPort);
  return Object.fromEntries([...all].filter(([k]) => k.startsWith('mesos_dns_mesos_') || k === 'mesos_dns_state_received_bytes_total').sort());
}

/** Poll /metrics until the series equal `want` (they follow the worker within ~200 ms), then compare whole. */
async function seriesBecome(t: Test, s: ServerProcess, want: () => Record<string, number>, what: string): Promise<void> {
  let got: Record<string, number> = {};
  await waitFor(what, async () => { got = await streamSeries(s); return JSON.stringify(got) === JSON.stringify(want()); }, 10_000).catch(() => {});
  t.same(got, want(), what);
}

function expected(o: { events: Record<string, number>; connected: 0 | 1; reconnects: number; bytes: number }): Record<string, number> {
  const out: Record<string, number> = {
    'mesos_dns_mesos_stream_connected': o.connected,
    'mesos_dns_mesos_stream_reconnects_total': o.reconnects,
    'mesos_dns_mesos_stream_recovering_agents': 0,
    'mesos_dns_state_received_bytes_total': o.bytes,
  };
  for (const [type, n] of Object.entries(o.events)) out[`mesos_dns_mesos_events_total{type="${type}"}`] = n;
  return Object.fromEntries(Object.entries(out).sort());
}

t.test('stream metrics are exact after known events and a reconnect', async (t) => {
  // One HEARTBEAT right after SUBSCRIBED, the next only after 30 s: every record is known.
  const m = await master(t, 30);
  const s = await server(t, [m.hostPort], { reconcileSeconds: 0 });
  // The first zone comes from one /master/state fetch (cold start), then the stream subscribes.
  const firstLoad = await s.waitLog('refresh');
  const polled = firstLoad.bytes as number;
  t.ok(polled > 0, 'the first load was a state fetch');
  await s.waitLog('stream update');
  await seriesBecome(t, s, () => expected({ events: { HEARTBEAT: 1, SUBSCRIBED: 1 }, connected: 1, reconnects: 0, bytes: polled + m.streamBytes }), 'subscribed');

  const a = m.cluster().launch({ framework: 'marathon', name: 'metric-a', ip: '10.6.6.1' }); // TASK_ADDED + TASK_UPDATED
  m.cluster().launch({ framework: 'marathon', name: 'metric-b', ip: '10.6.6.2' });
  m.cluster().kill(a.id); // TASK_UPDATED (KILLED)
  await digUntil(s.dnsPort, 'metric-b.marathon.mesos.', 'A', (x) => x.status === 'NOERROR');
  await seriesBecome(t, s, () => expected({
    events: { HEARTBEAT: 1, SUBSCRIBED: 1, TASK_ADDED: 2, TASK_UPDATED: 3 }, connected: 1, reconnects: 0, bytes: polled + m.streamBytes,
  }), 'after two launches and a kill');

  // The master goes away (and refuses for a while): disconnected, nothing else counted.
  m.setApiStatus(503);
  m.cutStreams(false);
  await seriesBecome(t, s, () => expected({
    events: { HEARTBEAT: 1, SUBSCRIBED: 1, TASK_ADDED: 2, TASK_UPDATED: 3 }, connected: 0, reconnects: 0, bytes: polled + m.streamBytes,
  }), 'disconnected');
  m.setApiStatus(null);
  await waitFor('re-subscribed', () => m.subscribes === 2, 30_000);
  await seriesBecome(t, s, () => expected({
    events: { HEARTBEAT: 2, SUBSCRIBED: 2, TASK_ADDED: 2, TASK_UPDATED: 3 }, connected: 1, reconnects: 1, bytes: polled + m.streamBytes,
  }), 'subscribed again: one reconnect');
});

/** Rewrite the server's config file with `patch` and SIGHUP it; the n-th "config reloaded" line. */
function reloader(s: ServerProcess): (patch: Record<string, unknown>) => Promise<Record<string, unknown>> {
  let n = 0;
  return async (patch) => {
    const cfg = JSON.parse(readFileSync(s.configPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(s.configPath, JSON.stringify({ ...cfg, ...patch }));
    s.proc.kill('SIGHUP');
    return s.waitLog('config reloaded', ++n);
  };
}

async function configView(s: ServerProcess): Promise<Record<string, unknown>> {
  return (await (await fetch(`http://127.0.0.1:${s.httpPort}/v1/config`)).json()) as Record<string, unknown>;
}

t.test('SIGHUP: other keys keep the subscription; master access and StateSource restart it', async (t) => {
  const m = await master(t, 30);
  const s = await server(t, [m.hostPort], { reconcileSeconds: 0, ttl: 60 });
  await s.waitLog('stream update');
  const reload = reloader(s);

  // A new ttl: the same subscription, its model published again with it; no state fetch.
  t.same((await reload({ ttl: 7 })).replaced, [], 'nothing replaced for a ttl change');
  const kept = await digUntil(s.dnsPort, 'chronos.marathon.mesos.', 'A', (x) => x.answer[0]?.ttl === 7);
  t.same(kept.answer.map((x) => [x.ttl, recKey(x)]), [[7, 'chronos.marathon.mesos. IN A 1.2.3.11']]);
  m.cluster().launch({ framework: 'marathon', name: 'after-ttl', ip: '10.9.9.9' });
  const fresh = await digUntil(s.dnsPort, 'after-ttl.marathon.mesos.', 'A', (x) => x.status === 'NOERROR');
  t.same(fresh.answer.map((x) => [x.ttl, recKey(x)]), [[7, 'after-ttl.marathon.mesos. IN A 10.9.9.9']], 'versions after the reload keep the new ttl');
  t.same((await dig(s.dnsPort, 'chronos.marathon.mesos.', 'A')).answer.map((x) => x.ttl), [7]);
  t.equal(m.subscribes, 1, 'not subscribed again');
  t.equal(s.logs.filter((l) => l.msg === 'refresh').length, 1, 'no state was polled after the first load (cold start: one /master/state fetch)');

  // Master access (here the state timeout): a new worker subscribes; the old stream is closed.
  t.same((await reload({ stateTimeoutSeconds: 31 })).replaced, ['state client']);
  await waitFor('subscribed again, one stream open', () => m.subscribes === 2 && m.streams === 1, 30_000);
  m.cluster().launch({ framework: 'marathon', name: 'after-access', ip: '10.9.9.10' });
  const viaNew = await digUntil(s.dnsPort, 'after-access.marathon.mesos.', 'A', (x) => x.status === 'NOERROR');
  t.same(viaNew.answer.map(recKey), ['after-access.marathon.mesos. IN A 10.9.9.10'], 'the new stream serves');

  // StateSource poll: the stream ends, polling starts.
  t.same((await reload({ statesource: 'poll' })).replaced, ['state source']);
  await waitFor('stream closed', () => m.streams === 0, 30_000);
  const polled = await s.waitLog('refresh', 2); // the first was the cold start's fetch
  t.match(polled, { source: 'poll', stateSource: 'poll' });
  t.match(await configView(s), { StateSource: 'poll', StateSourceInUse: 'poll' });
  const subscribes = m.subscribes;

  // And back: subscribed once more.
  t.same((await reload({ statesource: 'stream' })).replaced, ['state source']);
  await waitFor('subscribed again', () => m.subscribes === subscribes + 1 && m.streams === 1, 30_000);
  t.match(await configView(s), { StateSource: 'stream', StateSourceInUse: 'stream' });
  // Nothing changed: nothing restarts.
  t.same((await reload({})).replaced, []);
  await new Promise((r) => setTimeout(r, 500));
  t.equal(m.subscribes, subscribes + 1, 'an unchanged config does not subscribe again');
});

t.test('/v1/config and the log lines show what StateSource "auto" resolved to', async (t) => {
  const m = await master(t);
  const s = await server(t, [m.hostPort], { statesource: 'auto', reconcileSeconds: 0 });
  const line = await s.waitLog('stream update');
  t.match(line, { source: 'stream', stateSource: 'auto' });
  const view = await configView(s);
  t.equal(view.StateSource, 'auto', 'the configured value, unchanged (the body still decodes into the config)');
  t.equal(view.StateSourceInUse, 'stream');
  t.same(Object.keys(view).slice(-2), ['MastersSource', 'StateSourceInUse'], 'after every config key');

  const old = await master(t);
  old.setApiStatus(404);
  const p = await server(t, [old.hostPort], { statesource: 'auto' });
  // The cold start's first fetch runs before the stream is tried; the refresh after the fallback polls.
  await waitFor('a polled refresh', () => p.logs.some((l) => l.msg === 'refresh' && l.source === 'poll'), 30_000);
  t.match(p.logs.find((l) => l.msg === 'refresh' && l.source === 'poll'), { source: 'poll', stateSource: 'auto' });
  t.match(await configView(p), { StateSource: 'auto', StateSourceInUse: 'poll' });
});
