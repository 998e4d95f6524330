// The records of a zone transfer, as (owner, body) pairs fed to the MessageWriter. Two sources:
// the zone image itself (AXFR: its RRs are stored encoded, so each is copied, only its owner
// rewritten from "pointer to the question" to the entry's name) and change sets in presentation
// form (IXFR: small, encoded on the fly).
import { CLASS_IN, TYPE_A, TYPE_AAAA, TYPE_NS, TYPE_SOA, TYPE_SRV } from '../wire/constants.js';
import { nameToWire } from '../wire/name.js';
import { A_RR_LEN, AAAA_RR_LEN, type ZoneImage } from '../zone/image.js';
import { bytesToIPv4, bytesToIPv6, ipv4ToBytes, ipv6ToBytes } from '../net/ip.js';
import type { RR, RRType } from '../zone/changes.js';

/** What a transfer reads of one zone version: pinned for the whole transfer. */
export interface ZoneVersion {
  serial: number;
  image: ZoneImage;
  /** Lower-case wire apex. */
  apex: Uint8Array;
  soaRdata: Uint8Array;
  nsTarget: Uint8Array;
  ttl: number;
}

/** RR body: type, class IN, TTL, RDLENGTH, RDATA. */
export function rrBody(type: number, ttl: number, rdata: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(10 + rdata.length);
  b.writeUInt16BE(type, 0); b.writeUInt16BE(CLASS_IN, 2); b.writeUInt32BE(ttl >>> 0, 4); b.writeUInt16BE(rdata.length, 8);
  b.set(rdata, 10);
  return b;
}

export const soaBody = (z: ZoneVersion, soaRdata = z.soaRdata) => rrBody(TYPE_SOA, z.ttl, soaRdata);
export const nsBody = (z: ZoneVersion) => rrBody(TYPE_NS, z.ttl, z.nsTarget);

/**
 * Calls `emit(nameOff, nameLen, bodyOff, bodyLen)` (offsets into image.u8) for every RR of entry
 * e: A, AAAA, then SRV. The image's RRs begin with a 2-byte owner pointer, skipped here.
 */
export function entryRRs(image: ZoneImage, e: number, emit: (nameOff: number, nameLen: number, bodyOff: number, bodyLen: number) => void): void {
  const nameOff = image.nameAt(e), nameLen = image.nameLen(e);
  for (let i = 0, o = image.aOff(e), c = image.aCount(e); i < c; i++, o += A_RR_LEN) emit(nameOff, nameLen, o + 2, A_RR_LEN - 2);
  for (let i = 0, o = image.aaaaOff(e), c = image.aaaaCount(e); i < c; i++, o += AAAA_RR_LEN) emit(nameOff, nameLen, o + 2, AAAA_RR_LEN - 2);
  for (let i = 0, c = image.srvCount(e); i < c; i++) emit(nameOff, nameLen, image.srvOff(e, i) + 2, image.srvLen(e, i) - 2);
}

/** Owner and body of a change-set record, or null when it cannot be encoded (never in a valid set). */
export function encodeRR(rr: RR, ttl: number): { owner: Buffer; body: Buffer } | null {
  const owner = nameToWire(rr.name, true);
  if (!owner) return null;
  let rdata: Uint8Array | null = null;
  let type = 0;
  if (rr.type === 'A') { type = TYPE_A; rdata = ipv4ToBytes(rr.data); }
  else if (rr.type === 'AAAA') { type = TYPE_AAAA; rdata = ipv6ToBytes(rr.data); }
  else if (rr.type === 'SRV') {
    type = TYPE_SRV;
    const m = /^(\d+) (\d+) (\d+) (\S+)$/.exec(rr.data);
    const target = m && nameToWire(m[4]);
    if (m && target) {
      const b = Buffer.allocUnsafe(6 + target.length);
      b.writeUInt16BE(Number(m[1]) & 0xffff, 0); b.writeUInt16BE(Number(m[2]) & 0xffff, 2); b.writeUInt16BE(Number(m[3]) & 0xffff, 4);
      b.set(target, 6);
      rdata = b;
    }
  }
  if (!rdata) return null;
  return { owner: Buffer.from(owner), body: rrBody(type, ttl, rdata) };
}

/** Presentation form of an uncompressed wire name at `off` (image names, SRV targets). */
export function wireName(u8: Uint8Array, off: number): string {
  let s = '';
  for (let len = u8[off]; len !== 0; off += 1 + len, len = u8[off]) s += Buffer.from(u8.buffer, u8.byteOffset + off + 1, len).toString('latin1') + '.';
  return s || '.';
}

/** The records of entry e in presentation form, as change sets spell them (the /v1/watch feed). */
export function entryRecords(image: ZoneImage, e: number): { type: RRType; data: string }[] {
  const out: { type: RRType; data: string }[] = [];
  const u8 = image.u8;
  entryRRs(image, e, (_no, _nl, b) => {
    const type = (u8[b] << 8) | u8[b + 1], rd = b + 10;
    if (type === TYPE_A) out.push({ type: 'A', data: bytesToIPv4(u8, rd) });
    else if (type === TYPE_AAAA) out.push({ type: 'AAAA', data: bytesToIPv6(u8, rd) });
    else if (type === TYPE_SRV) {
      const prio = (u8[rd] << 8) | u8[rd + 1], weight = (u8[rd + 2] << 8) | u8[rd + 3], port = (u8[rd + 4] << 8) | u8[rd + 5];
      out.push({ type: 'SRV', data: `${prio} ${weight} ${port} ${wireName(u8, rd + 6)}` });
    }
  });
  return out;
}
