// The DNS client of the tests and the bench (one toolkit, built into dist/test/support for the
// bench, never shipped): build queries with dns-packet, decode replies into plain objects that
// tests compare whole (decode), and ask a server over UDP or TCP (udpAsk for raw bytes; queryUdp,
// queryTcp and query for the bench's readiness probes and answer checks).
// Why dns-packet and not dig: the bench's checks run many queries in a tight loop while timing
// start-up, where a process per query would dominate the measurement. A truncated UDP reply is
// asked again over TCP (query) so that large answer sets can be compared whole.
import dgram from 'node:dgram';
import net from 'node:net';
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

/**
 * Settles a one-query exchange once: with its reply, or null on timeout or a socket error; the
 * socket is closed either way.
 */
function exchange<R>(sock: dgram.Socket | net.Socket, timeoutMs: number, resolve: (r: R | null) => void): (r: R | null) => void {
  let done = false;
  const finish = (r: R | null) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    if (sock instanceof net.Socket) sock.destroy(); else sock.close();
    resolve(r);
  };
  const timer = setTimeout(() => finish(null), timeoutMs);
  sock.on('error', () => finish(null));
  return finish;
}

/**
 * `q` over UDP from a fresh socket; the reply with q's ID, passed through `read`, or null on
 * timeout, an unreachable port (server not listening yet) or a reply `read` throws on.
 */
function askUdp<R>(host: string, port: number, q: Buffer, timeoutMs: number, read: (m: Buffer) => R): Promise<R | null> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    const finish = exchange(sock, timeoutMs, resolve);
    sock.on('message', (msg) => {
      if (msg.length < 12 || msg[0] !== q[0] || msg[1] !== q[1]) return;
      try {
        finish(read(msg));
      } catch {
        finish(null);
      }
    });
    // connect() so an ICMP port-unreachable surfaces as an error instead of a silent timeout.
    sock.connect(port, host, () => sock.send(q, (err) => err && finish(null)));
  });
}

/** Send `msg` over UDP from a fresh socket to 127.0.0.1:`port`; the reply, or an error after 5 s. */
export async function udpAsk(port: number, msg: Buffer): Promise<Buffer> {
  const r = await askUdp('127.0.0.1', port, msg, 5000, (m) => m);
  if (!r) throw new Error('no UDP reply');
  return r;
}

/** A reply as the bench's checks read it. */
export interface Reply {
  rcode: string;
  flags: number;
  answers: dnsPacket.Answer[];
  additionals: dnsPacket.Answer[];
  authorities: dnsPacket.Answer[];
  truncated: boolean;
}

let nextId = 1;

function toReply(buf: Buffer): Reply {
  const p = dnsPacket.decode(buf);
  return {
    rcode: (p as { rcode?: string }).rcode ?? 'NOERROR',
    flags: p.flags ?? 0,
    answers: p.answers ?? [],
    additionals: p.additionals ?? [],
    authorities: p.authorities ?? [],
    truncated: ((p.flags ?? 0) & dnsPacket.TRUNCATED_RESPONSE) !== 0,
  };
}

function encodeQuery(name: string, type: dnsPacket.RecordType): Buffer {
  const id = (nextId = (nextId + 1) & 0xffff);
  return dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }] });
}

/** One UDP query; resolves null on timeout or unreachable port (server not listening yet). */
export function queryUdp(host: string, port: number, name: string, type: dnsPacket.RecordType, timeoutMs = 500): Promise<Reply | null> {
  return askUdp(host, port, encodeQuery(name, type), timeoutMs, toReply);
}

export function queryTcp(host: string, port: number, name: string, type: dnsPacket.RecordType, timeoutMs = 2000): Promise<Reply | null> {
  const q = encodeQuery(name, type);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s = net.connect({ host, port });
    const finish = exchange(s, timeoutMs, resolve);
    s.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(q.length);
      s.write(Buffer.concat([len, q]));
    });
    s.on('data', (d) => {
      chunks.push(d);
      const all = Buffer.concat(chunks);
      if (all.length >= 2 && all.length >= 2 + all.readUInt16BE(0)) {
        try {
          finish(toReply(all.subarray(2, 2 + all.readUInt16BE(0))));
        } catch {
          finish(null);
        }
      }
    });
  });
}

/** UDP, then TCP if the UDP reply was truncated. */
export async function query(host: string, port: number, name: string, type: dnsPacket.RecordType, timeoutMs = 500): Promise<Reply | null> {
  const r = await queryUdp(host, port, name, type, timeoutMs);
  if (r && r.truncated) return (await queryTcp(host, port, name, type, Math.max(timeoutMs, 2000))) ?? r;
  return r;
}
