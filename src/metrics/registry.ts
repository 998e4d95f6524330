// The one metrics registry. Why this shape: the answering path keeps plain integers and typed
// arrays (dns/metrics.ts, forward/metrics.ts, …) and never calls the metrics library; prom-client
// reads those numbers only when /metrics is scraped, in each metric's collect(). Counters and
// gauges are prom-client's own classes; histograms whose buckets already exist as arrays are a
// small metric object of ours (ArrayHistogram) that the registry renders like any other. Each
// stage declares its series in its own module here (dns.ts, forward.ts, state.ts, …).
import client from 'prom-client';

// Typed for both formats: it serves Prometheus text, and OpenMetrics when the scraper asks for it.
export const registry = new client.Registry() as client.Registry<client.RegistryContentType>;

let defaultsOn = false;
/** prom-client's process and Node metrics (CPU, RSS, fds, event-loop lag, GC, heap): once per process. */
export function enableDefaultMetrics(): void {
  if (defaultsOn) return;
  defaultsOn = true;
  client.collectDefaultMetrics({ register: registry });
  // Gauges named like counters, which `promtool check metrics` rejects; each is the sum of the
  // by-type gauge kept beside it (nodejs_active_handles{type} …).
  for (const n of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(n);
}

export type Labels = Record<string, string>;

/** A counter whose values are read from plain numbers at scrape time. */
export function counterFrom(name: string, help: string, labelNames: string[], read: () => Iterable<[Labels, number]>): void {
  readAtScrape(client.Counter, name, help, labelNames, function (this: client.Counter) {
    this.reset();
    for (const [l, v] of read()) if (v > 0 || labelNames.length === 0) this.inc(l, v);
  });
}

/** A gauge whose values are read at scrape time. */
export function gaugeFrom(name: string, help: string, labelNames: string[], read: () => Iterable<[Labels, number]>): void {
  readAtScrape(client.Gauge, name, help, labelNames, function (this: client.Gauge) {
    this.reset();
    for (const [l, v] of read()) this.set(l, v);
  });
}

/** Register a prom-client metric filled by `collect` at each scrape; once per name (a second call is a no-op). */
function readAtScrape<M extends client.Counter | client.Gauge>(
  Kind: new (c: { name: string; help: string; labelNames: string[]; registers: (typeof registry)[]; collect: (this: M) => void }) => M,
  name: string, help: string, labelNames: string[], collect: (this: M) => void,
): void {
  if (registry.getSingleMetric(name)) return;
  new Kind({ name, help, labelNames, registers: [registry], collect });
}

export interface HistogramData {
  labels: Labels;
  /** Non-cumulative counts per bucket; one more than `bounds` (the last: above every bound). */
  counts: ArrayLike<number>;
  sum: number;
}

/**
 * A histogram whose buckets are kept by the hot path as plain counts: rendered cumulatively at
 * scrape time. It implements what prom-client's Registry asks of a metric (name, help, type,
 * get(), reset()), so both exposition formats come out of the same registry.
 */
class ArrayHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  constructor(public name: string, readonly help: string, private readonly bounds: readonly number[], private readonly read: () => Iterable<HistogramData>) {}

  get() {
    const values: { metricName: string; labels: Labels; value: number }[] = [];
    for (const h of this.read()) {
      let acc = 0;
      for (let i = 0; i <= this.bounds.length; i++) {
        acc += h.counts[i] ?? 0;
        const le = i < this.bounds.length ? String(this.bounds[i]) : '+Inf';
        values.push({ metricName: `${this.name}_bucket`, labels: { ...h.labels, le }, value: acc });
      }
      values.push({ metricName: `${this.name}_sum`, labels: h.labels, value: h.sum });
      values.push({ metricName: `${this.name}_count`, labels: h.labels, value: acc });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {}
}

export function histogramFrom(name: string, help: string, bounds: readonly number[], read: () => Iterable<HistogramData>): void {
  if (registry.getSingleMetric(name)) return;
  registry.registerMetric(new ArrayHistogram(name, help, bounds, read) as unknown as client.Metric);
}

/** Does this Accept header ask for OpenMetrics? */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  return !!accept && /application\/openmetrics-text/i.test(accept);
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * The exposition, in Prometheus text or OpenMetrics. The registry has one content type and
 * OpenMetrics rendering renames counters in place, so renders take turns and each OpenMetrics
 * render puts the names back.
 */
export function renderMetrics(openMetrics: boolean): Promise<{ contentType: string; body: string }> {
  const run = async () => {
    if (!openMetrics) return { contentType: registry.contentType, body: await registry.metrics() };
    const names = registry.getMetricsAsArray().map((m) => [m, m.name] as const);
    registry.setContentType(client.Registry.OPENMETRICS_CONTENT_TYPE);
    try {
      return { contentType: registry.contentType, body: await registry.metrics() };
    } finally {
      registry.setContentType(client.Registry.PROMETHEUS_CONTENT_TYPE);
      for (const [m, n] of names) (m as { name: string }).name = n;
    }
  };
  const p = queue.then(run, run);
  queue = p.catch(() => {});
  return p;
}
