// A small strict JSON parser that keeps what JSON.parse throws away and Go's encoding/json uses:
// object members in document order including duplicates (Go applies every member in turn, so the
// last spelling of a key wins even when spelled differently), and the literal text of numbers
// (Go rejects `60.0` or `6e1` for an int field and checks ranges on the exact integer).

export type JVal =
  | { t: 'obj'; entries: [string, JVal][] }
  | { t: 'arr'; items: JVal[] }
  | { t: 'str'; v: string }
  | { t: 'num'; raw: string }
  | { t: 'bool'; v: boolean }
  | { t: 'null' };

export class JSONSyntaxError extends Error {}

const MAX_DEPTH = 1000;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
const NUMBER = /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;

export function parseJSON(text: string): JVal {
  let i = 0;

  const where = (at: number): string => {
    let line = 1;
    let col = 1;
    for (let k = 0; k < at && k < text.length; k++) {
      if (text[k] === '\n') {
        line++;
        col = 1;
      } else col++;
    }
    return `line ${line}, column ${col}`;
  };
  const fail = (msg: string, at = i): never => {
    throw new JSONSyntaxError(`${msg} at ${where(at)}`);
  };
  const unexpected = (what: string): never =>
    i >= text.length ? fail('unexpected end of JSON input') : fail(`invalid character ${JSON.stringify(text[i])} ${what}`);
  const ws = (): void => {
    while (i < text.length) {
      const c = text[i];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') i++;
      else break;
    }
  };

  const str = (): string => {
    i++; // opening quote
    let out = '';
    let start = i;
    for (;;) {
      if (i >= text.length) fail('unexpected end of JSON input');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(start, i);
        i++;
        return out;
      }
      if (c < 0x20) fail('invalid control character in string literal');
      if (c !== 0x5c) {
        i++;
        continue;
      }
      out += text.slice(start, i);
      const e = text[i + 1];
      if (e !== undefined && Object.hasOwn(ESCAPES, e)) {
        out += ESCAPES[e];
        i += 2;
      } else if (e === 'u') {
        const hex = text.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('invalid \\u escape in string literal');
        out += String.fromCharCode(parseInt(hex, 16));
        i += 6;
      } else {
        fail('invalid escape in string literal');
      }
      start = i;
    }
  };

  /** An object's or array's items from its opening bracket past `close`, `item` reading each. */
  const list = (close: string, what: string, item: () => void): void => {
    i++;
    ws();
    if (text[i] === close) {
      i++;
      return;
    }
    for (;;) {
      ws();
      item();
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === close) {
        i++;
        return;
      }
      unexpected(what);
    }
  };

  const value = (depth: number): JVal => {
    if (depth > MAX_DEPTH) fail('exceeded max depth');
    ws();
    const c = text[i];
    if (c === '{') {
      const entries: [string, JVal][] = [];
      list('}', 'after object key:value pair', () => {
        if (text[i] !== '"') unexpected('looking for beginning of object key string');
        const k = str();
        ws();
        if (text[i] !== ':') unexpected('after object key');
        i++;
        entries.push([k, value(depth + 1)]);
      });
      return { t: 'obj', entries };
    }
    if (c === '[') {
      const items: JVal[] = [];
      list(']', 'after array element', () => items.push(value(depth + 1)));
      return { t: 'arr', items };
    }
    if (c === '"') return { t: 'str', v: str() };
    for (const [word, v] of [
      ['true', { t: 'bool', v: true }],
      ['false', { t: 'bool', v: false }],
      ['null', { t: 'null' }],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m) {
      i += m[0].length;
      return { t: 'num', raw: m[0] };
    }
    return unexpected('looking for beginning of value');
  };

  const v = value(0);
  ws();
  if (i < text.length) unexpected('after top-level value');
  return v;
}

/** Short description of a value for error messages: the literal for scalars, the kind otherwise. */
export function describe(v: JVal): string {
  switch (v.t) {
    case 'obj':
      return 'an object';
    case 'arr':
      return 'an array';
    case 'str':
      return `the string ${JSON.stringify(v.v)}`;
    case 'num':
      return `the number ${v.raw}`;
    case 'bool':
      return String(v.v);
    case 'null':
      return 'null';
  }
}
