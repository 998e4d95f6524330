// Bailiwick scrubbing of upstream replies (issue 11). An upstream reply is relayed to clients and
// kept in our cache, so anything it carries besides the answer to the question would be passed on
// as if we vouched for it: a forged or odd reply with `leader.mesos A 6.6.6.6` in ADDITIONAL would
// reach a client (or a cache in front of us) under our own domain. As resolvers do (Unbound's
// scrubber, BIND's bailiwick rules), only what belongs to the question is kept:
// - nothing owned by a name in our own domain, in any section (we are its only source);
// - nothing owned outside the zone the resolver was chosen for (`ZoneResolvers`; the root for
//   `Resolvers`), so a zone's resolver cannot speak for other zones;
// - ANSWER: the chain from the question name only (records owned by it or by a name a kept CNAME
//   points to; a DNAME owned by an ancestor of a chain name; signatures owned by either);
// - AUTHORITY: SOA and NS owned by the question's (or a chain name's) zone or an ancestor, and the
//   DNSSEC proofs (DS, NSEC, NSEC3, RRSIG) under those zones;
// - ADDITIONAL: only records owned by a name that a kept record points to (NS, MX, SRV targets …),
//   and the OPT record.
// ReplyScan (reply-scan.ts) decides cheaply, in its one walk, that a reply needs none of this (the usual
// case: answers owned by the question or its CNAME chain, an SOA/NS of an ancestor, no additional
// records); only the others are decoded and scrubbed here, so the relay path stays a copy.
import { inDomain, lowerName } from '../wire/name.js';
import { TYPE_NS, TYPE_OPT, TYPE_SOA } from '../wire/constants.js';
import { TYPE_CNAME, TYPE_DNAME, type Message, type RR, type WireName } from './wire.js';

const TYPE_DS = 43;
const TYPE_RRSIG = 46;
const TYPE_NSEC = 47;
const TYPE_NSEC3 = 50;

/** The root's wire form: the bailiwick of the default `Resolvers`. */
export const ROOT_ZONE: WireName = Buffer.from([0]);

/** Where a reply may speak: `zone` (lower-case wire name) and never `own`, our domain. */
export interface Bailiwick {
  zone: WireName;
  own: WireName;
}

const key = (n: WireName): string => n.toString('latin1');

/** Names inside a record's RDATA (decoded form), lower-cased. */
function rdataNames(r: RR): WireName[] {
  if (Buffer.isBuffer(r.rdata)) return [];
  const out: WireName[] = [];
  for (const p of r.rdata) if (!Buffer.isBuffer(p)) out.push(lowerName(p.name));
  return out;
}

/**
 * `m` without the records out of the question's bailiwick (see the module comment); `m` itself when
 * nothing goes. `qname` is the lower-case question name.
 */
export function scrub(m: Message, qname: WireName, b: Bailiwick): Message {
  const ok = (n: WireName) => inDomain(n, b.zone) && !inDomain(n, b.own);
  const owners = (list: RR[]) => list.map((r) => lowerName(r.name));

  // ANSWER: follow the chain from the question name, in any record order.
  const chain = new Set<string>([key(qname)]);
  const chainNames: WireName[] = [qname];
  const dnames = new Set<string>();
  const ans = owners(m.answers);
  const keepAns = m.answers.map(() => false);
  for (let grew = true; grew;) {
    grew = false;
    for (let i = 0; i < m.answers.length; i++) {
      if (keepAns[i] || !ok(ans[i])) continue;
      const r = m.answers[i];
      const o = ans[i];
      let on = chain.has(key(o));
      if (!on && r.type === TYPE_DNAME) on = chainNames.some((c) => c.length > o.length && inDomain(c, o));
      if (!on && r.type === TYPE_RRSIG) on = dnames.has(key(o));
      if (!on) continue;
      keepAns[i] = true;
      grew = true;
      if (r.type === TYPE_DNAME) dnames.add(key(o));
      if (r.type === TYPE_CNAME) {
        for (const target of rdataNames(r)) {
          if (ok(target) && !chain.has(key(target))) {
            chain.add(key(target));
            chainNames.push(target);
          }
        }
      }
    }
  }

  // AUTHORITY: the zones of the chain's names (SOA/NS at or above them), then their DNSSEC proofs.
  const auth = owners(m.authorities);
  const zones: WireName[] = [];
  const keepAuth = m.authorities.map((r, i) => {
    const o = auth[i];
    if (!ok(o) || (r.type !== TYPE_SOA && r.type !== TYPE_NS)) return false;
    if (!chainNames.some((c) => inDomain(c, o))) return false;
    zones.push(o);
    return true;
  });
  m.authorities.forEach((r, i) => {
    if (keepAuth[i] || !ok(auth[i])) return;
    if (r.type !== TYPE_DS && r.type !== TYPE_NSEC && r.type !== TYPE_NSEC3 && r.type !== TYPE_RRSIG) return;
    keepAuth[i] = zones.length === 0 ? chainNames.some((c) => shareZone(c, auth[i], b.zone)) : zones.some((z) => inDomain(auth[i], z));
  });

  // ADDITIONAL: what the kept records point to.
  const wanted = new Set<string>();
  m.answers.forEach((r, i) => { if (keepAns[i]) for (const n of rdataNames(r)) wanted.add(key(n)); });
  m.authorities.forEach((r, i) => { if (keepAuth[i]) for (const n of rdataNames(r)) wanted.add(key(n)); });
  const keepAdd = m.additionals.map((r) => {
    if (r.type === TYPE_OPT) return true;
    const o = lowerName(r.name);
    return ok(o) && wanted.has(key(o));
  });

  const all = (l: boolean[]) => l.every(Boolean);
  if (all(keepAns) && all(keepAuth) && all(keepAdd)) return m;
  return {
    ...m,
    answers: m.answers.filter((_, i) => keepAns[i]),
    authorities: m.authorities.filter((_, i) => keepAuth[i]),
    additionals: m.additionals.filter((_, i) => keepAdd[i]),
  };
}

/**
 * Without an SOA or NS to name the zone, a DNSSEC proof is kept when its owner and the chain name
 * share a parent below the bailiwick zone (the proof is for a name next to the question's).
 */
function shareZone(name: WireName, owner: WireName, zone: WireName): boolean {
  if (name.length <= 1) return false;
  const parent = name.subarray(1 + name[0]);
  return inDomain(parent, zone) && inDomain(owner, parent);
}
