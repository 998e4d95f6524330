// How the state client and the event-stream subscriber reach a master: the TLS material loaded
// with the config (Settings.master), and the Authorization header (basic, or an IAM login with an
// RS256 token per request) [B§5.1] [A.19]. Apart from the client (state/fetch.ts) as the original keeps them apart
// (httpcli/{basic,iam}), so a new mechanism is a change here only.
import { request, type Dispatcher } from 'undici';
import { sign, type KeyObject } from 'node:crypto';
import type { MasterSettings } from '../config/types.js';
import type { IAMCredentials } from '../config/iam.js';
import type { Logger } from '../log.js';
import { readBody } from './body.js';

/** Cap on the IAM login answer, which is a small JSON object. */
const MAX_LOGIN_BYTES = 1024 * 1024;

function b64url(b: Buffer | string): string {
  return Buffer.from(b).toString('base64url');
}

/** RS256 JWT with the claims the original sends: `uid` and `exp` = now + 1 h. */
export function iamToken(uid: string, key: KeyObject, nowSeconds = Math.floor(Date.now() / 1000)): string {
  const head = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const claims = b64url(JSON.stringify({ exp: nowSeconds + 3600, uid }));
  const signature = sign('sha256', Buffer.from(`${head}.${claims}`), key);
  return `${head}.${claims}.${b64url(signature)}`;
}

/** Go forwards credentials on a redirect only to the same host or one of its subdomains. */
export function mayCarryCredentials(initial: URL, dest: URL): boolean {
  const i = initial.hostname.toLowerCase(), d = dest.hostname.toLowerCase();
  return d === i || d.endsWith('.' + i);
}

/**
 * How to reach the masters: scheme, TLS material and credentials, as loaded (config/load.ts reads
 * and parses them once: nothing here touches a file). Shared by the state client and the
 * event-stream subscriber (stream/subscriber.ts), so both speak to a master the same way
 * ([B§5.1]: MesosHTTPSOn, CACertFile, CertFile/KeyFile, basic or IAM).
 */
export interface MasterAccess {
  scheme: 'http' | 'https';
  /** undici `connect` options. */
  tls: MasterSettings['tls'];
  /** The Authorization header value (an IAM login per call), or null without authentication. */
  authorization(dispatcher: Dispatcher, signal: AbortSignal): Promise<string | null>;
}

export function masterAccess(m: MasterSettings, log: Logger): MasterAccess {
  // as the original (no CA: any certificate), but not silently
  if (m.scheme === 'https' && m.tls.ca === undefined) {
    log.warn('MesosHTTPSOn without CACertFile: the masters\' certificates are not verified (set CACertFile to verify them)');
  }
  const auth = m.auth;
  const basic = auth.kind === 'basic' ? 'Basic ' + Buffer.from(`${auth.principal}:${auth.secret}`, 'utf8').toString('base64') : null;
  return {
    scheme: m.scheme,
    tls: { ...m.tls },
    async authorization(dispatcher, signal) {
      if (basic !== null) return basic;
      if (auth.kind !== 'iam') return null;
      return `token=${await iamLogin(auth, dispatcher, signal)}`;
    },
  };
}

async function iamLogin(cfg: IAMCredentials, dispatcher: Dispatcher, signal: AbortSignal): Promise<string> {
  const res = await request(cfg.loginEndpoint, {
    dispatcher,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'Mesos-DNS' },
    body: JSON.stringify({ uid: cfg.uid, token: iamToken(cfg.uid, cfg.key) }),
    signal,
  });
  if (res.statusCode !== 200) {
    await res.body.dump().catch(() => {});
    throw new Error(`IAM authentication failed (HTTP ${res.statusCode})`);
  }
  const raw = await readBody(res, MAX_LOGIN_BYTES);
  let token: unknown;
  try {
    token = (JSON.parse(raw.toString('utf8')) as Record<string, unknown> | null)?.['token'];
  } catch {
    throw new Error('IAM authentication failed: login answer is not JSON');
  }
  if (typeof token !== 'string' || token === '') throw new Error('IAM authentication failed: no token in login answer');
  return token;
}
