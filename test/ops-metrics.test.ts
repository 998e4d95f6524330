// /metrics, /health and /ready against the real process: counters move by exactly the queries
// sent (per rcode, zone and proto), promtool lints the exposition, a real Prometheus scrapes it
// and answers a query with our series, OpenMetrics comes when asked, and readiness follows the
// first load and the shutdown.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, execFile } from 'node:child_process';
import { startStandInMaster, rewriteLeader } from '../src/demo/master.js';
import { startServerProcess, tempDir, freePort, waitFor, ROOT } from './support/procs.js';
import { startOnFixture } from './support/serve.js';
import { dig } from './support/dig.js';
import { scrape, samples, metricValues, delta } from './support/metrics.js';

const fixture = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'fake.json'), 'utf8')) as Record<string, unknown>;

async function getJson(port: number, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: r.status, body: await r.json() as Record<string, unknown> };
}

t.test('counters move by exactly the queries sent, per rcode, zone and proto', async (t) => {
  const { s } = await startOnFixture(t);
  const before = await metricValues(s.httpPort);
  for (let i = 0; i < 7; i++) await dig(s.dnsPort, 'chronos.marathon.mesos.', 'A');
  for (let i = 0; i < 3; i++) await dig(s.dnsPort, 'nothing-here.mesos.', 'A');
  for (let i = 0; i < 2; i++) await dig(s.dnsPort, 'leader.mesos.', 'AAAA', { tcp: true });
  for (let i = 0; i < 4; i++) await dig(s.dnsPort, 'example.com.', 'A'); // outside the domain, forwarding off
  await dig(s.dnsPort, 'leader.mesos.', 'TYPE65000');
  const after = await metricValues(s.httpPort);
  const d = (k: string) => delta(before, after, k);
  t.same({
    udpA: d('mesos_dns_dns_requests_total{proto="udp",type="A"}'),
    tcpAAAA: d('mesos_dns_dns_requests_total{proto="tcp",type="AAAA"}'),
    udpOther: d('mesos_dns_dns_requests_total{proto="udp",type="other"}'),
    noerror: d('mesos_dns_dns_responses_total{zone="authoritative",rcode="NOERROR"}'),
    nxdomain: d('mesos_dns_dns_responses_total{zone="authoritative",rcode="NXDOMAIN"}'),
    refused: d('mesos_dns_dns_responses_total{zone="refused",rcode="REFUSED"}'),
  }, { udpA: 14, tcpAAAA: 2, udpOther: 1, noerror: 7 + 2 + 1, nxdomain: 3, refused: 4 });
  t.equal(after.get('mesos_dns_state_loads_total'), 1, 'one state load');
  t.ok((after.get('mesos_dns_zone_serial') ?? 0) > 1e9, 'zone serial exported');
  t.ok((after.get('mesos_dns_zone_records{type="A"}') ?? 0) > 0, 'records by type');
  t.ok((after.get('mesos_dns_state_received_bytes_total') ?? 0) > 1000, 'bytes from the master');
  t.ok((after.get('process_resident_memory_bytes') ?? 0) > 0, 'default process metrics');
  t.equal(after.get('mesos_dns_http_requests_total{route="metrics",status="200"}'), 1, 'the first scrape counted by route');
});

t.test('promtool lints the scrape; OpenMetrics on request; a real Prometheus scrapes us', async (t) => {
  const { s } = await startOnFixture(t, { externalon: true, resolvers: ['127.0.0.1:9'], timeout: 1 });
  await dig(s.dnsPort, 'chronos.marathon.mesos.', 'A');
  await dig(s.dnsPort, 'example.com.', 'A').catch(() => null); // a resolver that never answers: per-upstream series
  const prom = await scrape(s.httpPort);
  t.equal(prom.status, 200);
  t.match(prom.type, /^text\/plain; version=0\.0\.4/);
  const lint = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const p = execFile('promtool', ['check', 'metrics'], (err, stdout, stderr) => resolve({ code: err ? (err as { code?: number }).code ?? 1 : 0, out: stdout + stderr }));
    p.stdin!.end(prom.text);
  });
  t.same(lint, { code: 0, out: '' }, 'promtool check metrics: no problems');
  t.ok(samples(prom.text).has('mesos_dns_proxy_requests_total{to="127.0.0.1:9"}'), 'per-upstream series');

  const om = await scrape(s.httpPort, 'application/openmetrics-text; version=1.0.0,text/plain;q=0.5');
  t.match(om.type, /^application\/openmetrics-text/);
  t.match(om.text, /\n# EOF\n$/);
  t.match(om.text, /\n# TYPE mesos_dns_dns_requests counter\n/);
  const again = await scrape(s.httpPort);
  t.match(again.text, /\n# TYPE mesos_dns_dns_requests_total counter\n/, 'Prometheus text keeps the _total names after an OpenMetrics render');

  const { dir, cleanup } = tempDir('mesos-dns-prom-');
  t.teardown(cleanup);
  const webPort = await freePort();
  writeFileSync(join(dir, 'prometheus.yml'), [
    'global: { scrape_interval: 1s, evaluation_interval: 1s }',
    'scrape_configs:',
    '  - job_name: mesos-dns',
    `    static_configs: [{ targets: ["127.0.0.1:${s.httpPort}"] }]`,
  ].join('\n') + '\n');
  const p = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${webPort}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let perr = '';
  p.stderr!.on('data', (c) => { perr = (perr + c.toString()).slice(-4000); });
  t.teardown(() => new Promise<void>((r) => { if (p.exitCode !== null) return r(); p.on('exit', () => r()); p.kill('SIGTERM'); }));
  const series = await waitFor('Prometheus to return our series', async () => {
    try {
      const r = await fetch(`http://127.0.0.1:${webPort}/api/v1/query?query=${encodeURIComponent('mesos_dns_dns_requests_total{job="mesos-dns"}')}`);
      const j = await r.json() as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
      return j.status === 'success' && j.data.result.length > 0 ? j.data.result : null;
    } catch { return null; }
  }, 60_000, 500).catch((e: Error) => { throw new Error(`${e.message}; prometheus stderr: ${perr}`); });
  const a = series.find((x) => x.metric.proto === 'udp' && x.metric.type === 'A');
  t.ok(a && Number(a.value[1]) >= 2, `Prometheus has mesos_dns_dns_requests_total{proto="udp",type="A"} (${a?.value[1]})`);
});

t.test('/health and /ready: before the first load, after it, and during the lameduck', async (t) => {
  const masterPort = await freePort(); // nothing listens there yet
  const s = await startServerProcess({ masters: [`127.0.0.1:${masterPort}`], externalon: false, refreshSeconds: 1, stateTimeoutSeconds: 1, shutdowngraceseconds: 3 });
  let stopped = false;
  t.teardown(async () => { if (!stopped) await s.stop(); await master?.close(); });
  const health = await fetch(`http://127.0.0.1:${s.httpPort}/health`);
  t.same({ status: health.status, body: await health.text() }, { status: 200, body: 'OK\n' });
  const early = await getJson(s.httpPort, '/ready');
  t.same(early, { status: 503, body: { ready: false, reason: 'no zone loaded yet', serving: false, serial: null, ageSeconds: null } });
  const master = await startStandInMaster({ host: '127.0.0.1', port: masterPort, state: {} });
  master.setState(rewriteLeader(structuredClone(fixture), `127.0.0.1:${masterPort}`));
  await s.waitLog('refresh');
  const ready = await getJson(s.httpPort, '/ready');
  t.equal(ready.status, 200);
  t.match(ready.body, { ready: true, serving: true });
  s.proc.kill('SIGTERM');
  stopped = true;
  await s.waitLog('shutting down: lameduck');
  const lame = await getJson(s.httpPort, '/ready');
  t.match(lame, { status: 503, body: { ready: false, reason: 'shutting down' } });
  const stillAnswers = await dig(s.dnsPort, 'leader.mesos.', 'A');
  t.equal(stillAnswers.status, 'NOERROR', 'answers continue during the lameduck');
  t.equal(await s.stop(), 0, 'exit 0 after the grace time');
});
