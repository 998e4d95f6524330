// HTTP API metrics, declared in one place so that route labels and metric names cannot drift
// between the handler and whatever exports them. Plain counters (no metrics library is a
// dependency): a request costs one Map lookup. Route labels are the route templates, never the
// raw path, so a client probing random paths cannot grow the label set without bound.

/** The label of every route the API knows, plus `unmatched` for everything that found no route. */
export type HttpRoute =
  | 'version'
  | 'config'
  | 'hosts'
  | 'hosts_ports'
  | 'services'
  | 'enumerate'
  | 'axfr'
  | 'metrics'
  | 'health'
  | 'ready'
  | 'watch'
  | 'unmatched';

export const HTTP_REQUESTS_METRIC = 'mesos_dns_http_requests_total';
export const HTTP_REQUESTS_HELP = 'HTTP API requests by route and response status.';

export interface HttpRequestCount { route: HttpRoute; status: number; count: number }

export class HttpMetrics {
  private readonly counts = new Map<string, HttpRequestCount>();

  /** Count one answered request. */
  inc(route: HttpRoute, status: number): void {
    const key = `${route} ${status}`;
    const c = this.counts.get(key);
    if (c) c.count++;
    else this.counts.set(key, { route, status, count: 1 });
  }

  /** Current counters, sorted by route then status (stable output for logs and tests). */
  snapshot(): HttpRequestCount[] {
    return [...this.counts.values()]
      .map((c) => ({ ...c }))
      .sort((a, b) => (a.route < b.route ? -1 : a.route > b.route ? 1 : a.status - b.status));
  }

  /** Prometheus text exposition of the counters, for whoever serves a metrics endpoint. */
  prometheusText(): string {
    const lines = [`# HELP ${HTTP_REQUESTS_METRIC} ${HTTP_REQUESTS_HELP}`, `# TYPE ${HTTP_REQUESTS_METRIC} counter`];
    for (const c of this.snapshot()) {
      lines.push(`${HTTP_REQUESTS_METRIC}{route="${c.route}",status="${c.status}"} ${c.count}`);
    }
    return lines.join('\n') + '\n';
  }
}

/** The process-wide counters, used when the API is not given its own instance. */
export const httpMetrics = new HttpMetrics();
