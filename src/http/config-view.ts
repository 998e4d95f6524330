// What `/v1/config` shows. The keys are listed explicitly, in the original's struct order, rather
// than serialising whatever the Config object holds: tooling reads this body by field name and
// order, and an explicit list means a key added to Config later (possibly sensitive) is never
// published by accident — the compile-time check below forces whoever adds one to decide here.
import type { Config } from '../config/types.js';
import { redactedConfig } from '../config/load.js';

/** The original's fields, in its declaration order [B§9.2]. */
export const ORIGINAL_CONFIG_KEYS = [
  'RefreshSeconds', 'Port', 'Timeout', 'StateTimeoutSeconds', 'ZkDetectionTimeout', 'HttpPort', 'TTL',
  'SRVRecordDefaultWeight', 'SOASerial', 'SOARefresh', 'SOARetry', 'SOAExpire', 'SOAMinttl', 'SOAMname',
  'SOARname', 'Masters', 'ZoneResolvers', 'Resolvers', 'IPSources', 'Zk', 'Domain', 'File', 'Listener',
  'HTTPListener', 'RecurseOn', 'DnsOn', 'HttpOn', 'ExternalOn', 'EnforceRFC952', 'SetTruncateBit',
  'EnumerationOn', 'MesosHTTPSOn', 'CACertFile', 'CertFile', 'KeyFile', 'MesosCredentials', 'IAMConfigFile',
  'MesosAuthentication',
] as const satisfies readonly (keyof Config)[];

/** Keys this project added; shown after the original ones (clients decoding the old struct ignore them). */
export const ADDED_CONFIG_KEYS = [
  'CacheOn', 'CacheMaxEntries', 'CacheMaxBytes', 'ForwardMaxOutstanding', 'ForwardAllowFrom', 'ForwardMaxTTL',
  'ShutdownGraceSeconds', 'SnapshotFile', 'StaleAfterSeconds',
  'TransferAllowFrom', 'NotifyTargets', 'TransferJournalMaxBytes', 'PTROn', 'PTRZones', 'StateSource', 'StreamRecoveryGraceSeconds', 'ReconcileSeconds',
  'AnswerThreads',
] as const satisfies readonly (keyof Config)[];

// Fails to compile if Config gains a key that is in neither list.
type Listed = (typeof ORIGINAL_CONFIG_KEYS)[number] | (typeof ADDED_CONFIG_KEYS)[number];
const everyKeyListed: Exclude<keyof Config, Listed> extends never ? true : never = true;
void everyKeyListed;

/**
 * The config as `/v1/config` prints it. [A.18]: the Mesos secret is replaced by "******" when
 * set (redactedConfig, shared with the config module so there is one rule); an empty secret stays
 * "" so operators can still see that none is configured. The Config holds no private-key
 * material, only file paths, shown as the original shows them. `extra` (e.g. MastersSource) is
 * appended after every config key.
 */
export function configView(config: Config, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const safe = redactedConfig(config);
  const out: Record<string, unknown> = {};
  for (const k of ORIGINAL_CONFIG_KEYS) out[k] = safe[k];
  // Masters is null when not configured, as in the original; never undefined (JSON would drop it).
  out.Masters = safe.Masters ?? null;
  for (const k of ADDED_CONFIG_KEYS) out[k] = safe[k];
  return Object.assign(out, extra);
}
