// Shared image buffers that no reader uses any more, kept by the build worker to write the next
// stream version into (zone/patch.ts). Why: a patched version at 50k tasks is an 80 MiB image;
// in a fresh buffer every page is faulted in and, because V8 does not count a SharedArrayBuffer's
// memory towards any thread's heap, the old ones go only when every thread that saw them runs a
// major collection. Written into a buffer the answering thread gave back, a version costs a copy
// into warm pages and leaves nothing to collect: two or three buffers take turns.
//
// The immutable-snapshot rule holds because a buffer comes here only when the answering thread
// has swapped it out and its last reader has let go (ImageSnapshot.release, after any zone
// transfer's pin): nothing reads it while it is written again. Only with one answering thread:
// answering threads (threads/pool.ts) do not say when they let go, so their images are never
// given back (server.ts).

/** Room a new buffer gets beyond the image written into it: patches append (zone/patch.ts). */
const ROOM = 0.3;

export class Spares {
  private kept: SharedArrayBuffer[] = [];

  /**
   * @param max buffers kept at most (two versions in flight, one pinned by a transfer)
   * @param onDrop a buffer was let go: its memory returns only after a collection on every thread that saw it
   */
  constructor(private readonly onDrop: () => void = () => {}, private readonly max = 2) {}

  /** How many are kept (tests, benches). */
  get size(): number { return this.kept.length; }

  /** A buffer of at least `bytes`: the smallest kept one that fits, else a new one with room to grow. */
  take(bytes: number): SharedArrayBuffer {
    let best = -1;
    for (let i = 0; i < this.kept.length; i++) {
      const b = this.kept[i];
      if (b.byteLength >= bytes && (best < 0 || b.byteLength < this.kept[best].byteLength)) best = i;
    }
    if (best >= 0) return this.kept.splice(best, 1)[0];
    // None fits: the ones kept are too small for what the zone has become.
    if (this.kept.length) { this.kept = []; this.onDrop(); }
    return new SharedArrayBuffer(Math.ceil((bytes * (1 + ROOM)) / 65536) * 65536);
  }

  /** A buffer nobody reads any more. Kept when `wanted` (the next version may be written into it). */
  give(b: SharedArrayBuffer, wanted: boolean): void {
    if (wanted && this.kept.length < this.max) this.kept.push(b);
    else this.onDrop();
  }

  /** Let every kept buffer go (polling: versions are full builds, which need no spare). */
  clear(): void {
    if (!this.kept.length) return;
    this.kept = [];
    this.onDrop();
  }
}
