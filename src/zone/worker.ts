// The build worker: fetches the state, parses it, generates the records and builds the zone
// image, then transfers the image (and the compact records, for /v1/axfr and /v1/enumerate) to
// the answering thread. Fetching happens here too because a 50 MB body (receiving, joining,
// scanning for the leader) is tens of milliseconds of work that must not sit in front of DNS
// answers. The worker runs at the lowest CPU priority so that when it shares a core with the
// answering thread, answers win. It keeps no records between jobs (they travel to the answering
// thread), and gives the memory of each job back when it is done (src/memory.ts).
// In stream mode the event-stream subscriber (stream/subscriber.ts) lives here too: it keeps the
// cluster model and publishes zone versions (zone/publish.ts) on its own, as `stream` messages.
import { parentPort, workerData } from 'node:worker_threads';
import { lowerHelperThreads } from './priority.js';
import { collectGarbage, collectSoon, freeNow } from '../memory.js';
import { buildZone, parseStateBody, StateRejected, type BuildParams } from './build.js';
import { renderAxfr, renderEnumeration } from './render.js';
import { WarningFilter } from './warnings.js';
import { resolveHosts } from '../state/resolve.js';
import { createStateClient, type StateClient } from '../state/fetch.js';
import type { ParseResult } from '../state/parse.js';
import type { StateView } from '../state/types.js';
import { RecordDraft, transferList, type DraftTransfer } from '../records/draft.js';
import { createLogger } from '../log.js';
import { writeLastGood } from './lastgood.js';
import { countSkipped } from '../state/metrics.js';
import { ChangeTracker } from './changes.js';
import { imageTransfer } from './image.js';
import { Subscriber } from '../stream/subscriber.js';
import type { StreamStatsDelta } from '../state/metrics.js';
import { createPublisher } from './publish.js';
import { IncrementalZone } from './incremental.js';
import type { CallRequest, ReplyOf, StreamMessage, WorkerReply, WorkerRequest } from './protocol.js';
import { Spares } from './spares.js';
import { clock, type VersionTrace } from '../stream/trace.js';
import { PerformanceObserver } from 'node:perf_hooks';

// Again: threads this worker started since the builder lowered them. The first worker starts at
// normal priority (nothing to protect yet); the answering thread lowers it after the first zone.
let lowPriority = !!(workerData as { lowPriority?: boolean } | null)?.lowPriority;
if (lowPriority) lowerHelperThreads();

const port = parentPort!;
let client: StateClient | null = null;
/** Logs each problem once, a bounded number of lines per refresh (zone/warnings.ts). */
const warningFilter = new WarningFilter();
/** With SnapshotFile set: a copy of the last image sent, until the answering thread says whether to write it. */
let keptImage: ArrayBuffer | SharedArrayBuffer | null = null;
/** The last zone published, to diff the next against (zone/changes.ts). */
const versions = new ChangeTracker();
/**
 * Shared images given back, written again by the next stream versions. One let go is freed when
 * both threads have collected their handles: this one now, the answering thread when told.
 */
const spares = new Spares(() => {
  collectSoon();
  port.postMessage({ stream: 'collect' } satisfies StreamMessage);
});
/** Stream versions are patches of the last one (zone/incremental.ts), written into spares. */
const incremental = new IncrementalZone(spares);
/**
 * How to generate the records of the latest patched stream versions, by version: kept for the
 * last few only (a body is asked for the version being served, or one just replaced).
 */
const lazyRecords = new Map<number, () => DraftTransfer>();
const LAZY_KEPT = 16;

// Stage durations (ms) of the running refresh, for its log line: where a slow refresh spent its
// time. A stage run twice (a redirect to the leader fetches and scans again) adds up.
let stages: Record<string, number> = {};
/** State bytes received by the running refresh (redirects included). */
let bytes = 0;
let stageStart = 0;
function mark(stage: string): void {
  const now = performance.now();
  stages[stage] = (stages[stage] ?? 0) + Math.round(now - stageStart);
  stageStart = now;
}

let subscriber: Subscriber | null = null;
let streamParams: BuildParams | null = null;
/** The subscriber's totals as last reported to the answering thread (metrics travel as deltas). */
let reported = { subscribes: 0, bytes: 0, events: new Map<string, number>() };
let statsTimer: NodeJS.Timeout | null = null;
/** Stream metrics reach /metrics at most this long after they change (a message per record would be dozens a second). */
const STATS_EVERY_MS = 200;

function reportStats(now = false): void {
  if (statsTimer && !now) return;
  if (statsTimer) { clearTimeout(statsTimer); statsTimer = null; }
  const send = () => {
    statsTimer = null;
    const st = subscriber?.stats;
    if (!st) return;
    const events: Record<string, number> = {};
    for (const [k, v] of st.events) if (v !== (reported.events.get(k) ?? 0)) events[k] = v - (reported.events.get(k) ?? 0);
    const stats: StreamStatsDelta = {
      subscribes: st.subscribes - reported.subscribes, bytes: st.bytes - reported.bytes, events,
      connected: st.connected, recovering: st.recovering,
    };
    reported = { subscribes: st.subscribes, bytes: st.bytes, events: new Map(st.events) };
    port.postMessage({ stream: 'stats', stats } satisfies StreamMessage);
  };
  if (now) send(); else statsTimer = setTimeout(send, STATS_EVERY_MS);
}
let streamResolveMs = 5000;
let pub = 0;
/** This thread's garbage collection since the last stream version was posted (ms): for its trace. */
let gcMs = 0;
let gcObserver: PerformanceObserver | null = null;

function startStream(req: Extract<WorkerRequest, { type: 'stream' }>): void {
  streamParams = req.params;
  streamResolveMs = req.resolveTimeoutMs;
  if (!subscriber) {
    let full = false;
    let t0 = 0;
    if (!gcObserver) {
      gcObserver = new PerformanceObserver((list) => { for (const e of list.getEntries()) gcMs += e.duration; });
      gcObserver.observe({ entryTypes: ['gc'] });
    }
    const publish = createPublisher({
      params: () => { t0 = performance.now(); return streamParams!; },
      resolve: (names) => resolveHosts(names, streamResolveMs),
      versions,
      incremental,
      sink: {
        zone(zone, hint, changes, timing) {
          const end = clock();
          full = hint.full;
          const report = warningFilter.take(zone.warnings);
          zone.warnings = report.lines;
          zone.warningCounts = { total: report.total, fresh: report.fresh };
          const msg: Extract<StreamMessage, { stream: 'zone' }> = {
            stream: 'zone', pub: ++pub, zone, changes, full, patched: zone.patch !== undefined, master: subscriber?.master ?? '', leader: zone.leader,
            buildMs: Math.round(performance.now() - t0),
          };
          const stages: Record<string, number> = {};
          for (const [k, v] of Object.entries(timing.stages)) stages[k] = Math.round(v * 100) / 100;
          const trace: VersionTrace = { batches: hint.batches ?? [], start: timing.start, stages, ...(timing.full !== undefined ? { full: timing.full } : {}), gcMs: Math.round(gcMs * 100) / 100, end, posted: 0 };
          gcMs = 0;
          msg.trace = trace;
          trace.posted = clock();
          port.postMessage(msg, imageTransfer(zone.image));
        },
        records(draft) {
          if (typeof draft === 'function') {
            lazyRecords.set(pub, draft);
            for (const k of lazyRecords.keys()) if (k <= pub - LAZY_KEPT) lazyRecords.delete(k);
            return;
          }
          port.postMessage({ stream: 'records', pub, draft } satisfies StreamMessage, transferList(draft));
        },
      },
      // A full collection after a snapshot's build (hundreds of MB of garbage at 50k tasks); not
      // after each small event batch, where it would cost more than the build.
      after: () => { if (full) setImmediate(collectGarbage); },
    });
    subscriber = new Subscriber({
      settings: req.settings, log: createLogger(req.verbosity), publish,
      onUnsupported: (reason) => port.postMessage({ stream: 'unsupported', reason } satisfies StreamMessage),
      // A disconnect is reported at once (the gauge must not say "connected" meanwhile); the rest coalesced.
      onStats: () => reportStats(subscriber !== null && !subscriber.stats.connected),
    });
    reported = { subscribes: 0, bytes: 0, events: new Map() };
  } else {
    subscriber.setSettings(req.settings);
  }
  subscriber.setMasters(req.masters);
}

/** Stop the stream for good (a reload switched to polling or to a new worker); its last counts are reported. */
async function stopStream(): Promise<void> {
  const s = subscriber;
  if (!s) return;
  await s.close();
  reportStats(true);
  subscriber = null;
}

/** Answers `req` with the reply its type has (zone/protocol.ts ReplyOf). */
function reply<R extends CallRequest>(req: R, r: Omit<ReplyOf[R['type']], 'id'>, transfer?: ArrayBuffer[]): void {
  port.postMessage({ ...r, id: req.id }, transfer);
}

port.on('message', async (req: WorkerRequest) => {
  if (req.type === 'discard') return freeNow(req.buffers); // an old zone: freed on this thread
  // Kept while stream versions are patches (polled versions are full builds: they need none).
  if (req.type === 'retire') return spares.give(req.image, incremental.image !== null);
  try {
    if (req.type === 'lastgood') {
      const image = keptImage;
      keptImage = null;
      if (image && req.path) {
        writeLastGood(req.path, { image, serial: req.serial, time: req.time, domain: req.domain, contentHash: req.contentHash });
        reply(req, { kind: 'written', bytes: image.byteLength });
      } else reply(req, { kind: 'written', bytes: 0 });
      return;
    }
    if (req.type === 'stream') {
      const running = subscriber !== null;
      startStream(req);
      // New build parameters for a stream already running: its model is published again, whole.
      if (running && req.rebuild) await subscriber!.republish();
      return reply(req, { kind: 'done' });
    }
    if (req.type === 'stopStream') {
      await stopStream();
      return reply(req, { kind: 'done' });
    }
    if (req.type === 'resubscribe') {
      await subscriber?.resubscribe();
      return reply(req, { kind: 'done' });
    }
    if (req.type === 'records') {
      const make = lazyRecords.get(req.pub);
      if (!make) throw new Error(`the records of stream version ${req.pub} are no longer kept`);
      const records = make();
      return reply(req, { kind: 'records', records }, transferList(records));
    }
    if (req.type === 'refresh') {
      if (lowPriority) lowerHelperThreads(); // the first zone of a first worker builds at normal priority
      lowPriority = true;
      stages = {};
      bytes = 0;
      stageStart = performance.now();
      // One state client for the worker's life: pooled connections to the masters, and the TLS
      // and IAM material loaded once, not per refresh. The body is parsed once, by the client's
      // leader check; a body that is not JSON counts as that master failing, as one without a
      // leader does.
      client ??= createStateClient(req.settings, createLogger(req.verbosity), {
        decode: (body) => {
          mark('fetch');
          bytes += body.length;
          const s = parseStateBody(body);
          mark('scan');
          return { leader: s.leader, value: s.result };
        },
      });
      const fetched = await client.fetchState(req.masters);
      const doc = { value: fetched.value as ParseResult<StateView> | undefined };
      fetched.value = undefined;
      const { zone, generated } = await buildZone(doc, req.params, (names) => resolveHosts(names, req.resolveTimeoutMs), mark);
      zone.skipped = countSkipped(zone.warnings); // by reason, before the log lines are filtered
      const report = warningFilter.take(zone.warnings);
      zone.warnings = report.lines;
      zone.warningCounts = { total: report.total, fresh: report.fresh };
      const pub = versions.publish(zone.image);
      zone.image = pub.image;
      incremental.reset(); // the stream's next version is diffed against this one, whole
      mark('diff');
      // The image travels to the answering thread; the snapshot file is written from a copy, here.
      // A shared image is never written after it is built: it needs no copy.
      keptImage = !req.settings.config.SnapshotFile ? null : zone.image instanceof SharedArrayBuffer ? zone.image : zone.image.slice(0);
      // The zone first: answers switch to it while the records for /v1/axfr and /v1/enumerate
      // are packed (40-70 ms at 50k tasks) and follow in a second message.
      // A shared image (several answering threads) is shared by posting it, never transferred.
      reply(req, { kind: 'zone', zone, changes: pub.changes, stages, bytes, master: fetched.master }, imageTransfer(zone.image));
      const draft = generated.draft.toTransfer();
      port.postMessage({ kind: 'draft', id: req.id, draft } satisfies WorkerReply, transferList(draft));
      // A full collection once this handler's locals (the body, the state) are unreachable: the
      // refresh's garbage goes at once, instead of holding the heap at its high-water mark until
      // the next refresh (at 50k tasks: RSS between refreshes 510 MiB without it, ~260 with it).
      setImmediate(collectGarbage);
    } else {
      const d = RecordDraft.fromTransfer(req.draft);
      const text = req.type === 'axfr' ? renderAxfr(d.toRecordSet(), req.head) : renderEnumeration(d.toEnumeration());
      const body = new TextEncoder().encode(text);
      reply(req, { kind: 'body', body }, [body.buffer as ArrayBuffer]);
    }
  } catch (err) {
    port.postMessage({ kind: 'failed', id: req.id, rejected: err instanceof StateRejected, error: (err as Error).message ?? String(err) } satisfies WorkerReply);
    // a failed refresh leaves garbage too (a body read up to the limit, a state that was rejected)
    if (req.type === 'refresh') setImmediate(collectGarbage);
  }
});
