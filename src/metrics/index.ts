// Declares every stage's series in the one registry (once per process) and exposes rendering.
import { enableDefaultMetrics } from './registry.js';
import { registerDnsMetrics } from './dns.js';
import { registerForwardMetrics } from './forward.js';
import { registerStateMetrics } from './state.js';
import { registerZoneMetrics } from './zone.js';
import { registerHttpMetrics } from './http.js';
import { registerXfrMetrics } from './xfr.js';

export { renderMetrics, wantsOpenMetrics, registry } from './registry.js';
export { setForwarder, setForwardCounters, type ForwarderView } from './forward.js';
export { setDnsCounters } from './dns.js';
export { setZoneInfo, type ZoneInfo } from './zone.js';
export { setXfr, setXfrCounters } from './xfr.js';

let done = false;
export function registerAllMetrics(): void {
  if (done) return;
  done = true;
  enableDefaultMetrics();
  registerDnsMetrics();
  registerForwardMetrics();
  registerStateMetrics();
  registerZoneMetrics();
  registerHttpMetrics();
  registerXfrMetrics();
}
