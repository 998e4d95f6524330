// The recent history of the zone as change sets, for IXFR and the /v1/watch feed. Bounded by
// entries and by (estimated) bytes: a client whose serial fell out of it gets the whole zone,
// which is always correct (RFC 1995 §4), just bigger. A version published without a change set
// (the first one, or a full rebuild whose diff was not computed) breaks the chain: nothing before
// it can be replayed, so the journal starts again from it.
import type { RR, ZoneChangeSet } from '../zone/changes.js';

const RR_OVERHEAD = 48;
const rrBytes = (rr: RR) => RR_OVERHEAD + rr.name.length + rr.data.length;
const key = (rr: RR) => `${rr.name} ${rr.type} ${rr.data}`;

export function changeSetBytes(cs: ZoneChangeSet): number {
  let n = 64;
  for (const r of cs.removed) n += rrBytes(r);
  for (const r of cs.added) n += rrBytes(r);
  return n;
}

/** The net effect of change sets applied in order: what one removal and one addition list would do. */
export function condense(sets: readonly { removed: RR[]; added: RR[] }[]): { removed: RR[]; added: RR[] } {
  const removed = new Map<string, RR>(), added = new Map<string, RR>();
  for (const cs of sets) {
    for (const r of cs.removed) { const k = key(r); if (!added.delete(k)) removed.set(k, r); }
    for (const r of cs.added) { const k = key(r); if (!removed.delete(k)) added.set(k, r); }
  }
  return { removed: [...removed.values()], added: [...added.values()] };
}

interface Entry { cs: ZoneChangeSet; bytes: number; line: string }

export class Journal {
  private sets: Entry[] = [];
  private bytes = 0;
  /** Serial of the newest version recorded (the chain's end); null before the first. */
  private last: number | null = null;

  constructor(private readonly maxBytes: number, private readonly maxEntries = 1024) {}

  /**
   * A new version was published: with its change set, or null when none was computed. `line` is
   * the change set as the /v1/watch feed shows it (rendered once, kept with it for late watchers).
   */
  record(serial: number, cs: ZoneChangeSet | null, line = ''): void {
    if (!cs || cs.toSerial !== serial || this.last === null || cs.fromSerial !== this.last) {
      this.sets = []; this.bytes = 0;
    } else {
      const bytes = changeSetBytes(cs) + line.length;
      if (bytes <= this.maxBytes) {
        this.sets.push({ cs, bytes, line });
        this.bytes += bytes;
        while (this.sets.length > this.maxEntries || this.bytes > this.maxBytes) this.bytes -= this.sets.shift()!.bytes;
      } else { this.sets = []; this.bytes = 0; }
    }
    this.last = serial;
  }

  /** The entries after `serial`, oldest first, or null when `serial` is not in the journal's reach. */
  private entriesSince(serial: number): Entry[] | null {
    if (serial === this.last) return [];
    const at = this.sets.findIndex((s) => s.cs.fromSerial === serial);
    return at < 0 ? null : this.sets.slice(at);
  }

  setsSince(serial: number): ZoneChangeSet[] | null { return this.entriesSince(serial)?.map((s) => s.cs) ?? null; }
  /** The feed lines after `serial` (see record), or null. */
  linesSince(serial: number): string[] | null { return this.entriesSince(serial)?.map((s) => s.line) ?? null; }

  /** The net difference from version `serial` to now (RFC 1995 §6: versions may be condensed), or null. */
  since(serial: number): { removed: RR[]; added: RR[] } | null {
    const sets = this.setsSince(serial);
    return sets ? condense(sets) : null;
  }

  get size(): { entries: number; bytes: number } { return { entries: this.sets.length, bytes: this.bytes }; }
}
