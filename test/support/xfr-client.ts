// A raw DNS-over-TCP client for zone transfer tests: sends one query and collects the reply's
// messages as the server framed them (dig hides message boundaries, sizes and per-message
// headers, which is what RFC 5936 §2.2 is about), ending where a transfer ends.
import net from 'node:net';
import { decode, type Decoded } from './dnsmsg.js';

export interface TransferReply { raw: Buffer[]; messages: Decoded[] }

/** Is this the end of the reply: an error, a lone SOA, or the closing SOA of a transfer? */
function complete(msgs: Decoded[]): boolean {
  const first = msgs[0], last = msgs[msgs.length - 1];
  if (first.rcode !== 'NOERROR') return true;
  if (first.answer.length === 0) return false;
  if (first.answer[0].type !== 'SOA') return true;
  const serial = (first.answer[0].data as { serial: number }).serial;
  if (msgs.length === 1 && first.answer.length === 1) return first.question[0]?.type === 'IXFR';
  const end = last.answer[last.answer.length - 1];
  return end !== undefined && end.type === 'SOA' && (end.data as { serial: number }).serial === serial;
}

/**
 * One query over a fresh connection and its reply's messages. `readPauseMs` makes a slow reader:
 * after each chunk it stops reading for that long, so the server's output backs up behind it.
 */
export function tcpTransfer(port: number, query: Buffer, timeoutMs = 30_000, readPauseMs = 0): Promise<TransferReply> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    const raw: Buffer[] = [], messages: Decoded[] = [];
    let buf = Buffer.alloc(0);
    const t = setTimeout(() => { s.destroy(); reject(new Error(`transfer timed out after ${messages.length} messages`)); }, timeoutMs);
    s.on('error', (e) => { clearTimeout(t); reject(e); });
    s.on('close', () => { clearTimeout(t); resolve({ raw, messages }); });
    s.on('connect', () => s.write(Buffer.concat([Buffer.from([query.length >> 8, query.length & 0xff]), query])));
    s.on('data', (d) => {
      if (readPauseMs > 0) { s.pause(); setTimeout(() => s.resume(), readPauseMs); }
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const m = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + m.length);
        raw.push(Buffer.from(m));
        messages.push(decode(Buffer.from(m)));
        if (complete(messages)) { clearTimeout(t); s.destroy(); resolve({ raw, messages }); return; }
      }
    });
  });
}

/** An IXFR query: the client's SOA (serial) in the authority section. */
export function ixfrQuery(zone: string, serial: number, id = 0x4242): Buffer {
  const labels = zone.split('.').filter(Boolean);
  const name = Buffer.concat([...labels.flatMap((l) => [Buffer.from([l.length]), Buffer.from(l)]), Buffer.from([0])]);
  const head = Buffer.from([id >> 8, id & 0xff, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0]);
  const q = Buffer.concat([name, Buffer.from([0, 251, 0, 1])]);
  const rdata = Buffer.alloc(2 + 20); // MNAME ".", RNAME ".", serial, 4 timers
  rdata.writeUInt32BE(serial >>> 0, 2);
  const rr = Buffer.alloc(12);
  rr.writeUInt16BE(0xc00c, 0); rr.writeUInt16BE(6, 2); rr.writeUInt16BE(1, 4); rr.writeUInt32BE(0, 6); rr.writeUInt16BE(rdata.length, 10);
  return Buffer.concat([head, q, rr, rdata]);
}
