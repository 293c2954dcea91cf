/**
 * The service side of the browser preview, composed by the same `composeService` as Electron main (same engine
 * host, handlers, credential fallback, config import, link allow-list, change events), with the parts that need
 * a desktop swapped: secrets in memory, settings in a JSON file, links printed instead of opened. The e2e tests
 * build exactly this.
 */
import path from 'node:path';
import type { Config } from '../../../shared/config.js';
import type { Dispatch } from '../../../shared/ipc/dispatch.js';
import { createEngineHost, type EngineHost } from '../host.js';
import type { ChangeFeed } from '../service/changes.js';
import { composeService } from '../service/compose.js';
import { createEnvironmentFallback } from '../service/fallback.js';
import { MemorySecretStore, type SecretStore } from '../service/secret-store.js';
import { FileSettingsRepo, type SettingsRepo } from '../service/settings-repo.js';

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
  /** The network settings the process took from its environment, for the Credentials tab. */
  network?: { notes: string[]; problems: string[] };
  /** EC2 endpoint for the AWS connection test (tests point it at the EC2 emulator). */
  awsEndpoint?: string;
}

export interface PreviewBackend {
  host: EngineHost;
  dispatch: Dispatch;
  /** Config, credentials and preferences changes, for the preview server to forward to its pages. */
  changes: ChangeFeed;
  settings: SettingsRepo;
  secrets: SecretStore;
  stop(): Promise<void>;
}

export const PREVIEW_SECRETS_WARNING =
  'The browser preview keeps credentials in memory only: they are forgotten when it stops. The desktop app stores them in the system keychain.';

export async function createPreviewBackend(opts: PreviewBackendOptions): Promise<PreviewBackend> {
  const log = opts.log ?? (() => undefined);
  const env = opts.env ?? process.env;
  const settings = opts.settings ?? new FileSettingsRepo(path.join(opts.dataDir, 'settings.json'));
  const secrets =
    opts.secrets ??
    new MemorySecretStore({ backendName: 'memory only (browser preview)', warning: PREVIEW_SECRETS_WARNING });
  if (opts.config) settings.patch({ config: opts.config });
  const host = createEngineHost({ dataDir: path.join(opts.dataDir, 'engine'), watchWhileOff: true });
  const service = composeService({
    host,
    settings,
    secrets,
    fallback: createEnvironmentFallback({ env, ...(opts.homeDir ? { homeDir: opts.homeDir } : {}) }),
    // A browser page cannot open a desktop browser: the address is printed (the page shows it to copy).
    openUrl: async (url) => {
      if (opts.openUrl) return opts.openUrl(url);
      log(`open in your browser: ${url}`);
      return false;
    },
    log,
    ...(opts.network ? { network: opts.network } : {}),
    ...(opts.awsEndpoint ? { awsEndpoint: opts.awsEndpoint } : {}),
  });
  if (opts.demo) await host.startDemo();
  else await service.configure();

  return {
    host,
    dispatch: service.dispatch,
    changes: service.changes,
    settings,
    secrets,
    stop: async () => {
      service.dispose();
      await host.stop();
    },
  };
}
