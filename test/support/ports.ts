// Free ports for the processes tests and the bench start (servers, named, ZooKeeper, unbound,
// baselines): one picker for both, in a module with no test-runner imports, so the bench (built by
// tsconfig.json into dist/) can import it too.
import { readFileSync } from 'node:fs';
import dgram from 'node:dgram';
import net from 'node:net';

/** The lowest port the kernel hands out to sockets bound to port 0 and to outgoing connections. */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low > 12_000) return low;
  } catch { /* not Linux: assume the IANA range */ }
  return 49_152;
}
const PORT_LOW = 10_000;
const PORT_HIGH = ephemeralLow(); // exclusive

/** True when `port` can be bound on `host` for both TCP and UDP right now. */
async function bindable(port: number, host: string): Promise<boolean> {
  const tcp = await new Promise<boolean>((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
  if (!tcp) return false;
  return new Promise<boolean>((resolve) => {
    const u = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    u.once('error', () => resolve(false));
    u.bind(port, host, () => u.close(() => resolve(true)));
  });
}

/**
 * A port free for both UDP and TCP on `host` right now. Drawn at random from below the kernel's
 * ephemeral range: a port-0 pick lies inside that range, where any outgoing socket of any parallel
 * test (or the server under test) can take it between our check and the server's bind — that race
 * failed a CI run (EADDRINUSE). Below the range only another test's own pick can collide, and
 * startServerProcess retries that on fresh ports.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = PORT_LOW + Math.floor(Math.random() * (PORT_HIGH - PORT_LOW));
    if (await bindable(port, host)) return port;
  }
  throw new Error('no free port');
}
