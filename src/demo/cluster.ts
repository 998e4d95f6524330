// The stand-in master's cluster: one v0 `/master/state` document that everything the master
// serves is derived from: the state itself, `/master/state-summary`, GET_MASTER and the v1
// SUBSCRIBE snapshot and events. One source, so a test (or the bench) that launches or kills a
// task sees the same cluster through polling and through the stream, exactly as from a real
// master. The v1 shapes follow NEXT.md §1.4-1.6 (the master's own v1 writer): ids as
// `{value}`, ports as RANGES resources, labels as `{labels: [...]}`, repeated fields only when
// non-empty. Tasks are mutated in place and the state's bytes are re-made only when asked for.

import { frameRecord } from '../stream/recordio.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = Record<string, any>;

/** Mesos' terminal task states (protobuf::isTerminalState). */
export const TERMINAL_STATES = new Set([
  'TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_LOST', 'TASK_ERROR', 'TASK_DROPPED', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR',
]);

export interface LaunchOptions {
  /** Framework id or name; default: the framework with the most tasks. */
  framework?: string;
  /** Task name; default `demo-<n>`. */
  name?: string;
  /** Agent id; default: agents in turn. */
  agentId?: string;
  /** Container IP reported in the RUNNING status (NetworkInfo); default none. */
  ip?: string;
  /** Host ports; default one fresh port. */
  ports?: number[];
}

export interface Launched {
  id: string;
  name: string;
  frameworkId: string;
  frameworkName: string;
  agentId: string;
  /** Date.now() when the TASK_UPDATED(RUNNING) event was handed to the subscribers. */
  time: number;
}

export type ClusterEvent = Obj & { type: string };

function v1Ports(ports: unknown): Obj[] {
  if (typeof ports !== 'string') return [];
  const range: Obj[] = [];
  for (const m of ports.matchAll(/(\d+)\s*-\s*(\d+)/g)) range.push({ begin: Number(m[1]), end: Number(m[2]) });
  return range.length ? [{ name: 'ports', type: 'RANGES', ranges: { range } }] : [];
}

function v1Labels(labels: unknown): Obj | undefined {
  return Array.isArray(labels) && labels.length ? { labels } : undefined;
}

function v1Status(s: Obj, taskId: string, agentId: string): Obj {
  const out: Obj = { task_id: { value: taskId }, state: s['state'], agent_id: { value: agentId } };
  if (s['timestamp'] !== undefined) out['timestamp'] = s['timestamp'];
  const labels = v1Labels(s['labels']);
  if (labels) out['labels'] = labels;
  if (s['container_status'] !== undefined) out['container_status'] = s['container_status'];
  return out;
}

/** A v0 task (nested in its framework) in v1 form (get_tasks.tasks[], TASK_ADDED). */
export function v1Task(t: Obj, frameworkId: string): Obj {
  const out: Obj = {
    name: t['name'], task_id: { value: t['id'] }, framework_id: { value: frameworkId },
    agent_id: { value: t['slave_id'] }, state: t['state'],
  };
  const res = v1Ports(t['resources']?.['ports']);
  if (res.length) out['resources'] = res;
  if (Array.isArray(t['statuses']) && t['statuses'].length) out['statuses'] = t['statuses'].map((s: Obj) => v1Status(s, t['id'], t['slave_id']));
  const labels = v1Labels(t['labels']);
  if (labels) out['labels'] = labels;
  if (t['discovery'] !== undefined) out['discovery'] = t['discovery'];
  return out;
}

/** A v0 slave in v1 form (get_agents.agents[], AGENT_ADDED). */
export function v1Agent(s: Obj): Obj {
  const pid = typeof s['pid'] === 'string' ? s['pid'] : '';
  const port = Number(/:(\d+)$/.exec(pid)?.[1] ?? 5051);
  const out: Obj = { agent_info: { hostname: s['hostname'] ?? '', port, id: { value: s['id'] } }, active: true };
  if (pid) out['pid'] = pid;
  return out;
}

/** A v0 framework in v1 form (get_frameworks.frameworks[], FRAMEWORK_ADDED): no pid in v1. */
export function v1Framework(f: Obj): Obj {
  const info: Obj = { name: f['name'], id: { value: f['id'] }, user: f['user'] ?? 'root' };
  if (typeof f['hostname'] === 'string' && f['hostname'] !== '') info['hostname'] = f['hostname'];
  return { framework_info: info, active: true, connected: true, recovered: false };
}

export class DemoCluster {
  /** The v0 document; frameworks[].tasks hold the live tasks. */
  readonly state: Obj;
  private readonly subscribers = new Set<(e: ClusterEvent) => void>();
  /** Agents that a "failed-over" master lists only as recovered (not yet re-registered). */
  private readonly recovering = new Set<string>();
  private bytes: Buffer | null = null;
  private subscribedFrame: { heartbeatSeconds: number; bytes: Buffer } | null = null;
  private seq = 0;
  private nextPort = 40000;
  private agentTurn = 0;
  private churn: NodeJS.Timeout | null = null;
  private readonly churned: string[] = [];

  constructor(state: object) {
    this.state = state as Obj;
    const s = this.state;
    if (!Array.isArray(s['slaves'])) s['slaves'] = [];
    if (!Array.isArray(s['frameworks'])) s['frameworks'] = [];
    s['frameworks'].forEach((f: Obj, i: number) => {
      if (typeof f['id'] !== 'string') f['id'] = `demo-framework-${i}`;
      if (!Array.isArray(f['tasks'])) f['tasks'] = [];
      for (const t of f['tasks']) t['framework_id'] = f['id'];
    });
  }

  /** The v0 state bytes (remade after a change). */
  stateBytes(): Buffer {
    this.bytes ??= Buffer.from(JSON.stringify(this.visibleState()), 'utf8');
    return this.bytes;
  }

  get leader(): string {
    return typeof this.state['leader'] === 'string' ? this.state['leader'] : '';
  }

  /** `/master/state-summary`: agents and frameworks (with pids), no tasks. */
  summary(): Obj {
    const s = this.state;
    return {
      hostname: s['hostname'] ?? '', cluster: s['cluster'] ?? '',
      slaves: s['slaves'].map((a: Obj) => ({ id: a['id'], pid: a['pid'], hostname: a['hostname'] })),
      frameworks: s['frameworks'].map((f: Obj) => {
        const o: Obj = { id: f['id'], name: f['name'], hostname: f['hostname'] ?? '', active: true };
        if (f['pid'] !== undefined) o['pid'] = f['pid'];
        return o;
      }),
    };
  }

  /** The GET_MASTER response. */
  getMaster(): Obj {
    const pid = this.leader;
    const hp = pid.slice(pid.indexOf('@') + 1);
    const port = Number(/:(\d+)$/.exec(hp)?.[1] ?? 5050);
    const host = hp.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    return {
      type: 'GET_MASTER',
      get_master: { master_info: { id: String(this.state['id'] ?? 'demo'), ip: 0, port, pid, hostname: host, address: { hostname: host, ip: host, port } } },
    };
  }

  /** The SUBSCRIBED event: the whole cluster, agents still recovering listed apart (and their tasks left out). */
  subscribed(heartbeatSeconds: number): ClusterEvent {
    const tasks: Obj[] = [];
    for (const f of this.state['frameworks']) {
      for (const t of f['tasks']) if (!this.recovering.has(t['slave_id'])) tasks.push(v1Task(t, f['id']));
    }
    const agents = this.state['slaves'].filter((a: Obj) => !this.recovering.has(a['id'])).map(v1Agent);
    const recovered = this.state['slaves'].filter((a: Obj) => this.recovering.has(a['id'])).map((a: Obj) => v1Agent(a)['agent_info']);
    const getAgents: Obj = {};
    if (agents.length) getAgents['agents'] = agents;
    if (recovered.length) getAgents['recovered_agents'] = recovered;
    const fws = this.state['frameworks'].map(v1Framework);
    return {
      type: 'SUBSCRIBED',
      subscribed: {
        get_state: {
          get_tasks: tasks.length ? { tasks } : {},
          get_executors: {},
          get_frameworks: fws.length ? { frameworks: fws } : {},
          get_agents: getAgents,
        },
        heartbeat_interval_seconds: heartbeatSeconds,
      },
    };
  }

  /** Receive every event from now on; returns the unsubscribe function. */
  subscribe(fn: (e: ClusterEvent) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  private emit(e: ClusterEvent): void {
    for (const fn of this.subscribers) fn(e);
  }

  /**
   * The SUBSCRIBED record, framed, as the last SUBSCRIBE got it (remade after a change). Why: at
   * 50k tasks building and serialising it takes the stand-in about a second, which a benchmark
   * of our cold start would otherwise count as ours.
   */
  subscribedRecord(heartbeatSeconds: number): Buffer {
    if (this.subscribedFrame?.heartbeatSeconds !== heartbeatSeconds) {
      this.subscribedFrame = { heartbeatSeconds, bytes: frameRecord(JSON.stringify(this.subscribed(heartbeatSeconds))) };
    }
    return this.subscribedFrame.bytes;
  }

  private changed(): void {
    this.bytes = null;
    this.subscribedFrame = null;
  }

  private framework(key?: string): Obj {
    const fws: Obj[] = this.state['frameworks'];
    if (key !== undefined) {
      const f = fws.find((x) => x['id'] === key) ?? fws.find((x) => x['name'] === key);
      if (!f) throw new Error(`no framework ${key}`);
      return f;
    }
    if (!fws.length) throw new Error('the cluster has no framework');
    return fws.reduce((a, b) => (b['tasks'].length > a['tasks'].length ? b : a));
  }

  /** Launch a task: TASK_ADDED (staging), then TASK_UPDATED to RUNNING at once, as the stream would show it. */
  launch(o: LaunchOptions = {}): Launched {
    const f = this.framework(o.framework);
    const agents: Obj[] = this.state['slaves'];
    if (!agents.length) throw new Error('the cluster has no agent');
    const agentId = o.agentId ?? agents[this.agentTurn++ % agents.length]!['id'];
    const n = ++this.seq;
    const name = o.name ?? `demo-${n}`;
    const id = `${name}.demo-${process.pid}-${n}`;
    const ports = o.ports ?? [this.nextPort++ % 60000 + 1024];
    const task: Obj = {
      id, name, framework_id: f['id'], slave_id: agentId, state: 'TASK_STAGING', statuses: [],
      resources: { cpus: 0.1, mem: 32, ports: ports.length ? `[${ports.map((p) => `${p}-${p}`).join(', ')}]` : undefined },
    };
    if (!ports.length) delete task['resources']['ports'];
    f['tasks'].push(task);
    this.changed();
    this.emit({ type: 'TASK_ADDED', task_added: { task: v1Task(task, f['id']) } });
    const status: Obj = { state: 'TASK_RUNNING', timestamp: Date.now() / 1000 };
    if (o.ip) status['container_status'] = { network_infos: [{ ip_addresses: [{ protocol: o.ip.includes(':') ? 'IPv6' : 'IPv4', ip_address: o.ip }] }] };
    this.update(f, task, status);
    return { id, name, frameworkId: f['id'], frameworkName: f['name'], agentId, time: Date.now() };
  }

  /** Kill a task: TASK_UPDATED(KILLED); it leaves the state. False when there is no such task. */
  kill(taskId: string): boolean {
    for (const f of this.state['frameworks']) {
      const i = f['tasks'].findIndex((t: Obj) => t['id'] === taskId);
      if (i < 0) continue;
      const task = f['tasks'][i];
      f['tasks'].splice(i, 1);
      this.update(f, task, { state: 'TASK_KILLED', timestamp: Date.now() / 1000 });
      return true;
    }
    return false;
  }

  /**
   * A status update for a task (a health check, a restart, unreachable...): a terminal state
   * removes it, as kill() does. False when there is no such task.
   */
  setTaskState(taskId: string, state: string, ip?: string): boolean {
    for (const f of this.state['frameworks']) {
      const i = f['tasks'].findIndex((t: Obj) => t['id'] === taskId);
      if (i < 0) continue;
      const task = f['tasks'][i];
      if (TERMINAL_STATES.has(state)) f['tasks'].splice(i, 1);
      const status: Obj = { state, timestamp: Date.now() / 1000 };
      if (ip) status['container_status'] = { network_infos: [{ ip_addresses: [{ protocol: ip.includes(':') ? 'IPv6' : 'IPv4', ip_address: ip }] }] };
      this.update(f, task, status);
      return true;
    }
    return false;
  }

  /** A task status update, kept as the master keeps it (replace the last status if the state repeats). */
  private update(f: Obj, task: Obj, status: Obj): void {
    const st: Obj[] = task['statuses'];
    if (st.length && st[st.length - 1]!['state'] === status['state']) st[st.length - 1] = status; else st.push(status);
    task['state'] = status['state'];
    this.changed();
    this.emit({
      type: 'TASK_UPDATED',
      task_updated: { framework_id: { value: f['id'] }, state: status['state'], status: v1Status(status, task['id'], task['slave_id']) },
    });
  }

  /** Add an agent (AGENT_ADDED). */
  addAgent(agent: { id: string; hostname: string; pid?: string }): void {
    const a = { ...agent, pid: agent.pid ?? `slave(1)@${agent.hostname}:5051` };
    this.state['slaves'].push(a);
    this.changed();
    this.emit({ type: 'AGENT_ADDED', agent_added: { agent: v1Agent(a) } });
  }

  /** Remove an agent (AGENT_REMOVED); its tasks stay, as on a real master, until they are updated. */
  removeAgent(id: string): void {
    const s: Obj[] = this.state['slaves'];
    const i = s.findIndex((a) => a['id'] === id);
    if (i < 0) return;
    s.splice(i, 1);
    this.changed();
    this.emit({ type: 'AGENT_REMOVED', agent_removed: { agent_id: { value: id } } });
  }

  /** Add (or, when the id exists, update) a framework: FRAMEWORK_ADDED / FRAMEWORK_UPDATED. */
  putFramework(fw: { id: string; name: string; pid?: string; hostname?: string }): void {
    const fws: Obj[] = this.state['frameworks'];
    const old = fws.find((f) => f['id'] === fw.id);
    if (old) {
      Object.assign(old, fw);
      if (fw.pid === undefined) delete old['pid'];
    } else {
      fws.push({ ...fw, tasks: [] });
    }
    this.changed();
    const f = fws.find((x) => x['id'] === fw.id)!;
    this.emit(old ? { type: 'FRAMEWORK_UPDATED', framework_updated: { framework: v1Framework(f) } } : { type: 'FRAMEWORK_ADDED', framework_added: { framework: v1Framework(f) } });
  }

  /** Remove a framework: its tasks are killed first (TASK_UPDATED), then FRAMEWORK_REMOVED. */
  removeFramework(id: string): void {
    const fws: Obj[] = this.state['frameworks'];
    const f = fws.find((x) => x['id'] === id);
    if (!f) return;
    for (const t of [...f['tasks']]) this.kill(t['id']);
    fws.splice(fws.indexOf(f), 1);
    this.changed();
    this.emit({ type: 'FRAMEWORK_REMOVED', framework_removed: { framework_info: v1Framework(f)['framework_info'] } });
  }

  /**
   * Failover: the next SUBSCRIBED lists these agents only in `recovered_agents`, without their
   * tasks, until `reregister` brings each back (AGENT_ADDED, then TASK_ADDED for its tasks).
   * `/master/state` leaves them out too meanwhile, as a recovering master does.
   */
  setRecovering(agentIds: string[]): void {
    this.recovering.clear();
    for (const id of agentIds) this.recovering.add(id);
    this.changed();
  }

  reregister(agentId: string): void {
    if (!this.recovering.delete(agentId)) return;
    this.changed();
    const a = this.state['slaves'].find((x: Obj) => x['id'] === agentId);
    if (!a) return;
    this.emit({ type: 'AGENT_ADDED', agent_added: { agent: v1Agent(a) } });
    for (const f of this.state['frameworks']) {
      for (const t of f['tasks']) if (t['slave_id'] === agentId) this.emit({ type: 'TASK_ADDED', task_added: { task: v1Task(t, f['id']) } });
    }
  }

  /** The state as a master still recovering serves it (recovering agents and their tasks left out). */
  visibleState(): Obj {
    if (!this.recovering.size) return this.state;
    return {
      ...this.state,
      slaves: this.state['slaves'].filter((a: Obj) => !this.recovering.has(a['id'])),
      frameworks: this.state['frameworks'].map((f: Obj) => ({ ...f, tasks: f['tasks'].filter((t: Obj) => !this.recovering.has(t['slave_id'])) })),
    };
  }

  /**
   * Churn: `eventsPerSecond` task events, alternating launches and kills of the tasks it
   * launched (so the cluster's size stays put). `onLaunch`/`onKill` see each one with its time.
   * `pool`: tasks launched earlier that the churn kills first, oldest first; with N of them each
   * task lives N / (eventsPerSecond / 2) s, long enough to be seen before it dies (the bench
   * measures both). 0 stops it.
   */
  setChurn(eventsPerSecond: number, hooks: { onLaunch?: (l: Launched) => void; onKill?: (id: string, name: string, time: number) => void; launch?: LaunchOptions; pool?: readonly Launched[] } = {}): void {
    if (this.churn) clearInterval(this.churn);
    this.churn = null;
    if (eventsPerSecond <= 0) return;
    const tick = 10; // ms
    let due = 0;
    let start = performance.now();
    let done = 0;
    let launchNext = true;
    const names = new Map<string, string>();
    for (const l of hooks.pool ?? []) { this.churned.push(l.id); names.set(l.id, l.name); }
    this.churn = setInterval(() => {
      due = Math.floor(((performance.now() - start) / 1000) * eventsPerSecond);
      for (; done < due; done++) {
        if (launchNext || !this.churned.length) {
          const l = this.launch(hooks.launch);
          this.churned.push(l.id);
          names.set(l.id, l.name);
          hooks.onLaunch?.(l);
        } else {
          const id = this.churned.shift()!;
          this.kill(id);
          hooks.onKill?.(id, names.get(id) ?? '', Date.now());
          names.delete(id);
        }
        launchNext = !launchNext;
      }
      if (done > 1e9) { start = performance.now(); done = 0; }
    }, tick);
    this.churn.unref?.();
  }

  close(): void {
    if (this.churn) clearInterval(this.churn);
    this.churn = null;
    this.subscribers.clear();
  }
}
