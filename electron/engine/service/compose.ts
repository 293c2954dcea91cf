/**
 * The one composition of the service behind the IPC contract, for both hosts that have a window: Electron main
 * and the browser preview. The host passes what only it can make (its settings store, its secret store, how a
 * link opens); everything else (credential fallback, config import, link allow-list, testers, change events,
 * the dispatcher) is built here once, so the two cannot drift.
 */
import { auditLine, changesNothing, describeChange } from '../../../shared/ipc/audit.js';
import { createDispatcher, isInvokeChannel, type Dispatch } from '../../../shared/ipc/dispatch.js';
import type { EngineHost } from '../host.js';
import { createChangeFeed, watchSettings, type ChangeFeed } from './changes.js';
import { createFailureLog } from './failure-log.js';
import { createConfigImporter, exportConfigText, importHosts } from './config-io.js';
import { createEnvironmentFallback, type EnvironmentFallback } from './fallback.js';
import { configureFromSettings, createServiceHandlers, stopEverythingResult, type TeamControl } from './handlers.js';
import { errorText } from '../../../shared/error-text.js';
import { isAllowedLink } from './links.js';
import { resumeRunState } from './run-state.js';
import { KnownSecrets } from './redact.js';
import type { SecretStore } from './secret-store.js';
import type { SettingsRepo } from './settings-repo.js';
import { createCredentialTesters } from './testers.js';

export interface ServiceParts {
  host: EngineHost;
  settings: SettingsRepo;
  secrets: SecretStore;
  /** Default: the environment and ~/clearml.conf of this process. */
  fallback?: EnvironmentFallback;
  knownSecrets?: KnownSecrets;
  /** Opens a link the allow-list passed; false when it did not open (the page then shows the address). */
  openUrl(url: string): Promise<boolean>;
  log(line: string): void;
  /** EC2 endpoint for the AWS test (tests). */
  awsEndpoint?: string;
  /** Team mode attachment (the desktop app only). */
  team?: TeamControl;
  /** The network settings this process took from its environment (`useNetworkFromEnv`), for the Credentials tab. */
  network?: { notes: string[]; problems: string[] };
  /** Told with every config that saves (see ServiceDeps). */
  saveNotice?: string;
}

export interface Service {
  dispatch: Dispatch;
  /** Config, credentials and preferences changes, for the host to forward to its windows. */
  changes: ChangeFeed;
  fallback: EnvironmentFallback;
  knownSecrets: KnownSecrets;
  /**
   * Applies the saved config and credentials to the engine (at startup, unless the demo runs), and leaves it as the
   * user last did: on or off, paused or not (run-state.ts).
   */
  configure(): Promise<boolean>;
  dispose(): void;
}

export function composeService(p: ServiceParts): Service {
  const fallback = p.fallback ?? createEnvironmentFallback();
  const known = p.knownSecrets ?? new KnownSecrets();
  const changes = createChangeFeed();
  const unwatch = watchSettings(p.settings, changes);
  const { host, settings, secrets } = p;

  const handlers = createServiceHandlers({
    controller: host,
    settings,
    secrets,
    fallback,
    knownSecrets: known,
    changes,
    testers: createCredentialTesters({
      settings,
      secrets,
      fallback,
      fallbackApiHost: fallback.apiHost,
      ...(p.awsEndpoint ? { awsEndpoint: p.awsEndpoint } : {}),
    }),
    importClearmlConf: fallback.importClearmlConf,
    // A ClearML autoscaler file names no server: each host from the saved config, else from outside the app.
    importConfigText: createConfigImporter(() => {
      const saved = settings.get().config;
      const region = saved ? { region: saved.aws.region, from: 'the saved configuration' } : fallback.awsRegion();
      return importHosts(saved?.clearml, fallback.hosts(), region);
    }),
    exportConfig: () => exportConfigText(settings.get().config),
    openExternal: async (url) => {
      if (!isAllowedLink(url, settings.get().config ?? host.config)) {
        p.log('refused to open a link outside the allow-list (https to the configured ClearML hosts only)');
        return false;
      }
      return p.openUrl(url);
    },
    startDemo: () => host.startDemo(),
    stopDemo: async () => {
      await host.stopDemo();
      // Back to what a start without the demo would run: the saved config, if any, with autoscaling off (the demo
      // was a try-out, not a decision to scale the real account).
      await configureFromSettings({ controller: host, settings, secrets, fallback, knownSecrets: known });
    },
    isDemo: () => host.demo,
    demoConfig: () => host.config,
    stopEverything: () => stopEverythingResult(host),
    ...(p.team ? { team: p.team } : {}),
    ...(p.network ? { network: p.network } : {}),
    ...(p.saveNotice ? { saveNotice: p.saveNotice } : {}),
  });

  const dispatch = createDispatcher(handlers, {
    knownSecrets: () => known.list(),
    onError: createFailureLog((line) => p.log(line)),
  });
  // The audit trail: every change that succeeded is written to the event log with who asked for it.
  const audited: Dispatch = async (channel, rawArgs, ctx) => {
    const before = host.store.getState();
    const result = await dispatch(channel, rawArgs, ctx);
    const noop = isInvokeChannel(channel) && changesNothing(channel, rawArgs, before);
    const what = result.ok && !noop && isInvokeChannel(channel) ? describeChange(channel, rawArgs) : null;
    if (what) {
      const actor = ctx.actor ?? 'local';
      const line = auditLine(actor, what);
      if (host.engine) host.engine.emit({ level: 'info', kind: 'engine', message: line, actor });
      else p.log(line);
    }
    return result;
  };

  return {
    dispatch: audited,
    changes,
    fallback,
    knownSecrets: known,
    configure: async () => {
      const configured = await configureFromSettings({
        controller: host,
        settings,
        secrets,
        fallback,
        knownSecrets: known,
      });
      // Not awaited: turning on waits for the observation configuring started, and the window and tray need not.
      if (configured)
        void resumeRunState(
          host,
          settings.get().autoscaling,
          (e) => host.engine?.emit(e),
          settings.get().autoscalingAtStart,
        ).catch((e: unknown) => p.log(`could not restore autoscaling as it was left: ${errorText(e)}`));
      return configured;
    },
    dispose: unwatch,
  };
}
