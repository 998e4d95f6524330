// The cluster as the event stream tells it: frameworks, agents and tasks, kept from the
// SUBSCRIBED snapshot and changed by each event, so that a task's launch or death costs one
// entity's work, not a 50 MB state fetch. Every entity is translated to the v0 `/master/state`
// shape (NEXT.md §1.6-1.7) and validated by the very entity parsers polling uses
// (state/parse.ts), so the records built from the model equal those built from polling the same
// cluster; what v1 does not carry comes from the light endpoints: framework pids from
// `/master/state-summary` (setFrameworkPids), the leader from GET_MASTER (setLeader). Each
// entity is parsed once, when it changes; `state()` only assembles the cached results.
//
// Failover (NEXT.md §1.8): a new master's snapshot lacks the agents that have not re-registered
// yet (`recovered_agents`). Their last-known agent and tasks are carried over from the previous
// model, marked stale, and served until the agent re-registers (then its tasks get a short
// while to be re-added) or the grace period ends (sweep()).
import type { BatchTrace } from './trace.js';
import { parseFrameworkEntry, parseSlaveEntry, parseTaskEntry, type ParseResult } from '../state/parse.js';
import type { Framework, Slave, State, StateView, Task } from '../state/types.js';
import { MAX_AGENTS, MAX_FRAMEWORKS, MAX_TASKS, overLimit } from '../state/limits.js';

type Obj = Record<string, unknown>;

/** What changed since the last publish (the contract with zone/publish.ts). */
export interface ChangeHint {
  full: boolean;
  /** Names of the frameworks whose own records changed, or any of whose tasks may have: all their tasks are looked at. */
  frameworks: ReadonlySet<string>;
  /**
   * Tasks that task events changed (added, updated, ended), by framework name and task id: the
   * task as take() gives it now (null: gone). Why: looking at only these costs the events, not
   * the framework (Marathon often holds half the tasks). A framework named in `frameworks` is
   * not listed here.
   */
  tasks?: ReadonlyMap<string, ReadonlyMap<string, Task | null>>;
  /** Ids of the agents that changed. */
  agents: ReadonlySet<string>;
  mastersChanged: boolean;
  /** The batches of events behind this version, timed (stream/trace.ts); merged hints concatenate them. */
  batches?: BatchTrace[];
}
/**
 * How the subscriber hands a state to the zone (zone/publish.ts createPublisher makes one). Declared
 * here, on the stream's side, so that zone/ depends on stream/ and not the other way round.
 */
export type PublishState = (doc: { value: ParseResult<StateView> | undefined }, hint: ChangeHint) => Promise<void>;

/** Mesos' terminal task states: the task leaves the model (v0 moved it to completed_tasks). */
export const TERMINAL = new Set([
  'TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_LOST', 'TASK_ERROR', 'TASK_DROPPED', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR',
]);
/** Tasks waiting for their framework, at most (a master announces a framework before long). */
const MAX_PENDING = 100_000;
/** After a recovering agent re-registers, how long its old tasks wait to be re-added. */
const REREGISTER_TASKS_MS = 10_000;

function o(v: unknown): Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {};
}
function idOf(v: unknown): string {
  const id = o(v)['value'];
  return typeof id === 'string' ? id : '';
}

/**
 * v1 `resources[]` → the v0 `resources.ports` string: ranges of the non-revocable `ports`
 * RANGES entries, sorted and merged when overlapping or adjacent, as the master's `coalesce`
 * merges them for v0 (mesos:src/common/values.cpp).
 */
export function v0Ports(resources: unknown): string | undefined {
  if (!Array.isArray(resources)) return undefined;
  const ranges: [number, number][] = [];
  for (const r of resources) {
    const e = o(r);
    if (e['name'] !== 'ports' || e['type'] !== 'RANGES' || 'revocable' in e) continue;
    const list = o(e['ranges'])['range'];
    if (!Array.isArray(list)) continue;
    for (const x of list) {
      const b = o(x)['begin'], en = o(x)['end'];
      if (typeof b === 'number' && typeof en === 'number') ranges.push([b, en]);
    }
  }
  if (!ranges.length) return undefined;
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: [number, number][] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return `[${merged.map(([b, e]) => `${b}-${e}`).join(', ')}]`;
}

/** A v1 TaskStatus in v0 form (labels unwrapped; everything else the same shape). */
function v0Status(s: unknown): Obj {
  const st = o(s);
  const out: Obj = { state: st['state'], timestamp: st['timestamp'] };
  const labels = o(st['labels'])['labels'];
  if (labels !== undefined) out['labels'] = labels;
  if (st['container_status'] !== undefined) out['container_status'] = st['container_status'];
  return out;
}

/** A v1 Task in the v0 shape state/parse.ts reads. */
export function v0Task(t: Obj): Obj {
  const out: Obj = { id: idOf(t['task_id']), name: t['name'], slave_id: idOf(t['agent_id']), state: t['state'] };
  const ports = v0Ports(t['resources']);
  if (ports !== undefined) out['resources'] = { ports };
  out['statuses'] = Array.isArray(t['statuses']) ? t['statuses'].map(v0Status) : [];
  if (t['discovery'] !== undefined) out['discovery'] = t['discovery'];
  return out;
}

/** A v1 agent: its id, and its pid (synthesised from hostname:port when absent, NEXT.md §1.7). */
export function v0Agent(a: Obj): Obj {
  const info = o(a['agent_info']);
  const pid = typeof a['pid'] === 'string' ? a['pid'] : `slave(1)@${String(info['hostname'] ?? '')}:${String(info['port'] ?? 5051)}`;
  return { id: idOf(info['id']), pid };
}

interface TaskEntry {
  raw: Obj;
  task: Task | null;
  /** Carried over from before a failover: dropped at this time unless the master re-adds it. */
  staleUntil?: number;
}

interface FrameworkEntry {
  id: string;
  name: string;
  hostname: unknown;
  fw: Framework | null | undefined; // undefined: to parse again (name, hostname or pid changed)
  tasks: Map<string, TaskEntry>;
}

interface AgentEntry { slave: Slave | null; staleUntil?: number }

export class ClusterModel {
  leader = '';
  private frameworks = new Map<string, FrameworkEntry>();
  /** Tasks of frameworks not (yet) known, by framework id (dcos-net's waiting_tasks). */
  private pending = new Map<string, Map<string, TaskEntry>>();
  private agents = new Map<string, AgentEntry>();
  /** Framework id → raw pid, from /master/state-summary (v1 has none). */
  private pids = new Map<string, unknown>();
  private warnings: string[] = [];
  private hint = { full: true, frameworks: new Set<string>(), agents: new Set<string>(), mastersChanged: false };
  /** Task ids changed by task events since the last take(), by framework id (ChangeHint.tasks). */
  private touched = new Map<string, Set<string>>();
  /** Ids of agents served from before a failover (stale), for the log and the count. */
  readonly recovering = new Set<string>();

  // ---------- snapshot ----------

  /**
   * Start over from a SUBSCRIBED snapshot: returns the visitor for readSubscribed, and `end`,
   * which carries over the agents listed as recovered (and their tasks) from the model as it
   * was, for `graceMs`. Returns the ids carried over.
   */
  beginSnapshot(now: number): { visitor: import('./snapshot.js').SnapshotVisitor; end(graceMs: number): string[] } {
    const before = { frameworks: this.frameworks, agents: this.agents, pending: this.pending };
    this.frameworks = new Map();
    this.pending = new Map();
    this.agents = new Map();
    this.recovering.clear();
    this.markFull();
    const recovered: string[] = [];
    return {
      visitor: {
        task: (t) => this.addTask(o(t)),
        agent: (a) => this.putAgent(o(a)),
        recoveredAgent: (info) => recovered.push(idOf(o(info)['id'])),
        framework: (f) => this.putFramework(o(f)),
      },
      end: (graceMs) => {
        const kept: string[] = [];
        for (const id of recovered) {
          const old = before.agents.get(id);
          if (!old || this.agents.has(id)) continue;
          const staleUntil = now + graceMs;
          this.agents.set(id, { slave: old.slave, staleUntil });
          this.recovering.add(id);
          kept.push(id);
          for (const [fwId, f] of before.frameworks) {
            for (const [tid, e] of f.tasks) {
              if (e.raw['slave_id'] !== id) continue;
              const target = this.frameworks.get(fwId)?.tasks ?? this.pendingOf(fwId);
              if (!target.has(tid)) target.set(tid, { ...e, staleUntil });
            }
          }
        }
        return kept;
      },
    };
  }

  // ---------- events ----------

  /** Apply one decoded event; returns false for a type the model does not know (ignored). */
  apply(e: Obj): boolean {
    switch (e['type']) {
      case 'TASK_ADDED': this.addTask(o(o(e['task_added'])['task'])); return true;
      case 'TASK_UPDATED': this.updateTask(o(e['task_updated'])); return true;
      case 'AGENT_ADDED': this.putAgent(o(o(e['agent_added'])['agent'])); return true;
      case 'AGENT_REMOVED': this.removeAgent(idOf(o(e['agent_removed'])['agent_id'])); return true;
      case 'FRAMEWORK_ADDED': this.putFramework(o(o(e['framework_added'])['framework'])); return true;
      case 'FRAMEWORK_UPDATED': this.putFramework(o(o(e['framework_updated'])['framework'])); return true;
      case 'FRAMEWORK_REMOVED': this.removeFramework(idOf(o(o(e['framework_removed'])['framework_info'])['id'])); return true;
      case 'HEARTBEAT': return true;
      default: return false;
    }
  }

  /** Framework pids from /master/state-summary (`frameworks[].{id,pid}`). */
  setFrameworkPids(summary: unknown): void {
    const fws = o(summary)['frameworks'];
    const next = new Map<string, unknown>();
    if (Array.isArray(fws)) for (const f of fws) {
      const id = o(f)['id'];
      if (typeof id === 'string' && o(f)['pid'] !== undefined) next.set(id, o(f)['pid']);
    }
    for (const [id, f] of this.frameworks) {
      if (JSON.stringify(next.get(id)) !== JSON.stringify(this.pids.get(id))) { f.fw = undefined; this.hint.frameworks.add(f.name); }
    }
    this.pids = next;
  }

  setLeader(pid: string): void {
    if (pid === this.leader) return;
    this.leader = pid;
    this.hint.mastersChanged = true;
  }

  /** Drop stale (carried-over) agents and tasks whose time is up; returns the agent ids dropped. */
  sweep(now: number): string[] {
    const dropped: string[] = [];
    for (const [id, a] of this.agents) {
      if (a.staleUntil !== undefined && a.staleUntil <= now) {
        this.agents.delete(id);
        this.recovering.delete(id);
        this.hint.agents.add(id);
        dropped.push(id);
      }
    }
    const sweepTasks = (tasks: Map<string, TaskEntry>, fw: string | null) => {
      for (const [tid, e] of tasks) {
        if (e.staleUntil !== undefined && e.staleUntil <= now) {
          tasks.delete(tid);
          if (fw !== null) this.hint.frameworks.add(fw);
        }
      }
    };
    for (const f of this.frameworks.values()) sweepTasks(f.tasks, f.name);
    for (const p of this.pending.values()) sweepTasks(p, null);
    return dropped;
  }

  /** The earliest time a stale entity expires (for the sweep timer), or undefined. */
  nextExpiry(): number | undefined {
    let t: number | undefined;
    const see = (v?: number) => { if (v !== undefined && (t === undefined || v < t)) t = v; };
    for (const a of this.agents.values()) see(a.staleUntil);
    for (const f of this.frameworks.values()) for (const e of f.tasks.values()) see(e.staleUntil);
    return t;
  }

  get counts(): { frameworks: number; agents: number; tasks: number; pending: number } {
    let tasks = 0, pending = 0;
    for (const f of this.frameworks.values()) tasks += f.tasks.size;
    for (const p of this.pending.values()) pending += p.size;
    return { frameworks: this.frameworks.size, agents: this.agents.size, tasks, pending };
  }

  /** The frameworks whose pids to (re)read: any framework event since the last call. */
  needsPids = false;

  // ---------- output ----------

  /**
   * The state as buildZone takes it, and what changed since the last call. Warnings are those
   * of the entities parsed since the last call (each said once, not on every publish).
   */
  take(): { result: ParseResult<State>; hint: ChangeHint } {
    // The state input limits (state/limits.ts) hold for the stream too: past them the rest is
    // left out, with one warning each time the limit is hit (not once per event).
    const slaves: Slave[] = [];
    for (const a of this.agents.values()) if (a.slave && slaves.length < MAX_AGENTS) slaves.push(a.slave);
    if (this.agents.size > MAX_AGENTS) this.warnOnce('agents', overLimit('agents', this.agents.size - MAX_AGENTS, MAX_AGENTS));
    const frameworks: Framework[] = [];
    let i = 0;
    let taskBudget = MAX_TASKS;
    const named = new Map<string, number>();
    for (const f of this.frameworks.values()) {
      named.set(f.name, (named.get(f.name) ?? 0) + 1);
      if (frameworks.length >= MAX_FRAMEWORKS) { this.warnOnce('frameworks', overLimit('frameworks', this.frameworks.size - MAX_FRAMEWORKS, MAX_FRAMEWORKS)); break; }
      if (f.fw === undefined) {
        const raw: Obj = { name: f.name, hostname: f.hostname ?? '', tasks: [] };
        if (this.pids.has(f.id)) raw['pid'] = this.pids.get(f.id);
        f.fw = parseFrameworkEntry(raw, i, this.warnings, { left: 0, warned: true }); // no tasks in raw
      }
      i++;
      if (!f.fw) continue;
      const tasks: Task[] = [];
      for (const e of f.tasks.values()) {
        if (!e.task) continue;
        if (taskBudget-- <= 0) { this.warnOnce('tasks', overLimit('tasks', 1, MAX_TASKS) + ` (from framework ${JSON.stringify(f.name)} on)`); break; }
        tasks.push(e.task);
      }
      frameworks.push({ ...f.fw, tasks });
    }
    const result: ParseResult<State> = { state: { leader: this.leader, slaves, frameworks }, warnings: this.warnings };
    // Changed tasks by framework name; a name two frameworks share, or a framework cut by the
    // limits, is looked at whole.
    const tasks = new Map<string, Map<string, Task | null>>();
    for (const [fwId, ids] of this.touched) {
      const f = this.frameworks.get(fwId);
      if (!f || !f.fw || this.hint.frameworks.has(f.name)) continue;
      if (named.get(f.name) !== 1 || taskBudget < 0) { this.hint.frameworks.add(f.name); continue; }
      let m = tasks.get(f.name);
      if (!m) tasks.set(f.name, (m = new Map()));
      for (const id of ids) m.set(id, f.tasks.get(id)?.task ?? null);
    }
    this.touched = new Map();
    const hint: ChangeHint = { ...this.hint, tasks };
    this.warnings = [];
    this.hint = { full: false, frameworks: new Set(), agents: new Set(), mastersChanged: false };
    return { result, hint };
  }

  private warned = new Set<string>();
  private warnOnce(key: string, msg: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.warnings.push(msg);
  }

  // ---------- entities ----------

  /** The next version is built whole (a snapshot, or new build parameters after a reload). */
  markFull(): void {
    this.hint.full = true;
  }

  private pendingOf(fwId: string): Map<string, TaskEntry> {
    let p = this.pending.get(fwId);
    if (!p) this.pending.set(fwId, (p = new Map()));
    return p;
  }

  private entry(raw: Obj, fwLabel: string): TaskEntry {
    return { raw, task: parseTaskEntry(raw, 0, fwLabel, this.warnings) };
  }

  private addTask(t: Obj): void {
    const raw = v0Task(t);
    const id = raw['id'] as string;
    const fwId = idOf(t['framework_id']);
    if (TERMINAL.has(String(raw['state']))) return this.dropTask(fwId, id);
    const f = this.frameworks.get(fwId);
    if (f) {
      f.tasks.set(id, this.entry(raw, JSON.stringify(f.name)));
      this.touch(fwId, id);
    } else if (this.counts.pending < MAX_PENDING) {
      this.pendingOf(fwId).set(id, this.entry(raw, JSON.stringify(fwId)));
    } else {
      this.warnOnce('pending', `ignoring tasks of unknown frameworks past ${MAX_PENDING} waiting`);
    }
  }

  private findTask(fwId: string, id: string): { e: TaskEntry; f: FrameworkEntry | undefined } | null {
    const f = this.frameworks.get(fwId);
    const e = f?.tasks.get(id) ?? this.pending.get(fwId)?.get(id);
    return e ? { e, f } : null;
  }

  private dropTask(fwId: string, id: string): void {
    const f = this.frameworks.get(fwId);
    if (f?.tasks.delete(id)) this.touch(fwId, id);
    this.pending.get(fwId)?.delete(id);
  }

  private updateTask(u: Obj): void {
    const fwId = idOf(u['framework_id']);
    const status = o(u['status']);
    const id = idOf(status['task_id']);
    const state = typeof u['state'] === 'string' ? u['state'] : status['state'];
    if (TERMINAL.has(String(state))) return this.dropTask(fwId, id);
    const found = this.findTask(fwId, id);
    if (!found) return; // no TASK_ADDED seen: no name to give it
    const { e, f } = found;
    // Statuses as the master keeps them (master.cpp updateTask): the same state replaces the
    // last status, a new one is appended.
    const statuses = e.raw['statuses'] as Obj[];
    const st = v0Status(status);
    if (statuses.length && statuses[statuses.length - 1]!['state'] === st['state']) statuses[statuses.length - 1] = st;
    else statuses.push(st);
    e.raw['state'] = state;
    e.task = parseTaskEntry(e.raw, 0, JSON.stringify(f?.name ?? fwId), this.warnings);
    delete e.staleUntil;
    if (f) this.touch(fwId, id);
  }

  private touch(fwId: string, id: string): void {
    let s = this.touched.get(fwId);
    if (!s) this.touched.set(fwId, (s = new Set()));
    s.add(id);
  }

  private putAgent(a: Obj): void {
    const raw = v0Agent(a);
    const id = raw['id'] as string;
    const was = this.agents.get(id);
    if (was?.staleUntil !== undefined) {
      // Back after a failover: its old tasks get a short while to be re-added by the master.
      this.recovering.delete(id);
      const until = Date.now() + REREGISTER_TASKS_MS;
      for (const f of this.frameworks.values()) for (const e of f.tasks.values()) {
        if (e.staleUntil !== undefined && e.raw['slave_id'] === id) e.staleUntil = Math.min(e.staleUntil, until);
      }
    }
    this.agents.set(id, { slave: parseSlaveEntry(raw, 0, this.warnings) });
    this.hint.agents.add(id);
  }

  private removeAgent(id: string): void {
    if (this.agents.delete(id)) this.hint.agents.add(id);
    this.recovering.delete(id);
  }

  private putFramework(fw: Obj): void {
    const info = o(fw['framework_info']);
    const id = idOf(info['id']);
    const name = typeof info['name'] === 'string' ? info['name'] : '';
    this.needsPids = true;
    const old = this.frameworks.get(id);
    if (old) {
      if (old.name !== name) this.hint.frameworks.add(old.name);
      old.name = name;
      old.hostname = info['hostname'];
      old.fw = undefined;
    } else {
      const tasks = this.pending.get(id) ?? new Map<string, TaskEntry>();
      this.pending.delete(id);
      this.frameworks.set(id, { id, name, hostname: info['hostname'], fw: undefined, tasks });
    }
    this.hint.frameworks.add(name);
  }

  private removeFramework(id: string): void {
    const f = this.frameworks.get(id);
    if (!f) return;
    this.frameworks.delete(id);
    this.pending.delete(id);
    this.hint.frameworks.add(f.name);
  }
}
