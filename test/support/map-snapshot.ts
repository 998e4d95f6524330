// A ZoneSnapshot read straight from generated RecordSet maps, for tests of the HTTP API that start
// from the records rather than from a built zone (moved out of src/zone: nothing in the server uses
// it). Lookups are by lower-case name, because the legacy raw DiscoveryInfo names may carry upper case.
import type { Enumeration, RecordSet } from '../../src/records/types.js';
import type { AxfrHead, SrvTarget, ZoneSnapshot } from '../../src/zone/types.js';
import { renderAxfr, renderEnumeration } from '../../src/zone/render.js';

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

export class MapSnapshot implements ZoneSnapshot {
  private readonly a: Map<string, string[]>;
  private readonly aaaa: Map<string, string[]>;
  private readonly srv: Map<string, string[]>;

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

  axfrBody(head: AxfrHead): string { return renderAxfr(this.records, head); }
  enumerationBody(): string { return renderEnumeration(this.enumeration); }
}
