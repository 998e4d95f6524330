// The zone-transfer stage's series: transfer replies by query type and result, their bytes,
// NOTIFY transactions, and what the journal and the /v1/watch feed hold. Named like CoreDNS's
// (`…_xfr_total{type,result}`, `…_notify_total{result}`: NEXT.md §2.9); the counts are plain
// numbers in src/xfr/, read here at scrape time only.
import type { Xfr } from '../xfr/index.js';
import { XFR_RESULTS, type TransferCounters, type XfrType } from '../xfr/transfer.js';
import { counterFrom, gaugeFrom } from './registry.js';

let xfr: Xfr | null = null;
/** The server's zone-transfer stage (null: none, e.g. in tests of other stages). */
export function setXfr(x: Xfr | null): void { xfr = x; }

/**
 * With answering threads the transfers are answered there: their counters, summed, replace this
 * thread's (which answers none) in the transfer series, as the DNS and forwarding series do.
 */
let threadCounters: TransferCounters | null = null;
export function setXfrCounters(c: TransferCounters | null): void { threadCounters = c; }
const transferCounters = (): TransferCounters | null => threadCounters ?? xfr?.counters ?? null;

const TYPES: readonly XfrType[] = ['AXFR', 'IXFR'];

export function registerXfrMetrics(): void {
  counterFrom('mesos_dns_xfr_total', 'Zone transfer queries by type (AXFR, IXFR) and result (full, incremental, uptodate, refused, notauth, error).', ['type', 'result'], function* () {
    const c = transferCounters();
    if (!c) return;
    for (const type of TYPES) for (const result of XFR_RESULTS) yield [{ type, result }, c[type].results[result]];
  });
  counterFrom('mesos_dns_xfr_bytes_total', 'Bytes of zone transfer replies (TCP framing included), by query type.', ['type'], function* () {
    const c = transferCounters();
    if (!c) return;
    for (const type of TYPES) yield [{ type }, c[type].bytes];
  });
  counterFrom('mesos_dns_notify_total', 'NOTIFY transactions ended, by result (acked; failed: an error reply, or no reply after every retransmission).', ['result'], function* () {
    if (!xfr) return;
    yield [{ result: 'acked' }, xfr.notifyCounters.acked];
    yield [{ result: 'failed' }, xfr.notifyCounters.failed];
  });
  counterFrom('mesos_dns_notify_sent_total', 'NOTIFY datagrams sent, retransmissions included.', [], () => [[{}, xfr?.notifyCounters.sent ?? 0]]);
  counterFrom('mesos_dns_notify_retransmits_total', 'NOTIFY datagrams sent again after no reply.', [], () => [[{}, xfr?.notifyCounters.retransmits ?? 0]]);
  gaugeFrom('mesos_dns_xfr_journal_entries', 'Change sets held for IXFR and /v1/watch.', [], () => [[{}, xfr?.journal.size.entries ?? 0]]);
  gaugeFrom('mesos_dns_xfr_journal_bytes', 'Estimated bytes of the change sets held (bounded by TransferJournalMaxBytes).', [], () => [[{}, xfr?.journal.size.bytes ?? 0]]);
  gaugeFrom('mesos_dns_watch_clients', 'Clients connected to /v1/watch.', [], () => [[{}, xfr?.watch.count ?? 0]]);
}
