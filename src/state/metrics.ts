// Counters of the state source (polling today; the event stream fills the stream fields), declared
// in one place; src/metrics/state.ts exports them. The refresh loop (server/source.ts) and the state
// source write plain numbers; nothing here depends on the metrics library.
export const stateMetrics = {
  /** Unix seconds of the last state load that produced a zone (0: none yet). */
  lastSuccess: 0,
  /** Seconds the last successful load took (fetch to zone swap). */
  lastDurationSeconds: 0,
  /** Successful loads. */
  loads: 0,
  /** Failed loads by reason (bounded set: see failureReason). */
  failures: new Map<string, number>(),
  /** Stream events by type (the stream source fills this; polling leaves it empty). */
  events: new Map<string, number>(),
  /** 1 while an event stream is subscribed (polling: stays 0). */
  streamConnected: 0,
  /** Stream re-subscriptions (every SUBSCRIBED after the process's first). */
  reconnects: 0,
  /** Agents served from before a failover, not re-registered yet (stream only). */
  recoveringAgents: 0,
  /** State bytes received from masters. */
  bytes: 0,
  /** Entities skipped by the last load, by reason (bounded set: see skipReason). */
  skipped: new Map<string, number>(),
};

export function countFailure(reason: 'rejected' | 'unreachable' | 'worker' | 'other'): void {
  stateMetrics.failures.set(reason, (stateMetrics.failures.get(reason) ?? 0) + 1);
}

/** The kind of a skip warning (parse.ts / generate.ts texts), as a bounded label value. */
export function skipReason(warning: string): string {
  const m = /^skipping (task|framework|slave|agent)\b/.exec(warning);
  if (m) return m[1] === 'slave' ? 'agent' : m[1]!;
  if (/ignoring (discovery port|port range)/.test(warning)) return 'port';
  if (/^(leader|master)\b/.test(warning)) return 'master';
  return 'other';
}

/** Warnings of one load, counted by reason. */
export function countSkipped(warnings: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const w of warnings) { const r = skipReason(w); out[r] = (out[r] ?? 0) + 1; }
  return out;
}

/** Replace the skipped-entity gauges with the counts of the load just done. */
export function setSkipped(counts: Record<string, number>): void {
  stateMetrics.skipped = new Map(Object.entries(counts));
}

/** What the build worker's stream subscriber reports: counts since its last report, gauges as they are. */
export interface StreamStatsDelta {
  subscribes: number;
  bytes: number;
  events: Record<string, number>;
  connected: boolean;
  recovering: number;
}

let subscribedOnce = false;

/** Add a worker's stream report to the metrics (the first subscription of the process is no reconnect). */
export function addStreamStats(d: StreamStatsDelta): void {
  const m = stateMetrics;
  for (const [k, v] of Object.entries(d.events)) m.events.set(k, (m.events.get(k) ?? 0) + v);
  if (d.subscribes > 0) {
    m.reconnects += d.subscribes - (subscribedOnce ? 0 : 1);
    subscribedOnce = true;
  }
  m.bytes += d.bytes;
  m.streamConnected = d.connected ? 1 : 0;
  m.recoveringAgents = d.recovering;
}
