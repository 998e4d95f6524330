// One function decides every query's fate: drop, error reply, authoritative answer (synchronous,
// from the current zone snapshot) or forwarding (asynchronous). Keeping the authoritative path
// synchronous means a query inside the domain never waits behind the event loop's other work.
import { RCODE_FORMERR, RCODE_NOTIMP, RCODE_REFUSED } from '../wire/constants.js';
import { clientQuery, parseQuery, ParseStatus } from '../wire/query.js';
import { errorReply } from '../wire/reply.js';
import { answerAuthoritative, inDomain, udpLimit, type Authority } from './answer.js';
import type { Forwarder } from '../forward/types.js';
import { dnsMetrics } from './metrics.js';

export type Transport = 'udp' | 'tcp';

export interface QueryHandler {
  (msg: Buffer, transport: Transport, clientAddress: string): Buffer | Promise<Buffer> | null;
}

export interface HandlerDeps {
  /** The current authority; read on every query so a refresh swap takes effect at once. */
  authority: () => Authority;
  /** null when ExternalOn is false: names outside the domain get REFUSED. */
  forwarder: Forwarder | null;
}

export function createQueryHandler(deps: HandlerDeps): QueryHandler {
  const m = dnsMetrics;
  return (msg, transport, clientAddress) => {
    m.queries++;
    const q = parseQuery(msg);
    const auth = deps.authority();
    switch (q.status) {
      case ParseStatus.Drop: m.dropped++; return null;
      case ParseStatus.FormErr: m.formerr++; return errorReply(msg, q, RCODE_FORMERR, auth.recurse);
      case ParseStatus.NotImp: m.notimp++; return errorReply(msg, q, RCODE_NOTIMP, auth.recurse);
    }
    const limit = transport === 'tcp' ? 65535 : udpLimit(q);
    if (inDomain(q.lname, auth.apex)) {
      m.authoritative++;
      return answerAuthoritative(msg, q, auth, limit);
    }
    if (!deps.forwarder) { m.refused++; return errorReply(msg, q, RCODE_REFUSED, false); }
    m.forwarded++;
    return deps.forwarder.forward({
      query: msg, parsed: clientQuery(q), qtype: q.qtype, qclass: q.qclass,
      transport, clientLimit: limit, clientAddress,
    });
  };
}
