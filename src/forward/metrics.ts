// Counters of the forwarding stage, declared in one place so that the stats log line, an HTTP
// endpoint and the tests all read the same names. Plain numbers in a plain object: incrementing
// one is the cheapest thing the hot path can do, and nothing here allocates per query.

export interface ForwardMetrics {
  /** Queries handed to forward(). */
  queries: number;
  /** Answered from the cache. */
  cacheHits: number;
  /** Looked up in the cache (cache on) and not found or expired. */
  cacheMisses: number;
  /** Joined an identical query already in flight instead of asking upstream again. */
  coalesced: number;
  /** Queries sent to upstream resolvers (UDP and TCP, every attempt). */
  upstreamQueries: number;
  /** Upstream queries that were sent over TCP (after a truncated UDP reply). */
  tcpRetries: number;
  /** Upstream queries left without a reply (timed out, or given up after their time slice). */
  upstreamTimeouts: number;
  /** Upstream failures other than timeouts: connection errors, unparsable replies. */
  upstreamErrors: number;
  /** Replies from upstream ignored because ID, question or source did not match (RFC 5452). */
  upstreamMismatched: number;
  /** Replies we sent with rcode SERVFAIL (all resolvers failed, overload). */
  servfail: number;
  /** Replies we sent with rcode REFUSED (client not allowed, ExternalOn false, no resolver). */
  refused: number;
  /** SERVFAIL sent at once because ForwardMaxOutstanding upstream lookups were in flight. */
  overload: number;
  /** Relayed replies with rcode NXDOMAIN. */
  nxdomain: number;
  /** Relayed replies cut to the client's size limit. */
  truncated: number;
  /** Lookups that moved on to another resolver (the previous one failed or its time slice ran out). */
  failovers: number;
  /** Cache entries pushed out by the entry or byte bound. */
  cacheEvictions: number;
  /** Upstream replies that had records out of the question's bailiwick removed (bailiwick.ts). */
  bailiwickStripped: number;
}

/** Per-resolver counters, kept on the resolver itself (forward/resolvers.ts Upstream.stats). */
export interface UpstreamStats {
  /** Queries sent to it (every attempt: UDP, the no-EDNS retry, TCP). */
  requests: number;
  /** Replies by rcode (the header's 4 bits). */
  rcodes: Float64Array;
  timeouts: number;
  errors: number;
  /** Reply latency: UPSTREAM_BUCKETS.length + 1 counts (last: +Inf), and their sum in seconds. */
  latency: Float64Array;
  latencySum: number;
}

/** Seconds; CoreDNS's TimeBuckets (0.25 ms doubling to ~8 s), as for the DNS stage. */
export const UPSTREAM_BUCKETS = Array.from({ length: 16 }, (_, i) => 0.00025 * 2 ** i);

export function createUpstreamStats(): UpstreamStats {
  return {
    requests: 0, rcodes: new Float64Array(16), timeouts: 0, errors: 0,
    latency: new Float64Array(UPSTREAM_BUCKETS.length + 1), latencySum: 0,
  };
}

/** One reply from a resolver, `ms` after the query was sent. */
export function observeUpstream(s: UpstreamStats, rcode: number, ms: number): void {
  s.rcodes[rcode & 15]++;
  const sec = ms / 1000;
  let i = 0;
  while (i < UPSTREAM_BUCKETS.length && sec > UPSTREAM_BUCKETS[i]!) i++;
  s.latency[i]++;
  s.latencySum += sec;
}

export function createForwardMetrics(): ForwardMetrics {
  return {
    queries: 0,
    cacheHits: 0,
    cacheMisses: 0,
    coalesced: 0,
    upstreamQueries: 0,
    tcpRetries: 0,
    upstreamTimeouts: 0,
    upstreamErrors: 0,
    upstreamMismatched: 0,
    servfail: 0,
    refused: 0,
    overload: 0,
    nxdomain: 0,
    truncated: 0,
    failovers: 0,
    cacheEvictions: 0,
    bailiwickStripped: 0,
  };
}

/** The process-wide counters; createForwarder uses these unless given its own (tests do). */
export const forwardMetrics: ForwardMetrics = createForwardMetrics();
