// The state client: fetches the raw `/master/state` bytes from the masters in order (SPEC B §5.1,
// §5.2, A.16). It returns bytes, not objects, because parsing a 50 MB state is expensive and may run
// off the main thread; here we only scan for the top-level `leader` key, which the leader-redirect
// rule needs. One undici Agent is kept for the client's lifetime so connections (and TLS sessions)
// are reused; the original disabled keep-alive, which only costs handshakes.
import { Agent, request, type Dispatcher } from 'undici';
import { sign, type KeyObject } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { joinHostPort, parsePort, splitHostPortLoose, type HostPort } from '../net/hostport.js';
import { leaderHost } from '../net/upid.js';
import type { Config } from '../config/types.js';
import { MAX_PEM_FILE_BYTES, readFileFor } from '../config/file.js';
import { iamCredentials, type IAMCredentials } from '../config/iam.js';
import type { Logger } from '../log.js';
import { freeNow } from '../memory.js';

/** Default cap on a state body (decoded): a runaway master must not exhaust our memory. */
export const DEFAULT_MAX_BODY_BYTES = 512 * 1024 * 1024;
/** Cap on the IAM login answer, which is a small JSON object. */
const MAX_LOGIN_BYTES = 1024 * 1024;
/** Go's http.Client stops after 10 redirects. */
const MAX_REDIRECTS = 10;

export interface FetchedState {
  /** The raw (decoded) state bytes, as the master sent them. */
  body: Buffer;
  /** `host:port` the body came from (the leader named by the state, when redirected to it). */
  master: string;
  /** The state's top-level `leader` value (non-empty). */
  leader: string;
  /** What the `decode` option returned with the leader (e.g. the parsed document), if any. */
  value?: unknown;
}

/** A body's leader, and optionally the decoded document so the caller need not decode it again. */
export interface DecodedState { leader: string; value?: unknown }

export interface StateClient {
  /** Try `masters` in order ("" entries skipped); throws StateFetchError when every one fails. */
  fetchState(masters: readonly string[]): Promise<FetchedState>;
  /** Drop pooled connections and abort requests in flight. */
  close(): Promise<void>;
}

export interface StateClientOptions {
  maxBodyBytes?: number;
  /**
   * How to find the leader in a body; throws when the body is unusable. Default: scan the
   * bytes for the top-level key without building the document. A caller that parses the
   * whole state anyway (the build worker, with state/scan.ts) passes its parser here: one pass
   * instead of two.
   */
  decode?: (body: Buffer) => DecodedState | Promise<DecodedState>;
}

async function scanDecode(body: Buffer): Promise<DecodedState> {
  const scan = await scanLeaderAsync(body);
  if (!scan.ok) throw new Error(scan.error);
  return { leader: scan.leader };
}

export interface FetchAttempt {
  master: string;
  error: string;
}

/** Every master failed: `attempts` says which and why, in the order they were tried. */
export class StateFetchError extends Error {
  constructor(public readonly attempts: readonly FetchAttempt[], message?: string) {
    super(
      message ??
        `failed to fetch state from every master: ${attempts.map((a) => `${a.master}: ${a.error}`).join('; ')}`,
    );
    this.name = 'StateFetchError';
  }
}

// ---------------------------------------------------------------------------------------------
// host:port handling, Go style (the shared rules are in net/hostport.ts and net/upid.ts)

/** A masters-list entry, split loosely [B§5.2]. */
function splitMaster(master: string): HostPort {
  const hp = splitHostPortLoose(master);
  if (!hp) throw new Error(`invalid master address ${JSON.stringify(master)}: missing port`);
  return hp;
}

function stateURL(scheme: string, host: string, port: string): string {
  if (parsePort(port) === null) throw new Error(`invalid port ${JSON.stringify(port)}`);
  if (host === '') throw new Error('empty host');
  // A zone index (fe80::1%eth0) must be percent-encoded inside a URL.
  const h = host.includes(':') ? `[${host.replace(/%/g, '%25')}]` : host;
  return `${scheme}://${h}:${port}/master/state`;
}

// ---------------------------------------------------------------------------------------------
// The top-level "leader" scan

export type LeaderScan = { ok: true; leader: string } | { ok: false; error: string };

const QUOTE = 0x22, BACKSLASH = 0x5c, LBRACE = 0x7b, RBRACE = 0x7d, LBRACKET = 0x5b, RBRACKET = 0x5d;
const COMMA = 0x2c, COLON = 0x3a, SPACE = 0x20, TAB = 0x09, LF = 0x0a, CR = 0x0d, LETTER_N = 0x6e;

function isWs(c: number): boolean {
  return c === SPACE || c === LF || c === CR || c === TAB;
}

/** Index of the quote closing the string that opens at `open`, or -1. Jumps quote to quote natively. */
export function stringEnd(buf: Buffer, open: number): number {
  let j = buf.indexOf(QUOTE, open + 1);
  while (j >= 0) {
    let bs = 0;
    for (let k = j - 1; k > open && buf[k] === BACKSLASH; k--) bs++;
    if ((bs & 1) === 0) return j;
    j = buf.indexOf(QUOTE, j + 1);
  }
  return -1;
}

/** Is the key string buf[open..close] "leader", matched case-insensitively as Go's decoder does? */
function isLeaderKey(buf: Buffer, open: number, close: number): boolean {
  const len = close - open - 1;
  if (len === 6) {
    // Fast path: plain ASCII, compared with the case bit folded.
    const w = 'leader';
    for (let k = 0; k < 6; k++) if ((buf[open + 1 + k]! | 0x20) !== w.charCodeAt(k)) return false;
    return true;
  }
  const bs = len > 6 ? buf.indexOf(BACKSLASH, open + 1) : -1;
  if (bs >= 0 && bs < close) {
    try {
      return (JSON.parse(buf.toString('utf8', open, close + 1)) as string).toLowerCase() === 'leader';
    } catch {
      return false;
    }
  }
  return false;
}

/**
 * Finds the top-level `leader` string without building the document: strings are skipped with
 * native `indexOf`, so a 50 MB state takes well under 100 ms. Like Go's decoder, keys match
 * case-insensitively, the last occurrence wins, `null` leaves it unset and any other type is an
 * error. It also checks the outline (one object, brackets balanced, nothing after it), which catches
 * truncated and non-JSON bodies; full validation is the parser's job. Resumable, so that the async
 * entry point can yield to the event loop between slices and never stall DNS answers for long.
 */
class LeaderScanner {
  private i = 0;
  private depth = 0;
  private keyPos = false; // at depth 1, the next string is a key
  private valuePos = false; // at depth 1, just after a ':'
  private keyIsLeader = false;
  private leader: string | undefined;
  private badType = false;
  private started = false;

  constructor(private readonly buf: Buffer) {}

  /** Scan up to about `budget` more bytes; returns the verdict once there is one, else undefined. */
  step(budget: number): LeaderScan | undefined {
    const buf = this.buf;
    const n = buf.length;
    let i = this.i;
    if (!this.started) {
      this.started = true;
      while (i < n && isWs(buf[i]!)) i++;
      if (i >= n || buf[i] !== LBRACE) return { ok: false, error: 'state is not a JSON object' };
    }
    const stop = Math.min(n, i + budget);
    let depth = this.depth, keyPos = this.keyPos, valuePos = this.valuePos, keyIsLeader = this.keyIsLeader;
    for (; i < stop; i++) {
      const c = buf[i]!;
      if (valuePos && !isWs(c)) {
        valuePos = false;
        if (keyIsLeader) {
          if (c === QUOTE) {
            const end = stringEnd(buf, i);
            if (end < 0) return { ok: false, error: 'unterminated string in state' };
            try {
              this.leader = JSON.parse(buf.toString('utf8', i, end + 1)) as string;
            } catch {
              return { ok: false, error: 'invalid "leader" string in state' };
            }
            i = end;
            continue;
          }
          if (c !== LETTER_N) this.badType = true;
        }
      }
      switch (c) {
        case QUOTE: {
          const end = stringEnd(buf, i);
          if (end < 0) return { ok: false, error: 'unterminated string in state' };
          if (depth === 1 && keyPos) {
            keyIsLeader = isLeaderKey(buf, i, end);
            keyPos = false;
          }
          i = end;
          break;
        }
        case LBRACE:
        case LBRACKET:
          if (++depth === 1) keyPos = true;
          break;
        case RBRACE:
        case RBRACKET:
          if (--depth === 0) {
            for (i++; i < n; i++) if (!isWs(buf[i]!)) return { ok: false, error: 'unexpected data after the state object' };
            if (this.badType) return { ok: false, error: 'state "leader" is not a string' };
            return { ok: true, leader: this.leader ?? '' };
          }
          if (depth < 0) return { ok: false, error: 'unbalanced brackets in state' };
          break;
        case COMMA:
          if (depth === 1) keyPos = true;
          break;
        case COLON:
          if (depth === 1) valuePos = true;
          break;
        default:
          break;
      }
    }
    if (i >= n) return { ok: false, error: 'state ends before its closing brace (truncated?)' };
    this.i = i;
    this.depth = depth;
    this.keyPos = keyPos;
    this.valuePos = valuePos;
    this.keyIsLeader = keyIsLeader;
    return undefined;
  }
}

/** Synchronous scan of the whole body (see LeaderScanner). */
export function scanLeader(buf: Buffer): LeaderScan {
  const scanner = new LeaderScanner(buf);
  for (;;) {
    const verdict = scanner.step(Number.MAX_SAFE_INTEGER);
    if (verdict) return verdict;
  }
}

/** The same scan in slices of `sliceBytes`, yielding to the event loop between them. */
export async function scanLeaderAsync(buf: Buffer, sliceBytes = 2 * 1024 * 1024): Promise<LeaderScan> {
  const scanner = new LeaderScanner(buf);
  for (;;) {
    const verdict = scanner.step(sliceBytes);
    if (verdict) return verdict;
    await new Promise<void>((r) => setImmediate(r));
  }
}

// ---------------------------------------------------------------------------------------------
// The client

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
function mayCarryCredentials(initial: URL, dest: URL): boolean {
  const i = initial.hostname.toLowerCase(), d = dest.hostname.toLowerCase();
  return d === i || d.endsWith('.' + i);
}

function errorText(e: unknown): string {
  if (e instanceof AggregateError && e.errors.length > 0) return errorText(e.errors[0]);
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    const cause = e.cause instanceof Error ? `: ${e.cause.message}` : '';
    const msg = e.message || code || e.name;
    return code && !msg.includes(code) ? `${msg} (${code})${cause}` : `${msg}${cause}`;
  }
  return String(e);
}

/** Drop a body we will not read. The listener matters: undici reports the drop as an 'error' event. */
function discard(res: Dispatcher.ResponseData): void {
  res.body.on('error', () => {});
  res.body.destroy();
}

/**
 * Blocks a body of unknown length is collected in. 4 MiB: above glibc's mmap threshold as the
 * launcher sets it (1 MiB), so each block is its own mapping, and unpooled (allocUnsafeSlow), so
 * freeNow() hands it back to the system at once. Why: collected as the stream's 64 kB chunks, a
 * body rejected at the 512 MiB limit left RSS ~520 MiB higher for good (freed into malloc's heap,
 * never returned).
 */
const BODY_BLOCK = 4 * 1024 * 1024;

/** What was read of a body, in blocks of BODY_BLOCK bytes; released at once on failure. */
class BodyBlocks {
  private blocks: Buffer[] = [];
  private at = BODY_BLOCK; // fill of the last block
  size = 0;

  add(chunk: Buffer): void {
    let from = 0;
    while (from < chunk.length) {
      if (this.at === BODY_BLOCK) { this.blocks.push(Buffer.allocUnsafeSlow(BODY_BLOCK)); this.at = 0; }
      const n = chunk.copy(this.blocks[this.blocks.length - 1]!, this.at, from);
      this.at += n;
      from += n;
    }
    this.size += chunk.length;
  }

  /** The body as one buffer of its exact size; the blocks are released. */
  take(): Buffer {
    if (this.blocks.length === 1) { const b = this.blocks[0]!.subarray(0, this.size); this.blocks = []; return b; }
    const out = Buffer.allocUnsafeSlow(this.size);
    let at = 0;
    for (const b of this.blocks) at += b.copy(out, at, 0, Math.min(BODY_BLOCK, this.size - at));
    this.release();
    return out;
  }

  /** Give the memory back now, not at some later collection. */
  release(): void {
    const bufs = this.blocks.map((b) => b.buffer as ArrayBuffer);
    this.blocks = [];
    if (bufs.length > 0) freeNow(bufs);
  }
}

/** Collect a response body, gunzipping when needed and stopping at `limit` decoded bytes. */
async function readBody(res: Dispatcher.ResponseData, limit: number): Promise<Buffer> {
  const len = Number(res.headers['content-length']);
  const enc = String(res.headers['content-encoding'] ?? '').trim().toLowerCase();
  if ((enc === '' || enc === 'identity') && Number.isFinite(len) && len > limit) {
    discard(res);
    throw new Error(`state body of ${len} bytes exceeds the limit of ${limit}`);
  }
  if ((enc === '' || enc === 'identity') && Number.isFinite(len) && len > 0) {
    // Known length: copy into one buffer as chunks arrive, instead of one big concat (a stall) at the end.
    const whole = Buffer.allocUnsafeSlow(len);
    let at = 0;
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        if (at + chunk.length > len) throw new Error(`state body longer than its Content-Length of ${len}`);
        chunk.copy(whole, at);
        at += chunk.length;
      }
      if (at !== len) throw new Error(`state body shorter (${at}) than its Content-Length of ${len}`);
    } catch (e) {
      discard(res);
      freeNow([whole.buffer as ArrayBuffer]);
      throw e;
    }
    return whole;
  }
  if (enc !== '' && enc !== 'identity' && enc !== 'gzip' && enc !== 'x-gzip') {
    discard(res);
    throw new Error(`unsupported Content-Encoding ${JSON.stringify(enc)}`);
  }
  const body = new BodyBlocks();
  // The limit's own error, reported as such: stopping the pipeline turns it into an abort.
  let over: Error | null = null;
  const sink = async (source: AsyncIterable<Buffer>): Promise<void> => {
    for await (const chunk of source) {
      if (body.size + chunk.length > limit) {
        over = new Error(`state body exceeds the limit of ${limit} bytes${enc === '' || enc === 'identity' ? '' : ' (decompressed)'}`);
        throw over;
      }
      body.add(chunk);
    }
  };
  try {
    if (enc === '' || enc === 'identity') await sink(res.body);
    else await pipeline(res.body as unknown as Readable, createGunzip({ chunkSize: 64 * 1024 }), sink);
  } catch (e) {
    discard(res); // stop reading at the limit: the connection goes, not the rest of the body
    body.release();
    throw over ?? e;
  }
  return body.take();
}

/**
 * How to reach the masters: scheme, TLS material and credentials, read once. Shared by the state
 * client and the event-stream subscriber (stream/subscriber.ts), so both speak to a master the
 * same way (SPEC B §5.1: MesosHTTPSOn, CACertFile, CertFile/KeyFile, basic or IAM).
 */
export interface MasterAccess {
  scheme: 'http' | 'https';
  /** undici `connect` options. */
  tls: { ca?: string; cert?: string; key?: string; rejectUnauthorized: boolean };
  /** The Authorization header value (an IAM login per call), or null without authentication. */
  authorization(dispatcher: Dispatcher, signal: AbortSignal): Promise<string | null>;
}

export function masterAccess(config: Config, log: Logger): MasterAccess {
  // TLS material is read once, here: a bad file is a start-up problem, not a per-refresh one.
  const tls: MasterAccess['tls'] = { rejectUnauthorized: false };
  if (config.CACertFile) {
    tls.ca = readFileFor('CACertFile', config.CACertFile, MAX_PEM_FILE_BYTES);
    tls.rejectUnauthorized = true;
  } else if (config.MesosHTTPSOn) {
    // as the original (no CA: any certificate), but not silently
    log.warn('MesosHTTPSOn without CACertFile: the masters\' certificates are not verified (set CACertFile to verify them)');
  }
  if (config.CertFile && config.KeyFile) {
    tls.cert = readFileFor('CertFile', config.CertFile, MAX_PEM_FILE_BYTES);
    tls.key = readFileFor('KeyFile', config.KeyFile, MAX_PEM_FILE_BYTES);
  }
  const basic =
    config.MesosAuthentication === 'basic'
      ? 'Basic ' + Buffer.from(`${config.MesosCredentials.Principal}:${config.MesosCredentials.Secret}`, 'utf8').toString('base64')
      : null;
  const iam = config.MesosAuthentication === 'iam' ? iamCredentials(config.IAMConfigFile) : null;
  return {
    scheme: config.MesosHTTPSOn ? 'https' : 'http',
    tls,
    async authorization(dispatcher, signal) {
      if (basic !== null) return basic;
      if (iam === null) return null;
      return `token=${await iamLogin(iam, dispatcher, signal)}`;
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

export function createStateClient(config: Config, log: Logger, options: StateClientOptions = {}): StateClient {
  const access = masterAccess(config, log);
  const scheme = access.scheme;
  const timeoutMs = Math.max(1, config.StateTimeoutSeconds) * 1000;
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const decode = options.decode ?? scanDecode;
  const tls = access.tls;
  const needsLogin = config.MesosAuthentication === 'iam';

  // Our own AbortSignal bounds each exchange end to end, so undici's per-phase timeouts are off.
  // Its connect timeout (10 s by default, TLS handshake included) would cut a slow master short
  // of StateTimeoutSeconds: it is ours instead.
  const agent = new Agent({ connect: { ...tls, timeout: timeoutMs }, headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 4_000 });
  const inflight = new Set<AbortController>();
  let closed = false;

  /** Run `fn` under one deadline of StateTimeoutSeconds; a timeout is reported as such. */
  async function withDeadline<T>(what: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (closed) throw new Error('state client is closed');
    const ac = new AbortController();
    inflight.add(ac);
    const timer = setTimeout(() => ac.abort(new Error(`${what} timed out after ${config.StateTimeoutSeconds}s`)), timeoutMs);
    try {
      return await fn(ac.signal);
    } catch (e) {
      if (ac.signal.aborted) throw ac.signal.reason instanceof Error ? ac.signal.reason : new Error(`${what} aborted`);
      throw e;
    } finally {
      clearTimeout(timer);
      inflight.delete(ac);
    }
  }

  /** One GET of `<scheme>://host:port/master/state`, following HTTP redirects as Go's client does. */
  async function getState(host: string, port: string): Promise<Buffer> {
    const first = new URL(stateURL(scheme, host, port));
    const authorization = needsLogin
      ? await withDeadline('IAM login', (signal) => access.authorization(agent, signal))
      : await access.authorization(agent, new AbortController().signal);
    return withDeadline('state request', async (signal) => {
      let url = first;
      let retried = false;
      for (let hops = 0; ; ) {
        const headers: Record<string, string> = {
          'user-agent': 'Mesos-DNS',
          accept: 'application/json',
          'accept-encoding': 'gzip',
        };
        if (authorization !== null && mayCarryCredentials(first, url)) headers['authorization'] = authorization;
        let res: Dispatcher.ResponseData;
        try {
          res = await request(url, { dispatcher: agent, method: 'GET', headers, signal });
        } catch (e) {
          // A pooled connection the master closed while idle fails at once; a GET is safe to resend.
          const code = (e as NodeJS.ErrnoException).code;
          if (!retried && !signal.aborted && (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE')) {
            retried = true;
            continue;
          }
          throw e;
        }
        const status = res.statusCode;
        if (status >= 200 && status <= 299) return await readBody(res, maxBody);
        const location = res.headers['location'];
        await res.body.dump().catch(() => {});
        if ([301, 302, 303, 307, 308].includes(status) && typeof location === 'string' && location !== '') {
          if (++hops > MAX_REDIRECTS) throw new Error(`stopped after ${MAX_REDIRECTS} redirects`);
          url = new URL(location, url);
          if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`redirect to unsupported URL ${location}`);
          continue;
        }
        throw new Error(`HTTP ${status}`);
      }
    });
  }

  /** One master with the leader-redirect rule of SPEC B §5.2: at most one hop, same port. */
  async function fetchFromMaster(master: string): Promise<FetchedState> {
    const { host, port } = splitMaster(master);
    const body = await getState(host, port);
    const scan = await decode(body);
    if (scan.leader === '') throw new Error('fetched state does not contain leader information');
    const lh = leaderHost(scan.leader);
    if (lh === host) return { body, master, leader: scan.leader, value: scan.value };

    const hop = joinHostPort(lh, port);
    log.debug({ master, leader: scan.leader, hop }, 'master is not the leader; fetching state from the leader');
    try {
      const hopBody = await getState(lh, port);
      const hopScan = await decode(hopBody);
      if (hopScan.leader === '') throw new Error('fetched state does not contain leader information');
      return { body: hopBody, master: hop, leader: hopScan.leader, value: hopScan.value };
    } catch (e) {
      throw new Error(`leader ${hop} named by its state: ${errorText(e)}`);
    }
  }

  return {
    async fetchState(masters: readonly string[]): Promise<FetchedState> {
      const candidates = masters.filter((m) => m !== '');
      if (candidates.length === 0) throw new StateFetchError([], 'no masters given to fetch state from');
      const attempts: FetchAttempt[] = [];
      for (const master of candidates) {
        try {
          const got = await fetchFromMaster(master);
          // Failures are only worth a line when a later master saved the day; otherwise the
          // caller reports the StateFetchError, which names them all.
          for (const a of attempts) log.warn({ master: a.master, err: a.error }, 'state fetch from master failed; used the next one');
          return got;
        } catch (e) {
          attempts.push({ master, error: errorText(e) });
          if (closed) break;
        }
      }
      throw new StateFetchError(attempts);
    },
    async close() {
      closed = true;
      for (const ac of inflight) ac.abort(new Error('state client closed'));
      await agent.destroy().catch(() => {});
    },
  };
}
