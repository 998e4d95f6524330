#!/usr/bin/env node
// Folder-level import cycles in src/: every `import … from './x.js'` / `export … from` / dynamic
// import, type-only ones included, mapped file → folder (a top-level src/ file is its own node),
// then strongly connected components of the folder graph. Prints each edge of a cycle with the
// importing file, and exits 1 when there is one. Usage: node tools/folder-cycles.mjs [src]
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(process.argv[2] ?? 'src');
const files = [];
(function walk(d) {
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) walk(p);
    else if (/\.ts$/.test(e.name)) files.push(p);
  }
})(root);
// A top-level file (server.ts, log.ts, cli.ts) is its own node: the composition root imports every
// stage and every stage imports log.ts, which is not a cycle between stages.
const folder = (f) => { const d = path.dirname(path.relative(root, f)); return d === '.' ? path.basename(f, '.ts') + '.ts' : d; };
const edges = new Map(); // from folder → Map(to folder → [file])
const re = /(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)|new URL\(\s*['"](\.[^'"]+)['"]/g;
for (const f of files) {
  const text = fs.readFileSync(f, 'utf8');
  for (const m of text.matchAll(re)) {
    const spec = m[1] ?? m[2] ?? m[3];
    const target = path.resolve(path.dirname(f), spec.replace(/\.js$/, '.ts'));
    if (!target.startsWith(root)) continue;
    const a = folder(f), b = folder(target);
    if (a === b) continue;
    if (!edges.has(a)) edges.set(a, new Map());
    const m2 = edges.get(a);
    if (!m2.has(b)) m2.set(b, []);
    m2.get(b).push(path.relative(root, f));
  }
}
// Tarjan's SCC over folders.
let index = 0; const idx = new Map(), low = new Map(), stack = [], on = new Set(), sccs = [];
function strong(v) {
  idx.set(v, index); low.set(v, index); index++; stack.push(v); on.add(v);
  for (const w of (edges.get(v) ?? new Map()).keys()) {
    if (!idx.has(w)) { strong(w); low.set(v, Math.min(low.get(v), low.get(w))); }
    else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const c = []; let w;
    do { w = stack.pop(); on.delete(w); c.push(w); } while (w !== v);
    if (c.length > 1) sccs.push(c);
  }
}
for (const v of new Set([...edges.keys(), ...[...edges.values()].flatMap((m) => [...m.keys()])])) if (!idx.has(v)) strong(v);
for (const c of sccs) {
  console.log(`cycle: ${c.join(' ↔ ')}`);
  for (const a of c) for (const [b, fs2] of edges.get(a) ?? []) if (c.includes(b)) console.log(`  ${a} → ${b}: ${[...new Set(fs2)].join(', ')}`);
}
console.log(`${sccs.length} folder-level cycle(s) among ${new Set(files.map(folder)).size} folders, ${files.length} files`);
process.exit(sccs.length ? 1 : 0);
