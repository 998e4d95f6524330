// The top-level "leader" scan the state client's tests decode bodies with (moved out of
// src/state/fetch.ts, where the server never ran it: the build worker always passes its own parser).
import { stringEnd } from '../../src/state/json-bytes.js';
import type { DecodedState } from '../../src/state/fetch.js';

export type LeaderScan = { ok: true; leader: string } | { ok: false; error: string };

const QUOTE = 0x22, BACKSLASH = 0x5c, LBRACE = 0x7b, RBRACE = 0x7d, LBRACKET = 0x5b, RBRACKET = 0x5d;
const COMMA = 0x2c, COLON = 0x3a, SPACE = 0x20, TAB = 0x09, LF = 0x0a, CR = 0x0d, LETTER_N = 0x6e;

function isWs(c: number): boolean {
  return c === SPACE || c === LF || c === CR || c === TAB;
}

/** Is the key string buf[open..close] "leader", matched case-insensitively as Go's decoder does? */
function isLeaderKey(buf: Buffer, open: number, close: number): boolean {
  const len = close - open - 1;
  if (len === 6) {
    // Fast path: plain ASCII, compared with the case bit folded.
    const w = 'leader';
    for (let k = 0; k < 6; k++) if ((buf[open + 1 + k]! | 0x20) !== w.charCodeAt(k)) return false;
    return true;
  }
  const bs = len > 6 ? buf.indexOf(BACKSLASH, open + 1) : -1;
  if (bs >= 0 && bs < close) {
    try {
      return (JSON.parse(buf.toString('utf8', open, close + 1)) as string).toLowerCase() === 'leader';
    } catch {
      return false;
    }
  }
  return false;
}

/**
 * Finds the top-level `leader` string without building the document: strings are skipped with
 * native `indexOf`, so a 50 MB state takes well under 100 ms. Like Go's decoder, keys match
 * case-insensitively, the last occurrence wins, `null` leaves it unset and any other type is an
 * error. It also checks the outline (one object, brackets balanced, nothing after it), which catches
 * truncated and non-JSON bodies; full validation is the parser's job. Resumable, so that the async
 * entry point can yield to the event loop between slices and never stall DNS answers for long.
 */
class LeaderScanner {
  private i = 0;
  private depth = 0;
  private keyPos = false; // at depth 1, the next string is a key
  private valuePos = false; // at depth 1, just after a ':'
  private keyIsLeader = false;
  private leader: string | undefined;
  private badType = false;
  private started = false;

  constructor(private readonly buf: Buffer) {}

  /** Scan up to about `budget` more bytes; returns the verdict once there is one, else undefined. */
  step(budget: number): LeaderScan | undefined {
    const buf = this.buf;
    const n = buf.length;
    let i = this.i;
    if (!this.started) {
      this.started = true;
      while (i < n && isWs(buf[i]!)) i++;
      if (i >= n || buf[i] !== LBRACE) return { ok: false, error: 'state is not a JSON object' };
    }
    const stop = Math.min(n, i + budget);
    let depth = this.depth, keyPos = this.keyPos, valuePos = this.valuePos, keyIsLeader = this.keyIsLeader;
    for (; i < stop; i++) {
      const c = buf[i]!;
      if (valuePos && !isWs(c)) {
        valuePos = false;
        if (keyIsLeader) {
          if (c === QUOTE) {
            const end = stringEnd(buf, i);
            if (end < 0) return { ok: false, error: 'unterminated string in state' };
            try {
              this.leader = JSON.parse(buf.toString('utf8', i, end + 1)) as string;
            } catch {
              return { ok: false, error: 'invalid "leader" string in state' };
            }
            i = end;
            continue;
          }
          if (c !== LETTER_N) this.badType = true;
        }
      }
      switch (c) {
        case QUOTE: {
          const end = stringEnd(buf, i);
          if (end < 0) return { ok: false, error: 'unterminated string in state' };
          if (depth === 1 && keyPos) {
            keyIsLeader = isLeaderKey(buf, i, end);
            keyPos = false;
          }
          i = end;
          break;
        }
        case LBRACE:
        case LBRACKET:
          if (++depth === 1) keyPos = true;
          break;
        case RBRACE:
        case RBRACKET:
          if (--depth === 0) {
            for (i++; i < n; i++) if (!isWs(buf[i]!)) return { ok: false, error: 'unexpected data after the state object' };
            if (this.badType) return { ok: false, error: 'state "leader" is not a string' };
            return { ok: true, leader: this.leader ?? '' };
          }
          if (depth < 0) return { ok: false, error: 'unbalanced brackets in state' };
          break;
        case COMMA:
          if (depth === 1) keyPos = true;
          break;
        case COLON:
          if (depth === 1) valuePos = true;
          break;
        default:
          break;
      }
    }
    if (i >= n) return { ok: false, error: 'state ends before its closing brace (truncated?)' };
    this.i = i;
    this.depth = depth;
    this.keyPos = keyPos;
    this.valuePos = valuePos;
    this.keyIsLeader = keyIsLeader;
    return undefined;
  }
}

/** Synchronous scan of the whole body (see LeaderScanner). */
export function scanLeader(buf: Buffer): LeaderScan {
  const scanner = new LeaderScanner(buf);
  for (;;) {
    const verdict = scanner.step(Number.MAX_SAFE_INTEGER);
    if (verdict) return verdict;
  }
}

/** The same scan in slices of `sliceBytes`, yielding to the event loop between them. */
export async function scanLeaderAsync(buf: Buffer, sliceBytes = 2 * 1024 * 1024): Promise<LeaderScan> {
  const scanner = new LeaderScanner(buf);
  for (;;) {
    const verdict = scanner.step(sliceBytes);
    if (verdict) return verdict;
    await new Promise<void>((r) => setImmediate(r));
  }
}

/** A `decode` for createStateClient: the leader, or the scan's error. */
export async function scanDecode(body: Buffer): Promise<DecodedState> {
  const scan = await scanLeaderAsync(body);
  if (!scan.ok) throw new Error(scan.error);
  return { leader: scan.leader };
}
