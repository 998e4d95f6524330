// A stand-in Mesos master: serves a state document the way a master's /master/state does, so the
// demo, the tests and the benchmarks exercise the real fetch path (HTTP, TLS, auth, gzip) without a
// Mesos cluster. The state is held as ready-to-send bytes (and, on demand, one cached gzip copy), so
// a 50 MB state costs nothing per request: benchmarks measure our client, not this server.
import { createServer as createHttpServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { gzip as gzipCb } from 'node:zlib';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';

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
  let status = opts.status ?? 200;
  let delay = 0;
  let redirect: string | null = null;
  let requests = 0;
  let lastHeaders: IncomingHttpHeaders | undefined;
  let lastPath: string | undefined;
  const timers = new Set<NodeJS.Timeout>();
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
    if (!STATE_PATHS.has(path)) return sendText(res, 404, 'Not Found\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'Method Not Allowed\n', { Allow: 'GET, HEAD' });
    if (expectedAuth !== null && req.headers.authorization !== expectedAuth) {
      return sendText(res, 401, 'Unauthorized\n', { 'WWW-Authenticate': 'Basic realm="mesos"' });
    }
    if (redirect !== null) return sendText(res, 307, '', { Location: redirect });
    if (status < 200 || status > 299) return sendText(res, status, `stand-in master answers ${status}\n`);
    const current = body;
    if (opts.gzip && acceptsGzip(req)) {
      gzipped ??= gzip(current);
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

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    requests++;
    lastHeaders = req.headers;
    lastPath = req.url;
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
