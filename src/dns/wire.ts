// Moved to src/wire/ (issue 12). This forwarding module only keeps branches written before the move
// compiling; import from ../wire/{constants,name,query,reply}.js. Removed once nothing imports it.
export * from '../wire/constants.js';
export * from '../wire/name.js';
export * from '../wire/query.js';
