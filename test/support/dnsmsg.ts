// Test helpers for DNS messages: build queries with dns-packet and decode replies into plain
// objects (header flags, rcode, sections) that tests compare whole.
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';

export interface QueryOptions {
  id?: number;
  rd?: boolean;
  cd?: boolean;
  qclass?: string;
  /** Add an OPT record with this UDP size. */
  edns?: number;
  ednsVersion?: number;
  dnssecOk?: boolean;
}

export function buildQuery(name: string, type: string, o: QueryOptions = {}): Buffer {
  const flags = (o.rd === false ? 0 : dnsPacket.RECURSION_DESIRED) | (o.cd ? dnsPacket.CHECKING_DISABLED : 0);
  const additionals: dnsPacket.Answer[] = [];
  const msg: dnsPacket.Packet = {
    type: 'query', id: o.id ?? 0x1234, flags,
    questions: [{ name, type: type as dnsPacket.RecordType, class: (o.qclass ?? 'IN') as dnsPacket.RecordClass }],
    additionals,
  };
  let buf = dnsPacket.encode(msg);
  if (o.edns !== undefined) {
    // Hand-built OPT so tests control version and DO exactly.
    const opt = Buffer.alloc(11);
    opt[0] = 0; opt.writeUInt16BE(41, 1); opt.writeUInt16BE(o.edns, 3);
    opt[5] = 0; opt[6] = o.ednsVersion ?? 0; opt[7] = o.dnssecOk ? 0x80 : 0; opt[8] = 0; opt.writeUInt16BE(0, 9);
    buf = Buffer.concat([buf, opt]);
    buf.writeUInt16BE(buf.readUInt16BE(10) + 1, 10);
  }
  return buf;
}

export interface RR { name: string; type: string; ttl?: number; data: unknown }
export interface Decoded {
  id: number;
  rcode: string;
  flags: { qr: boolean; aa: boolean; tc: boolean; rd: boolean; ra: boolean; cd: boolean };
  question: { name: string; type: string; class: string }[];
  answer: RR[];
  authority: RR[];
  additional: RR[];
  opt: { udpSize: number; extRcode: number; version: number; do: boolean } | null;
  size: number;
}

function rr(a: dnsPacket.Answer): RR {
  const x = a as unknown as { name: string; type: string; ttl: number; data: unknown };
  return { name: x.name, type: x.type, ttl: x.ttl, data: x.data };
}

const EXT_RCODES: Record<number, string> = { 16: 'BADVERS', 17: 'BADKEY', 23: 'BADCOOKIE' };

export function decode(buf: Buffer): Decoded {
  const p = dnsPacket.decode(buf) as dnsPacket.Packet & { flags: number; rcode: string; flag_qr: boolean; flag_aa: boolean;
    flag_tc: boolean; flag_rd: boolean; flag_ra: boolean; flag_cd: boolean };
  const adds = (p.additionals ?? []).filter((a: dnsPacket.Answer) => a.type !== 'OPT').map(rr);
  const optRec = (p.additionals ?? []).find((a: dnsPacket.Answer) => a.type === 'OPT') as unknown as
    { udpPayloadSize: number; extendedRcode: number; ednsVersion: number; flag_do: boolean } | undefined;
  // dns-packet reports only the header's 4 rcode bits; fold in the OPT's extended rcode.
  const ext = optRec?.extendedRcode ?? 0;
  const rcode = ext ? (EXT_RCODES[(ext << 4) | (p.flags & 0xf)] ?? `RCODE${(ext << 4) | (p.flags & 0xf)}`) : p.rcode;
  return {
    id: p.id ?? 0,
    rcode,
    flags: { qr: !!p.flag_qr, aa: !!p.flag_aa, tc: !!p.flag_tc, rd: !!p.flag_rd, ra: !!p.flag_ra, cd: !!p.flag_cd },
    question: (p.questions ?? []).map((q: dnsPacket.Question) => ({ name: q.name, type: q.type, class: q.class ?? 'IN' })),
    answer: (p.answers ?? []).map(rr),
    authority: (p.authorities ?? []).map(rr),
    additional: adds,
    opt: optRec ? { udpSize: optRec.udpPayloadSize, extRcode: optRec.extendedRcode, version: optRec.ednsVersion, do: !!optRec.flag_do } : null,
    size: buf.length,
  };
}

/** Sort records for order-insensitive comparison (answers are shuffled on purpose). */
export function sorted(rrs: RR[]): RR[] {
  return [...rrs].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/** Send `msg` over UDP from a fresh socket to 127.0.0.1:`port`; the reply, or an error after 5 s. */
export function udpAsk(port: number, msg: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const timer = setTimeout(() => { s.close(); reject(new Error('no UDP reply')); }, 5000);
    s.on('message', (m) => { clearTimeout(timer); s.close(); resolve(m); });
    s.send(msg, port, '127.0.0.1');
  });
}
