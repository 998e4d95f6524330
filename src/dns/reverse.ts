// Answers for reverse names (PTROn). Reached only by queries outside the domain, and only when
// PTROn is set: the domain's answering path gains nothing. What we answer: every PTR owner we
// hold (PTR, or NODATA for other types), and inside a configured reverse zone (PTRZones)
// everything — SOA and NS at its apex, NODATA at empty non-terminals, NXDOMAIN elsewhere — as
// its secondaries will. A reverse name we neither hold nor have a zone for is not ours: null,
// and the caller forwards it as before. Replies are written straight into one buffer; names are
// compressed against the question (the zone apex is a suffix of the question name).
import { writeSoa } from './answer.js';
import { CLASS_ANY, CLASS_IN, OPT_LEN, RCODE_NXDOMAIN, TYPE_ANY, TYPE_NS, TYPE_SOA } from '../wire/constants.js';
import type { Query } from '../wire/query.js';
import { replyFlags, writeHeader, writeOpt } from '../wire/reply.js';
import type { ReverseZone } from '../zone/reverse.js';
import type { Config } from '../config/types.js';
import { soaRdata } from './authority.js';
import { nameToWire } from '../wire/name.js';

const TYPE_PTR = 12;

export interface ReverseAuthority {
  zone: ReverseZone;
  /** SOA RDATA of every reverse zone: the domain's (same name server, mailbox and serial). */
  soaRdata: Uint8Array;
  nsTarget: Uint8Array;
  ttl: number;
  negTtl: number;
  recurse: boolean;
}

export function createReverseAuthority(c: Config, zone: ReverseZone, serial: number): ReverseAuthority {
  return {
    zone, soaRdata: soaRdata(c, serial), nsTarget: nameToWire(c.SOAMname) ?? new Uint8Array([0]),
    ttl: c.TTL, negTtl: Math.min(c.TTL, c.SOAMinttl), recurse: c.RecurseOn,
  };
}

/** `\x04arpa\x00` ends the name: the only names worth a look-up here. */
function underArpa(n: Uint8Array): boolean {
  const l = n.length;
  return l >= 6 && n[l - 1] === 0 && n[l - 2] === 0x61 && n[l - 3] === 0x70 && n[l - 4] === 0x72 && n[l - 5] === 0x61 && n[l - 6] === 4;
}

/** The reply to a reverse-name query we own, or null when the name is not ours (forward it). */
export function answerReverse(msg: Uint8Array, q: Query, a: ReverseAuthority | null): Buffer | null {
  if (a === null || !underArpa(q.lname) || (q.qclass !== CLASS_IN && q.qclass !== CLASS_ANY)) return null;
  const z = a.zone;
  const target = z.target(q.lname);
  const zone = z.zoneOf(q.lname);
  if (target === undefined && zone === null) return null;
  const qtype = q.qtype;
  const qEnd = q.qnameEnd + 4;
  const isApex = zone !== null && zone.length === q.lname.length;
  // What goes in: an answer (PTR, SOA or NS at an apex) or, failing that, the zone's SOA as authority.
  let ansType = 0, ansData: Uint8Array | null = null;
  if (target !== undefined && (qtype === TYPE_PTR || qtype === TYPE_ANY)) { ansType = TYPE_PTR; ansData = target; }
  else if (isApex && qtype === TYPE_SOA) { ansType = TYPE_SOA; ansData = a.soaRdata; }
  else if (isApex && qtype === TYPE_NS) { ansType = TYPE_NS; ansData = a.nsTarget; }
  const exists = target !== undefined || isApex || z.isEmptyNonTerminal(q.lname);
  const rcode = ansData !== null || exists ? 0 : RCODE_NXDOMAIN;
  const soa = ansData === null && zone !== null;
  const optLen = q.ednsSize >= 0 ? OPT_LEN : 0;
  const out = Buffer.allocUnsafe(qEnd + (ansData ? 12 + ansData.length : 0) + (soa ? 12 + a.soaRdata.length : 0) + optLen);
  writeHeader(out, q.id, replyFlags(q, rcode, true, a.recurse), 1, ansData ? 1 : 0, soa ? 1 : 0, optLen ? 1 : 0);
  out.set(msg.subarray(12, qEnd), 12);
  let w = qEnd;
  if (ansData) w = writeSoa(out, w, 12, a.ttl, ansData, ansType);
  if (soa) w = writeSoa(out, w, 12 + q.lname.length - zone!.length, a.negTtl, a.soaRdata);
  if (optLen) writeOpt(out, w, 0, q.ednsDO);
  return out;
}
