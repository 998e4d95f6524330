// The generated records in compact form: names interned once, values kept as numbers in typed
// arrays (an IPv4 address as its 32-bit value, an SRV value as target-name id × 65536 + port),
// the per-task "newly added" lists of /v1/enumerate as node indices. Why: at 50k tasks the
// original's shape (maps of sets of strings, one object per enumerated record) meant ~1.5M small
// allocations per refresh, and garbage collection was 40% of the refresh; this keeps the same set
// semantics ([B§7.1]: a repeated (name, value) pair is a no-op, names compared as spelled) with
// a few growing arrays; the names themselves are bytes in a NameTable (names.ts). The maps and
// the enumeration objects are still available (toRecordSet, toEnumeration) for the bulk HTTP
// bodies and for tests.
import type { Enumeration, EnumFramework, EnumRecord, RecordSet, RRType } from './types.js';
import { ipv4Text, ipv4Value, type ParsedIP } from '../net/ip.js';
import { F_UPPER, F_WIDE, NameTable, type NamesTransfer } from './names.js';

export const T_A = 0;
export const T_AAAA = 1;
export const T_SRV = 2;
/**
 * Value lists per name, one per type above (TYPES below names them in the same order): the list
 * of (name, type) is name * TYPE_LISTS + type. A new type is one more index and one more here.
 */
export const TYPE_LISTS = 3;
const TYPES: readonly RRType[] = ['A', 'AAAA', 'SRV'];
/** A value list longer than this is de-duplicated through `bigSlots` instead of a scan. */
const SCAN_MAX = 8;

/** Hash of a (list, value key) pair; a key is an integer below 2^53 or a negative string ref. */
function pairHash(list: number, key: number): number {
  const h = Math.imul(list ^ (key | 0), 0x9e3779b1) ^ Math.imul((key / 4294967296) | 0, 0x85ebca6b);
  return h ^ (h >>> 15);
}

function grow<T extends Int32Array | Float64Array | Uint8Array>(a: T, need: number): T {
  if (need <= a.length) return a;
  let n = a.length * 2;
  while (n < need) n *= 2;
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

/** RecordDraft.toTransfer()'s output: plain typed arrays, so it can be posted between threads. */
export interface DraftTransfer {
  names: NamesTransfer;
  counts: number[];
  nodeCount: number;
  text: Uint8Array;
  offsets: Uint32Array;
  head: Int32Array;
  nList: Int32Array;
  nVal: Float64Array;
  nNext: Int32Array;
  taskFw: Int32Array;
  taskStart: Int32Array;
  taskNodes: Int32Array;
}

/** The buffers to list when posting a DraftTransfer with transfer (zero copy). */
export function transferList(t: DraftTransfer): ArrayBuffer[] {
  const n = t.names;
  return [n.bytes, n.off, n.flags, n.wideIds, t.text, t.offsets, t.head, t.nList, t.nVal, t.nNext, t.taskFw, t.taskStart, t.taskNodes].map((a) => a.buffer as ArrayBuffer);
}

export class RecordDraft {
  /** Every interned name, exactly as spelled (fully qualified, trailing dot). */
  names: NameTable;
  /** Per (name × TYPE_LISTS + type): first and last node of its value list (-1: none), and its length. */
  private head: Int32Array<ArrayBufferLike>;
  private tail: Int32Array<ArrayBufferLike>;
  private count: Int32Array<ArrayBufferLike>;
  /**
   * The nodes of lists longer than SCAN_MAX, by (list, value) (open addressing: node + 1, 0 =
   * empty, at most half full). One typed table rather than a Set per list: no heap objects.
   */
  private bigSlots = new Int32Array(0);
  private bigCount = 0;
  private parents: Int32Array<ArrayBufferLike>;
  /** Nodes: owner list (name × TYPE_LISTS + type), value key, next node of the same list. */
  private nList: Int32Array<ArrayBufferLike>;
  private nVal: Float64Array<ArrayBufferLike>;
  private nNext: Int32Array<ArrayBufferLike>;
  nodeCount = 0;
  /** Values that are not plain numbers (AAAA text, odd A/SRV strings), referred to as -(index + 1). */
  readonly strs: string[] = [];
  private readonly strIds = new Map<string, number>();

  // Enumeration: frameworks (raw names), tasks, and the nodes each task newly added.
  readonly fwNames: string[] = [];
  readonly taskFw: number[] = [];
  readonly taskName: string[] = [];
  readonly taskId: string[] = [];
  /** Start of each task's records in taskNodes (one more entry than tasks while a task is open). */
  private readonly taskStart: number[] = [];
  private taskNodes: Int32Array<ArrayBufferLike>;
  private taskNodeCount = 0;
  private open = false;

  /** `names`, `nodes`: expected sizes (a size known up front saves growing and copying arrays). */
  constructor(names = 1024, nodes = 4096) {
    this.names = new NameTable(names, names * 48);
    this.head = new Int32Array(names * TYPE_LISTS).fill(-1);
    this.tail = new Int32Array(names * TYPE_LISTS);
    this.count = new Int32Array(names * TYPE_LISTS);
    this.parents = new Int32Array(names);
    this.nList = new Int32Array(nodes);
    this.nVal = new Float64Array(nodes);
    this.nNext = new Int32Array(nodes);
    this.taskNodes = new Int32Array(nodes);
  }

  /**
   * The draft as a few transferable buffers: the names' bytes, every other string joined into
   * one UTF-8 text with UTF-16 offsets, and the typed arrays trimmed to size. Why: the answering
   * thread keeps this (off the JS heap) for /v1/axfr and /v1/enumerate, so the long-lived build
   * worker (zone/builder.ts) keeps nothing of a refresh and gives its memory back after each one.
   */
  toTransfer(): DraftTransfer {
    const lists = [this.strs, this.fwNames, this.taskName, this.taskId];
    const counts = lists.map((l) => l.length);
    const all = ([] as string[]).concat(...lists);
    const offsets = new Uint32Array(all.length + 1);
    for (let i = 0, o = 0; i < all.length; i++) { o += all[i].length; offsets[i + 1] = o; }
    const text = Buffer.from(all.join(''), 'utf8');
    return {
      names: this.names.toTransfer(), counts, nodeCount: this.nodeCount,
      text: new Uint8Array(text.buffer.slice(text.byteOffset, text.byteOffset + text.byteLength)), offsets,
      head: this.head.slice(0, this.names.count * TYPE_LISTS), nList: this.nList.slice(0, this.nodeCount),
      nVal: this.nVal.slice(0, this.nodeCount), nNext: this.nNext.slice(0, this.nodeCount),
      taskFw: Int32Array.from(this.taskFw), taskStart: Int32Array.from(this.taskStart),
      taskNodes: this.taskNodes.slice(0, this.taskNodeCount),
    };
  }

  /** A read-only draft (enough for toRecordSet and toEnumeration) from toTransfer()'s output. */
  static fromTransfer(t: DraftTransfer): RecordDraft {
    const d = new RecordDraft(0, 0);
    d.names = NameTable.fromTransfer(t.names);
    const text = Buffer.from(t.text.buffer, t.text.byteOffset, t.text.byteLength).toString('utf8');
    const lists = [d.strs, d.fwNames, d.taskName, d.taskId];
    let k = 0;
    lists.forEach((list, j) => {
      for (let i = 0; i < t.counts[j]; i++, k++) list.push(text.slice(t.offsets[k], t.offsets[k + 1]));
    });
    d.head = t.head; d.nList = t.nList; d.nVal = t.nVal; d.nNext = t.nNext; d.nodeCount = t.nodeCount;
    for (const x of t.taskFw) d.taskFw.push(x);
    for (const x of t.taskStart) d.taskStart.push(x);
    d.taskNodes = t.taskNodes; d.taskNodeCount = t.taskNodes.length;
    return d;
  }

  /**
   * Id of a name, interning it. `parent` is the id of the name one label up when the caller
   * knows it (ignored unless it is lower case): the image builder then finds the zone's empty
   * non-terminals without looking every name's parent up again.
   */
  id(name: string, parent = -1): number {
    this.names.begin();
    this.names.push(name);
    return this.end(parent);
  }

  /**
   * Building a name piece by piece (no string for the whole name is made): begin(), push() each
   * piece, then end(parent) returns its id as id() would.
   */
  begin(): void { this.names.begin(); }
  push(piece: string): void { this.names.push(piece); }
  end(parent = -1): number {
    const before = this.names.count;
    const i = this.names.end();
    if (i >= before) this.added(i, parent);
    return i;
  }

  /** Id of the name that is name `of` less its first `skip` characters, interning it (see id()). */
  suffixId(of: number, skip: number, parent = -1): number {
    const before = this.names.count;
    const i = this.names.idOfSuffix(of, this.names.off[of] + skip);
    if (i >= before) this.added(i, parent);
    return i;
  }

  /** Spelling of name i. */
  name(i: number): string { return this.names.name(i); }

  /** Name i was just interned. A parent spelled with upper case is not kept (see id()). */
  private added(i: number, parent: number): void {
    if (parent >= 0 && (this.names.flags[parent] & (F_UPPER | F_WIDE)) !== 0) parent = -1;
    if ((i + 1) * TYPE_LISTS > this.head.length) {
      const old = this.head.length;
      this.head = grow(this.head, (i + 1) * TYPE_LISTS);
      this.head.fill(-1, old);
      this.tail = grow(this.tail, (i + 1) * TYPE_LISTS);
      this.count = grow(this.count, (i + 1) * TYPE_LISTS);
      this.parents = grow(this.parents, i + 1);
    }
    this.parents[i] = parent;
  }

  /** Id of the name one label up, as given to id(); -1 when not known. */
  parentOf(name: number): number {
    return name < this.parents.length ? this.parents[name] : -1;
  }

  /** Id of a name if interned, else -1. */
  lookup(name: string): number {
    return this.names.lookup(name);
  }

  private strRef(s: string): number {
    let i = this.strIds.get(s);
    if (i === undefined) { i = this.strs.length; this.strs.push(s); this.strIds.set(s, i); }
    return -(i + 1);
  }

  /** Append value `key` to list (name, type) unless present; true when new. */
  private put(name: number, type: number, key: number): boolean {
    const list = name * TYPE_LISTS + type;
    const n = this.count[list];
    let slot = -1;
    if (n > SCAN_MAX) {
      slot = this.bigSlot(list, key);
      if (this.bigSlots[slot] !== 0) return false;
    } else {
      for (let k = this.head[list]; k >= 0; k = this.nNext[k]) if (this.nVal[k] === key) return false;
      if (n === SCAN_MAX) {
        for (let k = this.head[list]; k >= 0; k = this.nNext[k]) this.bigAdd(this.bigSlot(list, this.nVal[k]), k);
        slot = this.bigSlot(list, key);
      }
    }
    const node = this.nodeCount++;
    if (node >= this.nVal.length) {
      this.nList = grow(this.nList, node + 1);
      this.nVal = grow(this.nVal, node + 1);
      this.nNext = grow(this.nNext, node + 1);
    }
    this.nList[node] = list;
    this.nVal[node] = key;
    this.nNext[node] = -1;
    if (n === 0) this.head[list] = node; else this.nNext[this.tail[list]] = node;
    this.tail[list] = node;
    this.count[list] = n + 1;
    if (slot >= 0) this.bigAdd(slot, node);
    if (this.open) {
      if (this.taskNodeCount >= this.taskNodes.length) this.taskNodes = grow(this.taskNodes, this.taskNodeCount + 1);
      this.taskNodes[this.taskNodeCount++] = node;
    }
    return true;
  }

  /** Slot of (list, key) in bigSlots: the node holding it, or the empty slot where it goes. */
  private bigSlot(list: number, key: number): number {
    if ((this.bigCount + 1) * 2 > this.bigSlots.length) this.bigRehash();
    const slots = this.bigSlots, mask = slots.length - 1;
    let slot = pairHash(list, key) & mask;
    for (let v; (v = slots[slot]) !== 0; slot = (slot + 1) & mask) {
      if (this.nList[v - 1] === list && this.nVal[v - 1] === key) break;
    }
    return slot;
  }

  private bigAdd(slot: number, node: number): void {
    this.bigSlots[slot] = node + 1;
    this.bigCount++;
  }

  private bigRehash(): void {
    const old = this.bigSlots;
    const slots = new Int32Array(Math.max(1024, old.length * 2)), mask = slots.length - 1;
    for (const v of old) {
      if (v === 0) continue;
      let slot = pairHash(this.nList[v - 1], this.nVal[v - 1]) & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = v;
    }
    this.bigSlots = slots;
  }

  /** An address under a name: A or AAAA by family (a non-IP fallback string of family 4 goes to A). */
  addIP(name: number, ip: ParsedIP): boolean {
    if (ip.text === '') return false;
    if (ip.family === 6) return this.put(name, T_AAAA, this.strRef(ip.text));
    const v = ip.v4 ?? ipv4Value(ip.text);
    return this.put(name, T_A, v >= 0 ? v : this.strRef(ip.text));
  }

  addSRV(name: number, target: number, port: number): boolean {
    return this.put(name, T_SRV, target * 65536 + port);
  }

  /** The original's string form: add(type, name, value); true when the pair was new. */
  add(type: RRType, name: string, value: string): boolean {
    if (value === '') return false;
    const id = this.id(name);
    if (type === 'A') {
      const v = ipv4Value(value);
      return this.put(id, T_A, v >= 0 ? v : this.strRef(value));
    }
    if (type === 'AAAA') return this.put(id, T_AAAA, this.strRef(value));
    const c = value.lastIndexOf(':');
    const portText = value.slice(c + 1);
    const port = Number(portText);
    if (c > 0 && portText !== '' && port <= 65535 && String(port) === portText) {
      return this.put(id, T_SRV, this.id(value.slice(0, c)) * 65536 + port);
    }
    return this.put(id, T_SRV, this.strRef(value));
  }

  // ---- enumeration ----
  framework(rawName: string): void {
    this.fwNames.push(rawName);
  }

  beginTask(rawName: string, id: string): void {
    this.taskFw.push(this.fwNames.length - 1);
    this.taskName.push(rawName);
    this.taskId.push(id);
    this.taskStart.push(this.taskNodeCount);
    this.open = true;
  }

  endTask(): void {
    this.open = false;
  }

  // ---- reading ----
  /** First node of (name, type), or -1; follow with next(). */
  first(name: number, type: number): number { return this.head[name * TYPE_LISTS + type]; }
  next(node: number): number { return this.nNext[node]; }
  valueKey(node: number): number { return this.nVal[node]; }
  hasData(name: number): boolean {
    const b = name * TYPE_LISTS;
    return this.head[b + T_A] >= 0 || this.head[b + T_AAAA] >= 0 || this.head[b + T_SRV] >= 0;
  }
  /** Records by type (index T_A, T_AAAA, T_SRV): a list is name * TYPE_LISTS + type. */
  countByType(): [number, number, number] {
    const out: [number, number, number] = [0, 0, 0];
    for (let i = 0; i < this.nodeCount; i++) out[this.nList[i]! % TYPE_LISTS]++;
    return out;
  }
  /** Number of (name, type) pairs with values: the original's name count over its three maps. */
  listCount(): number {
    let n = 0;
    for (let i = 0; i < this.names.count * TYPE_LISTS; i++) if (this.head[i] >= 0) n++;
    return n;
  }

  /** A value as the original's string (`names`: the spelling of each name, see spellings()). */
  private valueText(type: number, key: number, names: string[]): string {
    if (key < 0) return this.strs[-key - 1];
    if (type === T_A) return ipv4Text(key);
    const t = Math.floor(key / 65536);
    return (names[t] ??= this.names.name(t)) + ':' + (key % 65536);
  }

  /** The original's three maps (names in first-seen order, values in insertion order). */
  toRecordSet(): RecordSet {
    const rs: RecordSet = { A: new Map(), AAAA: new Map(), SRV: new Map() };
    // Each name decoded once, though it is the target of several SRV values.
    const names: string[] = [];
    for (let i = 0; i < this.names.count; i++) {
      for (let t = 0; t < TYPE_LISTS; t++) {
        let k = this.head[i * TYPE_LISTS + t];
        if (k < 0) continue;
        const set = new Set<string>();
        for (; k >= 0; k = this.nNext[k]) set.add(this.valueText(t, this.nVal[k], names));
        rs[TYPES[t]].set(names[i] ??= this.names.name(i), set);
      }
    }
    return rs;
  }

  /** The /v1/enumerate document. */
  toEnumeration(): Enumeration {
    if (this.fwNames.length === 0) return { frameworks: null };
    const fws: EnumFramework[] = this.fwNames.map((name) => ({ tasks: [], name }));
    const names: string[] = [];
    for (let t = 0; t < this.taskName.length; t++) {
      const end = t + 1 < this.taskStart.length ? this.taskStart[t + 1] : this.taskNodeCount;
      let records: EnumRecord[] | null = null;
      for (let j = this.taskStart[t]; j < end; j++) {
        const node = this.taskNodes[j];
        const list = this.nList[node];
        const type = list % TYPE_LISTS;
        const i = (list - type) / TYPE_LISTS;
        (records ??= []).push({ name: names[i] ??= this.names.name(i), host: this.valueText(type, this.nVal[node], names), rtype: TYPES[type] });
      }
      fws[this.taskFw[t]].tasks.push({ name: this.taskName[t], id: this.taskId[t], records });
    }
    return { frameworks: fws };
  }
}
