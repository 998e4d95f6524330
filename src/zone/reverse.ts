// The reverse names of one zone version (PTROn): PTR owner → target, built on the answering
// thread from the worker's sorted pairs (records/ptr.ts) once per new zone, and swapped whole
// like the image. Kept apart from the image: PTR is opt-in, reverse names live outside the
// domain, and the image format stays what the hot path reads. Keys are lower-case wire names
// as latin1 strings, which is what a parsed query already holds (its `lname`): a lookup costs
// no name conversion. Configured reverse zones (PTRZones) add their empty non-terminals, so a
// name between the apex and a PTR owner is NODATA there, as in any zone, not NXDOMAIN.
import { inDomain, nameToWire } from '../wire/name.js';

const key = (w: Uint8Array) => Buffer.from(w.buffer, w.byteOffset, w.byteLength).toString('latin1');

export class ReverseZone {
  private readonly targets = new Map<string, Uint8Array>();
  private readonly ents = new Set<string>();
  /** Owners (lower-case wire) in the worker's order (sorted by presentation name), with their targets. */
  readonly records: { owner: Uint8Array; target: Uint8Array }[] = [];
  /** The configured zones, lower-case wire, longest first (the most specific zone wins). */
  readonly zones: Uint8Array[];

  /**
   * `pairs`: owner, target, owner, target… (presentation, trailing dot), kept as given (the
   * answering threads are sent them, threads/pool.ts); `zones`: PTRZones.
   */
  constructor(readonly pairs: readonly string[], zones: readonly string[]) {
    this.zones = zones.map((z) => nameToWire(z, true)!).sort((a, b) => b.length - a.length);
    for (let i = 0; i + 1 < pairs.length; i += 2) {
      const owner = nameToWire(pairs[i], true), target = nameToWire(pairs[i + 1], true);
      if (!owner || !target) continue;
      this.records.push({ owner, target });
      this.targets.set(key(owner), target);
      const z = this.zoneOf(owner);
      if (!z) continue;
      // Every suffix strictly between the owner and its zone's apex.
      for (let p = owner[0] + 1; owner.length - p > z.length; p += owner[p] + 1) this.ents.add(key(owner.subarray(p)));
    }
  }

  get size(): number { return this.records.length; }

  /** The PTR target (wire) of a lower-case wire name, or undefined. */
  target(lname: Uint8Array): Uint8Array | undefined { return this.targets.get(key(lname)); }

  /** An empty non-terminal of a configured zone. */
  isEmptyNonTerminal(lname: Uint8Array): boolean { return this.ents.has(key(lname)); }

  /** The configured zone a lower-case wire name is in (the apex included), or null. */
  zoneOf(lname: Uint8Array): Uint8Array | null {
    for (const z of this.zones) if (inDomain(lname, z)) return z;
    return null;
  }

  /** The configured zone whose apex is exactly this name, or null. */
  apex(lname: Uint8Array): Uint8Array | null {
    for (const z of this.zones) if (z.length === lname.length && inDomain(lname, z)) return z;
    return null;
  }
}

