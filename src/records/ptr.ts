// PTR records (PTROn, issue 14 item 7): reverse names for task and agent addresses, so tools that
// check a peer's address by reverse lookup (HDFS, Java TLS: mesos-dns#286) find a name. The rule
// is the one users proposed in mesos-dns#481: an address gets a PTR only when it points at
// exactly one name of its kind — a task's canonical name (`<task>-<hash>-<slave tail>.<framework>.
// <domain>`, unique per task) when exactly one task has that address, else `slave.<domain>` when
// an agent has it. An address shared by several tasks (host networking, several tasks per agent)
// has no single answer: it falls back to its agent, or gets nothing. A pure function of the same
// inputs as generate(), run beside it only when PTROn is set, so the answer path pays nothing
// when it is off.
import type { HostIPs, StateView } from '../state/types.js';
import type { GenerateOptions } from './types.js';
import { hostToIPs, slaveAddrs, taskIPs } from './generate.js';
import { slaveIDTail, taskHash } from './hash.js';
import { domainFrag, fitLast, labelSpec } from './labels.js';
import { v6Groups, type ParsedIP } from '../net/ip.js';

/** The reverse name of an address: `4.3.2.1.in-addr.arpa.` or 32 nibbles under `ip6.arpa.`. */
export function reverseName(ip: ParsedIP): string {
  if (ip.family === 4) return ip.text.split('.').reverse().join('.') + '.in-addr.arpa.';
  const g = v6Groups(ip.text)!;
  let s = '';
  for (let i = 7; i >= 0; i--) for (let k = 0; k < 4; k++) s += ((g[i] >> (4 * k)) & 0xf).toString(16) + '.';
  return s + 'ip6.arpa.';
}

/**
 * The PTR records of a state, as [owner, target] pairs sorted by owner (lower-case names with the
 * trailing dot). Tasks are those generate() gives names: RUNNING, on a known agent.
 */
export function pointerRecords(state: StateView, hostIPs: HostIPs, opts: GenerateOptions): [string, string][] {
  const spec = labelSpec(opts.enforceRFC952);
  const tail = '.' + opts.domain.toLowerCase() + '.';
  const agents = new Map<string, { ips: ParsedIP[]; tail: string }>();
  /** Reverse name → the one task name there, or null once a second task has it. */
  const byTask = new Map<string, string | null>();
  const agentAt = new Set<string>();
  for (const s of state.slaves) {
    const ips = hostToIPs(s.pid.host, hostIPs);
    agents.set(s.id, { ips, tail: slaveIDTail(s.id) });
    for (const ip of ips) agentAt.add(reverseName(ip));
  }
  for (const f of state.frameworks) {
    const fname = domainFrag(f.name, spec);
    for (const task of f.tasks) {
      const agent = agents.get(task.slaveId);
      if (agent === undefined || task.state !== 'TASK_RUNNING') continue;
      // generate()'s second block name: the sanitised DiscoveryInfo name, else the task name.
      const n = spec(task.discovery !== null ? task.discovery.name : task.name);
      const part = `-${taskHash(task.id)}-${agent.tail}.`;
      // Cut as generate() cuts it, so that "<task>-<hash>-<agent>" fits one 63-octet label.
      const canonical = `${fitLast(n, part.indexOf('.'))}${part}${fname}${tail}`.toLowerCase();
      const addrs = slaveAddrs(agent.ips.map((ip) => ip.text));
      const seen = new Set<string>();
      for (const ip of taskIPs(task, addrs, opts.ipSources)) {
        const r = reverseName(ip);
        if (seen.has(r)) continue;
        seen.add(r);
        byTask.set(r, byTask.has(r) ? null : canonical);
      }
    }
  }
  const out: [string, string][] = [];
  const slave = 'slave' + tail;
  for (const [r, name] of byTask) if (name !== null) out.push([r, name]);
  for (const r of agentAt) if (!byTask.has(r) || byTask.get(r) === null) out.push([r, slave]);
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}
