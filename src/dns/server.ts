// UDP and TCP listeners. UDP replies are sent straight from the 'message' callback for answers
// inside the domain (no promise, no extra tick); TCP frames messages with the 2-byte length
// prefix by hand (dns-packet cannot frame), answers several queries per connection, and closes
// idle or abusive connections so a slow client cannot pin resources.
import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
import type { QueryHandler } from './handler.js';
import { isMessageStream, type MessageStream } from './stream.js';
import { dnsMetrics } from './metrics.js';
import type { Logger } from '../log.js';

export interface DnsServerOptions {
  host: string;
  port: number;
  handler: QueryHandler;
  log: Logger;
  /** Idle timeout of a TCP connection (RFC 7766 suggests seconds, not minutes). */
  tcpIdleMs?: number;
  maxTcpConnections?: number;
}

export interface DnsServer {
  udpPort: number;
  tcpPort: number;
  /** Stop taking new queries (shutdown): datagrams are ignored, no new TCP connections; replies in flight still go out. */
  drain(): void;
  close(): Promise<void>;
}

const MAX_TCP_PENDING = 64;
/** Replies waiting to be written on one connection; past it the client is not reading: closed. */
const MAX_TCP_QUEUED = 256;
/** Messages of a multi-message reply written per turn of the event loop. */
const STREAM_MESSAGES_PER_TURN = 4;

function isWildcard(host: string): boolean { return host === '0.0.0.0' || host === '::'; }

/**
 * The UDP socket replies to the source address of each datagram, always an IP literal, and
 * dgram.send() passes every destination through `lookup`. The default (dns.lookup) answers an IP
 * literal on the next tick: a regexp, a queued tick and another pass through the tick queue for
 * every answer (profiled: the send ran from processTicksAndRejections). Calling back at once sends
 * from the 'message' callback itself. A client's address is usually the previous one, so one
 * remembered literal skips even the regexp. Names (a listener given as a host name) still resolve.
 */
let lastLiteral = '';
let lastFamily = 4;
function literalLookup(address: string, family: dns.LookupOneOptions | number,
  cb: (err: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  if (address === lastLiteral) { cb(null, address, lastFamily); return; }
  const v = net.isIP(address);
  if (v === 0) { dns.lookup(address, family as dns.LookupOneOptions, cb); return; }
  lastLiteral = address; lastFamily = v;
  cb(null, address, v);
}

async function bindUdp(host: string, port: number): Promise<dgram.Socket> {
  const type = net.isIPv6(host) || host === '0.0.0.0' ? 'udp6' : 'udp4';
  const bindHost = host === '0.0.0.0' ? '::' : host;
  const tryBind = (t: 'udp4' | 'udp6', h: string) => new Promise<dgram.Socket>((resolve, reject) => {
    const s = dgram.createSocket({ type: t, ipv6Only: false, recvBufferSize: 4 << 20, sendBufferSize: 4 << 20, lookup: literalLookup });
    s.once('error', reject);
    s.bind(port, h, () => { s.removeListener('error', reject); resolve(s); });
  });
  try {
    return await tryBind(type, bindHost);
  } catch (err) {
    if (host === '0.0.0.0') return tryBind('udp4', host); // no IPv6 on this host: IPv4 only
    throw err;
  }
}

export async function startDnsServer(o: DnsServerOptions): Promise<DnsServer> {
  const { handler, log } = o;
  const udp = await bindUdp(o.host, o.port);
  const udpPort = udp.address().port;
  // No send callback: without one Node tries a synchronous send (uv_udp_try_send) and skips the
  // completion round trip, measurably cheaper per answer. Send errors surface as 'error' events.

  const onMessage = (msg: Buffer, rinfo: dgram.RemoteInfo): void => {
    let reply: Buffer | Promise<Buffer> | MessageStream | null;
    try {
      reply = handler(msg, 'udp', rinfo.address);
    } catch (err) {
      log.error({ err }, 'query handler failed');
      return;
    }
    if (reply === null) return;
    if (isMessageStream(reply)) { reply.close(); return; } // never over UDP (xfr answers UDP with one message)
    if (!(reply instanceof Promise)) { udp.send(reply, rinfo.port, rinfo.address); return; }
    reply.then((b) => udp.send(b, rinfo.port, rinfo.address), (err) => log.error({ err }, 'forwarding failed'));
  };
  udp.on('message', onMessage);
  udp.on('error', (err) => { dnsMetrics.sendErrors++; log.error({ err }, 'UDP socket error'); });

  const idleMs = o.tcpIdleMs ?? 10_000;
  const maxConns = o.maxTcpConnections ?? 1000;
  const sockets = new Set<net.Socket>();
  const tcp = net.createServer({ noDelay: true }, (sock) => {
    if (sockets.size >= maxConns) { dnsMetrics.tcpRejected++; sock.destroy(); return; }
    dnsMetrics.tcpConnections++;
    sockets.add(sock);
    sock.setTimeout(idleMs, () => sock.destroy());
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    let buf = Buffer.alloc(0);
    let pending = 0;
    // Replies leave in order through one queue. A multi-message reply (a zone transfer) is pulled
    // one message at a time, only while the socket takes data: when write() says the kernel
    // buffer is full the queue waits for 'drain', so a client that stops reading costs one
    // message of memory until the idle timeout closes it. A few messages per turn of the event
    // loop, so a transfer never holds up UDP answers for long.
    const queue: (Buffer | MessageStream)[] = [];
    let blocked = false;
    let scheduled = false;
    const frame = (b: Buffer) => {
      const len = Buffer.allocUnsafe(2);
      len.writeUInt16BE(b.length);
      return Buffer.concat([len, b]);
    };
    const pump = () => {
      scheduled = false;
      let budget = STREAM_MESSAGES_PER_TURN;
      while (queue.length > 0 && !blocked && !sock.destroyed) {
        const head = queue[0];
        let out: Buffer;
        if (!isMessageStream(head)) { queue.shift(); out = frame(head); } else {
          if (budget-- === 0) { scheduled = true; setImmediate(pump); return; }
          let m: Buffer | null;
          try { m = head.next(); } catch (err) { log.error({ err }, 'zone transfer failed'); sock.destroy(); return; }
          if (m === null) { head.close(); queue.shift(); continue; }
          out = m; // streams frame their own messages
        }
        if (!sock.write(out)) {
          // Write deadline: a client that takes nothing for idleMs is gone. (The socket's idle
          // timer alone lets a stalled write live twice as long: Node forgives one expiry.)
          blocked = true;
          const deadline = setTimeout(() => sock.destroy(), idleMs);
          sock.once('drain', () => { clearTimeout(deadline); blocked = false; pump(); });
          sock.once('close', () => clearTimeout(deadline));
        }
      }
    };
    const send = (b: Buffer | MessageStream) => {
      if (sock.destroyed) { if (isMessageStream(b)) b.close(); return; }
      if (queue.length >= MAX_TCP_QUEUED) { if (isMessageStream(b)) b.close(); sock.destroy(); return; }
      queue.push(b);
      if (!blocked && !scheduled) pump();
    };
    sock.on('close', () => { for (const r of queue) if (isMessageStream(r)) r.close(); queue.length = 0; });
    sock.on('data', (chunk) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      while (buf.length >= 2) {
        const n = buf.readUInt16BE(0);
        if (buf.length < 2 + n) break;
        const msg = buf.subarray(2, 2 + n);
        buf = buf.subarray(2 + n);
        let reply: Buffer | Promise<Buffer> | MessageStream | null;
        try { reply = handler(msg, 'tcp', sock.remoteAddress ?? ''); } catch (err) {
          log.error({ err }, 'query handler failed'); sock.destroy(); return;
        }
        if (reply === null) continue;
        if (!(reply instanceof Promise)) { send(reply); continue; }
        if (++pending > MAX_TCP_PENDING) { sock.destroy(); return; }
        reply.then((b) => { pending--; send(b); }, (err) => { pending--; log.error({ err }, 'forwarding failed'); });
      }
      if (buf.length > 2 + 65535) sock.destroy();
    });
  });
  tcp.on('error', (err) => log.error({ err }, 'TCP server error'));
  const tcpHost = o.host === '0.0.0.0' ? '::' : o.host;
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    const listen = (h: string) => tcp.listen({ port: udpPort, host: h, ipv6Only: false }, () => { tcp.removeListener('error', reject); resolve(); });
    if (isWildcard(o.host)) {
      tcp.once('error', (err: NodeJS.ErrnoException) => { if (err.code === 'EAFNOSUPPORT') listen('0.0.0.0'); });
    }
    listen(tcpHost);
  });
  const tcpAddr = tcp.address();
  const tcpPort = typeof tcpAddr === 'object' && tcpAddr ? tcpAddr.port : udpPort;

  return {
    udpPort,
    tcpPort,
    drain: () => {
      udp.off('message', onMessage);
      tcp.close();
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all([
        new Promise<void>((r) => udp.close(() => r())),
        new Promise<void>((r) => { if (tcp.listening) tcp.close(() => r()); else r(); }),
      ]);
    },
  };
}
