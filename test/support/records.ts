// A RecordDraft holding the records of the original's maps, for tests that start from maps rather
// than from generate() (no parent hints, names interned one by one). Moved out of records/draft.ts,
// where nothing in the server used it.
import { RecordDraft } from '../../src/records/draft.js';
import type { RecordSet, RRType } from '../../src/records/types.js';

const TYPES: readonly RRType[] = ['A', 'AAAA', 'SRV'];

export function draftFromRecordSet(rs: RecordSet): RecordDraft {
  const d = new RecordDraft();
  for (const type of TYPES) for (const [name, values] of rs[type]) for (const v of values) d.add(type, name, v);
  return d;
}
