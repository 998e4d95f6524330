// The baseline DNS server: the fastest thing Node's UDP path can do on this machine. It answers
// every datagram with one fixed, pre-encoded reply (the A answer for the 3-address probe task),
// only copying it and patching the ID. Why: answer rates mean little in absolute terms on a
// 2-core box where dnsperf itself eats most of the other core; dividing by this server's rate
// under the identical load gives "how close to Node's own limit" the real server gets.
// Run as its own process (pinned by the bench like the real server): node dist/bench/baseline.js --port=0
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import { FIXED } from './gen-state.js';

const arg = (k: string, d: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d;
const host = arg('host', '127.0.0.1');
const port = Number(arg('port', '0'));

const reply = dnsPacket.encode({
  type: 'response',
  id: 0,
  flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
  questions: [{ type: 'A', name: FIXED.a3Name.slice(0, -1), class: 'IN' }],
  answers: FIXED.a3IPs.map((ip) => ({ type: 'A' as const, name: FIXED.a3Name.slice(0, -1), ttl: 60, class: 'IN' as const, data: ip })),
});

const sock = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
sock.on('message', (msg, rinfo) => {
  if (msg.length < 12) return;
  const out = Buffer.allocUnsafe(reply.length);
  reply.copy(out);
  out[0] = msg[0]!;
  out[1] = msg[1]!;
  sock.send(out, rinfo.port, rinfo.address);
});
sock.bind(port, host, () => {
  process.stdout.write(JSON.stringify({ listening: true, port: sock.address().port }) + '\n');
});
const stop = () => sock.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
