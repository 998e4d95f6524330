// The SOA serial policy (NEXT.md §2.4): the serial changes only when the content does, at most
// once per second, and never goes down, across restarts too: a bump is max(previous + 1, Unix
// seconds), where the first `previous` can be handed in at start (the last serial served before a
// restart, kept with the last-good snapshot). Why at most once a second: with the event stream
// the content changes many times a second; bumping on each would run the serial ahead of the
// clock, and after a restart (serial = now) secondaries holding a higher serial would stop
// transferring until it caught up. Answers still change at once: a change within the second of the
// last bump keeps the serial, and the bump follows when the second is over (`dueIn`).

const MAX = 0xffffffff;

/** previous + 1 in 32-bit serial space, skipping 0 (RFC 1982 §7). */
function plusOne(s: number): number {
  return s >= MAX ? 1 : s + 1;
}

export class SerialPolicy {
  private value: number;
  /** Time (ms) of the last bump; -Infinity before the first. */
  private bumpedAt = -Infinity;
  private pending = false;

  /** `previous`: the last serial served (e.g. before a restart); the next bump exceeds it. */
  constructor(previous: number | undefined, private readonly now: () => number = Date.now) {
    this.value = previous !== undefined && Number.isInteger(previous) && previous >= 0 && previous <= MAX
      ? previous : Math.floor(this.now() / 1000);
  }

  /** The serial to serve now. */
  get current(): number { return this.value; }

  /** A bump was deferred: the content changed since the serial last moved. */
  get isPending(): boolean { return this.pending; }

  /**
   * The content changed: the serial for the new version. Bumped when the last bump is at least a
   * second old, else kept (and a bump is pending: call bump() after dueIn() ms).
   */
  changed(): number {
    if (this.now() - this.bumpedAt >= 1000) this.bump();
    else this.pending = true;
    return this.value;
  }

  /** Milliseconds until a pending bump may happen (0: now), or -1 when none is pending. */
  dueIn(): number {
    return this.pending ? Math.max(0, Math.ceil(this.bumpedAt + 1000 - this.now())) : -1;
  }

  /** Bump now: max(previous + 1, Unix seconds). */
  bump(): number {
    const t = this.now();
    const secs = Math.floor(t / 1000);
    this.value = secs > this.value && secs <= MAX ? secs : plusOne(this.value);
    this.bumpedAt = t;
    this.pending = false;
    return this.value;
  }
}
