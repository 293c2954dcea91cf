/**
 * The network settings every entry point (desktop app, headless, preview) takes from its environment before any
 * request, as ClearML's own tools take them: the proxy (`proxy.ts`) and the certificate authorities (`trust.ts`).
 */
import { homedir } from 'node:os';
import { defaultClearmlConfPath, resolveClearmlCredentials } from '../clearml/credentials.js';
import { proxyEnvFrom, useProxyFromEnv } from './proxy.js';
import { resolveSystemProxy } from './system-proxy.js';
import { useCaBundlesFromEnv } from './trust.js';

export interface NetworkUse {
  /** What is in use, one line each, for the log ("proxy: …", "TLS: …"). */
  notes: string[];
  /** What the environment asks for but could not be used, each with why. */
  problems: string[];
  restore(): void;
}

export function useNetworkFromEnv(env: Readonly<Record<string, string | undefined>>): NetworkUse {
  const proxy = useProxyFromEnv(env);
  // The ClearML SDK's own certificate setting: a CA bundle is trusted like the variables'; "off" is not followed.
  const verify = resolveClearmlCredentials({
    stored: null,
    env,
    clearmlConfPath: defaultClearmlConfPath(env, env.HOME ?? homedir()),
  }).verifyCertificate;
  const extra = verify && verify.value !== 'off' ? [{ name: verify.setBy, file: verify.value.caFile }] : [];
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
    notes: [
      ...(proxy.description ? [`proxy: ${proxy.description}`] : []),
      ...(trust.description ? [`TLS: ${trust.description}`] : []),
    ],
    problems: [...(proxy.problem ? [proxy.problem] : []), ...trust.problems, ...off],
    restore: () => {
      trust.restore();
      proxy.restore();
    },
  };
}

/**
 * The desktop app's network: the environment's settings, and when the environment names no proxy, the proxy the
 * system settings name for the hosts the app talks to (`system-proxy.ts`; `resolve` is the session's resolver).
 */
export async function useNetworkFromEnvOrSystem(
  env: Readonly<Record<string, string | undefined>>,
  system: { resolve: (url: string) => Promise<string>; urls: () => string[] },
): Promise<NetworkUse> {
  const found = proxyEnvFrom(env) ? null : await resolveSystemProxy(system.resolve, system.urls());
  const use = useNetworkFromEnv({ ...env, ...found?.env });
  if (!found) return use;
  return {
    ...use,
    notes: [...(found.note ? [found.note] : []), ...use.notes],
    problems: [...found.problems, ...use.problems],
  };
}
