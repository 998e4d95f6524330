// Mesos MasterInfo (the JSON a master writes into its `json.info_<seq>` znode) → "ip:port".
// Pure functions, separate from the ZooKeeper plumbing so the address rules [B§4.3] are easy
// to test on their own. Unlike the original, which produced ":5050" or "0.0.0.0:5050" from
// incomplete data and later crashed on it [B§13] item 17, anything that does not yield a
// usable IP and port is reported as malformed, so the caller can skip that node and use the rest.
import net from 'node:net';

export const DEFAULT_MASTER_PORT = 5050;

/** A master as registered in ZooKeeper. */
export interface RegisteredMaster {
  /** Znode name, e.g. "json.info_0000000003". */
  node: string;
  seq: number;
  /** `ip:port`, `[v6]:port` for IPv6. */
  addr: string;
  /** MasterInfo.id when present (for logs). */
  id?: string;
}

export type Decoded = { ok: true; addr: string; id?: string } | { ok: false; reason: string };

function isPort(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535;
}

/**
 * Mesos < 0.24 stored the IPv4 address as a uint32 copied from memory in network order, which a
 * little-endian reader sees reversed: 16777226 (0x0100000A) is 10.0.0.1.
 */
export function legacyIp(v: number): string {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff].join('.');
}

export function joinHostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** Decode a MasterInfo JSON document into the master's address. */
export function decodeMasterInfo(data: Buffer | string | null | undefined): Decoded {
  if (data == null || data.length === 0) return { ok: false, reason: 'empty node data' };
  let info: unknown;
  try {
    info = JSON.parse(typeof data === 'string' ? data : data.toString('utf8'));
  } catch {
    return { ok: false, reason: 'node data is not JSON' };
  }
  if (info === null || typeof info !== 'object' || Array.isArray(info)) {
    return { ok: false, reason: 'node data is not a JSON object' };
  }
  const o = info as Record<string, unknown>;
  const id = typeof o.id === 'string' ? o.id : undefined;
  const topPort = o.port === undefined ? DEFAULT_MASTER_PORT : o.port;

  if (o.address !== undefined && o.address !== null) {
    if (typeof o.address !== 'object' || Array.isArray(o.address)) {
      return { ok: false, reason: '"address" is not an object' };
    }
    const a = o.address as Record<string, unknown>;
    const ip = typeof a.ip === 'string' ? a.ip.trim() : '';
    if (!net.isIP(ip)) {
      return { ok: false, reason: `"address.ip" is not an IP address: ${JSON.stringify(a.ip ?? null)}` };
    }
    const port = a.port === undefined ? topPort : a.port;
    if (!isPort(port)) return { ok: false, reason: `bad port ${JSON.stringify(port)}` };
    return { ok: true, addr: joinHostPort(ip, port), id };
  }

  // Legacy layout (no `address`): uint32 `ip` and `port`.
  if (typeof o.ip !== 'number' || !Number.isInteger(o.ip) || o.ip <= 0 || o.ip > 0xffffffff) {
    return { ok: false, reason: `no "address" and no usable legacy "ip": ${JSON.stringify(o.ip ?? null)}` };
  }
  if (!isPort(topPort)) return { ok: false, reason: `bad port ${JSON.stringify(topPort)}` };
  return { ok: true, addr: joinHostPort(legacyIp(o.ip), topPort), id };
}

/** `json.info_<digits>` → its sequence number; anything else → undefined. */
export function jsonInfoSeq(node: string): number | undefined {
  const m = /^json\.info_(\d+)$/.exec(node);
  return m ? Number(m[1]) : undefined;
}

/** The protobuf nodes of Mesos < 0.24 (`info_<digits>`), which we do not decode. */
export function isProtobufInfo(node: string): boolean {
  return /^info_\d+$/.test(node);
}

/**
 * The masters list from the registered masters: the one with the lowest sequence number is the
 * leader (Mesos' leader election: the oldest contender wins), then the others by sequence,
 * each address once.
 */
export function mastersList(registered: readonly RegisteredMaster[]): string[] {
  const sorted = [...registered].sort((a, b) => a.seq - b.seq);
  const out: string[] = [];
  for (const m of sorted) if (!out.includes(m.addr)) out.push(m.addr);
  return out;
}
