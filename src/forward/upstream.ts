// Transport to upstream resolvers. The original opened a new socket per forwarded query, which is
// what capped it at 31k queries/s; here a small pool of UDP sockets (per address family) and one
// pipelined TCP connection per resolver (RFC 7766) carry every query. Spoofing resistance comes
// from a fresh random 16-bit ID per query, sockets bound to random source ports and retired after
// a number of uses (so the port keeps changing), and strict matching of replies (RFC 5452 /
// Part A item 12): source address and port, ID, and question name (case-insensitive), type and
// class. A reply that does not match is ignored and we keep waiting; nothing an upstream sends
// can throw out of the socket handlers.
import dgram from 'node:dgram';
import net from 'node:net';
import { randomFillSync } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { parseIP, sameIP } from './ip.js';
import type { ForwardMetrics } from './metrics.js';
import { FLAG_QR, RCODE_NOERROR, RCODE_NXDOMAIN, namesEqualCI, readName, type WireName } from './wire.js';

export interface Target {
  /** Normalised "ip:port" or "[v6]:port": identifies the resolver (health, TCP connection). */
  key: string;
  host: string;
  port: number;
  family: 4 | 6;
  ip: Uint8Array;
}

/** "1.2.3.4", "1.2.3.4:53", "[::1]:53" or a bare IPv6 address (port 53). Throws on error. */
export function parseTarget(text: string): Target {
  const s = text.trim();
  let host = s;
  let port = 53;
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (m) {
    host = m[1];
    if (m[2] !== undefined) port = Number(m[2]);
  } else if (!isIPv6(s)) {
    const c = s.lastIndexOf(':');
    if (c >= 0) {
      host = s.slice(0, c);
      if (!/^\d+$/.test(s.slice(c + 1))) throw new Error(`bad port in "${text}"`);
      port = Number(s.slice(c + 1));
    }
  }
  const family = isIPv4(host) ? 4 : isIPv6(host) ? 6 : 0;
  const ip = parseIP(host);
  if (!family || !ip) throw new Error(`not an IP address: "${text}"`);
  if (!(port >= 1 && port <= 65535)) throw new Error(`bad port in "${text}"`);
  return { key: family === 6 ? `[${host}]:${port}` : `${host}:${port}`, host, port, family, ip };
}

/** What a reply must echo. */
export interface Expect {
  qname: WireName;
  qtype: number;
  qclass: number;
}

export type FailKind = 'timeout' | 'error' | 'aborted';

export class UpstreamError extends Error {
  constructor(readonly kind: FailKind, message: string) {
    super(message);
  }
}

/** One query in flight: its promise settles with the matching reply or an UpstreamError. */
export interface Exchange {
  promise: Promise<Buffer>;
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
  const r = readName(msg, 12, msg.length);
  if (r.next + 4 > msg.length) return false;
  return (
    namesEqualCI(r.name, expect.qname) &&
    msg.readUInt16BE(r.next) === expect.qtype &&
    msg.readUInt16BE(r.next + 2) === expect.qclass
  );
}

interface Pending {
  id: number;
  target: Target;
  expect: Expect;
  timer: NodeJS.Timeout;
  resolve(b: Buffer): void;
  reject(e: UpstreamError): void;
}

/** Common bookkeeping for a map of pending queries keyed by ID. */
abstract class Carrier {
  readonly pending = new Map<number, Pending>();
  protected freeId(): number {
    for (;;) {
      const id = randomId();
      if (!this.pending.has(id)) return id;
    }
  }
  protected add(target: Target, expect: Expect, timeoutMs: number, send: (id: number, p: Pending) => void): Exchange {
    const id = this.freeId();
    let p!: Pending;
    const promise = new Promise<Buffer>((resolve, reject) => {
      p = {
        id,
        target,
        expect,
        resolve,
        reject,
        timer: setTimeout(() => this.settle(p, new UpstreamError('timeout', `no reply from ${target.key}`)), Math.max(1, timeoutMs)),
      };
    });
    this.pending.set(id, p);
    try {
      send(id, p);
    } catch (e) {
      this.settle(p, new UpstreamError('error', `send to ${target.key}: ${(e as Error).message}`));
    }
    return { promise, cancel: () => this.settle(p, new UpstreamError('aborted', 'cancelled')) };
  }
  /** Settles a pending query once; later calls for the same query do nothing. */
  protected settle(p: Pending, result: Buffer | UpstreamError): void {
    if (this.pending.get(p.id) !== p) return;
    this.pending.delete(p.id);
    clearTimeout(p.timer);
    if (result instanceof UpstreamError) p.reject(result);
    else p.resolve(result);
    this.afterSettle();
  }
  protected failAll(err: UpstreamError): void {
    for (const p of [...this.pending.values()]) this.settle(p, err);
  }
  /** Handles one received message; returns false if it matched nothing we wait for. */
  protected deliver(msg: Buffer, from?: { address: string; port: number }): boolean {
    if (msg.length < 12) return false;
    const p = this.pending.get(msg.readUInt16BE(0));
    if (!p) return false;
    if (from && (from.port !== p.target.port || (from.address !== p.target.host && !sameIP(from.address, p.target.ip)))) return false;
    let ok = false;
    try {
      ok = replyMatches(msg, p.expect);
    } catch {
      ok = false;
    }
    if (!ok) return false;
    this.settle(p, Buffer.from(msg));
    return true;
  }
  protected afterSettle(): void {}
}

class UdpSocket extends Carrier {
  readonly sock: dgram.Socket;
  uses = 0;
  retired = false;
  closed = false;
  constructor(family: 4 | 6, private readonly metrics: ForwardMetrics, private readonly onGone: (s: UdpSocket) => void) {
    super();
    this.sock = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
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
    this.sock.bind(0); // an OS-chosen (random) source port
    this.sock.unref();
  }
  send(target: Target, query: Buffer, expect: Expect, timeoutMs: number): Exchange {
    this.uses++;
    return this.add(target, expect, timeoutMs, (id, p) => {
      const out = Buffer.from(query);
      out.writeUInt16BE(id, 0);
      this.metrics.upstreamQueries++;
      // No callback: Node then sends synchronously (uv_udp_try_send), which is measurably cheaper;
      // a send error surfaces as the socket's 'error' event, which fails every pending exchange.
      this.sock.send(out, target.port, target.host);
    });
  }
  protected override afterSettle(): void {
    if (this.retired && this.pending.size === 0) this.close();
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new UpstreamError('error', 'socket closed'));
    try {
      this.sock.close();
    } catch {
      /* already closed */
    }
    this.onGone(this);
  }
}

/** A small set of UDP sockets per address family, each retired after `maxUses` queries. */
export class UdpPool {
  private readonly socks: Record<4 | 6, UdpSocket[]> = { 4: [], 6: [] };
  private next = 0;
  private closed = false;
  constructor(
    private readonly size: number,
    private readonly maxUses: number,
    private readonly metrics: ForwardMetrics,
  ) {}

  send(target: Target, query: Buffer, expect: Expect, timeoutMs: number): Exchange {
    if (this.closed) return failed('forwarder closed');
    const list = this.socks[target.family];
    let s: UdpSocket;
    if (list.length < this.size) {
      s = this.open(target.family);
    } else {
      const i = this.next++ % list.length;
      s = list[i];
      if (s.uses >= this.maxUses || s.pending.size >= 0xf000) {
        this.retire(s);
        s = this.open(target.family);
      }
    }
    return s.send(target, query, expect, timeoutMs);
  }
  private open(family: 4 | 6): UdpSocket {
    const s = new UdpSocket(family, this.metrics, (gone) => this.drop(gone));
    this.socks[family].push(s);
    return s;
  }
  private retire(s: UdpSocket): void {
    s.retired = true;
    this.drop(s);
    if (s.pending.size === 0) s.close();
  }
  private drop(s: UdpSocket): void {
    for (const f of [4, 6] as const) {
      const i = this.socks[f].indexOf(s);
      if (i >= 0) this.socks[f].splice(i, 1);
    }
  }
  close(): void {
    this.closed = true;
    for (const f of [4, 6] as const) for (const s of [...this.socks[f]]) s.close();
  }
}

function failed(message: string): Exchange {
  const promise = Promise.reject(new UpstreamError('error', message));
  promise.catch(() => {});
  return { promise, cancel() {} };
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
    super();
    this.sock = net.connect({ host: target.host, port: target.port });
    this.sock.setNoDelay(true);
    this.sock.setTimeout(idleMs);
    this.sock.unref();
    this.sock.on('data', (chunk) => this.onData(chunk));
    this.sock.on('timeout', () => {
      if (this.pending.size === 0) this.close('idle');
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
  send(query: Buffer, expect: Expect, timeoutMs: number): Exchange {
    return this.add(this.target, expect, timeoutMs, (id) => {
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
    if (this.pending.size === 0 && this.sock.connecting) this.close('abandoned');
  }
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.onGone(this);
    this.sock.destroy();
    this.failAll(new UpstreamError('error', `TCP to ${this.target.key}: ${reason}`));
  }
}

/** TCP connections by resolver; a closed one is replaced on the next query. */
export class TcpPool {
  private readonly conns = new Map<string, TcpConnection>();
  private closed = false;
  constructor(
    private readonly idleMs: number,
    private readonly metrics: ForwardMetrics,
  ) {}

  send(target: Target, query: Buffer, expect: Expect, deadline: number): Exchange {
    if (this.closed) return failed('forwarder closed');
    let current: Exchange | null = null;
    let cancelled = false;
    const run = async (retry: boolean): Promise<Buffer> => {
      const c = this.connection(target);
      const reused = c.answered > 0;
      current = c.send(query, expect, deadline - Date.now());
      try {
        return await current.promise;
      } catch (e) {
        // A reused connection may have been closed by the resolver just before we wrote to it:
        // that is not the resolver failing, so try once more on a fresh connection.
        if (retry && reused && !cancelled && e instanceof UpstreamError && e.kind === 'error' && deadline - Date.now() > 0 && !this.closed) {
          return run(false);
        }
        throw e;
      }
    };
    const promise = run(true);
    return {
      promise,
      cancel: () => {
        cancelled = true;
        current?.cancel();
      },
    };
  }
  private connection(target: Target): TcpConnection {
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
