/**
 * The ClearML API host the environment names (CLEARML_API_HOST, or the legacy TRAINS_API_HOST) when the config file
 * names another server: the config's `clearml.apiHost` wins, and the README's unit puts CLEARML_API_HOST in its
 * EnvironmentFile, so an operator who changes it there sees nothing change unless the run says so. Pure.
 */
import { sameServer } from '../../../shared/config-review.js';

export const API_HOST_VARIABLES = ['CLEARML_API_HOST', 'TRAINS_API_HOST'] as const;

export function unusedApiHostVariable(
  configHost: string,
  env: Readonly<Record<string, string | undefined>>,
): { variable: (typeof API_HOST_VARIABLES)[number]; value: string } | null {
  // The first one set is the one ClearML's tools take (as credentials.ts reads them).
  const variable = API_HOST_VARIABLES.find((v) => (env[v] ?? '').trim() !== '');
  if (!variable) return null;
  const value = env[variable]!.trim();
  return sameServer(value, configHost) ? null : { variable, value };
}
