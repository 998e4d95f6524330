// Parser for the `zk` config value, `zk://host1:port1,host2:port2/path`. Written by hand rather than
// with WHATWG `URL` because a comma-separated host list is not a valid URL authority there, and
// because node-zookeeper-client's own parser splits on every ':' (it cannot read `[v6]:port`):
// we hand the client a list of {host, port} ourselves. It is the only zk URL parser: config loading
// validates `Zk` with it too, so what starts up is exactly what the detector can use. Errors are
// ConfigErrors naming `Zk` (the Go field name, like every other config error), so a bad value stops
// the process at start-up with a message saying which key is wrong and why.
import net from 'node:net';
import { ConfigError } from './error.js';
import { parsePort } from '../net/hostport.js';

export interface ZkServer {
  /** Host name or IP literal, IPv6 without brackets. */
  host: string;
  port: number;
}

export interface ZkUrl {
  servers: ZkServer[];
  /** Absolute znode path, no trailing '/', e.g. "/mesos". */
  path: string;
  /** The URL carried `user:pass@`; ignored (as the original does), the caller warns. */
  hadCredentials: boolean;
  /** The URL without credentials, safe for logs. */
  redacted: string;
}

export const DEFAULT_ZK_PORT = 2181;

const HOSTNAME = /^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;

function fail(url: string, why: string): never {
  // The raw value may hold a password: show it only without the userinfo part.
  throw new ConfigError('Zk', `${why} (got ${JSON.stringify(redact(url))}; expected zk://host1:port1,host2:port2/path)`);
}

function redact(url: string): string {
  return url.replace(/^([a-z]+:\/\/)[^/@]*@/i, '$1');
}

function zkPort(url: string, text: string, hostSpec: string): number {
  const port = parsePort(text);
  if (port === null && !/^\d{1,5}$/.test(text)) fail(url, `bad port in ${JSON.stringify(hostSpec)}`);
  if (port === null || port === 0) fail(url, `port out of range in ${JSON.stringify(hostSpec)}`);
  return port;
}

function parseHost(url: string, spec: string): ZkServer {
  if (spec === '') fail(url, 'empty host in the host list');
  if (spec.startsWith('[')) {
    const end = spec.indexOf(']');
    if (end < 0) fail(url, `unclosed '[' in ${JSON.stringify(spec)}`);
    const host = spec.slice(1, end);
    if (net.isIPv6(host) === false) fail(url, `${JSON.stringify(host)} is not an IPv6 address`);
    const rest = spec.slice(end + 1);
    if (rest === '') return { host, port: DEFAULT_ZK_PORT };
    if (!rest.startsWith(':')) fail(url, `unexpected text after ']' in ${JSON.stringify(spec)}`);
    return { host, port: zkPort(url, rest.slice(1), spec) };
  }
  const colons = spec.split(':').length - 1;
  if (colons > 1) fail(url, `IPv6 address ${JSON.stringify(spec)} must be in brackets, e.g. [::1]:2181`);
  const [host, portText] = colons === 1 ? spec.split(':') : [spec, undefined];
  if (host === '') fail(url, `empty host in ${JSON.stringify(spec)}`);
  if (!net.isIPv4(host) && !HOSTNAME.test(host)) fail(url, `bad host name ${JSON.stringify(host)}`);
  return { host, port: portText === undefined ? DEFAULT_ZK_PORT : zkPort(url, portText, spec) };
}

function parsePath(url: string, raw: string): string {
  if (raw === '' || raw === '/') fail(url, 'a znode path is required, e.g. /mesos');
  const path = raw.replace(/\/+$/, '');
  for (const seg of path.slice(1).split('/')) {
    if (seg === '') fail(url, `empty segment in path ${JSON.stringify(raw)}`);
    if (seg === '.' || seg === '..') fail(url, `relative segment in path ${JSON.stringify(raw)}`);
    // ZooKeeper forbids these in node names; rejecting here beats a runtime error on every retry.
    if (/[\u0000-\u001f\u007f-\u009f\ud800-\uf8ff\ufff0-\uffff]/.test(seg)) {
      fail(url, `forbidden character in path ${JSON.stringify(raw)}`);
    }
  }
  return path;
}

export function parseZkUrl(url: string): ZkUrl {
  const m = /^zk:\/\/([^/?#]*)(\/[^?#]*)?([?#].*)?$/i.exec(url.trim());
  if (!m) {
    if (!/^zk:\/\//i.test(url.trim())) fail(url, 'must start with zk://');
    fail(url, 'query strings and fragments are not allowed');
  }
  const [, authorityRaw, pathRaw = '', extra] = m;
  if (extra) fail(url, 'query strings and fragments are not allowed');
  let authority = authorityRaw;
  let hadCredentials = false;
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    hadCredentials = true;
    authority = authority.slice(at + 1);
  }
  if (authority === '') fail(url, 'no ZooKeeper host given');
  const servers = authority.split(',').map((spec) => parseHost(url, spec));
  const path = parsePath(url, pathRaw);
  return { servers, path, hadCredentials, redacted: `zk://${authority}${path}` };
}
