/**
 * Credentials from outside the app, for the handlers: the ClearML pair from the environment or
 * ~/clearml.conf (read by the engine's own resolver, so the app and the headless CLI agree), and the AWS SDK's
 * default chain. Re-read on every call: the user may run `clearml-init` while the app is open.
 */
import { homedir } from 'node:os';
import { defaultClearmlConfPath, resolveClearmlCredentials } from '../clearml/credentials.js';
import type { CredentialFallback, ServiceDeps } from './handlers.js';
import { awsRegionFromEnv, type EnvRegion } from '../config/clearmlImport.js';

export interface EnvironmentFallback extends CredentialFallback {
  /** The ClearML API host from the same source, for testing before a config is saved. */
  apiHost: () => string | null;
  /** The API, web and files hosts from the same source. */
  hosts: () => { apiHost: string | null; webHost: string | null; filesHost: string | null };
  /** The ClearML web app host from the same source (completes an imported ClearML autoscaler file). */
  webHost: () => string | null;
  /** The `importClearmlConf` dependency of the handlers. */
  importClearmlConf: ServiceDeps['importClearmlConf'];
  /** AWS_REGION or AWS_DEFAULT_REGION, for a ClearML file that names no region (as boto3 falls back to them). */
  awsRegion: () => EnvRegion | null;
}

export function createEnvironmentFallback(
  opts: { env?: NodeJS.ProcessEnv; homeDir?: string } = {},
): EnvironmentFallback {
  const env = opts.env ?? process.env;
  const clearmlConfPath = defaultClearmlConfPath(env, opts.homeDir ?? homedir());
  const outside = () => resolveClearmlCredentials({ stored: null, env, clearmlConfPath });
  return {
    awsRegion: () => awsRegionFromEnv(env),
    aws: () => 'AWS SDK chain',
    clearml: () => {
      const o = outside();
      return {
        credentials: o.credentials,
        from: o.source === 'environment' ? 'environment' : o.source === 'clearml.conf' ? clearmlConfPath : null,
        apiHost: o.apiHost,
        problem: o.warning ?? null,
      };
    },
    apiHost: () => outside().apiHost,
    hosts: () => {
      const o = outside();
      return { apiHost: o.apiHost, webHost: o.webHost, filesHost: o.filesHost };
    },
    webHost: () => outside().webHost,
    importClearmlConf: async () => {
      const found = outside();
      return found.credentials ? { ...found.credentials, apiHost: found.apiHost } : null;
    },
  };
}
