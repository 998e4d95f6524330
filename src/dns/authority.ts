// Builds the Authority (answer.ts) from the config and the current zone image. Called once per
// zone swap, so everything derivable from config — SOA RDATA with the serial, the NS target —
// is encoded here and never on the query path.
import type { Config } from '../config/types.js';
import type { ZoneImage } from '../zone/image.js';
import type { Authority } from './answer.js';
import { hashWire, lowerCopy, nameToWire } from '../wire/name.js';

/** SOA RDATA: MNAME, RNAME, SERIAL, REFRESH, RETRY, EXPIRE, MINIMUM (= SOAMinttl, [A.4]). */
export function soaRdata(c: Config, serial: number): Uint8Array {
  const mname = nameToWire(c.SOAMname) ?? new Uint8Array([0]);
  const rname = nameToWire(c.SOARname) ?? new Uint8Array([0]);
  const out = Buffer.alloc(mname.length + rname.length + 20);
  out.set(mname, 0);
  out.set(rname, mname.length);
  let o = mname.length + rname.length;
  for (const v of [serial, c.SOARefresh, c.SOARetry, c.SOAExpire, c.SOAMinttl]) { out.writeUInt32BE(v >>> 0, o); o += 4; }
  return out;
}

export function createAuthority(c: Config, image: ZoneImage | null, serial: number): Authority {
  const nsTarget = nameToWire(c.SOAMname) ?? new Uint8Array([0]);
  const nsLower = lowerCopy(nsTarget);
  return {
    image,
    apex: nameToWire(c.Domain, true)!,
    nsTarget,
    nsLower,
    nsHash: hashWire(nsLower),
    soaRdata: soaRdata(c, serial),
    ttl: c.TTL,
    negTtl: Math.min(c.TTL, c.SOAMinttl),
    recurse: c.RecurseOn,
    setTruncateBit: c.SetTruncateBit,
  };
}
