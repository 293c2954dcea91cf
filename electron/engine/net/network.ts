/**
 * The network settings every entry point (desktop app, headless, preview) takes from its environment before any
 * request, as ClearML's own tools take them: the proxy (`proxy.ts`) and the certificate authorities (`trust.ts`,
 * with boto3's `ca_bundle` from the AWS config file, `aws-config.ts`).
 */
import { homedir } from 'node:os';
import { defaultClearmlConfPath, resolveClearmlCredentials } from '../clearml/credentials.js';
import { awsConfigCaBundle } from './aws-config.js';
import { proxyEnvFrom, switchableProxy } from './proxy.js';
import { resolveSystemProxy } from './system-proxy.js';
import { useCaBundlesFromEnv } from './trust.js';

export interface NetworkUse {
  /** What is in use, one line each, for the log ("proxy: …", "TLS: …"). */
  readonly notes: string[];
  /** What the environment asks for but could not be used, each with why. */
  readonly problems: string[];
  /**
   * The hosts the app talks to, once known (the config is read after this): an IPv4 address among them inside a
   * NO_PROXY range is excepted from the proxy (`proxyEnvFrom`). True when the proxy settings changed.
   */
  useHosts(hosts: readonly string[]): boolean;
  restore(): void;
}

/** The host names of these URLs, as NO_PROXY matches them. */
export function hostsOf(urls: readonly string[]): string[] {
  return urls.flatMap((u) => (URL.canParse(u) ? [new URL(u).hostname.replace(/^\[|\]$/g, '')] : []));
}

export function useNetworkFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  hosts: readonly string[] = [],
): NetworkUse {
  const proxy = switchableProxy(env, hosts);
  // The ClearML SDK's own certificate setting: a CA bundle is trusted like the variables'; "off" is not followed.
  const verify = resolveClearmlCredentials({
    stored: null,
    env,
    clearmlConfPath: defaultClearmlConfPath(env, env.HOME ?? homedir()),
  }).verifyCertificate;
  // boto3's CA setting in the AWS config file, which the AWS SDK for JavaScript does not read.
  const aws = awsConfigCaBundle(env, env.HOME ?? homedir());
  const extra = [
    ...(verify && verify.value !== 'off' ? [{ name: verify.setBy, file: verify.value.caFile }] : []),
    ...(aws.kind === 'bundle' ? [{ name: aws.setBy, file: aws.file }] : []),
  ];
  const trust = useCaBundlesFromEnv(env, { extra });
  const off =
    verify?.value === 'off'
      ? [
          `${verify.setBy} turns TLS certificate checks off; this app keeps them on, so ClearML keys only go to ` +
            'the server itself. For a self-signed or company certificate, name its CA file there instead ' +
            '(api.verify_certificate: /path/to/ca.pem, which the ClearML SDK reads too) or in REQUESTS_CA_BUNDLE.',
        ]
      : [];
  return {
    get notes() {
      return [
        ...(proxy.current.description ? [`proxy: ${proxy.current.description}`] : []),
        ...(trust.description ? [`TLS: ${trust.description}`] : []),
      ];
    },
    get problems() {
      return [
        ...(proxy.current.problem ? [proxy.current.problem] : []),
        ...trust.problems,
        ...(aws.kind === 'problem' ? [aws.message] : []),
        ...off,
      ];
    },
    useHosts: (next) => proxy.set(env, next),
    restore: () => {
      trust.restore();
      proxy.restore();
    },
  };
}

/** The desktop app's network, which can follow the system proxy settings to new hosts. */
export interface DesktopNetwork extends NetworkUse {
  /**
   * Asks the system settings again when the hosts the app talks to changed (a new ClearML host or region); true
   * when the proxy in use changed. Nothing to do when the environment names the proxy.
   */
  refresh(): Promise<boolean>;
}

/**
 * The desktop app's network: the environment's settings, and when the environment names no proxy, the proxy the
 * system settings name for the hosts the app talks to (`system-proxy.ts`; `resolve` is the session's resolver).
 * Those hosts change at the first run (the ClearML server is chosen then), so `refresh` asks again or, with the
 * environment's proxy, applies its NO_PROXY address ranges to them. fetch (ClearML) takes a new proxy from its next
 * request; an AWS SDK client keeps the agents it was built with until the engine builds the next one (a config save
 * builds new clients).
 */
export async function useNetworkFromEnvOrSystem(
  env: Readonly<Record<string, string | undefined>>,
  system: { resolve: (url: string) => Promise<string>; urls: () => string[] },
): Promise<DesktopNetwork> {
  // Trust (and a proxy the environment names) as in every entry point.
  const base = useNetworkFromEnv(env, hostsOf(system.urls()));
  if (proxyEnvFrom(env)) {
    return Object.assign(base, { refresh: () => Promise.resolve(base.useHosts(hostsOf(system.urls()))) });
  }
  let urls = system.urls();
  let found = await resolveSystemProxy(system.resolve, urls);
  const proxy = switchableProxy(found.env ?? {});
  // One refresh at a time, each after the one before, so the last settings are the ones left in place.
  let queue: Promise<boolean> = Promise.resolve(false);
  const refreshNow = async (): Promise<boolean> => {
    const next = system.urls();
    if (next.join(' ') === urls.join(' ')) return false;
    urls = next;
    found = await resolveSystemProxy(system.resolve, next);
    return proxy.set(found.env ?? {});
  };
  return {
    get notes() {
      return [
        ...(found.note ? [found.note] : []),
        ...(proxy.current.description ? [`proxy: ${proxy.current.description}`] : []),
        ...base.notes,
      ];
    },
    get problems() {
      return [...found.problems, ...(proxy.current.problem ? [proxy.current.problem] : []), ...base.problems];
    },
    useHosts: () => false,
    restore: () => {
      proxy.restore();
      base.restore();
    },
    refresh: () => (queue = queue.then(refreshNow, refreshNow)),
  };
}
