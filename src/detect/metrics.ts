// Counters of leader detection, declared in one place; src/metrics/detect.ts exports them.
// Plain numbers: they change a few times a day, but they must not need the metrics library here.
export const detectMetrics = {
  /** 1 while a ZooKeeper session is connected. */
  zkConnected: 0,
  /** The leader named by ZooKeeper changed (a new address first in the list). */
  leaderChanges: 0,
  /** Times the static `masters` list was taken because ZooKeeper named no leader in time. */
  fallbacks: 0,
};
