// The last-good snapshot (SnapshotFile), read before anything listens so that the first answers
// come from it. Apart from the server's flow because it is the one start-up step that can fail
// on its own (a missing, stale or corrupt file) without stopping the start.
import type { Config } from '../config/types.js';
import type { Logger } from '../log.js';
import { readLastGood } from '../zone/lastgood.js';
import { shareImage } from '../zone/image.js';
import { SerialPolicy } from '../zone/serial.js';
import { ImageSnapshot, type BodyRenderer } from '../zone/snapshot.js';
import { createAuthority } from '../dns/authority.js';
import type { Authority } from '../dns/answer.js';

export interface FromFile {
  serials: SerialPolicy;
  snapshot: ImageSnapshot;
  authority: Authority;
  /** Unix seconds the file's data was loaded from a master. */
  loadedAt: number;
}

/** The snapshot served from `config.SnapshotFile`, or null (none yet, or ignored with a warning). */
export function serveSnapshotFile(config: Config, lastSerial: number | undefined, threads: number, renderer: BodyRenderer, log: Logger): FromFile | null {
  const t0 = performance.now();
  try {
    const lg = readLastGood(config.SnapshotFile, config.Domain);
    if (lg) {
      // Persisted (contract "Serial"): the serial policy starts from it, so it never goes back.
      const serials = new SerialPolicy(Math.max(lg.serial, lastSerial ?? 0));
      const serial = serials.current;
      const snapshot = ImageSnapshot.fromFile(threads > 1 ? shareImage(lg.image) : lg.image, lg.contentHash, serial, renderer);
      const authority = createAuthority(config, snapshot.image, serial);
      const loadedAt = lg.time / 1000;
      log.info({ file: config.SnapshotFile, serial: serials.current, ageSeconds: Math.round(Date.now() / 1000 - loadedAt), bytes: lg.image.byteLength, ms: Math.round(performance.now() - t0) }, 'snapshot loaded');
      return { serials, snapshot, authority, loadedAt };
    } else {
      log.info({ file: config.SnapshotFile }, 'no snapshot file yet');
    }
  } catch (err) {
    log.warn({ file: config.SnapshotFile, reason: (err as Error).message }, 'snapshot ignored');
  }
  return null;
}
