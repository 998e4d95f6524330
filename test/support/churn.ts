// The stream's cluster model attached to a stand-in cluster (src/demo/cluster.ts): fed the
// SUBSCRIBED snapshot, then every event the cluster emits, as the subscriber feeds it; and random
// changes to drive it. Used by the property tests (stream-model, zone-incremental) and by
// bench/publish.ts, so it imports no test runner and reads no fixture: the bench builds it into dist/.
import type { DemoCluster } from '../../src/demo/cluster.js';
import { ClusterModel, TERMINAL } from '../../src/stream/model.js';
import { readSubscribed } from '../../src/stream/snapshot.js';

export function attach(c: DemoCluster): ClusterModel {
  const m = new ClusterModel();
  const snap = m.beginSnapshot(Date.now());
  readSubscribed(Buffer.from(JSON.stringify(c.subscribed(15))), snap.visitor);
  snap.end(600_000);
  m.setLeader(c.leader);
  m.setFrameworkPids(c.summary());
  c.subscribe((e) => {
    m.apply(JSON.parse(JSON.stringify(e)));
    if (m.needsPids) { m.needsPids = false; m.setFrameworkPids(c.summary()); } // the debounced state-summary read
  });
  return m;
}

/** A small deterministic PRNG (mulberry32), so a failing sequence can be replayed by its seed. */
export function rng(seed: number): () => number {
  return () => {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const STATES = ['TASK_RUNNING', 'TASK_STARTING', 'TASK_UNREACHABLE', 'TASK_RUNNING', 'TASK_FAILED', 'TASK_FINISHED'];

/**
 * Random changes to a stand-in cluster, one per step(): launches, kills, status changes (new IPs,
 * terminal states), agents added and removed, frameworks added, renamed and removed. `taskNames`
 * and `frameworkNames` are picked from (plus a fresh name each).
 */
export class RandomChurn {
  private agents = 0;
  private fws = 0;
  constructor(
    private readonly c: DemoCluster, private readonly rand: () => number, private readonly seed: number,
    private readonly taskNames = ['web', 'db', 'cache'], private readonly frameworkNames = ['marathon', 'chronos'],
  ) {}

  private pick<T>(xs: T[]): T { return xs[Math.floor(this.rand() * xs.length)]!; }

  step(step: number): void {
    const { c, rand, seed } = this;
    const pick = <T>(xs: T[]) => this.pick(xs);
    // Live tasks only: a terminal task (fake.json has some) never changes state again on a master.
    const ids = (): string[] => c.state['frameworks'].flatMap((f: any) => f.tasks.filter((x: any) => !TERMINAL.has(x.state)).map((x: any) => x.id));
    const op = rand();
    const fwIds: string[] = c.state['frameworks'].map((f: any) => f.id);
    const agentIds: string[] = c.state['slaves'].map((a: any) => a.id);
    if (op < 0.35 && fwIds.length && agentIds.length) {
      const nPorts = Math.floor(rand() * 3);
      c.launch({
        framework: pick(fwIds), agentId: pick(agentIds), name: pick([...this.taskNames, `t${step}`]),
        ip: rand() < 0.5 ? `10.1.${seed}.${step}` : rand() < 0.5 ? `fd00::${step + 1}` : undefined,
        ports: Array.from({ length: nPorts }, (_, i) => 30000 + step * 3 + i),
      });
    } else if (op < 0.5 && ids().length) c.kill(pick(ids()));
    else if (op < 0.7 && ids().length) c.setTaskState(pick(ids()), pick(STATES), rand() < 0.5 ? `10.2.${seed}.${step}` : undefined);
    else if (op < 0.77) c.addAgent({ id: `agent-${seed}-${this.agents++}`, hostname: `10.3.${seed}.${this.agents}` });
    else if (op < 0.82 && agentIds.length > 1) c.removeAgent(pick(agentIds));
    else if (op < 0.9) {
      const existing = rand() < 0.5 && fwIds.length;
      const id = existing ? pick(fwIds) : `fw-${seed}-${this.fws++}`;
      c.putFramework({ id, name: pick([...this.frameworkNames, `fw${this.fws}`]), hostname: pick(['localhost', '10.4.0.1', '']), ...(rand() < 0.7 ? { pid: `scheduler(1)@10.4.0.${step + 1}:${20000 + step}` } : {}) });
    } else if (fwIds.length > 1) c.removeFramework(pick(fwIds));
  }
}
