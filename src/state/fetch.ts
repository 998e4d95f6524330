// The state client: fetches the raw `/master/state` bytes from the masters in order [B§5.1]
// [B§5.2] [A.16]. It returns bytes, not objects, because parsing a 50 MB state is expensive and may run
// off the main thread; the caller's `decode` finds the top-level `leader` key, which the
// leader-redirect rule needs (the build worker passes its one-pass parser, state/scan.ts). One
// undici Agent is kept for the client's lifetime so connections (and TLS sessions) are reused; the
// original disabled keep-alive, which only costs handshakes.
import { Agent, request, type Dispatcher } from 'undici';
import { joinHostPort, parsePort, splitHostPortLoose, type HostPort } from '../net/hostport.js';
import { leaderHost } from '../net/upid.js';
import type { Settings } from '../config/types.js';
import type { Logger } from '../log.js';
import { masterAccess, mayCarryCredentials } from './auth.js';
import { readBody } from './body.js';

/** Default cap on a state body (decoded): a runaway master must not exhaust our memory. */
export const DEFAULT_MAX_BODY_BYTES = 512 * 1024 * 1024;
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
   * How to find the leader in a body; throws when the body is unusable. The build worker passes
   * its parser (state/scan.ts), which reads the leader in the same pass as the rest of the state.
   */
  decode: (body: Buffer) => DecodedState | Promise<DecodedState>;
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
// The client (how it authenticates: state/auth.ts; how it reads a body within its limit: state/body.ts)

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

export function createStateClient(settings: Settings, log: Logger, options: StateClientOptions): StateClient {
  const config = settings.config;
  const access = masterAccess(settings.master, log);
  const scheme = access.scheme;
  const timeoutMs = Math.max(1, config.StateTimeoutSeconds) * 1000;
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const decode = options.decode;
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

  /** One master with the leader-redirect rule of [B§5.2]: at most one hop, same port. */
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
