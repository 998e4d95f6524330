// A ZoneSnapshot read straight from generated RecordSet maps. Used where the records are already
// on this thread (tests, the HTTP API before the binary image is wired); lookups are by lower-case
// name, because the legacy raw DiscoveryInfo names may carry upper case.
import type { Enumeration, RecordSet } from '../records/types.js';
import type { AxfrRecords, SrvTarget, ZoneSnapshot } from './types.js';
import { goIndent } from '../http/json.js';

function lowerIndex(m: Map<string, Set<string>>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [name, values] of m) {
    const k = name.toLowerCase();
    const prev = out.get(k);
    if (prev) { for (const v of values) if (!prev.includes(v)) prev.push(v); }
    else out.set(k, [...values]);
  }
  return out;
}

function sortedObject(m: Map<string, Set<string>>): Record<string, string[]> {
  const o: Record<string, string[]> = {};
  for (const name of [...m.keys()].sort()) o[name] = [...m.get(name)!];
  return o;
}

export class MapSnapshot implements ZoneSnapshot {
  private readonly a: Map<string, string[]>;
  private readonly aaaa: Map<string, string[]>;
  private readonly srv: Map<string, string[]>;
  private enumBody: string | undefined;

  constructor(
    private readonly records: RecordSet,
    private readonly enumeration: Enumeration,
    readonly serial: number,
  ) {
    this.a = lowerIndex(records.A);
    this.aaaa = lowerIndex(records.AAAA);
    this.srv = lowerIndex(records.SRV);
  }

  addresses(name: string): { A: string[]; AAAA: string[] } {
    return { A: this.a.get(name) ?? [], AAAA: this.aaaa.get(name) ?? [] };
  }

  services(name: string): SrvTarget[] {
    const out: SrvTarget[] = [];
    for (const v of this.srv.get(name) ?? []) {
      const i = v.lastIndexOf(':');
      out.push({ target: v.slice(0, i), port: Number(v.slice(i + 1)) });
    }
    return out;
  }

  axfr(): AxfrRecords {
    return { As: sortedObject(this.records.A), AAAAs: sortedObject(this.records.AAAA), SRVs: sortedObject(this.records.SRV) };
  }

  enumerationBody(): string {
    return (this.enumBody ??= goIndent(this.enumeration));
  }
}
