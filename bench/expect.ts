// The record set a correct server must serve for a generated state, computed here from the raw
// state JSON by the naming rules of SPEC Part B §6–§7 (RFC1123 labels, IPSources order given).
// Why a second implementation: the benchmark must refuse to time a server that answers wrongly,
// and it must not trust the code under test to tell it what "right" is, so nothing from src/ is
// imported. It only needs to cover what gen-state.ts produces (IP literals everywhere, no host-name
// lookups), which keeps it small. It also yields the list of every positive name for the dnsperf
// data files.
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';

type Json = Record<string, any>;

export interface RecordSet {
  A: Map<string, Set<string>>;
  AAAA: Map<string, Set<string>>;
  /** name → set of "target:port" */
  SRV: Map<string, Set<string>>;
  /** Framework name (sanitised) that produced each task name, for sampling. */
  origin: Map<string, string>;
}

export interface ExpectOptions {
  domain?: string;
  ipSources?: string[];
  /** Configured masters (`host:port`, IP hosts). */
  masters: string[];
  listener?: string;
  soaMname?: string;
}

// ---- §6 labels -------------------------------------------------------------------------------
function mapChars(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (c >= 65 && c <= 90) out += String.fromCharCode(c + 32);
    else if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57)) out += ch;
    else if (ch === '-' || ch === '.' || ch === '_') out += '-';
  }
  return out;
}

/** RFC1123 label: max 63, leading and trailing '-' cut, the original's odd re-append of the tail. */
export function label1123(s: string): string {
  let x = mapChars(s).replace(/^-+/, '');
  const size = Math.min(x.length, 63);
  const head = x.slice(0, size).replace(/-+$/, '');
  if (head.length === size) return head;
  const tail = x.slice(size).replace(/^-+/, '');
  return tail ? head + tail.slice(0, Math.min(tail.length, size - head.length)) : head;
}

export function domainFrag(s: string): string {
  return s
    .split('.')
    .map(label1123)
    .filter((p) => p !== '')
    .join('.');
}

const ZB32 = 'ybndrfg8ejkmcpqxot1uwisza345h769';
/** First 5 z-base-32 chars of SHA-1(id): the first 25 bits. */
export function taskHash(id: string): string {
  const d = createHash('sha1').update(id, 'utf8').digest();
  const v = ((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 0;
  let out = '';
  for (let i = 0; i < 5; i++) out += ZB32[(v >>> (27 - 5 * i)) & 31];
  return out;
}

function slaveTail(id: string): string {
  const parts = id.split('-');
  return parts[parts.length - 1]!.toLowerCase();
}

function pidHostPort(pid: unknown): [string, number] | null {
  if (typeof pid !== 'string') return null;
  const at = pid.trim().split('@');
  if (at.length !== 2) return null;
  const hp = at[1]!;
  const i = hp.lastIndexOf(':');
  let host = hp.slice(0, i);
  if (host.startsWith('[')) host = host.slice(1, -1);
  return [host, Number(hp.slice(i + 1))];
}

function parsePorts(s: unknown): number[] {
  if (typeof s !== 'string' || s === '' || s === '[]') return [];
  const open = s.indexOf('[');
  const close = s.indexOf(']', open);
  const inner = s.slice(open + 1, close < 0 ? undefined : close);
  const out: number[] = [];
  for (const item of inner.split(',')) {
    const [lo, hi] = item.trim().split('-').map(Number);
    if (!Number.isInteger(lo) || !Number.isInteger(hi)) continue;
    for (let p = lo!; p <= hi!; p++) out.push(p);
  }
  return out;
}

/** Canonical text of an IP (Go's form): dotted IPv4, compressed lower-case IPv6. */
function canonIP(s: string): string | null {
  const kind = isIP(s);
  if (kind === 4) return s;
  if (kind === 6) return new URL(`http://[${s}]/`).hostname.slice(1, -1);
  return null;
}

function latestRunning(task: Json): Json | null {
  let best: Json | null = null;
  for (const st of task.statuses ?? []) {
    if (st.state !== 'TASK_RUNNING') continue;
    if (!best || st.timestamp > best.timestamp) best = st;
  }
  return best;
}

function taskIPs(task: Json, sources: string[], slaveIPs: string[]): string[] {
  for (const src of sources) {
    let raw: string[] = [];
    if (src === 'host') raw = slaveIPs;
    else {
      const st = latestRunning(task);
      if (!st) continue;
      if (src === 'netinfo') {
        for (const ni of st.container_status?.network_infos ?? []) {
          if (Array.isArray(ni.ip_addresses) && ni.ip_addresses.length) raw.push(...ni.ip_addresses.map((a: Json) => a.ip_address));
          else if (ni.ip_address) raw.push(ni.ip_address);
        }
      } else {
        const key = src === 'docker' ? 'Docker.NetworkSettings.IPAddress' : 'MesosContainerizer.NetworkSettings.IPAddress';
        for (const l of st.labels ?? []) if (l.key === key) raw.push(l.value);
      }
    }
    const ips = raw.map((r) => (typeof r === 'string' ? canonIP(r) : null)).filter((x): x is string => x !== null);
    if (ips.length) return ips;
  }
  return [];
}

export function computeRecords(state: Json, opts: ExpectOptions): RecordSet {
  const D = `${opts.domain ?? 'mesos'}.`;
  const sources = opts.ipSources ?? ['netinfo', 'mesos', 'host'];
  const rs: RecordSet = { A: new Map(), AAAA: new Map(), SRV: new Map(), origin: new Map() };
  const add = (m: Map<string, Set<string>>, name: string, v: string) => {
    let s = m.get(name);
    if (!s) m.set(name, (s = new Set()));
    s.add(v);
  };
  const addIP = (name: string, ip: string) => add(isIP(ip) === 6 ? rs.AAAA : rs.A, name, ip);

  // §7.2 frameworks
  for (const f of state.frameworks ?? []) {
    const fname = domainFrag(String(f.name ?? ''));
    const hp = pidHostPort(f.pid);
    const host = hp ? hp[0] : String(f.hostname ?? '');
    const ip = canonIP(host);
    if (!ip) continue;
    addIP(`${fname}.${D}`, ip);
    if (hp) add(rs.SRV, `_framework._tcp.${fname}.${D}`, `${fname}.${D}:${hp[1]}`);
  }
  // §7.3 slaves
  const slaves = new Map<string, string[]>();
  for (const s of state.slaves ?? []) {
    const hp = pidHostPort(s.pid);
    if (!hp) continue;
    const ip = canonIP(hp[0]);
    if (!ip) continue;
    slaves.set(s.id, [ip]);
    addIP(`slave.${D}`, ip);
    add(rs.SRV, `_slave._tcp.${D}`, `slave.${D}:${hp[1]}`);
  }
  // §7.4 name server
  if ((opts.listener ?? '127.0.0.1') !== '0.0.0.0') addIP(opts.soaMname ?? 'ns1.mesos.', opts.listener ?? '127.0.0.1');
  // §7.5 leader and masters
  const la = String(state.leader ?? '').split('@')[1] ?? '';
  const li = la.lastIndexOf(':');
  const lhost = la.slice(0, li);
  addIP(`leader.${D}`, lhost);
  addIP(`master.${D}`, lhost);
  add(rs.SRV, `_leader._tcp.${D}`, `leader.${D}:${la.slice(li + 1)}`);
  add(rs.SRV, `_leader._udp.${D}`, `leader.${D}:${la.slice(li + 1)}`);
  let idx = 0;
  let leaderNumbered = false;
  for (const m of opts.masters) {
    const i = m.lastIndexOf(':');
    if (i <= 0) continue;
    const host = m.slice(0, i).replace(/^\[|\]$/g, '');
    if (m !== la) {
      const set = (isIP(host) === 6 ? rs.AAAA : rs.A).get(`master.${D}`);
      if (set?.has(host)) continue;
      addIP(`master.${D}`, host);
    } else if (leaderNumbered) continue;
    addIP(`master${idx++}.${D}`, host);
    if (m === la) leaderNumbered = true;
  }
  if (!leaderNumbered) addIP(`master${idx}.${D}`, lhost);

  // §7.6 tasks
  for (const f of state.frameworks ?? []) {
    const fname = domainFrag(String(f.name ?? ''));
    for (const t of f.tasks ?? []) {
      const slaveIPs = slaves.get(t.slave_id);
      if (!slaveIPs || t.state !== 'TASK_RUNNING') continue;
      const hash = taskHash(String(t.id));
      const tail = slaveTail(String(t.slave_id));
      const ips = taskIPs(t, sources, slaveIPs);
      const ports = parsePorts(t.resources?.ports);
      const di = t.discovery && typeof t.discovery.name === 'string' && t.discovery.name !== '' ? t.discovery : null;
      const names = di ? [di.name as string, label1123(di.name)] : [label1123(String(t.name ?? ''))];
      for (const N of names) {
        const canonical = `${N}-${hash}-${tail}.${fname}`;
        const short = `${N}.${fname}`;
        rs.origin.set(`${short}.${D}`, fname);
        for (const ip of ips) {
          addIP(`${short}.${D}`, ip);
          addIP(`${canonical}.${D}`, ip);
        }
        for (const ip of slaveIPs) {
          addIP(`${short}.slave.${D}`, ip);
          addIP(`${canonical}.slave.${D}`, ip);
        }
        for (const p of ports) {
          const target = `${canonical}.slave.${D}:${p}`;
          add(rs.SRV, `_${N}._tcp.${fname}.slave.${D}`, target);
          add(rs.SRV, `_${N}._udp.${fname}.slave.${D}`, target);
          if (!di) {
            add(rs.SRV, `_${N}._tcp.${fname}.${D}`, target);
            add(rs.SRV, `_${N}._udp.${fname}.${D}`, target);
          }
        }
        if (di) {
          for (const dp of di.ports?.ports ?? []) {
            const target = `${canonical}.${D}:${dp.number}`;
            const proto = label1123(String(dp.protocol ?? ''));
            const protos = proto ? [proto] : ['tcp', 'udp'];
            const pname = label1123(String(dp.name ?? ''));
            for (const pr of protos) {
              add(rs.SRV, `_${N}._${pr}.${fname}.${D}`, target);
              if (pname) add(rs.SRV, `_${pname}._${N}._${pr}.${fname}.${D}`, target);
            }
          }
        }
      }
    }
  }
  return rs;
}

/**
 * dnsperf data file lines for every positive name: `name A` for names with A data, `name AAAA`
 * for names with only AAAA data, `name SRV` for SRV names. Names are lower-case, as generated;
 * names the DNS cannot carry (empty labels, over-long labels) are left out.
 */
export function positiveQueries(rs: RecordSet): string[] {
  const ok = (n: string) => n.length <= 253 && n.split('.').slice(0, -1).every((l) => l.length > 0 && l.length <= 63) && !/[A-Z\s]/.test(n);
  const out: string[] = [];
  for (const n of rs.A.keys()) if (ok(n)) out.push(`${n} A`);
  for (const n of rs.AAAA.keys()) if (!rs.A.has(n) && ok(n)) out.push(`${n} AAAA`);
  for (const n of rs.SRV.keys()) if (ok(n)) out.push(`${n} SRV`);
  return out;
}
