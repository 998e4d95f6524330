// Reading a master's response body within a size limit, gunzipping when needed, and giving the
// memory of a rejected one back at once (why: BODY_BLOCK below). Used for the state and for the
// IAM login answer.
import type { Dispatcher } from 'undici';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { freeNow } from '../memory.js';

/** Drop a body we will not read. The listener matters: undici reports the drop as an 'error' event. */
function discard(res: Dispatcher.ResponseData): void {
  res.body.on('error', () => {});
  res.body.destroy();
}

/**
 * Blocks a body of unknown length is collected in. 4 MiB: above glibc's mmap threshold as the
 * launcher sets it (1 MiB), so each block is its own mapping, and unpooled (allocUnsafeSlow), so
 * freeNow() hands it back to the system at once. Why: collected as the stream's 64 kB chunks, a
 * body rejected at the 512 MiB limit left RSS ~520 MiB higher for good (freed into malloc's heap,
 * never returned).
 */
const BODY_BLOCK = 4 * 1024 * 1024;

/** What was read of a body, in blocks of BODY_BLOCK bytes; released at once on failure. */
class BodyBlocks {
  private blocks: Buffer[] = [];
  private at = BODY_BLOCK; // fill of the last block
  size = 0;

  add(chunk: Buffer): void {
    let from = 0;
    while (from < chunk.length) {
      if (this.at === BODY_BLOCK) { this.blocks.push(Buffer.allocUnsafeSlow(BODY_BLOCK)); this.at = 0; }
      const n = chunk.copy(this.blocks[this.blocks.length - 1]!, this.at, from);
      this.at += n;
      from += n;
    }
    this.size += chunk.length;
  }

  /** The body as one buffer of its exact size; the blocks are released. */
  take(): Buffer {
    if (this.blocks.length === 1) { const b = this.blocks[0]!.subarray(0, this.size); this.blocks = []; return b; }
    const out = Buffer.allocUnsafeSlow(this.size);
    let at = 0;
    for (const b of this.blocks) at += b.copy(out, at, 0, Math.min(BODY_BLOCK, this.size - at));
    this.release();
    return out;
  }

  /** Give the memory back now, not at some later collection. */
  release(): void {
    const bufs = this.blocks.map((b) => b.buffer as ArrayBuffer);
    this.blocks = [];
    if (bufs.length > 0) freeNow(bufs);
  }
}

/** Collect a response body, gunzipping when needed and stopping at `limit` decoded bytes. */
export async function readBody(res: Dispatcher.ResponseData, limit: number): Promise<Buffer> {
  const len = Number(res.headers['content-length']);
  const enc = String(res.headers['content-encoding'] ?? '').trim().toLowerCase();
  if ((enc === '' || enc === 'identity') && Number.isFinite(len) && len > limit) {
    discard(res);
    throw new Error(`state body of ${len} bytes exceeds the limit of ${limit}`);
  }
  if ((enc === '' || enc === 'identity') && Number.isFinite(len) && len > 0) {
    // Known length: copy into one buffer as chunks arrive, instead of one big concat (a stall) at the end.
    const whole = Buffer.allocUnsafeSlow(len);
    let at = 0;
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        if (at + chunk.length > len) throw new Error(`state body longer than its Content-Length of ${len}`);
        chunk.copy(whole, at);
        at += chunk.length;
      }
      if (at !== len) throw new Error(`state body shorter (${at}) than its Content-Length of ${len}`);
    } catch (e) {
      discard(res);
      freeNow([whole.buffer as ArrayBuffer]);
      throw e;
    }
    return whole;
  }
  if (enc !== '' && enc !== 'identity' && enc !== 'gzip' && enc !== 'x-gzip') {
    discard(res);
    throw new Error(`unsupported Content-Encoding ${JSON.stringify(enc)}`);
  }
  const body = new BodyBlocks();
  // The limit's own error, reported as such: stopping the pipeline turns it into an abort.
  let over: Error | null = null;
  const sink = async (source: AsyncIterable<Buffer>): Promise<void> => {
    for await (const chunk of source) {
      if (body.size + chunk.length > limit) {
        over = new Error(`state body exceeds the limit of ${limit} bytes${enc === '' || enc === 'identity' ? '' : ' (decompressed)'}`);
        throw over;
      }
      body.add(chunk);
    }
  };
  try {
    if (enc === '' || enc === 'identity') await sink(res.body);
    else await pipeline(res.body as unknown as Readable, createGunzip({ chunkSize: 64 * 1024 }), sink);
  } catch (e) {
    discard(res); // stop reading at the limit: the connection goes, not the rest of the body
    body.release();
    throw over ?? e;
  }
  return body.take();
}
