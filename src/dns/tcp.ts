// DNS over TCP (RFC 7766): messages framed by a 2-byte length, several queries per connection.
// Every resource a TCP client can hold is bounded here, because one client on one connection
// must not be able to take the process down or shut others out (issue 11):
// - output: reading stops while a connection's unsent answers exceed a small bound, and resumes on
//   'drain'; output that does not drain within the write deadline closes the connection; answers
//   that arrive for a closed connection (forwarded ones) are dropped, never queued;
// - input: a message must arrive whole within the read deadline from its first byte (RFC 7766
//   §6.2.3), so a byte-a-second drip cannot hold a slot; a connection with nothing in progress is
//   closed after the idle timeout (which does not restart on partial bytes);
// - slots: a global cap and a per-source-address cap; when either is full the least recently used
//   connection that is not being served makes room, rather than the newcomer being refused.
// - replies of several messages (zone transfers, stream.ts) wait in a per-connection queue and are
//   pulled a step at a time, only while the output is not backed up, so a stalled transfer holds
//   at most the bound above; later answers on that connection queue behind it, never interleave.
//   A connection with a transfer in progress is busy: never evicted, never idle.
// - transfer work gets a small slice of each turn of the event loop, shared by every transfer in
//   progress, and then yields: libuv reads at most 32 datagrams from a UDP socket per turn, so the
//   rate at which queries are answered during a transfer is bounded by 32 / (length of a turn); a
//   turn spent writing several 60 KB messages (~6 ms at 50k tasks) lost most queries (issue 14).
// Timers: one per connection, re-armed only on state changes (a message starts, completes, output
// backs up), never per byte. The drain deadline is the only write deadline, transfers included.
import net from 'node:net';
import type { QueryHandler } from './handler.js';
import { isMessageStream, type MessageStream } from './stream.js';
import { dnsMetrics } from './metrics.js';
import type { Logger } from '../log.js';

/** Total TCP connections (the original had no cap; 1000 is far above what resolvers open). */
export const TCP_MAX_CONNECTIONS = 1000;
/** Connections per client address: a resolver needs a few; one address must not fill the table. */
export const TCP_MAX_PER_SOURCE = 16;
/** A connection with no query in progress is closed after this (RFC 7766 §6.2.3: seconds). */
export const TCP_IDLE_MS = 10_000;
/** A message must arrive whole within this from its first byte (the original used 2 s). */
export const TCP_READ_DEADLINE_MS = 2_000;
/** Unsent output must drain within this, or the client is not reading: close it. */
export const TCP_WRITE_DEADLINE_MS = 10_000;
/** Stop reading queries while this much output is unsent (a few large answers' worth). */
export const TCP_MAX_BUFFERED_OUTPUT = 128 * 1024;
/** Forwarded answers awaited per connection; more and the client is abusing pipelining. */
export const TCP_MAX_PENDING = 64;
/** Unsent output at which a connection is closed at once (forwarded answers owed while stopped). */
export const TCP_OUTPUT_HARD_LIMIT = 1024 * 1024;
/** Unread input kept while reading is stopped: one whole message plus one socket read. */
const MAX_BUFFERED_INPUT = 2 + 65535 + 64 * 1024;
/** Replies queued behind a transfer on one connection; past it the client is not reading: closed. */
const MAX_TCP_QUEUED = 256;
/**
 * Milliseconds of transfer work (encoding and writing) per turn of the event loop, across every
 * transfer of this listener; UDP and other connections are served between turns. Small next to
 * the ~0.35 ms that answering libuv's 32 datagrams per turn takes, so answering keeps most of a
 * busy loop; an idle loop turns at once, so a transfer alone runs at nearly full speed.
 */
export const STREAM_SLICE_MS = 0.25;

export interface TcpLimits {
  maxConnections: number;
  maxPerSource: number;
  idleMs: number;
  readDeadlineMs: number;
  writeDeadlineMs: number;
  maxBufferedOutput: number;
}

export const DEFAULT_TCP_LIMITS: TcpLimits = {
  maxConnections: TCP_MAX_CONNECTIONS,
  maxPerSource: TCP_MAX_PER_SOURCE,
  idleMs: TCP_IDLE_MS,
  readDeadlineMs: TCP_READ_DEADLINE_MS,
  writeDeadlineMs: TCP_WRITE_DEADLINE_MS,
  maxBufferedOutput: TCP_MAX_BUFFERED_OUTPUT,
};

/** What a connection is waiting for; decides which deadline its timer runs. */
const enum Wait { Idle, Message, Drain }

interface Conn {
  sock: net.Socket;
  source: string;
  /** Received bytes not yet handled (at most a partial message, unless reading is stopped). */
  buf: Buffer;
  /** Forwarded answers not yet back. */
  pending: number;
  wait: Wait;
  timer: NodeJS.Timeout | null;
  /** The client half-closed: end our side once everything owed is written. */
  ended: boolean;
  /** Replies waiting behind a multi-message reply, in order; empty when none is in progress. */
  queue: (Buffer | MessageStream)[];
}

export interface TcpListener {
  server: net.Server;
  /** Destroy every connection (the listener itself is closed by the caller). */
  closeAll(): void;
}

export function createTcpListener(handler: QueryHandler, log: Logger, limits: TcpLimits): TcpListener {
  // Insertion order = least recently used first: a connection moves to the end when it
  // completes a message, so eviction takes the first one that is not being served.
  const conns = new Map<net.Socket, Conn>();
  const perSource = new Map<string, number>();

  /** Run `wait`'s deadline; a deadline already running is kept unless `restart` (new progress). */
  const arm = (c: Conn, wait: Wait, restart = false): void => {
    if (c.timer && c.wait === wait && !restart) return;
    if (c.timer) clearTimeout(c.timer);
    c.wait = wait;
    const ms = wait === Wait.Idle ? limits.idleMs : wait === Wait.Message ? limits.readDeadlineMs : limits.writeDeadlineMs;
    c.timer = setTimeout(() => {
      c.timer = null;
      // A transfer that is being written (not backed up) is progress, not idleness.
      if (wait === Wait.Idle && c.queue.length > 0 && !c.sock.destroyed) { arm(c, Wait.Idle); return; }
      c.sock.destroy();
    }, ms);
  };

  /** Not being served: no answer owed and none unsent. Such a connection may be evicted. */
  const evictable = (c: Conn): boolean =>
    c.pending === 0 && c.queue.length === 0 && c.sock.writableLength === 0 && c.wait !== Wait.Drain;

  /** Close the least recently used evictable connection (of `source`, if given); false if none. */
  const evictOne = (source?: string): boolean => {
    for (const c of conns.values()) {
      if ((source === undefined || c.source === source) && evictable(c)) {
        dnsMetrics.tcpEvicted++;
        c.sock.destroy();
        return true;
      }
    }
    return false;
  };

  /**
   * Write one framed message; past the bound, stop reading and wait for drain (write deadline).
   * `written` runs once every byte of it has gone to the kernel (not on error): then its buffer
   * may be reused (a transfer's pooled message buffers, xfr/messages.ts).
   */
  const write = (c: Conn, out: Buffer, written?: (m: Buffer) => void): void => {
    const { sock } = c;
    if (written) sock.write(out, (err) => { if (!err) written(out); });
    else sock.write(out);
    if (sock.writableLength > limits.maxBufferedOutput && c.wait !== Wait.Drain) {
      sock.pause(); // stop taking queries until the client reads what it has
      arm(c, Wait.Drain);
    }
  };

  const frame = (b: Buffer): Buffer => {
    const out = Buffer.allocUnsafe(2 + b.length);
    out.writeUInt16BE(b.length, 0);
    b.copy(out, 2);
    return out;
  };

  /** Connections whose queue starts with a stream and whose output is not backed up; stepped in turn. */
  const streaming = new Set<Conn>();
  let turnScheduled = false;

  const schedule = (): void => {
    if (!turnScheduled && streaming.size > 0) { turnScheduled = true; setImmediate(turn); }
  };

  /** One slice of transfer work: a step of each ready stream in turn, until the slice is used. */
  const turn = (): void => {
    turnScheduled = false;
    const until = performance.now() + STREAM_SLICE_MS;
    while (streaming.size > 0) {
      const c = streaming.values().next().value!;
      streaming.delete(c); streaming.add(c); // round robin: the next slice starts with another
      step(c);
      if (performance.now() >= until) break;
    }
    schedule();
  };

  /** One step of the stream at the head of c's queue; at its end, what queued behind it follows. */
  const step = (c: Conn): void => {
    const { sock } = c;
    const head = c.queue[0];
    if (sock.destroyed || c.wait === Wait.Drain || !isMessageStream(head)) { streaming.delete(c); return; }
    let m: Buffer | false | null;
    try { m = head.next(); } catch (err) { log.error({ err }, 'zone transfer failed'); streaming.delete(c); sock.destroy(); return; }
    if (m === false) return;
    if (m === null) { head.close(); c.queue.shift(); streaming.delete(c); pump(c); return; }
    // Streams frame their own messages; backed up, `write` set Wait.Drain and 'drain' pumps again.
    write(c, m, head.release ? (b) => head.release!(b) : undefined);
    if ((c.wait as Wait) === Wait.Drain) streaming.delete(c);
  };

  /** Write queued replies in order until a stream heads the queue; streams are stepped by `turn`. */
  const pump = (c: Conn): void => {
    const { sock } = c;
    while (c.queue.length > 0 && c.wait !== Wait.Drain && !sock.destroyed) {
      const head = c.queue[0];
      if (isMessageStream(head)) { streaming.add(c); schedule(); return; }
      c.queue.shift(); write(c, frame(head));
    }
    if (c.queue.length === 0 && c.ended && !sock.destroyed) serve(c); // half-closed: end when all is out
  };

  const send = (c: Conn, b: Buffer | MessageStream): void => {
    const { sock } = c;
    if (sock.destroyed) { if (isMessageStream(b)) b.close(); return; } // closed meanwhile: drop it
    if (isMessageStream(b) || c.queue.length > 0) {
      if (c.queue.length >= MAX_TCP_QUEUED) { if (isMessageStream(b)) b.close(); sock.destroy(); return; }
      c.queue.push(b);
      if (c.wait !== Wait.Drain && !streaming.has(c)) pump(c);
      return;
    }
    // Forwarded answers still arrive while reading is stopped; past this the client is not reading.
    if (sock.writableLength + b.length > TCP_OUTPUT_HARD_LIMIT) { sock.destroy(); return; }
    write(c, frame(b));
  };

  const serve = (c: Conn): void => {
    const { sock } = c;
    let served = false;
    while (c.wait !== Wait.Drain && c.buf.length >= 2) {
      const n = c.buf.readUInt16BE(0);
      if (c.buf.length < 2 + n) break;
      const msg = c.buf.subarray(2, 2 + n);
      c.buf = c.buf.subarray(2 + n);
      served = true;
      conns.delete(sock); conns.set(sock, c); // most recently used
      let reply: Buffer | Promise<Buffer> | MessageStream | null;
      try { reply = handler(msg, 'tcp', c.source); } catch (err) {
        log.error({ err }, 'query handler failed'); sock.destroy(); return;
      }
      if (reply === null) continue;
      if (!(reply instanceof Promise)) { send(c, reply); continue; }
      if (++c.pending > TCP_MAX_PENDING) { sock.destroy(); return; }
      reply.then((b) => { c.pending--; send(c, b); if (c.ended) serve(c); },
        (err) => { c.pending--; log.error({ err }, 'forwarding failed'); if (c.ended) serve(c); });
    }
    if (sock.destroyed || c.wait === Wait.Drain) return;
    if (c.ended) {
      // Half-closed: no more queries will come; end our side once every answer owed is written.
      arm(c, Wait.Idle, served);
      if (c.pending === 0 && c.queue.length === 0) sock.end();
      return;
    }
    // A begun message has the read deadline from its first byte; a whole one restarts it or idle.
    arm(c, c.buf.length > 0 ? Wait.Message : Wait.Idle, served);
  };

  const onConnection = (sock: net.Socket): void => {
    const source = sock.remoteAddress ?? '';
    if ((perSource.get(source) ?? 0) >= limits.maxPerSource && !evictOne(source)) {
      dnsMetrics.tcpRejected++; sock.destroy(); return;
    }
    if (conns.size >= limits.maxConnections && !evictOne()) {
      dnsMetrics.tcpRejected++; sock.destroy(); return;
    }
    dnsMetrics.tcpConnections++;
    const c: Conn = {
      sock, source, buf: Buffer.alloc(0), pending: 0, wait: Wait.Idle, timer: null, ended: false, queue: [],
    };
    conns.set(sock, c);
    perSource.set(source, (perSource.get(source) ?? 0) + 1);
    arm(c, Wait.Idle);
    sock.on('close', () => {
      if (c.timer) { clearTimeout(c.timer); c.timer = null; }
      conns.delete(sock);
      streaming.delete(c);
      const left = (perSource.get(source) ?? 1) - 1;
      if (left > 0) perSource.set(source, left); else perSource.delete(source);
      c.buf = Buffer.alloc(0);
      for (const r of c.queue) if (isMessageStream(r)) r.close(); // frees the transfer's pinned zone
      c.queue.length = 0;
    });
    sock.on('error', () => sock.destroy());
    sock.on('drain', () => {
      if (c.wait !== Wait.Drain || sock.destroyed) return;
      clearTimeout(c.timer!); c.timer = null; // serve() arms the next deadline
      c.wait = Wait.Idle;
      sock.resume();
      if (c.queue.length > 0) pump(c);
      serve(c);
    });
    sock.on('end', () => { c.ended = true; serve(c); });
    sock.on('data', (chunk: Buffer) => {
      c.buf = c.buf.length ? Buffer.concat([c.buf, chunk]) : chunk;
      if (c.buf.length > MAX_BUFFERED_INPUT) { sock.destroy(); return; }
      serve(c);
    });
  };

  // allowHalfOpen: a client may send its queries and shut its side; the answers still go back.
  const server = net.createServer({ noDelay: true, allowHalfOpen: true }, onConnection);
  return {
    server,
    closeAll: () => { for (const s of conns.keys()) s.destroy(); },
  };
}
