// One function decides every query's fate: drop, error reply, authoritative answer (synchronous,
// from the current zone snapshot) or forwarding (asynchronous). Keeping the authoritative path
// synchronous means a query inside the domain never waits behind the event loop's other work.
import { CLASS_IN, RCODE_FORMERR, RCODE_NOTIMP, RCODE_REFUSED, TYPE_AXFR, TYPE_IXFR } from '../wire/constants.js';
import { clientQuery, parseQuery, ParseStatus } from '../wire/query.js';
import { errorReply } from '../wire/reply.js';
import { answerAuthoritative, udpLimit, type Authority } from './answer.js';
import { inDomain } from '../wire/name.js';
import type { MessageStream } from './stream.js';
import { answerReverse, type ReverseAuthority } from './reverse.js';
import type { Query } from '../wire/query.js';
import type { Forwarder } from '../forward/types.js';
import {
  dnsMetrics, observeSample, SAMPLE_EVERY, TYPE_SLOTS,
  ZONE_AUTHORITATIVE, ZONE_FORWARDED, ZONE_MALFORMED, ZONE_REFUSED,
} from './metrics.js';

export type Transport = 'udp' | 'tcp';

/** Answers AXFR and IXFR (xfr/transfer.ts implements it; declared here so dns/ does not depend on xfr/). */
export type TransferHandler = (msg: Uint8Array, q: Query, transport: Transport, client: string) => Buffer | MessageStream;

export interface QueryHandler {
  (msg: Buffer, transport: Transport, clientAddress: string): Buffer | Promise<Buffer> | MessageStream | null;
}

export interface HandlerDeps {
  /** The current authority; read on every query so a refresh swap takes effect at once. */
  authority: () => Authority;
  /** null when ExternalOn is false: names outside the domain get REFUSED. */
  forwarder: Forwarder | null;
  /** AXFR and IXFR (xfr/transfer.ts); without it they are answered as any other type. */
  transfer?: TransferHandler;
  /** PTROn: the reverse names we own (dns/reverse.ts); absent or null: all forwarded. */
  reverse?: () => ReverseAuthority | null;
}

export function createQueryHandler(deps: HandlerDeps): QueryHandler {
  const m = dnsMetrics;
  // Every reply is counted by zone and rcode (one array element) and by TC; one query in
  // SAMPLE_EVERY also reads the clock and records its duration and size (dns/metrics.ts).
  const sent = (r: Buffer, zone: number, proto: number, t0: number): Buffer => {
    m.responses[zone * 16 + (r[3]! & 15)]++;
    if (r[2]! & 2) m.truncated[proto]++;
    if (t0 !== 0) observeSample(zone, proto, t0, r.length);
    return r;
  };
  return (msg, transport, clientAddress) => {
    const t0 = ++m.queries % SAMPLE_EVERY === 0 ? performance.now() : 0;
    const q = parseQuery(msg);
    const auth = deps.authority();
    const proto = transport === 'tcp' ? 1 : 0;
    switch (q.status) {
      case ParseStatus.Drop: m.dropped++; return null;
      case ParseStatus.FormErr: m.formerr++; return sent(errorReply(msg, q, RCODE_FORMERR, auth.recurse), ZONE_MALFORMED, proto, t0);
      case ParseStatus.NotImp: m.notimp++; return sent(errorReply(msg, q, RCODE_NOTIMP, auth.recurse), ZONE_MALFORMED, proto, t0);
    }
    m.requests[proto * TYPE_SLOTS + (q.qtype < TYPE_SLOTS - 1 ? q.qtype : TYPE_SLOTS - 1)]++;
    // Zone transfers, whatever the name: a transfer for a zone we do not serve is NOTAUTH, not forwarded.
    if (q.qtype >= TYPE_IXFR && q.qtype <= TYPE_AXFR && deps.transfer) return deps.transfer(msg, q, transport, clientAddress);
    const limit = transport === 'tcp' ? 65535 : udpLimit(q);
    if (inDomain(q.lname, auth.apex)) {
      m.authoritative++;
      return sent(answerAuthoritative(msg, q, auth, limit), ZONE_AUTHORITATIVE, proto, t0);
    }
    if (deps.reverse) {
      const r = answerReverse(msg, q, deps.reverse());
      if (r) { m.authoritative++; return sent(r, ZONE_AUTHORITATIVE, proto, t0); }
    }
    // Only class IN is forwarded: CH (version.bind, hostname.bind) and other classes would relay the
    // upstream's own identity to any client, so they are refused like queries with no forwarder.
    if (!deps.forwarder || q.qclass !== CLASS_IN) { m.refused++; return sent(errorReply(msg, q, RCODE_REFUSED, false), ZONE_REFUSED, proto, t0); }
    m.forwarded++;
    const r = deps.forwarder.forward({
      query: msg, parsed: clientQuery(q), qtype: q.qtype, qclass: q.qclass,
      transport, clientLimit: limit, clientAddress,
    });
    if (!(r instanceof Promise)) return sent(r, ZONE_FORWARDED, proto, t0);
    return r.then((b) => sent(b, ZONE_FORWARDED, proto, t0));
  };
}
