// Transport to upstream resolvers. The original opened a new socket per forwarded query, which is
// what capped it at 31k queries/s; here a small pool of connected UDP sockets per resolver and
// one pipelined TCP connection per resolver (RFC 7766) carry every query. Spoofing resistance
// comes from a fresh random 16-bit ID per query, sockets bound to random source ports and retired
// after a number of uses (so the port keeps changing), and strict matching of replies (RFC 5452,
// [A.12]): source address and port, ID, and question name (case-insensitive), type and
// class. A reply that does not match is ignored and we keep waiting; nothing an upstream sends
// can throw out of the socket handlers. Nothing here keeps a timer per query: the lookup that
// asked cancels what is still open at its deadline (index.ts), and reports come as callbacks.
import dgram from 'node:dgram';
import net from 'node:net';
import { randomFillSync } from 'node:crypto';
import { sameIP } from '../net/ip.js';
import type { Target } from '../net/hostport.js';
import type { ForwardMetrics } from './metrics.js';
import { FLAG_QR, RCODE_NOERROR, RCODE_NXDOMAIN } from '../wire/constants.js';
import type { WireName } from './wire.js';
import { matchName } from './reply-scan.js';

/** What a reply must echo. */
export interface Expect {
  qname: WireName;
  qtype: number;
  qclass: number;
}

export type FailKind = 'timeout' | 'error' | 'aborted';

/**
 * Told once how a query ended: the matching reply (a buffer nobody else holds), or null and why.
 * Listeners are objects rather than closures so that a lookup allocates nothing per callback.
 */
export interface ReplyListener {
  onReply(reply: Buffer | null, fail: FailKind): void;
}

/** One query in flight. There is no timer per query: whoever started it cancels it at its deadline. */
export interface Exchange {
  cancel(): void;
}

// Random IDs from a refilled block: cheaper than a crypto call per query, still unpredictable.
const rnd = Buffer.allocUnsafe(4096);
let rndPos = rnd.length;
function randomId(): number {
  if (rndPos + 2 > rnd.length) {
    randomFillSync(rnd);
    rndPos = 0;
  }
  const v = rnd.readUInt16BE(rndPos);
  rndPos += 2;
  return v;
}

/** Does this reply echo our question? A reply without a question is accepted only as an error. */
export function replyMatches(msg: Buffer, expect: Expect): boolean {
  if (msg.length < 12 || !(msg.readUInt16BE(2) & FLAG_QR)) return false;
  const qd = msg.readUInt16BE(4);
  if (qd === 0) {
    const rcode = msg[3] & 0x0f;
    return rcode !== RCODE_NOERROR && rcode !== RCODE_NXDOMAIN;
  }
  if (qd !== 1) return false;
  const next = matchName(msg, 12, expect.qname);
  if (next < 0 || next + 4 > msg.length) return false;
  return msg.readUInt16BE(next) === expect.qtype && msg.readUInt16BE(next + 2) === expect.qclass;
}

class Pending implements Exchange {
  constructor(
    readonly id: number,
    readonly target: Target,
    readonly expect: Expect,
    readonly listener: ReplyListener,
    readonly owner: Carrier,
  ) {}
  cancel(): void {
    this.owner.settle(this, null, 'aborted');
  }
}

/** Pending queries by ID: the Map subset a Carrier uses. */
interface PendingTable {
  get(id: number): Pending | undefined;
  set(id: number, p: Pending): void;
  delete(id: number): void;
  values(): Iterable<Pending>;
}

/**
 * The pending UDP queries of a whole pool, in a flat array indexed by ID (IDs are then unique
 * across the pool's sockets). Not a Map: a Map's hash table, rehashed as entries come and go,
 * leaves its old tables linked to the new ones with their entries still in them, and once such a
 * table is in the old generation every query it ever held survives young-generation GCs. A
 * sampling heap profile showed every allocation of a cache miss being promoted that way; GC was
 * 15-20% of a miss.
 */
class IdTable implements PendingTable {
  private readonly slots: (Pending | undefined)[] = Array.from({ length: 0x10000 }, () => undefined);
  size = 0;
  get(id: number): Pending | undefined {
    return this.slots[id];
  }
  set(id: number, p: Pending): void {
    if (!this.slots[id]) this.size++;
    this.slots[id] = p;
  }
  delete(id: number): void {
    if (this.slots[id]) this.size--;
    this.slots[id] = undefined;
  }
  *values(): Iterable<Pending> {
    if (this.size === 0) return;
    for (const p of this.slots) if (p) yield p;
  }
}

/** Common bookkeeping for the pending queries of one socket or connection, keyed by ID. */
abstract class Carrier {
  /** Queries of this carrier still waiting for a reply. */
  pendingCount = 0;
  constructor(private readonly table: PendingTable) {}
  protected add(target: Target, expect: Expect, listener: ReplyListener, send: (id: number) => void): Exchange {
    let id = randomId();
    while (this.table.get(id)) id = randomId();
    const p = new Pending(id, target, expect, listener, this);
    this.table.set(id, p);
    this.pendingCount++;
    try {
      send(id);
    } catch {
      this.settle(p, null, 'error');
    }
    return p;
  }
  /** Settles a pending query once; later calls for the same query do nothing. */
  settle(p: Pending, reply: Buffer | null, fail: FailKind): void {
    if (this.table.get(p.id) !== p) return;
    this.table.delete(p.id);
    this.pendingCount--;
    try {
      p.listener.onReply(reply, fail);
    } finally {
      this.afterSettle();
    }
  }
  protected failAll(fail: FailKind): void {
    if (this.pendingCount === 0) return;
    for (const p of [...this.table.values()]) if (p.owner === this) this.settle(p, null, fail);
  }
  /** Handles one received message; returns false if it matched nothing we wait for. */
  protected deliver(msg: Buffer, from?: { address: string; port: number }): boolean {
    if (msg.length < 12) return false;
    const p = this.table.get(msg.readUInt16BE(0));
    if (!p || p.owner !== this) return false;
    if (from && (from.port !== p.target.port || (from.address !== p.target.host && !sameIP(from.address, p.target.ip)))) return false;
    let ok = false;
    try {
      ok = replyMatches(msg, p.expect);
    } catch {
      ok = false;
    }
    if (!ok) return false;
    // Each datagram or TCP read arrives in a buffer of its own: no copy needed.
    this.settle(p, msg, 'error');
    return true;
  }
  protected afterSettle(): void {}
}

/**
 * A UDP socket on a random port, connected to one resolver: the kernel then drops datagrams from
 * anybody else, and a send needs no address (Node skips its per-send address lookup and tick).
 * Queries asked for before the connection is set up wait for it.
 */
class UdpSocket extends Carrier {
  readonly sock: dgram.Socket;
  uses = 0;
  retired = false;
  closed = false;
  private queued: Buffer[] | null = [];
  constructor(
    private readonly target: Target,
    table: IdTable,
    private readonly metrics: ForwardMetrics,
    private readonly onGone: (s: UdpSocket) => void,
  ) {
    super(table);
    this.sock = dgram.createSocket(target.family === 6 ? 'udp6' : 'udp4');
    this.sock.on('message', (msg, rinfo) => {
      let ok = false;
      try {
        ok = this.deliver(msg, rinfo);
      } catch {
        ok = false;
      }
      if (!ok) this.metrics.upstreamMismatched++;
    });
    this.sock.on('error', () => this.close());
    this.sock.on('connect', () => {
      const q = this.queued;
      this.queued = null;
      if (q && !this.closed) for (const b of q) this.sock.send(b);
    });
    this.sock.connect(target.port, target.host); // binds to an OS-chosen (random) port first
    this.sock.unref();
  }
  send(query: Buffer, expect: Expect, listener: ReplyListener): Exchange {
    this.uses++;
    return this.add(this.target, expect, listener, (id) => {
      // The query buffer is ours now: the ID goes straight into it.
      query.writeUInt16BE(id, 0);
      this.metrics.upstreamQueries++;
      if (this.queued) this.queued.push(query);
      // No callback: Node then sends synchronously (uv_udp_try_send), which is measurably cheaper;
      // a send error surfaces as the socket's 'error' event, which fails every pending exchange.
      else this.sock.send(query);
    });
  }
  protected override afterSettle(): void {
    if (this.retired && this.pendingCount === 0) this.close();
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queued = null;
    this.failAll('error');
    try {
      this.sock.close();
    } catch {
      /* already closed */
    }
    this.onGone(this);
  }
}

/** A small set of UDP sockets per resolver, each retired after `maxUses` queries. */
export class UdpPool {
  private readonly socks = new Map<Target, UdpSocket[]>();
  private readonly table = new IdTable();
  private next = 0;
  private closed = false;
  constructor(
    private readonly size: number,
    private readonly maxUses: number,
    private readonly metrics: ForwardMetrics,
  ) {}

  /** Sends `query` (its ID is overwritten: the buffer must not be used again) and reports to `listener`. */
  send(target: Target, query: Buffer, expect: Expect, listener: ReplyListener): Exchange {
    // Every ID taken (only with an unbounded ForwardMaxOutstanding): fail rather than search.
    if (this.closed || this.table.size >= 0xf000) return failed(listener);
    let list = this.socks.get(target);
    if (!list) {
      list = [];
      this.socks.set(target, list);
    }
    let s: UdpSocket;
    if (list.length < this.size) {
      s = this.open(target, list);
    } else {
      const i = this.next++ % list.length;
      s = list[i];
      if (s.uses >= this.maxUses) {
        this.retire(s, list);
        s = this.open(target, list);
      }
    }
    return s.send(query, expect, listener);
  }
  private open(target: Target, list: UdpSocket[]): UdpSocket {
    const s = new UdpSocket(target, this.table, this.metrics, (gone) => this.drop(gone, list));
    list.push(s);
    return s;
  }
  private retire(s: UdpSocket, list: UdpSocket[]): void {
    s.retired = true;
    this.drop(s, list);
    if (s.pendingCount === 0) s.close();
  }
  private drop(s: UdpSocket, list: UdpSocket[]): void {
    const i = list.indexOf(s);
    if (i >= 0) list.splice(i, 1);
  }
  close(): void {
    this.closed = true;
    for (const list of this.socks.values()) for (const s of [...list]) s.close();
  }
}

function failed(listener: ReplyListener): Exchange {
  listener.onReply(null, 'error');
  return { cancel() {} };
}

/** One TCP connection to a resolver, with queries pipelined on it (RFC 7766 §6.2.1). */
class TcpConnection extends Carrier {
  readonly sock: net.Socket;
  closed = false;
  /** Replies received: a connection that has answered before may have been closed by the peer since. */
  answered = 0;
  private rbuf: Buffer = Buffer.alloc(0);
  constructor(
    readonly target: Target,
    idleMs: number,
    private readonly metrics: ForwardMetrics,
    private readonly onGone: (c: TcpConnection) => void,
  ) {
    super(new Map());
    this.sock = net.connect({ host: target.host, port: target.port });
    this.sock.setNoDelay(true);
    this.sock.setTimeout(idleMs);
    this.sock.unref();
    this.sock.on('data', (chunk) => this.onData(chunk));
    this.sock.on('timeout', () => {
      if (this.pendingCount === 0) this.close('idle');
    });
    this.sock.on('error', (e) => this.close(e.message));
    this.sock.on('end', () => this.close('closed by peer'));
    this.sock.on('close', () => this.close('closed'));
  }
  private onData(chunk: Buffer): void {
    // Frames are a 2-byte length and a message; never more than 65535+2 bytes are held per frame.
    this.rbuf = this.rbuf.length ? Buffer.concat([this.rbuf, chunk]) : chunk;
    while (this.rbuf.length >= 2) {
      const n = this.rbuf.readUInt16BE(0);
      if (this.rbuf.length < 2 + n) break;
      const frame = this.rbuf.subarray(2, 2 + n);
      this.rbuf = this.rbuf.subarray(2 + n);
      let ok = false;
      try {
        ok = this.deliver(frame);
      } catch {
        ok = false;
      }
      if (ok) this.answered++;
      else this.metrics.upstreamMismatched++;
    }
  }
  send(query: Buffer, expect: Expect, listener: ReplyListener): Exchange {
    return this.add(this.target, expect, listener, (id) => {
      const out = Buffer.allocUnsafe(query.length + 2);
      out.writeUInt16BE(query.length, 0);
      query.copy(out, 2);
      out.writeUInt16BE(id, 2);
      this.metrics.upstreamQueries++;
      this.sock.write(out);
    });
  }
  protected override afterSettle(): void {
    // Nobody waits any more and the connection never came up: give up on it.
    if (this.pendingCount === 0 && this.sock.connecting) this.close('abandoned');
  }
  close(_reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.onGone(this);
    this.sock.destroy();
    this.failAll('error');
  }
}

/**
 * A query over TCP. A reused connection may have been closed by the resolver just before we wrote
 * to it: that is not the resolver failing, so such an error is retried once on a fresh connection
 * (while `deadline` allows).
 */
class TcpExchange implements Exchange, ReplyListener {
  private current: Exchange | null = null;
  private cancelled = false;
  private retry = true;
  private reused = false;
  constructor(
    private readonly pool: TcpPool,
    private readonly target: Target,
    private readonly query: Buffer,
    private readonly expect: Expect,
    private readonly deadline: number,
    private readonly listener: ReplyListener,
  ) {}
  start(): void {
    const c = this.pool.connection(this.target);
    this.reused = c.answered > 0;
    this.current = c.send(this.query, this.expect, this);
  }
  onReply(reply: Buffer | null, fail: FailKind): void {
    if (!reply && this.retry && this.reused && !this.cancelled && fail === 'error' && this.deadline > Date.now() && !this.pool.closed) {
      this.retry = false;
      return this.start();
    }
    this.listener.onReply(reply, fail);
  }
  cancel(): void {
    this.cancelled = true;
    this.current?.cancel();
  }
}

/** TCP connections by resolver; a closed one is replaced on the next query. */
export class TcpPool {
  private readonly conns = new Map<string, TcpConnection>();
  closed = false;
  constructor(
    private readonly idleMs: number,
    private readonly metrics: ForwardMetrics,
  ) {}

  send(target: Target, query: Buffer, expect: Expect, deadline: number, listener: ReplyListener): Exchange {
    if (this.closed) return failed(listener);
    const ex = new TcpExchange(this, target, query, expect, deadline, listener);
    ex.start();
    return ex;
  }
  connection(target: Target): TcpConnection {
    let c = this.conns.get(target.key);
    if (!c || c.closed) {
      c = new TcpConnection(target, this.idleMs, this.metrics, (gone) => {
        if (this.conns.get(target.key) === gone) this.conns.delete(target.key);
      });
      this.conns.set(target.key, c);
    }
    return c;
  }
  close(): void {
    this.closed = true;
    for (const c of [...this.conns.values()]) c.close('forwarder closed');
  }
}
