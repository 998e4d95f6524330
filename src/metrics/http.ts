// The HTTP API's series: requests by route template and status (never the raw path, so the label
// set stays bounded), read from http/metrics.ts at scrape time.
import { httpMetrics, HTTP_REQUESTS_METRIC, HTTP_REQUESTS_HELP } from '../http/metrics.js';
import { counterFrom } from './registry.js';

export function registerHttpMetrics(): void {
  counterFrom(HTTP_REQUESTS_METRIC, HTTP_REQUESTS_HELP, ['route', 'status'], function* () {
    for (const c of httpMetrics.snapshot()) yield [{ route: c.route, status: String(c.status) }, c.count];
  });
}
