// Size (~510 lines, over the ~450 aimed at): not split this session (the label cut and PTR were
// being added to it); the next split is the pure per-task function out of TaskEmitter (REVIEW §3c).
// Record generation [B§7]: the validated state → the A/AAAA/SRV maps and the enumeration.
// A pure function (host names are resolved beforehand into `hostIPs`) so a refresh can be tested
// and benchmarked without a network, and so one bad input can only cost a warning: where the
// original panicked (non-IP leader, master or listener) that piece is skipped instead.
// The insertion order is the original's (frameworks → slaves → name server → masters → tasks)
// because the per-task "newly added records" of /v1/enumerate depend on it.
// Hot path: one pass over tasks, one SHA-1 per task, no regexes, and the per-task names built
// straight into the draft's name bytes (no string per name).
import type { DiscoveryPort, HostIPs, StateView, Task } from '../state/types.js';
import { parsePort, splitHostPortLoose } from '../net/hostport.js';
import { leaderAddress as leaderAddressOf } from '../net/upid.js';
import { RecordDraft } from './draft.js';
import { slaveIDTail, taskHash } from './hash.js';
import { ipv4Value, parseIP, type ParsedIP } from '../net/ip.js';
import { domainFrag, fitFirst, fitLast, labelSpec, type LabelSpec } from './labels.js';
import { Generated, type GenerateOptions, type RRType } from './types.js';

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
  /** slaveIDTail of its id: the last piece of its tasks' canonical names. */
  tail: string;
}

function kindOf(ip: ParsedIP): RRType {
  return ip.family === 4 ? 'A' : 'AAAA';
}

/** A literal IP as is, else the pre-resolved addresses of the host name (none if unknown). */
export function hostToIPs(host: string, hostIPs: HostIPs): ParsedIP[] {
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

/**
 * ParsedIP objects reused from task to task: a task's IPs are needed only while its records are
 * added, and at 50k tasks an object (and an array) per task was a good part of the garbage.
 */
interface IPPool { list: ParsedIP[]; n: number }

function pushIP(out: IPPool, v: string): void {
  if (v === '') return;
  // Canonical dotted IPv4, nearly every task IP, is what parseIP would return as is.
  const v4 = ipv4Value(v);
  const p = v4 >= 0 ? null : parseIP(v);
  if (v4 < 0 && p === null) return;
  let o = out.list[out.n];
  if (o === undefined) out.list.push(o = { family: 4, text: '', v4: -1 });
  if (p === null) { o.family = 4; o.text = v; o.v4 = v4; } else { o.family = p.family; o.text = p.text; o.v4 = p.v4; }
  out.n++;
}

/**
 * [B§7.6] task IPs: all parseable IPs of the first source (in `sources` order) that yields any,
 * as the first n entries of `out` (n returned). Unknown source names are ignored. Only the
 * latest RUNNING status is consulted. `hostIPs` are the slave's IPs (the "host" source); -1 is
 * returned when they are the answer.
 */
function sourceIPs(task: Task, hostIPs: readonly ParsedIP[], sources: readonly string[], out: IPPool): number {
  const j = latestRunning(task);
  const st = j >= 0 ? task.statuses[j] : null;
  for (const src of sources) {
    if (src === 'host') {
      if (hostIPs.length > 0) return -1;
      continue;
    }
    if (st === null) continue;
    out.n = 0;
    if (src === 'netinfo') {
      for (const ni of st.networkInfos) {
        if (ni.ipAddresses.length > 0) for (const a of ni.ipAddresses) pushIP(out, a);
        else pushIP(out, ni.ipAddress);
      }
    } else if (src === 'docker' || src === 'mesos') {
      const key = src === 'docker' ? DOCKER_IP_LABEL : MESOS_IP_LABEL;
      for (const l of st.labels) if (l.key === key) pushIP(out, l.value);
    }
    if (out.n > 0) return out.n;
  }
  return 0;
}

/** [B§7.6] task IPs for a task on a slave whose "IP list" is `slaveAddrs`. */
export function taskIPs(task: Task | null, slaveAddrs: readonly SlaveAddr[], sources: readonly string[]): ParsedIP[] {
  if (task === null) return [];
  const host: ParsedIP[] = [];
  for (const a of slaveAddrs) if (a.ip !== null) host.push(a.ip);
  const out: IPPool = { list: [], n: 0 };
  const n = sourceIPs(task, host, sources, out);
  return n < 0 ? [...host] : out.list.slice(0, n);
}

/** Turn slave IP strings (as the original kept them) into SlaveAddr entries. */
export function slaveAddrs(values: readonly string[]): SlaveAddr[] {
  return values.map((raw) => ({ raw, ip: parseIP(raw) }));
}

/**
 * [B§7.5] leader and master records. `leader` is the state's raw leader string, `masters` the list
 * used for this refresh (leader first, "" = unknown leader).
 */
export function addMasterRecords(
  b: RecordDraft, domain: string, masters: readonly string[], leader: string, warnings: string[],
): void {
  const tail = '.' + domain + '.';
  const la = leaderAddressOf(leader);
  if (la === 'no @') {
    if (leader !== '') warnings.push(`leader ${JSON.stringify(leader)} has no '@': no leader or master records`);
    return;
  }
  if (la === 'no host:port') {
    warnings.push(`leader ${JSON.stringify(leader)} has no host:port: no leader or master records`);
    return;
  }
  const leaderAddress = la.address;
  const lhp = la.hp;
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
export function generate(state: StateView, hostIPs: HostIPs, opts: GenerateOptions): Generated {
  // Sized for the usual ~7.5 names (and the image's ~1 empty non-terminal) and ~15 records per
  // task: growing by doubling copies them.
  let tasks = 0;
  for (const f of state.frameworks) tasks += f.tasks.length;
  const b = new RecordDraft(tasks * 9 + 1024, tasks * 16 + 4096);
  const warnings: string[] = [];
  const tail = '.' + opts.domain + '.';
  const spec = labelSpec(opts.enforceRFC952);

  // frameworks [B§7.2]
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

  // slaves [B§7.3]
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
      values: addrs.map((a) => a.ip ?? { family: 4, text: a.raw, v4: -1 }),
      tail: slaveIDTail(s.id),
    });
  }

  // name server [B§7.4]
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

  // leader and masters [B§7.5]
  addMasterRecords(b, opts.domain, opts.masters, state.leader, warnings);

  // tasks [B§7.6], [B§7.7]
  const em = new TaskEmitter(b, tail, spec, opts.ipSources, warnings);
  for (let i = 0; i < state.frameworks.length; i++) {
    const f = state.frameworks[i];
    b.framework(f.name);
    em.framework(fnames[i]);
    for (const task of f.tasks) {
      const slave = slaves.get(task.slaveId);
      if (slave === undefined || task.state !== 'TASK_RUNNING') continue;
      b.beginTask(task.name, task.id);
      em.emit(task, slave);
      b.endTask();
    }
  }

  return new Generated(b, warnings);
}

const NO_PARENTS = { plain: -1, slave: -1, tcp: -1, udp: -1, tcpSlave: -1, udpSlave: -1 };

/** How the names of a framework's tasks end, after the task name: "." + fname + tail and so on. */
type Ends = { [K in keyof typeof NO_PARENTS]: string };

/** Ids of the names shared by the instances of one task name in a framework (-1: not yet interned). */
interface Shared {
  /** Parent ids apply only when the task name is one label (legacy raw names may hold dots). */
  oneLabel: boolean;
  /** The task name in `_<task>` labels: cut to 62 so the label fits 63 octets (labels.ts fitFirst). */
  svc: string;
  /** DiscoveryInfo ports (protocol, name) the service ids below were interned for, and those ids. */
  diPorts: DiscoveryPort[] | null;
  diSvc: number[][];
  short: number;
  shortSlave: number;
  tcpSlave: number;
  udpSlave: number;
  tcp: number;
  udp: number;
}

/**
 * Inserts tasks' records into the draft. One instance serves every task of a refresh, and the
 * names shared by the instances of an app are interned once per app, not once per task: at 50k
 * tasks, name hashing and garbage collection were most of the generation time.
 */
class TaskEmitter {
  private task: Task | null = null;
  /** "<fname><tail>" and "<fname>.slave<tail>": how the framework's canonical names end. */
  private fwTail = '';
  private fwSlaveTail = '';
  /** "-<hash>-<slave tail>.": the task's part of its canonical names. */
  private taskPart = '';
  /** Whether taskPart adds no dot: the slave id's tail is one label (see block). */
  private taskPartOneLabel = true;
  private ends: Ends = { plain: '', slave: '', tcp: '', udp: '', tcpSlave: '', udpSlave: '' };
  /** The task's IPs: the first ipN of ips (the slave's, or `pool`'s). */
  private ips: readonly ParsedIP[] = [];
  private ipN = 0;
  private readonly pool: IPPool = { list: [], n: 0 };
  private slaveValues: readonly ParsedIP[] = [];
  /** Per framework (keyed by task name alone: a name+framework key could collide across dots). */
  private sharedCache = new Map<string, Shared>();

  constructor(
    private readonly b: RecordDraft,
    private readonly tail: string,
    private readonly spec: LabelSpec,
    private readonly sources: readonly string[],
    private readonly warnings: string[],
  ) {}

  /** Task names already warned about in this generation (one warning per name and kind of cut). */
  private readonly cutWarned = new Set<string>();

  /** One warning per task name whose labels had to be cut (README "Names": long task names). */
  private warnCut(n: string, cut: string, where: string): void {
    const key = where + '\0' + n;
    if (this.cutWarned.has(key)) return;
    this.cutWarned.add(key);
    this.warnings.push(`task name ${JSON.stringify(n)} is too long for a 63-octet label: cut to ${JSON.stringify(cut)} in ${where}`);
  }

  /** Ids of the parents of the per-task names of this framework (see RecordDraft.id). */
  private fw = NO_PARENTS;

  /** Start the tasks of a framework whose DomainFrag'ed name is `fname`. */
  framework(fname: string): void {
    this.sharedCache = new Map();
    const { b, tail } = this;
    this.fwTail = fname + tail;
    this.fwSlaveTail = fname + '.slave' + tail;
    this.ends = {
      plain: '.' + this.fwTail, slave: '.' + this.fwSlaveTail, tcp: '._tcp.' + this.fwTail, udp: '._udp.' + this.fwTail,
      tcpSlave: '._tcp.' + this.fwSlaveTail, udpSlave: '._udp.' + this.fwSlaveTail,
    };
    const plain = b.id(fname + tail), slave = b.id(fname + '.slave' + tail);
    this.fw = {
      plain, slave,
      tcp: b.id('_tcp.' + fname + tail, plain), udp: b.id('_udp.' + fname + tail, plain),
      tcpSlave: b.id('_tcp.' + fname + '.slave' + tail, slave), udpSlave: b.id('_udp.' + fname + '.slave' + tail, slave),
    };
  }

  emit(task: Task, slave: SlaveInfo): void {
    this.task = task;
    this.taskPart = '-' + taskHash(task.id) + '-' + slave.tail + '.';
    this.taskPartOneLabel = slave.tail.indexOf('.') < 0;
    const n = sourceIPs(task, slave.ips, this.sources, this.pool);
    this.ips = n < 0 ? slave.ips : this.pool.list;
    this.ipN = n < 0 ? slave.ips.length : n;
    this.slaveValues = slave.values;
    const di = task.discovery;
    if (di !== null) {
      this.block(di.name); // legacy records under the raw DiscoveryInfo name
      const sane = this.spec(di.name);
      if (sane !== di.name) this.block(sane); // (the same name again would add nothing new)
    } else {
      this.block(this.spec(task.name));
    }
  }

  private shared(n: string): Shared {
    let sh = this.sharedCache.get(n);
    if (sh === undefined) {
      const svc = fitFirst(n, 1);
      if (svc !== n) this.warnCut(n, svc, '_<task> service names');
      sh = { oneLabel: n.indexOf('.') < 0, svc, diPorts: null, diSvc: [], short: -1, shortSlave: -1, tcpSlave: -1, udpSlave: -1, tcp: -1, udp: -1 };
      this.sharedCache.set(n, sh);
    }
    return sh;
  }

  /** Each address under two names (short, then canonical), address by address. */
  private addresses(short: number, canonical: number, list: readonly ParsedIP[], n: number): void {
    const b = this.b;
    for (let i = 0; i < n; i++) {
      b.addIP(short, list[i]);
      b.addIP(canonical, list[i]);
    }
  }

  /**
   * Ids of the SRV names of each DiscoveryInfo port of task name `n`, in the original's order.
   * Instances of an app declare the same ports, so the ids are reused while (protocol, name)
   * stay the same rather than built and hashed again for every instance.
   */
  private serviceNames(sh: Shared, ports: DiscoveryPort[]): number[][] {
    const n = sh.svc;
    const prev = sh.diPorts;
    if (prev !== null && prev.length === ports.length) {
      let same = true;
      for (let i = 0; i < ports.length && same; i++) same = prev[i].protocol === ports[i].protocol && prev[i].name === ports[i].name;
      if (same) return sh.diSvc;
    }
    const { ends } = this;
    // Parents (see RecordDraft.id): "_tcp.<fw>" and "_udp.<fw>" when `n` is one label; a
    // named-port name's parent is its service name.
    const fw = sh.oneLabel ? this.fw : NO_PARENTS;
    const out: number[][] = [];
    for (const p of ports) {
      // `_<proto>` and `_<port name>` labels fit 63 octets too.
      const proto = fitFirst(this.spec(p.protocol), 1);
      const portName = fitFirst(this.spec(p.name), 1);
      // an empty protocol means both tcp and udp; the named-port names follow the plain ones
      const end1 = proto === '' || proto === 'tcp' ? ends.tcp : proto === 'udp' ? ends.udp : '._' + proto + this.ends.plain;
      const svc1 = this.named(proto === '' || proto === 'tcp' ? fw.tcp : proto === 'udp' ? fw.udp : -1, '_', n, end1);
      const svc2 = proto !== '' ? -1 : this.named(fw.udp, '_', n, ends.udp);
      const ids = [svc1];
      if (svc2 >= 0) ids.push(svc2);
      if (portName !== '') {
        const head = '_' + portName + '._';
        ids.push(this.named(svc1, head, n, end1));
        if (svc2 >= 0) ids.push(this.named(svc2, head, n, ends.udp));
      }
      out.push(ids);
    }
    sh.diPorts = ports;
    sh.diSvc = out;
    return out;
  }

  /** Id of the name spelled a + b + c, built in place (no string for it). */
  private named(parent: number, a: string, b: string, c: string): number {
    const d = this.b;
    d.begin();
    d.push(a);
    d.push(b);
    d.push(c);
    return d.end(parent);
  }

  /** The record block of [B§7.6] for task name `n`. */
  private block(n: string): void {
    const { ends, b } = this;
    const task = this.task!;
    const sh = this.shared(n);
    const fw = sh.oneLabel ? this.fw : NO_PARENTS;
    // canonical names, <n>-<hash>-<slave tail>.<fname>[.slave]<tail>: new by construction; one
    // label above the framework only when the slave id's tail holds no dot either
    const cfw = this.taskPartOneLabel ? fw : NO_PARENTS;
    // The task part is cut so that "<task>-<hash>-<agent>" fits one 63-octet label.
    const cn = fitLast(n, this.taskPart.indexOf('.'));
    if (cn !== n) this.warnCut(n, cn, '<task>-<hash>-<agent> names');
    const canonicalT = this.named(cfw.plain, cn, this.taskPart, this.fwTail);
    const canonicalSlaveT = this.named(cfw.slave, cn, this.taskPart, this.fwSlaveTail);
    if (this.ipN > 0) {
      if (sh.short < 0) sh.short = this.named(fw.plain, n, ends.plain, '');
      this.addresses(sh.short, canonicalT, this.ips, this.ipN);
    }
    if (this.slaveValues.length > 0) {
      if (sh.shortSlave < 0) sh.shortSlave = this.named(fw.slave, n, ends.slave, '');
      this.addresses(sh.shortSlave, canonicalSlaveT, this.slaveValues, this.slaveValues.length);
    }

    const di = task.discovery;
    const ports = task.ports;
    if (ports.length > 0) {
      if (sh.tcpSlave < 0) {
        sh.tcpSlave = this.named(fw.tcpSlave, '_', sh.svc, ends.tcpSlave);
        sh.udpSlave = this.named(fw.udpSlave, '_', sh.svc, ends.udpSlave);
      }
      if (di === null && sh.tcp < 0) {
        sh.tcp = this.named(fw.tcp, '_', sh.svc, ends.tcp);
        sh.udp = this.named(fw.udp, '_', sh.svc, ends.udp);
      }
      for (const p of ports) {
        b.addSRV(sh.tcpSlave, canonicalSlaveT, p);
        b.addSRV(sh.udpSlave, canonicalSlaveT, p);
        if (di === null) {
          b.addSRV(sh.tcp, canonicalSlaveT, p);
          b.addSRV(sh.udp, canonicalSlaveT, p);
        }
      }
    }
    if (di === null) return;
    const svc = this.serviceNames(sh, di.ports);
    for (let i = 0; i < di.ports.length; i++) {
      const port = di.ports[i].number;
      for (const id of svc[i]) b.addSRV(id, canonicalT, port);
    }
  }
}
