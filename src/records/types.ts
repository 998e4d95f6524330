import type { RecordDraft } from './draft.js';

// What record generation produces, in the original's terms: three maps (name → set of values), kept in
// insertion order because /v1/enumerate lists records in the order they were generated.
// Names are fully qualified with a trailing dot and stored exactly as built (the legacy raw
// DiscoveryInfo names may carry upper case); values are IP strings in canonical form for A/AAAA
// and "<target>:<port>" for SRV.

export interface RecordSet {
  A: Map<string, Set<string>>;
  AAAA: Map<string, Set<string>>;
  SRV: Map<string, Set<string>>;
}

export type RRType = 'A' | 'AAAA' | 'SRV';

export interface EnumRecord { name: string; host: string; rtype: RRType }
export interface EnumTask { name: string; id: string; records: EnumRecord[] | null }
export interface EnumFramework { tasks: EnumTask[]; name: string }
/** `/v1/enumerate` body (key order matters: tasks before name). */
export interface Enumeration { frameworks: EnumFramework[] | null }

/** The parts of the config record generation depends on. */
export interface GenerateOptions {
  domain: string;
  /** Normalised SOAMname (owner of the name-server record), e.g. "ns1.mesos.". */
  nsName: string;
  listener: string;
  enforceRFC952: boolean;
  ipSources: readonly string[];
  /** The masters list used for this refresh, leader first ("" = unknown leader). */
  masters: readonly string[];
  /** Addresses of non-loopback interfaces, used when listener is "0.0.0.0". */
  interfaceAddrs?: readonly string[];
}

/** What generate() returns: the compact draft; the maps and the enumeration on request. */
export class Generated {
  private rs: RecordSet | null = null;
  constructor(
    readonly draft: RecordDraft,
    /** One message per entity skipped or value not usable; logged by the caller. */
    readonly warnings: string[],
  ) {}

  /** The original's three maps (built on first use: tests, tools, /v1/axfr). */
  get records(): RecordSet { return (this.rs ??= this.draft.toRecordSet()); }
  get enumeration(): Enumeration { return this.draft.toEnumeration(); }
}
