// Moved to src/net/ip.ts (issue 12). This forwarding module only keeps branches written before the
// move compiling. Removed once nothing imports it.
export { bytesToIPv4, bytesToIPv6, ipv4ToBytes, ipv6ToBytes } from '../net/ip.js';
