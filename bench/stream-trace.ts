// The stream section's breakdown of freshness by stage (`--only=stream`): where an event's time
// goes between the stand-in master writing it and the probe seeing it answered. Why: the p99 is
// what the target is about, and a single end-to-end figure cannot tell queueing behind a build
// from the build, the coalescing window, garbage collection or the swap. The server (run with -v)
// logs each version's trace (src/stream/trace.ts) on its 'stream update' debug line; events are
// matched to versions by their sequence number in the stream (the runner counts the events the
// stand-in cluster emits from the subscription on; the subscriber counts the records it reads).
// Times from the server are epoch ms (timeOrigin + now), as the runner's are converted here.
import type { BatchTrace, VersionTrace } from '../src/stream/trace.js';

/** An event the probe saw: when it left the master and when it showed (runner performance.now()), its stream sequence number. */
export interface SeenEvent { kind: 'launch' | 'kill'; at: number; seen: number; seq: number }

export const STAGES = [
  'master → read by subscriber',
  'read → applied to the model',
  'applied → coalescing window closed',
  'window closed → build start (queued)',
  'build start → image written',
  'written → posted',
  'posted → main thread',
  'main thread: swap',
  'swapped → probe saw it',
] as const;

export interface StageBreakdown {
  /** Events matched to a version's trace / seen in all. */
  matched: number;
  events: number;
  /** Per stage, over the matched events. */
  stages: Record<string, { p50: number; p99: number; max: number }>;
  /** Mean of each stage over the slowest 1% of events (what the p99 is made of). */
  tail: Record<string, number>;
  tailCount: number;
  /** Per version: events in it, and its build stages (ms). */
  versions: number;
  /** Versions built whole, by reason. */
  full: Record<string, number>;
  perVersion: Record<string, { p50: number; p99: number; max: number }>;
}

function pct(xs: number[]): { p50: number; p99: number; max: number } {
  const s = xs.slice().sort((a, b) => a - b);
  const at = (p: number) => (s.length ? s[Math.min(s.length - 1, Math.ceil(s.length * p) - 1)]! : NaN);
  return { p50: at(0.5), p99: at(0.99), max: s.length ? s[s.length - 1]! : NaN };
}

/** The traces in the server's stderr lines (JSON log lines 'stream update' with a trace). */
export function tracesOf(lines: readonly string[]): VersionTrace[] {
  const out: VersionTrace[] = [];
  for (const line of lines) {
    if (!line.startsWith('{') || !line.includes('"trace"')) continue;
    try {
      const j = JSON.parse(line) as { msg?: string; trace?: VersionTrace };
      if (j.msg === 'stream update' && j.trace && j.trace.recv !== undefined) out.push(j.trace);
    } catch { /* not a log line */ }
  }
  return out;
}

export function breakdown(events: readonly SeenEvent[], traces: readonly VersionTrace[]): StageBreakdown {
  const origin = performance.timeOrigin;
  // Batches in stream order, each with its version.
  const batches: { b: BatchTrace; v: VersionTrace }[] = [];
  for (const v of traces) for (const b of v.batches) batches.push({ b, v });
  batches.sort((x, y) => x.b.seq1 - y.b.seq1);
  const find = (seq: number) => {
    let lo = 0, hi = batches.length - 1;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (batches[mid]!.b.seq1 < seq) lo = mid + 1; else hi = mid; }
    const hit = batches[lo];
    return hit && hit.b.seq0 < seq && seq <= hit.b.seq1 ? hit : undefined;
  };
  const rows: { total: number; st: number[] }[] = [];
  for (const e of events) {
    const hit = find(e.seq);
    if (!hit) continue;
    const { b, v } = hit;
    const i = e.seq - b.seq0 - 1;
    if (i >= b.read.length) continue;
    const at = origin + e.at, seen = origin + e.seen;
    rows.push({
      total: e.seen - e.at,
      st: [b.read[i]! - at, b.applied[i]! - b.read[i]!, b.close - b.applied[i]!, v.start - b.close, v.end - v.start,
        v.posted - v.end, v.recv! - v.posted, v.swap! - v.recv!, seen - v.swap!],
    });
  }
  const stages: StageBreakdown['stages'] = {};
  STAGES.forEach((name, k) => { stages[name] = pct(rows.map((r) => r.st[k]!)); });
  rows.sort((a, b) => b.total - a.total);
  const tailRows = rows.slice(0, Math.max(1, Math.ceil(rows.length / 100)));
  const tail: Record<string, number> = {};
  STAGES.forEach((name, k) => { tail[name] = tailRows.length ? tailRows.reduce((a, r) => a + r.st[k]!, 0) / tailRows.length : NaN; });
  tail['total'] = tailRows.length ? tailRows.reduce((a, r) => a + r.total, 0) / tailRows.length : NaN;
  const perVersion: StageBreakdown['perVersion'] = {};
  const keys = new Set<string>();
  for (const v of traces) for (const k of Object.keys(v.stages)) keys.add(k);
  perVersion['events per version'] = pct(traces.map((v) => v.batches.reduce((a, b) => a + b.seq1 - b.seq0, 0)));
  perVersion['build (start → written)'] = pct(traces.map((v) => v.end - v.start));
  for (const k of keys) perVersion[k] = pct(traces.map((v) => v.stages[k] ?? 0));
  perVersion['worker GC since the previous version'] = pct(traces.map((v) => v.gcMs));
  const full: Record<string, number> = {};
  for (const v of traces) if (v.full !== undefined) full[v.full] = (full[v.full] ?? 0) + 1;
  return { full, matched: rows.length, events: events.length, stages, tail, tailCount: tailRows.length, versions: traces.length, perVersion };
}
