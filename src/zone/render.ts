// The two bulk HTTP bodies, rendered from generated records. Kept apart from answering because
// at 50k tasks they are 100+ MB of text: they are produced only when someone asks, in the build
// worker that still holds the records, never on a refresh and never on the answering thread.
import type { Enumeration, RecordSet } from '../records/types.js';
import type { AxfrHead, AxfrRecords } from './types.js';
import { goIndent } from './go-json.js';

function sortedObject(m: Map<string, Set<string>>): Record<string, string[]> {
  const o: Record<string, string[]> = {};
  for (const name of [...m.keys()].sort()) o[name] = [...m.get(name)!];
  return o;
}

export function axfrRecords(r: RecordSet): AxfrRecords {
  return { As: sortedObject(r.A), AAAAs: sortedObject(r.AAAA), SRVs: sortedObject(r.SRV) };
}

export function renderAxfr(r: RecordSet, head: AxfrHead): string {
  return goIndent({ ...head, Records: axfrRecords(r) });
}

export function renderEnumeration(e: Enumeration): string {
  return goIndent(e);
}
