// Answer checks run before anything is timed: a fast wrong server is not a fast server. Names are
// sampled from the independently computed record set (expect.ts) of the generated state, mostly
// the plain `<task>.<framework>.mesos.` names, plus canonical/.slave names and SRV names, the fixed
// probes, and one NXDOMAIN. Frameworks that churn between refreshes are never sampled, so the
// check stays valid whichever variant of the state the server has loaded at that moment.
import type { RecordType } from 'dns-packet';
import { query, type Reply } from '../test/support/dnsmsg.js';
import type { RecordSet } from './expect.js';
import { Rng, FIXED, CHURN_FRAMEWORKS } from './gen-state.js';
import { domainFrag } from './expect.js';

export interface Sample {
  name: string;
  type: RecordType;
  /** Expected values: IPs for A/AAAA, "target:port" for SRV; null = expect NXDOMAIN. */
  values: Set<string> | null;
}

const churnFrags = new Set([...CHURN_FRAMEWORKS].map(domainFrag));

function stable(name: string): boolean {
  const labels = name.replace(/\.mesos\.$/, '').replace(/\.slave$/, '').split('.');
  return !churnFrags.has(labels[labels.length - 1]!);
}

function pickN<T>(rng: Rng, arr: T[], n: number): T[] {
  const a = arr.slice();
  const out: T[] = [];
  while (out.length < n && a.length) out.push(a.splice(rng.int(a.length), 1)[0]!);
  return out;
}

export function sampleQueries(rs: RecordSet, n = 50, seed = 42): Sample[] {
  const rng = new Rng(seed);
  const out: Sample[] = [
    { name: FIXED.a3Name, type: 'A', values: rs.A.get(FIXED.a3Name) ?? new Set() },
    { name: FIXED.srv3Name, type: 'SRV', values: rs.SRV.get(FIXED.srv3Name) ?? new Set() },
    { name: FIXED.nxName, type: 'A', values: null },
    { name: 'leader.mesos.', type: 'A', values: rs.A.get('leader.mesos.') ?? new Set() },
  ];
  const addr = (name: string): Sample => (rs.A.has(name) ? { name, type: 'A', values: rs.A.get(name)! } : { name, type: 'AAAA', values: rs.AAAA.get(name)! });
  const rest = n - out.length;
  const shortNames = [...rs.origin.keys()].filter((k) => stable(k) && (rs.A.has(k) || rs.AAAA.has(k)));
  const otherA = [...rs.A.keys()].filter((k) => stable(k) && !rs.origin.has(k));
  const srv = [...rs.SRV.keys()].filter(stable);
  const nSrv = Math.round(rest * 0.2);
  const nOther = Math.round(rest * 0.2);
  for (const k of pickN(rng, shortNames, rest - nSrv - nOther)) out.push(addr(k));
  for (const k of pickN(rng, otherA, nOther)) out.push(addr(k));
  for (const k of pickN(rng, srv, nSrv)) out.push({ name: k, type: 'SRV', values: rs.SRV.get(k)! });
  return out;
}

const lc = (s: string) => s.toLowerCase().replace(/\.?$/, '.');

/** Returns null if the reply is right, else a description of what is wrong. */
export function judge(s: Sample, r: Reply | null, rs: RecordSet): string | null {
  if (!r) return 'no reply';
  if (s.values === null) return r.rcode === 'NXDOMAIN' ? null : `rcode ${r.rcode}, want NXDOMAIN`;
  if (r.rcode !== 'NOERROR') return `rcode ${r.rcode}`;
  const got = new Set<string>();
  for (const a of r.answers) {
    if (a.type !== s.type) continue;
    if (lc(a.name) !== lc(s.name)) return `answer owner ${a.name}`;
    if (a.type === 'SRV') got.add(`${lc(a.data.target)}:${a.data.port}`);
    else got.add(String((a as { data?: unknown }).data));
  }
  const want = [...s.values].sort();
  const have = [...got].sort();
  if (want.join(' ') !== have.join(' ')) {
    const missing = want.filter((x) => !got.has(x));
    const extra = have.filter((x) => !s.values!.has(x));
    return `values differ: missing [${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}] extra [${extra.slice(0, 5).join(', ')}]`;
  }
  if (s.type === 'SRV') {
    const targets = new Set(have.map((v) => v.slice(0, v.lastIndexOf(':'))));
    for (const a of r.additionals) {
      if (a.type !== 'A' && a.type !== 'AAAA') continue;
      const owner = lc(a.name);
      const ok = targets.has(owner) && (a.type === 'A' ? rs.A : rs.AAAA).get(owner)?.has(String(a.data));
      if (!ok) return `bad additional ${a.type} ${a.name} ${String(a.data)}`;
    }
  }
  return null;
}

export interface CheckResult {
  checked: number;
  failures: { name: string; type: string; problem: string }[];
}

export async function checkAnswers(port: number, rs: RecordSet, samples: Sample[]): Promise<CheckResult> {
  const failures: CheckResult['failures'] = [];
  for (const s of samples) {
    const r = await query('127.0.0.1', port, s.name, s.type, 2000);
    const problem = judge(s, r, rs);
    if (problem) failures.push({ name: s.name, type: s.type, problem });
  }
  return { checked: samples.length, failures };
}
