// Giving a refresh's memory back, in one place: a 50k-task refresh leaves ~130 MB of buffers and
// ~100 MB of heap behind, and neither an idle thread's garbage collector nor glibc returns it on
// its own soon (see zone/builder.ts and bin/mesos-dns for the measurements). It sits at the top of
// src/, like log.ts, because stages on both sides of the build use it (the state client's body
// blocks, the build worker, the zone builder).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Free transferable buffers at once: moved into a message on a closed channel, they are gone. */
export function freeNow(buffers: ArrayBuffer[]): void {
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(null, buffers);
  port1.close();
  port2.close();
}

let soon = false;

/**
 * collectGarbage once this turn's work is done (calls in the same turn share one). For a
 * SharedArrayBuffer let go: V8 counts none of its memory towards the heap, so no collection
 * would come for it on its own, and its memory returns only when every thread that saw it has
 * collected its handle (zone/spares.ts).
 */
export function collectSoon(): void {
  if (soon) return;
  soon = true;
  setImmediate(() => { soon = false; collectGarbage(); });
}

let gc: (() => void) | null = null;

/**
 * A full, synchronous collection of this thread's heap, now: V8's gc() without options, which is
 * a regular major collection on Node 20 and 24 alike. Not gc({ type: 'major' }): Node 20's V8
 * reads an options object without a "minor"/"async" setting as "truthy: minor", so every call
 * was a scavenge (--trace-gc: "Scavenge ... testing"), which never frees what has reached the old
 * generation: a refresh's body and the previous image's handles stayed until the next refresh's
 * allocations forced a major collection (RSS after 5 refreshes at 50k: see zone/README.md
 * "Memory"). The optimized code that plain gc() was once blamed for discarding is kept:
 * bin/mesos-dns runs node with --no-flush-bytecode.
 */
export function collectGarbage(): void {
  if (gc === null) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}
