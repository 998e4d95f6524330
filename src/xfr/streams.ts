// The three shapes of a transfer reply (RFC 5936 §2.2, RFC 1995 §2 and §4), as MessageStreams
// pulled by the TCP writer one step (one batch of records) at a time. Everything is read from one pinned zone
// version (BIND rejects a transfer whose first and last SOA differ), and the pin is dropped when
// the stream is closed — finished, or its connection gone.
import type { MessageStream } from '../dns/stream.js';
import { MessageWriter, releaseMessage, type ReplyHead } from './messages.js';
import { encodeRR, entryRRs, nsBody, rrBody, soaBody, type ZoneVersion } from './records.js';
import type { RR } from '../zone/changes.js';
import type { ReverseZone } from '../zone/reverse.js';
import { inDomain } from '../wire/name.js';

/**
 * Pulls RR batches from `fill` (which adds to the writer, returning false at the end) into
 * messages. Its messages are views of pooled buffers: `release` gives one back once written.
 */
function streamOf(w: MessageWriter, fill: (add: (m: Buffer | null) => void) => boolean, unpin: () => void): MessageStream {
  const ready: Buffer[] = [];
  const add = (m: Buffer | null) => { if (m) ready.push(m); };
  let ended = false, closed = false;
  return {
    kind: 'stream',
    next() {
      // One fill call per step at most: a step is a bounded amount of encoding (tcp.ts budgets them).
      if (ready.length === 0 && !ended && !fill(add)) { ended = true; ready.push(w.finish()); }
      return ready.shift() ?? (ended ? null : false);
    },
    release: releaseMessage,
    close() { if (!closed) { closed = true; w.abandon(); unpin(); } },
  };
}

/**
 * Image entries per fill call (one step, dns/stream.ts): at 50k tasks ~5 RRs each, ~0.1 ms of
 * encoding, well inside the TCP writer's slice per turn of the event loop.
 */
const ENTRIES_PER_FILL = 16;
/** Records per fill call where each is one RR (change sets, reverse zones). */
const RRS_PER_FILL = 64;

/**
 * A whole zone: SOA, NS, the records `fill` adds (a batch per call, false once done), SOA. The
 * shape of every AXFR and AXFR-style IXFR reply, whatever holds the records.
 */
function wholeZone(w: MessageWriter, z: ZoneVersion, fill: (add: (m: Buffer | null) => void) => boolean, unpin: () => void): MessageStream {
  const apex = Buffer.from(z.apex);
  const soa = soaBody(z);
  let phase = 0;
  return streamOf(w, (add) => {
    if (phase === 0) {
      add(w.add(apex, 0, apex.length, soa, 0, soa.length));
      const ns = nsBody(z);
      add(w.add(apex, 0, apex.length, ns, 0, ns.length));
      phase = 1;
      return true;
    }
    if (phase === 1) { if (!fill(add)) phase = 2; return true; }
    if (phase === 2) { add(w.add(apex, 0, apex.length, soa, 0, soa.length)); phase = 3; return true; }
    return false;
  }, unpin);
}

/** SOA, NS, every RR of the image, SOA (also the AXFR-style IXFR reply). */
export function fullTransfer(head: ReplyHead, z: ZoneVersion, unpin: () => void): MessageStream {
  const w = new MessageWriter(head);
  const image = z.image;
  const u8 = Buffer.from(image.u8.buffer, image.u8.byteOffset, image.u8.byteLength);
  let i = 0;
  let sink: (m: Buffer | null) => void = () => {};
  const emit = (nameOff: number, nameLen: number, bodyOff: number, bodyLen: number) => sink(w.add(u8, nameOff, nameLen, u8, bodyOff, bodyLen));
  return wholeZone(w, z, (add) => {
    sink = add;
    for (const end = Math.min(i + ENTRIES_PER_FILL, image.entryCount); i < end; i++) entryRRs(image, image.entryAt(i), emit);
    return i < image.entryCount;
  }, unpin);
}

/** A single SOA: the client is up to date, or (over UDP) "not up to date, ask over TCP". */
export function singleSoa(head: ReplyHead, z: ZoneVersion): Buffer {
  const w = new MessageWriter(head);
  const apex = Buffer.from(z.apex);
  const soa = soaBody(z);
  w.add(apex, 0, apex.length, soa, 0, soa.length);
  const m = w.finish();
  const out = Buffer.from(m.subarray(2)); // one plain message, its own bytes: the transport frames it
  releaseMessage(m);
  return out;
}

/**
 * RFC 1995 §4 incremental reply, one condensed difference: current SOA, the client's SOA, the
 * removed RRs, current SOA, the added RRs, current SOA.
 */
export function incrementalTransfer(head: ReplyHead, z: ZoneVersion, oldSoaRdata: Uint8Array,
  diff: { removed: RR[]; added: RR[] }, unpin: () => void): MessageStream {
  const w = new MessageWriter(head);
  const apex = Buffer.from(z.apex);
  const soa = soaBody(z);
  const oldSoa = soaBody(z, oldSoaRdata);
  let phase = 0, i = 0;
  const rrs = (list: RR[], add: (m: Buffer | null) => void): boolean => {
    for (const end = Math.min(i + RRS_PER_FILL, list.length); i < end; i++) {
      const e = encodeRR(list[i], z.ttl);
      if (e) add(w.add(e.owner, 0, e.owner.length, e.body, 0, e.body.length));
    }
    if (i < list.length) return false;
    i = 0;
    return true;
  };
  return streamOf(w, (add) => {
    switch (phase) {
      case 0: add(w.add(apex, 0, apex.length, soa, 0, soa.length)); add(w.add(apex, 0, apex.length, oldSoa, 0, oldSoa.length)); phase = 1; return true;
      case 1: if (rrs(diff.removed, add)) phase = 2; return true;
      case 2: add(w.add(apex, 0, apex.length, soa, 0, soa.length)); phase = 3; return true;
      case 3: if (rrs(diff.added, add)) phase = 4; return true;
      case 4: add(w.add(apex, 0, apex.length, soa, 0, soa.length)); phase = 5; return true;
      default: return false;
    }
  }, unpin);
}

const TYPE_PTR = 12;

/**
 * A reverse zone (PTRZones) whole: SOA, NS, every PTR record under its apex, SOA. Its records are
 * in the ReverseZone of the version served, which is immutable: nothing to pin.
 */
export function reverseTransfer(head: ReplyHead, z: ZoneVersion, rev: ReverseZone): MessageStream {
  const w = new MessageWriter(head);
  const records = rev.records;
  let i = 0;
  return wholeZone(w, z, (add) => {
    for (const end = Math.min(i + RRS_PER_FILL, records.length); i < end; i++) {
      const r = records[i];
      if (!inDomain(r.owner, z.apex)) continue;
      const owner = Buffer.from(r.owner.buffer, r.owner.byteOffset, r.owner.length);
      const body = rrBody(TYPE_PTR, z.ttl, r.target);
      add(w.add(owner, 0, owner.length, body, 0, body.length));
    }
    return i < records.length;
  }, () => {});
}
