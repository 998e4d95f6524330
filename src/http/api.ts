// The HTTP API [B§9]: same paths, statuses, plain-text error bodies and Go-style JSON as the
// original, so existing scripts and dashboards keep working. It is a plain node:http handler with
// a hand-written router rather than a framework: there are seven GET routes, and the original's
// generic behaviour (404 → 405 → 415 → 406, in go-restful's order, with its exact bodies) is
// easier to reproduce exactly than to coax out of a framework.
//
// Deliberate differences from the original, each small:
// - Names are looked up case-insensitively and `.*` is NOT stripped [A.5], [A.6].
// - `/v1/config` redacts the Mesos secret [A.18] and, after the original's fields, shows this
//   project's added config keys and — when the process provides it — `MastersSource`
//   {masters, source}: which masters the last refresh used and where that list came from
//   (ZooKeeper or the static config), which the original left operators guessing; and
//   `StateSourceInUse` ("stream" or "poll"): what `StateSource` resolved to ("auto" falls back to
//   polling on a master without the v1 API). A field of its own, not a rewritten `StateSource`:
//   the body must still decode into the configured config [B§9.2], and a reload compares
//   against what was configured.
// - Before the first state load (we serve from the start, [A.1]) there is no zone: the routes
//   that read it (hosts, services, enumerate, axfr) answer 503 with {"error":"no state loaded yet"}
//   rather than the "not found" placeholders, which a client could not tell from a real absence.
//   version and config do not depend on the zone and answer 200.
// - A path that cannot be URL-decoded is a 404 (the original's Go server answered 400 from below
//   the router); nothing in a request can make the handler throw past its own catch.
// - Accept list entries are trimmed and compared case-insensitively, so the usual
//   `text/html, application/json` (space after the comma) is accepted; the original compared each
//   entry exactly. A handler failure is a plain `500: Internal Server Error`, not a stack dump.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/types.js';
import type { Logger } from '../log.js';
import type { Body, ZoneSnapshot } from '../zone/types.js';
import { goIndent } from '../zone/go-json.js';
import { configView } from './config-view.js';
import { httpMetrics, type HttpMetrics, type HttpRoute } from './metrics.js';
import { handleOps, type OpsDeps } from './ops.js';
import { HTTP_MAX_CONNECTIONS, listenerErrorLogger } from '../net/fd-budget.js';
import { createBulkGate, writeSliced, HTTP_BULK_RETRY_AFTER_S } from './bulk.js';

export interface HttpApiDeps extends OpsDeps {
  /** Live config, including the current SOASerial. */
  config: () => Config;
  /** The current zone; null until the first successful state load. */
  snapshot: () => ZoneSnapshot | null;
  /** Build version string shown by /v1/version. */
  version: string;
  /** Masters used by the last refresh and their origin (e.g. "zk", "config"); shown by /v1/config. */
  mastersSource?: () => { masters: string[]; source: string };
  /** What StateSource resolved to ("stream" or "poll"); shown by /v1/config as StateSourceInUse. */
  stateSourceInUse?: () => string;
  log: Logger;
  /** The /v1/watch change feed (xfr/watch.ts); the route is absent without it. Returns the status sent. */
  watch?: (req: IncomingMessage, res: ServerResponse, since: number | null) => number;
  /** Counters to update; defaults to the process-wide ones. */
  metrics?: HttpMetrics;
}

const JSON_TYPE = 'application/json';
const TEXT_TYPE = 'text/plain; charset=utf-8';
export const NO_STATE_ERROR = 'no state loaded yet';
export const BULK_BUSY_ERROR = 'too many zone transfers in progress; retry later';

interface Match { route: HttpRoute; param: string }

/**
 * Request target → decoded path segments (without the leading empty one), or null when it is not
 * a usable path. Decoding happens before splitting, as in Go (URL.Path is decoded), so `%2F` acts
 * as a separator. One trailing slash is tolerated, as go-restful does.
 */
function pathSegments(target: string | undefined): string[] | null {
  if (!target) return null;
  let raw = target;
  if (!raw.startsWith('/')) {
    // absolute-form (`GET http://host/v1/version`), which Go's server also accepts
    const m = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*(\/[^?#]*)?/i.exec(raw);
    if (!m) return null;
    raw = m[1] ?? '/';
  }
  const end = raw.search(/[?#]/);
  if (end >= 0) raw = raw.slice(0, end);
  let path: string;
  try {
    path = decodeURIComponent(raw);
  } catch {
    return null; // malformed %-escape or invalid UTF-8
  }
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  const segs = path.split('/');
  segs.shift();
  return segs;
}

function matchRoute(segs: string[], enumerationOn: boolean, watchOn = false): Match | null {
  if (segs[0] !== 'v1') return null;
  const [, a, b, c] = segs;
  switch (segs.length) {
    case 2:
      if (a === 'version' || a === 'config') return { route: a, param: '' };
      if (enumerationOn && (a === 'enumerate' || a === 'axfr')) return { route: a, param: '' };
      if (enumerationOn && watchOn && a === 'watch') return { route: a, param: '' };
      return null;
    case 3:
      if (!b) return null; // empty parameter (`/v1/hosts//`) matches nothing, as in the original
      if (a === 'hosts') return { route: 'hosts', param: b };
      if (a === 'services') return { route: 'services', param: b };
      return null;
    case 4:
      if (a === 'hosts' && b && c === 'ports') return { route: 'hosts_ports', param: b };
      return null;
    default:
      return null;
  }
}

/** go-restful: no body, or a body declared as application/json (parameters ignored). */
function contentTypeOk(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  const hasBody = req.headers['transfer-encoding'] !== undefined || (len !== undefined && len.trim() !== '0');
  if (!hasBody) return true;
  const ct = req.headers['content-type'];
  return ct !== undefined && ct.split(';')[0]!.trim().toLowerCase() === JSON_TYPE;
}

/** go-restful: no Accept (or empty) means anything; otherwise some entry must be *\/* or application/json. */
function acceptOk(req: IncomingMessage): boolean {
  const accept = req.headers.accept;
  if (accept === undefined || accept.trim() === '') return true;
  return accept.split(',').some((e) => {
    const t = e.split(';')[0]!.trim().toLowerCase();
    return t === '*/*' || t === JSON_TYPE;
  });
}

/** Lookup key: ASCII lower-case (DNS case-insensitivity, RFC 4343) plus a trailing dot. No `.*` stripping [A.6]. */
export function lookupKey(name: string): string {
  const lower = name.replace(/[A-Z]+/g, (s) => s.toLowerCase());
  return lower.endsWith('.') ? lower : lower + '.';
}

/** `/v1/hosts/{host}` body: every A value, then every AAAA value, or the original's placeholder. */
export function hostsBody(snap: ZoneSnapshot, host: string): { host: string; ip: string }[] {
  const key = lookupKey(host);
  const { A, AAAA } = snap.addresses(key);
  const out = [...A, ...AAAA].map((ip) => ({ host: key, ip }));
  return out.length ? out : [{ host: '', ip: '' }];
}

/**
 * `/v1/services/{service}` body: per SRV value, one entry with an A value of the target (if any)
 * and one with an AAAA value (if any); `service` echoes the parameter as received, as the original.
 */
export function servicesBody(snap: ZoneSnapshot, service: string): { service: string; host: string; ip: string; port: string }[] {
  const out: { service: string; host: string; ip: string; port: string }[] = [];
  for (const { target, port } of snap.services(lookupKey(service))) {
    const { A, AAAA } = snap.addresses(lookupKey(target));
    if (A.length) out.push({ service, host: target, ip: A[0]!, port: String(port) });
    if (AAAA.length) out.push({ service, host: target, ip: AAAA[0]!, port: String(port) });
  }
  return out.length ? out : [{ service: '', host: '', ip: '', port: '' }];
}

export function createHttpApi(deps: HttpApiDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const metrics = deps.metrics ?? httpMetrics;
  const bulk = createBulkGate();

  const send = (res: ServerResponse, route: HttpRoute, status: number, type: string, body: Body): void => {
    metrics.inc(route, status);
    res.statusCode = status;
    res.setHeader('Content-Type', type);
    res.setHeader('Content-Length', typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
    res.end(body);
  };
  const sendJson = (res: ServerResponse, route: HttpRoute, status: number, value: unknown): void =>
    send(res, route, status, JSON_TYPE, goIndent(value));

  const handle = (req: IncomingMessage, res: ServerResponse, ctx: { route: HttpRoute }): void => {
    // A body is never read: close the connection afterwards instead of draining an unbounded upload.
    if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) {
      res.setHeader('Connection', 'close');
    }
    if (handleOps(req, res, deps, send, (err) => deps.log.error({ err }, 'metrics rendering failed'))) return;
    const config = deps.config();
    const segs = pathSegments(req.url);
    const m = segs && matchRoute(segs, config.EnumerationOn, deps.watch !== undefined);
    if (!m) return send(res, 'unmatched', 404, TEXT_TYPE, '404: Page Not Found');
    ctx.route = m.route;
    if (req.method !== 'GET') return send(res, m.route, 405, TEXT_TYPE, '405: Method Not Allowed');
    if (!contentTypeOk(req)) return send(res, m.route, 415, TEXT_TYPE, '415: Unsupported Media Type');
    if (!acceptOk(req)) return send(res, m.route, 406, TEXT_TYPE, '406: Not Acceptable');

    switch (m.route) {
      case 'version':
        return sendJson(res, m.route, 200, {
          Service: 'Mesos-DNS',
          URL: 'https://github.com/mesosphere/mesos-dns',
          Version: deps.version,
        });
      case 'config': {
        const extra = {
          ...(deps.mastersSource ? { MastersSource: deps.mastersSource() } : {}),
          ...(deps.stateSourceInUse ? { StateSourceInUse: deps.stateSourceInUse() } : {}),
        };
        return sendJson(res, m.route, 200, configView(config, extra));
      }
      case 'hosts_ports':
        return send(res, m.route, 501, TEXT_TYPE, 'To be implemented...');
      case 'watch': {
        const q = /[?&]since=([^&#]*)/.exec(req.url ?? '');
        const since = q ? Number(q[1]) : null;
        if (since !== null && !(Number.isInteger(since) && since >= 0 && since <= 0xffffffff)) {
          return send(res, m.route, 400, TEXT_TYPE, '400: since must be a serial (an integer from 0 to 4294967295)');
        }
        metrics.inc(m.route, deps.watch!(req, res, since));
        return;
      }
      default:
        break;
    }

    const snap = deps.snapshot();
    if (!snap) return sendJson(res, m.route, 503, { error: NO_STATE_ERROR });
    if (m.route === 'hosts') return sendJson(res, m.route, 200, hostsBody(snap, m.param));
    if (m.route === 'services') return sendJson(res, m.route, 200, servicesBody(snap, m.param));
    // Serving the last-good file (a restart, master not reached yet): the bodies are not there
    // yet, and will be within a refresh. 503 + Retry-After says "come back", as a busy gate does;
    // a 500 would say the server is broken.
    if (snap.bulkUnavailable) {
      res.setHeader('Retry-After', String(HTTP_BULK_RETRY_AFTER_S));
      return sendJson(res, m.route, 503, { error: snap.bulkUnavailable });
    }
    const release = bulk.acquire();
    if (!release) {
      res.setHeader('Retry-After', String(HTTP_BULK_RETRY_AFTER_S));
      return sendJson(res, m.route, 503, { error: BULK_BUSY_ERROR });
    }
    res.once('close', release); // however the response ends (sent, client gone, deadline)
    switch (m.route) {
      case 'enumerate':
        return sendLater(res, m.route, snap.enumerationBody());
      case 'axfr':
        return sendLater(res, m.route, snap.axfrBody({
          TTL: config.TTL,
          Serial: snap.serial,
          RefreshSeconds: config.RefreshSeconds,
          Mname: config.SOAMname,
          Rname: config.SOARname,
          Domain: config.Domain,
        }));
    }
  };

  // Bulk bodies may be rendered off this thread (the build worker): send them when they arrive,
  // slice by slice as the client reads (bulk.ts), never as one write the size of the body.
  const sendBulk = (res: ServerResponse, route: HttpRoute, body: Body): void => {
    if (res.destroyed) return;
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    metrics.inc(route, 200);
    res.statusCode = 200;
    res.setHeader('Content-Type', JSON_TYPE);
    res.setHeader('Content-Length', bytes.byteLength);
    void writeSliced(res, bytes);
  };
  const sendLater = (res: ServerResponse, route: HttpRoute, body: Body | Promise<Body>): void => {
    if (!(body instanceof Promise)) return sendBulk(res, route, body);
    body.then((b) => sendBulk(res, route, b), (err) => {
      deps.log.error({ err }, 'HTTP API body rendering failed');
      if (!res.headersSent) send(res, route, 500, TEXT_TYPE, '500: Internal Server Error');
    });
  };

  return (req, res) => {
    const ctx: { route: HttpRoute } = { route: 'unmatched' };
    try {
      handle(req, res, ctx);
    } catch (err) {
      // The original dumped a Go stack trace; we log it and keep internals out of the body.
      deps.log.error({ err, url: req.url }, 'HTTP API handler failed');
      if (!res.headersSent) send(res, ctx.route, 500, TEXT_TYPE, '500: Internal Server Error');
      else res.destroy();
    }
  };
}

/** Idle time of a kept-alive connection between requests: tools reuse it at once or not at all. */
export const HTTP_KEEP_ALIVE_MS = 5_000;
/** A request's headers must arrive within this (slow-loris; also closes connections that say nothing). */
export const HTTP_HEADERS_TIMEOUT_MS = 5_000;
/** A whole request must arrive within this (bodies are never read). */
export const HTTP_REQUEST_TIMEOUT_MS = 10_000;
/** How often Node checks connections against those two timeouts (its default, 30 s, let idle ones pile up). */
const HTTP_TIMEOUT_CHECK_MS = 1_000;

export async function startHttpServer(
  deps: HttpApiDeps,
  host: string,
  port: number,
  /** Connections at once; past it new ones are closed at accept (see net/fd-budget.ts). */
  maxConnections = HTTP_MAX_CONNECTIONS,
): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer({ connectionsCheckingInterval: HTTP_TIMEOUT_CHECK_MS }, createHttpApi(deps));
  // Bounded connections and request time so idle or slow-loris connections cannot pile up and
  // take the descriptors DNS and forwarding need.
  server.maxConnections = maxConnections;
  server.keepAliveTimeout = HTTP_KEEP_ALIVE_MS;
  server.requestTimeout = HTTP_REQUEST_TIMEOUT_MS;
  server.headersTimeout = HTTP_HEADERS_TIMEOUT_MS;
  // Node's header timeout starts at a request's first byte: a connection that says nothing would
  // live forever. Give it the same time to start a request; a request, once in, lifts the limit
  // (a bulk body may take seconds to render), and keep-alive times it out again afterwards.
  server.on('connection', (sock) => sock.setTimeout(HTTP_HEADERS_TIMEOUT_MS, () => sock.destroy()));
  server.on('request', (req: IncomingMessage) => req.socket.setTimeout(0));
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', listenerErrorLogger(deps.log, 'HTTP server error'));
  const bound = (server.address() as AddressInfo).port;
  deps.log.info({ host, port: bound }, 'HTTP API listening');
  return {
    server,
    port: bound,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
