// Master detection: the one place that decides which masters the state loader asks. Two modes, as
// in the original: a static list from the config (`Zk` empty), or Mesos' own leader election
// read from ZooKeeper (zk.ts). Both hand out the same MastersUpdate so the main loop never cares
// which one runs, and the source travels with the list so operators can see it.
import type { Config, Settings } from '../config/types.js';
import type { Logger } from '../log.js';
import type { MasterDetector, MastersUpdate } from './types.js';
import type { ZkDetectorOptions } from './zk.js';
import type { ZkUrl } from '../config/zkurl.js';

export type { MasterDetector, MastersSource, MastersUpdate } from './types.js';
export { parseZkUrl, type ZkUrl, type ZkServer } from '../config/zkurl.js';
export type { ZkDetectorOptions } from './zk.js';

/** Static mode: the configured list, delivered once. */
class StaticMasterDetector implements MasterDetector {
  private closed = false;
  private readonly masters: string[];

  constructor(masters: readonly string[] | null) {
    this.masters = [...new Set((masters ?? []).filter((m) => m !== ''))];
  }

  start(onChange: (u: MastersUpdate) => void): void {
    // Asynchronous so the caller finishes its own set-up before the first reload starts.
    queueMicrotask(() => {
      if (!this.closed) onChange(this.current());
    });
  }

  current(): MastersUpdate {
    return { masters: [...this.masters], source: 'static' };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/**
 * ZooKeeper mode, with the client library (node-zookeeper-client and its dependencies, ~40 ms of
 * module loading) loaded when detection starts, not with the server: a static-masters server never
 * loads it, and a ZooKeeper one loads it after it listens. Until then the list is what the
 * ZooKeeper detector starts from: leader unknown, the configured masters as candidates.
 */
class LazyZkMasterDetector implements MasterDetector {
  private inner: MasterDetector | null = null;
  private closed = false;

  constructor(private readonly url: ZkUrl, private readonly config: Config, private readonly log: Logger, private readonly options: ZkDetectorOptions) {}

  start(onChange: (u: MastersUpdate) => void): void {
    void import('./zk.js').then(({ ZkMasterDetector }) => {
      if (this.closed || this.inner) return;
      this.inner = new ZkMasterDetector(this.url, this.config, this.log, this.options);
      this.inner.start(onChange);
    });
  }

  current(): MastersUpdate {
    return this.inner?.current() ?? { masters: ['', ...new Set((this.config.Masters ?? []).filter((m) => m !== ''))], source: 'zookeeper' };
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.inner?.close();
  }
}

/**
 * `options` is for tests (shorter sessions, debounce); production uses the defaults. The `Zk` URL
 * comes parsed with the settings (config/load.ts), so a malformed one stopped the process before
 * anything listened.
 */
export function createMasterDetector(settings: Pick<Settings, 'config' | 'zk'>, log: Logger, options: ZkDetectorOptions = {}): MasterDetector {
  if (settings.zk === null) return new StaticMasterDetector(settings.config.Masters);
  return new LazyZkMasterDetector(settings.zk, settings.config, log, options);
}
