// The zone's series: what is being served (serial, names, records by type) and how old it is.
// The server hands over a reader of its current zone; nothing is computed per scrape beyond it.
import { gaugeFrom } from './registry.js';

export interface ZoneInfo {
  serial: number;
  names: number;
  byType: { A: number; AAAA: number; SRV: number };
  /** Unix seconds when the data being served was loaded from a master (a snapshot keeps its own). */
  loadedAt: number;
  /** 1 when serving a snapshot file or data older than StaleAfterSeconds. */
  stale: boolean;
}

let zoneInfo: () => ZoneInfo | null = () => null;
export function setZoneInfo(read: () => ZoneInfo | null): void { zoneInfo = read; }

export function registerZoneMetrics(): void {
  gaugeFrom('mesos_dns_zone_serial', 'SOA serial of the zone being served.', [], () => [[{}, zoneInfo()?.serial ?? 0]]);
  gaugeFrom('mesos_dns_zone_names', 'Names with records in the zone.', [], () => [[{}, zoneInfo()?.names ?? 0]]);
  gaugeFrom('mesos_dns_zone_records', 'Records in the zone by type.', ['type'], function* () {
    const z = zoneInfo();
    if (!z) return;
    for (const [type, v] of Object.entries(z.byType)) yield [{ type }, v];
  });
  gaugeFrom('mesos_dns_state_age_seconds', 'Age of the data being served (since it was loaded from a master).', [], () => {
    const z = zoneInfo();
    return [[{}, z ? Math.max(0, Date.now() / 1000 - z.loadedAt) : 0]];
  });
  gaugeFrom('mesos_dns_zone_stale', '1 while the data served is stale (from the snapshot file, or older than StaleAfterSeconds).', [], () => [[{}, zoneInfo()?.stale ? 1 : 0]]);
}
