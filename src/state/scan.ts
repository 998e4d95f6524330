// The master's state bytes → the validated State, without building the JSON document. Why: at
// 50k tasks the body is 54 MB, and JSON.parse turned it into ~300 MB of objects that record
// generation never reads (resources, executors, labels, uuids...): 0.45 s to parse, ~0.3 s more
// to walk with parseState, a third of the refresh spent collecting that garbage, and a build
// worker whose heap stayed at that high-water mark. This reads the few fields we use straight from
// the bytes and steps over the rest.
//
// Equivalence with `parseState(JSON.parse(body))` is by construction, not by re-implementing
// every tolerance: the fast path handles an entity (slave, framework, task) only in its common
// shape (exact key spellings, each key once, the expected types, nothing to warn about). Anything
// else throws IRREGULAR, and that one entity is decoded with JSON.parse and handed to parse.ts's
// own entity parser, which skips it or keeps it with exactly the warnings it always gave. Bytes
// that are not JSON anywhere (also in the parts we step over) make the whole body go through
// parseBody, which rejects it with JSON.parse's message.
//
// With `lazyTasks` (the build worker's way) a framework's tasks are only checked and counted
// here, and read one by one while the records are generated (LazyTasks): each task's objects
// then die young, instead of ~1M objects living through the whole scan and generation, which
// the garbage collector marked and copied again and again (its threads took ~0.45 s of a 50k
// refresh on the one core the server has).
//
// Size (~540 lines, over the ~450 the layout aims for): one grammar, the Scanner class, over one
// document; its entity readers share the cursor and the IRREGULAR contract, so cutting them apart
// would spread one grammar over files. The byte-level JSON reader under it is already its own
// module (state/json-bytes.ts).
import {
  MAX_DISCOVERY_PORTS, MAX_IP_ADDRESSES, MAX_LABEL_CHARS, MAX_NETWORK_INFOS, MAX_STATUS_LABELS,
  MAX_PORT_RANGES, MAX_TASK_PORTS, MAX_TASK_STATUSES, MAX_AGENTS, MAX_FRAMEWORKS, MAX_TASKS, overLimit, type TaskBudget,
} from './limits.js';
import { parsePID } from './pid.js';
import { enc, IRREGULAR, JsonBytes, OTHER, Syntax, type Bytes } from './json-bytes.js';
import { parsePorts } from './ports.js';
import {
  leaderOf, parseFrameworkEntry, parseSlaveEntry, parseState, parseTaskEntry, tasksOverLimit, type ParseResult,
} from './parse.js';
import type {
  DiscoveryInfo, DiscoveryPort, FrameworkView, Label, NetworkInfo, PID, Slave, State, StateView, Task, TaskList,
  TaskStatus,
} from './types.js';


export interface ScannedState<S extends StateView = State> {
  result: ParseResult<S>;
  /** The top-level `leader` when it is a string, else "" (what the state client checks). */
  leader: string;
}

/** Keys of each object kind we read, in bit order (bit i = keys[i]). */
const TOP_KEYS = ['leader', 'slaves', 'frameworks'].map(enc);
const SLAVE_KEYS = ['id', 'pid'].map(enc);
const FW_KEYS = ['name', 'pid', 'hostname', 'tasks'].map(enc);
const TASK_KEYS = ['id', 'name', 'slave_id', 'state', 'resources', 'statuses', 'discovery'].map(enc);
const RES_KEYS = ['ports'].map(enc);
const STATUS_KEYS = ['state', 'timestamp', 'labels', 'container_status'].map(enc);
const LABEL_KEYS = ['key', 'value'].map(enc);
const CS_KEYS = ['network_infos'].map(enc);
const NI_KEYS = ['ip_addresses', 'ip_address'].map(enc);
const ADDR_KEYS = ['ip_address'].map(enc);
const DI_KEYS = ['name', 'ports'].map(enc);
const DIPORTS_KEYS = ['ports'].map(enc);
const DIPORT_KEYS = ['number', 'protocol', 'name'].map(enc);

/** Strings that repeat across tasks, returned without allocating a new one each time. */
const COMMON = ['TASK_RUNNING', 'TASK_STAGING', 'TASK_STARTING', 'TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_LOST', 'tcp', 'udp', ''];
const COMMON_BYTES = COMMON.map(enc);

/**
 * Parse the state bytes; throws (via parseBody's StateRejected) only when they are not JSON.
 * `lazyTasks`: the tasks of frameworks in the common shape are read when iterated (see the
 * module comment); the bytes must then stay unchanged while the state is in use, and the
 * warnings of those tasks join `result.warnings` when they are first iterated.
 */
export function scanState(body: Uint8Array, parseBody: (body: Uint8Array) => unknown): ScannedState;
export function scanState(body: Uint8Array, parseBody: (body: Uint8Array) => unknown, opts: { lazyTasks: boolean }): ScannedState<StateView>;
export function scanState(body: Uint8Array, parseBody: (body: Uint8Array) => unknown, opts = { lazyTasks: false }): ScannedState<StateView> {
  const buf = (Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength)) as Bytes;
  try {
    const fast = new Scanner(buf, opts.lazyTasks).state();
    if (fast !== null) return fast;
  } catch (e) {
    if (!(e instanceof Syntax)) throw e;
  }
  // Not JSON, or a top level out of the common shape (no leader, case-variant keys...): the exact
  // way, for the verdict and the messages.
  const raw = parseBody(buf);
  return { result: parseState(raw), leader: leaderOf(raw) };
}

/**
 * The state's grammar (which keys of which entity are read, and what is irregular) on top of the
 * byte-level JSON reader it extends (state/json-bytes.ts: cursor, typed values, keys, syntax).
 */
class Scanner extends JsonBytes {
  /** Where the value fast() last stepped over starts. */
  private skippedFrom = 0;
  /** Tasks the frameworks may still take (limits.ts MAX_TASKS), shared with parse.ts's fallback. */
  private readonly budget: TaskBudget = { left: MAX_TASKS, warned: false };

  constructor(b: Bytes, private readonly lazy = false) {
    super(b);
  }

  // ---------- the document ----------
  // Each entity below has its own reader, written out the same way (firstKey, known, a branch per
  // key, nextMember), and `duplicates` pairs them by shape. They stay apart on purpose: one
  // generic "object of known keys" reader would call a callback for every member of every task,
  // the innermost loop of a refresh (380k names at 50k tasks); written out, each branch is
  // inlined and stores straight into locals.

  /** The state, or null when the top level is not in the common shape. */
  state(): ScannedState<StateView> | null {
    this.ws();
    if (this.b[this.p] !== 0x7b) { this.skipValue(); this.end(); return null; }
    this.p++;
    let seen = 0;
    let leader = '';
    const slaves: Slave[] = [];
    const frameworks: FrameworkView[] = [];
    const slaveWarnings: string[] = [];
    /** Per framework element, its warnings: a lazy task list adds its own when first read. */
    const fwWarnings: string[][] = [];
    let irregular = false;
    if (this.firstKey(0x7d)) {
      do {
        const k = this.key(TOP_KEYS);
        if (k === OTHER) { this.skipValue(); continue; }
        if (k < 0 || (seen & (1 << k)) !== 0) { irregular = true; this.skipValue(); continue; }
        seen |= 1 << k;
        if (k === 0) {
          if (this.peek() !== 0x22) { irregular = true; this.skipValue(); continue; }
          leader = this.string();
        } else if (this.peek() !== 0x5b) {
          irregular = true; this.skipValue();
        } else if (k === 1) {
          let i = 0;
          if (this.elements()) do {
            if (i >= MAX_AGENTS) { this.skipValue(); i++; continue; }
            const s = this.fast(this.slave) ?? parseSlaveEntry(this.skipped(), i, slaveWarnings);
            if (s !== null) slaves.push(s);
            i++;
          } while (this.more());
          if (i > MAX_AGENTS) slaveWarnings.push(overLimit('slaves', i - MAX_AGENTS, MAX_AGENTS));
        } else {
          let i = 0;
          if (this.elements()) do {
            if (i >= MAX_FRAMEWORKS) { this.skipValue(); i++; continue; }
            const w: string[] = [];
            fwWarnings.push(w);
            const { left, warned } = this.budget;
            // the slow way takes its tasks from the budget as it was before the fast try
            const f = this.fast(() => this.framework(w)) ?? parseFrameworkEntry(this.skipped(), i, w, Object.assign(this.budget, { left, warned }));
            if (f !== null) frameworks.push(f);
            i++;
          } while (this.more());
          if (i > MAX_FRAMEWORKS) fwWarnings.push([overLimit('frameworks', i - MAX_FRAMEWORKS, MAX_FRAMEWORKS)]);
        }
      } while (this.nextMember(0x7d));
    }
    this.end();
    if (irregular || leader === '' || typeof parsePID(leader, 'leader') === 'string') return null;
    const state = { leader, slaves, frameworks };
    const all = () => slaveWarnings.concat(...fwWarnings);
    if (!this.lazy) return { result: { state, warnings: all() }, leader };
    return { result: { state, get warnings() { return all(); } }, leader };
  }

  /**
   * The value at the cursor read by `read` (the fast path), or null when it is not in the
   * common shape: then it is stepped over, its bytes from `skippedFrom` to the cursor, for
   * skipped() or a later JSON.parse.
   */
  private fast<T>(read: (this: Scanner) => T): T | null {
    this.ws();
    const start = this.p;
    try {
      return read.call(this);
    } catch (e) {
      if (e !== IRREGULAR) throw e;
    }
    this.p = start;
    this.skipValue();
    this.skippedFrom = start;
    return null;
  }

  /** The value fast() just stepped over, decoded by JSON.parse for parse.ts's entity parsers. */
  private skipped(): unknown {
    return JSON.parse(this.b.utf8Slice(this.skippedFrom, this.p));
  }

  private slave(): Slave {
    this.open();
    let seen = 0;
    let id = '';
    let pid: PID | null = null;
    if (this.firstKey(0x7d)) {
      do {
        const k = this.known(SLAVE_KEYS, seen);
        if (k === OTHER) { this.skipValue(); continue; }
        seen |= 1 << k;
        if (k === 0) id = this.str();
        else pid = this.pid();
      } while (this.nextMember(0x7d));
    }
    if (id === '' || pid === null) throw IRREGULAR;
    return { id, pid };
  }

  private pid(): PID {
    const p = parsePID(this.str());
    if (typeof p === 'string') throw IRREGULAR;
    return p;
  }

  private framework(warnings: string[]): FrameworkView {
    this.open();
    let seen = 0;
    let name = '';
    let pid: PID | null = null;
    let hostname = '';
    let tasks: (Task | null)[] = [];
    /** Lazy: where the tasks array starts; its element count, and how many of them are read (MAX_TASKS). */
    let tasksAt = -1;
    let count = 0;
    let used = 0;
    /** Tasks the fast path left: element index → start offset, decoded once the name is known. */
    let slow: number[] | null = null;
    if (this.firstKey(0x7d)) {
      do {
        const k = this.known(FW_KEYS, seen);
        if (k === OTHER) { this.skipValue(); continue; }
        seen |= 1 << k;
        if (k === 0) name = this.str();
        else if (k === 1) pid = this.pid();
        else if (k === 2) hostname = this.str();
        else if (this.lazy) {
          this.ws();
          tasksAt = this.p;
          if (this.elements()) do { this.skipValue(); count++; } while (this.more());
          used = Math.min(count, this.budget.left);
        } else {
          const max = this.budget.left;
          let i = 0;
          if (this.elements()) do {
            if (i >= max) { this.skipValue(); i++; continue; }
            const t = this.fast(this.task);
            tasks.push(t);
            if (t === null) (slow ??= []).push(i, this.skippedFrom, this.p);
            i++;
          } while (this.more());
          count = i;
          used = Math.min(count, max);
        }
      } while (this.nextMember(0x7d));
    }
    this.budget.left -= used;
    /** Tasks ignored over MAX_TASKS, warned of here: only where the limit is first reached. */
    const over = used < count && !this.budget.warned ? count - used : 0;
    if (over > 0) this.budget.warned = true;
    if (slow !== null) {
      const fwLabel = JSON.stringify(name);
      const s: number[] = slow;
      for (let j = 0; j < s.length; j += 3) {
        tasks[s[j]] = parseTaskEntry(JSON.parse(this.b.utf8Slice(s[j + 1], s[j + 2])), s[j], fwLabel, warnings);
      }
      tasks = tasks.filter((t) => t !== null);
    }
    if (tasksAt >= 0 && used > 0) return { name, pid, hostname, tasks: new LazyTasks(this.b, tasksAt, used, over, JSON.stringify(name), warnings) };
    if (over > 0) warnings.push(tasksOverLimit(JSON.stringify(name), over));
    return { name, pid, hostname, tasks: tasks as Task[] };
  }

  /**
   * The tasks array at the cursor, one task at a time, as the eager framework() reads them:
   * the fast path, else that element decoded exactly (parseTaskEntry; warnings to `warnings`).
   */
  *taskElements(at: number, max: number, over: number, fwLabel: string, warnings: string[]): Generator<Task, void, undefined> {
    this.p = at;
    let i = 0;
    if (this.elements()) do {
      const t = this.fast(this.task);
      if (t !== null) yield t;
      else {
        const slow = parseTaskEntry(this.skipped(), i, fwLabel, warnings);
        if (slow !== null) yield slow;
      }
      i++;
    } while (i < max && this.more());
    if (over > 0) warnings.push(tasksOverLimit(fwLabel, over));
  }

  private task(): Task {
    this.open();
    let seen = 0;
    let id = '', name = '', slaveId = '', state = '';
    let ports: number[] = [];
    let statuses: TaskStatus[] = [];
    let discovery: DiscoveryInfo | null = null;
    if (this.firstKey(0x7d)) {
      do {
        const k = this.known(TASK_KEYS, seen);
        if (k === OTHER) { this.skipValue(); continue; }
        seen |= 1 << k;
        switch (k) {
          case 0: id = this.str(); break;
          case 1: name = this.str(); break;
          case 2: slaveId = this.str(); break;
          case 3: state = this.common(); break;
          case 4: ports = this.resources(); break;
          case 5: statuses = []; if (this.elements()) do statuses.push(this.status()); while (this.more() && this.under(statuses, MAX_TASK_STATUSES)); break;
          default: discovery = this.discovery();
        }
      } while (this.nextMember(0x7d));
    }
    if (id === '' || slaveId === '') throw IRREGULAR;
    return { id, name, slaveId, state, ports, statuses, discovery };
  }

  private resources(): number[] {
    if (this.nullable()) return [];
    let text = '';
    let ports: number[] = [];
    let seen = 0;
    if (this.firstKey(0x7d)) {
      do {
        const k = this.known(RES_KEYS, seen);
        if (k === OTHER) { this.skipValue(); continue; }
        seen |= 1;
        const fast = this.portRanges();
        if (fast !== null) ports = fast; else text = this.str(Infinity); // parsePorts bounds it
      } while (this.nextMember(0x7d));
    }
    if (text === '') return ports;
    const pr = parsePorts(text);
    if (pr.error !== undefined || pr.skipped.length > 0) throw IRREGULAR;
    return pr.ports;
  }

  private status(): TaskStatus {
    this.open();
    let seen = 0;
    let state = '';
    let timestamp = 0;
    let labels: Label[] = [];
    let networkInfos: NetworkInfo[] = [];
    if (this.firstKey(0x7d)) {
      do {
        const k = this.known(STATUS_KEYS, seen);
        if (k === OTHER) { this.skipValue(); continue; }
        seen |= 1 << k;
        if (k === 0) state = this.common();
        else if (k === 1) timestamp = this.num();
        else if (k === 2) { labels = []; if (this.elements()) do labels.push(this.label()); while (this.more() && this.under(labels, MAX_STATUS_LABELS)); }
        else networkInfos = this.containerStatus();
      } while (this.nextMember(0x7d));
    }
    return { state, timestamp, labels, networkInfos };
  }

  private label(): Label {
    this.open();
    let seen = 0;
    let key = '', value = '';
    if (this.firstKey(0x7d)) {
      do {
        const k = this.known(LABEL_KEYS, seen);
        if (k === OTHER) { this.skipValue(); continue; }
        seen |= 1 << k;
        if (k === 0) key = this.str(MAX_LABEL_CHARS); else value = this.str(MAX_LABEL_CHARS);
      } while (this.nextMember(0x7d));
    }
    return { key, value };
  }

  private containerStatus(): NetworkInfo[] {
    if (this.nullable()) return [];
    let out: NetworkInfo[] = [];
    let seen = 0;
    if (this.firstKey(0x7d)) {
      do {
        const k = this.known(CS_KEYS, seen);
        if (k === OTHER) { this.skipValue(); continue; }
        seen |= 1;
        out = [];
        if (this.elements()) do out.push(this.networkInfo()); while (this.more() && this.under(out, MAX_NETWORK_INFOS));
      } while (this.nextMember(0x7d));
    }
    return out;
  }

  private networkInfo(): NetworkInfo {
    this.open();
    let seen = 0;
    let ipAddresses: string[] = [];
    let ipAddress = '';
    if (this.firstKey(0x7d)) {
      do {
        const k = this.known(NI_KEYS, seen);
        if (k === OTHER) { this.skipValue(); continue; }
        seen |= 1 << k;
        if (k === 0) { ipAddresses = []; if (this.elements()) do ipAddresses.push(this.address()); while (this.more() && this.under(ipAddresses, MAX_IP_ADDRESSES)); }
        else ipAddress = this.str(MAX_LABEL_CHARS);
      } while (this.nextMember(0x7d));
    }
    return { ipAddresses, ipAddress };
  }

  private address(): string {
    this.open();
    let seen = 0;
    let ip = '';
    if (this.firstKey(0x7d)) {
      do {
        const k = this.known(ADDR_KEYS, seen);
        if (k === OTHER) { this.skipValue(); continue; }
        seen |= 1;
        ip = this.str(MAX_LABEL_CHARS);
      } while (this.nextMember(0x7d));
    }
    return ip;
  }

  private discovery(): DiscoveryInfo | null {
    if (this.nullable()) return null;
    let seen = 0;
    let name = '';
    let ports: DiscoveryPort[] = [];
    if (this.firstKey(0x7d)) {
      do {
        const k = this.known(DI_KEYS, seen);
        if (k === OTHER) { this.skipValue(); continue; }
        seen |= 1 << k;
        if (k === 0) name = this.str();
        else ports = this.discoveryPorts();
      } while (this.nextMember(0x7d));
    }
    return name === '' ? null : { name, ports };
  }

  private discoveryPorts(): DiscoveryPort[] {
    if (this.nullable()) return [];
    let out: DiscoveryPort[] = [];
    let seen = 0;
    if (this.firstKey(0x7d)) {
      do {
        const k = this.known(DIPORTS_KEYS, seen);
        if (k === OTHER) { this.skipValue(); continue; }
        seen |= 1;
        out = [];
        if (this.elements()) do out.push(this.discoveryPort()); while (this.more() && this.under(out, MAX_DISCOVERY_PORTS));
      } while (this.nextMember(0x7d));
    }
    return out;
  }

  private discoveryPort(): DiscoveryPort {
    this.open();
    let seen = 0;
    let number = 0, protocol = '', name = '';
    if (this.firstKey(0x7d)) {
      do {
        const k = this.known(DIPORT_KEYS, seen);
        if (k === OTHER) { this.skipValue(); continue; }
        seen |= 1 << k;
        if (k === 0) number = this.num();
        else if (k === 1) protocol = this.common();
        else name = this.str();
      } while (this.nextMember(0x7d));
    }
    // not an integer, or out of range (a warning): the exact path says which
    if (!Number.isInteger(number) || number < 0 || number > 65535) throw IRREGULAR;
    return { number, protocol, name };
  }

  // ---------- values only a Mesos state has ----------

  /** A string that is often one of COMMON: that instance, else a new string. */
  private common(): string {
    this.ws();
    const b = this.b;
    if (b[this.p] === 0x22) {
      const s = this.p + 1;
      let e = s;
      while (e < this.n && b[e] !== 0x22 && b[e] !== 0x5c) e++;
      if (b[e] === 0x22) {
        for (let i = 0; i < COMMON_BYTES.length; i++) {
          const w = COMMON_BYTES[i];
          if (w.length !== e - s) continue;
          let j = 0;
          while (j < w.length && b[s + j] === w[j]) j++;
          if (j === w.length) { this.p = e + 1; return COMMON[i]; }
        }
      }
    }
    return this.str();
  }

  /**
   * A `resources.ports` string in Mesos's own spelling ("[31000-31001, 31005-31005]") expanded
   * straight from the bytes; null (cursor unmoved) for anything else, which parsePorts reads.
   */
  private portRanges(): number[] | null {
    const b = this.b;
    let i = this.p;
    if (b[i] !== 0x22 || b[i + 1] !== 0x5b) return null;
    i += 2;
    const out: number[] = [];
    let ranges = 0;
    if (b[i] !== 0x5d) {
      for (;;) {
        if (++ranges > MAX_PORT_RANGES) return null;
        let lo = 0, hi = 0, n = 0;
        while (b[i] >= 0x30 && b[i] <= 0x39 && n < 6) { lo = lo * 10 + b[i++] - 0x30; n++; }
        if (n === 0 || n > 5 || b[i++] !== 0x2d) return null;
        n = 0;
        while (b[i] >= 0x30 && b[i] <= 0x39 && n < 6) { hi = hi * 10 + b[i++] - 0x30; n++; }
        if (n === 0 || n > 5 || hi > 65535) return null;
        // over the limit (limits.ts): parsePorts reads it and says so
        if (hi >= lo && out.length + (hi - lo + 1) > MAX_TASK_PORTS) return null;
        for (let q = lo; q <= hi; q++) out.push(q);
        if (b[i] === 0x5d) break;
        if (b[i] !== 0x2c || b[i + 1] !== 0x20) return null;
        i += 2;
      }
    }
    if (b[i + 1] !== 0x22) return null;
    this.p = i + 2;
    return out;
  }
}

/**
 * A framework's tasks, read from the state bytes each time they are iterated (a new scanner
 * each time; the array's syntax was checked when it was counted). Its warnings are given once.
 */
class LazyTasks implements TaskList {
  private warned = false;
  /** `length` elements are read; `over` more (over MAX_TASKS) are ignored with a warning. */
  constructor(
    private readonly b: Bytes, private readonly at: number, readonly length: number, private readonly over: number,
    private readonly fwLabel: string, private readonly warnings: string[],
  ) {}

  [Symbol.iterator](): Iterator<Task> {
    const warnings = this.warned ? [] : this.warnings;
    this.warned = true;
    return new Scanner(this.b).taskElements(this.at, this.length, this.over, this.fwLabel, warnings);
  }
}
