// Can several threads bind the DNS port? SO_REUSEPORT through Node's `reusePort` option:
// dgram from v22.12.0 / v23.1.0, net from v23.1.0 (and the 22.x line after it). Node 20 takes
// the option silently and a second bind then fails with EADDRINUSE, so the answer is found by
// trying: two UDP and two TCP sockets bound to one loopback port, exactly what the answering
// threads will do. Costs a few milliseconds, once, at start-up.
import dgram from 'node:dgram';
import net from 'node:net';

/** Options Node 20's type definitions do not know; passed through as they are on newer runtimes. */
export type WithReusePort<T> = T & { reusePort?: boolean };

function udpBind(port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket({ type: 'udp4', reusePort: true } as WithReusePort<dgram.SocketOptions>);
    s.once('error', (e) => { s.close(); reject(e); });
    s.bind(port, '127.0.0.1', () => resolve(s));
  });
}

function tcpListen(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', (e) => { s.close(); reject(e); });
    s.listen({ port, host: '127.0.0.1', reusePort: true } as WithReusePort<net.ListenOptions>, () => resolve(s));
  });
}

/** null when this runtime and kernel let two sockets share a UDP and a TCP port; else why not. */
export async function reusePortUnsupported(): Promise<string | null> {
  const open: { close(): unknown }[] = [];
  try {
    const u1 = await udpBind(0); open.push(u1);
    open.push(await udpBind(u1.address().port));
    const t1 = await tcpListen(0); open.push(t1);
    open.push(await tcpListen((t1.address() as net.AddressInfo).port));
    return null;
  } catch (err) {
    return `node ${process.version} cannot bind one port from several sockets (reusePort needs node >= 22.12 for UDP, >= 23.1 for TCP): ${(err as Error).message}`;
  } finally {
    for (const s of open) s.close();
  }
}
