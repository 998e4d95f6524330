// DNS numbers every stage shares: record types, classes, rcodes, header flags, EDNS sizes. One home
// so the authoritative answerer, forwarding, the zone image and (later) zone transfer cannot drift
// apart on a constant (they did: RCODE_BADVERS, the flags and 1232 each existed twice).

export const TYPE_A = 1;
export const TYPE_NS = 2;
export const TYPE_SOA = 6;
export const TYPE_AAAA = 28;
export const TYPE_SRV = 33;
export const TYPE_OPT = 41;
export const TYPE_DS = 43;
export const TYPE_IXFR = 251;
export const TYPE_AXFR = 252;
export const TYPE_ANY = 255;
export const CLASS_IN = 1;
export const CLASS_ANY = 255;

export const RCODE_NOERROR = 0;
export const RCODE_FORMERR = 1;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;
export const RCODE_NOTIMP = 4;
export const RCODE_REFUSED = 5;
export const RCODE_NOTAUTH = 9;
/** Extended rcode 16 (BADVERS): low 4 bits 0 in the header, upper 8 bits 1 in the OPT record. */
export const RCODE_BADVERS = 16;

export const FLAG_QR = 0x8000;
export const FLAG_AA = 0x0400;
export const FLAG_TC = 0x0200;
export const FLAG_RD = 0x0100;
export const FLAG_RA = 0x0080;
export const FLAG_AD = 0x0020;
export const FLAG_CD = 0x0010;
export const OPCODE_MASK = 0x7800;

/** The largest UDP reply we send to an EDNS client, and the size we advertise upstream (DNS flag day 2020). */
export const EDNS_MAX_UDP = 1232;
/** Bytes of an OPT record without options: root owner, type, class, TTL, RDLENGTH. */
export const OPT_LEN = 11;
