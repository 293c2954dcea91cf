/**
 * The service side of the browser preview, composed the way Electron main composes it (same engine host, same
 * handlers, same dispatcher), with the parts that need a desktop swapped: secrets in memory, settings in a JSON
 * file, links printed instead of opened. The e2e tests build exactly this.
 */
import { homedir } from 'node:os';
import path from 'node:path';
import type { Config } from '../../../shared/config.js';
import { createDispatcher, type Dispatch } from '../../../shared/ipc/dispatch.js';
import { defaultClearmlConfPath, resolveClearmlCredentials } from '../clearml/credentials.js';
import { loadConfigText } from '../config/load.js';
import { createEngineHost, type EngineHost } from '../host.js';
import { exportConfigText, importHosts, type ImportResult } from '../service/config-io.js';
import {
  configureFromSettings,
  createServiceHandlers,
  stopEverythingResult,
  type CredentialFallback,
  type ServiceDeps,
} from '../service/handlers.js';
import { KnownSecrets } from '../service/redact.js';
import { MemorySecretStore, type SecretStore } from '../service/secret-store.js';
import { FileSettingsRepo, type SettingsRepo } from '../service/settings-repo.js';
import { createCredentialTesters } from '../service/testers.js';

export interface PreviewBackendOptions {
  /** Holds settings.json and the engine's small state. */
  dataDir: string;
  /** Start the demo world at once (what `npm run preview:web` does unless given --config or --first-run). */
  demo?: boolean;
  /** Saved as the configuration (as if the user had saved it in Settings) and applied. */
  config?: Config;
  /** Where ClearML credentials come from when none are stored; tests pass {} so nothing outside leaks in. */
  env?: NodeJS.ProcessEnv;
  homeDir?: string;
  secrets?: SecretStore;
  settings?: SettingsRepo;
  /** What "open in browser" does; the default refuses (the page shows the address to copy). */
  openUrl?: (url: string) => Promise<boolean>;
  log?: (line: string) => void;
}

export interface PreviewBackend {
  host: EngineHost;
  dispatch: Dispatch;
  settings: SettingsRepo;
  secrets: SecretStore;
  stop(): Promise<void>;
}

export const PREVIEW_SECRETS_WARNING =
  'The browser preview keeps credentials in memory only: they are forgotten when it stops. The desktop app stores them in the system keychain.';

/** The ClearML hosts a link may point at: only https, only hosts named in the config. */
export function allowedLink(url: string, config: Config | null): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol !== 'https:' || !config) return false;
  const hosts = [config.clearml.apiHost, config.clearml.webHost, config.clearml.filesHost]
    .filter((h): h is string => typeof h === 'string')
    .map((h) => new URL(h).host);
  return hosts.includes(u.host);
}

export async function createPreviewBackend(opts: PreviewBackendOptions): Promise<PreviewBackend> {
  const log = opts.log ?? (() => undefined);
  const env = opts.env ?? process.env;
  const settings = opts.settings ?? new FileSettingsRepo(path.join(opts.dataDir, 'settings.json'));
  const secrets =
    opts.secrets ??
    new MemorySecretStore({ backendName: 'memory only (browser preview)', warning: PREVIEW_SECRETS_WARNING });
  const known = new KnownSecrets();
  const clearmlConfPath = defaultClearmlConfPath(env, opts.homeDir ?? homedir());
  const outside = () => resolveClearmlCredentials({ stored: null, env, clearmlConfPath });
  const fallback: CredentialFallback = {
    describe: (kind) => {
      if (kind === 'aws') return 'AWS SDK chain';
      const source = outside().source;
      return source === 'environment' ? 'environment' : source === 'clearml.conf' ? '~/clearml.conf' : null;
    },
    clearml: () => outside().credentials,
  };

  if (opts.config) settings.patch({ config: opts.config });
  const host = createEngineHost({ dataDir: path.join(opts.dataDir, 'engine') });
  if (opts.demo) await host.startDemo();
  else await configureFromSettings({ controller: host, settings, secrets, fallback, knownSecrets: known });

  const importConfigText = async (text: string): Promise<ImportResult> => {
    const loaded = loadConfigText(text, importHosts(settings.get().config?.clearml, outside()));
    const moved = Object.entries(loaded.secrets)
      .filter(([, v]) => typeof v === 'string' && v.length > 0)
      .map(([k]) => k);
    const warnings = [...loaded.warnings];
    if (moved.length)
      warnings.push(
        `The file contains secrets (${moved.join(', ')}); they were not imported. Enter them under Credentials, where they are stored write-only.`,
      );
    return {
      format: loaded.format,
      config: loaded.config,
      issues: loaded.issues,
      warnings,
      differences: loaded.differences,
    };
  };

  const deps: ServiceDeps = {
    controller: host,
    settings,
    secrets,
    fallback,
    knownSecrets: known,
    testers: createCredentialTesters({ settings, secrets, fallback, fallbackApiHost: () => outside().apiHost }),
    importClearmlConf: async () => {
      const found = outside();
      return found.credentials ? { ...found.credentials, apiHost: found.apiHost } : null;
    },
    importConfigText,
    exportConfig: () => exportConfigText(settings.get().config),
    openExternal: async (url) => {
      if (!allowedLink(url, settings.get().config ?? host.config)) {
        log(`refused to open ${url}: only https links to the configured ClearML hosts are allowed`);
        return false;
      }
      if (opts.openUrl) return opts.openUrl(url);
      log(`open in your browser: ${url}`);
      return false;
    },
    startDemo: () => host.startDemo(),
    isDemo: () => host.demo,
    demoConfig: () => host.config,
    stopEverything: () => stopEverythingResult(host),
  };
  const dispatch = createDispatcher(createServiceHandlers(deps), {
    knownSecrets: () => known.list(),
    onError: (channel, error) => log(`${channel}: ${error.code}: ${error.message}`),
  });

  return {
    host,
    dispatch,
    settings,
    secrets,
    stop: () => host.stop(),
  };
}
