// The read side of a zone snapshot, as the HTTP API sees it. The DNS answerer reads the same
// snapshot through its binary image (zone/image.ts); this interface is the decoded view.
// A snapshot is immutable: a refresh builds a new one and swaps it in whole. The two bulk
// bodies (axfr, enumerate) may be rendered elsewhere (the build worker) and so may be async.

export interface SrvTarget { target: string; port: number }

export interface AxfrRecords {
  As: Record<string, string[]>;
  AAAAs: Record<string, string[]>;
  SRVs: Record<string, string[]>;
}

/** The fields of /v1/axfr other than Records, in the original's order. */
export interface AxfrHead {
  TTL: number;
  Serial: number;
  RefreshSeconds: number;
  Mname: string;
  Rname: string;
  Domain: string;
}

export type Body = string | Uint8Array;

export interface ZoneSnapshot {
  /** SOA serial of this content. */
  readonly serial: number;
  /** A and AAAA values of a name (lower-case FQDN with trailing dot). */
  addresses(name: string): { A: string[]; AAAA: string[] };
  /** SRV values of a name (lower-case FQDN with trailing dot). */
  services(name: string): SrvTarget[];
  /** `/v1/axfr` body, pretty-printed the original's way: head fields then every record, names sorted. */
  axfrBody(head: AxfrHead): Body | Promise<Body>;
  /** `/v1/enumerate` body, pretty-printed the original's way. */
  enumerationBody(): Body | Promise<Body>;
  /**
   * Why this snapshot cannot give the two bulk bodies (the last-good file holds the image only,
   * not the records they are rendered from); undefined when it can.
   */
  readonly bulkUnavailable?: string;
}
