// Reading the files a config names (the config itself, certificates, keys, the IAM file,
// resolv.conf): regular files only, up to a size limit. Why: readFileSync on `/dev/zero` or a FIFO
// reads (or waits) forever — `-config=/dev/zero` grew to 7.7 GiB in 24 s. The file is opened
// without blocking (a FIFO with no writer would hang the open itself), checked with fstat, and
// read up to its limit plus one byte, so a file that grows while read is caught too. Failures say
// what happened (no such file, permission denied, a directory, too large), for the caller to name
// the key.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { ConfigError } from './error.js';

/** A config file: a few kB even with long Masters and ZoneResolvers lists. */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

/** A PEM file (CA bundle, certificate chain, key): Mozilla's whole CA bundle is ~220 kB. */
export const MAX_PEM_FILE_BYTES = 4 * 1024 * 1024;

/** The IAM config (a uid, a key, a URL) and resolv.conf: a few kB. */
export const MAX_SMALL_FILE_BYTES = 1024 * 1024;

/** Why a file could not be read; `code` is the OS error code when there was one (ENOENT ...). */
export class FileReadError extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
  }
}

function kind(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'a directory',
  ENOTDIR: 'a path component is not a directory',
  ELOOP: 'too many symbolic links',
};

/** The contents of regular file `path`, at most `max` bytes; throws FileReadError. */
export function readBoundedFile(path: string, max: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FileReadError(code !== undefined && REASONS[code] ? REASONS[code] : (e as Error).message, code);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new FileReadError(`${kind(st)}, not a regular file`);
    if (st.size > max) throw new FileReadError(`${st.size} bytes, over the limit of ${max} bytes`);
    // up to the limit plus one byte whatever the size said: a file may grow while it is read
    const buf = Buffer.allocUnsafe(max + 1);
    let n = 0;
    for (;;) {
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
      if (n > max) throw new FileReadError(`over the limit of ${max} bytes`);
    }
    return buf.subarray(0, n);
  } catch (e) {
    if (e instanceof FileReadError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new FileReadError(code !== undefined && REASONS[code] ? REASONS[code] : (e as Error).message, code);
  } finally {
    closeSync(fd);
  }
}

/** A file named by config key `key` (a regular file of at most `max` bytes), or a ConfigError naming the key. */
export function readFileFor(key: string, path: string, max: number): string {
  try {
    return readBoundedFile(path, max).toString('utf8');
  } catch (e) {
    if (!(e instanceof FileReadError)) throw e;
    throw new ConfigError(key, `cannot read ${JSON.stringify(path)}: ${e.message}`);
  }
}
