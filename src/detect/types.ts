// The detector contract, in its own file so the ZooKeeper and static implementations can share it
// without importing the factory (index.ts), which imports them.

/** Where the current masters list came from; shown by /v1/config and the refresh log line. */
export type MastersSource = 'zookeeper' | 'static' | 'static-fallback';

export interface MastersUpdate {
  /** Leader first; "" = leader unknown. Entries are `ip:port` / `[v6]:port`. */
  masters: string[];
  source: MastersSource;
}

export interface MasterDetector {
  /** Begin detecting; `onChange` gets every change of the list (bursts coalesced). */
  start(onChange: (u: MastersUpdate) => void): void;
  /** The list as it stands now (a copy). */
  current(): MastersUpdate;
  /** Stop watching and release connections; no onChange after it resolves. */
  close(): Promise<void>;
}
