// What the server's parts share: the settings, the zone served and what answers from it, the
// listeners and the state source in use. One mutable record that server.ts makes and hands to
// each part (publish, source, listeners, reload, shutdown), so that a part sees another's change
// at once, as the one closure they were written in did.
import os from 'node:os';
import type { Config, Settings } from '../config/types.js';
import type { Logger } from '../log.js';
import type { MasterDetector } from '../detect/index.js';
import type { ZoneBuilder } from '../zone/builder.js';
import type { BodyRenderer, ImageSnapshot } from '../zone/snapshot.js';
import type { SerialPolicy } from '../zone/serial.js';
import type { ReverseZone } from '../zone/reverse.js';
import type { Authority } from '../dns/answer.js';
import type { ReverseAuthority } from '../dns/reverse.js';
import type { DnsServer } from '../dns/server.js';
import type { AnswerThreads } from '../threads/pool.js';
import type { ForwarderImpl } from '../forward/index.js';
import type { Xfr } from '../xfr/index.js';

export interface Live {
  readonly log: Logger;
  /** What the config was loaded into (config/load.ts); `config` is `settings.config`, kept apart for its many readers. */
  settings: Settings;
  config: Config;
  /** Answering threads; fixed for the process's life (a reload keeps it). */
  readonly threads: number;
  /** The build worker's log level: 2 trace, 1 debug, 0 otherwise. */
  readonly verbosity: number;
  serials: SerialPolicy;
  snapshot: ImageSnapshot | null;
  authority: Authority;
  // PTROn: the reverse names of the zone served (rebuilt when a build brings new ones) and their authority.
  reverseZone: ReverseZone | null;
  reverse: ReverseAuthority | null;
  /** With answering threads each forwards for itself (threads/pool.ts); this thread forwards nothing. */
  forwarder: ForwarderImpl | null;
  builder: ZoneBuilder;
  /** Builders replaced by a reload, closed once the zone they can render bodies for is gone. */
  readonly retiredBuilders: ZoneBuilder[];
  readonly renderer: BodyRenderer;
  detector: MasterDetector;
  readonly xfr: Xfr;
  /** What serves the names now: the master's event stream, or polling ("auto" resolves to one). */
  source: 'stream' | 'poll';
  ifAddrs: string[];
  /** Unix seconds when the served data was loaded from a master. */
  loadedAt: number;
  byType: { A: number; AAAA: number; SRV: number };
  names: number;
  /** Serving the snapshot file: stale until the first load from a master replaces it. */
  fromFile: boolean;
  shuttingDown: boolean;
  closed: boolean;
  dns: DnsServer | null;
  /** The answering threads, when more than one answers; then `dns` stays null. */
  pool: AnswerThreads | null;
  http: { port: number; close(): Promise<void> } | null;
  /** Called with every zone version swapped in. */
  readonly listeners: Set<(v: ImageSnapshot) => void>;
}

export function interfaceAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (!a.internal) out.push(a.address.split('%')[0]);
  }
  return out;
}
