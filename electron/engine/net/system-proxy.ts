/**
 * The proxy the operating system's settings name (a manual system proxy, a PAC script, auto-detection), for the
 * desktop app. An app started from a desktop launcher inherits no shell's HTTPS_PROXY, yet ClearML's Python tools
 * on the same machine find the system proxy (Python's urllib reads the macOS and Windows settings). Chromium
 * resolves those settings per URL; this module turns its answers for the hosts the app talks to into the variables
 * the environment would have named (`proxy.ts`), so everything after that is the same as with HTTPS_PROXY. The
 * resolver is passed in (the desktop app's session); the environment's own variables, when set, win, as they do
 * for ClearML's tools.
 */
import type { Config } from '../../../shared/config.js';
import { ec2EndpointFor } from '../connections.js';
import { PRICING_API_REGION } from '../cost/pricing-client.js';
import { withoutCredentials } from './proxy.js';

/** Where one host's requests go, read from a Chromium proxy list ("PROXY proxy:3128; DIRECT"). */
export type ProxyChoice =
  | { kind: 'direct' }
  | { kind: 'proxy'; url: string }
  /** Only proxies this app cannot use (SOCKS, QUIC): the first of them. */
  | { kind: 'unusable'; entry: string };

const SCHEMES: Record<string, string> = { PROXY: 'http', HTTP: 'http', HTTPS: 'https' };

/**
 * The first entry of the list this app can use. Chromium tries the entries in order and moves on when one fails;
 * an entry this app cannot speak fails here every time, so the next one is what Chromium itself would end up using.
 */
export function proxyChoice(list: string): ProxyChoice {
  const entries = list
    .split(';')
    .map((e) => e.trim())
    .filter(Boolean);
  if (entries.length === 0) return { kind: 'direct' };
  for (const entry of entries) {
    const [type = '', hostPort] = entry.split(/\s+/, 2);
    if (type.toUpperCase() === 'DIRECT') return { kind: 'direct' };
    const scheme = SCHEMES[type.toUpperCase()];
    if (scheme && hostPort) return { kind: 'proxy', url: `${scheme}://${hostPort}` };
  }
  return { kind: 'unusable', entry: entries[0]! };
}

export interface SystemProxy {
  /** The variables to use as if the environment had set them; null when every host goes direct. */
  env: { HTTPS_PROXY: string; HTTP_PROXY: string; NO_PROXY: string } | null;
  /** For the log and the Credentials tab: where the proxy came from and for which hosts it was resolved. */
  note: string | null;
  /** What the settings ask for that this app cannot do, each with what it does instead. */
  problems: string[];
}

export interface ProxyAnswer {
  url: string;
  /** Chromium's proxy list for the URL, or why it could not be resolved. */
  list: string | Error;
}

/**
 * One proxy for every host the settings do not send direct, as the environment's variables would name it. A PAC
 * script may name different proxies for different hosts; Node takes one per scheme, so the first host's (the
 * ClearML server's) is used and the others are named as a problem.
 */
export function systemProxyFrom(answers: readonly ProxyAnswer[]): SystemProxy {
  const direct: string[] = [];
  const proxies: { url: string; hosts: string[] }[] = [];
  const problems: string[] = [];
  for (const a of answers) {
    const host = new URL(a.url).hostname;
    if (a.list instanceof Error) {
      problems.push(`The system proxy for ${host} could not be resolved (${a.list.message}).`);
      continue;
    }
    const c = proxyChoice(a.list);
    if (c.kind === 'direct') direct.push(host);
    else if (c.kind === 'unusable')
      problems.push(
        `The system settings send ${host} through ${c.entry}, which this app cannot use (HTTP and HTTPS proxies ` +
          'only): set HTTPS_PROXY to an HTTP proxy for it.',
      );
    else {
      const known = proxies.find((p) => p.url === c.url);
      if (known) known.hosts.push(host);
      else proxies.push({ url: c.url, hosts: [host] });
    }
  }
  const [chosen, ...others] = proxies;
  if (!chosen) return { env: null, note: null, problems };
  if (others.length > 0)
    problems.push(
      `The system settings name ${proxies.length} proxies (${proxies
        .map((p) => `${withoutCredentials(p.url)} for ${p.hosts.join(', ')}`)
        .join('; ')}); this app uses one, ${withoutCredentials(chosen.url)}, for every host not sent direct.`,
    );
  const resolved = answers.map((a) => new URL(a.url).hostname);
  return {
    env: { HTTPS_PROXY: chosen.url, HTTP_PROXY: chosen.url, NO_PROXY: direct.join(',') },
    note:
      `proxy from the system settings (no HTTPS_PROXY in the environment), as they answer for ` +
      `${resolved.join(', ')}: asked again when these hosts change; a change to the settings themselves takes ` +
      'effect at the next start',
    problems,
  };
}

/**
 * The addresses the app talks to through a proxy, ClearML's first: the server, EC2, the price list, the team lease.
 * (A team engine is reached directly: see `proxy.ts`.)
 */
export function systemProxyUrls(config: Config | null, env: Readonly<Record<string, string | undefined>>): string[] {
  const region = config?.aws.region ?? env.AWS_REGION ?? 'us-east-1';
  const urls = [
    config?.clearml.apiHost ?? env.CLEARML_API_HOST ?? 'https://api.clear.ml',
    ec2EndpointFor(region, env),
    `https://api.pricing.${PRICING_API_REGION}.amazonaws.com`,
    `https://dynamodb.${region}.amazonaws.com`,
    `https://sts.${region}.amazonaws.com`,
  ];
  return [...new Set(urls.filter((u) => URL.canParse(u)))];
}

/** How long one URL's resolution may take (a PAC script is fetched and run): past that it counts as failed. */
export const RESOLVE_TIMEOUT_MS = 5_000;

/** Asks the resolver for each URL at once, each bounded by the timeout. */
export async function resolveSystemProxy(
  resolve: (url: string) => Promise<string>,
  urls: readonly string[],
  timeoutMs = RESOLVE_TIMEOUT_MS,
): Promise<SystemProxy> {
  const answers = await Promise.all(
    urls.map(async (url): Promise<ProxyAnswer> => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
      });
      try {
        return { url, list: await Promise.race([resolve(url), late]) };
      } catch (err) {
        return { url, list: err instanceof Error ? err : new Error(String(err)) };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return systemProxyFrom(answers);
}
