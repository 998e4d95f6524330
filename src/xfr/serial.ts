// Serial number arithmetic (RFC 1982, SERIAL_BITS = 32): secondaries compare serials this way,
// so a client's serial "ahead" of ours by wrap-around must be treated as ahead, as BIND does.

/** a < b in serial arithmetic; false when equal or when the distance is exactly 2^31 (undefined). */
export function serialLt(a: number, b: number): boolean {
  const x = a >>> 0, y = b >>> 0;
  return (x < y && y - x < 0x80000000) || (x > y && x - y > 0x80000000);
}

/** a ≥ b: the client is up to date. */
export function serialGe(a: number, b: number): boolean {
  return (a >>> 0) === (b >>> 0) || serialLt(b, a);
}
