// Incremental zone versions for the event stream (issue 13 item 5): a batch of events costs work
// in proportion to the names it touches, not to the cluster. The last published image and state
// are kept; for a new state, only the tasks the batch changed are looked at, widened to every
// task that shares a name with them (the instances of an app share its short and SRV names), and
// the records of exactly those tasks are generated twice — as they were and as they are — with
// the cluster-wide names (frameworks, agents, masters, name server) generated whole each time,
// as they are few. Both small record sets go through buildImage, so their blocks are encoded by
// the one encoder; the names whose records differ are patched into a copy of the last image
// (zone/patch.ts), and the same comparison gives the version's change set, with no diff of the
// whole zone. Why tasks sharing names rather than frameworks: half of a cluster's tasks are often
// in one framework (Marathon), so regenerating a framework costs half a full build.
//
// The generator stays the only source of records, so what is patched in equals what a full build
// would hold, provided the names regenerated have no contributor outside the tasks regenerated.
// That is checked, not assumed: every name the old partial records hold must hold exactly those
// records in the last image; a name with records from elsewhere (two apps' names colliding through
// legacy DiscoveryInfo names, framework names that are suffixes of each other) makes the version
// a full build. Empty non-terminals follow from a count of each name's existing children.
import type { HostIPs, State, Task } from '../state/types.js';
import { generate } from '../records/generate.js';
import { domainFrag, fitFirst, labelSpec, type LabelSpec } from '../records/labels.js';
import { NO_ENTRY, ZoneImage } from './image.js';
import { buildImage } from './image-write.js';
import { compactImage, patchImage, type Edit, type ImageAlloc } from './patch.js';
import type { Spares } from './spares.js';
import { entryRRs, wireToText, type RR, type ZoneDiff } from './changes.js';
import type { BuildParams } from './build.js';
import { hashWire, nameToWire } from '../wire/name.js';

/** What the stream's model says changed (stream/model.ts ChangeHint). */
export interface IncrementalHint {
  frameworks: ReadonlySet<string>;
  agents: ReadonlySet<string>;
  /** Tasks changed by task events, by framework name and id: as they are now, null when gone (stream/model.ts). */
  tasks?: ReadonlyMap<string, ReadonlyMap<string, Task | null>>;
}

/** A task's framework: its name, and its label in DNS names. */
interface Where { fw: string; fn: string }

/** One version's inputs, kept to regenerate the old records of the tasks a batch changes. */
interface Version { state: State; params: BuildParams; hostIPs: HostIPs }

export interface Patched {
  /** Shared when the last image was (answering threads). */
  image: ArrayBuffer | SharedArrayBuffer;
  changes: ZoneDiff;
  /** Tasks with records (running, on a known agent), (name, type) pairs, and records by kind, after this version. */
  tasks: number;
  names: number;
  records: number;
  byType: { A: number; AAAA: number; SRV: number };
  /** Names whose blocks were rewritten, added or removed; tasks regenerated; compacted; dead bytes. */
  stats: { edits: number; tasks: number; compacted: boolean; dead: number };
  /** Buffers no longer used (the previous image, a patch compacted at once): free them (zone/memory.ts). */
  unused: (ArrayBuffer | SharedArrayBuffer)[];
  warnings: string[];
}

/** Dead bytes above this share of the image make the next version a compaction (zone/patch.ts). */
const COMPACT_SHARE = 0.25;

const key = (u8: Uint8Array, off: number, len: number) => Buffer.from(u8.buffer, u8.byteOffset + off, len).toString('latin1');
const wireKey = (w: Uint8Array) => key(w, 0, w.length);
/** Key of a name's parent (one label up). */
const parentKey = (k: string) => k.slice(k.charCodeAt(0) + 1);

/** Record set of entry e (order-free), for comparing two images' blocks of a name. */
function recordSet(img: ZoneImage, e: number): Set<string> {
  const out = new Set<string>();
  for (const r of entryRRs(img, e, '')) out.add(r.type + ' ' + r.data);
  return out;
}

function sameRecords(a: ZoneImage, ae: number, b: ZoneImage, be: number): boolean {
  const [af, at] = rrBytes(a, ae), [bf, bt] = rrBytes(b, be);
  if (at - af === bt - bf) {
    let i = 0;
    while (i < at - af && a.u8[af + i] === b.u8[bf + i]) i++;
    if (i === at - af) return true;
  }
  const x = recordSet(a, ae), y = recordSet(b, be);
  if (x.size !== y.size) return false;
  for (const r of x) if (!y.has(r)) return false;
  return true;
}

function rrBytes(img: ZoneImage, e: number): [number, number] {
  const start = img.aOff(e);
  const n = img.srvCount(e);
  return [start, n > 0 ? img.srvOff(e, n - 1) + img.srvLen(e, n - 1) : img.aaaaOff(e) + img.aaaaCount(e) * 28];
}

export class IncrementalZone {
  private base: ZoneImage | null = null;
  private prev: Version | null = null;
  private paramsKey = '';
  /** Existing names (data or empty non-terminal) below each name, by wire key. */
  private children = new Map<string, number>();
  private apexKey = '';
  private counts = { tasks: 0, names: 0, records: 0, A: 0, AAAA: 0, SRV: 0 };
  /** Bytes of the kept image no entry uses (zone/patch.ts). */
  private dead = 0;
  /** Names of each task, by task object (a model keeps unchanged tasks' objects). */
  private keys = new WeakMap<Task, string[]>();
  /**
   * The last version's tasks: where each is (framework name and DNS label), each by framework
   * name and task id, and each name key (framework label, NUL, task key) with its tasks. Why:
   * finding the tasks that share a name with a changed one costs a lookup, not a walk over the
   * framework (half the cluster in Marathon).
   */
  private placed = new Map<Task, Where>();
  private byId = new Map<string, Task>();
  private index = new Map<string, Task[]>();
  private spec: LabelSpec = labelSpec(false);

  /**
   * @param spares shared buffers the answering thread gave back: a shared version is written into
   * one of them rather than into a new buffer (zone/spares.ts)
   */
  constructor(private readonly spares?: Spares) {}

  /** Why the last update returned null (for the version's trace). */
  refused = '';

  /** The image last published (the worker's copy). */
  get image(): ZoneImage | null { return this.base; }

  /** Start from a full build of `state`: its image (kept, not copied) and its counts. */
  adopt(image: ZoneImage, state: State, params: BuildParams, hostIPs: HostIPs, counts: { tasks: number; names: number; records: number; byType: { A: number; AAAA: number; SRV: number } }): void {
    this.base = image;
    this.prev = { state, params, hostIPs };
    this.paramsKey = JSON.stringify(params);
    this.apexKey = wireKey(nameToWire(params.image.domain + '.', true)!);
    this.counts = { tasks: counts.tasks, names: counts.names, records: counts.records, ...counts.byType };
    this.dead = 0;
    const spec = this.spec = labelSpec(params.generate.enforceRFC952);
    this.placed = new Map();
    this.byId = new Map();
    this.index = new Map();
    for (const f of state.frameworks) {
      const w: Where = { fw: f.name, fn: domainFrag(f.name, spec) };
      for (const t of f.tasks) this.place(t, w, spec);
    }
    const children = new Map<string, number>();
    for (let i = 0; i < image.entryCount; i++) {
      const e = image.entryAt(i);
      const at = image.nameAt(e), len = image.nameLen(e);
      if (len <= 1) continue;
      const p = key(image.u8, at + 1 + image.u8[at], len - 1 - image.u8[at]);
      children.set(p, (children.get(p) ?? 0) + 1);
    }
    this.children = children;
  }

  /** Forget everything: the next version must be a full build. */
  reset(): void {
    this.base = null;
    this.prev = null;
    this.children = new Map();
    this.placed = new Map();
    this.byId = new Map();
    this.index = new Map();
  }

  /** The name keys of task t in the framework labelled fn. */
  private keysOf(t: Task, fn: string, spec: LabelSpec): string[] {
    return this.taskKeys(t, spec).map((k) => fn + '\0' + k);
  }

  private place(t: Task, w: Where, spec: LabelSpec): void {
    this.placed.set(t, w);
    this.byId.set(w.fw + '\0' + t.id, t);
    for (const k of this.keysOf(t, w.fn, spec)) {
      const l = this.index.get(k);
      if (l) l.push(t); else this.index.set(k, [t]);
    }
  }

  private unplace(t: Task): void {
    const w = this.placed.get(t);
    if (!w) return;
    this.placed.delete(t);
    const id = w.fw + '\0' + t.id;
    if (this.byId.get(id) === t) this.byId.delete(id);
    for (const k of this.keysOf(t, w.fn, this.spec)) {
      const l = this.index.get(k);
      if (!l) continue;
      const i = l.indexOf(t);
      if (i >= 0) l.splice(i, 1);
      if (!l.length) this.index.delete(k);
    }
  }

  private taskKeys(t: Task, spec: LabelSpec): string[] {
    let k = this.keys.get(t);
    if (k === undefined) {
      const di = t.discovery;
      if (di === null) k = [spec(t.name)];
      else {
        const raw = di.name.toLowerCase(), sane = spec(di.name);
        k = raw === sane ? [raw] : [raw, sane];
      }
      // Long names share their `_<task>` service names once cut to fit a label (generate.ts).
      for (const n of [...k]) { const svc = fitFirst(n, 1); if (svc !== n) k.push('_' + svc); }
      this.keys.set(t, k);
    }
    return k;
  }

  /**
   * The next version from `state`, or null when it must be a full build (nothing to start from,
   * other build parameters, a name with records from outside the tasks regenerated, a full table).
   */
  update(state: State, params: BuildParams, hostIPs: HostIPs, hint: IncrementalHint, stages: Record<string, number> = {}): Patched | null {
    const P = this.prev, base = this.base;
    if (!P || !base) { this.refused = 'no version to patch'; return null; }
    if (JSON.stringify(params) !== this.paramsKey) { this.refused = 'new build parameters'; return null; }
    // Stage durations (ms) for the version's trace (stream/trace.ts); a failed attempt's count too.
    let at = performance.now();
    const mark = (stage: string) => { const now = performance.now(); stages[stage] = (stages[stage] ?? 0) + (now - at); at = now; };
    const spec = labelSpec(params.generate.enforceRFC952);
    const fnameOf = new Map<string, string>();
    const fname = (raw: string) => { let f = fnameOf.get(raw); if (f === undefined) fnameOf.set(raw, f = domainFrag(raw, spec)); return f; };

    // 1. The tasks the batch changed. Task events name them (hint.tasks: the task as it is now,
    //    and as it was from the index); the frameworks named in the hint are looked at whole (by
    //    task object and framework name: a renamed framework renames its tasks), and so is every
    //    task on a changed agent.
    const gone = new Map<Task, Where>(), came = new Map<Task, Where>();
    const wanted = new Set<string>();
    if (hint.tasks) for (const [fw, ts] of hint.tasks) {
      const w: Where = { fw, fn: fname(fw) };
      for (const [id, neu] of ts) {
        const old = this.byId.get(fw + '\0' + id);
        if (old === neu) continue;
        if (old) gone.set(old, this.placed.get(old)!);
        if (neu) came.set(neu, w);
      }
    }
    if (hint.frameworks.size || hint.agents.size) {
      const look = (s: State) => {
        const m = new Map<Task, Where>();
        for (const f of s.frameworks) {
          const all = hint.frameworks.has(f.name);
          if (!all && hint.agents.size === 0) continue;
          const w: Where = { fw: f.name, fn: fname(f.name) };
          for (const t of f.tasks) if (all || hint.agents.has(t.slaveId)) m.set(t, w);
        }
        return m;
      };
      const before = look(P.state), after = look(state);
      for (const [t, w] of before) {
        if (after.get(t)?.fn !== w.fn) gone.set(t, this.placed.get(t) ?? w);
        else if (hint.agents.has(t.slaveId)) for (const k of this.keysOf(t, w.fn, spec)) wanted.add(k);
      }
      for (const [t, w] of after) if (before.get(t)?.fn !== w.fn) came.set(t, w);
    }
    for (const [t, w] of gone) for (const k of this.keysOf(t, w.fn, spec)) wanted.add(k);
    for (const [t, w] of came) for (const k of this.keysOf(t, w.fn, spec)) wanted.add(k);

    // 2. Every task sharing a name with them, until no new name is met: looked up in the index of
    //    the last version's tasks by name (for the new state: less the tasks gone, plus those come).
    const cameAt = new Map<string, Task[]>();
    for (const [t, w] of came) for (const k of this.keysOf(t, w.fn, spec)) {
      const l = cameAt.get(k);
      if (l) l.push(t); else cameAt.set(k, [t]);
    }
    // Where a task is in either state (a renamed framework's tasks are both gone and come).
    const whereIn = (neu: boolean, t: Task): Where => (neu ? came.get(t) : undefined) ?? this.placed.get(t)!;
    const pick = (s: State): Set<Task> => {
      const out = new Set<Task>();
      const neu = s !== P.state;
      const queue = [...wanted];
      while (queue.length) {
        const k = queue.pop()!;
        const visit = (t: Task) => {
          if (out.has(t)) return;
          out.add(t);
          const w = whereIn(neu, t);
          for (const kk of this.keysOf(t, w.fn, spec)) if (!wanted.has(kk)) { wanted.add(kk); queue.push(kk); }
        };
        for (const t of this.index.get(k) ?? []) if (!neu || !gone.has(t)) visit(t);
        if (neu) for (const t of cameAt.get(k) ?? []) visit(t);
      }
      return out;
    };
    // Both sides until neither adds a name (a name met on one side widens the other).
    let oldTasks: Set<Task>, newTasks: Set<Task>, size: number;
    do {
      size = wanted.size;
      oldTasks = pick(P.state);
      newTasks = pick(state);
    } while (wanted.size !== size);

    mark('look');
    // 3. The records of those tasks (and the cluster-wide names), as they were and as they are.
    const part = (s: State, tasks: Set<Task>): State => {
      const fws = new Set<string>();
      for (const t of tasks) fws.add(whereIn(s !== P.state, t).fw);
      return {
        leader: s.leader, slaves: s.slaves,
        frameworks: s.frameworks.map((f) => ({ ...f, tasks: fws.has(f.name) ? f.tasks.filter((t) => tasks.has(t)) : [] })),
      };
    };
    const gOld = generate(part(P.state, oldTasks), P.hostIPs, P.params.generate);
    const gNew = generate(part(state, newTasks), hostIPs, params.generate);
    mark('generate');
    const mOld = new ZoneImage(buildImage(gOld.draft, params.image));
    const mNew = new ZoneImage(buildImage(gNew.draft, params.image));
    mark('images');

    // 4. Names with records on either side; each must hold in the last image exactly the old
    //    records (else another contributor shares it: full build).
    interface Name { wire: Uint8Array; hash: number; key: string; old: number; neu: number; base: number }
    const names = new Map<string, Name>();
    const collect = (img: ZoneImage, side: 'old' | 'neu') => {
      for (let i = 0; i < img.entryCount; i++) {
        const e = img.entryAt(i);
        if (!img.hasData(e)) continue;
        const wire = img.nameWire(e), k = wireKey(wire);
        let n = names.get(k);
        if (!n) names.set(k, n = { wire, hash: hashWire(wire), key: k, old: -1, neu: -1, base: -1 });
        n[side] = e;
      }
    };
    collect(mOld, 'old');
    collect(mNew, 'neu');
    for (const n of names.values()) {
      n.base = base.find(n.hash, n.wire);
      const had = n.base >= 0 && base.hasData(n.base);
      if (had !== n.old >= 0 || (had && !sameRecords(base, n.base, mOld, n.old))) { this.refused = 'a name with records from outside the batch'; return null; }
    }

    // 5. What changes: records (the change set), blocks, and names that appear or go.
    const removed: RR[] = [], added: RR[] = [];
    const edits = new Map<string, Edit>();
    const exists = new Map<string, boolean>(); // overrides of "has an entry in base"
    const data = new Map<string, boolean>(); // overrides of "has records in base"
    const existsNow = (k: string, wire: Uint8Array) => exists.get(k) ?? base.find(hashWire(wire), wire) >= 0;
    const dataNow = (k: string, wire: Uint8Array) => {
      const d = data.get(k);
      if (d !== undefined) return d;
      const e = base.find(hashWire(wire), wire);
      return e >= 0 && base.hasData(e);
    };
    const setExists = (k: string, wire: Uint8Array, on: boolean) => {
      exists.set(k, on);
      if (k === this.apexKey) return;
      const pk = parentKey(k), pw = wire.subarray(1 + wire[0]);
      const c = (this.children.get(pk) ?? 0) + (on ? 1 : -1);
      if (c > 0) this.children.set(pk, c); else this.children.delete(pk);
      const should = pk === this.apexKey || dataNow(pk, pw) || c > 0;
      if (should === existsNow(pk, pw)) return;
      edits.set(pk, { name: pw, hash: hashWire(pw), from: should ? 'ent' : null, entry: -1 });
      setExists(pk, pw, should);
    };
    const delta = { names: 0, records: 0, A: 0, AAAA: 0, SRV: 0 };
    const types = (rrs: RR[]) => new Set(rrs.map((r) => r.type)).size;
    for (const n of names.values()) {
      const hasNew = n.neu >= 0;
      if (n.old >= 0 && hasNew && sameRecords(base, n.base, mNew, n.neu)) continue;
      const text = wireToText(n.wire);
      const was = n.old >= 0 ? entryRRs(base, n.base, text) : [];
      const now = hasNew ? entryRRs(mNew, n.neu, text) : [];
      const had = new Set(was.map((r) => r.type + ' ' + r.data)), has = new Set(now.map((r) => r.type + ' ' + r.data));
      for (const r of was) if (!has.has(r.type + ' ' + r.data)) { removed.push(r); delta.records--; delta[r.type]--; }
      for (const r of now) if (!had.has(r.type + ' ' + r.data)) { added.push(r); delta.records++; delta[r.type]++; }
      delta.names += types(now) - types(was);
      data.set(n.key, hasNew);
      const existed = existsNow(n.key, n.wire);
      if (hasNew) {
        edits.set(n.key, { name: n.wire, hash: n.hash, from: mNew, entry: n.neu });
        if (!existed) setExists(n.key, n.wire, true);
      } else if (n.key === this.apexKey || (this.children.get(n.key) ?? 0) > 0) {
        edits.set(n.key, { name: n.wire, hash: n.hash, from: 'ent', entry: -1 });
      } else {
        edits.set(n.key, { name: n.wire, hash: n.hash, from: null, entry: -1 });
        setExists(n.key, n.wire, false);
      }
    }
    // A block whose SRV target moves is written again, so that its target pointer follows.
    for (let more = true; more;) {
      more = false;
      for (const n of names.values()) {
        if (n.neu < 0 || edits.has(n.key)) continue;
        for (let i = 0, c = mNew.srvCount(n.neu); i < c; i++) {
          const t = mNew.srvTarget(n.neu, i);
          if (t === NO_ENTRY || !edits.has(wireKey(mNew.nameWire(t)))) continue;
          edits.set(n.key, { name: n.wire, hash: n.hash, from: mNew, entry: n.neu });
          more = true;
          break;
        }
      }
    }

    mark('compare');
    // 6. The new image: patched, or compacted when dead bytes pass their share.
    let image = base.buffer;
    let next = base;
    let compacted = false;
    const unused: (ArrayBuffer | SharedArrayBuffer)[] = [];
    if (edits.size) {
      const spares = base.buffer instanceof SharedArrayBuffer ? this.spares : undefined;
      const alloc: ImageAlloc | undefined = spares && ((bytes) => spares.take(bytes));
      const p = patchImage(base, [...edits.values()], alloc);
      if (p === null) { this.refused = 'table full'; return null; }
      image = p.buffer;
      next = new ZoneImage(image);
      unused.push(base.buffer);
      this.dead += p.freed;
      mark('patch');
      if (this.dead > next.size * COMPACT_SHARE) {
        const patched = image;
        image = compactImage(next, alloc);
        // The patch compacted at once was never published: no reader, so a spare straight away.
        if (spares) spares.give(patched as SharedArrayBuffer, true); else unused.push(patched);
        next = new ZoneImage(image);
        this.dead = 0;
        compacted = true;
        mark('compact');
      }
    }
    const dead = this.dead;
    this.base = next;
    this.prev = { state, params, hostIPs };
    for (const t of gone.keys()) this.unplace(t);
    for (const [t, w] of came) this.place(t, w, spec);
    const c = this.counts;
    c.tasks += gNew.draft.taskId.length - gOld.draft.taskId.length;
    c.names += delta.names; c.records += delta.records; c.A += delta.A; c.AAAA += delta.AAAA; c.SRV += delta.SRV;
    return {
      image, changes: { removed, added }, tasks: c.tasks, names: c.names, records: c.records, byType: { A: c.A, AAAA: c.AAAA, SRV: c.SRV },
      stats: { edits: edits.size, tasks: oldTasks.size + newTasks.size, compacted, dead }, unused,
      warnings: gNew.warnings,
    };
  }
}
