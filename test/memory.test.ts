// collectGarbage (src/memory.ts) must be a full collection on every runtime we support. The build
// worker relies on it to let a refresh's body and the previous zone image go, and both threads on
// it to drop their handles of a shared image (zone/spares.ts), which V8 does not count towards any
// heap. On Node 20, gc({ type: 'major' }) was read as a minor collection: a scavenge, which never
// frees an object that has lived long enough to be in the old generation (an image's handle has).
import t from 'tap';
import { collectGarbage } from '../src/memory.js';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

t.test('collectGarbage frees an object of the old generation', async (t) => {
  let held: { payload: number[] } | null = { payload: Array.from({ length: 1000 }, (_, i) => i) };
  const ref = new WeakRef(held);
  // Collections while it is held move it out of the young generation.
  for (let i = 0; i < 3; i++) { collectGarbage(); await turn(); }
  t.ok(ref.deref() === held, 'alive while held');
  held = null;
  await turn(); // a WeakRef's target is kept until the end of the job that read it
  collectGarbage();
  await turn();
  t.equal(ref.deref(), undefined, 'gone after one collectGarbage');
});

t.test('a shared buffer let go is collected by collectGarbage', async (t) => {
  let held: SharedArrayBuffer | null = new SharedArrayBuffer(1 << 20);
  const ref = new WeakRef(held);
  for (let i = 0; i < 3; i++) { collectGarbage(); await turn(); }
  t.ok(ref.deref() === held, 'alive while held');
  held = null;
  await turn();
  collectGarbage();
  await turn();
  t.equal(ref.deref(), undefined, 'gone after one collectGarbage');
});
