// Bounds on what one entity of the master's state may hold. Why: the state comes from the network,
// and every list or string in it is multiplied into objects, records, names and log lines; one
// broken or hostile entity (a 16 kB `resources.ports` of "[0-65535, 0-65535, ...]" is 10^8 ports)
// took the build worker and the process down. With these limits such an entity costs one warning
// and is skipped [A.15]; the rest of the state is served. Each limit is far above anything a
// real cluster writes (the reason is beside it), so no real task is ever skipped by one. The byte
// scanner (scan.ts) and the tolerant parser (parse.ts) apply the same limits with the same
// messages: the scanner leaves an entity over a limit to the parser, which words the warning.

/**
 * Ports of one task after range expansion. Tasks ask for a handful (a Marathon app: 1–10); an
 * agent's default offer is [31000-32000], 1001 ports, so a task holding all of them still fits.
 */
export const MAX_TASK_PORTS = 2048;

/**
 * Comma-separated items of one `resources.ports` string. Mesos merges adjacent ranges, so a task
 * has at most one range per port; counting items (also empty and unusable ones) bounds the work
 * and the warnings of one string whatever its length.
 */
export const MAX_PORT_RANGES = MAX_TASK_PORTS;

/**
 * Statuses of one task. The master keeps one per state change (staging, starting, running, plus
 * health changes, a handful); it never gets near this.
 */
export const MAX_TASK_STATUSES = 1000;

/** Labels of one status: the containerizers set a few (the Docker/Mesos IP labels). */
export const MAX_STATUS_LABELS = 1000;

/** Network infos of one container status: one per network the container joins, a few. */
export const MAX_NETWORK_INFOS = 64;

/** IP addresses of one network info: one per address family in practice. */
export const MAX_IP_ADDRESSES = 64;

/** DiscoveryInfo ports of one task: like its resource ports, a handful. */
export const MAX_DISCOVERY_PORTS = MAX_TASK_PORTS;

/**
 * Characters of an id, a name, a host name, a pid, a state or a protocol. Mesos ids and names
 * are tens of characters (a Marathon task id: app path + UUID, well under 200); DNS names are at
 * most 253 octets.
 */
export const MAX_NAME_CHARS = 1024;

/**
 * Characters of a status label's key or value, or an IP address string: what we read of labels is
 * an IP address (a few tens of characters); other labels are kept only until generation.
 */
export const MAX_LABEL_CHARS = 4096;

/**
 * Agents of one state. The largest Mesos clusters reported ran tens of thousands of agents; more
 * are ignored (one warning) rather than grown into records without end.
 */
export const MAX_AGENTS = 100_000;

/** Frameworks of one state: a cluster runs tens, a few hundred with many Marathon-on-Marathons. */
export const MAX_FRAMEWORKS = 10_000;

/**
 * Tasks of one state, all frameworks together (each task is ~15 records). Ten times the largest
 * clusters reported (~100k tasks); the 512 MiB body limit alone would let in ~17M minimal tasks.
 * The tasks over it (in state order) are ignored, with one warning naming the framework where
 * the limit was reached.
 */
export const MAX_TASKS = 1_000_000;

/** Tasks still to be read of a state: frameworks take from it in order (see MAX_TASKS). */
export interface TaskBudget { left: number; warned: boolean }

/** The warning for the `over` elements of a list ignored after its first `max`. */
export function overLimit(what: string, over: number, max: number): string {
  return `ignoring ${over} ${what} over the limit of ${max}`;
}

/** A long string in a warning is cut to this many characters: warnings name things, not copy them. */
export const WARN_TEXT_CHARS = 80;

/** `s` quoted for a warning, cut to WARN_TEXT_CHARS. */
export function quoteCut(s: string): string {
  return s.length > WARN_TEXT_CHARS ? JSON.stringify(s.slice(0, WARN_TEXT_CHARS)).slice(0, -1) + '..."' : JSON.stringify(s);
}
