// The fixture the stream property tests (stream-model, zone-incremental) start from, beside the
// cluster model and the random churn they drive (churn.ts, shared with bench/publish.ts).
import { readFileSync } from 'node:fs';

export { attach, rng, RandomChurn } from './churn.js';

/**
 * test/fixtures/fake.json as JSON text. It has one task id twice in a framework, which a master
 * cannot have (task ids are unique per framework, and the stream keys tasks by them): the second
 * copy gets its own id here.
 */
export const fake = (() => {
  const s = JSON.parse(readFileSync(new URL('../fixtures/fake.json', import.meta.url), 'utf8'));
  for (const f of s.frameworks) {
    const seen = new Set<string>();
    for (const x of f.tasks) { if (seen.has(x.id)) x.id += '-2'; seen.add(x.id); }
  }
  return JSON.stringify(s);
})();
