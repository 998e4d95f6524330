// The cache of forwarded answers: least recently used first out, bounded by entries and by bytes.
// A Map from key to entry plus a doubly linked list through the entries: a hit is one Map lookup
// and a few pointer moves. (lru-cache did the same work with more bookkeeping, about 3% of a hit's
// CPU time.)

interface Entry<V> {
  key: string;
  value: V;
  size: number;
  /** Towards the least recently used end, and towards the most recently used end. */
  older: Entry<V> | null;
  newer: Entry<V> | null;
}

export class LruCache<V> {
  private readonly map = new Map<string, Entry<V>>();
  private oldest: Entry<V> | null = null;
  private newest: Entry<V> | null = null;
  private bytes = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxBytes: number,
  ) {}

  get size(): number {
    return this.map.size;
  }
  get calculatedSize(): number {
    return this.bytes;
  }

  /** The value, now the most recently used one. */
  get(key: string): V | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (e !== this.newest) {
      this.unlink(e);
      this.link(e);
    }
    return e.value;
  }

  /** Stores a value of `size` bytes (one larger than the whole byte bound is not stored). */
  set(key: string, value: V, size: number): void {
    this.delete(key);
    if (size > this.maxBytes) return;
    const e: Entry<V> = { key, value, size, older: null, newer: null };
    this.map.set(key, e);
    this.link(e);
    this.bytes += size;
    while (this.oldest && (this.map.size > this.maxEntries || this.bytes > this.maxBytes)) this.delete(this.oldest.key);
  }

  delete(key: string): void {
    const e = this.map.get(key);
    if (!e) return;
    this.map.delete(key);
    this.unlink(e);
    this.bytes -= e.size;
  }

  clear(): void {
    this.map.clear();
    this.oldest = this.newest = null;
    this.bytes = 0;
  }

  private link(e: Entry<V>): void {
    e.older = this.newest;
    e.newer = null;
    if (this.newest) this.newest.newer = e;
    else this.oldest = e;
    this.newest = e;
  }
  private unlink(e: Entry<V>): void {
    if (e.older) e.older.newer = e.newer;
    else this.oldest = e.newer;
    if (e.newer) e.newer.older = e.older;
    else this.newest = e.older;
    e.older = e.newer = null;
  }
}
