// Moved to src/config/zkurl.ts (issue 12). This forwarding module only keeps branches written before
// the move compiling. Removed once nothing imports it.
export * from '../config/zkurl.js';
