// GET /v1/watch?since=SERIAL: the zone's changes as newline-delimited JSON, one object per serial,
// so tools learn of a change at once instead of polling /v1/axfr (mesos-dns#283). A watcher whose
// serial is still in the journal gets the change sets since then; any other gets the whole zone
// first (streamed from one pinned version, name by name, as fast as it reads). Every line is
// rendered once, when its version is published, and shared by all watchers. Limits: a cap on
// watchers, and a per-watcher buffer bound: one that does not read is dropped, never buffered
// without end. A heartbeat line keeps idle connections (and the proxies between) alive.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ZoneImage } from '../zone/image.js';
import type { RR, RRType, ZoneChangeSet } from '../zone/changes.js';
import type { Logger } from '../log.js';
import type { Journal } from './journal.js';
import type { PinnableZone } from './transfer.js';
import { entryRecords, wireName } from './records.js';
import { serialGe } from './serial.js';

export interface WatchOptions {
  maxWatchers: number;
  /** Bytes a watcher may have waiting unwritten before it is dropped. */
  maxBufferBytes: number;
  heartbeatMs: number;
  log: Logger;
}

type Rec = { type: RRType; data: string };

interface Watcher { res: ServerResponse; dumping: boolean; queue: string[]; queued: number }

/** Bytes of the full zone written per step before yielding (and checking back-pressure). */
const DUMP_CHUNK = 64 * 1024;

/**
 * The feed line of one change set: names added (did not exist before), removed (exist no more,
 * with the records they had) and changed (with all their records now), read from the new image.
 */
export function changeLine(cs: ZoneChangeSet, image: ZoneImage): string {
  const byName = new Map<string, { added: RR[]; removed: RR[] }>();
  const of = (n: string) => byName.get(n) ?? byName.set(n, { added: [], removed: [] }).get(n)!;
  for (const r of cs.added) of(r.name).added.push(r);
  for (const r of cs.removed) of(r.name).removed.push(r);
  const added: Record<string, Rec[]> = {}, removed: Record<string, Rec[]> = {}, changed: Record<string, Rec[]> = {};
  for (const [name, d] of byName) {
    const e = image.findName(name);
    const now = e >= 0 ? entryRecords(image, e) : [];
    const before = now.length - d.added.length + d.removed.length;
    if (now.length === 0) removed[name] = d.removed.map(({ type, data }) => ({ type, data }));
    else if (before === 0) added[name] = now;
    else changed[name] = now;
  }
  return JSON.stringify({ serial: cs.toSerial, time: cs.time, added, removed, changed }) + '\n';
}

export class WatchHub {
  private readonly watchers = new Set<Watcher>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly current: () => PinnableZone | null, private readonly journal: Journal, private readonly o: WatchOptions) {
    this.timer = setInterval(() => this.heartbeat(), o.heartbeatMs);
    this.timer.unref();
  }

  get count(): number { return this.watchers.size; }

  /** A new version was published with this feed line (null: no change set; watchers get the whole zone again). */
  publish(line: string | null): void {
    for (const w of this.watchers) {
      if (line === null) { w.res.end(); continue; } // the chain broke: the client reconnects with its serial
      this.send(w, line);
    }
  }

  private send(w: Watcher, line: string): void {
    if (w.dumping) {
      w.queue.push(line);
      w.queued += line.length;
      if (w.queued > this.o.maxBufferBytes) this.drop(w);
      return;
    }
    w.res.write(line);
    if (w.res.writableLength > this.o.maxBufferBytes) this.drop(w);
  }

  private drop(w: Watcher): void {
    this.o.log.warn({ client: w.res.socket?.remoteAddress }, 'watch client not reading; dropped');
    this.watchers.delete(w);
    w.res.destroy();
  }

  private heartbeat(): void {
    const z = this.current();
    const line = JSON.stringify({ heartbeat: Date.now(), serial: z?.zone.serial ?? null }) + '\n';
    for (const w of this.watchers) if (!w.dumping) this.send(w, line);
  }

  /** Serve one watcher; `since` from the query string (null when absent). */
  handle(req: IncomingMessage, res: ServerResponse, since: number | null): number {
    if (this.watchers.size >= this.o.maxWatchers) {
      res.writeHead(503, { 'Content-Type': 'application/json' }).end('{"error":"too many watchers"}\n');
      return 503;
    }
    const z = this.current();
    if (!z) {
      res.writeHead(503, { 'Content-Type': 'application/json' }).end('{"error":"no state loaded yet"}\n');
      return 503;
    }
    res.writeHead(200, { 'Content-Type': 'application/x-ndjson', 'Cache-Control': 'no-cache' });
    const w: Watcher = { res, dumping: false, queue: [], queued: 0 };
    this.watchers.add(w);
    res.on('close', () => this.watchers.delete(w));
    const lines = since === null ? null : serialGe(since, z.zone.serial) ? [] : this.journal.linesSince(since);
    if (lines) { for (const l of lines) this.send(w, l); return 200; }
    w.dumping = true;
    void this.dump(w, z).catch((err) => { this.o.log.warn({ err: (err as Error).message }, 'watch dump failed'); res.destroy(); });
    return 200;
  }

  /** The whole zone of one pinned version as one line, written in chunks as the client reads. */
  private async dump(w: Watcher, z: PinnableZone): Promise<void> {
    const unpin = z.pin();
    const res = w.res;
    try {
      const image = z.zone.image;
      let chunk = `{"serial":${z.zone.serial},"time":${Date.now()},"full":true,"names":{`;
      let first = true;
      for (let i = 0; i < image.entryCount; i++) {
        const e = image.entryAt(i);
        if (!image.hasData(e)) continue;
        const name = wireName(image.nameWire(e), 0);
        chunk += (first ? '' : ',') + JSON.stringify(name) + ':' + JSON.stringify(entryRecords(image, e));
        first = false;
        if (chunk.length >= DUMP_CHUNK) {
          if (res.destroyed) return;
          const ok = res.write(chunk);
          chunk = '';
          await new Promise<void>((r) => (ok ? setImmediate(r) : onDrainOrClose(res, r)));
        }
      }
      if (res.destroyed) return;
      res.write(chunk + '}}\n');
    } finally {
      unpin();
    }
    w.dumping = false;
    const queued = w.queue;
    w.queue = []; w.queued = 0;
    for (const l of queued) this.send(w, l);
  }

  close(): void {
    clearInterval(this.timer);
    for (const w of this.watchers) w.res.destroy();
    this.watchers.clear();
  }
}

function onDrainOrClose(res: ServerResponse, done: () => void): void {
  const fire = () => { res.off('drain', fire); res.off('close', fire); done(); };
  res.on('drain', fire);
  res.on('close', fire);
}
