// The forwarding stage's series: totals from forward/metrics.ts, per-resolver counters (label
// `to`, as CoreDNS's proxy metrics) from each resolver's stats, cache and in-flight gauges from
// the running forwarder. Read at scrape time only.
import { forwardMetrics, UPSTREAM_BUCKETS, type ForwardMetrics, type UpstreamStats } from '../forward/metrics.js';
import { counterFrom, gaugeFrom, histogramFrom, type Labels } from './registry.js';
import { rcodeName } from './dns.js';

/** What the series read of a forwarder: a running one (forward/index.ts), or answering threads' summed. */
export interface ForwarderView {
  readonly inFlight: number;
  cacheStats(): { entries: number; bytes: number };
  upstreams(): readonly { target: { key: string }; stats: UpstreamStats; down: boolean }[];
}

let forwarder: ForwarderView | null = null;
/** The forwarder whose resolvers and cache are reported (null: forwarding off). */
export function setForwarder(f: ForwarderView | null): void { forwarder = f; }

/** This thread's totals, or (answering threads, threads/pool.ts) every thread's summed before the scrape. */
let m: ForwardMetrics = forwardMetrics;
export function setForwardCounters(c: ForwardMetrics): void { m = c; }

const ups = () => forwarder?.upstreams() ?? [];

export function registerForwardMetrics(): void {
  counterFrom('mesos_dns_forward_requests_total', 'Queries for names outside the domain handed to forwarding.', [], () => [[{}, m.queries]]);
  counterFrom('mesos_dns_forward_cache_hits_total', 'Forwarded queries answered from the cache.', [], () => [[{}, m.cacheHits]]);
  counterFrom('mesos_dns_forward_cache_misses_total', 'Forwarded queries not found (or expired) in the cache.', [], () => [[{}, m.cacheMisses]]);
  counterFrom('mesos_dns_forward_cache_evictions_total', 'Cache entries pushed out by its entry or byte bound.', [], () => [[{}, m.cacheEvictions]]);
  counterFrom('mesos_dns_forward_coalesced_total', 'Queries that joined an identical lookup already in flight.', [], () => [[{}, m.coalesced]]);
  counterFrom('mesos_dns_forward_failovers_total', 'Lookups that moved on to the next resolver.', [], () => [[{}, m.failovers]]);
  counterFrom('mesos_dns_forward_overload_total', 'SERVFAIL sent at once because ForwardMaxOutstanding lookups were in flight.', [], () => [[{}, m.overload]]);
  counterFrom('mesos_dns_forward_mismatched_total', 'Upstream replies ignored (ID, question or source did not match).', [], () => [[{}, m.upstreamMismatched]]);
  counterFrom('mesos_dns_forward_bailiwick_stripped_total', 'Upstream replies that had records out of the question\'s bailiwick removed.', [], () => [[{}, m.bailiwickStripped]]);
  counterFrom('mesos_dns_forward_tcp_retries_total', 'Upstream queries repeated over TCP after a truncated reply.', [], () => [[{}, m.tcpRetries]]);
  gaugeFrom('mesos_dns_forward_outstanding', 'Upstream lookups in flight.', [], () => [[{}, forwarder?.inFlight ?? 0]]);
  gaugeFrom('mesos_dns_forward_cache_entries', 'Answers in the forwarding cache.', [], () => [[{}, forwarder?.cacheStats().entries ?? 0]]);
  gaugeFrom('mesos_dns_forward_cache_size_bytes', 'Bytes held by the forwarding cache.', [], () => [[{}, forwarder?.cacheStats().bytes ?? 0]]);

  counterFrom('mesos_dns_proxy_requests_total', 'Queries sent to each resolver (every attempt).', ['to'], function* () {
    for (const u of ups()) yield [{ to: u.target.key }, u.stats.requests];
  });
  counterFrom('mesos_dns_proxy_responses_total', 'Replies from each resolver by rcode.', ['to', 'rcode'], function* () {
    for (const u of ups()) for (let r = 0; r < 16; r++) if (u.stats.rcodes[r]) yield [{ to: u.target.key, rcode: rcodeName(r) }, u.stats.rcodes[r]!];
  });
  counterFrom('mesos_dns_proxy_failures_total', 'Queries to each resolver that failed, by reason (timeout, error).', ['to', 'reason'], function* () {
    for (const u of ups()) {
      yield [{ to: u.target.key, reason: 'timeout' }, u.stats.timeouts];
      yield [{ to: u.target.key, reason: 'error' }, u.stats.errors];
    }
  });
  gaugeFrom('mesos_dns_proxy_down', '1 while a resolver is backed off after repeated failures.', ['to'], function* () {
    for (const u of ups()) yield [{ to: u.target.key }, u.down ? 1 : 0];
  });
  histogramFrom('mesos_dns_proxy_request_duration_seconds', 'Time from sending a query to a resolver to its reply.', UPSTREAM_BUCKETS, function* () {
    for (const u of ups()) yield { labels: { to: u.target.key } as Labels, counts: u.stats.latency, sum: u.stats.latencySum };
  });
}
