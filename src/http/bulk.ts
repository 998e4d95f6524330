// Sending the two bulk bodies (/v1/axfr, /v1/enumerate: 100+ MB at 50k tasks). A body is rendered
// once per zone version and shared (zone/snapshot.ts); here each response writes that shared
// buffer in slices, each slice only after the client has taken the previous ones ('drain'), so a
// client that reads slowly costs a socket buffer, not a copy of the body. A client that stops
// reading is dropped after the write deadline, and only a few bulk responses run at once: the
// rest are told to come back (503 + Retry-After) instead of queueing memory and CPU.
import type { ServerResponse } from 'node:http';

/** Bulk responses in progress at once (rendering or sending); each may hold a 100+ MB body. */
export const HTTP_MAX_BULK_RESPONSES = 4;
/** A client that takes none of a bulk body for this long is not reading: drop it. */
export const HTTP_WRITE_DEADLINE_MS = 10_000;
/** Seconds a refused bulk request is asked to wait (Retry-After). */
export const HTTP_BULK_RETRY_AFTER_S = 5;
/** Slice written per step: large enough to keep a fast reader busy, small next to the body. */
const SLICE = 64 * 1024;

export interface BulkGate {
  /** A slot for one bulk response, or null when all are taken; call the result when done. */
  acquire(): (() => void) | null;
  readonly inUse: number;
}

export function createBulkGate(max = HTTP_MAX_BULK_RESPONSES): BulkGate {
  let inUse = 0;
  return {
    acquire() {
      if (inUse >= max) return null;
      inUse++;
      let released = false;
      return () => { if (!released) { released = true; inUse--; } };
    },
    get inUse() { return inUse; },
  };
}

/**
 * Write `body` to `res` (headers already set) slice by slice, waiting for 'drain' whenever the
 * socket's buffer is full. Resolves when the body is written or the response is gone; a wait for
 * 'drain' longer than `deadlineMs` destroys the response.
 */
export function writeSliced(res: ServerResponse, body: Uint8Array, deadlineMs = HTTP_WRITE_DEADLINE_MS): Promise<void> {
  return new Promise((resolve) => {
    let off = 0;
    let timer: NodeJS.Timeout | null = null;
    const finish = (): void => {
      if (timer) clearTimeout(timer);
      res.off('drain', step);
      res.off('close', finish);
      resolve();
    };
    const step = (): void => {
      if (timer) { clearTimeout(timer); timer = null; }
      while (off < body.byteLength) {
        if (res.destroyed) { finish(); return; }
        const end = Math.min(off + SLICE, body.byteLength);
        const ok = res.write(body.subarray(off, end));
        off = end;
        if (!ok) {
          timer = setTimeout(() => { res.destroy(); finish(); }, deadlineMs);
          return; // continue on 'drain'
        }
      }
      res.end();
      finish();
    };
    res.on('drain', step);
    res.on('close', finish);
    step();
  });
}
