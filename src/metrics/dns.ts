// The DNS stage's series, CoreDNS's names with our prefix and CoreDNS's label names (proto, type,
// zone, rcode), so dashboards port by renaming. Read from dns/metrics.ts at scrape time.
import {
  dnsMetrics, SIZE_BUCKETS, TIME_BUCKETS, TYPE_SLOTS, ZONE_LABELS,
} from '../dns/metrics.js';
import { counterFrom, histogramFrom, type Labels } from './registry.js';

/** CoreDNS's "common" query types; the rest are `other` (a bounded label set). */
const TYPE_NAMES: Record<number, string> = {
  1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV',
  35: 'NAPTR', 43: 'DS', 46: 'RRSIG', 47: 'NSEC', 48: 'DNSKEY', 50: 'NSEC3', 64: 'SVCB', 65: 'HTTPS',
  251: 'IXFR', 252: 'AXFR', 255: 'ANY',
};
const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'];
const PROTOS = ['udp', 'tcp'] as const;

export function rcodeName(r: number): string { return RCODES[r] ?? `RCODE${r}`; }

/** This thread's counters, or (answering threads, threads/pool.ts) every thread's summed before the scrape. */
let m: typeof dnsMetrics = dnsMetrics;
export function setDnsCounters(c: typeof dnsMetrics): void { m = c; }

export function registerDnsMetrics(): void {
  counterFrom('mesos_dns_dns_requests_total', 'DNS requests by transport and query type (malformed and dropped ones not included).', ['proto', 'type'], function* () {
    for (let p = 0; p < 2; p++) {
      const byName = new Map<string, number>();
      for (let t = 0; t < TYPE_SLOTS; t++) {
        const v = m.requests[p * TYPE_SLOTS + t]!;
        if (v === 0) continue;
        const name = TYPE_NAMES[t] ?? 'other';
        byName.set(name, (byName.get(name) ?? 0) + v);
      }
      for (const [type, v] of byName) yield [{ proto: PROTOS[p]!, type }, v];
    }
  });
  counterFrom('mesos_dns_dns_responses_total', 'DNS responses by zone (authoritative, forwarded, refused, malformed) and rcode.', ['zone', 'rcode'], function* () {
    for (let z = 0; z < ZONE_LABELS.length; z++) {
      for (let r = 0; r < 16; r++) {
        const v = m.responses[z * 16 + r]!;
        if (v) yield [{ zone: ZONE_LABELS[z]!, rcode: rcodeName(r) }, v];
      }
    }
  });
  counterFrom('mesos_dns_dns_truncated_total', 'Responses sent with the TC bit, by transport.', ['proto'], function* () {
    for (let p = 0; p < 2; p++) yield [{ proto: PROTOS[p]! }, m.truncated[p]!];
  });
  counterFrom('mesos_dns_dns_dropped_total', 'Datagrams dropped without a reply (not a query, or too short to answer).', [], () => [[{}, m.dropped]]);
  counterFrom('mesos_dns_dns_tcp_connections_total', 'TCP connections accepted.', [], () => [[{}, m.tcpConnections]]);
  counterFrom('mesos_dns_dns_tcp_rejected_total', 'TCP connections refused at the connection limit.', [], () => [[{}, m.tcpRejected]]);
  counterFrom('mesos_dns_dns_socket_errors_total', 'UDP socket errors (failed sends).', [], () => [[{}, m.sendErrors]]);
  const nb = TIME_BUCKETS.length + 1;
  histogramFrom('mesos_dns_dns_request_duration_seconds', `Time to answer, by zone (one query in every 64 is sampled).`, TIME_BUCKETS, function* () {
    for (let z = 0; z < ZONE_LABELS.length; z++) {
      const counts = m.durationCounts.subarray(z * nb, (z + 1) * nb);
      if (counts.some((c) => c > 0)) yield { labels: { zone: ZONE_LABELS[z]! } as Labels, counts, sum: m.durationSum[z]! };
    }
  });
  const sb = SIZE_BUCKETS.length + 1;
  histogramFrom('mesos_dns_dns_response_size_bytes', 'Response sizes by transport (one query in every 64 is sampled).', SIZE_BUCKETS, function* () {
    for (let p = 0; p < 2; p++) yield { labels: { proto: PROTOS[p]! } as Labels, counts: m.sizeCounts.subarray(p * sb, (p + 1) * sb), sum: m.sizeSum[p]! };
  });
}
