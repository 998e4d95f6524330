// The last-good snapshot file (SnapshotFile): the zone image exactly as the answerer reads it,
// behind a small header. Why this form: at start the server can answer from it at once — no state
// to parse, no records to generate, just read, check and swap in — so a restart answers in well
// under a second whatever the master does (the original answered nothing until the master did).
// It is written by the build worker (off the answering thread), to a temp file that is fsynced and
// renamed over the old one, so a crash mid-write leaves the previous file whole. Anything wrong
// with a file (short, wrong version, other domain, checksum) makes readLastGood throw a
// LastGoodError, which the server logs and ignores: the snapshot is an optimisation, never fatal.
//
// Layout (little-endian):
//   0   8  magic "MDNSLAST"
//   8   4  format version (FORMAT)
//   12  4  offset of the image (header length, a multiple of 8)
//   16  32 SHA-256 of every byte from offset 48 to the end of the file
//   48  4  image length
//   52  4  SOA serial of this content (persisted: the serial never goes back across restarts)
//   56  8  time the data was loaded from a master (ms since the epoch, float64)
//   64  20 content hash (SHA-1 of the zone content, as computed by zone/build.ts)
//   84  2  domain length, then the domain (UTF-8), zero padding to the image offset
//   ... the zone image (zone/image.ts)
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readSync, renameSync, unlinkSync, writeSync, fstatSync } from 'node:fs';
import { dirname } from 'node:path';

const MAGIC = 'MDNSLAST';
export const FORMAT = 1;
const COVERED = 48;
const FIXED = 86;

export interface LastGood {
  /** Shared when answering threads run (threads/pool.ts). */
  image: ArrayBuffer | SharedArrayBuffer;
  serial: number;
  /** When the data was loaded from a master (ms since the epoch). */
  time: number;
  /** zone/build.ts contentHash (hex SHA-1). */
  contentHash: string;
  domain: string;
}

export class LastGoodError extends Error {}

function header(s: Omit<LastGood, 'image'>, imageLen: number): Buffer {
  const domain = Buffer.from(s.domain, 'utf8');
  const len = Math.ceil((FIXED + domain.length) / 8) * 8;
  const h = Buffer.alloc(len);
  h.write(MAGIC, 0, 'latin1');
  h.writeUInt32LE(FORMAT, 8);
  h.writeUInt32LE(len, 12);
  h.writeUInt32LE(imageLen, 48);
  h.writeUInt32LE(s.serial >>> 0, 52);
  h.writeDoubleLE(s.time, 56);
  Buffer.from(s.contentHash, 'hex').copy(h, 64, 0, 20);
  h.writeUInt16LE(domain.length, 84);
  domain.copy(h, FIXED);
  return h;
}

/** Write atomically: temp file in the same directory, fsync, rename, fsync the directory. */
export function writeLastGood(path: string, s: LastGood): void {
  // The image's own length (header field 5): a shared image may sit in a longer buffer (zone/spares.ts).
  const image = new Uint8Array(s.image, 0, new Uint32Array(s.image, 0, 6)[5]);
  const h = header(s, image.length);
  const sum = createHash('sha256').update(h.subarray(COVERED)).update(image).digest();
  sum.copy(h, 16);
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(fd, h);
    for (let off = 0; off < image.length;) off += writeSync(fd, image, off, Math.min(image.length - off, 8 << 20));
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
  try {
    const d = openSync(dirname(path), 'r');
    try { fsyncSync(d); } finally { closeSync(d); }
  } catch { /* a directory that cannot be opened for fsync: the rename is still atomic */ }
}

function readFully(fd: number, into: Uint8Array, pos: number): number {
  let got = 0;
  while (got < into.length) {
    const n = readSync(fd, into, got, into.length - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

/**
 * Read and check a snapshot for `domain`. null when the file does not exist; LastGoodError (with
 * the reason) when it exists and is unusable. The image comes back in its own ArrayBuffer.
 */
export function readLastGood(path: string, domain: string): LastGood | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new LastGoodError(`cannot open: ${(err as Error).message}`);
  }
  try {
    const size = fstatSync(fd).size;
    const fixed = Buffer.alloc(FIXED);
    if (readFully(fd, fixed, 0) < FIXED) throw new LastGoodError(`truncated: ${size} bytes`);
    if (fixed.toString('latin1', 0, 8) !== MAGIC) throw new LastGoodError('not a mesos-dns snapshot file');
    const version = fixed.readUInt32LE(8);
    if (version !== FORMAT) throw new LastGoodError(`format version ${version}, this build reads ${FORMAT}`);
    const hlen = fixed.readUInt32LE(12);
    const imageLen = fixed.readUInt32LE(48);
    const dlen = fixed.readUInt16LE(84);
    if (hlen < FIXED + dlen || hlen % 8 !== 0 || hlen > 4096) throw new LastGoodError('bad header length');
    if (size !== hlen + imageLen) throw new LastGoodError(`truncated or padded: ${size} bytes, header says ${hlen + imageLen}`);
    const h = Buffer.alloc(hlen);
    readFully(fd, h, 0);
    const image = new ArrayBuffer(imageLen);
    const view = new Uint8Array(image);
    if (readFully(fd, view, hlen) < imageLen) throw new LastGoodError('truncated image');
    const sum = createHash('sha256').update(h.subarray(COVERED)).update(view).digest();
    if (!sum.equals(h.subarray(16, 48))) throw new LastGoodError('checksum mismatch');
    const fileDomain = h.toString('utf8', FIXED, FIXED + dlen);
    if (fileDomain !== domain) throw new LastGoodError(`snapshot is for domain "${fileDomain}", not "${domain}"`);
    return {
      image,
      serial: h.readUInt32LE(52),
      time: h.readDoubleLE(56),
      contentHash: h.toString('hex', 64, 84),
      domain: fileDomain,
    };
  } finally {
    closeSync(fd);
  }
}
