// The configuration, in one place. Field names and their order are the original's Go struct
// (records.Config), because `/v1/config` prints them in exactly this order and operators'
// tooling reads them by these names. Keys added by this project come after the original ones.
// Settings (below) is what the loader makes of a Config: the values that need parsing or a file,
// parsed once.
import type { KeyObject } from 'node:crypto';
import type { Cidr } from '../net/cidr.js';
import type { ZkUrl } from './zkurl.js';

export interface MesosCredentials {
  Principal: string;
  Secret: string;
}

export interface Config {
  RefreshSeconds: number;
  Port: number;
  Timeout: number;
  StateTimeoutSeconds: number;
  ZkDetectionTimeout: number;
  HttpPort: number;
  TTL: number;
  SRVRecordDefaultWeight: number;
  SOASerial: number;
  SOARefresh: number;
  SOARetry: number;
  SOAExpire: number;
  SOAMinttl: number;
  /** Normalised: trailing dots stripped, one '.' appended, case kept. */
  SOAMname: string;
  /** Normalised: '@' → '.', trailing dots stripped, one '.' appended, case kept. */
  SOARname: string;
  /** `null` when not configured (the original prints null). */
  Masters: string[] | null;
  ZoneResolvers: Record<string, string[]>;
  /** Normalised to `ip:port` / `[v6]:port` when ExternalOn. */
  Resolvers: string[];
  IPSources: IPSource[];
  Zk: string;
  /** Lower-cased. */
  Domain: string;
  File: string;
  Listener: string;
  HTTPListener: string;
  RecurseOn: boolean;
  DnsOn: boolean;
  HttpOn: boolean;
  ExternalOn: boolean;
  EnforceRFC952: boolean;
  SetTruncateBit: boolean;
  EnumerationOn: boolean;
  MesosHTTPSOn: boolean;
  CACertFile: string;
  CertFile: string;
  KeyFile: string;
  MesosCredentials: MesosCredentials;
  IAMConfigFile: string;
  /** "" (none), "basic" or "iam". */
  MesosAuthentication: '' | 'basic' | 'iam';

  // ---- keys added by this project (not in the original) ----
  /** Cache forwarded answers. */
  CacheOn: boolean;
  /** Max number of cached forwarded answers. */
  CacheMaxEntries: number;
  /** Max total bytes of cached forwarded answers. */
  CacheMaxBytes: number;
  /** Cap on upstream queries in flight; past it clients get SERVFAIL at once. */
  ForwardMaxOutstanding: number;
  /** CIDRs of clients allowed to use forwarding (names outside Domain). */
  ForwardAllowFrom: string[];
  /** Longest TTL relayed or cached for a forwarded answer, in seconds (larger ones are lowered to it). */
  ForwardMaxTTL: number;
  /** Seconds of answering after SIGTERM/SIGINT with /ready at 503 before the listeners close. */
  ShutdownGraceSeconds: number;
  /** Last-good zone file ("" = off): written after each new zone, answered from at start. */
  SnapshotFile: string;
  /** /ready reports stale when the data is older than this (0 = never). */
  StaleAfterSeconds: number;
  /** CIDRs of clients allowed zone transfers (AXFR/IXFR); everyone else gets REFUSED. */
  TransferAllowFrom: string[];
  /** Secondaries ("ip:port") told of every serial change by a DNS NOTIFY. */
  NotifyTargets: string[];
  /** Bytes of recent change sets kept for IXFR and /v1/watch; older clients get a full transfer. */
  TransferJournalMaxBytes: number;
  /** Serve PTR records for task and agent addresses (records/ptr.ts). */
  PTROn: boolean;
  /** Reverse zones served whole (SOA, NS, NXDOMAIN, transfers), lower-case with the trailing dot; e.g. "10.in-addr.arpa.". */
  PTRZones: string[];
  /** Where the state comes from: the v1 event stream, polling `/master/state`, or the stream when the master has it. */
  StateSource: StateSource;
  /** After a master failover, how long agents not yet re-registered keep their records. */
  StreamRecoveryGraceSeconds: number;
  /** In stream mode, compare the model with a full state fetch this often (0 = never). */
  ReconcileSeconds: number;
  /**
   * Threads answering DNS, each with its own sockets on the port (SO_REUSEPORT; threads/pool.ts).
   * "auto": one per core, at most MAX_AUTO_ANSWER_THREADS, where the runtime can share the port;
   * 1 elsewhere (logged). A number above 1 on a runtime that cannot share the port is a start-up
   * error naming this key. Fixed for the process's life: a reload logs a change and keeps it.
   */
  AnswerThreads: number | 'auto';
}

export type StateSource = 'auto' | 'stream' | 'poll';
export const STATE_SOURCES: readonly StateSource[] = ['auto', 'stream', 'poll'];

export type IPSource = 'host' | 'docker' | 'mesos' | 'netinfo';

/**
 * How the state client and the stream subscriber reach the masters (state/auth.ts), read and
 * parsed at load: the TLS material as file contents, the IAM key as a KeyObject. Nothing reads
 * those files again, so a file edited after start-up (or a reload) cannot make the build worker
 * diverge from what was validated [A.19]. Structured-cloneable (a KeyObject posts to a worker).
 */
export interface MasterSettings {
  scheme: 'http' | 'https';
  /** undici `connect` options: no `ca` means any certificate (as the original). */
  tls: { ca?: string; cert?: string; key?: string; rejectUnauthorized: boolean };
  auth: MasterAuth;
}

export type MasterAuth =
  | { kind: 'none' }
  | { kind: 'basic'; principal: string; secret: string }
  | { kind: 'iam'; uid: string; loginEndpoint: string; key: KeyObject };

/**
 * The config parsed once (config/load.ts): `config` as loaded (what `/v1/config` prints, redacted)
 * and, beside it, the values consumers used to parse again each on its own: the ZooKeeper URL,
 * the allow-lists as networks, the master access with its files read. One object, cloneable, so
 * the build worker and the answering threads get it whole instead of re-reading files.
 */
export interface Settings {
  readonly config: Config;
  /** `Zk` parsed; null with static Masters. */
  readonly zk: ZkUrl | null;
  readonly forwardAllowFrom: readonly Cidr[];
  readonly transferAllowFrom: readonly Cidr[];
  readonly master: MasterSettings;
}

/** The part of Settings answering uses (an answering thread gets only this: no master credentials). */
export type AnswerSettings = Pick<Settings, 'config' | 'forwardAllowFrom' | 'transferAllowFrom'>;
