// The Node.js runtime this process runs on, described once for the places that report it (the
// start-up log line, `-version`). Node 24 is the primary runtime; 20 and 22 still work. What
// differs between them is probed where it is used (dns/reuseport.ts), not guessed from here.
export const RUNTIME = `node ${process.version} ${process.platform}-${process.arch}`;
