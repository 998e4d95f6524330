// Host-name resolution for pids and framework host names that are not IP literals. The original
// resolved them inside its JSON decoder and failed the whole load on one bad name; we resolve them
// up front, concurrently, and let a failure give an empty list, so record generation stays pure.
//
// node:dns `lookup` (getaddrinfo, so /etc/hosts and nsswitch apply like Go's resolver) runs on
// libuv's small thread pool, which zlib and fs share, and cannot be cancelled. So a concurrency slot
// stays taken until the underlying lookup really ends, even after its per-name timeout has given
// that name an empty answer: abandoned lookups can never pile up and starve the pool.
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';

export type LookupFn = (name: string) => Promise<string[]>;

export interface ResolveOptions {
  /** Lookups in flight at once (default 2: half of libuv's default pool of 4). */
  concurrency?: number;
  /** Replaces the system lookup (tests). */
  lookup?: LookupFn;
}

const systemLookup: LookupFn = async (name) => (await dnsLookup(name, { all: true })).map((a) => a.address);

/**
 * Resolve every name to its addresses (A and AAAA, in the system's order, de-duplicated). IP literals
 * map to themselves, "" to nothing. Never throws: a failed or timed-out name maps to [].
 */
export async function resolveHosts(
  names: Iterable<string>,
  timeoutMs: number,
  opts: ResolveOptions = {},
): Promise<Map<string, string[]>> {
  const lookup = opts.lookup ?? systemLookup;
  const concurrency = Math.max(1, Math.floor(opts.concurrency ?? 2));
  const out = new Map<string, string[]>();
  const todo: string[] = [];
  for (const name of names) {
    if (out.has(name)) continue;
    if (name === '') out.set(name, []);
    else if (isIP(name)) out.set(name, [name]);
    else {
      out.set(name, []);
      todo.push(name);
    }
  }
  if (todo.length === 0) return out;

  return new Promise((resolveAll) => {
    let next = 0; // index of the next name to start
    let pending = todo.length; // names without an answer yet
    let running = 0; // lookups really in flight

    const answered = (): void => {
      if (--pending === 0) resolveAll(out);
    };
    const start = (): void => {
      while (running < concurrency && next < todo.length) {
        const name = todo[next++]!;
        running++;
        let done = false;
        const timer = setTimeout(() => {
          if (done) return;
          done = true;
          answered();
        }, Math.max(0, timeoutMs));
        let p: Promise<string[]>;
        try {
          p = lookup(name);
        } catch (e) {
          p = Promise.reject(e);
        }
        p.then(
          (addrs) => {
            if (done) return;
            out.set(name, [...new Set(addrs.filter((a) => typeof a === 'string' && a !== ''))]);
          },
          () => {},
        ).finally(() => {
          clearTimeout(timer);
          running--;
          if (!done) {
            done = true;
            answered();
          }
          start();
        });
      }
    };
    start();
  });
}
