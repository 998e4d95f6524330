// Deterministic generator of realistic Mesos 1.x `/master/state` documents for the benchmarks.
// Why it looks like this: the server's cost is dominated by parsing and walking the state, so the
// state must have real Mesos proportions (~1 KB per task, agents/frameworks with the fields Mesos
// really writes, several statuses per task, network_infos, labels, discovery info, port ranges),
// not just the handful of keys Mesos-DNS reads. Everything comes from a seeded PRNG so every run
// (and the independent answer checker in expect.ts) sees byte-identical input. Only IP literals are
// used in pids and host names: a host name would make the server do system DNS lookups, which
// would measure the resolver and could leave the machine. `mutate()` simulates churn between
// refreshes (batch jobs restarting with new ids and IPs) on a known subset of frameworks, so the
// answer checker can sample names that stay stable while the master keeps changing the state.
import { pathToFileURL } from 'node:url';
import { writeFileSync } from 'node:fs';

/** mulberry32: tiny, fast, good enough for test data, identical on every platform. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[this.int(16)];
    return s;
  }
  uuid(): string {
    return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-${'89ab'[this.int(4)]}${this.hex(3)}-${this.hex(12)}`;
  }
}

export interface GenOptions {
  /** Number of TASK_RUNNING tasks on known agents (the "size" of the state). */
  tasks: number;
  seed: number;
  /** The state's `leader` (and `pid`), e.g. `master@127.0.0.1:5050`. */
  leader: string;
}

/** Names every benchmark relies on; they exist in every generated state and never churn. */
export const FIXED = {
  framework: 'marathon',
  /** One task with three netinfo IPv4 addresses. */
  a3Name: 'bench-a3.marathon.mesos.',
  a3IPs: ['9.255.0.1', '9.255.0.2', '9.255.0.3'],
  /** Three tasks with one host port each, no discovery info → 3 SRV targets. */
  srv3Name: '_bench-srv3._tcp.marathon.mesos.',
  nxName: 'no-such-task-xyz.marathon.mesos.',
} as const;

/** Frameworks whose tasks `mutate()` may replace; the answer checker never samples them. */
export const CHURN_FRAMEWORKS = new Set(['chronos', 'metronome']);

type Json = Record<string, unknown>;
type IpMode = 'host-netinfo' | 'host' | 'overlay' | 'docker-bridge' | 'docker-legacy' | 'mesos-label' | 'dual' | 'multi';

const IP_MODES: [IpMode, number][] = [
  ['host-netinfo', 15],
  ['host', 15],
  ['overlay', 38],
  ['docker-bridge', 15],
  ['docker-legacy', 5],
  ['mesos-label', 5],
  ['dual', 3],
  ['multi', 4],
];

interface Agent {
  id: string;
  ip: string;
  json: Json;
  dockerNext: number;
}

interface FwPlan {
  name: string;
  share: number;
  /** Generates the next "application": a task name and an instance count. */
  app: (rng: Rng, i: number) => { name: string; idPrefix: string; instances: number; discovery: boolean };
  pid: boolean;
  port: number;
}

const GROUPS = ['prod', 'staging', 'dev', 'infra', 'data', 'payments', 'search', 'ml'];
const SUBGROUPS = ['web', 'api', 'billing', 'catalog', 'users', 'orders', 'edge', 'batch', 'stream'];
const APPS = ['frontend', 'backend', 'worker', 'cache', 'gateway', 'auth', 'indexer', 'scheduler', 'proxy', 'store'];
const IMAGES = ['nginx:1.15.8', 'redis:5.0.3', 'python:3.7-slim', 'openjdk:8-jre', 'node:10-alpine', 'golang:1.11', 'haproxy:1.9'];

function instancesFor(rng: Rng): number {
  const r = rng.next();
  return r < 0.45 ? 1 : r < 0.7 ? 2 : r < 0.85 ? 3 : r < 0.95 ? rng.range(4, 6) : rng.range(7, 10);
}

function marathonApp(rng: Rng, i: number) {
  const g = rng.pick(GROUPS);
  const sg = rng.pick(SUBGROUPS);
  const a = `${rng.pick(APPS)}-${i}`;
  // Marathon: app id /g/sg/a → task name "a.sg.g", task id "g_sg_a.<uuid>".
  return { name: `${a}.${sg}.${g}`, idPrefix: `${g}_${sg}_${a}`, instances: instancesFor(rng), discovery: rng.chance(0.4) };
}

const PLANS: FwPlan[] = [
  { name: 'marathon', share: 50, app: marathonApp, pid: true, port: 15101 },
  { name: 'marathon-user', share: 10, app: marathonApp, pid: true, port: 15102 },
  {
    name: 'chronos', share: 6, pid: true, port: 15103,
    app: (rng, i) => ({ name: `ct:${1500000000000 + i * 1000}:0:job-${i}`, idPrefix: `ct:${1500000000000 + i * 1000}:0:job-${i}`, instances: 1, discovery: false }),
  },
  {
    name: 'metronome', share: 4, pid: true, port: 15104,
    app: (rng, i) => ({ name: `nightly-report-${i}`, idPrefix: `nightly-report-${i}_${rng.hex(8)}`, instances: 1, discovery: false }),
  },
  {
    name: 'Spark Pi', share: 8, pid: true, port: 15105,
    app: (rng, i) => ({ name: `Task ${i} in stage ${rng.int(4)}.0`, idPrefix: `${i}`, instances: 1, discovery: false }),
  },
  {
    name: 'kafka', share: 5, pid: true, port: 15106,
    app: (_rng, i) => ({ name: `kafka-${i}-broker`, idPrefix: `kafka-${i}-broker__`, instances: 1, discovery: true }),
  },
  {
    name: 'cassandra', share: 5, pid: true, port: 15107,
    app: (_rng, i) => ({ name: `node-${i}-server`, idPrefix: `node-${i}-server__`, instances: 1, discovery: true }),
  },
  {
    name: 'hdfs', share: 5, pid: true, port: 15108,
    app: (rng, i) => ({ name: `${rng.pick(['data', 'journal', 'name'])}-${i}-node`, idPrefix: `hdfs-${i}-node__`, instances: 1, discovery: false }),
  },
  {
    name: 'elastic', share: 4, pid: true, port: 15109,
    app: (rng, i) => ({ name: `${rng.pick(['master', 'data', 'ingest', 'coordinator'])}-${i}-node`, idPrefix: `es-${i}__`, instances: 1, discovery: true }),
  },
  {
    // Jenkins registers without a pid: the original then uses `hostname` (no port).
    name: 'jenkins', share: 3, pid: false, port: 0,
    app: (rng, i) => ({ name: `jenkins-agent-${i}`, idPrefix: `jenkins-agent-${i}-${rng.hex(6)}`, instances: 1, discovery: false }),
  },
];

const SHARE_TOTAL = PLANS.reduce((s, p) => s + p.share, 0);

export interface GeneratedTask {
  task: Json;
  framework: string;
}

/** Builds one state and keeps what `mutate()` needs to change it the way a live cluster would. */
export class StateGen {
  readonly state: Json;
  readonly rng: Rng;
  private readonly agents: Agent[] = [];
  private overlayNext = 1;
  private clock = 1_540_000_000;
  private readonly cluster: string;
  /** Tasks of the churn frameworks, by reference, so mutate() can rewrite them in place. */
  private readonly churnable: Json[] = [];

  constructor(readonly opts: GenOptions) {
    const rng = (this.rng = new Rng(opts.seed));
    this.cluster = rng.uuid();
    const nAgents = Math.max(3, Math.ceil(opts.tasks / 20));
    for (let i = 0; i < nAgents; i++) this.agents.push(this.makeAgent(i));

    const frameworks: Json[] = [];
    let remaining = opts.tasks;
    // The fixed probe tasks live in the first (marathon) framework and count toward the total.
    const fixedTasks = this.fixedTasks();
    remaining -= fixedTasks.length;
    PLANS.forEach((plan, fi) => {
      const want = fi === PLANS.length - 1 ? remaining : Math.min(remaining, Math.round((opts.tasks * plan.share) / SHARE_TOTAL));
      remaining -= want;
      const tasks: Json[] = fi === 0 ? [...fixedTasks] : [];
      const completed: Json[] = [];
      let made = 0;
      let appNo = 0;
      while (made < want) {
        const app = plan.app(rng, appNo++);
        const n = Math.min(app.instances, want - made);
        const ports = rng.range(1, 3);
        const mode = this.pickMode();
        for (let k = 0; k < n; k++) {
          tasks.push(this.makeTask(plan, app, ports, mode, 'TASK_RUNNING'));
          made++;
        }
      }
      // Some tasks that are not running (skipped by Mesos-DNS, but parsed) and completed tasks.
      const extra = Math.ceil(want * 0.02);
      for (let k = 0; k < extra; k++) {
        const app = plan.app(rng, appNo++);
        tasks.push(this.makeTask(plan, app, 1, this.pickMode(), rng.pick(['TASK_STAGING', 'TASK_KILLING', 'TASK_STARTING'])));
      }
      const nCompleted = Math.ceil(want * 0.02);
      for (let k = 0; k < nCompleted; k++) {
        const app = plan.app(rng, appNo++);
        completed.push(this.makeTask(plan, app, 1, this.pickMode(), rng.pick(['TASK_FINISHED', 'TASK_KILLED', 'TASK_FAILED'])));
      }
      const fw = this.makeFramework(plan, fi, tasks, completed);
      if (CHURN_FRAMEWORKS.has(plan.name)) {
        for (const t of tasks) if (t.state === 'TASK_RUNNING') this.churnable.push(t);
      }
      frameworks.push(fw);
    });

    const leaderHost = opts.leader.split('@')[1] ?? '127.0.0.1:5050';
    this.state = {
      version: '1.4.2',
      git_sha: 'b4c9ad4e5bd2a4fa3b0d0a0c1e32d3b6a5b8f2d1',
      git_tag: '1.4.2',
      build_date: '2018-08-21 18:46:35',
      build_time: 1534877195,
      build_user: 'root',
      start_time: 1539990000.123456,
      elected_time: 1539990012.654321,
      id: rng.uuid(),
      pid: opts.leader,
      hostname: leaderHost.split(':')[0],
      activated_slaves: nAgents,
      deactivated_slaves: 0,
      unreachable_slaves: 0,
      cluster: 'bench-cluster',
      leader: opts.leader,
      leader_info: { id: rng.uuid(), pid: opts.leader, port: Number(leaderHost.split(':')[1] ?? 5050), hostname: leaderHost.split(':')[0] },
      log_dir: '/var/log/mesos',
      flags: {
        agent_ping_timeout: '15secs', allocation_interval: '1secs', authenticate_agents: 'false', authenticate_frameworks: 'false',
        cluster: 'bench-cluster', hostname_lookup: 'false', log_dir: '/var/log/mesos', max_completed_frameworks: '50',
        max_completed_tasks_per_framework: '1000', port: '5050', quorum: '2', registry: 'replicated_log', work_dir: '/var/lib/mesos/master',
        zk: 'zk://127.0.0.1:2181/mesos', zk_session_timeout: '10secs',
      },
      slaves: this.agents.map((a) => a.json),
      frameworks,
      completed_frameworks: [],
      orphan_tasks: [],
      unregistered_frameworks: [],
    };
  }

  private pickMode(): IpMode {
    let r = this.rng.int(100);
    for (const [m, w] of IP_MODES) {
      if (r < w) return m;
      r -= w;
    }
    return 'overlay';
  }

  private makeAgent(i: number): Agent {
    const rng = this.rng;
    const ip = `10.${1 + ((i >> 16) & 0xff)}.${(i >> 8) & 0xff}.${i & 0xff}`;
    const id = `${this.cluster}-S${i}`;
    const res = { disk: 2_000_000, mem: 63_000, gpus: 0, cpus: 16, ports: '[1025-2180, 2182-3887, 3889-5049, 5052-8079, 8082-8180, 8182-32000]' };
    return {
      id,
      ip,
      dockerNext: 2,
      json: {
        id,
        pid: `slave(1)@${ip}:5051`,
        hostname: ip,
        port: 5051,
        registered_time: 1539990100 + i * 0.01,
        reregistered_time: 1539990200 + i * 0.01,
        resources: res,
        used_resources: { disk: 0, mem: 8_192, gpus: 0, cpus: 4.5, ports: '[31000-31010]' },
        offered_resources: { disk: 0, mem: 0, gpus: 0, cpus: 0 },
        reserved_resources: {},
        unreserved_resources: res,
        attributes: { rack: `r${rng.int(40)}`, zone: rng.pick(['us-east-1a', 'us-east-1b', 'us-east-1c']), public_ip: 'false' },
        active: true,
        version: '1.4.2',
        capabilities: ['MULTI_ROLE', 'HIERARCHICAL_ROLE', 'RESERVATION_REFINEMENT'],
      },
    };
  }

  private overlayIp(): string {
    const n = this.overlayNext++;
    return `9.${(n >> 16) & 0xff}.${(n >> 8) & 0xff}.${n & 0xff}`;
  }

  /** The probes used by the rate runs; same shape as any other marathon task. */
  private fixedTasks(): Json[] {
    const plan = PLANS[0]!;
    const out: Json[] = [];
    const a3 = this.makeTask(plan, { name: 'bench-a3', idPrefix: 'bench-a3', discovery: false }, 1, 'overlay', 'TASK_RUNNING');
    const ni = [{ ip_addresses: FIXED.a3IPs.map((ip) => ({ protocol: 'IPv4', ip_address: ip })), name: 'dcos', labels: { labels: [] } }];
    for (const st of a3.statuses as Json[]) {
      if (st.state === 'TASK_RUNNING') (st.container_status as Json).network_infos = ni;
    }
    out.push(a3);
    for (let i = 0; i < 3; i++) {
      out.push(this.makeTask(plan, { name: 'bench-srv3', idPrefix: 'bench-srv3', discovery: false }, 1, 'host', 'TASK_RUNNING'));
    }
    return out;
  }

  private makeTask(
    plan: FwPlan,
    app: { name: string; idPrefix: string; discovery: boolean },
    nPorts: number,
    mode: IpMode,
    state: string,
  ): Json {
    const rng = this.rng;
    const agent = rng.pick(this.agents);
    const id =
      plan.name === 'Spark Pi' ? `${app.idPrefix}-${rng.hex(4)}` : app.idPrefix.endsWith('__') ? `${app.idPrefix}${rng.uuid()}` : `${app.idPrefix}.${rng.uuid()}`;
    const first = rng.range(31000, 32000 - nPorts * 2);
    const portList: number[] = [];
    const ranges: string[] = [];
    let p = first;
    for (let k = 0; k < nPorts; k++) {
      ranges.push(`${p}-${p}`);
      portList.push(p);
      p += rng.range(1, 7);
    }
    const ts = (this.clock += rng.next() * 3);
    const containerId = rng.uuid();

    // IPs as Mesos would report them for this kind of container.
    let netinfos: Json[] = [];
    let labels: Json[] = [];
    switch (mode) {
      case 'host-netinfo':
        netinfos = [{ ip_addresses: [{ protocol: 'IPv4', ip_address: agent.ip }] }];
        break;
      case 'host':
        break;
      case 'overlay':
        netinfos = [{ ip_addresses: [{ protocol: 'IPv4', ip_address: this.overlayIp() }], name: 'dcos', labels: { labels: [] } }];
        break;
      case 'docker-bridge': {
        const ip = `172.17.${(agent.dockerNext >> 8) & 0xff}.${agent.dockerNext++ & 0xff}`;
        labels = [{ key: 'Docker.NetworkSettings.IPAddress', value: ip }];
        netinfos = [{ ip_addresses: [{ ip_address: ip }] }];
        break;
      }
      case 'docker-legacy':
        labels = [{ key: 'Docker.NetworkSettings.IPAddress', value: `172.17.${(agent.dockerNext >> 8) & 0xff}.${agent.dockerNext++ & 0xff}` }];
        break;
      case 'mesos-label':
        labels = [{ key: 'MesosContainerizer.NetworkSettings.IPAddress', value: this.overlayIp() }];
        break;
      case 'dual': {
        const v4 = this.overlayIp();
        const n = this.overlayNext;
        netinfos = [{ ip_addresses: [{ protocol: 'IPv4', ip_address: v4 }, { protocol: 'IPv6', ip_address: `fd01:b::${(n >> 8).toString(16)}:${(n & 0xff).toString(16)}` }], name: 'dcos6' }];
        break;
      }
      case 'multi':
        netinfos = [
          { ip_addresses: [{ protocol: 'IPv4', ip_address: this.overlayIp() }], name: 'dcos' },
          { ip_addresses: [{ protocol: 'IPv4', ip_address: this.overlayIp() }, { protocol: 'IPv4', ip_address: this.overlayIp() }], name: 'calico' },
        ];
        break;
    }
    const containerStatus = (nis: Json[]): Json => ({
      container_id: { value: containerId },
      network_infos: nis,
    });
    const statuses: Json[] = [];
    if (state !== 'TASK_STAGING') {
      statuses.push({ state: 'TASK_STARTING', timestamp: ts - 2.5, container_status: { container_id: { value: containerId } } });
    }
    if (state === 'TASK_RUNNING' || state === 'TASK_KILLING' || state.startsWith('TASK_F') || state === 'TASK_KILLED') {
      // 15%: an older RUNNING status (health-check update) with a stale address; only the newest counts.
      if (rng.chance(0.15) && mode !== 'host') {
        statuses.push({
          state: 'TASK_RUNNING', timestamp: ts - 1.0, healthy: false,
          labels: labels.length ? [{ key: labels[0]!.key, value: '192.0.2.99' }] : [],
          container_status: containerStatus([{ ip_addresses: [{ ip_address: '192.0.2.98' }] }]),
        });
      }
      statuses.push({ state: 'TASK_RUNNING', timestamp: ts, healthy: true, labels, container_status: containerStatus(netinfos) });
    }
    if (state !== 'TASK_RUNNING' && state !== 'TASK_STAGING' && state !== 'TASK_STARTING') {
      statuses.push({ state, timestamp: ts + 30, container_status: containerStatus(netinfos) });
    }

    const docker = mode.startsWith('docker');
    const task: Json = {
      id,
      name: app.name,
      framework_id: '',
      executor_id: '',
      slave_id: agent.id,
      state,
      resources: { disk: 0.0, mem: rng.pick([128, 256, 512, 1024, 2048]), gpus: 0.0, cpus: rng.pick([0.1, 0.25, 0.5, 1, 2]), ports: `[${ranges.join(', ')}]` },
      role: '*',
      statuses,
      labels: rng.chance(0.3)
        ? [{ key: 'HAPROXY_GROUP', value: 'external' }, { key: 'DCOS_SERVICE_NAME', value: app.name.split('.')[0] }]
        : [],
      container: docker
        ? {
            type: 'DOCKER',
            docker: {
              image: rng.pick(IMAGES),
              network: mode === 'docker-bridge' || mode === 'docker-legacy' ? 'BRIDGE' : 'HOST',
              privileged: false,
              force_pull_image: false,
              port_mappings:
                mode === 'docker-bridge' || mode === 'docker-legacy'
                  ? portList.map((hp, k) => ({ host_port: hp, container_port: 8080 + k, protocol: 'tcp' }))
                  : [],
            },
          }
        : rng.chance(0.5)
          ? { type: 'MESOS', mesos: { image: { type: 'DOCKER', docker: { name: rng.pick(IMAGES) } } } }
          : undefined,
    };
    if (app.discovery) {
      const names = ['http', 'https', 'admin', 'metrics', 'grpc'];
      task.discovery = {
        visibility: 'FRAMEWORK',
        name: app.name,
        ports: {
          ports: portList.map((hp, k) => ({
            number: hp,
            name: names[k % names.length],
            protocol: k === 2 ? 'udp' : 'tcp',
            ...(k === 0 ? { labels: { labels: [{ key: 'VIP_0', value: `/${app.name.split('.')[0]}:80` }] } } : {}),
          })),
        },
        labels: { labels: [] },
      };
    }
    return task;
  }

  private makeFramework(plan: FwPlan, i: number, tasks: Json[], completed: Json[]): Json {
    const rng = this.rng;
    const id = `${this.cluster}-${String(i).padStart(4, '0')}`;
    for (const t of tasks) t.framework_id = id;
    for (const t of completed) t.framework_id = id;
    const host = `10.0.0.${10 + i}`;
    const fw: Json = {
      id,
      name: plan.name,
      hostname: host,
      user: 'root',
      role: '*',
      active: true,
      connected: true,
      recovered: false,
      registered_time: 1539990300 + i,
      reregistered_time: 1539990300 + i,
      unregistered_time: 0,
      failover_timeout: 604800,
      checkpoint: true,
      principal: plan.name.toLowerCase().replace(/\s+/g, '-'),
      webui_url: plan.pid ? `http://${host}:${plan.port}` : '',
      capabilities: ['PARTITION_AWARE', 'TASK_KILLING_STATE'],
      resources: { disk: 0, mem: 0, gpus: 0, cpus: 0 },
      used_resources: { disk: 0, mem: 0, gpus: 0, cpus: 0 },
      offered_resources: { disk: 0, mem: 0, gpus: 0, cpus: 0 },
      tasks,
      unreachable_tasks: [],
      completed_tasks: completed,
      offers: [],
      executors: [],
    };
    if (plan.pid) fw.pid = `scheduler-${rng.uuid()}@${host}:${plan.port}`;
    return fw;
  }

  /**
   * Replaces `count` running tasks of the churn frameworks by new incarnations (new id → new
   * hash, new agent, new address, newer timestamps), in place. Returns how many were changed.
   */
  mutate(count: number): number {
    const rng = this.rng;
    const n = Math.min(count, this.churnable.length);
    for (let k = 0; k < n; k++) {
      const t = rng.pick(this.churnable);
      const agent = rng.pick(this.agents);
      const base = String(t.id).split('.')[0];
      t.id = `${base}.${rng.uuid()}`;
      t.slave_id = agent.id;
      const ts = (this.clock += 1);
      const ip = this.overlayIp();
      for (const st of t.statuses as Json[]) {
        st.timestamp = ts - (st.state === 'TASK_RUNNING' ? 0 : 2);
        const cs = st.container_status as Json | undefined;
        if (cs) cs.network_infos = [{ ip_addresses: [{ protocol: 'IPv4', ip_address: ip }], name: 'dcos' }];
        if (Array.isArray(st.labels)) st.labels = [];
      }
    }
    return n;
  }

  serialize(): Buffer {
    return Buffer.from(JSON.stringify(this.state));
  }
}

/** Count of running tasks on known agents (what the generator promises). */
export function countRunning(state: Json): number {
  const agents = new Set(((state.slaves as Json[]) ?? []).map((s) => s.id));
  let n = 0;
  for (const f of (state.frameworks as Json[]) ?? []) {
    for (const t of (f.tasks as Json[]) ?? []) if (t.state === 'TASK_RUNNING' && agents.has(t.slave_id)) n++;
  }
  return n;
}

// CLI: node dist/bench/gen-state.js --tasks=10000 --seed=1 [--out=file.json]
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (k: string, d: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d;
  const tasks = Number(arg('tasks', '1000'));
  const seed = Number(arg('seed', '1'));
  const t0 = performance.now();
  const g = new StateGen({ tasks, seed, leader: arg('leader', 'master@127.0.0.1:5050') });
  const buf = g.serialize();
  const ms = performance.now() - t0;
  const out = arg('out', '');
  if (out) writeFileSync(out, buf);
  const parsed = JSON.parse(buf.toString()) as Json;
  const frameworks = parsed.frameworks as Json[];
  console.log(
    JSON.stringify({
      tasks,
      seed,
      running: countRunning(parsed),
      allTasks: frameworks.reduce((s, f) => s + (f.tasks as Json[]).length, 0),
      agents: (parsed.slaves as Json[]).length,
      frameworks: frameworks.map((f) => `${f.name}:${(f.tasks as Json[]).length}`),
      bytes: buf.length,
      bytesPerRunningTask: Math.round(buf.length / tasks),
      generateMs: Math.round(ms),
    }),
  );
}
