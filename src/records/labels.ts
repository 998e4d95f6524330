// DNS label sanitisers, reproducing the original's records/labels package character for character
// ([B§6.1]–[B§6.3]), including its odd cut rule that can leave a trailing dash: record names are the
// compatibility contract, so an "improved" sanitiser would silently rename services.
// Written as char-code loops: these run several times per task on every refresh.

/** A label sanitiser (RFC1123 or RFC952). */
export type LabelSpec = (label: string) => string;

const DASH = 0x2d;

/** [B§6.1]: A-Z → lower, a-z/0-9 kept, '-', '.', '_' → '-', everything else dropped. */
function mapChars(s: string): string {
  let out = '';
  let clean = true; // fast path: input already in the output alphabet
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === DASH) continue;
    clean = false;
    break;
  }
  if (clean) return s;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === DASH) out += s[i];
    else if (c >= 0x41 && c <= 0x5a) out += String.fromCharCode(c + 32);
    else if (c === 0x2e || c === 0x5f) out += '-';
    // anything else (space, '$', non-ASCII ...) is dropped
  }
  return out;
}

/**
 * [B§6.2] trim/cut on an already-mapped string. Only '-' is ever in a right cut-set, and the left
 * cut-set is '-' or '-' plus digits.
 */
function trimCut(s: string, max: number, leftDigits: boolean): string {
  let start = 0;
  while (start < s.length) {
    const c = s.charCodeAt(start);
    if (c === DASH || (leftDigits && c >= 0x30 && c <= 0x39)) start++;
    else break;
  }
  const len = s.length - start;
  const size = len < max ? len : max;
  let headEnd = start + size;
  while (headEnd > start && s.charCodeAt(headEnd - 1) === DASH) headEnd--;
  const headLen = headEnd - start;
  if (headLen === size) return start === 0 && size === s.length ? s : s.slice(start, start + size);
  // Something was cut from the head: borrow from the tail, after its leading dashes.
  let tailStart = start + size;
  while (tailStart < s.length && s.charCodeAt(tailStart) === DASH) tailStart++;
  const tailLen = s.length - tailStart;
  const head = s.slice(start, headEnd);
  if (tailLen === 0) return head;
  const take = Math.min(tailLen, size - headLen);
  return head + s.slice(tailStart, tailStart + take);
}

/** RFC1123 label: at most 63 chars, no leading or trailing dash (see the trailing-dash quirk). */
export function rfc1123(label: string): string {
  return trimCut(mapChars(label), 63, false);
}

/** RFC952 label: at most 24 chars, starts with a letter, no trailing dash (quirk aside). */
export function rfc952(label: string): string {
  return trimCut(mapChars(label), 24, true);
}

/** [B§6.3]: sanitise each '.'-separated piece, drop the empty ones, rejoin with '.'. */
export function domainFrag(name: string, spec: LabelSpec): string {
  let out = '';
  let from = 0;
  for (;;) {
    const dot = name.indexOf('.', from);
    const piece = spec(dot < 0 ? name.slice(from) : name.slice(from, dot));
    if (piece !== '') out = out === '' ? piece : out + '.' + piece;
    if (dot < 0) return out;
    from = dot + 1;
  }
}

export function labelSpec(enforceRFC952: boolean): LabelSpec {
  return enforceRFC952 ? rfc952 : rfc1123;
}

/** The longest a DNS label may be, in octets (RFC 1035 §2.3.4). */
export const MAX_LABEL = 63;

/**
 * `name` with its last label cut so that, followed by `suffix` more octets in the same label, it
 * fits MAX_LABEL: the `<task>-<hash>-<agent>` label (README "Names", decision on long task names).
 * The name as is when it fits, or when even an empty task part would not (`room` below 1).
 */
export function fitLast(name: string, suffix: number): string {
  const dot = name.lastIndexOf('.');
  const room = MAX_LABEL - suffix;
  if (name.length - dot - 1 <= room || room < 1) return name;
  return name.slice(0, dot + 1 + room);
}

/** `name` with its first label cut so that, after `prefix` octets in the same label, it fits MAX_LABEL (`_<task>`). */
export function fitFirst(name: string, prefix: number): string {
  const dot = name.indexOf('.');
  const first = dot < 0 ? name.length : dot;
  const room = MAX_LABEL - prefix;
  if (first <= room) return name;
  return name.slice(0, room) + name.slice(first);
}
