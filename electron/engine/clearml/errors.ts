/**
 * Turns every way a ClearML call can fail into a `ClearmlError` whose kind drives the engine (auth → stop and
 * ask the user; unreachable/timeout/server → retry next poll) and whose message tells the user what to do.
 * Messages name the host and the endpoint, never a secret or an Authorization header.
 */
import { ClearmlError } from '../ports.js';
import { PROXY_REFUSED_CODE, proxyRefusal, proxyRefusalText } from '../net/proxy.js';
import { UNTRUSTED_CA_HINT, isUntrustedCa } from '../net/trust.js';
import { clearmlHostPlace, clearmlKeysPlace, clockPlace, type Surface } from '../surface.js';

export interface FailureContext {
  /** `queues.get_all` */
  endpoint: string;
  apiHost: string;
  /** Public half of the key pair, shortened; safe to show. */
  accessKeyHint: string | null;
  /**
   * Requests go through a proxy: a connection that failed to another address than the server's was the proxy's
   * (without one, it was a redirect's, and keeps the server's message).
   */
  proxyInUse?: boolean;
  /** False for a one-off check (a connection test): its errors do not promise a retry that will not come. */
  retries?: boolean;
  /** Who reads the message: it names where they change the keys (default the app's Credentials tab). */
  surface?: Surface;
}

/** What comes next about a passing failure, as the end of a message: `sep`, then the engine's retry or the user's. */
function retryNote(ctx: FailureContext, sep = '; ', polled = 'retrying at the next poll'): string {
  return `${sep}${ctx.retries === false ? 'try again in a moment' : polled}`;
}

/** Shows enough of an access key to recognise it (it is the public half of the pair, but keep it short anyway). */
export function accessKeyHint(accessKey: string): string {
  return accessKey.length <= 6 ? accessKey : `${accessKey.slice(0, 6)}…`;
}

/** A failed envelope (HTTP status = meta.result_code) → a ClearmlError. */
export function errorFromResult(
  status: number,
  subcode: number,
  serverMessage: string,
  ctx: FailureContext,
): ClearmlError {
  const what = `${ctx.endpoint} (HTTP ${status}/${subcode}${serverMessage ? `: ${clip(serverMessage)}` : ''})`;
  const key = ctx.accessKeyHint ? ` "${ctx.accessKeyHint}"` : '';
  const keysPlace = clearmlKeysPlace(ctx.surface);
  if (status === 401) {
    const message =
      subcode === 20
        ? `ClearML received no credentials for ${what}: add an access key and secret key in ${keysPlace}`
        : subcode === 21
          ? `ClearML could not read the credentials sent with ${what}: re-enter the key pair in ${keysPlace}`
          : subcode === 22
            ? `ClearML rejected the access key${key} on ${what}: check the key pair in ${keysPlace} ` +
              `(it may have been revoked, or belong to another server than ${ctx.apiHost})`
            : subcode === 30 || subcode === 31
              ? `ClearML rejected the session token on ${what} even after logging in again: check the key pair in ` +
                `${keysPlace} and that ${clockPlace(ctx.surface)} is correct`
              : `ClearML refused to authenticate ${what}: check the key pair in ${keysPlace}`;
    return new ClearmlError('auth', message, { status, subcode });
  }
  if (status === 403) {
    return new ClearmlError(
      'auth',
      `ClearML denied ${what}: the user of access key${key} lacks permission; use credentials of a user allowed ` +
        `to manage queues and workers (${keysPlace})`,
      { status, subcode },
    );
  }
  if (status === 404) {
    return new ClearmlError(
      'not-found',
      `The ClearML server at ${ctx.apiHost} does not provide ${what}: check that the API host is the API server ` +
        `(port 8008 when self-hosted, https://api.clear.ml when hosted), or upgrade the ClearML server`,
      { status, subcode },
    );
  }
  if (status === 503) {
    return new ClearmlError(
      'server',
      `The ClearML server at ${ctx.apiHost} is unavailable or in maintenance (${what})` +
        retryNote(ctx, ': ', 'autoscaling resumes when it answers again'),
      { status, subcode },
    );
  }
  if (status >= 500) {
    return new ClearmlError(
      'server',
      `The ClearML server at ${ctx.apiHost} failed ${what}${retryNote(ctx, ': ')}; if it persists, check the ` +
        `server's logs`,
      { status, subcode },
    );
  }
  return new ClearmlError(
    'invalid',
    `The ClearML server at ${ctx.apiHost} refused ${what}: this may be an incompatible server version; ` +
      `please report it if it persists`,
    { status, subcode },
  );
}

/** A response that is not the ClearML envelope at all (a web page, a proxy error). */
export function errorFromNonEnvelope(status: number, contentType: string, ctx: FailureContext): ClearmlError {
  if (status >= 500) {
    return new ClearmlError(
      'server',
      `${ctx.apiHost} answered ${ctx.endpoint} with HTTP ${status} (${contentType || 'no content type'}), not ` +
        `a ClearML reply: a proxy or the server is failing${retryNote(ctx)}`,
      { status },
    );
  }
  return new ClearmlError(
    'not-found',
    `${ctx.apiHost} answered ${ctx.endpoint} with HTTP ${status} (${contentType || 'no content type'}) that is ` +
      `not a ClearML API reply: set the API host to the ClearML API server (port 8008 when self-hosted, ` +
      `https://api.clear.ml when hosted), not the web app`,
    { status },
  );
}

/** A 3xx answer: the client does not follow redirects (see `errorFromRedirect`). */
export function isRedirectStatus(status: number | undefined): boolean {
  return status !== undefined && status >= 300 && status < 400;
}

/**
 * A redirect (not followed) → the host to use instead. `path` is the request's own path under the API host: when
 * the new location ends with it, what comes before is the API host the server points at.
 */
export function errorFromRedirect(
  status: number,
  location: string | null,
  path: string,
  ctx: FailureContext,
): ClearmlError {
  let target: string | null = null;
  try {
    if (location) {
      const to = new URL(location, `${ctx.apiHost}${path}`);
      to.search = '';
      to.hash = '';
      const href = to.href;
      target = href.endsWith(path) ? href.slice(0, -path.length) : href;
    }
  } catch {
    target = null;
  }
  const where = target ? ` to ${clip(target)}` : '';
  const fix =
    target && target !== ctx.apiHost
      ? `set the API host to ${clip(target)}`
      : 'set the API host to the address the ClearML API server answers on itself';
  return new ClearmlError(
    'not-found',
    `${ctx.apiHost} redirects ${ctx.endpoint} (HTTP ${status})${where}: ${fix} (a redirect would drop the credentials)`,
    { status },
  );
}

/** A reply past the size bound: no ClearML reply the app asks for comes near it. */
export function errorFromOversizedReply(maxBytes: number, ctx: FailureContext): ClearmlError {
  return new ClearmlError(
    'server',
    `${ctx.apiHost} sent more than ${Math.round(maxBytes / 2 ** 20)} MB in reply to ${ctx.endpoint}, far more than a ` +
      `ClearML API reply: check that the API host is the ClearML API server (port 8008 when self-hosted, ` +
      `https://api.clear.ml when hosted)${retryNote(ctx)}`,
  );
}

/** A thrown fetch error (no response) → timeout or unreachable. */
export function errorFromFetchFailure(err: unknown, timeoutMs: number, ctx: FailureContext): ClearmlError {
  if (isTimeout(err)) {
    return new ClearmlError(
      'timeout',
      `The ClearML server at ${ctx.apiHost} did not answer ${ctx.endpoint} within ${formatSeconds(timeoutMs)}: ` +
        `it may be overloaded or only reachable over a VPN${retryNote(ctx)}`,
    );
  }
  const refused = proxyRefusal(err);
  if (refused !== null) {
    return unreachable(
      `The proxy refused the connection to the ClearML server at ${ctx.apiHost}: ${proxyRefusalText(refused)}`,
      PROXY_REFUSED_CODE,
    );
  }
  const failure = codedCause(err);
  const code = failure?.code ?? null;
  const proxy = ctx.proxyInUse && failure && PROXY_DEAD_CODES.has(failure.code) ? otherEnd(failure, ctx.apiHost) : null;
  if (proxy) {
    return unreachable(
      `Cannot reach the proxy at ${proxy} (${code}) on the way to the ClearML server at ${ctx.apiHost}: check the ` +
        'proxy settings (HTTPS_PROXY, or the system proxy settings), or list the host in NO_PROXY',
      PROXY_REFUSED_CODE,
    );
  }
  if (isUntrustedCa(code)) {
    return unreachable(`The ClearML server at ${ctx.apiHost} is not trusted (${code}): ${UNTRUSTED_CA_HINT}`, code);
  }
  const why = code ? ` (${code})` : '';
  const hint =
    code === 'ENOTFOUND' || code === 'EAI_AGAIN'
      ? 'check the spelling of the API host and your DNS/VPN'
      : code === 'ECONNREFUSED'
        ? 'check the API host and port (8008 when self-hosted) and that the server is running'
        : code?.startsWith('CERT') || code?.includes('TLS') || code?.includes('SSL')
          ? "check the server's TLS certificate"
          : `check ${clearmlHostPlace(ctx.surface)} and your network or VPN`;
  return unreachable(`Cannot reach the ClearML server at ${ctx.apiHost}${why}: ${hint}`, code);
}

/** Connection failures that, on a connection to another address than the server's, mean the proxy is not there. */
const PROXY_DEAD_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH']);

/**
 * The other end of a connection that failed, when it was not the API host: the proxy (a name that did not resolve,
 * or an address and port that did not answer), else null. Read from the socket error fetch wraps, so a failure
 * reaching the server itself (same name, same port) keeps its own message.
 */
function otherEnd(failure: CodedCause, apiHost: string): string | null {
  let target: URL;
  try {
    target = new URL(apiHost);
  } catch {
    return null;
  }
  const host = target.hostname.replace(/^\[|\]$/g, '');
  const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
  if (typeof failure.hostname === 'string') return failure.hostname !== host ? failure.hostname : null;
  if (typeof failure.port === 'number')
    return failure.port !== port ? `${String(failure.address)}:${failure.port}` : null;
  return null;
}

/** No answer from the server: why, and the network code the failure carried (what fixes it depends on it). */
function unreachable(message: string, networkCode: string | null | undefined): ClearmlError {
  return new ClearmlError('unreachable', message, networkCode ? { networkCode } : {});
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
}

/** undici wraps the socket error in `cause` (sometimes two levels deep). */
interface CodedCause {
  code: string;
  hostname?: unknown;
  address?: unknown;
  port?: unknown;
}

/** The error on fetch's cause chain that says what failed (a Node network or TLS error), past undici's wrapper. */
function codedCause(err: unknown): CodedCause | null {
  let cur: unknown = err;
  for (let i = 0; i < 4 && cur && typeof cur === 'object'; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET') return cur as CodedCause;
    cur = (cur as { cause?: unknown }).cause;
  }
  return null;
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(2))} s`;
}

function clip(text: string): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > 200 ? `${one.slice(0, 200)}…` : one;
}
