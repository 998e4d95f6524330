// RecordIO, the framing of the Mesos v1 event stream (mesos:docs/recordio.md): `<size>\n<size
// bytes>`, repeated, no trailing LF. Parsed incrementally from the HTTP body's chunks, because
// proxies re-chunk freely: a record may be split at any byte, and one chunk may carry many
// records. Sizes count bytes, so this works on Buffers only, never strings. A record that fits in
// the chunk it starts in is handed out as a view of that chunk (no copy); a larger one (the
// SUBSCRIBED snapshot: 50-175 MB at 50k tasks) is copied once into a buffer of its announced size
// as its chunks arrive, never joined at the end. Everything the peer controls is bounded: the size
// line (at most 20 digits, as dcos-net bounds it) and the size itself (the state body limit).

/** The stream is not RecordIO, or breaks a limit: it must be dropped, not resynchronised. */
export class RecordIOError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordIOError';
  }
}

const LF = 0x0a;
/** A uint64 has at most 20 decimal digits. */
const MAX_SIZE_DIGITS = 20;

export class RecordIOParser {
  /** Digits of a size line not yet ended by its LF. */
  private sizeLine = '';
  /** The record being filled (its size is known), and how much of it has arrived. */
  private record: Buffer | null = null;
  private filled = 0;
  private failed: RecordIOError | null = null;
  /** Records handed out so far. */
  records = 0;

  constructor(private readonly maxRecordBytes: number, private readonly onRecord: (record: Buffer) => void) {}

  /** Feed one chunk; calls onRecord for every record it completes. Throws RecordIOError. */
  push(chunk: Uint8Array): void {
    if (this.failed) throw this.failed;
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const n = buf.length;
    let i = 0;
    while (i < n) {
      if (this.record !== null) {
        const take = Math.min(n - i, this.record.length - this.filled);
        buf.copy(this.record, this.filled, i, i + take);
        this.filled += take;
        i += take;
        if (this.filled === this.record.length) this.emit(this.record);
        continue;
      }
      const lf = buf.indexOf(LF, i);
      const end = lf < 0 ? n : lf;
      // Only digits may precede the LF; check them as they come, so a stream that is not RecordIO
      // (an HTML error page, say) fails at its first byte, not after buffering it.
      for (let k = i; k < end; k++) {
        const c = buf[k]!;
        if (c < 0x30 || c > 0x39) return this.fail(`size line holds ${describe(c)}, not a decimal digit`);
      }
      if (this.sizeLine.length + (end - i) > MAX_SIZE_DIGITS) return this.fail(`size line longer than ${MAX_SIZE_DIGITS} digits`);
      this.sizeLine += buf.toString('latin1', i, end);
      if (lf < 0) return;
      i = lf + 1;
      if (this.sizeLine === '') return this.fail('empty size line');
      const size = Number(this.sizeLine);
      this.sizeLine = '';
      if (size > this.maxRecordBytes) return this.fail(`record of ${size} bytes exceeds the limit of ${this.maxRecordBytes}`);
      if (n - i >= size) { // whole in this chunk: a view, no copy
        this.emit(buf.subarray(i, i + size));
        i += size;
      } else {
        this.record = Buffer.allocUnsafe(size);
        this.filled = 0;
      }
    }
  }

  /**
   * The stream ended: bytes of a record not yet complete (or of its size line) are dropped, and
   * their number returned so the caller can say so. Every whole record has been handed out.
   */
  end(): number {
    const partial = this.record !== null ? this.filled : this.sizeLine.length;
    this.record = null;
    this.filled = 0;
    this.sizeLine = '';
    return partial;
  }

  private emit(record: Buffer): void {
    this.record = null;
    this.filled = 0;
    this.records++;
    this.onRecord(record);
  }

  private fail(message: string): never {
    this.failed = new RecordIOError(`RecordIO: ${message} (after ${this.records} records)`);
    throw this.failed;
  }
}

function describe(c: number): string {
  return c >= 0x20 && c < 0x7f ? JSON.stringify(String.fromCharCode(c)) : `byte 0x${c.toString(16).padStart(2, '0')}`;
}

/** Frame one record (the stand-in master's writer, and tests). */
export function frameRecord(record: Uint8Array | string): Buffer {
  const data = typeof record === 'string' ? Buffer.from(record, 'utf8') : Buffer.from(record.buffer, record.byteOffset, record.byteLength);
  return Buffer.concat([Buffer.from(`${data.length}\n`, 'latin1'), data]);
}
