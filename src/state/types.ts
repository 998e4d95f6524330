// The Mesos master state, in one place: the validated shape the record generator consumes. The
// `/master/state` JSON itself is read field by field where it is parsed (state/parse.ts, and
// state/scan.ts straight from the bytes), skipping any single entity it cannot understand rather
// than failing the whole load; the field subset they read is documented there and in [B§5.3].

// ---------- validated shape consumed by records/generate.ts ----------

/** A parsed `name@host:port` pid. `host` is an IP literal or a host name (resolved separately). */
export interface PID {
  id: string;
  host: string;
  port: number;
}

export interface Label { key: string; value: string }

export interface NetworkInfo {
  /** From `ip_addresses[].ip_address` (non-empty list wins) else the single `ip_address`. */
  ipAddresses: string[];
  ipAddress: string;
}

export interface TaskStatus {
  state: string;
  timestamp: number;
  labels: Label[];
  networkInfos: NetworkInfo[];
}

export interface DiscoveryPort { number: number; protocol: string; name: string }

export interface DiscoveryInfo {
  name: string;
  ports: DiscoveryPort[];
}

export interface Task {
  id: string;
  name: string;
  slaveId: string;
  state: string;
  /** Range-expanded `resources.ports`, in order. */
  ports: number[];
  statuses: TaskStatus[];
  /** Present only when `discovery.name` is non-empty. */
  discovery: DiscoveryInfo | null;
}

export interface Framework {
  name: string;
  /** Null when the framework has no pid (then `hostname` is used, with no port). */
  pid: PID | null;
  hostname: string;
  tasks: Task[];
}

export interface Slave {
  id: string;
  pid: PID;
}

export interface State {
  /** Raw `leader` string, e.g. `master@10.0.0.1:5050`. */
  leader: string;
  slaves: Slave[];
  frameworks: Framework[];
}

/**
 * A framework's tasks as record generation reads them: in order, any number of times. The byte
 * scanner's lazy lists (state/scan.ts) read each task from the state bytes as it is reached, so
 * a 50k-task state is never a million live objects at once; for them `length` counts the array's
 * elements, an upper bound (an element that cannot be a task is skipped, with a warning).
 */
export interface TaskList extends Iterable<Task> {
  readonly length: number;
}

/** A Framework whose tasks may be a lazy TaskList. */
export interface FrameworkView extends Omit<Framework, 'tasks'> {
  tasks: TaskList;
}

/** The state as record generation reads it: a State, or the scanner's one with lazy task lists. */
export interface StateView extends Omit<State, 'frameworks'> {
  frameworks: FrameworkView[];
}

/** Host name → its IP addresses (A and AAAA), resolved before generation so generation is pure. */
export type HostIPs = ReadonlyMap<string, readonly string[]>;
