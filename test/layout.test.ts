// The dependency direction between src/ folders (detect → state → records → zone → dns → xfr,
// with server.ts and threads/ wiring them): tools/folder-cycles.mjs must find no folder-level
// import cycle in src/. The tool is first run on a two-folder tree with a cycle, so that a tool
// that stopped finding cycles fails this test instead of passing it.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const tool = path.resolve('tools/folder-cycles.mjs');
const run = (dir: string) => spawnSync(process.execPath, [tool, dir], { encoding: 'utf8' });

t.test('the tool reports a cycle it is shown', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cycles-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'a'));
  fs.mkdirSync(path.join(dir, 'b'));
  fs.writeFileSync(path.join(dir, 'a/x.ts'), "import type { Y } from '../b/y.js';\nexport type X = Y;\n");
  fs.writeFileSync(path.join(dir, 'b/y.ts'), "import { f } from '../a/z.js';\nexport type Y = number;\nf();\n");
  fs.writeFileSync(path.join(dir, 'a/z.ts'), 'export function f(): void {}\n');
  const r = run(dir);
  t.equal(r.status, 1);
  t.match(r.stdout, /cycle: (a ↔ b|b ↔ a)\n/);
  t.match(r.stdout, /1 folder-level cycle\(s\) among 2 folders, 3 files/);
});

t.test('src/ has no folder-level import cycle', async (t) => {
  const r = run('src');
  t.equal(r.stdout.split('\n').filter((l) => l.startsWith('cycle:')).join('\n'), '', 'no cycle listed');
  t.match(r.stdout, /^0 folder-level cycle\(s\)/m);
  t.equal(r.status, 0);
});
