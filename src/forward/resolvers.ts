// Which resolvers a name goes to, and in what order. Resolvers are tried in configured order (as
// in the original), but one that keeps failing is moved to the back for a while (exponential
// backoff) so that clients stop paying its timeout on every query; when the backoff ends a single
// query probes it again. A resolver that is down is still tried as a last resort, so a lone
// resolver's backoff never turns into instant SERVFAILs. Health is per resolver address and shared
// between the default list and zone lists that name the same server.
import type { Logger } from '../log.js';
import { parseTarget, type Target } from '../net/hostport.js';
import { createUpstreamStats, type UpstreamStats } from './metrics.js';
import { nameToWire } from '../wire/name.js';

/** The resolvers for a name, and the zone they were chosen for: their replies' bailiwick (bailiwick.ts). */
export interface Route {
  /** Lower-case wire name; the root for the default resolvers. */
  zone: Buffer;
  list: Upstream[];
}

export interface HealthPolicy {
  /** Consecutive failures (timeouts, errors) that mark a resolver down. */
  failThreshold: number;
  backoffMs: number;
  maxBackoffMs: number;
}

export class Upstream {
  private fails = 0;
  private downUntil = 0;
  private backoff = 0;
  private probing = false;
  /** Its counters, read by /metrics (label `to`). */
  readonly stats: UpstreamStats = createUpstreamStats();
  constructor(
    readonly target: Target,
    private readonly policy: HealthPolicy,
    private readonly log: Logger,
  ) {}

  /** Not down, or down with its backoff over and nobody probing it yet. */
  available(now: number): boolean {
    if (this.fails < this.policy.failThreshold) return true;
    return now >= this.downUntil && !this.probing;
  }
  /** A query is being sent to it; if it is down, this query is the probe. */
  begin(now: number): void {
    if (this.fails >= this.policy.failThreshold && now >= this.downUntil) this.probing = true;
  }
  success(): void {
    if (this.fails >= this.policy.failThreshold) this.log.info({ resolver: this.target.key }, 'resolver answers again');
    this.fails = 0;
    this.backoff = 0;
    this.probing = false;
  }
  failure(now: number): void {
    this.fails++;
    this.probing = false;
    if (this.fails < this.policy.failThreshold) return;
    const first = this.backoff === 0;
    this.backoff = first ? this.policy.backoffMs : Math.min(this.backoff * 2, this.policy.maxBackoffMs);
    this.downUntil = now + this.backoff;
    if (first) this.log.warn({ resolver: this.target.key, backoffMs: this.backoff }, 'resolver not answering; using it only as a last resort');
  }
  /** The query it was probing with ended without a verdict (another resolver answered first). */
  release(): void {
    this.probing = false;
  }
  get down(): boolean {
    return this.fails >= this.policy.failThreshold;
  }
}

export class ResolverSet {
  private readonly byKey = new Map<string, Upstream>();
  /** Resolvers for names no zone list matches. */
  readonly defaults: Upstream[];
  readonly defaultRoute: Route;
  /** Zone (lower-case, no dots at the ends) → resolvers. */
  private readonly zones = new Map<string, Route>();

  /** Throws Error naming the bad entry; `resolvers`/`zoneResolvers` as in the config. */
  constructor(resolvers: readonly string[], zoneResolvers: Record<string, readonly string[]>, policy: HealthPolicy, log: Logger) {
    const get = (s: string): Upstream => {
      const t = parseTarget(s);
      let u = this.byKey.get(t.key);
      if (!u) {
        u = new Upstream(t, policy, log);
        this.byKey.set(t.key, u);
      }
      return u;
    };
    this.defaults = unique(resolvers.map(get));
    this.defaultRoute = { zone: Buffer.from([0]), list: this.defaults };
    for (const [zone, list] of Object.entries(zoneResolvers ?? {})) {
      const z = zone.toLowerCase().replace(/^\.+|\.+$/g, '');
      const wire = nameToWire(z);
      if (!wire) throw new Error(`zone ${JSON.stringify(zone)} is not a domain name`);
      this.zones.set(z, { zone: Buffer.from(wire), list: unique((list ?? []).map(get)) });
    }
  }

  /** Every distinct resolver (default and zone lists), for the metrics. */
  all(): Upstream[] {
    return [...this.byKey.values()];
  }

  /** Whether any ZoneResolvers are configured (otherwise every name goes to `defaults`). */
  get zoned(): boolean {
    return this.zones.size > 0;
  }

  /** Resolvers for a name (lower-case, no trailing dot): the longest matching zone, else the defaults. */
  select(name: string): Route {
    if (this.zones.size > 0) {
      let n = name;
      for (;;) {
        const hit = this.zones.get(n);
        if (hit) return hit;
        const dot = n.indexOf('.');
        if (dot < 0) break;
        n = n.slice(dot + 1);
      }
      const root = this.zones.get('');
      if (root) return root;
    }
    return this.defaultRoute;
  }

  /** Available resolvers in configured order, then the ones that are down (last resort). */
  order(list: Upstream[], now: number): Upstream[] {
    let allUp = true;
    for (const u of list) if (!u.available(now)) allUp = false;
    if (allUp) return list;
    return [...list.filter((u) => u.available(now)), ...list.filter((u) => !u.available(now))];
  }
}

function unique(list: Upstream[]): Upstream[] {
  return [...new Set(list)];
}
