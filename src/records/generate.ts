// Record generation (SPEC §7): the validated state → the A/AAAA/SRV maps and the enumeration.
// A pure function (host names are resolved beforehand into `hostIPs`) so a refresh can be tested
// and benchmarked without a network, and so one bad input can only cost a warning: where the
// original panicked (non-IP leader, master or listener) that piece is skipped instead.
// The insertion order is the original's (frameworks → slaves → name server → masters → tasks)
// because the per-task "newly added records" of /v1/enumerate depend on it.
// Hot path: one pass over tasks, string concatenation only, one SHA-1 per task, no regexes.
import type { HostIPs, State, Task } from '../state/types.js';
import { parsePort, splitHostPortLoose } from '../state/pid.js';
import { RecordBuilder } from './builder.js';
import { slaveIDTail, taskHash } from './hash.js';
import { parseIP, type ParsedIP } from './ip.js';
import { domainFrag, labelSpec, type LabelSpec } from './labels.js';
import type { EnumFramework, EnumRecord, EnumTask, Generated, GenerateOptions, RecordSet, RRType } from './types.js';

const DOCKER_IP_LABEL = 'Docker.NetworkSettings.IPAddress';
const MESOS_IP_LABEL = 'MesosContainerizer.NetworkSettings.IPAddress';

/** One entry of a slave's "IP list": an IP, or (fallback) a non-IP string from DomainFrag. */
export interface SlaveAddr {
  raw: string;
  ip: ParsedIP | null;
}

/** What tasks need of a slave, computed once per slave rather than once per task. */
interface SlaveInfo {
  /** Its IPs: the "host" task-IP source. */
  ips: ParsedIP[];
  /**
   * The `.slave` record values; a non-IP fallback string is stored as an A value, as the
   * original did (family 4 here only means "goes to the A map").
   */
  values: ParsedIP[];
}

function kindOf(ip: ParsedIP): RRType {
  return ip.family === 4 ? 'A' : 'AAAA';
}

/** A literal IP as is, else the pre-resolved addresses of the host name (none if unknown). */
function hostToIPs(host: string, hostIPs: HostIPs): ParsedIP[] {
  const lit = parseIP(host);
  if (lit !== null) return [lit];
  if (host === '') return [];
  const resolved = hostIPs.get(host);
  if (resolved === undefined) return [];
  const out: ParsedIP[] = [];
  for (const r of resolved) {
    const p = parseIP(r);
    if (p !== null) out.push(p);
  }
  return out;
}

/**
 * Index of the status the IP sources read: the TASK_RUNNING one with the greatest timestamp
 * (earliest on ties; the original starts from -1, so older timestamps never win). -1 if none.
 */
function latestRunning(task: Task): number {
  let ts = -1;
  let j = -1;
  const st = task.statuses;
  for (let i = 0; i < st.length; i++) {
    if (st[i].state === 'TASK_RUNNING' && st[i].timestamp > ts) {
      ts = st[i].timestamp;
      j = i;
    }
  }
  return j;
}

function pushIP(out: ParsedIP[], v: string): void {
  if (v === '') return;
  const p = parseIP(v);
  if (p !== null) out.push(p);
}

/**
 * §7.6 task IPs: all parseable IPs of the first source (in `sources` order) that yields any.
 * Unknown source names are ignored. Only the latest RUNNING status is consulted. `hostIPs` are
 * the slave's IPs (the "host" source); that array is returned as is, not copied.
 */
function sourceIPs(task: Task, hostIPs: readonly ParsedIP[], sources: readonly string[]): readonly ParsedIP[] {
  const j = latestRunning(task);
  const st = j >= 0 ? task.statuses[j] : null;
  for (const src of sources) {
    if (src === 'host') {
      if (hostIPs.length > 0) return hostIPs;
      continue;
    }
    if (st === null) continue;
    const out: ParsedIP[] = [];
    if (src === 'netinfo') {
      for (const ni of st.networkInfos) {
        if (ni.ipAddresses.length > 0) for (const a of ni.ipAddresses) pushIP(out, a);
        else pushIP(out, ni.ipAddress);
      }
    } else if (src === 'docker' || src === 'mesos') {
      const key = src === 'docker' ? DOCKER_IP_LABEL : MESOS_IP_LABEL;
      for (const l of st.labels) if (l.key === key) pushIP(out, l.value);
    }
    if (out.length > 0) return out;
  }
  return [];
}

/** §7.6 task IPs for a task on a slave whose "IP list" is `slaveAddrs`. */
export function taskIPs(task: Task | null, slaveAddrs: readonly SlaveAddr[], sources: readonly string[]): ParsedIP[] {
  if (task === null) return [];
  const host: ParsedIP[] = [];
  for (const a of slaveAddrs) if (a.ip !== null) host.push(a.ip);
  return [...sourceIPs(task, host, sources)];
}

/** Turn slave IP strings (as the original kept them) into SlaveAddr entries. */
export function slaveAddrs(values: readonly string[]): SlaveAddr[] {
  return values.map((raw) => ({ raw, ip: parseIP(raw) }));
}

/**
 * §7.5 leader and master records. `leader` is the state's raw leader string, `masters` the list
 * used for this refresh (leader first, "" = unknown leader).
 */
export function addMasterRecords(
  b: RecordBuilder, domain: string, masters: readonly string[], leader: string, warnings: string[],
): void {
  const tail = '.' + domain + '.';
  const parts = leader.split('@');
  if (parts.length < 2) {
    if (leader !== '') warnings.push(`leader ${JSON.stringify(leader)} has no '@': no leader or master records`);
    return;
  }
  const leaderAddress = parts[1];
  const lhp = splitHostPortLoose(leaderAddress);
  if (lhp === null) {
    warnings.push(`leader ${JSON.stringify(leader)} has no host:port: no leader or master records`);
    return;
  }
  const leaderIP = parseIP(lhp.host);
  if (leaderIP === null) {
    warnings.push(`leader host ${JSON.stringify(lhp.host)} is not an IP address: no leader records`);
  } else {
    b.add(kindOf(leaderIP), 'leader' + tail, leaderIP.text);
    b.add(kindOf(leaderIP), 'master' + tail, leaderIP.text);
    if (parsePort(lhp.port) === null) {
      warnings.push(`leader port ${JSON.stringify(lhp.port)} is not a port number: no _leader SRV records`);
    } else {
      const target = 'leader' + tail + ':' + lhp.port;
      b.add('SRV', '_leader._tcp' + tail, target);
      b.add('SRV', '_leader._udp' + tail, target);
    }
  }

  let numberedLeader = false;
  let idx = 0;
  for (const m of masters) {
    const hp = splitHostPortLoose(m);
    if (hp === null) {
      if (m !== '') warnings.push(`master ${JSON.stringify(m)} is not host:port: skipped`);
      continue;
    }
    const ip = parseIP(hp.host);
    if (ip === null) {
      warnings.push(`master host ${JSON.stringify(hp.host)} is not an IP address: skipped`);
      continue;
    }
    const isLeader = m === leaderAddress;
    if (!isLeader) {
      if (!b.add(kindOf(ip), 'master' + tail, ip.text)) continue; // duplicate master
    } else if (numberedLeader) {
      continue; // leader listed twice
    }
    b.add(kindOf(ip), 'master' + idx + tail, ip.text);
    if (isLeader) numberedLeader = true;
    idx++;
  }
  if (!numberedLeader) {
    if (masters.length > 0) warnings.push(`leader ${JSON.stringify(leader)} is not in the masters list`);
    if (leaderIP !== null) b.add(kindOf(leaderIP), 'master' + idx + tail, leaderIP.text);
  }
}

/** Build the complete record set and enumeration for one state. */
export function generate(state: State, hostIPs: HostIPs, opts: GenerateOptions): Generated {
  const b = new RecordBuilder();
  const warnings: string[] = [];
  const tail = '.' + opts.domain + '.';
  const spec = labelSpec(opts.enforceRFC952);

  // frameworks (§7.2)
  const fnames: string[] = new Array(state.frameworks.length);
  for (let i = 0; i < state.frameworks.length; i++) {
    const f = state.frameworks[i];
    const fname = domainFrag(f.name, spec);
    fnames[i] = fname;
    const host = f.pid !== null ? f.pid.host : f.hostname;
    const ips = hostToIPs(host, hostIPs);
    if (ips.length === 0) continue;
    const a = fname + tail;
    for (const ip of ips) b.add(kindOf(ip), a, ip.text);
    if (f.pid !== null) b.add('SRV', '_framework._tcp.' + a, a + ':' + f.pid.port);
  }

  // slaves (§7.3)
  const slaveName = 'slave' + tail;
  const slaves = new Map<string, SlaveInfo>();
  for (const s of state.slaves) {
    const ips = hostToIPs(s.pid.host, hostIPs);
    let addrs: SlaveAddr[];
    if (ips.length > 0) {
      for (const ip of ips) b.add(kindOf(ip), slaveName, ip.text);
      b.add('SRV', '_slave._tcp' + tail, slaveName + ':' + s.pid.port);
      addrs = ips.map((ip) => ({ raw: ip.text, ip }));
    } else {
      const raw = domainFrag(s.pid.host, spec);
      addrs = [{ raw, ip: parseIP(raw) }];
    }
    slaves.set(s.id, {
      ips: addrs.flatMap((a) => (a.ip === null ? [] : [a.ip])),
      values: addrs.map((a) => a.ip ?? { family: 4, text: a.raw }),
    });
  }

  // name server (§7.4)
  if (opts.listener === '0.0.0.0') {
    for (const addr of opts.interfaceAddrs ?? []) {
      const ip = parseIP(addr);
      if (ip !== null) b.add(kindOf(ip), opts.nsName, ip.text);
      else warnings.push(`interface address ${JSON.stringify(addr)} is not an IP address: skipped`);
    }
  } else if (opts.listener === '127.0.0.1') {
    b.add('A', opts.nsName, '127.0.0.1');
  } else {
    const ip = parseIP(opts.listener);
    if (ip !== null) b.add(kindOf(ip), opts.nsName, ip.text);
    else warnings.push(`listener ${JSON.stringify(opts.listener)} is not an IP address: no name-server record`);
  }

  // leader and masters (§7.5)
  addMasterRecords(b, opts.domain, opts.masters, state.leader, warnings);

  // tasks (§7.6, §7.7)
  const em = new TaskEmitter(b.records, tail, spec, opts.ipSources);
  const enumFrameworks: EnumFramework[] = [];
  for (let i = 0; i < state.frameworks.length; i++) {
    const f = state.frameworks[i];
    const ef: EnumFramework = { tasks: [], name: f.name };
    enumFrameworks.push(ef);
    em.framework(fnames[i]);
    for (const task of f.tasks) {
      const slave = slaves.get(task.slaveId);
      if (slave === undefined || task.state !== 'TASK_RUNNING') continue;
      ef.tasks.push(em.emit(task, slave));
    }
  }

  return {
    records: b.records,
    enumeration: { frameworks: enumFrameworks.length > 0 ? enumFrameworks : null },
    warnings,
  };
}

/** Names (with the domain tail) shared by the instances of one task name, and their value sets. */
interface Shared {
  shortT: string;
  shortSlaveT: string;
  tcpSlaveT: string;
  udpSlaveT: string;
  tcpT: string;
  udpT: string;
  a?: Set<string>;
  aaaa?: Set<string>;
  slaveA?: Set<string>;
  slaveAAAA?: Set<string>;
  tcpSlave?: Set<string>;
  udpSlave?: Set<string>;
  tcp?: Set<string>;
  udp?: Set<string>;
}

/**
 * Inserts tasks' records and collects, per task, the ones it newly added (for /v1/enumerate).
 * One instance serves every task of a refresh (fields are reset per task) and value sets are
 * fetched once per name and block rather than once per value: at 50k tasks, map lookups and
 * garbage collection are most of the generation time, so allocations are kept to what is stored.
 */
class TaskEmitter {
  private records: EnumRecord[] | null = null;
  private task: Task | null = null;
  private fname = '';
  private hash = '';
  private slaveTail = '';
  private ips: readonly ParsedIP[] = [];
  private slaveValues: readonly ParsedIP[] = [];
  /** Per framework (keyed by task name alone: a name+framework key could collide across dots). */
  private sharedCache = new Map<string, Shared>();

  constructor(
    private readonly rs: RecordSet,
    private readonly tail: string,
    private readonly spec: LabelSpec,
    private readonly sources: readonly string[],
  ) {}

  /** Start the tasks of a framework whose DomainFrag'ed name is `fname`. */
  framework(fname: string): void {
    this.fname = fname;
    this.sharedCache = new Map();
  }

  emit(task: Task, slave: SlaveInfo): EnumTask {
    this.records = null;
    this.task = task;
    this.hash = taskHash(task.id);
    this.slaveTail = slaveIDTail(task.slaveId);
    this.ips = sourceIPs(task, slave.ips, this.sources);
    this.slaveValues = slave.values;
    const di = task.discovery;
    if (di !== null) {
      this.block(di.name); // legacy records under the raw DiscoveryInfo name
      this.block(this.spec(di.name));
    } else {
      this.block(this.spec(task.name));
    }
    return { name: task.name, id: task.id, records: this.records };
  }

  /** The value set of a name, created if missing: call only right before putting a value. */
  private bucket(type: RRType, name: string): Set<string> {
    const m = this.rs[type];
    let set = m.get(name);
    if (set === undefined) {
      set = new Set();
      m.set(name, set);
    }
    return set;
  }

  private put(set: Set<string>, type: RRType, name: string, value: string): void {
    if (set.has(value)) return;
    set.add(value);
    const r: EnumRecord = { name, host: value, rtype: type };
    if (this.records === null) this.records = [r];
    else this.records.push(r);
  }

  /**
   * The names shared by every instance of a task name in a framework, and their value sets,
   * looked up once per task instead of once per name (instances of an app share all of them).
   */
  private shared(n: string): Shared {
    let sh = this.sharedCache.get(n);
    if (sh === undefined) {
      const short = n + '.' + this.fname;
      const tcp = '_' + n + '._tcp.' + this.fname;
      const udp = '_' + n + '._udp.' + this.fname;
      const t = this.tail;
      sh = {
        shortT: short + t, shortSlaveT: short + '.slave' + t,
        tcpSlaveT: tcp + '.slave' + t, udpSlaveT: udp + '.slave' + t, tcpT: tcp + t, udpT: udp + t,
      };
      this.sharedCache.set(n, sh);
    }
    return sh;
  }

  /** Each address under two names (short, then canonical), address by address. */
  private addresses(
    sh: Shared, slave: boolean, canonicalT: string, list: readonly ParsedIP[],
  ): void {
    const shortT = slave ? sh.shortSlaveT : sh.shortT;
    let c4: Set<string> | undefined;
    let c6: Set<string> | undefined;
    for (const ip of list) {
      const v = ip.text;
      if (v === '') continue;
      if (ip.family === 4) {
        const s4 = slave ? (sh.slaveA ??= this.bucket('A', shortT)) : (sh.a ??= this.bucket('A', shortT));
        this.put(s4, 'A', shortT, v);
        c4 ??= this.bucket('A', canonicalT);
        this.put(c4, 'A', canonicalT, v);
      } else {
        const s6 = slave ? (sh.slaveAAAA ??= this.bucket('AAAA', shortT)) : (sh.aaaa ??= this.bucket('AAAA', shortT));
        this.put(s6, 'AAAA', shortT, v);
        c6 ??= this.bucket('AAAA', canonicalT);
        this.put(c6, 'AAAA', canonicalT, v);
      }
    }
  }

  /** The record block of §7.6 for task name `n`. */
  private block(n: string): void {
    const { fname, tail } = this;
    const task = this.task!;
    const sh = this.shared(n);
    const canonical = n + '-' + this.hash + '-' + this.slaveTail + '.' + fname;
    const canonicalT = canonical + tail;
    const canonicalSlaveT = canonical + '.slave' + tail;
    this.addresses(sh, false, canonicalT, this.ips);
    this.addresses(sh, true, canonicalSlaveT, this.slaveValues);

    const di = task.discovery;
    const ports = task.ports;
    if (ports.length > 0) {
      const tcpSlave = (sh.tcpSlave ??= this.bucket('SRV', sh.tcpSlaveT));
      const udpSlave = (sh.udpSlave ??= this.bucket('SRV', sh.udpSlaveT));
      const tcpSet = di === null ? (sh.tcp ??= this.bucket('SRV', sh.tcpT)) : null;
      const udpSet = di === null ? (sh.udp ??= this.bucket('SRV', sh.udpT)) : null;
      const targetPrefix = canonicalSlaveT + ':';
      for (const p of ports) {
        const target = targetPrefix + p;
        this.put(tcpSlave, 'SRV', sh.tcpSlaveT, target);
        this.put(udpSlave, 'SRV', sh.udpSlaveT, target);
        if (tcpSet !== null && udpSet !== null) {
          this.put(tcpSet, 'SRV', sh.tcpT, target);
          this.put(udpSet, 'SRV', sh.udpT, target);
        }
      }
    }
    if (di === null) return;
    for (const p of di.ports) {
      const target = canonicalT + ':' + p.number;
      const proto = this.spec(p.protocol);
      const portName = this.spec(p.name);
      // an empty protocol means both tcp and udp; the named-port names follow the plain ones
      const svc1 = '_' + n + '._' + (proto !== '' ? proto : 'tcp') + '.' + fname;
      const svc2 = proto !== '' ? null : '_' + n + '._udp.' + fname;
      this.service(svc1 + tail, target);
      if (svc2 !== null) this.service(svc2 + tail, target);
      if (portName !== '') {
        this.service('_' + portName + '.' + svc1 + tail, target);
        if (svc2 !== null) this.service('_' + portName + '.' + svc2 + tail, target);
      }
    }
  }

  private service(name: string, target: string): void {
    this.put(this.bucket('SRV', name), 'SRV', name, target);
  }
}
