// Size (~500 lines, over the ~450 aimed at): most of it is the key table (FIELDS, one row per key,
// compile-checked against Config), which must change together with the defaults and the decoder
// beside it.
// Loads config.json the way the original did (Go encoding/json over the defaults, case-insensitive
// keys, last duplicate wins, strict integer types) and validates it in the original's order, but
// every problem is a ConfigError naming the key [A.19] instead of a crash or a bare log.Fatal, and
// unknown keys are warned about rather than silently ignored. All checks that need the file system
// (resolv.conf, certificates, the IAM file) happen here, so that a config that loads is one the
// server can start with; nothing here listens or connects. What it makes is a Settings: the
// Config (printed by /v1/config) and, parsed once beside it, what the consumers used to parse again
// each on its own (the ZooKeeper URL, the allow-lists, the TLS material and the IAM key).
import {
  FileReadError, MAX_CONFIG_FILE_BYTES, MAX_PEM_FILE_BYTES, MAX_SMALL_FILE_BYTES, readBoundedFile, readFileFor,
} from './file.js';
import { networkInterfaces } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { ConfigError } from './error.js';
import { STATE_SOURCES, type Config, type MasterAuth, type MasterSettings, type Settings } from './types.js';
import { describe, JSONSyntaxError, parseJSON, type JVal } from './json.js';
import { normalizeIP } from '../net/ip.js';
import { parseCIDR, parseCidr, type Cidr } from '../net/cidr.js';
import { parseHostPort } from '../net/hostport.js';
import {
  isValidDomainName,
  isValidHostName,
  normalizeResolvers,
  validateIPSources,
  validateMasters,
  validateZoneResolvers,
} from './validate.js';
import { parseZkUrl } from './zkurl.js';
import { iamCredentials, readIAMConfig } from './iam.js';

export interface LoadOptions {
  /** Receives every non-fatal warning (unknown keys, credentials without authentication ...). */
  warn?: (msg: string) => void;
  /** Environment for `~/` expansion (HOME, USERPROFILE). Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** resolv.conf used when ExternalOn and Resolvers is empty. Default /etc/resolv.conf. */
  resolvConfPath?: string;
  /** Addresses of this host, removed from the resolv.conf servers. Default: os.networkInterfaces(). */
  localAddresses?: () => string[];
  /** Unix time in seconds for SOASerial. Default: the clock. */
  now?: () => number;
}

/** Node refuses timers longer than 2^31-1 ms (it fires them after 1 ms instead): cap seconds keys. */
export const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** Bound on AnswerThreads: each thread is a V8 isolate (~10 MiB) with its own sockets and cache. */
export const MAX_ANSWER_THREADS = 64;

export const DEFAULT_FORWARD_ALLOW_FROM: readonly string[] = [
  '127.0.0.0/8',
  '::1/128',
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  'fc00::/7',
  'fe80::/10',
];

/** Zone transfers: loopback only unless configured (RFC 5936 §5: no "open to all" default). */
export const DEFAULT_TRANSFER_ALLOW_FROM: readonly string[] = ['127.0.0.0/8', '::1/128'];

/** The original's defaults (records.NewConfig) plus ours. SOASerial is 0 until loadConfig sets it. */
export function defaultConfig(): Config {
  return {
    RefreshSeconds: 60,
    Port: 53,
    Timeout: 5,
    StateTimeoutSeconds: 300,
    ZkDetectionTimeout: 30,
    HttpPort: 8123,
    TTL: 60,
    SRVRecordDefaultWeight: 1,
    SOASerial: 0,
    SOARefresh: 60,
    SOARetry: 600,
    SOAExpire: 86400,
    SOAMinttl: 60,
    SOAMname: 'ns1.mesos',
    SOARname: 'root.ns1.mesos',
    Masters: null,
    ZoneResolvers: {},
    Resolvers: ['8.8.8.8'],
    IPSources: ['netinfo', 'mesos', 'host'],
    Zk: '',
    Domain: 'mesos',
    File: '',
    Listener: '0.0.0.0',
    HTTPListener: '0.0.0.0',
    RecurseOn: true,
    DnsOn: true,
    HttpOn: true,
    ExternalOn: true,
    EnforceRFC952: false,
    SetTruncateBit: true,
    EnumerationOn: true,
    MesosHTTPSOn: false,
    CACertFile: '',
    CertFile: '',
    KeyFile: '',
    MesosCredentials: { Principal: '', Secret: '' },
    IAMConfigFile: '',
    MesosAuthentication: '',
    CacheOn: true,
    CacheMaxEntries: 10000,
    CacheMaxBytes: 16 * 1024 * 1024,
    ForwardMaxOutstanding: 2048,
    ForwardAllowFrom: [...DEFAULT_FORWARD_ALLOW_FROM],
    ForwardMaxTTL: 86400,
    ShutdownGraceSeconds: 5,
    SnapshotFile: '',
    StaleAfterSeconds: 0,
    TransferAllowFrom: [...DEFAULT_TRANSFER_ALLOW_FROM],
    NotifyTargets: [],
    TransferJournalMaxBytes: 16 * 1024 * 1024,
    PTROn: false,
    PTRZones: [],
    StateSource: 'auto',
    StreamRecoveryGraceSeconds: 600,
    ReconcileSeconds: 600,
    AnswerThreads: 'auto',
  };
}

/** A copy safe to show [A.18]: the Mesos secret becomes "******" when set. */
export function redactedConfig(c: Config): Config {
  const r = structuredClone(c);
  if (r.MesosCredentials.Secret !== '') r.MesosCredentials.Secret = '******';
  return r;
}

/**
 * The original's path handling: the first `~/` anywhere becomes `<home>/` (USERPROFILE, else
 * HOME, else "."), then the path is made absolute.
 */
export function expandConfigPath(p: string, env: NodeJS.ProcessEnv = process.env): string {
  const home = env['USERPROFILE'] || env['HOME'] || '.';
  return resolvePath(p.replace('~/', `${home}/`));
}

/** Read, decode and validate a config file. Throws ConfigError (key "" for the file itself). */
export function loadConfig(path: string, opts: LoadOptions = {}): Config {
  return loadSettings(path, opts).config;
}

/** As loadConfig, for text already read; `file` is what `File` shows unless the text sets it. */
export function loadConfigText(text: string, file: string, opts: LoadOptions = {}): Config {
  return loadSettingsText(text, file, opts).config;
}

/** Read, decode and validate a config file into Settings (what the server runs with). */
export function loadSettings(path: string, opts: LoadOptions = {}): Settings {
  const abs = expandConfigPath(path, opts.env);
  let text: string;
  try {
    text = readBoundedFile(abs, MAX_CONFIG_FILE_BYTES).toString('utf8');
  } catch (e) {
    if (!(e instanceof FileReadError)) throw e;
    if (e.code === 'ENOENT') throw new ConfigError('', `missing configuration file: ${JSON.stringify(abs)}`);
    throw new ConfigError('', `cannot read configuration file ${JSON.stringify(abs)}: ${e.message}`);
  }
  return loadSettingsText(text, abs, opts);
}

/** As loadSettings, for text already read. */
export function loadSettingsText(text: string, file: string, opts: LoadOptions = {}): Settings {
  const warn = opts.warn ?? ((m: string) => console.warn(`WARNING: ${m}`));
  let doc: JVal;
  try {
    doc = parseJSON(text);
  } catch (e) {
    if (e instanceof JSONSyntaxError) {
      throw new ConfigError('', `failed to parse config file ${JSON.stringify(file)}: ${e.message}`);
    }
    throw e;
  }
  const c = defaultConfig();
  c.File = file;
  decodeInto(c, doc, file, warn);
  c.SOASerial = Math.floor(opts.now ? opts.now() : Date.now() / 1000);
  return validate(c, opts, warn);
}

/**
 * The Settings of a Config made in code, not loaded (the demo, tests): its values parsed with the
 * same functions loading uses, so it is what loading the same keys would give. The rest of the
 * Config is taken as it is (not normalised or checked again).
 */
export function settingsOf(c: Config, warn: (m: string) => void = () => {}): Settings {
  return {
    config: c,
    zk: zkOf(c),
    forwardAllowFrom: allowListOf(c, 'ForwardAllowFrom'),
    transferAllowFrom: allowListOf(c, 'TransferAllowFrom'),
    master: masterOf(c, warn),
  };
}

// ---------------------------------------------------------------------------------------------
// Decoding: Go encoding/json semantics over the defaults.

type Field =
  | { kind: 'int'; min: number; max: number }
  | { kind: 'bool' }
  | { kind: 'string' }
  | { kind: 'list' }
  | { kind: 'zones' }
  | { kind: 'creds' }
  | { kind: 'threads' };

const U32 = 2 ** 32 - 1;
const int = (min: number, max: number): Field => ({ kind: 'int', min, max });
const BOOL: Field = { kind: 'bool' };
const STRING: Field = { kind: 'string' };
const LIST: Field = { kind: 'list' };

const FIELDS: Record<keyof Config, Field> = {
  RefreshSeconds: int(1, MAX_TIMER_SECONDS),
  Port: int(0, 65535),
  Timeout: int(0, MAX_TIMER_SECONDS),
  StateTimeoutSeconds: int(1, MAX_TIMER_SECONDS),
  ZkDetectionTimeout: int(Number.MIN_SAFE_INTEGER, MAX_TIMER_SECONDS),
  HttpPort: int(0, 65535),
  TTL: int(0, 2 ** 31 - 1),
  SRVRecordDefaultWeight: int(0, 65535),
  SOASerial: int(0, U32),
  SOARefresh: int(0, U32),
  SOARetry: int(0, U32),
  SOAExpire: int(0, U32),
  SOAMinttl: int(0, U32),
  SOAMname: STRING,
  SOARname: STRING,
  Masters: LIST,
  ZoneResolvers: { kind: 'zones' },
  Resolvers: LIST,
  IPSources: LIST,
  Zk: STRING,
  Domain: STRING,
  File: STRING,
  Listener: STRING,
  HTTPListener: STRING,
  RecurseOn: BOOL,
  DnsOn: BOOL,
  HttpOn: BOOL,
  ExternalOn: BOOL,
  EnforceRFC952: BOOL,
  SetTruncateBit: BOOL,
  EnumerationOn: BOOL,
  MesosHTTPSOn: BOOL,
  CACertFile: STRING,
  CertFile: STRING,
  KeyFile: STRING,
  MesosCredentials: { kind: 'creds' },
  IAMConfigFile: STRING,
  MesosAuthentication: STRING,
  CacheOn: BOOL,
  CacheMaxEntries: int(1, Number.MAX_SAFE_INTEGER),
  CacheMaxBytes: int(1, Number.MAX_SAFE_INTEGER),
  ForwardMaxOutstanding: int(1, Number.MAX_SAFE_INTEGER),
  ForwardAllowFrom: LIST,
  ForwardMaxTTL: int(1, 0x7fffffff),
  ShutdownGraceSeconds: int(0, 3600),
  SnapshotFile: STRING,
  StaleAfterSeconds: int(0, Number.MAX_SAFE_INTEGER),
  TransferAllowFrom: LIST,
  NotifyTargets: LIST,
  TransferJournalMaxBytes: int(0, Number.MAX_SAFE_INTEGER),
  PTROn: BOOL,
  PTRZones: LIST,
  StateSource: STRING,
  StreamRecoveryGraceSeconds: int(0, MAX_TIMER_SECONDS),
  ReconcileSeconds: int(0, MAX_TIMER_SECONDS),
  AnswerThreads: { kind: 'threads' },
};

const BY_LOWER = new Map<string, keyof Config>(
  (Object.keys(FIELDS) as (keyof Config)[]).map((k) => [k.toLowerCase(), k]),
);

function decodeInt(key: string, v: JVal, f: { min: number; max: number }): number {
  const range = f.min === Number.MIN_SAFE_INTEGER ? `an integer not above ${f.max}` : `an integer from ${f.min} to ${f.max}`;
  if (v.t !== 'num' || !/^-?(0|[1-9][0-9]*)$/.test(v.raw)) {
    throw new ConfigError(key, `expected ${range}, got ${describe(v)}`);
  }
  const n = BigInt(v.raw);
  if (n < BigInt(f.min) || n > BigInt(f.max)) throw new ConfigError(key, `expected ${range}, got ${v.raw}`);
  return Number(n);
}

/** A JSON list of strings; a null element is "" (Go leaves the zero value). */
function decodeList(key: string, v: JVal, where = ''): string[] {
  if (v.t !== 'arr') throw new ConfigError(key, `${where}expected a list of strings, got ${describe(v)}`);
  return v.items.map((it, i) => {
    if (it.t === 'null') return '';
    if (it.t !== 'str') throw new ConfigError(key, `${where}element ${i}: expected a string, got ${describe(it)}`);
    return it.v;
  });
}

function decodeInto(c: Config, doc: JVal, file: string, warn: (m: string) => void): void {
  if (doc.t === 'null') return; // Go: null into a struct changes nothing
  if (doc.t !== 'obj') {
    throw new ConfigError('', `failed to unmarshal config file ${JSON.stringify(file)}: expected a JSON object, got ${describe(doc)}`);
  }
  const target = c as unknown as Record<string, unknown>;
  const warned = new Set<string>();
  const unknown = (name: string): void => {
    if (warned.has(name)) return;
    warned.add(name);
    warn(`unknown config key ${JSON.stringify(name)} ignored`);
  };
  for (const [rawKey, v] of doc.entries) {
    const key = BY_LOWER.get(rawKey.toLowerCase());
    if (key === undefined) {
      unknown(rawKey);
      continue;
    }
    const f = FIELDS[key];
    if (v.t === 'null') {
      // Go: null leaves a scalar or struct alone and sets a slice or map to nil.
      if (f.kind === 'list') target[key] = key === 'Masters' ? null : [];
      else if (f.kind === 'zones') c.ZoneResolvers = {};
      continue;
    }
    switch (f.kind) {
      case 'int':
        target[key] = decodeInt(key, v, f);
        break;
      case 'bool':
        if (v.t !== 'bool') throw new ConfigError(key, `expected true or false, got ${describe(v)}`);
        target[key] = v.v;
        break;
      case 'string':
        if (v.t !== 'str') throw new ConfigError(key, `expected a string, got ${describe(v)}`);
        target[key] = v.v;
        break;
      case 'list':
        target[key] = decodeList(key, v);
        break;
      case 'zones': {
        if (v.t !== 'obj') throw new ConfigError(key, `expected an object of zone → list of resolvers, got ${describe(v)}`);
        const zones: Record<string, string[]> = {};
        for (const [zone, rs] of v.entries) {
          // defineProperty: a zone named "__proto__" must stay an ordinary key.
          const list = rs.t === 'null' ? [] : decodeList(key, rs, `zone ${JSON.stringify(zone)}: `);
          Object.defineProperty(zones, zone, { value: list, enumerable: true, writable: true, configurable: true });
        }
        c.ZoneResolvers = zones;
        break;
      }
      case 'threads':
        if (v.t === 'str' && v.v.toLowerCase() === 'auto') c.AnswerThreads = 'auto';
        else if (v.t === 'num') c.AnswerThreads = decodeInt(key, v, { min: 1, max: MAX_ANSWER_THREADS });
        else throw new ConfigError(key, `expected "auto" or an integer from 1 to ${MAX_ANSWER_THREADS}, got ${describe(v)}`);
        break;
      case 'creds': {
        if (v.t !== 'obj') throw new ConfigError(key, `expected an object {"principal": ..., "secret": ...}, got ${describe(v)}`);
        for (const [k, cv] of v.entries) {
          const lk = k.toLowerCase();
          if (lk !== 'principal' && lk !== 'secret') {
            unknown(`${key}.${k}`);
            continue;
          }
          if (cv.t === 'null') continue;
          if (cv.t !== 'str') throw new ConfigError(key, `${k}: expected a string, got ${describe(cv)}`);
          const s = cv.v;
          if (lk === 'principal') c.MesosCredentials.Principal = s;
          else c.MesosCredentials.Secret = s;
        }
        break;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Validation, in the original's order [B§2.4]; our added checks sit next to their neighbours.

function validate(c: Config, opts: LoadOptions, warn: (m: string) => void): Settings {
  if (!c.DnsOn && !c.HttpOn) {
    throw new ConfigError('DnsOn', 'service validation failed: either DNS or HTTP server should be on (DnsOn and HttpOn are both false)');
  }
  if ((c.Masters === null || c.Masters.length === 0) && c.Zk === '') {
    throw new ConfigError('Masters', 'service validation failed: specify Mesos masters or Zookeeper in config.json (set Masters or Zk)');
  }
  const zk = zkOf(c);
  validateMasters(c.Masters);

  if (c.ExternalOn) {
    if (c.Resolvers.length === 0) c.Resolvers = resolversFromResolvConf(opts, warn);
    c.Resolvers = normalizeResolvers(c.Resolvers);
    c.ZoneResolvers = validateZoneResolvers(c.ZoneResolvers, c.Domain);
  }

  c.IPSources = validateIPSources(c.IPSources);

  c.Domain = c.Domain.toLowerCase();
  if (!isValidDomainName(c.Domain)) throw new ConfigError('Domain', `${JSON.stringify(c.Domain)} is not a valid domain name`);

  const mname = c.SOAMname.replace(/\.+$/, '');
  if (!isValidHostName(mname)) {
    throw new ConfigError('SOAMname', `${JSON.stringify(c.SOAMname)} is not a valid host name (labels of letters, digits and dashes, at most 63 characters each)`);
  }
  c.SOAMname = `${mname}.`;
  c.SOARname = `${c.SOARname.replaceAll('@', '.').replace(/\.+$/, '')}.`;

  for (const key of ['Listener', 'HTTPListener'] as const) {
    if (normalizeIP(c[key]) === null) {
      throw new ConfigError(key, `must be an IP address to listen on (e.g. 0.0.0.0 or ::), got ${JSON.stringify(c[key])}`);
    }
  }

  const forwardAllowFrom = allowListOf(c, 'ForwardAllowFrom');
  const transferAllowFrom = allowListOf(c, 'TransferAllowFrom');
  for (const target of c.NotifyTargets) {
    const hp = parseHostPort(target);
    if (hp === null || normalizeIP(hp.host) === null || hp.port === 0) {
      throw new ConfigError('NotifyTargets', `invalid target ${JSON.stringify(target)} (expected ip:port, e.g. 10.0.0.5:53 or [fd00::5]:53)`);
    }
  }

  c.PTRZones = c.PTRZones.map((z) => {
    const name = z.toLowerCase().replace(/\.*$/, '.');
    if (!/^(?:[a-z0-9-]{1,63}\.)*(?:in-addr|ip6)\.arpa\.$/.test(name)) {
      throw new ConfigError('PTRZones', `${JSON.stringify(z)} is not a reverse zone (a name ending in in-addr.arpa or ip6.arpa, e.g. 10.in-addr.arpa)`);
    }
    return name;
  });

  if (!(STATE_SOURCES as readonly string[]).includes(c.StateSource)) {
    throw new ConfigError('StateSource', `expected one of ${STATE_SOURCES.map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(c.StateSource)}`);
  }

  const master = masterOf(c, warn);
  return { config: c, zk, forwardAllowFrom, transferAllowFrom, master };
}

function zkOf(c: Config) {
  return c.Zk !== '' ? parseZkUrl(c.Zk) : null;
}

/** An allow-list key's networks: each checked as Go's net.ParseCIDR would, then kept parsed. */
function allowListOf(c: Config, key: 'ForwardAllowFrom' | 'TransferAllowFrom'): Cidr[] {
  return c[key].map((cidr) => {
    if (parseCIDR(cidr) === null) {
      throw new ConfigError(key, `invalid CIDR ${JSON.stringify(cidr)} (expected address/prefix, e.g. 10.0.0.0/8)`);
    }
    return parseCidr(cidr); // accepts all parseCIDR does
  });
}

/** How the masters are reached [B§5.1]: certificates first, then authentication (the original's order). */
function masterOf(c: Config, warn: (m: string) => void): MasterSettings {
  const pem = readCertificates(c);
  const tls: MasterSettings['tls'] = { rejectUnauthorized: pem.ca !== undefined, ...pem };
  return { scheme: c.MesosHTTPSOn ? 'https' : 'http', tls, auth: authentication(c, warn) };
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * Like Go's tls.LoadX509KeyPair and AppendCertsFromPEM at start-up: bad files fail now, not at
 * first use. Returns the files' text, which is what the state client connects with.
 */
function readCertificates(c: Config): { ca?: string; cert?: string; key?: string } {
  const out: { ca?: string; cert?: string; key?: string } = {};
  if (c.CACertFile !== '') {
    const pem = readFileFor('CACertFile', c.CACertFile, MAX_PEM_FILE_BYTES);
    out.ca = pem;
    const ok = (pem.match(PEM_CERT) ?? []).some((block) => {
      try {
        new X509Certificate(block);
        return true;
      } catch {
        return false;
      }
    });
    if (!ok) throw new ConfigError('CACertFile', `CACertFile parsing failed: no PEM certificate in ${JSON.stringify(c.CACertFile)}`);
  }
  if (c.CertFile !== '' && c.KeyFile === '') throw new ConfigError('KeyFile', 'Missing private key: CertFile is set but KeyFile is not');
  if (c.KeyFile !== '' && c.CertFile === '') throw new ConfigError('CertFile', 'Missing certificate: KeyFile is set but CertFile is not');
  if (c.CertFile === '') return out;
  const certPem = readFileFor('CertFile', c.CertFile, MAX_PEM_FILE_BYTES);
  const keyPem = readFileFor('KeyFile', c.KeyFile, MAX_PEM_FILE_BYTES);
  let cert: X509Certificate;
  try {
    const first = certPem.match(PEM_CERT)?.[0];
    if (!first) throw new Error('no PEM certificate found');
    cert = new X509Certificate(first);
  } catch (e) {
    throw new ConfigError('CertFile', `cannot parse certificate ${JSON.stringify(c.CertFile)}: ${(e as Error).message}`);
  }
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch (e) {
    throw new ConfigError('KeyFile', `cannot parse private key ${JSON.stringify(c.KeyFile)}: ${(e as Error).message}`);
  }
  if (!cert.checkPrivateKey(key)) {
    throw new ConfigError('KeyFile', `private key ${JSON.stringify(c.KeyFile)} does not match certificate ${JSON.stringify(c.CertFile)}`);
  }
  out.cert = certPem;
  out.key = keyPem;
  return out;
}

function authentication(c: Config, warn: (m: string) => void): MasterAuth {
  const iam = c.IAMConfigFile !== '' ? readIAMConfig(c.IAMConfigFile) : null;
  const auth: string = c.MesosAuthentication;
  const creds = c.MesosCredentials;
  if (auth === '') {
    if (creds.Principal !== '' || creds.Secret !== '') {
      warn('Warning! MesosCredentials is configured, but MesosAuthentication is set to none. This is probably not intentional');
    }
    if (c.IAMConfigFile !== '') {
      warn('Warning! IAMConfigFile is configured, but MesosAuthentication is set to none. This is probably not intentional');
    }
    return { kind: 'none' };
  } else if (auth === 'basic') {
    if (creds.Principal === '' && creds.Secret === '') {
      throw new ConfigError('MesosCredentials', 'invalid HTTP Basic configuration: MesosAuthentication is "basic" but neither principal nor secret is set');
    }
    return { kind: 'basic', principal: creds.Principal, secret: creds.Secret };
  } else if (auth === 'iam') {
    if (iam === null) {
      throw new ConfigError('IAMConfigFile', 'missing configuration for specified authentication mechanism: MesosAuthentication is "iam" but IAMConfigFile is not set');
    }
    return { kind: 'iam', ...iamCredentials(c.IAMConfigFile, iam) }; // what the state client signs in with [A.19]
  } else {
    throw new ConfigError('MesosAuthentication', `unregistered factory requested: ${JSON.stringify(auth)} (valid: "", "basic", "iam")`);
  }
}

// ---------------------------------------------------------------------------------------------
// resolv.conf fallback.

function defaultLocalAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((l) => (l ?? []).map((a) => a.address));
}

/** `nameserver` entries of resolv.conf that are not this host's own addresses (forwarding loop). */
function resolversFromResolvConf(opts: LoadOptions, warn: (m: string) => void): string[] {
  const path = opts.resolvConfPath ?? '/etc/resolv.conf';
  let text: string;
  try {
    text = readBoundedFile(path, MAX_SMALL_FILE_BYTES).toString('utf8');
  } catch (e) {
    if (!(e instanceof FileReadError)) throw e;
    throw new ConfigError('Resolvers', `Resolvers is empty and ${path} cannot be read: ${e.message}`);
  }
  const local = new Set((opts.localAddresses ?? defaultLocalAddresses)().map((a) => normalizeIP(a) ?? a));
  const out: string[] = [];
  const seen = new Set<string>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] !== 'nameserver' || f[1] === undefined) continue;
    const ip = normalizeIP(f[1]);
    if (ip === null) {
      warn(`ignoring nameserver ${JSON.stringify(f[1])} in ${path}: not a usable IP address`);
      continue;
    }
    // Duplicates are dropped here: the operator did not write them, so they are no error.
    if (!local.has(ip) && !seen.has(ip)) out.push(f[1]);
    seen.add(ip);
  }
  if (out.length === 0) {
    warn(`Resolvers is empty and ${path} names no usable nameserver: names outside the domain will get SERVFAIL`);
  }
  return out;
}
