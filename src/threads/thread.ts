// One answering thread (threads/pool.ts starts N of them when the runtime has reusePort): its own
// UDP and TCP sockets on the shared DNS port, its own forwarder and its own zone-transfer handler,
// and the zone image the main thread posts to it. The image is a SharedArrayBuffer, so posting it
// copies nothing; a new one replaces the authority between two 'message' events, so every packet
// is answered wholly from one version. The answering code is the single-thread server's
// (dns/server.ts, handler.ts, tcp.ts), as is. One message per zone version keeps the swap simple.
// It lives beside the pool in threads/, not in dns/: like src/server.ts it wires dns/, forward/
// and xfr/ together, and xfr/ builds on dns/, so dns/ must not import xfr/ (no folder cycle).
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { startDnsServer, type DnsServer } from '../dns/server.js';
import { createQueryHandler, type HandlerDeps } from '../dns/handler.js';
import { createAuthority } from '../dns/authority.js';
import { dnsMetrics } from '../dns/metrics.js';
import type { TcpLimits } from '../dns/tcp.js';
import { ZoneImage } from '../zone/image.js';
import { ReverseZone } from '../zone/reverse.js';
import { createReverseAuthority, type ReverseAuthority } from '../dns/reverse.js';
import { markAnswerThread } from '../zone/priority.js';
import type { ZoneChangeSet } from '../zone/changes.js';
import { createForwarder, forwardMetrics, type ForwarderImpl } from '../forward/index.js';
import type { UpstreamStats } from '../forward/metrics.js';
import { createXfr, transferZone } from '../xfr/index.js';
import type { TransferCounters } from '../xfr/transfer.js';
import { createLogger } from '../log.js';
import type { AnswerSettings } from '../config/types.js';

markAnswerThread(); // first: the build worker lowers every unnamed thread to nice 19

export interface ThreadData {
  /** The settings, the config with this thread's share of the forwarder's bounds (pool.ts). */
  settings: AnswerSettings;
  verbosity: number;
  index: number;
  /** The DNS port (0: pick one; only the first thread does). */
  port: number;
  /** The main thread's nice value, which this thread should have. */
  nice: number;
  /** This thread's share of the TCP connection caps. */
  tcp: Partial<TcpLimits>;
  /** The current zone, if any: a thread never answers before it has it (a restarted one would say SERVFAIL). */
  zone: ZoneMessage | null;
}

/** One zone version: `v` orders them (a restarted thread may see the current one twice). */
export interface ZoneMessage {
  type: 'zone'; v: number; image: SharedArrayBuffer; serial: number; changes: ZoneChangeSet | null;
  /** PTROn: the reverse names' pairs (zone/reverse.ts), sent only when they changed (absent: as before; null: none). */
  ptr?: readonly string[] | null;
}

export type ToThread =
  | ZoneMessage
  /** A reloaded config (this thread's share); `forwarder`: forwarding keys changed, make a new one. */
  | { type: 'config'; settings: AnswerSettings; forwarder: boolean }
  | { type: 'stats'; id: number }
  /** Lameduck's end: take no new queries, answer the ones in hand. */
  | { type: 'drain' }
  | { type: 'close' };

/** A forwarder's state as /metrics reads it, copied out of a thread. */
export interface ForwarderCopy {
  inFlight: number;
  cache: { entries: number; bytes: number };
  upstreams: { key: string; stats: UpstreamStats; down: boolean }[];
}

export interface ThreadCounters {
  dns: typeof dnsMetrics;
  forward: typeof forwardMetrics;
  xfr: TransferCounters;
  forwarder: ForwarderCopy | null;
}

export type FromThread =
  | { type: 'listening'; port: number }
  | ({ type: 'stats'; id: number } & ThreadCounters)
  | { type: 'closed' };

const data = workerData as ThreadData;
const port = parentPort!;
let settings = data.settings;
let config = settings.config;
const log = createLogger(data.verbosity).child({ thread: data.index });

// Lowered before it could name itself (a build job started in between): take the priority back
// where permitted, else say so; answers still flow, only slower under load.
try {
  if (os.getPriority() > data.nice) os.setPriority(data.nice);
} catch {
  log.warn({ nice: os.getPriority() }, 'answering thread runs at a lower CPU priority than the main thread');
}

let zone: { v: number; image: ZoneImage; serial: number } | null = null;
let authority = createAuthority(config, null, 0);
let forwarder: ForwarderImpl | null = config.ExternalOn ? createForwarder(settings, log) : null;
// NOTIFY is sent by the main thread only; here the transfer handler and its journal (IXFR).
const noNotify = (s: AnswerSettings): AnswerSettings => ({ ...s, config: { ...s.config, NotifyTargets: [] } });
const xfr = createXfr(noNotify(settings), log);
// PTROn: the reverse names, rebuilt when new pairs come (or PTRZones changes); their authority per version.
let ptrPairs: readonly string[] | null = null;
let reverseZone: ReverseZone | null = null;
let reverse: ReverseAuthority | null = null;
const deps: HandlerDeps = { authority: () => authority, forwarder, transfer: xfr.handle, reverse: () => reverse };
let server: DnsServer | null = null;

function setZone(m: ZoneMessage): void {
  if (zone && m.v <= zone.v) return;
  zone = { v: m.v, image: new ZoneImage(m.image), serial: m.serial };
  authority = createAuthority(config, zone.image, m.serial);
  if (m.ptr !== undefined) { ptrPairs = m.ptr; reverseZone = reverseOf(ptrPairs); }
  reverse = reverseZone && createReverseAuthority(config, reverseZone, m.serial);
  // A shared image lives while anything references it: a transfer's reference is its pin.
  xfr.serve({ ...transferZone(authority, zone.image, m.serial, () => () => {}), reverse });
  xfr.versioned(m.serial, m.changes);
}

function reverseOf(pairs: readonly string[] | null): ReverseZone | null {
  return config.PTROn && pairs ? new ReverseZone(pairs, config.PTRZones) : null;
}

function counters(): ThreadCounters {
  const f = forwarder;
  return {
    dns: dnsMetrics, forward: forwardMetrics, xfr: xfr.counters,
    forwarder: f && {
      inFlight: f.inFlight, cache: f.cacheStats(),
      upstreams: f.upstreams().map((u) => ({ key: u.target.key, stats: u.stats, down: u.down })),
    },
  };
}

/** Forwarded queries in flight get their answer (or time out) before the sockets close. */
async function settle(timeoutS: number): Promise<void> {
  const until = Date.now() + timeoutS * 1000 + 100;
  while (forwarder && forwarder.inFlight > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
}

port.on('message', (m: ToThread) => {
  switch (m.type) {
    case 'zone':
      setZone(m);
      return;
    case 'config': {
      const prevTimeout = config.Timeout || 5;
      settings = m.settings;
      config = settings.config;
      xfr.reconfigure(noNotify(settings)); // TransferAllowFrom applies to this thread's next transfer
      authority = createAuthority(config, zone?.image ?? null, zone?.serial ?? 0);
      reverseZone = reverseOf(ptrPairs);
      reverse = reverseZone && createReverseAuthority(config, reverseZone, zone?.serial ?? 0);
      if (m.forwarder) {
        const old = forwarder;
        forwarder = config.ExternalOn ? createForwarder(settings, log) : null;
        deps.forwarder = forwarder;
        // Its lookups in flight end within the old Timeout; then its sockets go.
        if (old) setTimeout(() => { void old.close().catch(() => {}); }, prevTimeout * 1000 + 100).unref();
      }
      return;
    }
    case 'stats':
      port.postMessage({ type: 'stats', id: m.id, ...counters() } satisfies FromThread);
      return;
    case 'drain':
      server?.drain();
      return;
    case 'close':
      server?.drain();
      void settle(config.Timeout || 5)
        .then(() => Promise.allSettled([server?.close(), forwarder?.close()]))
        .then(() => {
          xfr.close();
          log.flush?.();
          port.postMessage({ type: 'closed' } satisfies FromThread);
        });
      return;
    default:
      // A message this thread does not know is a bug in the main thread: fail loudly (the pool
      // restarts the thread) rather than carry on with a protocol out of step.
      throw new Error(`answering thread: unknown message ${JSON.stringify((m as { type?: unknown }).type)}`);
  }
});

if (data.zone) setZone(data.zone);
server = await startDnsServer({
  host: config.Listener, port: data.port, log, reusePort: true, tcp: data.tcp,
  handler: createQueryHandler(deps),
});
port.postMessage({ type: 'listening', port: server.udpPort } satisfies FromThread);
