// Shutting down in an order that loses no answer: every timer stops and nothing new is taken,
// forwarded queries in flight get their answer (or time out) while their sockets are still open,
// and only then does everything close, together.
import type { IntervalHistogram } from 'node:perf_hooks';
import type { Live } from './live.js';

export interface Stoppable {
  /** The state source's timers and the pending serial bump. */
  timers: { stop(): void }[];
  stopFdWatch(): void;
  loopDelay: IntervalHistogram | null;
}

export async function closeServer(s: Live, parts: Stoppable): Promise<void> {
  s.closed = true;
  s.shuttingDown = true;
  for (const t of parts.timers) t.stop();
  parts.stopFdWatch();
  parts.loopDelay?.disable();
  s.xfr.close();
  // No new queries; forwarded ones in flight get their answer (or time out) before the
  // sockets they must be sent on close.
  s.dns?.drain();
  s.pool?.drain();
  const until = Date.now() + (s.config.Timeout > 0 ? s.config.Timeout : 5) * 1000 + 100;
  while (s.forwarder && s.forwarder.inFlight > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  await Promise.allSettled([
    s.detector.close(), s.dns?.close(), s.pool?.close(), s.http?.close(), s.forwarder?.close(), s.builder.close(),
    ...s.retiredBuilders.map((b) => b.close()),
  ]);
}
