// DNS NOTIFY (RFC 1996) to the configured secondaries on every serial change, so they transfer
// within a second instead of at their next refresh. UDP, one transaction per target at a time:
// a fresh random ID, retransmitted with doubling timeouts (at most 5 times, §3.6), ended by a
// reply that matches ID, question and source address and port (§3.4; anything else is ignored,
// so a forged reply from elsewhere cannot end it). A serial change while a target's NOTIFY is
// still unanswered is coalesced: one more NOTIFY, with the newest serial, once that one ends.
import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import { CLASS_IN, TYPE_SOA } from '../wire/constants.js';
import { nameToWire } from '../wire/name.js';
import { parseHostPort } from '../net/hostport.js';
import { normalizeIP } from '../net/ip.js';
import type { Logger } from '../log.js';

export interface NotifierOptions {
  targets: readonly string[];
  domain: string;
  /** SOA RDATA for a serial: sent in the answer section as the hint of §3.7. */
  soaRdata: (serial: number) => Uint8Array;
  ttl: number;
  /** Source address of NOTIFYs (secondaries accept them from their primary's address); default any. */
  source?: string;
  log: Logger;
  /** First retransmission timeout; doubled each time. */
  firstTimeoutMs?: number;
  maxRetransmits?: number;
  /** Counted into (a reload replaces the Notifier but keeps the counts going); default its own. */
  counters?: NotifyCounters;
}

/** Datagrams sent (retransmissions included), transactions acknowledged or failed, retransmissions. */
export interface NotifyCounters { sent: number; acked: number; failed: number; retransmits: number }
export const newNotifyCounters = (): NotifyCounters => ({ sent: 0, acked: 0, failed: 0, retransmits: 0 });

interface Target {
  host: string;
  port: number;
  label: string;
  inflight: { id: number; serial: number; attempt: number; timer: NodeJS.Timeout; msg: Buffer } | null;
  pending: number | null;
}

const OPCODE_NOTIFY = 4;

export class Notifier {
  readonly counters: NotifyCounters;
  private readonly targets: Target[];
  private readonly apex: Uint8Array;
  private readonly sockets = new Map<4 | 6, dgram.Socket>();
  private closed = false;
  private readonly firstTimeoutMs: number;
  private readonly maxRetransmits: number;

  constructor(private readonly o: NotifierOptions) {
    this.counters = o.counters ?? newNotifyCounters();
    this.apex = nameToWire(o.domain, true)!;
    this.firstTimeoutMs = o.firstTimeoutMs ?? 1000;
    this.maxRetransmits = o.maxRetransmits ?? 5;
    this.targets = o.targets.map((t) => {
      const hp = parseHostPort(t)!;
      return { host: hp.host, port: hp.port, label: t, inflight: null, pending: null };
    });
  }

  /** The zone now has this serial: tell every target (or queue it behind an unanswered NOTIFY). */
  notify(serial: number): void {
    if (this.closed) return;
    for (const t of this.targets) {
      if (t.inflight) t.pending = serial;
      else this.start(t, serial);
    }
  }

  /** Transactions still waiting for a reply (tests, metrics). */
  get outstanding(): number { return this.targets.filter((t) => t.inflight).length; }

  private socket(family: 4 | 6): dgram.Socket {
    let s = this.sockets.get(family);
    if (s) return s;
    s = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
    const src = this.o.source && net.isIP(this.o.source) === family && !/^(0\.0\.0\.0|::)$/.test(this.o.source) ? this.o.source : undefined;
    s.bind({ port: 0, address: src });
    s.on('message', (m, rinfo) => this.onReply(m, rinfo));
    s.on('error', (err) => this.o.log.warn({ err: err.message }, 'NOTIFY socket error'));
    s.unref();
    this.sockets.set(family, s);
    return s;
  }

  private message(id: number, serial: number): Buffer {
    const apex = this.apex, rd = this.o.soaRdata(serial);
    const b = Buffer.alloc(12 + apex.length + 4 + 12 + rd.length);
    b.writeUInt16BE(id, 0);
    b.writeUInt16BE((OPCODE_NOTIFY << 11) | 0x0400, 2); // NOTIFY, AA (§3.7)
    b.writeUInt16BE(1, 4); b.writeUInt16BE(1, 6);
    let o = 12;
    b.set(apex, o); o += apex.length;
    b.writeUInt16BE(TYPE_SOA, o); b.writeUInt16BE(CLASS_IN, o + 2); o += 4;
    b.writeUInt16BE(0xc00c, o); b.writeUInt16BE(TYPE_SOA, o + 2); b.writeUInt16BE(CLASS_IN, o + 4);
    b.writeUInt32BE(this.o.ttl >>> 0, o + 6); b.writeUInt16BE(rd.length, o + 10); b.set(rd, o + 12);
    return b;
  }

  private start(t: Target, serial: number): void {
    t.pending = null;
    const id = randomInt(0, 65536);
    const msg = this.message(id, serial);
    t.inflight = { id, serial, attempt: 0, msg, timer: setTimeout(() => this.retry(t), this.firstTimeoutMs) };
    t.inflight.timer.unref();
    this.send(t, msg);
  }

  private send(t: Target, msg: Buffer): void {
    this.counters.sent++;
    this.socket(net.isIPv6(t.host) ? 6 : 4).send(msg, t.port, t.host);
  }

  private retry(t: Target): void {
    const f = t.inflight;
    if (!f || this.closed) return;
    if (f.attempt >= this.maxRetransmits) {
      this.counters.failed++;
      this.o.log.warn({ target: t.label, serial: f.serial, attempts: f.attempt + 1 }, 'NOTIFY not answered; giving up');
      this.end(t);
      return;
    }
    f.attempt++;
    this.counters.retransmits++;
    f.timer = setTimeout(() => this.retry(t), this.firstTimeoutMs * 2 ** f.attempt);
    f.timer.unref();
    this.send(t, f.msg);
  }

  private end(t: Target): void {
    if (t.inflight) clearTimeout(t.inflight.timer);
    const last = t.inflight?.serial;
    t.inflight = null;
    if (t.pending !== null && t.pending !== last) this.start(t, t.pending);
    else t.pending = null;
  }

  private onReply(m: Buffer, rinfo: dgram.RemoteInfo): void {
    if (m.length < 12) return;
    const id = m.readUInt16BE(0), flags = m.readUInt16BE(2);
    if (!(flags & 0x8000) || ((flags >> 11) & 0xf) !== OPCODE_NOTIFY) return;
    const t = this.targets.find((x) => x.inflight?.id === id && x.port === rinfo.port && sameAddress(x.host, rinfo.address));
    if (!t) return;
    // The question must be ours: (zone, SOA, IN), the name compared case-insensitively.
    const qlen = this.apex.length + 4;
    if (m.readUInt16BE(4) !== 1 || m.length < 12 + qlen) return;
    const q = t.inflight!.msg;
    for (let i = 0; i < qlen; i++) {
      const a = m[12 + i], b = q[12 + i];
      if (a !== b && (a | 0x20) !== (b | 0x20)) return;
    }
    const rcode = flags & 0xf;
    if (rcode === 0) this.counters.acked++;
    else {
      this.counters.failed++;
      this.o.log.warn({ target: t.label, serial: t.inflight!.serial, rcode }, 'NOTIFY answered with an error');
    }
    this.end(t);
  }

  close(): void {
    this.closed = true;
    for (const t of this.targets) { if (t.inflight) clearTimeout(t.inflight.timer); t.inflight = null; t.pending = null; }
    for (const s of this.sockets.values()) s.close();
    this.sockets.clear();
  }
}

function sameAddress(a: string, b: string): boolean {
  const norm = (x: string) => { const s = x.replace(/^::ffff:(?=\d+\.)/i, ''); return normalizeIP(s) ?? s; };
  return norm(a) === norm(b);
}
