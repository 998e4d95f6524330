// The node-zookeeper-client workarounds, apart from the detection logic (detect/zk.ts) that uses
// them. The client needs help to be dependable (zk.ts's header says why each is needed):
// - it cannot parse `[v6]:port`, so createZkClient gives it the server list itself, reaching into
//   its ConnectionManager (pinned to 1.1.x: internals() fails loudly if that changes);
// - close() does not stop a pending reconnect or connect timer, and a hung server never answers
//   the close request, so closeZkClient stops both and cuts the socket after a bound.
import zookeeper from 'node-zookeeper-client';
import type { ZkServer } from '../config/zkurl.js';

interface ZkError {
  code: number;
  name?: string;
  message?: string;
}

/** The parts of node-zookeeper-client's ConnectionManager we have to reach (see the header). */
interface ConnectionManagerInternals {
  servers: { host: string; port: number }[];
  socket?: { destroy(): void; remoteAddress?: string; remotePort?: number };
  connectTimeoutHandler?: NodeJS.Timeout | null;
  connect: () => void;
  state: number;
}

function internals(client: zookeeper.Client): ConnectionManagerInternals {
  const cm = (client as unknown as { connectionManager?: ConnectionManagerInternals }).connectionManager;
  if (!cm || !Array.isArray(cm.servers) || typeof cm.connect !== 'function') {
    throw new Error('node-zookeeper-client internals changed (connectionManager.servers); pin version 1.1.x');
  }
  return cm;
}

function shuffle<T>(a: readonly T[]): T[] {
  const out = [...a];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

export function errText(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as ZkError;
    return e.name ?? e.message ?? String(err);
  }
  return String(err);
}

export function isCode(err: unknown, code: number): boolean {
  return !!err && typeof err === 'object' && (err as ZkError).code === code;
}

/** A new client (not yet connected) for `servers`, tried in a random order. */
export function createZkClient(servers: readonly ZkServer[], sessionTimeoutMs: number, spinDelayMs: number): zookeeper.Client {
  const order: ZkServer[] = shuffle(servers);
  // The client parses its connection string by splitting on ':', so IPv6 literals would break:
  // give it placeholders of the right count, then the real list.
  const placeholder = order.map((_, i) => `server${i}:1`).join(',');
  const client = zookeeper.createClient(placeholder, {
    sessionTimeout: sessionTimeoutMs,
    spinDelay: spinDelayMs,
    retries: 0,
  });
  internals(client).servers = order.map((s) => ({ host: s.host, port: s.port }));
  return client;
}

/** `host:port` of the server a connected client talks to ('' when unknown). */
export function connectedServer(client: zookeeper.Client): string {
  const sock = internals(client).socket;
  return sock?.remoteAddress ? `${sock.remoteAddress}:${sock.remotePort}` : '';
}

/** Close a client for good: no reconnect, no timer left, the socket cut if the server hangs. */
export async function closeZkClient(client: zookeeper.Client, onCloseError: (err: unknown) => void): Promise<void> {
  let cm: ConnectionManagerInternals;
  try {
    cm = internals(client);
  } catch {
    client.close();
    return;
  }
  cm.connect = () => {}; // no reconnect after close (the client would otherwise keep trying)
  if (cm.connectTimeoutHandler) clearTimeout(cm.connectTimeoutHandler);
  const closedState = -2; // ConnectionManager.STATES.CLOSED
  const gone = new Promise<void>((resolve) => {
    if (cm.state === closedState || cm.socket === undefined) return resolve();
    const check = setInterval(() => {
      if (cm.state === closedState) done();
    }, 20);
    // A server that hangs never answers the close request: cut the socket after a bound.
    const force = setTimeout(() => {
      cm.socket?.destroy();
      done();
    }, 1000);
    function done() {
      clearInterval(check);
      clearTimeout(force);
      if (cm.connectTimeoutHandler) clearTimeout(cm.connectTimeoutHandler);
      resolve();
    }
  });
  try {
    client.close();
  } catch (err) {
    onCloseError(err);
  }
  await gone;
}
