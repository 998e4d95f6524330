// The read side of a zone snapshot, as the HTTP API sees it. The DNS answerer reads the same
// snapshot through its binary image (zone/image.ts); this interface is the decoded view.
// A snapshot is immutable: a refresh builds a new one and swaps it in whole.

export interface SrvTarget { target: string; port: number }

export interface AxfrRecords {
  As: Record<string, string[]>;
  AAAAs: Record<string, string[]>;
  SRVs: Record<string, string[]>;
}

export interface ZoneSnapshot {
  /** SOA serial of this content. */
  readonly serial: number;
  /** A and AAAA values of a name (lower-case FQDN with trailing dot). */
  addresses(name: string): { A: string[]; AAAA: string[] };
  /** SRV values of a name (lower-case FQDN with trailing dot). */
  services(name: string): SrvTarget[];
  /** Every record, names sorted (for /v1/axfr). Names as generated. */
  axfr(): AxfrRecords;
  /** `/v1/enumerate` body, already pretty-printed the original's way. */
  enumerationBody(): string;
}
