// Config loading and validation: defaults, Go-style decoding, every validation table of SPEC
// §12.7, the exact error of each kind (key + reason), warnings, and the shipped example files.
import t, { type Test } from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../src/config/error.js';
import type { Config } from '../src/config/types.js';
import {
  defaultConfig,
  expandConfigPath,
  loadConfig,
  loadConfigText,
  redactedConfig,
  type LoadOptions,
} from '../src/config/load.js';
import { readIAMConfig } from '../src/config/iam.js';
import {
  normalizeResolvers,
  validateMasters,
  validateZoneResolvers,
} from '../src/config/validate.js';
import { parseZkUrl } from '../src/config/zkurl.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
const CERTS = join(ROOT, 'test/fixtures/config');
const NOW = 1700000000;
const FILE = '/etc/mesos-dns/config.json';
const tmp = mkdtempSync(join(tmpdir(), 'mesos-dns-config-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

function load(doc: Record<string, unknown> | string, opts: LoadOptions = {}): { c: Config; warnings: string[] } {
  const warnings: string[] = [];
  const text = typeof doc === 'string' ? doc : JSON.stringify(doc);
  const c = loadConfigText(text, FILE, { now: () => NOW, warn: (m) => warnings.push(m), ...opts });
  return { c, warnings };
}

/** Loads with a working Masters entry unless the document sets its own. */
function loadWith(extra: Record<string, unknown>, opts: LoadOptions = {}): Config {
  return load({ masters: ['10.0.0.1:5050'], ...extra }, opts).c;
}

function failure(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

function expectError(tt: Test, fn: () => unknown, key: string, message: string): void {
  const e = failure(fn);
  tt.equal(e.key, key, 'key');
  tt.equal(e.message, key ? `config key "${key}": ${message}` : message, 'message');
}

function writeTmp(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

const BASE_EXPECTED = (): Config => ({
  ...defaultConfig(),
  SOASerial: NOW,
  File: FILE,
  SOAMname: 'ns1.mesos.',
  SOARname: 'root.ns1.mesos.',
  Masters: ['10.0.0.1:5050'],
  Resolvers: ['8.8.8.8:53'],
});

t.test('defaultConfig is the original defaults plus ours', async (tt) => {
  tt.strictSame(defaultConfig(), {
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
    CacheMaxBytes: 16777216,
    ForwardMaxOutstanding: 2048,
    ForwardAllowFrom: ['127.0.0.0/8', '::1/128', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7', 'fe80::/10'],
    ForwardMaxTTL: 86400,
    ShutdownGraceSeconds: 5,
    SnapshotFile: '',
    StaleAfterSeconds: 0,
    TransferAllowFrom: ['127.0.0.0/8', '::1/128'],
    NotifyTargets: [],
    TransferJournalMaxBytes: 16777216,
    PTROn: false,
    PTRZones: [],
    StateSource: 'auto',
    StreamRecoveryGraceSeconds: 600,
    ReconcileSeconds: 600,
    AnswerThreads: 'auto',
  });
  // Field order is the /v1/config order.
  tt.strictSame(Object.keys(defaultConfig()).slice(0, 8), [
    'RefreshSeconds', 'Port', 'Timeout', 'StateTimeoutSeconds', 'ZkDetectionTimeout', 'HttpPort', 'TTL', 'SRVRecordDefaultWeight',
  ]);
  // Each call is a fresh object.
  const a = defaultConfig();
  a.ForwardAllowFrom.push('x');
  tt.equal(defaultConfig().ForwardAllowFrom.length, 7);
});

t.test('a minimal file gets every default, derived values applied', async (tt) => {
  const { c, warnings } = load({ masters: ['10.0.0.1:5050'] });
  tt.strictSame(c, BASE_EXPECTED());
  tt.strictSame(warnings, []);
});

t.test('keys match case-insensitively; the last duplicate wins', async (tt) => {
  const text = `{"MASTERS": ["10.0.0.1:5050"], "ttl": 1, "TTL": 2, "ttl": 3, "httpport": 9000, "HTTPPORT": 9001,
    "dnson": false, "DNSON": true, "mesoscredentials": {"PRINCIPAL": "p", "Secret": "s", "secret": "s2"},
    "mesosAuthentication": "basic", "SoaMName": "ns2.mesos", "ipsources": ["host"], "IPSOURCES": ["mesos", "host"]}`;
  const { c } = load(text);
  tt.strictSame(c, {
    ...BASE_EXPECTED(),
    TTL: 3,
    HttpPort: 9001,
    MesosCredentials: { Principal: 'p', Secret: 's2' },
    MesosAuthentication: 'basic',
    SOAMname: 'ns2.mesos.',
    IPSources: ['mesos', 'host'],
  });
});

t.test('unknown keys: one warning each, the rest is used', async (tt) => {
  const text = `{"masters": ["10.0.0.1:5050"], "ns": "ns1", "email": "root@mesos", "ns": "ns2",
    "MesosCredentials": {"principal": "", "password": "x"}}`;
  const { c, warnings } = load(text);
  tt.strictSame(warnings, [
    'unknown config key "ns" ignored',
    'unknown config key "email" ignored',
    'unknown config key "MesosCredentials.password" ignored',
  ]);
  tt.strictSame(c, BASE_EXPECTED());
});

t.test('null: scalars and structs keep the default, lists become empty, Masters stays null', async (tt) => {
  const c = load({
    zk: 'zk://10.0.0.1:2181/mesos',
    masters: null,
    ttl: null,
    domain: null,
    dnson: null,
    mesoscredentials: null,
    zoneresolvers: null,
    forwardallowfrom: null,
    externalon: false,
    resolvers: null,
  }).c;
  tt.strictSame(c, {
    ...BASE_EXPECTED(),
    Zk: 'zk://10.0.0.1:2181/mesos',
    Masters: null,
    ExternalOn: false,
    Resolvers: [],
    ForwardAllowFrom: [],
  });
  tt.strictSame(load({ zk: 'zk://h/mesos', masters: [] }).c.Masters, []);
  // A null list element is the empty string (Go's zero value), which Masters then rejects.
  expectError(tt, () => loadWith({ masters: ['10.0.0.1:5050', null] }), 'Masters',
    'error validating masters: illegal host:port specified: "": address : missing port in address');
  expectError(tt, () => loadWith({ ipsources: null }), 'IPSources', 'IPSources validation failed: empty ip sources');
  // Null inside MesosCredentials leaves the field alone.
  tt.strictSame(loadWith({ mesoscredentials: { principal: null, secret: 's' }, mesosauthentication: 'basic' }).MesosCredentials,
    { Principal: '', Secret: 's' });
});

t.test('type and range errors name the key', async (tt) => {
  const rows: [Record<string, unknown> | string, string, string][] = [
    [{ ttl: '60' }, 'TTL', 'expected an integer from 0 to 2147483647, got the string "60"'],
    ['{"refreshSeconds": 60.5}', 'RefreshSeconds', 'expected an integer from 1 to 2147483, got the number 60.5'],
    ['{"refreshSeconds": 60.0}', 'RefreshSeconds', 'expected an integer from 1 to 2147483, got the number 60.0'],
    ['{"port": 6e1}', 'Port', 'expected an integer from 0 to 65535, got the number 6e1'],
    [{ refreshseconds: 0 }, 'RefreshSeconds', 'expected an integer from 1 to 2147483, got 0'],
    [{ refreshseconds: -5 }, 'RefreshSeconds', 'expected an integer from 1 to 2147483, got -5'],
    [{ refreshseconds: 2147484 }, 'RefreshSeconds', 'expected an integer from 1 to 2147483, got 2147484'],
    [{ statetimeoutseconds: 0 }, 'StateTimeoutSeconds', 'expected an integer from 1 to 2147483, got 0'],
    [{ timeout: -1 }, 'Timeout', 'expected an integer from 0 to 2147483, got -1'],
    [{ zkdetectiontimeout: 2147484 }, 'ZkDetectionTimeout', 'expected an integer not above 2147483, got 2147484'],
    [{ port: 65536 }, 'Port', 'expected an integer from 0 to 65535, got 65536'],
    [{ port: -1 }, 'Port', 'expected an integer from 0 to 65535, got -1'],
    ['{"port": 99999999999999999999999}', 'Port', 'expected an integer from 0 to 65535, got 99999999999999999999999'],
    [{ httpport: 70000 }, 'HttpPort', 'expected an integer from 0 to 65535, got 70000'],
    [{ ttl: -1 }, 'TTL', 'expected an integer from 0 to 2147483647, got -1'],
    [{ ttl: 2147483648 }, 'TTL', 'expected an integer from 0 to 2147483647, got 2147483648'],
    [{ soarefresh: -1 }, 'SOARefresh', 'expected an integer from 0 to 4294967295, got -1'],
    [{ soaretry: -1 }, 'SOARetry', 'expected an integer from 0 to 4294967295, got -1'],
    [{ soaexpire: -1 }, 'SOAExpire', 'expected an integer from 0 to 4294967295, got -1'],
    [{ soaminttl: -1 }, 'SOAMinttl', 'expected an integer from 0 to 4294967295, got -1'],
    [{ soarefresh: 4294967296 }, 'SOARefresh', 'expected an integer from 0 to 4294967295, got 4294967296'],
    [{ srvrecorddefaultweight: -1 }, 'SRVRecordDefaultWeight', 'expected an integer from 0 to 65535, got -1'],
    [{ srvrecorddefaultweight: 65536 }, 'SRVRecordDefaultWeight', 'expected an integer from 0 to 65535, got 65536'],
    [{ soaserial: 'now' }, 'SOASerial', 'expected an integer from 0 to 4294967295, got the string "now"'],
    [{ dnson: 'true' }, 'DnsOn', 'expected true or false, got the string "true"'],
    [{ enforcerfc952: 1 }, 'EnforceRFC952', 'expected true or false, got the number 1'],
    [{ masters: '10.0.0.1:5050' }, 'Masters', 'expected a list of strings, got the string "10.0.0.1:5050"'],
    [{ masters: [1] }, 'Masters', 'element 0: expected a string, got the number 1'],
    [{ resolvers: ['8.8.8.8', ['x']] }, 'Resolvers', 'element 1: expected a string, got an array'],
    [{ zoneresolvers: [] }, 'ZoneResolvers', 'expected an object of zone → list of resolvers, got an array'],
    [{ zoneresolvers: { a: '8.8.8.8' } }, 'ZoneResolvers', 'zone "a": expected a list of strings, got the string "8.8.8.8"'],
    [{ mesoscredentials: 'p:s' }, 'MesosCredentials', 'expected an object {"principal": ..., "secret": ...}, got the string "p:s"'],
    [{ mesoscredentials: { secret: 5 } }, 'MesosCredentials', 'secret: expected a string, got the number 5'],
    [{ zoneresolvers: { a: ['8.8.8.8', 5] } }, 'ZoneResolvers', 'zone "a": element 1: expected a string, got the number 5'],
    [{ domain: 5 }, 'Domain', 'expected a string, got the number 5'],
    [{ cachemaxentries: 0 }, 'CacheMaxEntries', 'expected an integer from 1 to 9007199254740991, got 0'],
    [{ cachemaxbytes: -1 }, 'CacheMaxBytes', 'expected an integer from 1 to 9007199254740991, got -1'],
    [{ forwardmaxoutstanding: 1.5 }, 'ForwardMaxOutstanding', 'expected an integer from 1 to 9007199254740991, got the number 1.5'],
    [{ statesource: 'events' }, 'StateSource', 'expected one of "auto", "stream", "poll", got "events"'],
    [{ StateSource: 1 }, 'StateSource', 'expected a string, got the number 1'],
    [{ reconcileseconds: -1 }, 'ReconcileSeconds', 'expected an integer from 0 to 2147483, got -1'],
    [{ streamrecoverygraceseconds: 'x' }, 'StreamRecoveryGraceSeconds', 'expected an integer from 0 to 2147483, got the string "x"'],
    [{ cacheon: 'yes' }, 'CacheOn', 'expected true or false, got the string "yes"'],
  ];
  for (const [doc, key, msg] of rows) {
    const text = typeof doc === 'string' ? doc.replace('{', '{"masters": ["10.0.0.1:5050"], ') : JSON.stringify({ masters: ['10.0.0.1:5050'], ...doc });
    expectError(tt, () => load(text), key, msg);
  }
  // In range: accepted as is.
  const c = loadWith({ zkdetectiontimeout: -1, timeout: 0, port: 0, soarefresh: 4294967295, ttl: 0 });
  tt.strictSame([c.ZkDetectionTimeout, c.Timeout, c.Port, c.SOARefresh, c.TTL], [-1, 0, 0, 4294967295, 0]);
});

t.test('file-level errors carry no key', async (tt) => {
  const missing = join(tmp, 'nope.json');
  expectError(tt, () => loadConfig(missing), '', `missing configuration file: "${missing}"`);
  expectError(tt, () => load('{"masters": ["10.0.0.1:5050"],}'), '',
    `failed to parse config file "${FILE}": invalid character "}" looking for beginning of object key string at line 1, column 31`);
  expectError(tt, () => load('{"ttl": 60'), '', `failed to parse config file "${FILE}": unexpected end of JSON input at line 1, column 11`);
  expectError(tt, () => load(''), '', `failed to parse config file "${FILE}": unexpected end of JSON input at line 1, column 1`);
  expectError(tt, () => load('{"ttl": 01}'), '',
    `failed to parse config file "${FILE}": invalid character "1" after object key:value pair at line 1, column 10`);
  expectError(tt, () => load('{} {}'), '', `failed to parse config file "${FILE}": invalid character "{" after top-level value at line 1, column 4`);
  expectError(tt, () => load('["10.0.0.1:5050"]'), '',
    `failed to unmarshal config file "${FILE}": expected a JSON object, got an array`);
  // A top-level null decodes to the defaults, which then lack masters.
  expectError(tt, () => load('null'), 'Masters',
    'service validation failed: specify Mesos masters or Zookeeper in config.json (set Masters or Zk)');
  // String escapes are decoded; bad ones and raw control characters are syntax errors.
  tt.equal(load('{"masters": ["10.0.0.1:5050"], "file": "a\\u0041\\n\\"b\\/\\t\\\\"}').c.File, 'aA\n"b/\t\\');
  expectError(tt, () => load('{"file": "a\\x"}'), '', `failed to parse config file "${FILE}": invalid escape in string literal at line 1, column 12`);
  expectError(tt, () => load('{"file": "a\tb"}'), '', `failed to parse config file "${FILE}": invalid control character in string literal at line 1, column 12`);
  expectError(tt, () => load('{"file": "\\u12"}'), '', `failed to parse config file "${FILE}": invalid \\u escape in string literal at line 1, column 11`);
  expectError(tt, () => load('{\n  "ttl": tru\n}'), '', `failed to parse config file "${FILE}": invalid character "t" looking for beginning of value at line 2, column 10`);
});

t.test('config path: ~/ expansion, absolute File, File key override', async (tt) => {
  tt.equal(expandConfigPath('~/x.json', { HOME: '/home/h' }), '/home/h/x.json');
  tt.equal(expandConfigPath('~/x.json', { HOME: '/home/h', USERPROFILE: '/users/u' }), '/users/u/x.json');
  tt.equal(expandConfigPath('~/x.json', { HOME: '', USERPROFILE: '' }), resolve('x.json'));
  tt.equal(expandConfigPath('/a/~/b/~/c.json', { HOME: '/h' }), '/a/h/b/~/c.json');
  tt.equal(expandConfigPath('rel/c.json', {}), resolve('rel/c.json'));

  writeTmp('home.json', '{"masters": ["10.0.0.1:5050"]}');
  const c = loadConfig('~/home.json', { env: { HOME: tmp }, now: () => NOW, warn: () => {} });
  tt.equal(c.File, join(tmp, 'home.json'));
  tt.equal(loadWith({ File: '/somewhere/else.json' }).File, '/somewhere/else.json');
  tt.equal(loadWith({ file: null }).File, FILE);
  tt.equal(loadWith({ SOASerial: 5 }).SOASerial, NOW);
});

t.test('enabled services and the masters-or-zk rule', async (tt) => {
  expectError(tt, () => loadWith({ dnson: false, httpon: false }), 'DnsOn',
    'service validation failed: either DNS or HTTP server should be on (DnsOn and HttpOn are both false)');
  const noMasters = 'service validation failed: specify Mesos masters or Zookeeper in config.json (set Masters or Zk)';
  expectError(tt, () => load({}), 'Masters', noMasters);
  expectError(tt, () => load({ masters: [], zk: '' }), 'Masters', noMasters);
  tt.equal(loadWith({ dnson: false }).DnsOn, false);
  tt.equal(loadWith({ httpon: false }).HttpOn, false);
  tt.equal(load({ zk: 'zk://10.0.0.1:2181/mesos' }).c.Masters, null);
});

t.test('Zk URLs: validated at load time by the detector\'s own parser', async (tt) => {
  // The same parser the detector uses (src/config/zkurl.ts; its full table is in detect-zk.test.ts):
  // what loads is exactly what the detector can connect with.
  tt.strictSame(parseZkUrl('zk://10.0.0.1:2181,10.0.0.2,zk3:2182/mesos'), {
    servers: [{ host: '10.0.0.1', port: 2181 }, { host: '10.0.0.2', port: 2181 }, { host: 'zk3', port: 2182 }],
    path: '/mesos',
    hadCredentials: false,
    redacted: 'zk://10.0.0.1:2181,10.0.0.2,zk3:2182/mesos',
  });
  tt.strictSame(parseZkUrl('zk://user:pa:ss@[::1]:2181,[2001:db8::1]/a/b/'), {
    servers: [{ host: '::1', port: 2181 }, { host: '2001:db8::1', port: 2181 }],
    path: '/a/b',
    hadCredentials: true,
    redacted: 'zk://[::1]:2181,[2001:db8::1]/a/b',
  });
  // Valid URLs load unchanged (credentials are kept in the config; the detector ignores them).
  tt.equal(load({ zk: 'zk://u:p@10.0.0.1:2181/mesos' }).c.Zk, 'zk://u:p@10.0.0.1:2181/mesos');
  tt.equal(load({ zk: 'ZK://[::1]:2181,zk2/mesos/' }).c.Zk, 'ZK://[::1]:2181,zk2/mesos/');
  const expect = 'expected zk://host1:port1,host2:port2/path)';
  // [value, reason, value as echoed (credentials removed)]
  const rows: [string, string, string?][] = [
    ['http://10.0.0.1:2181/mesos', 'must start with zk://'],
    ['10.0.0.1:5050', 'must start with zk://'],
    ['file:///etc/mesos/zk', 'must start with zk://'],
    ['zk://', 'no ZooKeeper host given'],
    ['zk:///mesos', 'no ZooKeeper host given'],
    ['zk://u:p@/mesos', 'no ZooKeeper host given', 'zk:///mesos'],
    ['zk://10.0.0.1:2181', 'a znode path is required, e.g. /mesos'],
    ['zk://10.0.0.1:2181/', 'a znode path is required, e.g. /mesos'],
    ['zk://h//mesos', 'empty segment in path "//mesos"'],
    ['zk://h/mesos/..', 'relative segment in path "/mesos/.."'],
    ['zk://h/mesos?x=1', 'query strings and fragments are not allowed'],
    ['zk://a,,b/mesos', 'empty host in the host list'],
    ['zk://h:0/mesos', 'port out of range in "h:0"'],
    ['zk://h:65536/mesos', 'port out of range in "h:65536"'],
    ['zk://h:abc/mesos', 'bad port in "h:abc"'],
    ['zk://::1/mesos', 'IPv6 address "::1" must be in brackets, e.g. [::1]:2181'],
    ['zk://[::1/mesos', 'unclosed \'[\' in "[::1"'],
    ['zk://[zk1]/mesos', '"zk1" is not an IPv6 address'],
    ['zk://[zk1]:2181/mesos', '"zk1" is not an IPv6 address'],
    ['zk://my host/mesos', 'bad host name "my host"'],
    ['zk://bob:hunter2@h:0/mesos', 'port out of range in "h:0"', 'zk://h:0/mesos'],
  ];
  for (const [zk, why, shown = zk] of rows) {
    expectError(tt, () => load({ zk }), 'Zk', `${why} (got ${JSON.stringify(shown)}; ${expect}`);
  }
  tt.notMatch(failure(() => load({ zk: 'zk://bob:hunter2@h:0/mesos' })).message, /hunter2/, 'no password in the error');
  // The Zk rule runs even when Masters are configured (a typo must not silently mean "static").
  expectError(tt, () => loadWith({ zk: 'zk://h' }), 'Zk', `a znode path is required, e.g. /mesos (got "zk://h"; ${expect}`);
});

t.test('Masters validation (SPEC §12.7)', async (tt) => {
  const ok: (string[] | null)[] = [
    null,
    [],
    ['a:1234'],
    ['a:1', 'b:1'],
    ['a:65535'],
    ['1.2.3.4:5'],
    ['1.2.3.4.5:6'],
    ['[2001:0db8:3c4d:0015:0000:0000:1a2f:1a2b]:1'],
    ['[2001:db8:3c4d:15::1a2f:1a2b]:1'],
  ];
  for (const ms of ok) {
    tt.doesNotThrow(() => validateMasters(ms), JSON.stringify(ms));
  }
  // Accepted masters are kept as written.
  tt.strictSame(loadWith({ masters: ['[2001:0DB8::1]:5050', 'm1.example:5050'] }).Masters, ['[2001:0DB8::1]:5050', 'm1.example:5050']);
  const p = 'error validating masters: ';
  const bad: [string[], string][] = [
    [[''], 'illegal host:port specified: "": address : missing port in address'],
    [['', ''], 'illegal host:port specified: "": address : missing port in address'],
    [['a'], 'illegal host:port specified: "a": address a: missing port in address'],
    [['a', 'b'], 'illegal host:port specified: "a": address a: missing port in address'],
    [['a:0'], 'illegal host:port specified: "a:0": port must be an integer from 1 to 65535'],
    [['a:65536'], 'illegal host:port specified: "a:65536": port must be an integer from 1 to 65535'],
    [['a:http'], 'illegal host:port specified: "a:http": port must be an integer from 1 to 65535'],
    [['1.2.3.4'], 'illegal host:port specified: "1.2.3.4": address 1.2.3.4: missing port in address'],
    [['1.2.3.4.5'], 'illegal host:port specified: "1.2.3.4.5": address 1.2.3.4.5: missing port in address'],
    [['2001:db8::1:5050'], 'illegal host:port specified: "2001:db8::1:5050": address 2001:db8::1:5050: too many colons in address'],
    [['1.2.3.4:5', '1.2.3.4:5'], 'duplicate found: "1.2.3.4:5"'],
    [['[2001:0db8:3c4d:0015:0000:0000:1a2f:1a2b]:1', '[2001:db8:3c4d:15::1a2f:1a2b]:1'], 'duplicate found: "[2001:db8:3c4d:15::1a2f:1a2b]:1"'],
  ];
  for (const [ms, msg] of bad) {
    expectError(tt, () => validateMasters(ms), 'Masters', p + msg);
    expectError(tt, () => load({ masters: ms }), 'Masters', p + msg);
  }
});

t.test('Resolvers validation and normalisation (SPEC §12.7)', async (tt) => {
  const v6a = '2001:0db8:3c4d:0015:0000:0000:1a2f:1a2b';
  const v6b = '2001:db8:3c4d:15::1a2f:1a2b';
  const ok: [string[], string[]][] = [
    [[], []],
    [['1.2.3.4'], ['1.2.3.4:53']],
    [['1.2.3.4:53'], ['1.2.3.4:53']],
    [['5.6.7.8:65535'], ['5.6.7.8:65535']],
    [[v6a], [`[${v6b}]:53`]],
    [[v6b], [`[${v6b}]:53`]],
    [[v6a, `[${v6b}]:55`], [`[${v6b}]:53`, `[${v6b}]:55`]],
    [['[::FFFF:1.2.3.4]:5353', '2001:DB8::1'], ['1.2.3.4:5353', '[2001:db8::1]:53']],
  ];
  for (const [rs, want] of ok) {
    tt.strictSame(normalizeResolvers(rs), want, JSON.stringify(rs));
  }
  tt.strictSame(loadWith({ resolvers: ['1.2.3.4', v6a] }).Resolvers, ['1.2.3.4:53', `[${v6b}]:53`]);
  const p = 'error validating resolvers: ';
  const bad: [string[], string][] = [
    [[''], 'illegal ip specified: ""'],
    [['a'], 'illegal ip specified: "a"'],
    [['1.2.3.4.5'], 'illegal ip specified: "1.2.3.4.5"'],
    [['resolver.example:53'], 'illegal ip specified: "resolver.example:53"'],
    [['[2001:db8::1]'], 'illegal ip specified: "[2001:db8::1]"'],
    [['fe80::1%eth0'], 'illegal ip specified: "fe80::1%eth0"'],
    [['1.2.3.4', '1.2.3.4:53'], 'duplicate resolver: "1.2.3.4:53" (same as 1.2.3.4:53)'],
    [['5.6.7.8:-1'], 'illegal port specified: "5.6.7.8:-1": port must be an integer from 1 to 65535'],
    [['5.6.7.8:0'], 'illegal port specified: "5.6.7.8:0": port must be an integer from 1 to 65535'],
    [['5.6.7.8:65536'], 'illegal port specified: "5.6.7.8:65536": port must be an integer from 1 to 65535'],
    [['5.6.7.8:abc'], 'illegal port specified: "5.6.7.8:abc": port must be an integer from 1 to 65535'],
    [[v6a, v6b], `duplicate resolver: "${v6b}" (same as [${v6b}]:53)`],
  ];
  for (const [rs, msg] of bad) {
    expectError(tt, () => normalizeResolvers(rs), 'Resolvers', p + msg);
    expectError(tt, () => loadWith({ resolvers: rs.length ? rs : ['x'] }), 'Resolvers', p + msg);
  }
  // Not validated (nor rewritten) when forwarding is off.
  tt.strictSame(loadWith({ externalon: false, resolvers: ['bogus', 'bogus'], zoneresolvers: { '': [] } }).Resolvers, ['bogus', 'bogus']);
});

t.test('ZoneResolvers validation (SPEC §12.7)', async (tt) => {
  const ips = ['8.8.8.8'];
  const ok: Record<string, string[]>[] = [
    {},
    { weave: ips },
    { 'acdc.mesos': ips },
    { 'abc.com': ips, 'bc.com': ips },
  ];
  for (const z of ok) {
    tt.doesNotThrow(() => validateZoneResolvers(z, 'dc.mesos'), JSON.stringify(z));
  }
  tt.strictSame(loadWith({ domain: 'dc.mesos', zoneresolvers: null }).ZoneResolvers, {});
  tt.strictSame(loadWith({ domain: 'dc.mesos', zoneresolvers: { Weave: ['10.0.0.9', '[2001:DB8::9]:5353'] } }).ZoneResolvers, {
    Weave: ['10.0.0.9:53', '[2001:db8::9]:5353'],
  });
  const bad: [Record<string, string[] | null>, string][] = [
    [{ '': ips }, 'zone "" is not a valid domain name'],
    [{ 'a_b.com': ips }, 'zone "a_b.com" is not a valid domain name'],
    [{ weave: [] }, 'field ZoneResolver "weave" is empty'],
    [{ weave: null }, 'field ZoneResolver "weave" is empty'],
    [{ mesos: ips }, 'ambiguous zone resolvers: .dc.mesos is masked by .mesos'],
    [{ 'dc.mesos': ips }, "can't specify ZoneResolver for Mesos domain (dc.mesos)"],
    [{ 'DC.Mesos': ips }, "can't specify ZoneResolver for Mesos domain (dc.mesos)"],
    [{ 'site.dc.mesos': ips }, 'ambiguous zone resolvers: .site.dc.mesos is masked by .dc.mesos'],
    [{ 'abc.com': ips, com: ips }, 'ambiguous zone resolvers: .abc.com is masked by .com'],
    [{ 'ABC.com': ips, 'abc.COM': ips }, 'ambiguous zone resolvers: .ABC.com is masked by .abc.COM'],
    [{ weave: ['x'] }, 'error validating resolvers: zone "weave": illegal ip specified: "x"'],
  ];
  for (const [z, msg] of bad) {
    expectError(tt, () => loadWith({ domain: 'dc.mesos', zoneresolvers: z }), 'ZoneResolvers', msg);
  }
  // A zone called __proto__ stays an ordinary key (and is then rejected by name).
  expectError(tt, () => load('{"masters": ["10.0.0.1:5050"], "zoneresolvers": {"__proto__": ["8.8.8.8"]}}'), 'ZoneResolvers',
    'zone "__proto__" is not a valid domain name');
});

t.test('Domain: lower-cased, then the original regex (SPEC §12.7)', async (tt) => {
  for (const [d, want] of [
    ['1-awesome.domain.e', '1-awesome.domain.e'],
    ['single-name', 'single-name'],
    ['name', 'name'],
    ['Mesos.Example', 'mesos.example'],
  ]) {
    tt.equal(loadWith({ domain: d }).Domain, want);
  }
  for (const d of ['', '.invalid.com', 'invalid.com.', 'a..b', 'a_b', 'my domain']) {
    expectError(tt, () => loadWith({ domain: d }), 'Domain', `${JSON.stringify(d)} is not a valid domain name`);
  }
  expectError(tt, () => loadWith({ domain: 'INVALID.' }), 'Domain', '"invalid." is not a valid domain name');
});

t.test('IPSources', async (tt) => {
  tt.strictSame(loadWith({ ipsources: ['docker'] }).IPSources, ['docker']);
  tt.strictSame(loadWith({ ipsources: ['host', 'docker', 'mesos', 'netinfo'] }).IPSources, ['host', 'docker', 'mesos', 'netinfo']);
  const p = 'IPSources validation failed: ';
  expectError(tt, () => loadWith({ ipsources: [] }), 'IPSources', `${p}empty ip sources`);
  expectError(tt, () => loadWith({ ipsources: ['host', 'host'] }), 'IPSources', `${p}duplicate ip source specified: "host"`);
  expectError(tt, () => loadWith({ ipsources: ['Host'] }), 'IPSources',
    `${p}invalid ip source "Host" (valid: host, docker, mesos, netinfo)`);
});

t.test('StateTimeoutSeconds, RefreshSeconds and the validation order', async (tt) => {
  // Order (§2.4): services → masters → resolvers → IPSources → Domain.
  expectError(tt, () => load({ masters: ['a'], resolvers: ['x'], ipsources: [], domain: '.' }), 'Masters',
    'error validating masters: illegal host:port specified: "a": address a: missing port in address');
  expectError(tt, () => loadWith({ resolvers: ['x'], ipsources: [], domain: '.' }), 'Resolvers',
    'error validating resolvers: illegal ip specified: "x"');
  expectError(tt, () => loadWith({ ipsources: [], domain: '.' }), 'IPSources', 'IPSources validation failed: empty ip sources');
  tt.equal(loadWith({ statetimeoutseconds: 1, refreshseconds: 1 }).StateTimeoutSeconds, 1);
});

t.test('SOAMname and SOARname normalisation keeps case', async (tt) => {
  const rows: [string, string, string, string][] = [
    ['ns1.mesos', 'root.ns1.mesos', 'ns1.mesos.', 'root.ns1.mesos.'],
    ['NS1.Example...', 'root@ns1.mesos', 'NS1.Example.', 'root.ns1.mesos.'],
    ['ns1.mesos.', 'Admin@Example.COM.', 'ns1.mesos.', 'Admin.Example.COM.'],
    ['ns1', 'a@b@c', 'ns1.', 'a.b.c.'],
  ];
  for (const [m, r, wm, wr] of rows) {
    const c = loadWith({ soamname: m, soarname: r });
    tt.strictSame([c.SOAMname, c.SOARname], [wm, wr]);
  }
  // not a host name: a config error, not a silent "." (issue 11)
  for (const m of ['', '.', 'ns 1.mesos', 'ns1..mesos', 'ns_1.mesos', 'a'.repeat(64) + '.mesos']) {
    expectError(tt, () => loadWith({ soamname: m }), 'SOAMname',
      `${JSON.stringify(m)} is not a valid host name (labels of letters, digits and dashes, at most 63 characters each)`);
  }
});

t.test('Listener and HTTPListener must be IP literals', async (tt) => {
  const c = loadWith({ listener: '::', httplistener: '127.0.0.1' });
  tt.strictSame([c.Listener, c.HTTPListener], ['::', '127.0.0.1']);
  for (const l of ['localhost', '', '1.2.3.4:53', 'fe80::1%eth0']) {
    expectError(tt, () => loadWith({ listener: l }), 'Listener', `must be an IP address to listen on (e.g. 0.0.0.0 or ::), got ${JSON.stringify(l)}`);
  }
  expectError(tt, () => loadWith({ httplistener: 'x' }), 'HTTPListener', 'must be an IP address to listen on (e.g. 0.0.0.0 or ::), got "x"');
});

t.test('AnswerThreads is "auto" or a thread count from 1 to 64', async (tt) => {
  tt.equal(loadWith({}).AnswerThreads, 'auto');
  tt.equal(loadWith({ answerthreads: 'AUTO' }).AnswerThreads, 'auto');
  tt.equal(loadWith({ AnswerThreads: 3 }).AnswerThreads, 3);
  for (const bad of [0, 65]) {
    expectError(tt, () => loadWith({ answerthreads: bad }), 'AnswerThreads', `expected an integer from 1 to 64, got ${bad}`);
  }
  expectError(tt, () => loadWith({ answerthreads: 2.5 }), 'AnswerThreads', 'expected an integer from 1 to 64, got the number 2.5');
  for (const [bad, shown] of [['four', 'the string "four"'], [true, 'true']] as const) {
    expectError(tt, () => loadWith({ answerthreads: bad }), 'AnswerThreads', `expected "auto" or an integer from 1 to 64, got ${shown}`);
  }
});

t.test('ForwardAllowFrom entries are CIDRs', async (tt) => {
  tt.strictSame(loadWith({ forwardallowfrom: ['::/0', '0.0.0.0/0', '192.0.2.1'] }).ForwardAllowFrom, ['::/0', '0.0.0.0/0', '192.0.2.1']);
  tt.strictSame(loadWith({ forwardallowfrom: [] }).ForwardAllowFrom, []);
  for (const cidr of ['10.0.0.0/33', 'banana', '10.0.0.0/', '::/129', '10.0.0.0/8/8']) {
    expectError(tt, () => loadWith({ forwardallowfrom: ['127.0.0.0/8', cidr] }), 'ForwardAllowFrom',
      `invalid CIDR ${JSON.stringify(cidr)} (expected address/prefix, e.g. 10.0.0.0/8)`);
  }
});

t.test('PTRZones are reverse zones, kept lower-case with the trailing dot', async (tt) => {
  tt.strictSame(loadWith({ ptrzones: ['10.IN-ADDR.ARPA', '8.b.d.0.1.0.0.2.ip6.arpa.'] }).PTRZones, ['10.in-addr.arpa.', '8.b.d.0.1.0.0.2.ip6.arpa.']);
  for (const bad of ['mesos', 'in-addr.arpa.example', '10..in-addr.arpa']) {
    expectError(tt, () => loadWith({ ptrzones: [bad] }), 'PTRZones',
      `${JSON.stringify(bad)} is not a reverse zone (a name ending in in-addr.arpa or ip6.arpa, e.g. 10.in-addr.arpa)`);
  }
  tt.equal(loadWith({ ptron: true }).PTROn, true);
});

t.test('TransferAllowFrom entries are CIDRs; NotifyTargets are ip:port', async (tt) => {
  tt.strictSame(loadWith({ transferallowfrom: ['10.0.0.0/8', '::1'] }).TransferAllowFrom, ['10.0.0.0/8', '::1']);
  expectError(tt, () => loadWith({ transferallowfrom: ['10.0.0.0/33'] }), 'TransferAllowFrom',
    'invalid CIDR "10.0.0.0/33" (expected address/prefix, e.g. 10.0.0.0/8)');
  tt.strictSame(loadWith({ notifytargets: ['10.0.0.5:53', '[fd00::5]:5353'] }).NotifyTargets, ['10.0.0.5:53', '[fd00::5]:5353']);
  for (const bad of ['10.0.0.5', 'ns1.example.com:53', '10.0.0.5:0', '10.0.0.5:70000']) {
    expectError(tt, () => loadWith({ notifytargets: [bad] }), 'NotifyTargets',
      `invalid target ${JSON.stringify(bad)} (expected ip:port, e.g. 10.0.0.5:53 or [fd00::5]:53)`);
  }
  expectError(tt, () => loadWith({ transferjournalmaxbytes: -1 }), 'TransferJournalMaxBytes',
    `expected an integer from 0 to ${Number.MAX_SAFE_INTEGER}, got -1`);
});

t.test('empty Resolvers with ExternalOn read resolv.conf minus local addresses', async (tt) => {
  const rc = writeTmp('resolv.conf', [
    '# generated',
    'search example.com',
    'nameserver 127.0.0.1',
    'nameserver 192.0.2.53',
    '  nameserver   2001:DB8::53  # upstream v6',
    'nameserver fe80::1%eth0',
    'nameserver 192.0.2.53',
    'nameserver',
    'options ndots:5',
    '',
  ].join('\n'));
  // 127.0.0.1 is an address of this host (loopback), so it is dropped.
  const { c, warnings } = load({ masters: ['10.0.0.1:5050'], resolvers: [] }, { resolvConfPath: rc });
  tt.strictSame(c.Resolvers, ['192.0.2.53:53', '[2001:db8::53]:53']);
  tt.strictSame(warnings, [`ignoring nameserver "fe80::1%eth0" in ${rc}: not a usable IP address`]);
  // Local addresses are compared as IPs, not as text.
  const r2 = load({ masters: ['10.0.0.1:5050'], resolvers: null }, { resolvConfPath: rc, localAddresses: () => ['2001:db8:0::53'] });
  tt.strictSame(r2.c.Resolvers, ['127.0.0.1:53', '192.0.2.53:53']);

  const onlyLocal = writeTmp('resolv-local.conf', 'nameserver 127.0.0.1\n');
  const r3 = load({ masters: ['10.0.0.1:5050'], resolvers: [] }, { resolvConfPath: onlyLocal });
  tt.strictSame(r3.c.Resolvers, []);
  tt.strictSame(r3.warnings, [
    `Resolvers is empty and ${onlyLocal} names no usable nameserver: names outside the domain will get SERVFAIL`,
  ]);

  const gone = join(tmp, 'no-resolv.conf');
  expectError(tt, () => load({ masters: ['10.0.0.1:5050'], resolvers: [] }, { resolvConfPath: gone }), 'Resolvers',
    `Resolvers is empty and ${gone} cannot be read: no such file`);
  // With forwarding off resolv.conf is not consulted at all.
  tt.strictSame(load({ masters: ['10.0.0.1:5050'], resolvers: [], externalon: false }, { resolvConfPath: gone }).c.Resolvers, []);
});

t.test('certificates are checked at load', async (tt) => {
  const cert = join(CERTS, 'cert.pem');
  const key = join(CERTS, 'key.pem');
  const other = join(CERTS, 'other-key.pem');
  const gone = join(tmp, 'missing.pem');
  const c = loadWith({ cacertfile: cert, certfile: cert, keyfile: key });
  tt.strictSame([c.CACertFile, c.CertFile, c.KeyFile], [cert, cert, key]);
  expectError(tt, () => loadWith({ certfile: cert }), 'KeyFile', 'Missing private key: CertFile is set but KeyFile is not');
  expectError(tt, () => loadWith({ keyfile: key }), 'CertFile', 'Missing certificate: KeyFile is set but CertFile is not');
  expectError(tt, () => loadWith({ cacertfile: gone }), 'CACertFile',
    `cannot read "${gone}": no such file`);
  expectError(tt, () => loadWith({ cacertfile: key }), 'CACertFile', `CACertFile parsing failed: no PEM certificate in "${key}"`);
  expectError(tt, () => loadWith({ certfile: gone, keyfile: key }), 'CertFile',
    `cannot read "${gone}": no such file`);
  expectError(tt, () => loadWith({ certfile: cert, keyfile: gone }), 'KeyFile',
    `cannot read "${gone}": no such file`);
  expectError(tt, () => loadWith({ certfile: key, keyfile: key }), 'CertFile',
    `cannot parse certificate "${key}": no PEM certificate found`);
  const e = failure(() => loadWith({ certfile: cert, keyfile: cert }));
  tt.equal(e.key, 'KeyFile');
  tt.match(e.message, /^config key "KeyFile": cannot parse private key "[^"]+cert\.pem": /);
  expectError(tt, () => loadWith({ certfile: cert, keyfile: other }), 'KeyFile',
    `private key "${other}" does not match certificate "${cert}"`);
});

t.test('authentication', async (tt) => {
  const pem = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const iamGood = writeTmp('iam.json', JSON.stringify({ uid: 'svc', private_key: pem, login_endpoint: 'https://m/acs/api/v1/auth/login' }));
  // A key the client could never sign with: start-up must fail, not every refresh after it (A.19).
  const iamBadKey = writeTmp('iam-badkey.json', '{"uid": "svc", "private_key": "-----BEGIN...", "login_endpoint": "https://m/acs/api/v1/auth/login"}');
  const iamNoUid = writeTmp('iam-nouid.json', '{"UID": "", "Private_Key": "k", "login_endpoint": "e"}');
  const iamBad = writeTmp('iam-bad.json', '{"uid": ');
  const gone = join(tmp, 'iam-missing.json');

  tt.strictSame(readIAMConfig(iamGood), { uid: 'svc', privateKey: pem, loginEndpoint: 'https://m/acs/api/v1/auth/login' });
  tt.equal(loadWith({ mesosauthentication: 'iam', iamconfigfile: iamGood }).MesosAuthentication, 'iam');
  tt.equal(loadWith({ mesosauthentication: 'basic', mesoscredentials: { principal: 'p' } }).MesosAuthentication, 'basic');
  tt.equal(loadWith({ mesosauthentication: 'basic', mesoscredentials: { secret: 's' } }).MesosAuthentication, 'basic');

  expectError(tt, () => loadWith({ mesosauthentication: 'kerberos' }), 'MesosAuthentication',
    'unregistered factory requested: "kerberos" (valid: "", "basic", "iam")');
  expectError(tt, () => loadWith({ mesosauthentication: 'Basic', mesoscredentials: { principal: 'p' } }), 'MesosAuthentication',
    'unregistered factory requested: "Basic" (valid: "", "basic", "iam")');
  expectError(tt, () => loadWith({ mesosauthentication: 'basic' }), 'MesosCredentials',
    'invalid HTTP Basic configuration: MesosAuthentication is "basic" but neither principal nor secret is set');
  expectError(tt, () => loadWith({ mesosauthentication: 'iam' }), 'IAMConfigFile',
    'missing configuration for specified authentication mechanism: MesosAuthentication is "iam" but IAMConfigFile is not set');
  expectError(tt, () => loadWith({ mesosauthentication: 'iam', iamconfigfile: iamNoUid }), 'IAMConfigFile',
    `invalid HTTP IAM configuration in "${iamNoUid}": missing uid`);
  const badKey = failure(() => loadWith({ mesosauthentication: 'iam', iamconfigfile: iamBadKey }));
  tt.equal(badKey.key, 'IAMConfigFile');
  tt.match(badKey.message, `config key "IAMConfigFile": invalid HTTP IAM configuration in "${iamBadKey}": private_key: `);
  expectError(tt, () => loadWith({ mesosauthentication: 'iam', iamconfigfile: iamBad }), 'IAMConfigFile',
    `invalid IAM JSON in "${iamBad}": unexpected end of JSON input at line 1, column 9`);
  expectError(tt, () => loadWith({ mesosauthentication: 'iam', iamconfigfile: gone }), 'IAMConfigFile',
    `failed to load IAM config from file "${gone}": no such file`);

  // Credentials without a mechanism: warnings, and a set IAM file is still loaded.
  const { warnings } = load({ masters: ['10.0.0.1:5050'], mesoscredentials: { principal: 'p', secret: 's' }, iamconfigfile: iamNoUid });
  tt.strictSame(warnings, [
    'Warning! MesosCredentials is configured, but MesosAuthentication is set to none. This is probably not intentional',
    'Warning! IAMConfigFile is configured, but MesosAuthentication is set to none. This is probably not intentional',
  ]);
  expectError(tt, () => loadWith({ iamconfigfile: iamBad }), 'IAMConfigFile',
    `invalid IAM JSON in "${iamBad}": unexpected end of JSON input at line 1, column 9`);
});

t.test('redactedConfig hides the Mesos secret only', async (tt) => {
  const c = loadWith({ mesosauthentication: 'basic', mesoscredentials: { principal: 'p1', secret: 's3cr3t' } });
  const r = redactedConfig(c);
  tt.strictSame(r, { ...c, MesosCredentials: { Principal: 'p1', Secret: '******' } });
  tt.equal(c.MesosCredentials.Secret, 's3cr3t', 'the original is untouched');
  tt.strictSame(Object.keys(r), Object.keys(c), 'field order kept');
  const plain = loadWith({});
  tt.strictSame(redactedConfig(plain), plain, 'an empty secret stays empty');
});

t.test('config.example.json loads cleanly', async (tt) => {
  const warnings: string[] = [];
  const path = join(ROOT, 'config.example.json');
  const c = loadConfig(path, { now: () => NOW, warn: (m) => warnings.push(m) });
  tt.strictSame(warnings, []);
  tt.strictSame(c, {
    ...defaultConfig(),
    Port: 8053,
    SOASerial: NOW,
    SOAMname: 'ns1.mesos.',
    SOARname: 'root.ns1.mesos.',
    // Loopback only, so that trying the example on any machine sends nothing off it.
    Masters: ['127.0.0.1:5050'],
    Resolvers: ['127.0.0.53:53'],
    Zk: 'zk://127.0.0.1:2181/mesos',
    File: path,
    Listener: '127.0.0.1',
    HTTPListener: '127.0.0.1',
  });
  // Every key of the struct except the two that are not input (SOASerial, File) is spelled out.
  const keys = Object.keys(JSON.parse(readFileSync(path, 'utf8')) as object).sort();
  tt.strictSame(keys, Object.keys(defaultConfig()).filter((k) => k !== 'SOASerial' && k !== 'File').sort());
});

t.test('the reference capture config loads to what the original showed in /v1/config', async (tt) => {
  const warnings: string[] = [];
  const path = join(ROOT, 'test/fixtures/reference/config.json');
  const c = loadConfig(path, { now: () => NOW, warn: (m) => warnings.push(m) });
  tt.strictSame(warnings, []);
  const shown = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/reference/http/v1-config.body'), 'utf8')) as Record<string, unknown>;
  const d = defaultConfig();
  tt.strictSame(c, {
    ...shown,
    SOASerial: NOW,
    File: path,
    CacheOn: d.CacheOn,
    CacheMaxEntries: d.CacheMaxEntries,
    CacheMaxBytes: d.CacheMaxBytes,
    ForwardMaxOutstanding: d.ForwardMaxOutstanding,
    ForwardAllowFrom: d.ForwardAllowFrom,
    ForwardMaxTTL: d.ForwardMaxTTL,
    ShutdownGraceSeconds: d.ShutdownGraceSeconds,
    SnapshotFile: d.SnapshotFile,
    StaleAfterSeconds: d.StaleAfterSeconds,
    TransferAllowFrom: d.TransferAllowFrom,
    NotifyTargets: d.NotifyTargets,
    TransferJournalMaxBytes: d.TransferJournalMaxBytes,
    PTROn: d.PTROn,
    PTRZones: d.PTRZones,
    StateSource: d.StateSource,
    StreamRecoveryGraceSeconds: d.StreamRecoveryGraceSeconds,
    ReconcileSeconds: d.ReconcileSeconds,
    AnswerThreads: d.AnswerThreads,
  });
});
