// Moved to src/net/ (issue 12). This forwarding module only keeps branches written before the move
// compiling; import from ../net/{hostport,ip,cidr}.js. Removed once nothing imports it.
export { joinHostPort, parseHostPort, parsePort, splitHostPort, splitHostPortDetailed } from '../net/hostport.js';
export { ipFamily, normalizeIP } from '../net/ip.js';
export { parseCIDR } from '../net/cidr.js';
