// Answers AXFR and IXFR queries (RFC 5936, RFC 1995). The order of the checks is the point:
// the client's address first (RFC 5936 §5: no transfer "open to all"; a refused client learns
// nothing else), then the transport (AXFR over UDP is undefined: REFUSED; IXFR over UDP gets the
// single SOA that means "use TCP"), then the zone (not ours: NOTAUTH). A transfer is a
// MessageStream over one pinned zone version, so refreshes during it change nothing it reads.
import { CLASS_IN, RCODE_FORMERR, RCODE_NOTAUTH, RCODE_REFUSED, RCODE_SERVFAIL, TYPE_AXFR, TYPE_SOA } from '../wire/constants.js';
import { nameToWire } from '../wire/name.js';
import { skipName, type Query } from '../wire/query.js';
import { errorReply } from '../wire/reply.js';
import type { MessageStream } from '../dns/stream.js';
import type { TransferHandler } from '../dns/handler.js';
import { AllowList } from '../net/cidr.js';
import { soaRdata } from '../dns/authority.js';
import type { AnswerSettings } from '../config/types.js';
import type { Logger } from '../log.js';
import type { ReplyHead } from './messages.js';
import type { ZoneVersion } from './records.js';
import { fullTransfer, incrementalTransfer, reverseTransfer, singleSoa } from './streams.js';
import type { ReverseAuthority } from '../dns/reverse.js';
import { serialGe } from './serial.js';
import type { Journal } from './journal.js';

/** The version being served, with a way to keep its buffers alive for a transfer; its reverse names with PTROn. */
export interface PinnableZone { zone: ZoneVersion; pin(): () => void; reverse?: ReverseAuthority | null }

export interface TransferDeps {
  /** The live settings (a SIGHUP reload replaces them; read per query). */
  settings(): AnswerSettings;
  current(): PinnableZone | null;
  journal: Journal;
  log: Logger;
  now?: () => number;
}

export type { TransferHandler };

/** How a transfer query ended: the whole zone, a difference, "you are up to date", or an error reply. */
export type XfrResult = 'full' | 'incremental' | 'uptodate' | 'refused' | 'notauth' | 'error';
export const XFR_RESULTS: readonly XfrResult[] = ['full', 'incremental', 'uptodate', 'refused', 'notauth', 'error'];
export type XfrType = 'AXFR' | 'IXFR';

/** Per query type: replies by result, and the bytes of the reply messages (TCP framing included). */
export type TransferCounters = Record<XfrType, { results: Record<XfrResult, number>; bytes: number }>;

export function newTransferCounters(): TransferCounters {
  const one = () => ({ results: Object.fromEntries(XFR_RESULTS.map((r) => [r, 0])) as Record<XfrResult, number>, bytes: 0 });
  return { AXFR: one(), IXFR: one() };
}

/** Sources already logged as refused, with when: one line per source per minute, at most this many remembered. */
const REFUSED_LOG_MAX = 1024;
const REFUSED_LOG_MS = 60_000;

/** The client's serial from the SOA in the IXFR query's authority section, or null. */
export function ixfrClientSerial(msg: Uint8Array, q: Query): number | null {
  const an = (msg[6] << 8) | msg[7], ns = (msg[8] << 8) | msg[9];
  if (ns !== 1) return null;
  let off = q.qnameEnd + 4;
  for (let i = 0; i <= an; i++) {
    off = skipName(msg, off);
    if (off < 0 || off + 10 > msg.length) return null;
    const type = (msg[off] << 8) | msg[off + 1];
    const rdlen = (msg[off + 8] << 8) | msg[off + 9];
    const rd = off + 10;
    if (rd + rdlen > msg.length) return null;
    if (i === an) {
      if (type !== TYPE_SOA) return null;
      let p = skipName(msg, rd);
      if (p >= 0) p = skipName(msg, p);
      if (p < 0 || p + 20 > rd + rdlen) return null;
      return ((msg[p] << 24) | (msg[p + 1] << 16) | (msg[p + 2] << 8) | msg[p + 3]) >>> 0;
    }
    off = rd + rdlen;
  }
  return null;
}

export function createTransferHandler(deps: TransferDeps, counters = newTransferCounters()): { handle: TransferHandler; counters: TransferCounters } {
  const { log } = deps;
  const now = deps.now ?? Date.now;
  // Rebuilt when a reload brings another TransferAllowFrom list (compared by identity).
  let allowFrom = deps.settings().transferAllowFrom;
  let allow = new AllowList(allowFrom);
  const refusedAt = new Map<string, number>();

  /** Count a reply (a whole message, or a stream whose messages are counted as they are made). */
  const done = (type: XfrType, result: XfrResult, reply: Buffer | MessageStream): Buffer | MessageStream => {
    const c = counters[type];
    c.results[result]++;
    if (Buffer.isBuffer(reply)) { c.bytes += reply.length + 2; return reply; }
    return {
      kind: 'stream',
      next() { const m = reply.next(); if (m) c.bytes += m.length; return m; },
      release: reply.release,
      close() { reply.close(); },
    };
  };

  const refuse = (client: string, qtype: number) => {
    const t = now(), last = refusedAt.get(client);
    if (last !== undefined && t - last < REFUSED_LOG_MS) return;
    refusedAt.delete(client);
    if (refusedAt.size >= REFUSED_LOG_MAX) refusedAt.delete(refusedAt.keys().next().value!);
    refusedAt.set(client, t);
    log.warn({ client, type: qtype === TYPE_AXFR ? 'AXFR' : 'IXFR' }, 'zone transfer refused: client not in TransferAllowFrom');
  };

  const handle: TransferHandler = (msg, q, transport, client) => {
    const settings = deps.settings(), config = settings.config;
    if (settings.transferAllowFrom !== allowFrom) { allowFrom = settings.transferAllowFrom; allow = new AllowList(allowFrom); }
    const ra = config.RecurseOn;
    const isAxfr = q.qtype === TYPE_AXFR;
    const type: XfrType = isAxfr ? 'AXFR' : 'IXFR';
    const fail = (result: XfrResult, rcode: number) => done(type, result, errorReply(msg, q, rcode, ra));
    if (!allow.allows(client)) { refuse(client, q.qtype); return fail('refused', RCODE_REFUSED); }
    if (isAxfr && transport === 'udp') return fail('refused', RCODE_REFUSED);
    const current = deps.current();
    const apex = current?.zone.apex;
    if (q.qclass !== CLASS_IN) return fail('refused', RCODE_REFUSED);
    const reverseApex = current?.reverse?.zone.apex(q.lname) ?? null;
    if (!reverseApex && !sameName(q.lname, apex ?? null, config.Domain)) return fail('notauth', RCODE_NOTAUTH);
    if (!current) return fail('error', RCODE_SERVFAIL);
    const z = current.zone;
    const head: ReplyHead = {
      id: q.id, queryFlags: q.flags, question: new Uint8Array(msg.subarray(12, q.qnameEnd + 4)),
      edns: q.ednsSize >= 0, ednsDO: q.ednsDO,
    };
    if (reverseApex) {
      // A reverse zone (PTRZones): no journal of its own, so an IXFR not up to date gets it whole (RFC 1995 §4).
      const rz = { ...z, apex: reverseApex, soaRdata: current.reverse!.soaRdata };
      const clientSerial = isAxfr ? null : ixfrClientSerial(msg, q);
      if (!isAxfr && clientSerial === null) return fail('error', RCODE_FORMERR);
      if (!isAxfr && (transport === 'udp' || serialGe(clientSerial!, z.serial))) return done(type, 'uptodate', singleSoa(head, rz));
      return done(type, 'full', reverseTransfer(head, rz, current.reverse!.zone));
    }
    if (isAxfr) return done(type, 'full', fullTransfer(head, z, current.pin()));

    const clientSerial = ixfrClientSerial(msg, q);
    if (clientSerial === null) return fail('error', RCODE_FORMERR);
    if (transport === 'udp' || serialGe(clientSerial, z.serial)) return done(type, 'uptodate', singleSoa(head, z));
    const diff = deps.journal.since(clientSerial);
    if (!diff) return done(type, 'full', fullTransfer(head, z, current.pin()));
    return done(type, 'incremental', incrementalTransfer(head, z, soaRdata(config, clientSerial), diff, () => {}));
  };
  return { handle, counters };
}

/** Is the lower-case wire question name the apex? Before the first load, from the configured domain. */
function sameName(lname: Uint8Array, apex: Uint8Array | null, domain: string): boolean {
  if (apex) return lname.length === apex.length && lname.every((b, i) => b === apex[i]);
  const w = nameToWire(domain, true);
  return w !== null && Buffer.from(lname).equals(w);
}
