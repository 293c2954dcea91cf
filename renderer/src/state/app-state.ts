/**
 * The dashboard store's shape: the state it holds (a replica of main's snapshot plus local UI state), the actions
 * it offers, its options, and the kit the per-area action modules are built from.
 */
import type { TimelineRange } from '../../../shared/timeline.js';
import type { EditorImport, FormAction, FormState } from '../model/settings-form.js';
import type { StoreApi } from 'zustand/vanilla';
import type { Snapshot } from '../../../shared/domain.js';
import type {
  AppError,
  AutoscalerApi,
  Envelope,
  InvokeChannel,
  InvokeRequest,
  InvokeResponse,
} from '../../../shared/ipc/contract.js';

export const VIEWS = ['overview', 'queues', 'instances', 'costs', 'events', 'settings', 'credentials'] as const;
export type ViewName = (typeof VIEWS)[number];

export type CredentialsStatus = InvokeResponse<'autoscaler:credentials.status'>;
export type ConfigInfo = InvokeResponse<'autoscaler:config.get'>;
export type AppSettingsInfo = InvokeResponse<'autoscaler:settings.get'>;
export type ConnectionStatus = 'connecting' | 'open' | 'closed';

export interface Notice {
  id: number;
  level: 'error' | 'info';
  text: string;
}

export interface AppState {
  /** null until the first successful pull. */
  snapshot: Snapshot | null;
  /** Why the first pull failed (shown instead of the dashboard). */
  loadError: string | null;
  connection: ConnectionStatus;
  /** Keys of actions main has not confirmed yet: `enabled`, `launchesPaused`, `queue:<name>`, `terminate:<id>`… */
  pending: Readonly<Record<string, true>>;
  notices: readonly Notice[];
  config: ConfigInfo | null;
  credentials: CredentialsStatus | null;
  /** App preferences (theme, notification mutes…), not the autoscaler config. */
  appSettings: AppSettingsInfo | null;
  view: ViewName;
  /** What a navigate event asked to show (an instance id, a queue name). */
  focus: string | null;
  /**
   * The first-run screen was left for the settings editor (to review an imported ClearML configuration): the
   * dashboard shows although nothing is saved yet, until a reload.
   */
  setupInEditor: boolean;
  /** That import, for the settings editor to open as its unsaved draft; null once the editor has taken it. */
  editorImport: EditorImport | null;
  /**
   * The Settings editor's state (the draft, touched fields, messages). It lives here rather than in the form
   * because only the shown view is mounted: in the form, an unsaved draft (an import included) was gone as soon
   * as the user opened another tab. null until Settings is first opened.
   */
  settingsForm: FormState | null;
  /**
   * What is typed into the Credentials forms and not saved yet, by `kind.field` (`aws.accessKeyId`), for the same
   * reason: a visit to another tab unmounted the form and the typed keys were gone. Memory only; a save empties the fields.
   */
  credentialDrafts: Readonly<Record<string, string>>;
}

export interface VisibilitySource {
  isVisible(): boolean;
  subscribe(listener: (visible: boolean) => void): () => void;
}

export interface ConnectionSource {
  connection(): { status: ConnectionStatus; generation: number };
  onConnection(listener: (info: { status: ConnectionStatus; generation: number }) => void): () => void;
  setVisible?(visible: boolean): void;
}

export interface AppStoreOptions {
  visibility?: VisibilitySource;
  connection?: ConnectionSource;
  /** How long a pending flag waits for the snapshot to confirm an accepted action before it is dropped. */
  confirmTimeoutMs?: number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  /** Where unsaved Settings edits are kept across a quit or crash (kept-draft.ts); none: they are not. */
  keptDraft?: KeptDraftStorage;
  now?: () => number;
}

/** One stored text (the window's localStorage in the app and the preview). Failures are the storage's to swallow. */
export interface KeptDraftStorage {
  read(): string | null;
  write(text: string): void;
  clear(): void;
}

export type Result<C extends InvokeChannel> = Envelope<InvokeResponse<C>>;

export interface AppActions {
  /** Pull, subscribe, watch visibility and connection; returns the undo. */
  start(): () => void;
  refresh(): Promise<void>;
  refreshConfig(): Promise<void>;
  refreshCredentials(): Promise<void>;
  refreshAppSettings(): Promise<void>;
  patchAppSettings(patch: InvokeRequest<'autoscaler:settings.patch'>): Promise<Result<'autoscaler:settings.patch'>>;
  setView(view: ViewName, focus?: string | null): void;
  /** Leave the first-run screen for the settings editor, with an imported file as its unsaved draft. */
  openImportInEditor(loaded: EditorImport): void;
  /** The import waiting for the settings editor, handed over once (null after that, or when there is none). */
  takeEditorImport(): EditorImport | null;
  /** A change to the Settings editor's state (settings-form.ts); starts from the saved config the first time. */
  settingsForm(action: FormAction): void;
  /** One typed credential field (`kind.field`); an empty value (a save clears its fields) removes it. */
  setCredentialDraft(key: string, value: string): void;
  dismissNotice(id: number): void;
  setEnabled(enabled: boolean): Promise<Result<'autoscaler:engine.setEnabled'>>;
  setLaunchesPaused(paused: boolean): Promise<Result<'autoscaler:engine.setLaunchesPaused'>>;
  setQueuePaused(queue: string, paused: boolean): Promise<Result<'autoscaler:queue.setPaused'>>;
  terminate(instanceIds: string[]): Promise<Result<'autoscaler:instances.terminate'>>;
  /** Adopt instances launched by ClearML's autoscaler (the user confirmed in the prompt). */
  adopt(instanceIds: string[]): Promise<Result<'autoscaler:instances.adopt'>>;
  /** Team mode without a lease table: "this engine acts" or "stand by" when another engine acts. */
  teamDecide(decision: 'act' | 'standby' | null): Promise<Result<'autoscaler:leadership.decide'>>;
  /** Create (or find) the lease table the saved config names; the result is returned for the section to show. */
  createLeaseTable(): Promise<Result<'autoscaler:leadership.createLeaseTable'>>;
  scaleToZero(): Promise<Result<'autoscaler:engine.scaleToZero'>>;
  /** The kill switch; errors are returned (the dialog shows them), not raised as notices. */
  stopEverything(): Promise<Result<'autoscaler:engine.stopEverything'>>;
  startDemo(): Promise<Result<'autoscaler:demo.start'>>;
  stopDemo(): Promise<Result<'autoscaler:demo.stop'>>;
  openExternal(url: string): Promise<Result<'autoscaler:app.openExternal'>>;
  validateConfig(config: unknown): Promise<Result<'autoscaler:config.validate'>>;
  /** `confirm`: the user's explicit yes to instance-setup changes and to the API host the keys go to. */
  saveConfig(
    config: unknown,
    confirm?: InvokeRequest<'autoscaler:config.save'>['confirm'],
  ): Promise<Result<'autoscaler:config.save'>>;
  importConfig(text: string, apiHost?: string, region?: string): Promise<Result<'autoscaler:config.import'>>;
  exportConfig(): Promise<Result<'autoscaler:config.export'>>;
  /** The scaling history for the charts; quiet (a chart that cannot load says so itself). */
  /** `after`: the newest point held of this range, for only what is new (see `applyTimeline`). */
  timeline(hours: TimelineRange, after?: number): Promise<Result<'autoscaler:timeline.get'>>;
  instanceDetail(instanceId: string): Promise<Result<'autoscaler:instances.detail'>>;
  setCredentials(req: InvokeRequest<'autoscaler:credentials.set'>): Promise<Result<'autoscaler:credentials.set'>>;
  clearCredentials(kind: 'clearml' | 'aws' | 'git'): Promise<Result<'autoscaler:credentials.clear'>>;
  /** What the engine would use now, or (`req.unsaved`) values typed but not saved yet. */
  testCredentials(
    req: 'clearml' | 'aws' | InvokeRequest<'autoscaler:credentials.test'>,
  ): Promise<Result<'autoscaler:credentials.test'>>;
  importClearmlConf(): Promise<Result<'autoscaler:credentials.importClearmlConf'>>;
  /** Team mode (desktop app): quiet, the Team section shows its own outcome. */
  teamStatus(): Promise<Result<'autoscaler:team.status'>>;
  teamProbe(url: string): Promise<Result<'autoscaler:team.probe'>>;
  teamAttach(req: InvokeRequest<'autoscaler:team.attach'>): Promise<Result<'autoscaler:team.attach'>>;
  teamDetach(): Promise<Result<'autoscaler:team.detach'>>;
}

export interface AppStore {
  store: StoreApi<AppState>;
  actions: AppActions;
}

export function initialAppState(): AppState {
  return {
    snapshot: null,
    loadError: null,
    connection: 'open',
    pending: {},
    notices: [],
    config: null,
    credentials: null,
    appSettings: null,
    view: 'overview',
    focus: null,
    setupInEditor: false,
    editorImport: null,
    settingsForm: null,
    credentialDrafts: {},
  };
}

export function describeError(error: AppError): string {
  if (error.issues?.length) {
    const first = error.issues
      .slice(0, 3)
      .map((i) => `${i.path}: ${i.message}`)
      .join('; ');
    return `${error.message} (${first}${error.issues.length > 3 ? '; …' : ''})`;
  }
  return error.message;
}

/** What every area's actions are built from: the API, the state setter and the store's call helpers. */
export interface StoreKit {
  api: AutoscalerApi;
  set(patch: Partial<AppState> | ((s: AppState) => Partial<AppState>)): void;
  /** Runs a call under a pending flag; on failure clears it and reports the error in words (unless quiet). */
  call<T>(key: string | null, run: () => Promise<Envelope<T>>, quiet?: boolean): Promise<Envelope<T>>;
  /** Like `call`, but the pending flag stays until a snapshot satisfies `confirmed` (or a timeout passes). */
  confirmCall<T>(
    key: string,
    run: () => Promise<Envelope<T>>,
    confirmed: (s: Snapshot, value: T) => boolean,
  ): Promise<Envelope<T>>;
  notify(level: Notice['level'], text: string): void;
  /** The composed actions, for one action that triggers another (a save refetches the config). */
  actions(): AppActions;
}
