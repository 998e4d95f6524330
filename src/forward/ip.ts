// Moved to src/net/ (issue 12). This forwarding module only keeps branches written before the move
// compiling; import from ../net/{cidr,ip}.js. Removed once nothing imports it.
export { AllowList, parseCidr, type Cidr } from '../net/cidr.js';
export { ipBytes as parseIP, sameIP } from '../net/ip.js';
