// Accumulates the three record maps with the original's set semantics (SPEC §7.1): a repeated
// (name, value) pair is a no-op and an empty value is never stored. `add` reports whether the pair
// was new, because /v1/enumerate lists only the records a task newly added.
import type { RecordSet, RRType } from './types.js';

export class RecordBuilder {
  readonly records: RecordSet = { A: new Map(), AAAA: new Map(), SRV: new Map() };

  /** Insert a pair; true when it was not present before. */
  add(type: RRType, name: string, value: string): boolean {
    if (value === '') return false;
    const m = this.records[type];
    const set = m.get(name);
    if (set === undefined) {
      m.set(name, new Set([value]));
      return true;
    }
    if (set.has(value)) return false;
    set.add(value);
    return true;
  }
}
