// Reading JSON straight from its bytes, without building the document (why: state/scan.ts's
// header). JsonBytes is the cursor and the grammar of JSON itself: whitespace, strings, numbers,
// literals, object keys matched against a list of byte strings, and stepping over any value with
// its syntax checked; state/scan.ts extends it with the grammar of a Mesos state. stringEnd is the
// quote-to-quote jump the event stream's snapshot reader (stream/snapshot.ts) uses.
//
// Two ways out, both preallocated (thrown often enough on odd states that building a stack each
// time would show, and never escaping the scanner): IRREGULAR, valid JSON in a shape the fast path
// does not take (the caller decodes that entity the slow, exact way), and SYNTAX, not JSON at all.
import { MAX_NAME_CHARS } from './limits.js';

const QUOTE = 0x22, BACKSLASH = 0x5c;

/** Buffer's native slicers (untyped in @types/node): no argument checks, no encoding lookup. */
export type Bytes = Buffer & { latin1Slice(start: number, end: number): string; utf8Slice(start: number, end: number): string };

/** Valid JSON, but not the common shape: decode this entity the slow, exact way. */
export class Irregular extends Error {}
/** Not JSON: the whole body goes to JSON.parse, for its verdict and message. */
export class Syntax extends Error {}
export const IRREGULAR = new Irregular('irregular entity');
export const SYNTAX = new Syntax('not JSON');

export const enc = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
/** key()'s answer for an unknown key: step over its value. */
export const OTHER = -1;

const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
const TRUE = enc('true');
const FALSE = enc('false');
const NULL = enc('null');

function lowerASCII(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);
}

/** Index of the quote closing the string that opens at `open`, or -1. Jumps quote to quote natively. */
export function stringEnd(buf: Buffer, open: number): number {
  let j = buf.indexOf(QUOTE, open + 1);
  while (j >= 0) {
    let bs = 0;
    for (let k = j - 1; k > open && buf[k] === BACKSLASH; k--) bs++;
    if ((bs & 1) === 0) return j;
    j = buf.indexOf(QUOTE, j + 1);
  }
  return -1;
}

/** A cursor over JSON bytes; subclasses add the grammar of the document they read. */
export class JsonBytes {
  protected p = 0;
  protected readonly n: number;
  /** Container stack of skipValue (1 = object, 2 = array), grown on demand. */
  private stack = new Uint8Array(64);

  constructor(protected readonly b: Bytes) {
    this.n = b.length;
  }

  // ---------- typed values of the fast path (a null or another type is IRREGULAR) ----------

  /** At an object: step into it. */
  protected open(): void {
    this.ws();
    if (this.b[this.p] !== 0x7b) throw IRREGULAR;
    this.p++;
  }

  /** At an object or null: true (and stepped over) for null, else step into the object. */
  protected nullable(): boolean {
    this.ws();
    const c = this.b[this.p];
    if (c === 0x6e) { this.lit(NULL); return true; }
    if (c !== 0x7b) throw IRREGULAR;
    this.p++;
    return false;
  }

  /**
   * At an array (or null, read as empty): true when an element follows; read it, then more().
   * Explicit loops rather than a callback per array: no closure allocated per task.
   */
  protected elements(): boolean {
    this.ws();
    const c = this.b[this.p];
    if (c === 0x6e) { this.lit(NULL); return false; }
    if (c !== 0x5b) throw IRREGULAR;
    this.p++;
    this.ws();
    if (this.b[this.p] === 0x5d) { this.p++; return false; }
    return true;
  }

  /** After an element: true when another follows (',' consumed), false at ']'. */
  protected more(): boolean {
    return this.nextMember(0x5d);
  }

  /** A string (null: ""); one over `max` characters (limits.ts) is IRREGULAR: parse.ts words it. */
  protected str(max = MAX_NAME_CHARS): string {
    this.ws();
    const c = this.b[this.p];
    if (c === 0x22) {
      const s = this.string();
      if (s.length > max) throw IRREGULAR;
      return s;
    }
    if (c === 0x6e) { this.lit(NULL); return ''; }
    throw IRREGULAR;
  }

  /** In a list's loop, after an element was added: true while `list` may take another (limits.ts). */
  protected under(list: unknown[], max: number): boolean {
    if (list.length >= max) throw IRREGULAR;
    return true;
  }

  /** A number (null: 0). */
  protected num(): number {
    this.ws();
    const c = this.b[this.p];
    if (c === 0x6e) { this.lit(NULL); return 0; }
    if (c !== 0x2d && (c < 0x30 || c > 0x39)) throw IRREGULAR;
    const s = this.p;
    this.number();
    // [-]digits[.digits] below 2^53 as an integer: that integer over an exact power of ten is
    // one correctly rounded division, the same double Number() gives, without a string.
    const b = this.b;
    let i = s;
    const neg = b[i] === 0x2d;
    if (neg) i++;
    let m = 0;
    let frac = -1;
    for (; i < this.p; i++) {
      const d = b[i];
      if (d === 0x2e) { frac = 0; continue; }
      if (d > 0x39) return Number(b.latin1Slice(s, this.p)); // an exponent
      m = m * 10 + (d - 0x30);
      if (frac >= 0) frac++;
    }
    if (m > Number.MAX_SAFE_INTEGER || frac > 22) return Number(b.latin1Slice(s, this.p));
    const v = frac > 0 ? m / POW10[frac] : m;
    return neg ? -v : v;
  }

  // ---------- keys ----------

  /** After '{': true when a member follows, false when the object is empty (and closed). */
  protected firstKey(close: number): boolean {
    this.ws();
    if (this.b[this.p] === close) { this.p++; return false; }
    return true;
  }

  /** After a member: true when another follows (',' consumed), false at the close. */
  protected nextMember(close: number): boolean {
    this.ws();
    const c = this.b[this.p++];
    if (c === 0x2c) return true;
    if (c === close) return false;
    throw SYNTAX;
  }

  /** key() for an entity of the fast path: a case variant or a repeated key is IRREGULAR. */
  protected known(keys: Uint8Array[], seen: number): number {
    const k = this.key(keys);
    if (k === OTHER) return OTHER;
    if (k < 0 || (seen & (1 << k)) !== 0) throw IRREGULAR;
    return k;
  }

  /**
   * Reads `"key":` and says which of `keys` it is (its index), OTHER for a key we do not read,
   * or -2 for a key that may match one of them loosely (a case variant, an escape, non-ASCII:
   * parse.ts's field() matching decides those). Its scan to the closing quote is string()'s,
   * written out again: both are the lexer's innermost byte loop, where a shared one would cost a
   * call or a callback per byte.
   */
  protected key(keys: Uint8Array[]): number {
    this.ws();
    const b = this.b;
    if (b[this.p] !== 0x22) throw SYNTAX;
    const s = this.p + 1;
    let e = s;
    let odd = 0;
    for (;;) {
      if (e >= this.n) throw SYNTAX;
      const c = b[e];
      if (c === 0x22) break;
      if (c === 0x5c || c >= 0x80 || c < 0x20) odd = 1;
      if (c === 0x5c) e++;
      e++;
    }
    const len = e - s;
    let r = OTHER;
    if (odd !== 0) {
      this.p = s - 1;
      this.skipString();
      r = -2;
    } else {
      this.p = e + 1;
      for (let i = 0; i < keys.length; i++) {
        const w = keys[i];
        if (w.length !== len) continue;
        let j = 0;
        while (j < len && b[s + j] === w[j]) j++;
        if (j === len) { r = i; break; }
        j = 0;
        while (j < len && lowerASCII(b[s + j]) === w[j]) j++; // w is lower case: a case variant?
        if (j === len) r = -2;
      }
    }
    this.ws();
    if (b[this.p] !== 0x3a) throw SYNTAX;
    this.p++;
    this.ws();
    return r;
  }

  // ---------- JSON syntax ----------

  protected ws(): void {
    const b = this.b;
    let p = this.p;
    for (;;) {
      const c = b[p];
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      p++;
    }
    this.p = p;
  }

  protected peek(): number {
    this.ws();
    return this.b[this.p];
  }

  /** After the top-level value: only whitespace may follow. */
  protected end(): void {
    this.ws();
    if (this.p !== this.n) throw SYNTAX;
  }

  /** The string at the cursor, decoded as JSON.parse would. */
  protected string(): string {
    const b = this.b;
    const s = this.p + 1;
    let e = s;
    let hi = 0;
    for (;;) {
      if (e >= this.n) throw SYNTAX;
      const c = b[e];
      if (c === 0x22) break;
      if (c === 0x5c || c < 0x20) {
        // escapes (rare in a state): let JSON.parse decode this one string
        const start = this.p;
        this.skipString();
        return JSON.parse(b.utf8Slice(start, this.p)) as string;
      }
      hi |= c;
      e++;
    }
    this.p = e + 1;
    return hi < 0x80 ? b.latin1Slice(s, e) : b.utf8Slice(s, e);
  }

  protected skipString(): void {
    const b = this.b;
    let p = this.p + 1;
    for (;;) {
      if (p >= this.n) throw SYNTAX;
      const c = b[p];
      if (c === 0x22) break;
      if (c < 0x20) throw SYNTAX;
      if (c === 0x5c) {
        const x = b[p + 1];
        if (x === 0x75) {
          for (let i = 2; i < 6; i++) if (!isHex(b[p + i])) throw SYNTAX;
          p += 6;
          continue;
        }
        if (x !== 0x22 && x !== 0x5c && x !== 0x2f && x !== 0x62 && x !== 0x66 && x !== 0x6e && x !== 0x72 && x !== 0x74) throw SYNTAX;
        p += 2;
        continue;
      }
      p++;
    }
    this.p = p + 1;
  }

  /** A JSON number at the cursor (RFC 8259 grammar), stepped over. */
  protected number(): void {
    const b = this.b;
    let p = this.p;
    if (b[p] === 0x2d) p++;
    if (b[p] === 0x30) p++;
    else if (b[p] >= 0x31 && b[p] <= 0x39) { p++; while (b[p] >= 0x30 && b[p] <= 0x39) p++; }
    else throw SYNTAX;
    if (b[p] === 0x2e) {
      p++;
      if (!(b[p] >= 0x30 && b[p] <= 0x39)) throw SYNTAX;
      while (b[p] >= 0x30 && b[p] <= 0x39) p++;
    }
    if (b[p] === 0x65 || b[p] === 0x45) {
      p++;
      if (b[p] === 0x2b || b[p] === 0x2d) p++;
      if (!(b[p] >= 0x30 && b[p] <= 0x39)) throw SYNTAX;
      while (b[p] >= 0x30 && b[p] <= 0x39) p++;
    }
    this.p = p;
  }

  protected lit(w: Uint8Array): void {
    const b = this.b;
    for (let i = 0; i < w.length; i++) if (b[this.p + i] !== w[i]) throw SYNTAX;
    this.p += w.length;
  }

  /** Step over any value, checking its syntax. Iterative: nesting depth cannot overflow the stack. */
  protected skipValue(): void {
    const b = this.b;
    let depth = 0;
    for (;;) {
      // a value
      this.ws();
      const c = b[this.p];
      if (c === 0x22) this.skipString();
      else if (c === 0x7b || c === 0x5b) {
        this.p++;
        this.ws();
        if (b[this.p] === c + 2) { this.p++; } // {} or []
        else {
          if (depth === this.stack.length) { const s = new Uint8Array(depth * 2); s.set(this.stack); this.stack = s; }
          this.stack[depth++] = c === 0x7b ? 1 : 2;
          if (c === 0x7b) this.memberKey();
          continue;
        }
      } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) this.number();
      else if (c === 0x74) this.lit(TRUE);
      else if (c === 0x66) this.lit(FALSE);
      else if (c === 0x6e) this.lit(NULL);
      else throw SYNTAX;
      // after a value: close containers or go on to the next element
      for (;;) {
        if (depth === 0) return;
        this.ws();
        const d = b[this.p++];
        const inObject = this.stack[depth - 1] === 1;
        if (d === 0x2c) { if (inObject) this.memberKey(); break; }
        if (d === (inObject ? 0x7d : 0x5d)) { depth--; continue; }
        throw SYNTAX;
      }
    }
  }

  /** `"key":` inside a skipped object. */
  protected memberKey(): void {
    this.ws();
    if (this.b[this.p] !== 0x22) throw SYNTAX;
    this.skipString();
    this.ws();
    if (this.b[this.p] !== 0x3a) throw SYNTAX;
    this.p++;
  }
}
