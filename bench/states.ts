// The `states` section, once per state size: server start → first reply and first correct answer,
// master answered → first correct answer, five refreshes of churned variants (durations from the
// server's log), and RSS after them with the peak beside it.
import { StateGen } from './gen-state.js';
import { computeRecords } from './expect.js';
import { sampleQueries } from './check.js';
import { stop, cpuSeconds, memMiB, sleep } from './proc.js';
import type { StandInMaster } from '../src/demo/master.js';
import {
  NOISY, log, r1, median, cpuBusy, otherLoad, exitedEarly, refreshEvents, rotateOnRequest, makeVariants, waitFirstCorrect, mustBeCorrect, type Bench,
} from './harness.js';

export async function stateSize(b: Bench, master: StandInMaster, tasks: number): Promise<void> {
  const { O, rows, results, startServer } = b;
  const label = tasks >= 1000 ? `${tasks / 1000}k` : String(tasks);
  log(`states: generating ${label}-task state and 3 churned variants`);
  const gen = new StateGen({ tasks, seed: 1000 + tasks, leader: `master@${master.hostPort}` });
  const rs = computeRecords(gen.state, { masters: [master.hostPort] });
  const variants = makeVariants(gen, 4);
  const samples = sampleQueries(rs, O.samples);
  const rot = rotateOnRequest(master, variants);
  const busy0 = cpuBusy();
  const server = await startServer(master.hostPort, O.statesRefreshSeconds, `states-${tasks}`);
  try {
    const { firstReply, firstCorrect } = await waitFirstCorrect(server, rs, 180_000);
    const memFirst = memMiB(server.proc.pid);
    const otherFirst = otherLoad(busy0, cpuBusy(), cpuSeconds(server.proc.pid), (firstCorrect - server.startedAt) / 1000);
    const firstReq = rot.requestTimes[0] ?? NaN;
    await mustBeCorrect(server.port, rs, samples, `${label}-task state`);
    // Wait for 5 refreshes after the first load: from the log when the server logs them,
    // else by the master's request count (plus time for the last one to finish).
    const need = 6;
    const hardEnd = performance.now() + 5 * O.statesRefreshSeconds * 1000 + 5 * Math.max(5000, 4 * (firstCorrect - firstReq)) + 30_000;
    let memAfter = memFirst;
    let viaLog = false;
    while (performance.now() < hardEnd) {
      if (exitedEarly(server)) throw new Error(`server exited during refreshes; stderr tail:\n${server.proc.stderrLines.slice(-10).join('\n')}`);
      if (refreshEvents(server).length >= need) {
        viaLog = true;
        break;
      }
      if (server.refreshes.length === 0 && rot.requestTimes.length >= need + 1) break; // 7th request: the 6th load is done
      await sleep(20);
    }
    // RSS after the 5th refresh, once its worker has exited and before the next one starts (the
    // interval is longer than a refresh); the peak (VmHWM) shows what a refresh itself takes.
    await sleep(Math.min(1000, O.statesRefreshSeconds * 250));
    memAfter = memMiB(server.proc.pid);
    const cpuTotal = cpuSeconds(server.proc.pid);
    const otherAll = otherLoad(busy0, cpuBusy(), cpuTotal, (performance.now() - server.startedAt) / 1000);
    const ev = refreshEvents(server);
    const later = ev.slice(1, need).map((e) => e.durationMs);
    const res = {
      tasks,
      stateBytes: variants[0]!.length,
      startToFirstReplyMs: firstReply - server.startedAt,
      startToFirstCorrectMs: firstCorrect - server.startedAt,
      masterAnsweredToFirstCorrectMs: firstCorrect - firstReq,
      firstLoadLogMs: ev[0]?.durationMs ?? null,
      refreshMs: later,
      stagesMs: ev.slice(0, need).map((e) => e.stagesMs ?? null),
      refreshMedianMs: later.length ? median(later) : null,
      refreshMaxMs: later.length ? Math.max(...later) : null,
      refreshesObserved: viaLog ? ev.length : rot.requestTimes.length,
      rssFirstMiB: memFirst.rss,
      rssAfter5MiB: memAfter.rss,
      peakRssMiB: memAfter.hwm,
      serverCpuS: cpuTotal,
      otherLoadCore0UntilFirstAnswer: otherFirst,
      otherLoadCore0Overall: otherAll,
      logRecords: ev[0]?.records ?? null,
      logTasks: ev[0]?.tasks ?? null,
    };
    (results.states as unknown[]).push(res);
    const sec = `state ${label}`;
    rows.push({ section: sec, metric: `state.json size`, value: r1(res.stateBytes / 1e6), unit: 'MB' });
    rows.push({ section: sec, metric: `server start → first reply (any rcode)`, value: Math.round(res.startToFirstReplyMs), unit: 'ms' });
    rows.push({ section: sec, metric: `server start → first correct answer`, value: Math.round(res.startToFirstCorrectMs), unit: 'ms' });
    rows.push({
      section: sec,
      metric: `master answered → first correct answer`,
      value: Math.round(res.masterAnsweredToFirstCorrectMs),
      unit: 'ms',
      target: '≤ 1500 ms',
      pass: res.masterAnsweredToFirstCorrectMs <= 1500,
      noisy: otherFirst > NOISY,
    });
    rows.push({
      section: sec,
      metric: `refresh duration, median / max of 5 (log)`,
      value: res.refreshMaxMs === null ? 'n/a' : `${Math.round(res.refreshMedianMs!)} / ${Math.round(res.refreshMaxMs)}`,
      unit: 'ms',
      target: '≤ 2000 ms',
      pass: res.refreshMaxMs === null ? undefined : res.refreshMaxMs <= 2000,
      noisy: otherAll > NOISY,
    });
    rows.push({ section: sec, metric: `RSS after first load`, value: Math.round(res.rssFirstMiB), unit: 'MiB' });
    rows.push({ section: sec, metric: `RSS after 5 refreshes (peak)`, value: `${Math.round(res.rssAfter5MiB)} (${Math.round(res.peakRssMiB)})`, unit: 'MiB', target: '≤ 300 MiB', pass: res.rssAfter5MiB <= 300 });
  } finally {
    rot.stop();
    await stop(server.proc);
  }
}
