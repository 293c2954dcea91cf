/**
 * An HTTP(S) proxy from the environment, as ClearML's autoscaler honours one (Python's requests and boto3 read
 * `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY`): a team behind a proxy that switches over must not lose its ClearML
 * server and EC2. Node does not read these variables by itself, so each entry point (desktop app, headless, preview)
 * calls `useProxyFromEnv` once, before any request:
 *
 * - `fetch` (the ClearML client, the testers) and Node's global agents go through Node's own proxy support
 *   (`http.setGlobalProxyFromEnv`), which also applies `NO_PROXY`;
 * - the AWS SDK builds its own agents, so its clients take `awsRequestHandler`, agents carrying the same settings.
 *
 * A team engine is reached directly, never through a proxy: the team client opens its own TLS socket, whose
 * certificate it checks against the pinned fingerprint before the token is sent.
 */
import http from 'node:http';
import https from 'node:https';

/** The settings handed to Node, one variable each (read from either case). */
type ProxyEnv = { HTTPS_PROXY?: string; HTTP_PROXY?: string; NO_PROXY?: string };

/** What the entry point reports: the proxy in use (credentials removed), or why one named cannot be used. */
export interface ProxyUse {
  /** "HTTPS via http://proxy:3128, HTTP via …; not for localhost,.corp", or null without a proxy. */
  description: string | null;
  /** A proxy is named but this runtime cannot use it: the sentence saying so. */
  problem: string | null;
  /** Undoes it (tests; a run that ends in a long-lived process). */
  restore(): void;
}

/** This machine's own addresses: reaching them through a proxy (on another machine) is never meant. */
const LOOPBACK = ['localhost', '127.0.0.1', '::1'];

/**
 * The proxy settings in `env`, or null when none names a proxy. Each setting is taken as Node reads it (the
 * lower-case variable wins when both are set); this machine's own addresses are added to the exceptions. Python's
 * requests (ClearML's tools) also takes an IPv4 range in NO_PROXY (`10.0.0.0/8`) for hosts given as addresses;
 * Node does not, so each of `hosts` (the addresses the app talks to) that is an IPv4 address inside such a range is
 * added by itself.
 */
export function proxyEnvFrom(
  env: Readonly<Record<string, string | undefined>>,
  hosts: readonly string[] = [],
): ProxyEnv | null {
  const pick = (lower: string, upper: string) => env[lower]?.trim() || env[upper]?.trim() || undefined;
  const httpsProxy = pick('https_proxy', 'HTTPS_PROXY');
  const httpProxy = pick('http_proxy', 'HTTP_PROXY');
  if (!httpsProxy && !httpProxy) return null;
  const listed = (pick('no_proxy', 'NO_PROXY') ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  const inRanges = hosts.filter((h) => !listed.includes(h) && listed.some((entry) => inIpv4Range(h, entry)));
  const noProxy = [...listed, ...LOOPBACK.filter((h) => !listed.includes(h)), ...new Set(inRanges)].join(',');
  return {
    ...(httpsProxy ? { HTTPS_PROXY: httpsProxy } : {}),
    ...(httpProxy ? { HTTP_PROXY: httpProxy } : {}),
    NO_PROXY: noProxy,
  };
}

/** Whether `host` is an IPv4 address inside `range` (`a.b.c.d/n`), as requests matches one. */
export function inIpv4Range(host: string, range: string): boolean {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(range);
  const address = ipv4(host);
  const base = m ? ipv4(m[1]!) : null;
  if (!m || address === null || base === null) return false;
  const bits = Number(m[2]);
  if (bits > 32) return false;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return (address & mask) >>> 0 === (base & mask) >>> 0;
}

function ipv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return null;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

/** One line for the log: where each scheme goes, never the proxy's user or password. */
export function describeProxy(p: ProxyEnv): string {
  const parts = [
    ...(p.HTTPS_PROXY ? [`HTTPS via ${withoutCredentials(p.HTTPS_PROXY)}`] : []),
    ...(p.HTTP_PROXY ? [`HTTP via ${withoutCredentials(p.HTTP_PROXY)}`] : []),
  ];
  return `${parts.join(', ')}${p.NO_PROXY ? `; not for ${p.NO_PROXY}` : ''}`;
}

/** A proxy URL without its user and password, for anything shown or logged. */
export function withoutCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/?#]*@/i, '$1');
}

let active: ProxyEnv | null = null;

/** Whether this process sends its requests through a proxy now (a failed connection may then be the proxy's). */
export function proxyInUse(): boolean {
  return active !== null;
}

/** Routes this process's requests through the proxy `env` names, if any (`hosts`: see `proxyEnvFrom`). */
export function useProxyFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  hosts: readonly string[] = [],
): ProxyUse {
  const proxy = proxyEnvFrom(env, hosts);
  if (!proxy) return { description: null, problem: null, restore: () => undefined };
  // Node 24.14 and later; an older runtime (an older Electron) would silently go direct.
  const setGlobal = (http as { setGlobalProxyFromEnv?: (e: ProxyEnv) => () => void }).setGlobalProxyFromEnv;
  if (typeof setGlobal !== 'function') {
    return {
      description: null,
      problem:
        `A proxy is set (${describeProxy(proxy)}), but this runtime (Node ${process.versions.node}) cannot use ` +
        'one: requests go direct. Node 24.14 or later is needed.',
      restore: () => undefined,
    };
  }
  const restoreGlobal = setGlobal(proxy);
  active = proxy;
  return {
    description: describeProxy(proxy),
    problem: null,
    restore: () => {
      restoreGlobal();
      active = null;
    },
  };
}

/** The proxy in use, which a later setting can replace (the hosts became known, the system settings answered anew). */
export interface SwitchableProxy {
  readonly current: ProxyUse;
  /** Applies these settings instead; false when they come to the same proxy settings (nothing is redone). */
  set(env: Readonly<Record<string, string | undefined>>, hosts?: readonly string[]): boolean;
  restore(): void;
}

export function switchableProxy(
  env: Readonly<Record<string, string | undefined>>,
  hosts: readonly string[] = [],
): SwitchableProxy {
  let key = JSON.stringify(proxyEnvFrom(env, hosts));
  let current = useProxyFromEnv(env, hosts);
  return {
    get current() {
      return current;
    },
    set(nextEnv, nextHosts = []) {
      const nextKey = JSON.stringify(proxyEnvFrom(nextEnv, nextHosts));
      if (nextKey === key) return false;
      current.restore();
      current = useProxyFromEnv(nextEnv, nextHosts);
      key = nextKey;
      return true;
    },
    restore: () => current.restore(),
  };
}

/**
 * The network code errors carry when a proxy refused to connect a request on (Node's own for a tunnel that failed;
 * `ClearmlError`/`Ec2Error.networkCode` use it for fetch's and a plain-HTTP 407 too).
 */
export const PROXY_REFUSED_CODE = 'ERR_PROXY_TUNNEL';

/**
 * The HTTP status a proxy refused a connection with, found on an error or its causes, or null. fetch says "Proxy
 * response (407) !== 200 when HTTP Tunneling"; Node's agents "Failed to establish tunnel … HTTP/1.1 407 …".
 */
export function proxyRefusal(err: unknown): number | null {
  let cur: unknown = err;
  for (let depth = 0; depth < 6 && typeof cur === 'object' && cur !== null; depth++) {
    const { code, message, cause } = cur as { code?: unknown; message?: unknown; cause?: unknown };
    const text = typeof message === 'string' ? message : '';
    const m =
      code === 'UND_ERR_ABORTED'
        ? /Proxy response \((\d{3})\)/.exec(text)
        : code === PROXY_REFUSED_CODE
          ? /\bHTTP\/\d(?:\.\d)? (\d{3})\b/.exec(text)
          : null;
    if (m) return Number(m[1]);
    cur = cause;
  }
  return null;
}

/** What a proxy's refusal means and what to change, after "the proxy refused …: ". */
export function proxyRefusalText(status: number): string {
  if (status === 407)
    return (
      'it asks for a user and password (HTTP 407): put them in the proxy address, ' +
      'HTTPS_PROXY=http://user:password@proxy:port (or the system proxy settings)'
    );
  if (status === 403)
    return (
      'it does not allow this destination (HTTP 403): ask for it to be allowed, or list the host in NO_PROXY if it ' +
      'is reachable directly'
    );
  return `it could not connect on (HTTP ${status}): check the host, or list it in NO_PROXY if it is reachable directly`;
}

/**
 * An AWS SDK client's `requestHandler` options, with agents through the proxy when one is in use. The timeout is
 * enforced (`throwOnRequestTimeout`): without it the SDK only prints a warning and waits on, so one stalled call
 * (a half-open connection) froze the engine, and a leader's launch could land after a standby took over.
 */
export function awsRequestHandler<T extends { requestTimeout: number; connectionTimeout: number }>(
  o: T,
): T & { throwOnRequestTimeout: true; httpAgent?: http.Agent; httpsAgent?: https.Agent } {
  const enforced = { ...o, throwOnRequestTimeout: true as const };
  if (!active) return enforced;
  // The SDK's own defaults for its agents, plus the proxy.
  const agent = { keepAlive: true, maxSockets: 50, proxyEnv: active };
  return { ...enforced, httpAgent: new http.Agent(agent), httpsAgent: new https.Agent(agent) };
}
