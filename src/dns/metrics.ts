// Counters of the DNS stage, declared in one place. Plain integers and typed arrays: incrementing
// an element is the cheapest thing the hot path can do, and it never touches the metrics library.
// src/metrics/dns.ts turns these into Prometheus series when /metrics is scraped (collect()).

/** Rows of `responses` (the `zone` label, CoreDNS's name for it). */
export const ZONE_AUTHORITATIVE = 0;
export const ZONE_FORWARDED = 1;
export const ZONE_REFUSED = 2;
/** FORMERR / NOTIMP built before a zone was chosen. */
export const ZONE_MALFORMED = 3;
export const ZONE_LABELS = ['authoritative', 'forwarded', 'refused', 'malformed'] as const;

/** Query types get their own slot up to 255; everything above shares the last one. */
export const TYPE_SLOTS = 257;
/** Response sizes, CoreDNS's buckets (plugin/metrics/vars). */
export const SIZE_BUCKETS = [0, 100, 200, 300, 400, 511, 1023, 2047, 4095, 8291, 16e3, 32e3, 48e3, 64e3];
/** Request durations in seconds, CoreDNS's TimeBuckets: ExponentialBuckets(0.00025, 2, 16). */
export const TIME_BUCKETS = Array.from({ length: 16 }, (_, i) => 0.00025 * 2 ** i);
/**
 * One query in SAMPLE_EVERY is timed and its answer size recorded: reading the clock and scanning
 * bucket lists on every answer would cost more than the answer itself on the authoritative path.
 */
export const SAMPLE_EVERY = 64;

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
  /** Idle TCP connections closed to make room for a new one. */
  tcpEvicted: 0,
  sendErrors: 0,
  /** Parsed requests by proto (udp: 0.., tcp: TYPE_SLOTS..) and query type. */
  requests: new Float64Array(2 * TYPE_SLOTS),
  /** Responses by zone (row of 16) and rcode (the header's 4 bits). */
  responses: new Float64Array(ZONE_LABELS.length * 16),
  /** Answers sent with TC set, by proto (udp 0, tcp 1). */
  truncated: new Float64Array(2),
  /** Sampled durations: per zone row, TIME_BUCKETS.length + 1 counts (the last one: +Inf), then sum in `durationSum`. */
  durationCounts: new Float64Array(ZONE_LABELS.length * (TIME_BUCKETS.length + 1)),
  durationSum: new Float64Array(ZONE_LABELS.length),
  /** Sampled response sizes by proto: SIZE_BUCKETS.length + 1 counts per proto. */
  sizeCounts: new Float64Array(2 * (SIZE_BUCKETS.length + 1)),
  sizeSum: new Float64Array(2),
};

/** Index of the first bucket bound ≥ v (bounds.length: +Inf). */
export function bucketOf(bounds: readonly number[], v: number): number {
  let i = 0;
  while (i < bounds.length && v > bounds[i]!) i++;
  return i;
}

/** Count one sampled answer: how long it took (ms since t0) and how big it was. */
export function observeSample(zone: number, proto: number, t0: number, size: number): void {
  const m = dnsMetrics;
  const s = (performance.now() - t0) / 1000;
  m.durationCounts[zone * (TIME_BUCKETS.length + 1) + bucketOf(TIME_BUCKETS, s)]++;
  m.durationSum[zone] += s;
  m.sizeCounts[proto * (SIZE_BUCKETS.length + 1) + bucketOf(SIZE_BUCKETS, size)]++;
  m.sizeSum[proto] += size;
}
