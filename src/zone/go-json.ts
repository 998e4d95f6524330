// JSON the way the original's Go server writes it (json.MarshalIndent(v, " ", " ") with Go's
// HTML escaping), so that byte-comparing clients and scripts see the same bodies.
// It lives with zone/render.ts, which renders the big bodies in the build worker; http/ imports it from here.

/** Go `MarshalIndent(v, prefix=" ", indent=" ")`: every line after the first is prefixed by one space. */
export function goIndent(v: unknown): string {
  return goEscape(JSON.stringify(v, null, 1).replace(/\n/g, '\n '));
}

/** Go escapes <, >, & and the JS line separators inside strings; they can only occur inside strings. */
export function goEscape(json: string): string {
  return json.replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}
