// The three ways the original reads a `name@host:port` string, side by side. They are different
// rules on purpose (each is what the original did at that point), so each stays its own function;
// keeping them together is what stops a fourth from being written by accident:
// - [B§5.3] a pid in the state (agents, frameworks): exactly one '@', quotes/spaces trimmed, Go
//   SplitHostPort, non-empty host, numeric port;
// - [B§5.2] the state's `leader` when choosing which master to fetch from: exactly one '@', Go
//   SplitHostPort, the host only (the leader's own port is ignored);
// - [B§7.5] the state's `leader` when generating leader/master records: the second '@'-separated
//   field, split loosely (Go SplitHostPort, else at the first ':').
import { parsePort, splitHostPort, splitHostPortDetailed, splitHostPortLoose, type HostPort } from './hostport.js';

/** Strip surrounding '"' and ' ' characters, as the original's PID.UnmarshalJSON did. */
function trimQuotesSpaces(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 0x22 || s.charCodeAt(a) === 0x20)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 0x22 || s.charCodeAt(b - 1) === 0x20)) b--;
  return s.slice(a, b);
}

/** [B§5.3] A state pid's parts, or why it is unusable (worded to follow `pid "<value>"`). */
export function splitPid(value: string): { id: string; host: string; port: number } | string {
  const s = trimQuotesSpaces(value);
  const at = s.indexOf('@');
  if (at < 0 || s.indexOf('@', at + 1) >= 0) return "does not have exactly one '@'";
  const hp = splitHostPort(s.slice(at + 1));
  if (hp === null) return 'has no valid host:port';
  if (hp.host === '') return 'has an empty host';
  const port = parsePort(hp.port);
  if (port === null) return 'has an invalid port';
  return { id: s.slice(0, at), host: hp.host, port };
}

/** [B§5.2] The host of a `name@host:port` leader (exactly one '@', as the original requires). Throws. */
export function leaderHost(leader: string): string {
  const parts = leader.split('@');
  if (parts.length !== 2) throw new Error(`Invalid leader address: ${leader}`);
  const hp = splitHostPortDetailed(parts[1]!);
  if ('error' in hp) throw new Error(`Invalid leader address: ${leader}: ${hp.error}`);
  return hp.host;
}

/**
 * [B§7.5] The leader's address for records: the second '@'-separated field, split loosely.
 * 'no @' when there is no '@', 'no host:port' when the split fails.
 */
export function leaderAddress(leader: string): { address: string; hp: HostPort } | 'no @' | 'no host:port' {
  const parts = leader.split('@');
  if (parts.length < 2) return 'no @';
  const hp = splitHostPortLoose(parts[1]);
  return hp === null ? 'no host:port' : { address: parts[1], hp };
}
