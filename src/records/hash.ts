// The task hash and slave-id tail that make canonical task names unique ([B§6.4], [B§6.5]). They
// must equal the original's bit for bit, since clients address tasks by these names. Only the
// first 25 bits of the SHA-1 are ever used, so they are read straight from the first four digest
// bytes instead of z-base-32 encoding the whole digest. crypto.hash (one-shot, Node ≥ 20.12) avoids
// allocating a Hash object per task, which matters at 50k tasks per refresh, and its digest is
// taken as a 'binary' (latin1) string, one char per byte: a Buffer per task cost twice the time.
import { hash } from 'node:crypto';

const ZBASE32 = 'ybndrfg8ejkmcpqxot1uwisza345h769';

/** First 5 z-base-32 characters of SHA-1(taskID). */
export function taskHash(taskID: string): string {
  const d = hash('sha1', taskID, 'binary');
  const v = ((d.charCodeAt(0) << 24) | (d.charCodeAt(1) << 16) | (d.charCodeAt(2) << 8) | d.charCodeAt(3)) >>> 0;
  return (
    ZBASE32[(v >>> 27) & 31] +
    ZBASE32[(v >>> 22) & 31] +
    ZBASE32[(v >>> 17) & 31] +
    ZBASE32[(v >>> 12) & 31] +
    ZBASE32[(v >>> 7) & 31]
  );
}

/** Last '-'-separated piece of a slave id, lower-cased (not otherwise sanitised, as in the original). */
export function slaveIDTail(slaveID: string): string {
  return slaveID.slice(slaveID.lastIndexOf('-') + 1).toLowerCase();
}
