// A stand-in Mesos master: serves a state document the way a master's /master/state does, so the
// demo, the tests and the benchmarks exercise the real fetch path (HTTP, TLS, auth, gzip) without a
// Mesos cluster. The state is held as ready-to-send bytes (and, on demand, one cached gzip copy), so
// a 50 MB state costs nothing per request: benchmarks measure our client, not this server.
// For the v1 operator API (SUBSCRIBE, GET_MASTER) and /master/state-summary the state becomes a
// live cluster (demo/cluster.ts) on first use: tasks launched or killed through it show in the
// event stream and in /master/state alike, and the state's bytes are remade only after a change.
import { createServer as createHttpServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { gzip as gzipCb } from 'node:zlib';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import { DemoCluster, type ClusterEvent } from './cluster.js';
import { frameRecord } from '../stream/recordio.js';

const gzip = promisify(gzipCb);

/** The paths a Mesos master answers its state on (current, legacy .json, and pre-0.25 top level). */
const STATE_PATHS = new Set(['/master/state', '/master/state.json', '/state.json']);

export type StateInput = object | Buffer | string;

export interface StandInMasterOptions {
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /** Listen port; default 0 (a free port). */
  port?: number;
  state: StateInput;
  /** Serve HTTPS. `ca` + `requestCert` make the master demand a client certificate signed by `ca`. */
  tls?: { key: string | Buffer; cert: string | Buffer; ca?: string | Buffer; requestCert?: boolean };
  /** Require HTTP Basic credentials (401 otherwise). */
  basicAuth?: { principal: string; secret: string };
  /** HTTP status of state answers; default 200. */
  status?: number;
  /** Gzip the state when the client accepts it, as Mesos does (off by default: it costs CPU once per state). */
  gzip?: boolean;
  /** HEARTBEAT interval of event streams, in seconds (a real master: 15). */
  heartbeatSeconds?: number;
}

export interface StandInMaster {
  /** Base URL, e.g. `http://127.0.0.1:40123` (IPv6 bracketed). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** `host:port` as a masters-list entry (IPv6 bracketed). */
  readonly hostPort: string;
  /** Replace the served state (bytes are prepared once, here). */
  setState(state: StateInput): void;
  /** HTTP status for state answers (non-2xx answers carry a short text body, not the state). */
  setStatus(code: number): void;
  /** Delay before answering each request, in ms (0 = none). */
  setDelay(ms: number): void;
  /** Answer state requests with `307 Location: <location>` (as a non-leading master does); null = off. */
  setRedirect(location: string | null): void;
  /**
   * The live cluster behind the state (made from the current state on first use): launch and
   * kill tasks, churn, agents, frameworks, failover. Its changes reach /master/state and the
   * event streams alike.
   */
  cluster(): DemoCluster;
  /** Answer `POST /api/v1` with this status (404/405/501: a master without the v1 API; 503: recovering); null = serve it. */
  setApiStatus(code: number | null): void;
  /** Answer `POST /api/v1` with `307 Location: <location>` (e.g. `//127.0.0.1:5050/api/v1`); null = off. */
  setApiRedirect(location: string | null): void;
  /** Send HEARTBEATs on event streams (default on). */
  setHeartbeats(on: boolean): void;
  /** End every open event stream; with `midRecord`, after writing half of a record (a master dying). */
  cutStreams(midRecord?: boolean): void;
  /** Event streams open now, and SUBSCRIBE calls served so far. */
  readonly streams: number;
  readonly subscribes: number;
  /** Bytes written on event streams so far (framing included). */
  readonly streamBytes: number;
  /** Every request received (any path, any outcome). */
  readonly requests: number;
  /** Headers of the most recent request (undefined before the first). */
  readonly lastHeaders: IncomingHttpHeaders | undefined;
  /** Request target (path and query) of the most recent request. */
  readonly lastPath: string | undefined;
  close(): Promise<void>;
}

function toBytes(state: StateInput): Buffer {
  if (Buffer.isBuffer(state)) return state;
  if (typeof state === 'string') return Buffer.from(state, 'utf8');
  return Buffer.from(JSON.stringify(state), 'utf8');
}

function bracket(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function acceptsGzip(req: IncomingMessage): boolean {
  const ae = req.headers['accept-encoding'];
  if (typeof ae !== 'string') return false;
  return ae.split(',').some((item) => {
    const [coding, ...params] = item.split(';').map((p) => p.trim().toLowerCase());
    if (coding !== 'gzip' && coding !== '*') return false;
    const q = params.find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

export async function startStandInMaster(opts: StandInMasterOptions): Promise<StandInMaster> {
  let body = toBytes(opts.state);
  // One gzip copy per state, made on first demand and shared by every request after it.
  let gzipped: Promise<Buffer> | null = null;
  let gzippedFor: Buffer | null = null;
  let status = opts.status ?? 200;
  let delay = 0;
  let redirect: string | null = null;
  let requests = 0;
  let lastHeaders: IncomingHttpHeaders | undefined;
  let lastPath: string | undefined;
  const timers = new Set<NodeJS.Timeout>();
  let cluster: DemoCluster | null = null;
  let apiStatus: number | null = null;
  let apiRedirect: string | null = null;
  let heartbeats = true;
  let subscribes = 0;
  let streamBytes = 0;
  const heartbeatMs = (opts.heartbeatSeconds ?? 15) * 1000;
  const streams = new Set<ServerResponse>();
  const getCluster = (): DemoCluster => {
    cluster ??= new DemoCluster(JSON.parse(body.toString('utf8')) as object);
    return cluster;
  };
  const currentBody = (): Buffer => (cluster ? cluster.stateBytes() : body);
  const expectedAuth = opts.basicAuth
    ? 'Basic ' + Buffer.from(`${opts.basicAuth.principal}:${opts.basicAuth.secret}`, 'utf8').toString('base64')
    : null;

  function sendText(res: ServerResponse, code: number, text: string, extra: Record<string, string> = {}): void {
    res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...extra });
    res.end(text);
  }

  function answer(req: IncomingMessage, res: ServerResponse): void {
    if (res.destroyed || res.writableEnded) return;
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/api/v1') return void api(req, res);
    if (path === '/master/state-summary') {
      let summary: Buffer;
      try { summary = Buffer.from(JSON.stringify(getCluster().summary())); } catch { return sendText(res, 500, 'state is not JSON\n'); }
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': summary.length });
      return void res.end(summary);
    }
    if (!STATE_PATHS.has(path)) return sendText(res, 404, 'Not Found\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'Method Not Allowed\n', { Allow: 'GET, HEAD' });
    if (expectedAuth !== null && req.headers.authorization !== expectedAuth) {
      return sendText(res, 401, 'Unauthorized\n', { 'WWW-Authenticate': 'Basic realm="mesos"' });
    }
    if (redirect !== null) return sendText(res, 307, '', { Location: redirect });
    if (status < 200 || status > 299) return sendText(res, status, `stand-in master answers ${status}\n`);
    const current = currentBody();
    if (opts.gzip && acceptsGzip(req)) {
      if (gzippedFor !== current || gzipped === null) { gzipped = gzip(current); gzippedFor = current; }
      const pending = gzipped;
      pending.then(
        (gz) => {
          if (res.destroyed) return;
          res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', 'Content-Length': gz.length, Vary: 'Accept-Encoding' });
          res.end(req.method === 'HEAD' ? undefined : gz);
        },
        () => sendText(res, 500, 'gzip failed\n'),
      );
      return;
    }
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': current.length });
    res.end(req.method === 'HEAD' ? undefined : current);
  }

  /** `POST /api/v1`: the master's checks in its order (NEXT.md §1.1), then SUBSCRIBE or GET_MASTER. */
  async function api(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > 65536) return sendText(res, 413, 'request too large\n');
      chunks.push(c);
    }
    if (apiRedirect !== null) return sendText(res, 307, '', { Location: apiRedirect });
    if (apiStatus !== null) return sendText(res, apiStatus, `stand-in master answers ${apiStatus}\n`);
    if (req.method !== 'POST') return sendText(res, 405, 'Expecting a POST request\n');
    if (req.headers['content-type'] !== 'application/json') return sendText(res, 415, 'Expecting Content-Type of application/json\n');
    let call: { type?: unknown };
    try { call = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { type?: unknown }; } catch { return sendText(res, 400, 'Failed to parse body\n'); }
    let c: DemoCluster;
    try { c = getCluster(); } catch { return sendText(res, 500, 'state is not JSON\n'); }
    if (call?.type === 'GET_MASTER') {
      const b = Buffer.from(JSON.stringify(c.getMaster()));
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': b.length });
      return void res.end(b);
    }
    if (call?.type !== 'SUBSCRIBE') return sendText(res, 400, 'Unsupported call\n');
    subscribes++;
    res.writeHead(200, { 'Content-Type': 'application/json' }); // chunked, no length: a stream
    streams.add(res);
    const write = (e: ClusterEvent | Buffer): void => {
      const framed = Buffer.isBuffer(e) ? e : frameRecord(JSON.stringify(e));
      streamBytes += framed.length;
      res.write(framed);
    };
    const heartbeat = frameRecord('{"type":"HEARTBEAT"}');
    write(c.subscribedRecord(heartbeatMs / 1000));
    write(heartbeat);
    const unsubscribe = c.subscribe(write);
    const hb = setInterval(() => { if (heartbeats) write(heartbeat); }, heartbeatMs);
    res.on('close', () => { unsubscribe(); clearInterval(hb); streams.delete(res); });
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    requests++;
    lastHeaders = req.headers;
    lastPath = req.url;
    if ((req.url ?? '').split('?')[0] === '/api/v1') return void api(req, res).catch(() => res.destroy());
    // The request body is never used; drain it so keep-alive connections stay usable.
    req.resume();
    if (delay > 0) {
      const t = setTimeout(() => {
        timers.delete(t);
        answer(req, res);
      }, delay);
      timers.add(t);
      return;
    }
    answer(req, res);
  }

  const server: Server = opts.tls
    ? createHttpsServer(
        {
          key: opts.tls.key,
          cert: opts.tls.cert,
          ...(opts.tls.ca !== undefined ? { ca: opts.tls.ca } : {}),
          requestCert: opts.tls.requestCert ?? false,
          rejectUnauthorized: opts.tls.requestCert ?? false,
        },
        onRequest,
      )
    : createHttpServer(onRequest);
  // Large states on slow clients must not be cut off by Node's default request timeouts.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.address;
  const port = addr.port;
  const hostPort = `${bracket(host)}:${port}`;
  const url = `${opts.tls ? 'https' : 'http'}://${hostPort}`;

  let closed: Promise<void> | null = null;
  return {
    url,
    host,
    port,
    hostPort,
    setState(state: StateInput) {
      body = toBytes(state);
      gzipped = null;
      // A new cluster: open streams end, as a master's do when it goes away.
      if (cluster) { cluster.close(); cluster = null; }
      for (const r of streams) r.destroy();
    },
    cluster: getCluster,
    setApiStatus(code: number | null) {
      apiStatus = code;
    },
    setApiRedirect(location: string | null) {
      apiRedirect = location;
    },
    setHeartbeats(on: boolean) {
      heartbeats = on;
    },
    cutStreams(midRecord = true) {
      for (const r of streams) {
        // The body ends without its terminating chunk: the client sees the connection drop.
        const drop = () => { r.socket?.destroy(); r.destroy(); };
        if (!midRecord) { drop(); continue; }
        const half = frameRecord('{"type":"HEARTBEAT","note":"this record never ends"}');
        r.write(half.subarray(0, half.length >> 1), drop);
      }
    },
    get streams() {
      return streams.size;
    },
    get subscribes() {
      return subscribes;
    },
    get streamBytes() {
      return streamBytes;
    },
    setStatus(code: number) {
      status = code;
    },
    setDelay(ms: number) {
      delay = Math.max(0, ms);
    },
    setRedirect(location: string | null) {
      redirect = location;
    },
    get requests() {
      return requests;
    },
    get lastHeaders() {
      return lastHeaders;
    },
    get lastPath() {
      return lastPath;
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        cluster?.close();
        for (const r of streams) r.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

/**
 * Point the state's `leader` (and the master's own `pid`) at `hostPort`. The original re-fetches
 * the state from the leader the state names, so a fixture recorded elsewhere must name the stand-in.
 * Objects come back as a shallow copy; bytes or text are parsed and come back as JSON bytes.
 */
export function rewriteLeader<T extends object>(state: T, hostPort: string): T & { leader: string; pid: string };
export function rewriteLeader(state: Buffer | string, hostPort: string): Buffer;
export function rewriteLeader(state: object | Buffer | string, hostPort: string): object | Buffer {
  const pid = `master@${hostPort}`;
  if (Buffer.isBuffer(state) || typeof state === 'string') {
    const parsed = JSON.parse(Buffer.isBuffer(state) ? state.toString('utf8') : state) as object;
    return Buffer.from(JSON.stringify({ ...parsed, leader: pid, pid }), 'utf8');
  }
  return { ...state, leader: pid, pid };
}
