// A diagnostic preload for the server the bench starts (`NODE_OPTIONS=--import=dist/bench/gclog.js`,
// used by `--xfr-trace=DIR`): every garbage collection of the main thread, as "epoch ms at its
// start, pause ms, kind" lines in BENCH_GC_LOG. Why not --trace-gc: its times count from the
// isolate's start, and the point is to lay the pauses beside loadgen's slow answers, which carry
// wall-clock times. Written in batches from an unref'd timer and at exit, never per collection.
import { PerformanceObserver, performance, constants } from 'node:perf_hooks';
import { appendFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

const file = process.env.BENCH_GC_LOG;
if (file && isMainThread) {
  const kinds: Record<number, string> = {
    [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
    [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
    [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
  };
  let lines: string[] = [];
  const flush = () => { if (lines.length) { appendFileSync(file, lines.join('\n') + '\n'); lines = []; } };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = ((e as { detail?: { kind?: number } }).detail)?.kind ?? -1;
      lines.push(`${(performance.timeOrigin + e.startTime).toFixed(3)} ${e.duration.toFixed(3)} ${kinds[kind] ?? kind}`);
    }
  }).observe({ entryTypes: ['gc'] });
  setInterval(flush, 1000).unref();
  process.on('exit', flush);
}
