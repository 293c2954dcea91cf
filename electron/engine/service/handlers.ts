/**
 * The service behind every IPC channel, transport-agnostic: Electron main and the browser-preview WebSocket
 * server both build their dispatcher from `createServiceHandlers`. Credentials are write-only here: no handler
 * returns a stored secret, only whether one is set and when.
 */
import { parseConfig, type Config } from '../../../shared/config.js';
import { ServiceError, type Handlers } from '../../../shared/ipc/dispatch.js';
import { findSecrets } from '../../../shared/ipc/redact.js';
import type { InvokeRequest, InvokeResponse } from '../../../shared/ipc/contract.js';
import { publicSettings, type RunState, type Settings } from '../../../shared/settings.js';
import {
  apiHostChange,
  instanceSetupChanges,
  normalizeApiHost,
  worldMove,
  type HostChange,
} from '../../../shared/config-review.js';
import type { ClearmlCredentials, EngineController, ResolvedCredentials } from '../controller.js';
import type { ImportResult } from './config-io.js';
import { knownSecrets as defaultKnownSecrets, redact, type KnownSecrets } from './redact.js';
import type { SecretKind, SecretStore } from './secret-store.js';
import type { SettingsRepo } from './settings-repo.js';
import { rememberRunState } from './run-state.js';
import { userDataSizeIssues } from '../userdata/userdata.js';
import { emptyTimeline } from '../../../shared/timeline.js';
import type { ChangeFeed } from './changes.js';
import { errorText } from '../../../shared/error-text.js';
import { plural } from '../../../shared/words.js';

export type TestResult = { ok: boolean; message: string; details: string[] };
type TestRequest = InvokeRequest<'autoscaler:credentials.test'>;
/** A ClearML host and keys typed but not saved (keys left out: those the engine would use for that host). */
export type UnsavedClearml = NonNullable<Extract<TestRequest, { kind: 'clearml' }>['unsaved']>;
/** An AWS region and keys typed but not saved (keys left out: the stored ones, else the SDK chain). */
export type UnsavedAws = NonNullable<Extract<TestRequest, { kind: 'aws' }>['unsaved']>;
export type StopEverythingResult = InvokeResponse<'autoscaler:engine.stopEverything'>;
type CredentialStatus = InvokeResponse<'autoscaler:credentials.status'>['clearml'];

export interface ServiceDeps {
  controller: EngineController;
  settings: SettingsRepo;
  secrets: SecretStore;
  /** Test the stored (or fallback) credentials, or values not saved yet, against the real service. */
  testers: {
    clearml(unsaved?: UnsavedClearml): Promise<TestResult>;
    aws(unsaved?: UnsavedAws): Promise<TestResult>;
  };
  /** Read `~/clearml.conf` (or CLEARML_* env); null when there is nothing to import. */
  importClearmlConf(): Promise<{ accessKey: string; secretKey: string; apiHost: string | null } | null>;
  importConfigText(text: string, apiHost?: string, region?: string): Promise<ImportResult>;
  exportConfig(): string;
  /** The single allow-listed opener (https + known hosts); false when refused. */
  openExternal(url: string): Promise<boolean>;
  startDemo(): Promise<void>;
  /** Ends the demo and applies the saved config, if there is one (autoscaling stays off). */
  stopDemo?: () => Promise<void>;
  isDemo(): boolean;
  /** The config the demo engine runs (shown read-only). */
  demoConfig?: () => Config | null;
  /**
   * The sweep behind "Stop everything": terminate every instance carrying our tags in every region the app has
   * launched in, busy ones included, one result per region. The handler turns autoscaling off before calling it.
   * Absent where the host cannot sweep (the channel then answers not_ready).
   */
  stopEverything?: () => Promise<StopEverythingResult>;
  /** Credentials from outside the app (environment, ~/clearml.conf, the AWS SDK chain) when none is stored. */
  fallback?: CredentialFallback;
  knownSecrets?: KnownSecrets;
  /** Told when credentials change or the demo starts (saved config and preferences: `watchSettings`). */
  changes?: ChangeFeed;
  /** Team mode: attaching to a team engine; only the desktop app has it (elsewhere the channels refuse). */
  team?: TeamControl;
  /** The network settings taken from the environment at start (`useNetworkFromEnv`), shown with the credentials. */
  network?: { notes: string[]; problems: string[] };
  /** Told with every config that saves (a served engine started with --config: which file wins at its next start). */
  saveNotice?: string;
}

/** What the `team.*` channels do in the desktop app (electron/engine/team/attachment.ts implements it). */
export interface TeamControl {
  status(): InvokeResponse<'autoscaler:team.status'>;
  probe(url: string): Promise<InvokeResponse<'autoscaler:team.probe'>>;
  attach(req: { url: string; token: string; fingerprint: string }): Promise<InvokeResponse<'autoscaler:team.attach'>>;
  detach(): Promise<InvokeResponse<'autoscaler:team.detach'>>;
}

const NO_TEAM =
  'Connecting to a team engine is done from the desktop app (tray: "Connect to a team engine…"); the browser preview attaches with --attach.';

export interface CredentialFallback {
  /** Where the AWS SDK finds keys when none are stored ("AWS SDK chain"), or null. It resolves them itself. */
  aws(): string | null;
  /** The ClearML keys outside the app, each source read once per call (a file may change between calls). */
  clearml(): OutsideClearml;
}

/** ClearML keys found outside the app (the environment, ~/clearml.conf), with where and what came with them. */
export interface OutsideClearml {
  /** The key pair, or null when none was found. */
  credentials: ClearmlCredentials | null;
  /** Where the pair was read: a clearml.conf path or "environment"; null without a pair. */
  from: string | null;
  /** The API server named beside them (the environment's or the file's), if any. */
  apiHost: string | null;
  /** What was ignored there and why (a clearml.conf with a syntax error, half a key pair in the environment). */
  problem: string | null;
}

export const NOTHING_OUTSIDE: OutsideClearml = { credentials: null, from: null, apiHost: null, problem: null };

/**
 * Secrets typed into free-text config fields (extra clearml.conf, init script, …) would land in the settings
 * file in clear text; they have a proper home, so saving is refused with a field issue that says where.
 */
export function secretIssues(value: unknown, path: string[] = []): { path: string; message: string }[] {
  if (typeof value === 'string') {
    return findSecrets(value).map((f) => ({
      path: path.join('.') || '(root)',
      message: `This looks like it contains ${f.what}; secrets are not saved in the settings file: ${f.instead}.`,
    }));
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => secretIssues(v, [...path, String(i)]));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => secretIssues(v, [...path, k]));
  }
  return [];
}

export const defaultFallback: CredentialFallback = {
  aws: () => 'AWS SDK chain',
  clearml: () => NOTHING_OUTSIDE,
};

/** The host the stored ClearML keys may go to: the confirmed one, else (older settings) the saved config's. */
export function keysHost(settings: Settings): string | null {
  return settings.clearmlKeysHost ?? settings.config?.clearml.apiHost ?? null;
}

/**
 * The ClearML keys the engine would use and where they may go without a new confirmation. Stored keys go to the
 * host confirmed for them (`keysHost`). Keys read from outside the app (~/clearml.conf, the environment) belong to
 * the server named beside them: they go there, or to a host confirmed for them since.
 */
export interface ClearmlKeys {
  /** Null: stored in the keychain; else where they are read from (a clearml.conf path, "environment"). */
  from: string | null;
  /** The host confirmed for them; for keys read from outside, else the server named beside them. */
  confirmedFor: string | null;
  /** Keys read from outside: the server named beside them, if any. */
  ownHost: string | null;
}

/** ClearmlKeys from one read: keys stored in the keychain, else the ones found outside (null: neither). */
function keysOf(stored: boolean, outside: OutsideClearml | null, settings: Settings): ClearmlKeys | null {
  if (stored) return { from: null, confirmedFor: keysHost(settings), ownHost: null };
  if (!outside?.credentials) return null;
  return {
    from: outside.from ?? 'outside the app',
    confirmedFor: settings.clearmlKeysHost ?? outside.apiHost,
    ownHost: outside.apiHost,
  };
}

/**
 * True when these keys may be sent to `apiHost` now. Keys read from outside with no server known for them (a file
 * that names none, a setup older than this check) go where the config says, as before.
 */
export function keysMayGo(keys: ClearmlKeys, apiHost: string): boolean {
  const same = (h: string | null) => h !== null && normalizeApiHost(h) === normalizeApiHost(apiHost);
  if (keys.from === null) return same(keys.confirmedFor);
  return keys.confirmedFor === null || same(keys.confirmedFor) || same(keys.ownHost);
}

/** Whose keys a message names: "The stored ClearML keys", "The ClearML keys from ~/clearml.conf". */
export function keysLabel(from: string | null): string {
  return from === null ? 'The stored ClearML keys' : `The ClearML keys from ${from}`;
}

/** Why keys there are were not sent to `apiHost`, and what to do: for the engine's errors and Test. */
export function withheldText(from: string | null, apiHost: string): string {
  return (
    `${keysLabel(from)} were not sent to ${apiHost}: that host was never confirmed for them. Save Settings and ` +
    'confirm the host, or enter the keys for it under Credentials.'
  );
}

function hostMessage(h: HostChange, from: string | null): string {
  const risk = h.insecure
    ? ` It is plain http to another machine: the keys and every request would cross the network unencrypted; use https if the server offers it.`
    : '';
  return (
    `${keysLabel(from)} would be sent to ${h.to}${h.from ? ` instead of ${h.from}` : ''}.${risk} ` +
    `Confirm this host, or enter the keys for it under Credentials.`
  );
}

/** The credentials the engine should use now: the stored ones, else the fallback (null = the SDK's own chain). */
export async function resolveCredentials(
  secrets: SecretStore,
  known: KnownSecrets = defaultKnownSecrets,
  fallback: CredentialFallback = defaultFallback,
): Promise<ResolvedCredentials> {
  return (await readCredentials(secrets, known, fallback)).creds;
}

/** One read of the keychain and of the ClearML keys outside the app: the credentials and where ClearML's came from. */
interface CredentialsRead {
  creds: ResolvedCredentials;
  storedClearml: boolean;
  outside: OutsideClearml | null;
}

/** Reads each secret and the outside ClearML keys once, and remembers the values so logs can redact them. */
async function readCredentials(
  secrets: SecretStore,
  known: KnownSecrets,
  fallback: CredentialFallback,
): Promise<CredentialsRead> {
  const [clearml, aws, git] = await Promise.all([secrets.get('clearml'), secrets.get('aws'), secrets.get('git')]);
  const outside = clearml ? null : fallback.clearml();
  const clearmlValue = clearml?.value ?? outside?.credentials ?? null;
  if (clearmlValue) known.remember(Object.values(clearmlValue));
  if (aws) known.remember(Object.values(aws.value));
  if (git) known.remember([git.value.password]);
  const creds = {
    clearml: clearmlValue,
    aws: aws?.value ?? null,
    ...(git ? { gitUser: git.value.username, gitPassword: git.value.password } : {}),
  };
  return { creds, storedClearml: clearml !== null, outside };
}

/**
 * The stored git credentials, for the size check at validate and save: they go into every startup script, so a
 * config that fits without them could be refused at every launch.
 */
async function storedGit(secrets: SecretStore): Promise<{ gitUser?: string; gitPassword?: string }> {
  const git = await secrets.get('git');
  return git ? { gitUser: git.value.username, gitPassword: git.value.password } : {};
}

/** Why no ClearML keys are used when some were found outside the app but ignored, with what to do in the app. */
export function ignoredText(problem: string): string {
  return `No ClearML credentials are set: ${problem}. Fix it, or add an access key and secret key in the Credentials tab`;
}

/** Pushes the saved config (if any) and the current credentials to the engine: at startup and after changes. */
export async function configureFromSettings(
  deps: Pick<ServiceDeps, 'controller' | 'settings' | 'secrets' | 'knownSecrets' | 'fallback'>,
): Promise<boolean> {
  const config = deps.settings.get().config;
  if (!config) return false;
  deps.controller.configure(config, await engineCredentials(deps));
  return true;
}

/**
 * resolveCredentials, minus ClearML keys `apiHost` (by default the saved config's; undefined: no host rule yet) was
 * never confirmed for (a host changed outside the dashboard, e.g. in the settings file; a clearml.conf that now
 * names another server): the engine then reports the keys withheld instead of sending them. Without keys, and with
 * some found outside the app but ignored, it reports that instead of "none set".
 */
export async function engineCredentials(
  deps: Pick<ServiceDeps, 'settings' | 'secrets' | 'knownSecrets' | 'fallback'>,
  apiHost: string | undefined = deps.settings.get().config?.clearml.apiHost,
): Promise<ResolvedCredentials> {
  const read = await readCredentials(
    deps.secrets,
    deps.knownSecrets ?? defaultKnownSecrets,
    deps.fallback ?? defaultFallback,
  );
  return credentialsFrom(read, deps.settings.get(), apiHost);
}

/** What the engine gets from a read: the ClearML keys withheld when they may not go to `apiHost`, with why. */
function credentialsFrom(read: CredentialsRead, settings: Settings, apiHost: string | undefined): ResolvedCredentials {
  const keys = keysOf(read.storedClearml, read.outside, settings);
  if (keys && apiHost !== undefined && !keysMayGo(keys, apiHost)) {
    return { ...read.creds, clearml: null, clearmlMissing: withheldText(keys.from, apiHost) };
  }
  const problem = read.creds.clearml ? null : read.outside?.problem;
  return problem ? { ...read.creds, clearmlMissing: ignoredText(problem) } : read.creds;
}

export function createServiceHandlers(deps: ServiceDeps): Handlers {
  const known = deps.knownSecrets ?? defaultKnownSecrets;
  const fallback = deps.fallback ?? defaultFallback;

  const status = async (kind: SecretKind): Promise<CredentialStatus> => {
    const s = await deps.secrets.get(kind);
    if (s) known.remember(Object.values(s.value));
    const base = { set: s !== null, setAt: s?.setAt ?? null };
    // Git credentials have no outside source in the app (headless reads CLEARML_AUTOSCALER_GIT_*).
    if (s || kind === 'git') return { ...base, fallback: null };
    if (kind === 'aws') return { ...base, fallback: fallback.aws() };
    const o = fallback.clearml();
    return {
      ...base,
      fallback: o.credentials ? o.from : null,
      ...(o.credentials ? { fallbackApiHost: o.apiHost } : {}),
      ...(o.problem ? { fallbackProblem: o.problem } : {}),
    };
  };

  /** How the user leaves the engine, for the next start (run-state.ts); the demo's is not kept. */
  const remember = (change: Partial<RunState>): void => {
    if (!deps.isDemo()) rememberRunState(deps.settings, change);
  };

  const reconfigure = async (): Promise<void> => {
    await configureFromSettings({ ...deps, knownSecrets: known, fallback });
  };

  const settingsView = () => ({ settings: publicSettings(deps.settings.get()), notice: deps.settings.notice });

  const safeTest = async (run: () => Promise<TestResult>): Promise<TestResult> => {
    try {
      const r = await run();
      return { ok: r.ok, message: redact(r.message, known), details: r.details.map((d) => redact(d, known)) };
    } catch (err) {
      const message = errorText(err);
      return { ok: false, message: redact(`The test could not run: ${message}`, known), details: [] };
    }
  };

  return {
    'autoscaler:state.getSnapshot': async () => deps.controller.store.getState(),

    'autoscaler:engine.setEnabled': async ({ enabled }) => {
      if (enabled && !deps.settings.get().config && !deps.isDemo()) {
        throw new ServiceError(
          'not_ready',
          'Autoscaling cannot start without a configuration. Open Settings and save one (or start the demo).',
        );
      }
      await deps.controller.setEnabled(enabled);
      // What took effect: an engine with nothing to run stays off.
      remember({ on: deps.controller.store.getState().enabled });
      return { enabled };
    },

    'autoscaler:engine.setLaunchesPaused': async ({ paused }) => {
      deps.controller.setLaunchesPaused(paused);
      remember({ launchesPaused: paused });
      return { paused };
    },

    'autoscaler:engine.scaleToZero': async () => {
      const terminating = await deps.controller.scaleToZero();
      // Scale to zero pauses new launches (autoscaling stays on).
      remember({ launchesPaused: true });
      return { terminating };
    },

    'autoscaler:engine.stopEverything': async () => {
      const sweep = deps.stopEverything;
      if (!sweep) {
        throw new ServiceError(
          'not_ready',
          'Stop everything is not available in this window: nothing was terminated. Use "Scale to zero", or ' +
            'terminate the instances in the EC2 console (filter on the tag the app puts on its instances).',
        );
      }
      // Off first, so the engine cannot launch again for queued tasks while (or after) the sweep terminates; and
      // off at the next start too.
      await deps.controller.setEnabled(false);
      remember({ on: false });
      const result = await sweep();
      // Region errors carry SDK messages shown to the user: redact them like test results, knowing every stored
      // value first (this may be the first call since start).
      await resolveCredentials(deps.secrets, known, fallback);
      return {
        regions: result.regions.map((r) => ({
          region: r.region,
          terminated: r.terminated,
          error: r.error === null ? null : redact(r.error, known),
        })),
      };
    },

    'autoscaler:queue.setPaused': async ({ queue, paused }) => {
      deps.controller.setQueuePaused(queue, paused);
      const others = deps.settings.get().autoscaling.pausedQueues.filter((q) => q !== queue);
      remember({ pausedQueues: paused ? [...others, queue] : others });
      return { queue, paused };
    },

    'autoscaler:instances.adopt': async ({ instanceIds }) => deps.controller.adopt(instanceIds),
    'autoscaler:leadership.createLeaseTable': async () => {
      if (!deps.controller.createLeaseTable) throw new Error('This engine has no team mode.');
      return deps.controller.createLeaseTable();
    },
    'autoscaler:leadership.decide': async ({ decision }) => {
      if (!deps.controller.teamDecide) throw new Error('This engine has no team mode.');
      await deps.controller.teamDecide(decision);
      return {};
    },
    'autoscaler:instances.terminate': async ({ instanceIds }) => ({
      terminating: await deps.controller.terminate(instanceIds, 'terminated from the dashboard'),
    }),

    'autoscaler:instances.detail': async ({ instanceId }) => {
      if (!deps.controller.instanceDetail) throw new Error('This engine keeps no instance details.');
      return deps.controller.instanceDetail(instanceId);
    },

    'autoscaler:timeline.get': async ({ hours, after }) =>
      deps.controller.timeline ? deps.controller.timeline(hours, after) : emptyTimeline(hours, Date.now()),

    // In demo mode the engine runs the built-in demo config: show it (read-only in the UI), not the saved one.
    'autoscaler:config.get': async () =>
      deps.isDemo()
        ? { config: deps.demoConfig?.() ?? null, demo: true }
        : { config: deps.settings.get().config, demo: false },

    'autoscaler:config.validate': async ({ config }) => {
      const r = parseConfig(config);
      const issues = r.ok
        ? [...secretIssues(r.value), ...userDataSizeIssues(r.value, 'agent.initScript', await storedGit(deps.secrets))]
        : r.issues;
      return { ok: issues.length === 0, issues };
    },

    'autoscaler:config.save': async ({ config, confirm }) => {
      const r = parseConfig(config);
      if (!r.ok) return { ok: false, issues: r.issues };
      const leaks = secretIssues(r.value);
      if (leaks.length > 0) return { ok: false, issues: leaks };
      // A config every launch of which EC2 would refuse is not saved: the user learns it here, not at a launch.
      const tooBig = userDataSizeIssues(r.value, 'agent.initScript', await storedGit(deps.secrets));
      if (tooBig.length > 0) return { ok: false, issues: tooBig };
      const saved: Config = r.value;
      const current = deps.settings.get();
      const setup = instanceSetupChanges(current.config, saved);
      // One read of the keys serves both the host check and the engine's credentials.
      const read = await readCredentials(deps.secrets, known, fallback);
      const keys = keysOf(read.storedClearml, read.outside, current);
      // Keys read from outside need no confirmation for their own server.
      const host =
        keys?.ownHost != null && normalizeApiHost(keys.ownHost) === normalizeApiHost(saved.clearml.apiHost)
          ? null
          : apiHostChange(keys?.confirmedFor ?? keysHost(current), saved.clearml.apiHost, keys !== null);
      const setupRefused = setup.length > 0 && confirm?.instanceSetup !== true;
      const hostRefused = host !== null && normalizeApiHost(confirm?.apiHost ?? '') !== host.to;
      const snapshot = deps.controller.store.getState();
      // The demo's instances are not the saved config's.
      const move = snapshot.demo ? null : worldMove(current.config, saved, snapshot.instances);
      const moveRefused = move !== null && confirm?.worldMove !== true;
      if (setupRefused || hostRefused || moveRefused) {
        return {
          ok: false,
          issues: [
            ...(setupRefused
              ? setup.map((c) => ({
                  path: c.path,
                  message: `${c.label} changes what runs on every instance: confirm the change to save it.`,
                }))
              : []),
            ...(hostRefused ? [{ path: 'clearml.apiHost', message: hostMessage(host, keys?.from ?? null) }] : []),
            ...(moveRefused
              ? [
                  {
                    path: 'form',
                    message: `${plural(move.instances, 'instance')} of the current config would no longer be managed: confirm to save.`,
                  },
                ]
              : []),
          ],
          needs: {
            instanceSetup: setupRefused ? setup : [],
            apiHost: hostRefused ? { ...host, ...(keys?.from ? { keysFrom: keys.from } : {}) } : null,
            worldMove: moveRefused ? move : null,
          },
        };
      }
      deps.settings.patch({ config: saved, ...(host ? { clearmlKeysHost: host.to } : {}) });
      deps.controller.configure(saved, credentialsFrom(read, deps.settings.get(), saved.clearml.apiHost));
      return { ok: true, issues: [], ...(deps.saveNotice ? { notice: deps.saveNotice } : {}) };
    },

    'autoscaler:config.import': async ({ text, apiHost, region }) => {
      const r = await deps.importConfigText(text, apiHost, region);
      // Imported ClearML configs can carry keys; they are never echoed back (the converter drops them).
      return { ...r, warnings: r.warnings.map((w) => redact(w, known)) };
    },

    'autoscaler:config.export': async () => ({ text: deps.exportConfig() }),

    'autoscaler:credentials.status': async () => ({
      backend: deps.secrets.backendName,
      warning: deps.secrets.warning,
      clearml: await status('clearml'),
      aws: await status('aws'),
      git: await status('git'),
      ...(deps.network && deps.network.notes.length + deps.network.problems.length > 0
        ? { network: { notes: deps.network.notes, problems: deps.network.problems } }
        : {}),
    }),

    'autoscaler:credentials.set': async (req) => {
      if (req.kind === 'clearml') {
        known.remember([req.accessKey, req.secretKey]);
        await deps.secrets.set('clearml', { accessKey: req.accessKey, secretKey: req.secretKey });
        // Keys typed in now are meant for the host configured now.
        deps.settings.patch({ clearmlKeysHost: deps.settings.get().config?.clearml.apiHost ?? null });
      } else if (req.kind === 'git') {
        known.remember([req.password]);
        await deps.secrets.set('git', { username: req.username, password: req.password });
      } else {
        known.remember([req.accessKeyId, req.secretAccessKey, req.sessionToken]);
        await deps.secrets.set('aws', {
          accessKeyId: req.accessKeyId,
          secretAccessKey: req.secretAccessKey,
          ...(req.sessionToken ? { sessionToken: req.sessionToken } : {}),
        });
      }
      await reconfigure();
      deps.changes?.emit('credentials');
      return status(req.kind);
    },

    'autoscaler:credentials.clear': async ({ kind }) => {
      await deps.secrets.delete(kind);
      // A host confirmed for the stored keys says nothing of keys read from ~/clearml.conf after them.
      if (kind === 'clearml') deps.settings.patch({ clearmlKeysHost: null });
      await reconfigure();
      deps.changes?.emit('credentials');
      return status(kind);
    },

    'autoscaler:credentials.test': async (req) => {
      // Typed keys are secrets from now on: whatever the server answers, they never reach a log or the page.
      // A pass with the credentials the engine uses lifts the stop a refusal of them put on launches; typed values
      // not saved yet prove nothing about those.
      const passed = (r: TestResult): TestResult => {
        if (r.ok && !req.unsaved) deps.controller.credentialsTested?.(req.kind);
        return r;
      };
      if (req.kind === 'clearml') {
        if (req.unsaved) known.remember([req.unsaved.accessKey, req.unsaved.secretKey]);
        return passed(await safeTest(() => deps.testers.clearml(req.unsaved)));
      }
      if (req.unsaved) known.remember([req.unsaved.accessKeyId, req.unsaved.secretAccessKey]);
      return passed(await safeTest(() => deps.testers.aws(req.unsaved)));
    },

    'autoscaler:credentials.importClearmlConf': async () => {
      const found = await deps.importClearmlConf();
      if (!found) {
        const problem = fallback.clearml().problem;
        return {
          imported: false,
          message: problem
            ? `Nothing was imported: ${problem}. Fix it and import again, or paste an access key and secret from ` +
              'the ClearML web app (Settings → Workspace).'
            : 'No ClearML credentials found in ~/clearml.conf or the CLEARML_API_ACCESS_KEY / CLEARML_API_SECRET_KEY ' +
              'environment variables. Paste an access key and secret from the ClearML web app (Settings → Workspace).',
          apiHost: null,
        };
      }
      known.remember([found.accessKey, found.secretKey]);
      await deps.secrets.set('clearml', { accessKey: found.accessKey, secretKey: found.secretKey });
      // Keys from clearml.conf belong to that file's server (else to the host configured now).
      deps.settings.patch({ clearmlKeysHost: found.apiHost ?? deps.settings.get().config?.clearml.apiHost ?? null });
      await reconfigure();
      deps.changes?.emit('credentials');
      return {
        imported: true,
        message: found.apiHost
          ? `Imported the ClearML credentials for ${found.apiHost}.`
          : 'Imported the ClearML credentials.',
        apiHost: found.apiHost,
      };
    },

    'autoscaler:demo.start': async () => {
      await deps.startDemo();
      // config.get now answers the demo's config.
      deps.changes?.emit('config');
      return { demo: deps.isDemo() };
    },

    'autoscaler:demo.stop': async () => {
      if (!deps.stopDemo)
        throw new ServiceError('not_ready', 'This app cannot leave the demo while it runs: restart it.');
      if (deps.isDemo()) {
        await deps.stopDemo();
        // config.get answers the saved config again (or none: the setup screen).
        deps.changes?.emit('config');
      }
      return { demo: deps.isDemo() };
    },

    'autoscaler:app.openExternal': async ({ url }) => ({ opened: await deps.openExternal(url) }),

    'autoscaler:settings.get': async () => settingsView(),

    'autoscaler:settings.patch': async (patch) => {
      deps.settings.patch(patch);
      return settingsView();
    },

    'autoscaler:team.status': async () => deps.team?.status() ?? { available: false, attachment: null },
    'autoscaler:team.probe': async ({ url }) => {
      if (!deps.team) throw new ServiceError('not_ready', NO_TEAM);
      return deps.team.probe(url);
    },
    'autoscaler:team.attach': async (req) => {
      if (!deps.team) throw new ServiceError('not_ready', NO_TEAM);
      return deps.team.attach(req);
    },
    'autoscaler:team.detach': async () => {
      if (!deps.team) throw new ServiceError('not_ready', NO_TEAM);
      return deps.team.detach();
    },
  };
}

/** The host's sweep, in the contract's shape (counts per region, redacted later by the handler). */
export async function stopEverythingResult(host: {
  stopEverything(): Promise<{ regions: { region: string; terminated: string[]; error: string | null }[] }>;
}): Promise<StopEverythingResult> {
  const report = await host.stopEverything();
  return {
    regions: report.regions.map((r) => ({ region: r.region, terminated: r.terminated.length, error: r.error })),
  };
}
