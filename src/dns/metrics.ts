// Counters of the DNS stage, declared in one place. Plain integers: incrementing a property is
// the cheapest thing the hot path can do, and readers (logs, HTTP) take a copy when they need one.
export const dnsMetrics = {
  queries: 0,
  dropped: 0,
  formerr: 0,
  notimp: 0,
  refused: 0,
  authoritative: 0,
  forwarded: 0,
  tcpConnections: 0,
  tcpRejected: 0,
  sendErrors: 0,
};
