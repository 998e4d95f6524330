// The state source's series (leader detection, polling or the event stream, and what the last
// load skipped), read from state/metrics.ts and detect/metrics.ts at scrape time.
import { stateMetrics as s } from '../state/metrics.js';
import { detectMetrics as d } from '../detect/metrics.js';
import { counterFrom, gaugeFrom, type Labels } from './registry.js';

function* byKey(key: string, map: Map<string, number>): Iterable<[Labels, number]> {
  for (const [k, v] of map) yield [{ [key]: k }, v];
}

export function registerStateMetrics(): void {
  gaugeFrom('mesos_dns_state_last_success_timestamp_seconds', 'Unix time of the last state load that produced a zone (0: none yet).', [], () => [[{}, s.lastSuccess]]);
  gaugeFrom('mesos_dns_state_load_duration_seconds', 'How long the last successful state load took (fetch to zone swap).', [], () => [[{}, s.lastDurationSeconds]]);
  counterFrom('mesos_dns_state_loads_total', 'Successful state loads.', [], () => [[{}, s.loads]]);
  counterFrom('mesos_dns_state_failures_total', 'Failed state loads by reason (unreachable, rejected, worker, other).', ['reason'], () => byKey('reason', s.failures));
  counterFrom('mesos_dns_state_received_bytes_total', 'State bytes received from masters.', [], () => [[{}, s.bytes]]);
  counterFrom('mesos_dns_mesos_events_total', 'Events received on the master event stream, by type.', ['type'], () => byKey('type', s.events));
  gaugeFrom('mesos_dns_mesos_stream_connected', '1 while subscribed to the master event stream.', [], () => [[{}, s.streamConnected]]);
  counterFrom('mesos_dns_mesos_stream_reconnects_total', 'Re-subscriptions to the master event stream.', [], () => [[{}, s.reconnects]]);
  gaugeFrom('mesos_dns_mesos_stream_recovering_agents', 'Agents served from before a master failover that have not re-registered yet.', [], () => [[{}, s.recoveringAgents]]);
  gaugeFrom('mesos_dns_state_skipped_entities', 'Entities the last load skipped, by reason.', ['reason'], () => byKey('reason', s.skipped));
  gaugeFrom('mesos_dns_zk_connected', '1 while a ZooKeeper session is connected.', [], () => [[{}, d.zkConnected]]);
  counterFrom('mesos_dns_zk_leader_changes_total', 'Leader changes seen in ZooKeeper.', [], () => [[{}, d.leaderChanges]]);
  counterFrom('mesos_dns_zk_fallbacks_total', 'Fallbacks to the configured masters after ZooKeeper named no leader in time.', [], () => [[{}, d.fallbacks]]);
}
