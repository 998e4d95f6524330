// Runs the real `dig` and parses its transcript (ours and the reference captures alike) into
// comparable parts: status, flags, sections, EDNS pseudo-section, size.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface DigRecord { name: string; ttl: number; class: string; type: string; rdata: string }
export interface DigResult {
  status: string;
  flags: string[];
  counts: { query: number; answer: number; authority: number; additional: number };
  edns: { version: number; flags: string[]; udp: number } | null;
  question: { name: string; class: string; type: string }[];
  answer: DigRecord[];
  authority: DigRecord[];
  additional: DigRecord[];
  size: number;
  raw: string;
}

export function parseDig(text: string): DigResult {
  const r: DigResult = {
    status: '', flags: [], counts: { query: 0, answer: 0, authority: 0, additional: 0 }, edns: null,
    question: [], answer: [], authority: [], additional: [], size: 0, raw: text,
  };
  let section: 'answer' | 'authority' | 'additional' | 'question' | null = null;
  for (const line of text.split('\n')) {
    let m: RegExpExecArray | null;
    if ((m = /status: (\w+),/.exec(line))) r.status = m[1];
    if ((m = /^;; flags: ([^;]*); QUERY: (\d+), ANSWER: (\d+), AUTHORITY: (\d+), ADDITIONAL: (\d+)/.exec(line))) {
      r.flags = m[1].trim().split(/\s+/).filter(Boolean).sort();
      r.counts = { query: +m[2], answer: +m[3], authority: +m[4], additional: +m[5] };
    }
    if ((m = /^; EDNS: version: (\d+), flags:([^;]*); udp: (\d+)/.exec(line))) {
      r.edns = { version: +m[1], flags: m[2].trim().split(/\s+/).filter(Boolean), udp: +m[3] };
    }
    if ((m = /MSG SIZE\s+rcvd: (\d+)/.exec(line))) r.size = +m[1];
    if (line.startsWith(';; QUESTION SECTION')) { section = 'question'; continue; }
    if (line.startsWith(';; ANSWER SECTION')) { section = 'answer'; continue; }
    if (line.startsWith(';; AUTHORITY SECTION')) { section = 'authority'; continue; }
    if (line.startsWith(';; ADDITIONAL SECTION')) { section = 'additional'; continue; }
    if (line.trim() === '') { section = null; continue; }
    if (line.startsWith(';;')) continue;
    if (section === 'question') {
      const f = line.replace(/^;/, '').trim().split(/\s+/);
      r.question.push({ name: f[0], class: f[1], type: f[2] });
    } else if (section && !line.startsWith(';')) {
      const f = line.trim().split(/\s+/);
      r[section].push({ name: f[0], ttl: +f[1], class: f[2], type: f[3], rdata: f.slice(4).join(' ') });
    }
  }
  return r;
}

export interface DigOptions { tcp?: boolean; noedns?: boolean; bufsize?: number; extra?: string[] }

export async function dig(port: number, name: string, type: string, o: DigOptions = {}): Promise<DigResult> {
  const args = ['@127.0.0.1', '-p', String(port), '+norec', '+tries=1', '+time=5'];
  if (o.tcp) args.push('+tcp');
  if (o.noedns) args.push('+noedns');
  if (o.bufsize) args.push(`+bufsize=${o.bufsize}`);
  if (o.extra) args.push(...o.extra);
  args.push(name, type);
  const { stdout } = await run('dig', args, { timeout: 20_000 });
  return parseDig(stdout);
}

/** Split a reference capture file into { "<name> <type>": transcript }. */
export function splitTranscripts(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const parts = text.split(/^=== QUERY /m).slice(1);
  for (const p of parts) {
    const head = p.slice(0, p.indexOf('\n'));
    const m = /^(\S+) (\S+)/.exec(head);
    if (m) out.set(`${m[1]} ${m[2]}`, p);
  }
  return out;
}

/** A record as "name type rdata" with the name lower-cased and TTL dropped, for set comparison. */
export function recKey(r: DigRecord): string {
  return `${r.name.toLowerCase()} ${r.class} ${r.type} ${r.rdata}`;
}
