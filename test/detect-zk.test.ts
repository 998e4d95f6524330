// Master detection against a real ZooKeeper (Debian's 3.8, started by the test on 127.0.0.1 with a
// free port). Masters are registered the way Mesos does it: EPHEMERAL_SEQUENTIAL `json.info_`
// children of the path holding MasterInfo JSON. The outage tests stop, kill, freeze and restart
// that server; each of those gets a server of its own so the others are not disturbed.
// Only loopback is contacted: the master addresses in the node data are never connected to.
import t, { type Test } from 'tap';
import { Writable } from 'node:stream';
import zookeeper from 'node-zookeeper-client';
import { pino } from 'pino';
import { createMasterDetector, parseZkUrl, type MasterDetector, type MastersUpdate } from '../src/detect/index.js';
import { ZkMasterDetector } from '../src/detect/zk.js';
import { decodeMasterInfo, legacyIp } from '../src/detect/masterinfo.js';
import { ConfigError } from '../src/config/error.js';
import { loadSettingsText } from '../src/config/load.js';
import type { Config, Settings } from '../src/config/types.js';
import { closeClient, connectClient, freePort, startZooKeeper, type ZooKeeperServer } from './support/zookeeper.js';

// ---------------------------------------------------------------- helpers

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function config(over: Partial<Config>): Config {
  return { Zk: '', Masters: null, ZkDetectionTimeout: 0, RefreshSeconds: 60, ...over } as Config;
}

/** The detector's part of the Settings config loading makes (the `Zk` URL parsed there). */
function settings(over: Partial<Config>): Pick<Settings, 'config' | 'zk'> {
  const c = config(over);
  return { config: c, zk: c.Zk === '' ? null : parseZkUrl(c.Zk) };
}

/** A pino logger whose lines the test can read. */
function captureLogger() {
  const lines: { level: number; msg: string; [k: string]: unknown }[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  const log = pino({ level: 'debug' }, stream);
  const warns = (re: RegExp) => lines.filter((l) => l.level === 40 && re.test(l.msg));
  return { log, lines, warns };
}

interface Seen extends MastersUpdate {
  at: number;
}

/**
 * Starts a detector and records every onChange with its arrival time. next() waits for an update
 * matching `pred` (an assertion: it passes, or fails the test after the timeout).
 */
function watch(det: MasterDetector, t: Test) {
  const seen: Seen[] = [];
  let wake: (() => void) | null = null;
  det.start((u) => {
    seen.push({ ...u, at: Date.now() });
    wake?.();
  });
  async function next(pred: (u: Seen) => boolean, timeoutMs = 10_000, from = 0): Promise<Seen> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = seen.slice(from).find(pred);
      if (hit) {
        t.pass(`update ${JSON.stringify(hit.masters)} (${hit.source})`);
        return hit;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        t.fail(`no matching update within ${timeoutMs} ms; seen ${JSON.stringify(seen)}`);
        throw new Error('update missing');
      }
      await new Promise<void>((r) => {
        const tm = setTimeout(r, left);
        wake = () => {
          clearTimeout(tm);
          r();
        };
      });
      wake = null;
    }
  }
  return { seen, next };
}

const same = (a: string[]) => (u: MastersUpdate) => JSON.stringify(u.masters) === JSON.stringify(a);

const connect = (connectString: string) => connectClient(connectString);

function mkdirp(c: zookeeper.Client, path: string): Promise<void> {
  return new Promise((res, rej) => c.mkdirp(path, (e) => (e ? rej(e) : res())));
}

function create(c: zookeeper.Client, path: string, data: string | Buffer, mode: number): Promise<string> {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  return new Promise((res, rej) => c.create(path, buf, mode, (e, p) => (e ? rej(e) : res(p))));
}

function remove(c: zookeeper.Client, path: string): Promise<void> {
  return new Promise((res, rej) => c.remove(path, (e) => (e ? rej(e) : res())));
}

/** MasterInfo JSON as Mesos 1.x writes it. */
function masterInfo(ip: string, port = 5050, id = `id-${ip}`): string {
  const parts = ip.split('.').map(Number);
  const le = ((parts[3] << 24) | (parts[2] << 16) | (parts[1] << 8) | parts[0]) >>> 0;
  return JSON.stringify({
    address: { hostname: `h-${ip}`, ip, port },
    hostname: `h-${ip}`,
    id,
    ip: le,
    pid: `master@${ip}:${port}`,
    port,
    version: '1.11.0',
  });
}

/** Register a master the way Mesos does; returns the znode path. */
function register(c: zookeeper.Client, path: string, data: string | Buffer): Promise<string> {
  return create(c, `${path}/json.info_`, data, zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL);
}

let pathCounter = 0;
const freshPath = () => `/mesos-${++pathCounter}`;

// ---------------------------------------------------------------- pure parts

t.test('zk URL parsing', async (t) => {
  const ok = (url: string) => parseZkUrl(url);
  t.same(ok('zk://10.0.0.1:2181,10.0.0.2:2182/mesos').servers, [
    { host: '10.0.0.1', port: 2181 },
    { host: '10.0.0.2', port: 2182 },
  ]);
  t.equal(ok('zk://10.0.0.1:2181/mesos').path, '/mesos');
  t.same(ok('zk://zk1,zk2.example:3000/mesos').servers, [
    { host: 'zk1', port: 2181 },
    { host: 'zk2.example', port: 3000 },
  ], 'port 2181 when absent');
  t.same(ok('zk://[2001:db8::1]:2888,[::1]/a/b/').servers, [
    { host: '2001:db8::1', port: 2888 },
    { host: '::1', port: 2181 },
  ], 'IPv6 in brackets');
  t.equal(ok('zk://[::1]/a/b/').path, '/a/b', 'trailing slash dropped');
  const cred = ok('zk://user:secret@zk1:2181/mesos');
  t.equal(cred.hadCredentials, true);
  t.same(cred.servers, [{ host: 'zk1', port: 2181 }], 'credentials ignored');
  t.notMatch(cred.redacted, /secret/);
  t.equal(ok('ZK://zk1/mesos').hadCredentials, false, 'scheme case-insensitive');

  const bad = [
    'http://zk1:2181/mesos',
    'zk1:2181/mesos',
    'zk://zk1:2181',
    'zk://zk1:2181/',
    'zk:///mesos',
    'zk://zk1:2181,/mesos',
    'zk://zk1:0/mesos',
    'zk://zk1:65536/mesos',
    'zk://zk1:abc/mesos',
    'zk://::1:2181/mesos',
    'zk://[::1/mesos',
    'zk://[zk1]:2181/mesos',
    'zk://zk 1:2181/mesos',
    'zk://zk1:2181/mesos?x=1',
    'zk://zk1:2181/me//sos',
    'zk://zk1:2181/mesos/..',
    '',
  ];
  for (const url of bad) {
    t.throws(() => parseZkUrl(url), ConfigError, `rejects ${JSON.stringify(url)}`);
    try {
      parseZkUrl(url);
    } catch (e) {
      t.equal((e as ConfigError).key, 'Zk', `error names Zk for ${JSON.stringify(url)}`);
    }
  }
  try {
    parseZkUrl('zk://bob:hunter2@zk1:2181');
  } catch (e) {
    t.notMatch((e as Error).message, /hunter2/, 'the error does not echo the password');
  }
  t.throws(() => loadSettingsText(JSON.stringify({ Zk: 'zk://zk1' }), 'config.json', { warn: () => {} }), ConfigError,
    'loading refuses it: the detector is handed the URL parsed');
});

t.test('MasterInfo decoding', async (t) => {
  const addr = (d: string) => {
    const r = decodeMasterInfo(Buffer.from(d));
    return r.ok ? r.addr : `ERR ${r.reason}`;
  };
  t.equal(addr(masterInfo('10.0.0.1')), '10.0.0.1:5050');
  t.equal(addr(masterInfo('10.0.0.1', 5051)), '10.0.0.1:5051');
  t.equal(addr('{"address":{"ip":"2001:db8::1","port":5050},"ip":0}'), '[2001:db8::1]:5050', 'IPv6 bracketed');
  t.equal(addr('{"address":{"ip":"10.1.2.3"},"port":5055}'), '10.1.2.3:5055', 'address without port: top-level port');
  t.equal(addr('{"address":{"ip":"10.1.2.3"}}'), '10.1.2.3:5050');
  t.equal(addr('{"ip":16777226,"port":5050}'), '10.0.0.1:5050', 'legacy little-endian ip');
  t.equal(addr('{"ip":16777226}'), '10.0.0.1:5050', 'legacy default port 5050');
  t.equal(addr('{"ip":4294967295,"port":1}'), '255.255.255.255:1');
  t.equal(legacyIp(0x0403020a), '10.2.3.4');
  t.match(addr('{"address":{"hostname":"h","port":5050}}'), /^ERR /, 'address without ip');
  t.match(addr('{"address":{"ip":"h.example","port":5050}}'), /^ERR /, 'host name instead of ip');
  t.match(addr('{"address":{"ip":"10.0.0.1","port":0}}'), /^ERR /, 'port 0');
  t.match(addr('{"address":{"ip":"10.0.0.1","port":"5050"}}'), /^ERR /, 'port as string');
  t.match(addr('{"hostname":"h"}'), /^ERR /, 'neither address nor ip');
  t.match(addr('not json'), /^ERR /);
  t.match(addr('[1,2]'), /^ERR /);
  t.match(addr('null'), /^ERR /);
  t.match(addr(''), /^ERR /);
  t.match(addr('\x08\x01\x10\x02'), /^ERR /, 'protobuf bytes');
});

t.test('static mode: the configured masters, once', async (t) => {
  const det = createMasterDetector(settings({ Masters: ['1.1.1.1:5050', '1.1.1.2:5050'] }), pino({ level: 'silent' }));
  const w = watch(det, t);
  t.equal(w.seen.length, 0, 'not synchronous inside start()');
  await sleep(50);
  t.same(
    w.seen.map(({ masters, source }) => ({ masters, source })),
    [{ masters: ['1.1.1.1:5050', '1.1.1.2:5050'], source: 'static' }],
  );
  t.same(det.current(), { masters: ['1.1.1.1:5050', '1.1.1.2:5050'], source: 'static' });
  await det.close();
});

// ---------------------------------------------------------------- with a shared ZooKeeper

t.test('with ZooKeeper', async (t) => {
  const zk = await startZooKeeper();
  const admin = await connect(zk.connectString);
  t.teardown(async () => {
    await closeClient(admin);
    await zk.dispose();
  });
  const zkUrl = (path: string) => `zk://${zk.connectString}${path}`;

  async function detector(t: Test, path: string, over: Partial<Config> = {}) {
    const cap = captureLogger();
    const det = createMasterDetector(settings({ Zk: zkUrl(path), ...over }), cap.log);
    t.teardown(() => det.close());
    return { det, cap, ...watch(det, t) };
  }

  t.test('leader = lowest sequence, others by sequence, one onChange', async (t) => {
    const path = freshPath();
    await mkdirp(admin, path);
    // Registered in an order that is neither address order nor lexical order of anything else.
    await register(admin, path, masterInfo('10.0.0.9'));
    await register(admin, path, masterInfo('10.0.0.5'));
    await register(admin, path, masterInfo('10.0.0.7', 5051));
    const { det, seen, next } = await detector(t, path);
    t.same(det.current().masters[0], '', 'leader unknown before ZooKeeper answers');
    const u = await next(() => true);
    t.same(u.masters, ['10.0.0.9:5050', '10.0.0.5:5050', '10.0.0.7:5051']);
    t.equal(u.source, 'zookeeper');
    await sleep(300);
    t.equal(seen.length, 1, 'one onChange for the initial reading');
    t.same(det.current(), { masters: u.masters, source: 'zookeeper' });
  });

  t.test('sequence numbers sort numerically, duplicates once', async (t) => {
    const path = freshPath();
    await mkdirp(admin, path);
    // Persistent nodes with chosen names: ZooKeeper zero-pads, but we must not rely on string order.
    await create(admin, `${path}/json.info_0000000010`, masterInfo('10.0.1.10'), zookeeper.CreateMode.PERSISTENT);
    await create(admin, `${path}/json.info_0000000009`, masterInfo('10.0.1.9'), zookeeper.CreateMode.PERSISTENT);
    await create(admin, `${path}/json.info_100`, masterInfo('10.0.1.100'), zookeeper.CreateMode.PERSISTENT);
    await create(admin, `${path}/json.info_11`, masterInfo('10.0.1.11'), zookeeper.CreateMode.PERSISTENT);
    await create(admin, `${path}/json.info_0000000012`, masterInfo('10.0.1.9'), zookeeper.CreateMode.PERSISTENT);
    await create(admin, `${path}/json.info_x`, masterInfo('10.0.1.1'), zookeeper.CreateMode.PERSISTENT);
    await create(admin, `${path}/log_replicas`, '', zookeeper.CreateMode.PERSISTENT);
    const { next } = await detector(t, path);
    const u = await next(() => true);
    // Lexical order would put json.info_100 before json.info_11.
    t.same(u.masters, ['10.0.1.9:5050', '10.0.1.10:5050', '10.0.1.11:5050', '10.0.1.100:5050']);
  });

  t.test('leader change follows at once', async (t) => {
    const path = freshPath();
    await mkdirp(admin, path);
    // Each master with its own session, as real masters have.
    const m1 = await connect(zk.connectString);
    const m2 = await connect(zk.connectString);
    const m3 = await connect(zk.connectString);
    t.teardown(async () => {
      await Promise.all([m1, m2, m3].map(closeClient));
    });
    const n1 = await register(m1, path, masterInfo('10.0.2.1'));
    await register(m2, path, masterInfo('10.0.2.2'));
    await register(m3, path, masterInfo('10.0.2.3'));
    const { next, seen } = await detector(t, path);
    await next(same(['10.0.2.1:5050', '10.0.2.2:5050', '10.0.2.3:5050']));

    // The leader's node goes away (Mesos: the leader's session ends).
    await remove(m1, n1);
    const t0 = Date.now();
    const u = await next(same(['10.0.2.2:5050', '10.0.2.3:5050']), 5000, seen.length);
    const ms1 = u.at - t0;
    t.ok(ms1 < 5000, `leader change seen ${ms1} ms after the node was removed`);
    t.comment(`leader change (node removed) → onChange: ${ms1} ms`);

    // Leader crashes: its session closes and ZooKeeper removes its ephemeral node.
    const from = seen.length;
    const t1 = Date.now();
    await closeClient(m2);
    const u2 = await next(same(['10.0.2.3:5050']), 5000, from);
    t.comment(`leader change (session closed) → onChange: ${u2.at - t1} ms`);
    t.equal(seen.length, from + 1, 'one onChange per change');

    // A new contender joins behind the leader.
    const m4 = await connect(zk.connectString);
    t.teardown(() => closeClient(m4));
    await register(m4, path, masterInfo('10.0.2.4'));
    await next(same(['10.0.2.3:5050', '10.0.2.4:5050']), 5000, seen.length);
  });

  t.test('a burst of changes is one onChange', async (t) => {
    const path = freshPath();
    await mkdirp(admin, path);
    await register(admin, path, masterInfo('10.0.3.1'));
    const { next, seen } = await detector(t, path);
    await next(same(['10.0.3.1:5050']));
    const from = seen.length;
    // Spread a little (10 ms apart) so each lands as its own ZooKeeper event, well inside the
    // detector's quiet window (100 ms).
    const created: Promise<string>[] = [];
    for (const i of [2, 3, 4, 5, 6]) {
      created.push(register(admin, path, masterInfo(`10.0.3.${i}`)));
      await sleep(10);
    }
    await Promise.all(created);
    await next((u) => u.masters.length === 6, 5000, from);
    await sleep(500);
    t.equal(seen.length - from, 1, `five registrations → ${seen.length - from} onChange`);
    t.same(seen[seen.length - 1].masters, [1, 2, 3, 4, 5, 6].map((i) => `10.0.3.${i}:5050`));
  });

  t.test('legacy ip integer, IPv6, malformed and protobuf nodes', async (t) => {
    const path = freshPath();
    await mkdirp(admin, path);
    // Protobuf node of Mesos < 0.24 with the lowest sequence: ignored, not taken as the leader.
    await create(admin, `${path}/info_`, Buffer.from([0x0a, 0x03, 0x61, 0x62, 0x63]), zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL);
    const garbage = await register(admin, path, 'this is not JSON');
    await register(admin, path, '{"hostname":"no-address"}');
    await register(admin, path, '{"ip":16777226,"port":5051,"id":"legacy"}');
    await register(admin, path, '{"address":{"ip":"2001:db8::7","port":5050},"id":"v6"}');
    const { next, cap, seen } = await detector(t, path);
    const u = await next(() => true);
    t.same(u.masters, ['10.0.0.1:5051', '[2001:db8::7]:5050'], 'bad nodes skipped, the rest used');
    t.equal(cap.warns(/protobuf/).length, 1, 'one warning for protobuf nodes');
    const mal = cap.warns(/malformed/);
    t.equal(mal.length, 2, 'one warning per malformed node');
    t.ok(mal.some((l) => l.node === garbage), 'the warning names the node');

    // Further changes do not repeat the warnings.
    await register(admin, path, masterInfo('10.0.4.1'));
    await next((x) => x.masters.length === 3, 5000, seen.length);
    t.equal(cap.warns(/malformed/).length, 2);
    t.equal(cap.warns(/protobuf/).length, 1);
  });

  t.test('path created after start', async (t) => {
    const path = freshPath();
    const { next, cap, det } = await detector(t, path);
    await sleep(500);
    t.equal(det.current().masters[0], '', 'no leader yet');
    t.ok(cap.warns(/does not exist/).length === 1, 'warned about the missing path');
    await mkdirp(admin, path);
    await register(admin, path, masterInfo('10.0.5.1'));
    await next(same(['10.0.5.1:5050']), 5000);
  });

  t.test('every master gone: the last list is kept', async (t) => {
    const path = freshPath();
    await mkdirp(admin, path);
    const n = await register(admin, path, masterInfo('10.0.6.1'));
    const { next, seen, det, cap } = await detector(t, path, { ZkDetectionTimeout: 0 });
    await next(same(['10.0.6.1:5050']));
    await remove(admin, n);
    await sleep(700);
    t.equal(seen.length, 1, 'no onChange that empties the list');
    t.same(det.current().masters, ['10.0.6.1:5050']);
    t.equal(cap.warns(/no Mesos master registered/).length, 1);
    await register(admin, path, masterInfo('10.0.6.2'));
    await next(same(['10.0.6.2:5050']), 5000);
  });

  t.test('forced session expiry: a new session, watches re-armed', async (t) => {
    const path = freshPath();
    await mkdirp(admin, path);
    const n1 = await register(admin, path, masterInfo('10.0.7.1'));
    await register(admin, path, masterInfo('10.0.7.2'));
    const cap = captureLogger();
    const det = new ZkMasterDetector(parseZkUrl(zkUrl(path)), config({ Zk: zkUrl(path) }), cap.log);
    t.teardown(() => det.close());
    const { next, seen } = watch(det, t);
    await next(same(['10.0.7.1:5050', '10.0.7.2:5050']));
    const cred = det.sessionCredentials();
    t.ok(cred, 'connected');
    // ZooKeeper's way to expire a session on purpose: join it from another client and close it.
    // The detector's client may win the session back before the close lands; then try again.
    for (let i = 0; i < 10 && cap.warns(/session expired/).length === 0; i++) {
      const thief = zookeeper.createClient(zk.connectString, { sessionId: cred!.id, sessionPassword: cred!.password } as never);
      await new Promise<void>((r) => {
        thief.once('connected', () => r());
        thief.once('expired', () => r());
        thief.connect();
      });
      await closeClient(thief);
      const until = Date.now() + 1000;
      while (cap.warns(/session expired/).length === 0 && Date.now() < until) await sleep(20);
    }
    t.equal(cap.warns(/session expired/).length, 1, 'the detector saw the expiry');
    t.same(det.current().masters, ['10.0.7.1:5050', '10.0.7.2:5050'], 'list kept through the expiry');
    await remove(admin, n1);
    const t0 = Date.now();
    const u = await next(same(['10.0.7.2:5050']), 5000, seen.length);
    t.comment(`after expiry: leader change → onChange ${u.at - t0} ms`);
    t.ok(seen.every((x) => x.masters.length > 0 && x.masters[0] !== ''), 'never an update without a leader');
  });
});

// ---------------------------------------------------------------- outages (a server each)

t.test('ZooKeeper stopped, then restarted', async (t) => {
  const zk = await startZooKeeper();
  t.teardown(() => zk.dispose());
  const path = '/mesos';
  const m1 = await connect(zk.connectString);
  const m2 = await connect(zk.connectString);
  await mkdirp(m1, path);
  const n1 = await register(m1, path, masterInfo('10.1.0.1'));
  await register(m2, path, masterInfo('10.1.0.2'));
  // A timeout with no configured masters: the fallback has nothing to offer, the list must stay.
  const cap = captureLogger();
  const det = createMasterDetector(settings({ Zk: `zk://${zk.connectString}${path}`, ZkDetectionTimeout: 1 }), cap.log, {
    sessionTimeoutMs: 4000,
  });
  t.teardown(() => det.close());
  const { next, seen } = watch(det, t);
  await next(same(['10.1.0.1:5050', '10.1.0.2:5050']));

  await zk.stop();
  await sleep(3000);
  t.equal(seen.length, 1, 'no onChange while ZooKeeper is down');
  t.same(det.current(), { masters: ['10.1.0.1:5050', '10.1.0.2:5050'], source: 'zookeeper' }, 'current() unchanged');
  t.ok(cap.warns(/lost connection/).length >= 1, 'the loss is logged');

  const t0 = Date.now();
  await zk.restart();
  t.comment(`ZooKeeper restart took ${Date.now() - t0} ms`);
  // The masters' own clients reconnect (their sessions may survive the restart); remove the
  // leader's node from a fresh client so the change is certain.
  const admin = await connect(zk.connectString);
  t.teardown(async () => {
    await Promise.all([admin, m1, m2].map(closeClient));
  });
  await remove(admin, n1).catch(() => {}); // already gone if m1's session expired
  const u = await next(same(['10.1.0.2:5050']), 15_000, seen.length);
  t.comment(`after restart: leader change → onChange ${u.at - t0} ms after the restart began`);
  const sessions = cap.lines.filter((l) => /opening ZooKeeper session/.test(l.msg)).length;
  t.comment(`sessions used: ${sessions} (${sessions > 1 ? 'a new session was needed' : 'the session survived the restart'})`);
  t.ok(seen.every((x) => x.masters.length > 0 && x.masters[0] !== ''), 'never an update without a leader');
});

t.test('ZooKeeper lost with ZkDetectionTimeout → static-fallback, then back to zookeeper', async (t) => {
  const zk = await startZooKeeper();
  t.teardown(() => zk.dispose());
  const path = '/mesos';
  const admin = await connect(zk.connectString);
  await mkdirp(admin, path);
  await create(admin, `${path}/json.info_0000000001`, masterInfo('10.2.0.1'), zookeeper.CreateMode.PERSISTENT);
  await closeClient(admin);
  const cap = captureLogger();
  const det = createMasterDetector(
    settings({ Zk: `zk://${zk.connectString}${path}`, ZkDetectionTimeout: 1, Masters: ['10.9.9.1:5050', '10.9.9.2:5050'] }),
    cap.log,
    { sessionTimeoutMs: 4000 },
  );
  t.teardown(() => det.close());
  const { next, seen } = watch(det, t);
  await next(same(['10.2.0.1:5050']));

  const t0 = Date.now();
  await zk.kill(); // crash, not a clean stop
  const fb = await next((u) => u.source === 'static-fallback', 10_000, seen.length);
  t.same(fb.masters, ['10.9.9.1:5050', '10.9.9.2:5050'], 'the configured masters');
  t.comment(`ZooKeeper killed → static-fallback after ${fb.at - t0} ms (ZkDetectionTimeout 1 s)`);
  t.ok(cap.warns(/falling back/).length === 1, 'fallback logged');

  const t1 = Date.now();
  await zk.restart();
  const back = await next((u) => u.source === 'zookeeper', 15_000, seen.length);
  t.same(back.masters, ['10.2.0.1:5050']);
  t.comment(`ZooKeeper restarted → back to zookeeper after ${back.at - t1} ms`);
  t.ok(seen.every((x) => x.masters.length > 0 && x.masters[0] !== ''), 'never an update without a leader');
});

t.test('ZooKeeper unreachable at start-up → static-fallback; detection once it is up', async (t) => {
  const port = await freePort();
  const cap = captureLogger();
  const det = createMasterDetector(
    settings({ Zk: `zk://127.0.0.1:${port}/mesos`, ZkDetectionTimeout: 1, Masters: ['10.3.0.1:5050', '10.3.0.2:5050'] }),
    cap.log,
    { sessionTimeoutMs: 4000 },
  );
  t.teardown(() => det.close());
  t.same(det.current(), { masters: ['', '10.3.0.1:5050', '10.3.0.2:5050'], source: 'zookeeper' }, 'before detection');
  const t0 = Date.now();
  const { next, seen } = watch(det, t);
  const fb = await next(() => true, 5000);
  t.same(fb, { ...fb, masters: ['10.3.0.1:5050', '10.3.0.2:5050'], source: 'static-fallback' });
  const ms = fb.at - t0;
  t.ok(ms >= 900 && ms < 5000, `fallback after ${ms} ms`);

  const zk = await startZooKeeper({ port });
  t.teardown(() => zk.dispose());
  const admin = await connect(zk.connectString);
  t.teardown(() => closeClient(admin));
  await mkdirp(admin, '/mesos');
  await register(admin, '/mesos', masterInfo('10.3.0.9'));
  const t1 = Date.now();
  const u = await next((x) => x.source === 'zookeeper', 15_000, seen.length);
  t.same(u.masters, ['10.3.0.9:5050']);
  t.comment(`ZooKeeper came up → leader detected after ${u.at - t1} ms`);
});

t.test('a ZooKeeper that hangs (SIGSTOP) is noticed; following resumes', async (t) => {
  const zk = await startZooKeeper({ tickTime: 500 });
  t.teardown(() => zk.dispose());
  const admin = await connect(zk.connectString);
  t.teardown(() => closeClient(admin));
  await mkdirp(admin, '/mesos');
  const n1 = await register(admin, '/mesos', masterInfo('10.4.0.1'));
  await create(admin, '/mesos/json.info_0000000099', masterInfo('10.4.0.2'), zookeeper.CreateMode.PERSISTENT);
  const cap = captureLogger();
  const det = createMasterDetector(settings({ Zk: `zk://${zk.connectString}/mesos` }), cap.log, { sessionTimeoutMs: 3000 });
  t.teardown(() => det.close());
  const { next, seen } = watch(det, t);
  await next(same(['10.4.0.1:5050', '10.4.0.2:5050']));

  zk.pause();
  const t0 = Date.now();
  const deadline = t0 + 10_000;
  while (cap.warns(/not answering/).length === 0 && Date.now() < deadline) await sleep(50);
  t.ok(cap.warns(/not answering/).length >= 1, `hang noticed after ${Date.now() - t0} ms`);
  t.equal(seen.length, 1, 'no onChange during the hang');
  t.same(det.current().masters, ['10.4.0.1:5050', '10.4.0.2:5050']);
  zk.resume();

  await remove(admin, n1);
  await next(same(['10.4.0.2:5050']), 15_000, seen.length);
});

t.test('IPv6 ZooKeeper address ([::1]:port)', async (t) => {
  const zk = await startZooKeeper({ host: '::1' });
  t.teardown(() => zk.dispose());
  t.equal(zk.connectString, `[::1]:${zk.port}`);
  const det = createMasterDetector(settings({ Zk: `zk://[::1]:${zk.port}/mesos` }), pino({ level: 'silent' }));
  t.teardown(() => det.close());
  const { next } = watch(det, t);
  const admin = await connect(zk.connectString);
  t.teardown(() => closeClient(admin));
  await mkdirp(admin, '/mesos');
  await register(admin, '/mesos', masterInfo('10.6.0.1'));
  const u = await next(() => true, 10_000);
  t.same(u.masters, ['10.6.0.1:5050'], 'detected through [::1]');
});

t.test('close() stops everything', async (t) => {
  const zk = await startZooKeeper();
  t.teardown(() => zk.dispose());
  const admin = await connect(zk.connectString);
  t.teardown(() => closeClient(admin));
  await mkdirp(admin, '/mesos');
  await register(admin, '/mesos', masterInfo('10.5.0.1'));
  const det = createMasterDetector(settings({ Zk: `zk://${zk.connectString}/mesos` }), pino({ level: 'silent' }));
  const { next, seen } = watch(det, t);
  await next(() => true);
  const before = await zkConnections(zk);
  await det.close();
  await register(admin, '/mesos', masterInfo('10.5.0.0'));
  await sleep(500);
  t.equal(seen.length, 1, 'no onChange after close()');
  t.equal(await zkConnections(zk), before - 1, 'the detector\'s connection is closed');
});

async function zkConnections(zk: ZooKeeperServer): Promise<number> {
  const { fourLetter } = await import('./support/zookeeper.js');
  const srvr = await fourLetter(zk.host, zk.port, 'srvr');
  const m = /Connections: (\d+)/.exec(srvr);
  return m ? Number(m[1]) : -1;
}
