// Test helpers for forwarding: build queries and decode replies with dns-packet (an independent
// codec, so our encoder is checked by someone else's decoder), turn a reply into one plain object
// so tests compare whole answers (rcode, flags, every section) at once, a complete test Config,
// a "black hole" resolver that reads and never answers, and a tiny UDP/TCP front so real `dig`
// can query a forwarder.
import dnsPacket from 'dns-packet';
import dgram from 'node:dgram';
import net from 'node:net';
import { defaultConfig, settingsOf } from '../../src/config/load.js';
import type { Config, Settings } from '../../src/config/types.js';
import type { ForwardRequest, Forwarder } from '../../src/forward/types.js';

const DNSSEC_OK = 0x8000;

export interface QueryOpts {
  id?: number;
  rd?: boolean;
  cd?: boolean;
  ad?: boolean;
  /** EDNS UDP size; omit for a query without OPT. */
  edns?: number;
  do?: boolean;
  ednsVersion?: number;
  klass?: 'IN' | 'CH' | 'ANY';
}

export function makeQuery(name: string, type: string, o: QueryOpts = {}): Buffer {
  let flags = 0;
  if (o.rd ?? true) flags |= dnsPacket.RECURSION_DESIRED;
  if (o.cd) flags |= dnsPacket.CHECKING_DISABLED;
  if (o.ad) flags |= dnsPacket.AUTHENTIC_DATA;
  const additionals: dnsPacket.Answer[] = [];
  if (o.edns !== undefined) {
    additionals.push({
      type: 'OPT',
      name: '.',
      udpPayloadSize: o.edns,
      extendedRcode: 0,
      ednsVersion: o.ednsVersion ?? 0,
      flags: o.do ? DNSSEC_OK : 0,
    } as unknown as dnsPacket.Answer);
  }
  return dnsPacket.encode({
    type: 'query',
    id: o.id ?? Math.floor(Math.random() * 65536),
    flags,
    questions: [{ name, type: type as dnsPacket.RecordType, class: o.klass ?? 'IN' }],
    additionals,
  });
}

/** The request the server would hand to forward() for this query. */
export function makeRequest(query: Buffer, o: { transport?: 'udp' | 'tcp'; clientAddress?: string; clientLimit?: number } = {}): ForwardRequest {
  const p = dnsPacket.decode(query);
  const opt = (p.additionals ?? []).find((a) => a.type === 'OPT') as { udpPayloadSize: number } | undefined;
  const transport = o.transport ?? 'udp';
  const limit = transport === 'tcp' ? 65535 : opt ? Math.min(Math.max(opt.udpPayloadSize, 512), 1232) : 512;
  const qtype = query.readUInt16BE(query.length - 4 - (opt ? 11 : 0));
  const qclass = query.readUInt16BE(query.length - 2 - (opt ? 11 : 0));
  return {
    query,
    qtype,
    qclass,
    transport,
    clientLimit: o.clientLimit ?? limit,
    clientAddress: o.clientAddress ?? '127.0.0.1',
  };
}

function rdataText(a: dnsPacket.Answer): string {
  const d = (a as { data?: unknown }).data;
  switch (a.type) {
    case 'TXT':
      return (d as Buffer[]).map((b) => JSON.stringify(b.toString())).join(' ');
    case 'SOA': {
      const s = d as dnsPacket.SoaData;
      return `${s.mname}. ${s.rname}. ${s.serial} ${s.refresh} ${s.retry} ${s.expire} ${s.minimum}`;
    }
    case 'SRV': {
      const s = d as dnsPacket.SrvData;
      return `${s.priority ?? 0} ${s.weight ?? 0} ${s.port} ${s.target}.`;
    }
    case 'MX': {
      const s = d as { preference: number; exchange: string };
      return `${s.preference} ${s.exchange}.`;
    }
    case 'CNAME':
    case 'NS':
    case 'PTR':
    case 'DNAME':
      return `${d}.`;
    default:
      return Buffer.isBuffer(d) ? d.toString('hex') : String(d);
  }
}

export interface Summary {
  id: number;
  rcode: string;
  flags: string;
  question: string[];
  answer: string[];
  authority: string[];
  additional: string[];
  edns: { udp: number; do: boolean; version: number; extRcode: number } | null;
}

function rrText(a: dnsPacket.Answer): string {
  const ttl = (a as { ttl?: number }).ttl ?? 0;
  return `${a.name}. ${ttl} ${(a as { class?: string }).class ?? 'IN'} ${a.type} ${rdataText(a)}`;
}

/** A reply as one comparable object (TTLs included; use withoutTtl() when they may vary). */
export function summarize(buf: Buffer): Summary {
  const p = dnsPacket.decode(buf) as dnsPacket.Packet & { rcode: string; flag_qr: boolean };
  const f = p as unknown as Record<string, boolean>;
  const flags = ['qr', 'aa', 'tc', 'rd', 'ra', 'ad', 'cd'].filter((n) => f[`flag_${n}`]).join(' ');
  const opt = (p.additionals ?? []).find((a) => a.type === 'OPT') as
    | { udpPayloadSize: number; flags: number; ednsVersion: number; extendedRcode: number }
    | undefined;
  return {
    id: p.id!,
    rcode: p.rcode,
    flags,
    question: (p.questions ?? []).map((q) => `${q.name}. ${q.class ?? 'IN'} ${q.type}`),
    answer: (p.answers ?? []).map(rrText),
    authority: (p.authorities ?? []).map(rrText),
    additional: (p.additionals ?? []).filter((a) => a.type !== 'OPT').map(rrText),
    edns: opt ? { udp: opt.udpPayloadSize, do: (opt.flags & DNSSEC_OK) !== 0, version: opt.ednsVersion, extRcode: opt.extendedRcode } : null,
  };
}

/** Replaces every TTL in a summary with "*". */
export function withoutTtl(s: Summary): Summary {
  const strip = (l: string[]) => l.map((r) => r.replace(/^(\S+) \d+ /, '$1 * '));
  return { ...s, answer: strip(s.answer), authority: strip(s.authority), additional: strip(s.additional) };
}

/** TTLs of the answer section. */
export function answerTtls(s: Summary): number[] {
  return s.answer.map((r) => Number(r.split(' ')[1]));
}

/** A complete config for forwarding tests. */
export function testConfig(over: Partial<Config> = {}): Config {
  return {
    ...defaultConfig(),
    Timeout: 2,
    SOASerial: 1,
    SOAMname: 'ns1.mesos.',
    SOARname: 'root.ns1.mesos.',
    Resolvers: [],
    Listener: '127.0.0.1',
    HTTPListener: '127.0.0.1',
    HttpOn: false,
    ForwardMaxOutstanding: 1000,
    ForwardAllowFrom: ['127.0.0.0/8', '::1/128'],
    ...over,
  };
}

/** testConfig's Settings, parsed as loading would (what createForwarder takes). */
export function testSettings(over: Partial<Config> = {}): Settings {
  return settingsOf(testConfig(over));
}

/** A resolver that reads every query (UDP, and TCP connections) and never answers. */
export async function blackHole(): Promise<{ port: number; received(): number; close(): Promise<void> }> {
  const udp = dgram.createSocket('udp4');
  let n = 0;
  udp.on('message', () => n++);
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
  const port = (udp.address() as net.AddressInfo).port;
  return {
    port,
    received: () => n,
    close: () => new Promise<void>((r) => udp.close(() => r())),
  };
}

/** Serves a forwarder on 127.0.0.1 (UDP and TCP on one port), for real clients such as dig. */
export async function serveForwarder(fwd: Forwarder): Promise<{ port: number; close(): Promise<void> }> {
  const tcp = net.createServer((c) => {
    let buf = Buffer.alloc(0);
    c.on('error', () => {});
    c.on('data', async (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const q = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + q.length);
        const r = await fwd.forward(makeRequest(Buffer.from(q), { transport: 'tcp', clientAddress: c.remoteAddress }));
        c.write(Buffer.concat([Buffer.from([r.length >> 8, r.length & 0xff]), r]));
      }
    });
  });
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
  const port = (tcp.address() as net.AddressInfo).port;
  const udp = dgram.createSocket('udp4');
  udp.on('message', async (m, rinfo) => {
    const r = await fwd.forward(makeRequest(m, { clientAddress: rinfo.address }));
    udp.send(r, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r, j) => {
    udp.once('error', j);
    udp.bind(port, '127.0.0.1', () => r());
  });
  return {
    port,
    close: async () => {
      await new Promise<void>((r) => udp.close(() => r()));
      await new Promise<void>((r) => tcp.close(() => r()));
    },
  };
}

/** Zone served by the test upstream (BIND): small, big (TXT > 1232 bytes), many (90 A, > 1232 bytes), negative TTL 30. */
export function exampleZone(origin = 'example.test'): string {
  const lines = [
    '$TTL 300',
    `@ IN SOA ns.${origin}. hostmaster.${origin}. 7 3600 600 86400 30`,
    '@ IN NS ns',
    'ns IN A 127.0.0.1',
    'www IN A 192.0.2.1',
    'www IN A 192.0.2.2',
    'short 5 IN A 192.0.2.3',
    'alias IN CNAME www',
  ];
  for (let i = 0; i < 30; i++) lines.push(`big IN TXT "${String(i).padStart(2, '0')}-${'x'.repeat(57)}"`);
  for (let i = 1; i <= 90; i++) lines.push(`many IN A 10.0.0.${i}`); // BIND allows at most 100 per RRset
  for (let i = 0; i < 60; i++) lines.push(`w${i} IN A 192.0.2.${(i % 250) + 1}`);
  return lines.join('\n') + '\n';
}

/** Sorts answer, authority and additional lists (upstreams rotate RRsets; content is what counts). */
export function sorted(s: Summary): Summary {
  return { ...s, answer: [...s.answer].sort(), authority: [...s.authority].sort(), additional: [...s.additional].sort() };
}

/** A reply to `query` built with dns-packet: same ID and question, given records and rcode. */
export function respond(
  query: Buffer,
  o: {
    answers?: dnsPacket.Answer[]; authorities?: dnsPacket.Answer[]; additionals?: dnsPacket.Answer[];
    rcode?: number; flags?: number; opt?: boolean; id?: number; question?: dnsPacket.Question;
  } = {},
): Buffer {
  const q = dnsPacket.decode(query);
  const rcode = o.rcode ?? 0;
  const b = dnsPacket.encode({
    type: 'response',
    id: o.id ?? q.id,
    flags: (o.flags ?? dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE) | rcode,
    questions: o.question ? [o.question] : q.questions,
    answers: o.answers ?? [],
    authorities: o.authorities ?? [],
    additionals: [...(o.additionals ?? []), ...(o.opt ? ([{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0 }] as unknown as dnsPacket.Answer[]) : [])],
  });
  return b;
}

/**
 * A fake resolver on 127.0.0.1 whose UDP replies come from `handler` (any number of datagrams per
 * query, including none). With `tcp`, TCP queries on the same port are answered by it.
 */
export async function scriptedUpstream(
  handler: (query: Buffer, n: number) => Buffer | Buffer[] | null,
  tcp?: (query: Buffer) => Buffer | null,
  o: { closeAfterReplies?: number; host?: string } = {},
): Promise<{ port: number; received(): number; tcpReceived(): number; tcpConnections(): number; ports(): Set<number>; close(): Promise<void> }> {
  const host = o.host ?? '127.0.0.1';
  const udp = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  let n = 0;
  let nt = 0;
  let conns = 0;
  const live = new Set<net.Socket>();
  const ports = new Set<number>();
  udp.on('message', (m, rinfo) => {
    ports.add(rinfo.port);
    const out = handler(m, n++);
    for (const b of out === null ? [] : Array.isArray(out) ? out : [out]) udp.send(b, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => udp.bind(0, host, () => r()));
  const port = (udp.address() as net.AddressInfo).port;
  let server: net.Server | null = null;
  if (tcp) {
    server = net.createServer((c) => {
      conns++;
      live.add(c);
      c.on('close', () => live.delete(c));
      let replies = 0;
      let buf = Buffer.alloc(0);
      c.on('error', () => {});
      c.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          const q = buf.subarray(2, 2 + buf.readUInt16BE(0));
          buf = buf.subarray(2 + q.length);
          nt++;
          const r = tcp(Buffer.from(q));
          if (r) c.write(Buffer.concat([Buffer.from([r.length >> 8, r.length & 0xff]), r]));
          if (o.closeAfterReplies && ++replies >= o.closeAfterReplies) c.end();
        }
      });
    });
    await new Promise<void>((r) => server!.listen(port, host, () => r()));
  }
  return {
    port,
    received: () => n,
    tcpReceived: () => nt,
    tcpConnections: () => conns,
    ports: () => ports,
    close: async () => {
      await new Promise<void>((r) => udp.close(() => r()));
      for (const c of live) c.destroy();
      if (server) await new Promise<void>((r) => server!.close(() => r()));
    },
  };
}
