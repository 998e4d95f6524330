// Moved to src/net/ip.ts (issue 12). This forwarding module only keeps branches written before the
// move compiling. Removed once nothing imports it.
export { ipv4Text, ipv4Value, parseIP, type ParsedIP } from '../net/ip.js';
