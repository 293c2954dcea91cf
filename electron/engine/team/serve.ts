/**
 * `--serve`: the headless engine made reachable by teammates. Composes the same service as Electron main and the
 * browser preview (composeService) around the running engine host, with what a server has: settings in a file
 * in the data folder, credentials set from an attached app kept in memory (the host's own come from its
 * environment, as for any headless run), links printed, and the team server in front.
 */
import { copyFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../../../shared/config.js';
import type { ResolvedCredentials } from '../controller.js';
import type { EngineHost } from '../host.js';
import { composeService, type Service } from '../service/compose.js';
import { createEnvironmentFallback } from '../service/fallback.js';
import { MemorySecretStore } from '../service/secret-store.js';
import { FileSettingsRepo } from '../service/settings-repo.js';
import { startTeamServer, type TeamServer } from './server.js';
import { loadOrCreateTls, tlsDir, type TlsMaterial } from './tls.js';
import { TokenStore, tokenFilePath } from './tokens.js';

export const TEAM_SECRETS_WARNING =
  'The team engine keeps credentials set from an attached app in memory only: they are forgotten when it restarts. Put the host’s credentials in its environment (see README, Team mode).';

/** What an admin who saves a config on a host started with --config is told (Settings shows it after "Saved."). */
export const CONFIG_FILE_WINS =
  "It applies now, but the host's --config file wins at the engine's next start: export this configuration " +
  '(Settings → Export) and copy it over that file to keep it.';

/** Key order aside, whether two configs are the same. */
function sameConfig(a: unknown, b: unknown): boolean {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v as Record<string, unknown>)
              .sort(([x], [y]) => (x < y ? -1 : 1))
              .map(([k, x]) => [k, canonical(x)]),
          )
        : v;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

export interface ServeOptions {
  host: EngineHost;
  /** Holds team/ (tokens, certificate, settings). */
  dataDir: string;
  listen: { host: string; port: number };
  tlsCert?: string;
  tlsKey?: string;
  /** The config the engine runs (null in the demo: the demo's own). */
  config: Config | null;
  /**
   * The credentials the run resolved (AWS keys or a git password from the config file): kept in the service's
   * store too, so a config saved by an attached admin reconfigures the engine with the same credentials.
   */
  creds?: ResolvedCredentials;
  env?: NodeJS.ProcessEnv;
  log: (line: string) => void;
  pushIntervalMs?: number;
  heartbeatMs?: number;
  preAuthMs?: number;
  /** The network settings the run took from its environment, shown to attached apps with the credentials. */
  network?: { notes: string[]; problems: string[] };
}

export interface Serving {
  server: TeamServer;
  tls: TlsMaterial;
  service: Service;
  stop(): Promise<void>;
}

export async function startServing(o: ServeOptions): Promise<Serving> {
  const tls = await loadOrCreateTls({
    dataDir: o.dataDir,
    ...(o.tlsCert ? { certFile: o.tlsCert } : {}),
    ...(o.tlsKey ? { keyFile: o.tlsKey } : {}),
    ...(o.listen.host !== '0.0.0.0' && o.listen.host !== '::' ? { names: [o.listen.host] } : {}),
  });
  const settingsFile = path.join(tlsDir(o.dataDir), 'settings.json');
  const settings = new FileSettingsRepo(settingsFile);
  // What the engine runs is what an attached admin sees in Settings and may change. A config an admin saved
  // from an attached app since the last start is not silently lost: the --config file wins, but the file that
  // held the admin's version is kept beside it, and the log and the event log say so.
  if (o.config) {
    const kept = settings.get().config;
    if (kept && !sameConfig(kept, o.config)) {
      const replaced = `${settingsFile}.replaced`;
      const savedAt = new Date(statSync(settingsFile).mtimeMs).toISOString();
      copyFileSync(settingsFile, replaced);
      const message = `the configuration saved from an attached app (last saved ${savedAt}) differs from the --config file, which this start runs: the saved one is kept in ${replaced} (copy its "config" into the --config file to use it)`;
      o.log(message);
      o.host.engine?.emit({ level: 'warn', kind: 'engine', message });
    }
    settings.patch({ config: o.config });
  }
  const secrets = new MemorySecretStore({ backendName: 'memory only (team engine)', warning: TEAM_SECRETS_WARNING });
  if (o.creds?.aws) await secrets.set('aws', o.creds.aws);
  if (o.creds?.gitPassword && o.config?.agent.gitUser)
    await secrets.set('git', { username: o.config.agent.gitUser, password: o.creds.gitPassword });
  const service = composeService({
    host: o.host,
    settings,
    secrets,
    fallback: createEnvironmentFallback({ env: o.env ?? process.env }),
    openUrl: async (url) => {
      o.log(`an attached app asked to open ${url} (open it on your own machine)`);
      return false;
    },
    log: o.log,
    ...(o.network ? { network: o.network } : {}),
    ...(o.config ? { saveNotice: CONFIG_FILE_WINS } : {}),
  });
  let server: TeamServer;
  try {
    server = await startTeamServer({
      dispatch: service.dispatch,
      store: o.host.store,
      changes: service.changes,
      tls,
      tokens: new TokenStore(tokenFilePath(o.dataDir)),
      host: o.listen.host,
      port: o.listen.port,
      log: o.log,
      ...(o.pushIntervalMs !== undefined ? { pushIntervalMs: o.pushIntervalMs } : {}),
      ...(o.heartbeatMs !== undefined ? { heartbeatMs: o.heartbeatMs } : {}),
      ...(o.preAuthMs !== undefined ? { preAuthMs: o.preAuthMs } : {}),
    });
  } catch (e) {
    service.dispose();
    throw e;
  }
  return {
    server,
    tls,
    service,
    async stop() {
      await server.close();
      service.dispose();
    },
  };
}
