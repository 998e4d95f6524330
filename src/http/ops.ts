// The operator endpoints beside the original's API: /metrics (Prometheus text, or OpenMetrics
// when the scraper's Accept asks for it), /health (200 while the event loop turns: answering is
// the proof) and /ready (200 once a zone is served within its staleness budget and we are not
// shutting down; 503 with a JSON reason otherwise). Kept apart from api.ts, whose routing
// reproduces the original's go-restful quirks; these paths never existed there.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpRoute } from './metrics.js';

export interface Readiness {
  ready: boolean;
  /** Why not ready (or, when ready, a note such as "stale"). */
  reason?: string;
  [k: string]: unknown;
}

export interface OpsDeps {
  /** The exposition; absent: /metrics is not served. */
  exposition?: (openMetrics: boolean) => Promise<{ contentType: string; body: string }>;
  readiness?: () => Readiness;
}

type Send = (res: ServerResponse, route: HttpRoute, status: number, type: string, body: string) => void;

const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json';

/** Handles the request when its path is one of ours (returns true); otherwise leaves it alone. */
export function handleOps(req: IncomingMessage, res: ServerResponse, deps: OpsDeps, send: Send, onError: (err: unknown) => void): boolean {
  const url = req.url ?? '';
  const q = url.indexOf('?');
  const path = q >= 0 ? url.slice(0, q) : url;
  let route: HttpRoute;
  if (path === '/metrics' && deps.exposition) route = 'metrics';
  else if (path === '/health') route = 'health';
  else if (path === '/ready' && deps.readiness) route = 'ready';
  else return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, route, 405, TEXT, '405: Method Not Allowed');
    return true;
  }
  switch (route) {
    case 'health':
      send(res, route, 200, TEXT, 'OK\n');
      break;
    case 'ready': {
      const r = deps.readiness!();
      send(res, route, r.ready ? 200 : 503, JSON_TYPE, JSON.stringify(r) + '\n');
      break;
    }
    case 'metrics': {
      const accept = req.headers.accept;
      const om = !!accept && /application\/openmetrics-text/i.test(accept);
      deps.exposition!(om).then((m) => send(res, route, 200, m.contentType, m.body), (err) => {
        onError(err);
        if (!res.headersSent) send(res, route, 500, TEXT, '500: Internal Server Error');
      });
      break;
    }
  }
  return true;
}
