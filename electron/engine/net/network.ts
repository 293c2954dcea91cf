/**
 * The network settings every entry point (desktop app, headless, preview) takes from its environment before any
 * request, as ClearML's own tools take them: the proxy (`proxy.ts`) and the certificate authorities (`trust.ts`).
 */
import { useProxyFromEnv } from './proxy.js';
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
  const trust = useCaBundlesFromEnv(env);
  return {
    notes: [
      ...(proxy.description ? [`proxy: ${proxy.description}`] : []),
      ...(trust.description ? [`TLS: ${trust.description}`] : []),
    ],
    problems: [...(proxy.problem ? [proxy.problem] : []), ...trust.problems],
    restore: () => {
      trust.restore();
      proxy.restore();
    },
  };
}
