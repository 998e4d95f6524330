// Shared by the stream end-to-end tests: the fixture as a master can hold it, a stand-in master
// with fast heartbeats, a stream-mode server, and whole-answer comparison with dig.
import type { Test } from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStandInMaster, rewriteLeader, type StandInMaster } from '../../src/demo/master.js';
import { startServerProcess, waitFor, ROOT, type ServerProcess } from './procs.js';
import { dig, recKey, type DigResult } from './dig.js';

export const fixture = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'fake.json'), 'utf8')) as Record<string, any>;
// One task id appears twice in a framework in fake.json; a master cannot have that (ids are unique
// per framework), and the stream keys tasks by id.
for (const f of fixture['frameworks']) {
  const seen = new Set<string>();
  for (const x of f.tasks) { if (seen.has(x.id)) x.id += '-2'; seen.add(x.id); }
}

export async function master(t: Test, heartbeatSeconds = 0.3): Promise<StandInMaster> {
  const m = await startStandInMaster({ host: '127.0.0.1', port: 0, state: {}, heartbeatSeconds });
  m.setState(rewriteLeader(structuredClone(fixture), `127.0.0.1:${m.port}`));
  t.teardown(() => m.close());
  return m;
}

export async function server(t: Test, masters: string[], extra: Record<string, unknown> = {}): Promise<ServerProcess> {
  const s = await startServerProcess({ masters, externalon: false, statesource: 'stream', refreshSeconds: 3600, ...extra });
  t.teardown(() => s.stop());
  return s;
}

/** An answer without what legitimately differs between two servers (TTLs count down; serials differ). */
export function whole(r: DigResult): unknown {
  const rec = (x: { name: string; class: string; type: string; rdata: string }) =>
    x.type === 'SOA' ? `${x.name} ${x.class} SOA ${x.rdata.split(' ').map((f, i) => (i === 2 ? 'SERIAL' : f)).join(' ')}` : recKey(x as never);
  return { status: r.status, flags: r.flags, edns: r.edns, question: r.question, answer: r.answer.map(rec).sort(), authority: r.authority.map(rec).sort(), additional: r.additional.map(rec).sort() };
}

/** Dig until the answer is `want` (a name launched or killed shows after the stream's next version). */
export async function digUntil(port: number, name: string, type: string, want: (r: DigResult) => boolean, ms = 20_000): Promise<DigResult> {
  let last: DigResult | undefined;
  await waitFor(`${name} ${type}`, async () => { last = await dig(port, name, type); return want(last); }, ms);
  return last!;
}

