// A small DNS client for the bench's readiness probes and answer checks (not for load: see
// loadgen.ts). It uses dns-packet rather than spawning dig because the checks run many queries in
// a tight loop while timing start-up, where a process per query would dominate the measurement.
// UDP first; a truncated reply is retried over TCP so that large answer sets can be compared whole.
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';

export interface Reply {
  rcode: string;
  flags: number;
  answers: dnsPacket.Answer[];
  additionals: dnsPacket.Answer[];
  authorities: dnsPacket.Answer[];
  truncated: boolean;
}

let nextId = 1;

function decode(buf: Buffer): Reply {
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

function encodeQuery(id: number, name: string, type: dnsPacket.RecordType): Buffer {
  return dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }] });
}

/** One UDP query; resolves null on timeout or unreachable port (server not listening yet). */
export function queryUdp(host: string, port: number, name: string, type: dnsPacket.RecordType, timeoutMs = 500): Promise<Reply | null> {
  const id = (nextId = (nextId + 1) & 0xffff);
  const q = encodeQuery(id, name, type);
  return new Promise((resolve) => {
    const sock = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    let done = false;
    const finish = (r: Reply | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.close();
      resolve(r);
    };
    const timer = setTimeout(() => finish(null), timeoutMs);
    sock.on('error', () => finish(null));
    sock.on('message', (msg) => {
      if (msg.length < 12 || msg.readUInt16BE(0) !== id) return;
      try {
        finish(decode(msg));
      } catch {
        finish(null);
      }
    });
    // connect() so an ICMP port-unreachable surfaces as an error instead of a silent timeout.
    sock.connect(port, host, () => sock.send(q, (err) => err && finish(null)));
  });
}

export function queryTcp(host: string, port: number, name: string, type: dnsPacket.RecordType, timeoutMs = 2000): Promise<Reply | null> {
  const id = (nextId = (nextId + 1) & 0xffff);
  const q = encodeQuery(id, name, type);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let done = false;
    const s = net.connect({ host, port });
    const finish = (r: Reply | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish(null), timeoutMs);
    s.on('error', () => finish(null));
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
          finish(decode(all.subarray(2, 2 + all.readUInt16BE(0))));
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
