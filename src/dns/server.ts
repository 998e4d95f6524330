// UDP and TCP listeners. UDP replies are sent straight from the 'message' callback for answers
// inside the domain (no promise, no extra tick). TCP (tcp.ts) frames messages with the 2-byte
// length prefix by hand (dns-packet cannot frame), answers several queries per connection, and
// bounds every connection's buffers, deadlines and slots so a slow client cannot pin resources.
import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
import type { QueryHandler } from './handler.js';
import { isMessageStream, type MessageStream } from './stream.js';
import { dnsMetrics } from './metrics.js';
import { listenerErrorLogger } from '../net/fd-budget.js';
import { createTcpListener, DEFAULT_TCP_LIMITS, type TcpLimits } from './tcp.js';
import type { Logger } from '../log.js';
import type { WithReusePort } from './reuseport.js';

export interface DnsServerOptions {
  host: string;
  port: number;
  handler: QueryHandler;
  log: Logger;
  /** TCP limits other than the defaults (tests; see tcp.ts for what each bounds). */
  tcp?: Partial<TcpLimits>;
  /** Bind with SO_REUSEPORT, so that every answering thread (threads/pool.ts) owns a socket on the port. */
  reusePort?: boolean;
}

export interface DnsServer {
  udpPort: number;
  tcpPort: number;
  /** Stop taking new queries (shutdown): datagrams are ignored, no new TCP connections; replies in flight still go out. */
  drain(): void;
  close(): Promise<void>;
}

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

async function bindUdp(host: string, port: number, reusePort: boolean): Promise<dgram.Socket> {
  const type = net.isIPv6(host) || host === '0.0.0.0' ? 'udp6' : 'udp4';
  const bindHost = host === '0.0.0.0' ? '::' : host;
  const tryBind = (t: 'udp4' | 'udp6', h: string) => new Promise<dgram.Socket>((resolve, reject) => {
    const s = dgram.createSocket({ type: t, ipv6Only: false, recvBufferSize: 4 << 20, sendBufferSize: 4 << 20, lookup: literalLookup, reusePort } as WithReusePort<dgram.SocketOptions>);
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

/**
 * Port 0 (tests, the bench) takes a free UDP port and then the same number for TCP, where any
 * other socket may hold it already: such a start is retried on a new port instead of failing.
 */
export async function startDnsServer(o: DnsServerOptions): Promise<DnsServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDnsServerOnce(o);
    } catch (err) {
      if (o.port !== 0 || attempt >= 5 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
}

async function startDnsServerOnce(o: DnsServerOptions): Promise<DnsServer> {
  const { handler, log } = o;
  const reusePort = o.reusePort ?? false;
  const udp = await bindUdp(o.host, o.port, reusePort);
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

  const { server: tcp, closeAll } = createTcpListener(handler, log, { ...DEFAULT_TCP_LIMITS, ...o.tcp });
  tcp.on('error', listenerErrorLogger(log, 'TCP server error'));
  const tcpHost = o.host === '0.0.0.0' ? '::' : o.host;
  await new Promise<void>((resolve, reject) => {
    const failed = (err: Error) => { udp.close(); reject(err); };
    tcp.once('error', failed);
    const listen = (h: string) => tcp.listen({ port: udpPort, host: h, ipv6Only: false, reusePort } as WithReusePort<net.ListenOptions>, () => { tcp.removeListener('error', failed); resolve(); });
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
      closeAll();
      await Promise.all([
        new Promise<void>((r) => udp.close(() => r())),
        new Promise<void>((r) => { if (tcp.listening) tcp.close(() => r()); else r(); }),
      ]);
    },
  };
}
