// The whole refresh computation as one function: state bytes in, a ready zone out. It runs in a
// worker thread (zone/worker.ts) so that parsing a 50 MB state and generating its records never
// delays an answer; what it hands back is one transferable buffer, so passing the result to the
// answering thread copies nothing. Host-name resolution is injected to keep it testable.
import { createHash } from 'node:crypto';
import { hostNamesOf, type ParseResult } from '../state/parse.js';
import type { StateView } from '../state/types.js';
import { scanState, type ScannedState } from '../state/scan.js';
import { generate } from '../records/generate.js';
import { pointerRecords } from '../records/ptr.js';
import type { Generated, GenerateOptions } from '../records/types.js';
import type { ImageParams } from './image.js';
import { buildImage } from './image-write.js';
import { T_A, T_AAAA, T_SRV } from '../records/draft.js';

export interface BuildParams {
  generate: GenerateOptions;
  image: ImageParams;
  /** PTROn: also compute the PTR records (records/ptr.ts). */
  ptr?: boolean;
}

export interface BuiltZone {
  /** Zone image (zone/image.ts); shared when BuildParams.image.shared. */
  image: ArrayBuffer | SharedArrayBuffer;
  /** Hash of the content, to bump the SOA serial only when something changed [A.4]. */
  contentHash: string;
  counts: { frameworks: number; slaves: number; tasks: number; names: number; records: number };
  /** Records by type (for /metrics). */
  byType: { A: number; AAAA: number; SRV: number };
  /** Every warning of the refresh; the worker leaves only the lines to log (zone/warnings.ts). */
  warnings: string[];
  /** Set by the worker: all warnings of the refresh, and those new since the previous one. */
  warningCounts?: { total: number; fresh: number };
  /** Set by the worker: entities skipped, by reason (state/metrics.ts skipReason), for /metrics. */
  skipped?: Record<string, number>;
  /** Raw `leader` of the state (for the log line). */
  leader: string;
  /** A patched version (zone/incremental.ts): names rewritten, tasks regenerated, compacted, dead bytes. */
  patch?: { edits: number; tasks: number; compacted: boolean; dead: number };
  /** With PTROn: the PTR records, owner and target in turn, sorted by owner (records/ptr.ts). */
  ptr?: string[];
}

export type HostResolver = (names: string[]) => Promise<Map<string, string[]>>;

/** The state itself is unusable (not JSON, no leader): keep the previous records. */
export class StateRejected extends Error {}

/** Called after each stage with its name (bench/pipeline.ts times the stages). */
export type StageMark = (stage: string) => void;

/** The state bytes as a JSON document; StateRejected when they are not JSON. */
export function parseBody(body: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (err) {
    throw new StateRejected(`state is not JSON: ${(err as Error).message}`);
  }
}

/**
 * The state bytes, parsed (state/scan.ts) with lazy task lists: the bytes must stay unchanged
 * until the zone is built. StateRejected when they are not JSON.
 */
export function parseStateBody(body: Uint8Array): ScannedState<StateView> {
  return scanState(body, parseBody, { lazyTasks: true });
}

/**
 * Build the zone from a parsed state (parseStateBody, or the state client's decode). The state
 * is taken out of `doc`, so that it can be collected as soon as the records are generated.
 */
export async function buildZone(
  doc: { value: ParseResult<StateView> | undefined }, p: BuildParams, resolve: HostResolver, mark: StageMark = () => {},
): Promise<{ zone: BuiltZone; generated: Generated }> {
  const parsed = doc.value;
  doc.value = undefined;
  if (!parsed?.state) throw new StateRejected(parsed?.error ?? 'state unusable');
  // The state is dropped as soon as the records exist (with lazy task lists it holds the body).
  let state: StateView | null = parsed.state;
  parsed.state = null;
  const names = hostNamesOf(state);
  const hostIPs = names.length ? await resolve(names) : new Map<string, string[]>();
  mark('resolve');
  const gen = generate(state, hostIPs, p.generate);
  const ptr = p.ptr ? pointerRecords(state, hostIPs, p.generate).flat() : undefined;
  const stateCounts = { frameworks: state.frameworks.length, slaves: state.slaves.length };
  const leader = state.leader;
  state = null;
  mark('generate');
  const image = buildImage(gen.draft, p.image);
  mark('buildImage');
  // The image holds every name and value (lower-cased); the enumeration adds spelling and tasks
  // (joined first: one hash update, not two per task).
  const d = gen.draft;
  const h = createHash('sha1');
  h.update(new Uint8Array(image));
  h.update(d.taskId.join('\0')).update('\0\0').update(d.taskName.join('\0'));
  mark('hash');
  const byType = d.countByType();
  return {
    zone: {
      image, contentHash: h.digest('hex'),
      counts: { ...stateCounts, tasks: d.taskId.length, names: d.listCount(), records: d.nodeCount },
      byType: { A: byType[T_A], AAAA: byType[T_AAAA], SRV: byType[T_SRV] },
      warnings: [...parsed.warnings, ...gen.warnings],
      leader,
      ...(ptr ? { ptr } : {}),
    },
    generated: gen,
  };
}
