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
  };
}

/** The process-wide counters; createForwarder uses these unless given its own (tests do). */
export const forwardMetrics: ForwardMetrics = createForwardMetrics();
