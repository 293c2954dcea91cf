/**
 * The dashboard's zustand store: a read-only replica of main's snapshot plus local UI state. Server state only
 * changes when main says so (a pulled snapshot or a newer `state.changed`); a user action sets a pending flag
 * that stays until the snapshot shows the effect, so a switch never claims a state main has not confirmed.
 */
import type { TimelineRange } from '../../../shared/timeline.js';
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { Snapshot } from '../../../shared/domain.js';
import type {
  AppError,
  AutoscalerApi,
  Envelope,
  EventPayload,
  InvokeChannel,
  InvokeRequest,
  InvokeResponse,
} from '../../../shared/ipc/contract.js';
import { errorText } from '../../../shared/error-text.js';

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
}

type Result<C extends InvokeChannel> = Envelope<InvokeResponse<C>>;

export interface AppActions {
  /** Pull, subscribe, watch visibility and connection; returns the undo. */
  start(): () => void;
  refresh(): Promise<void>;
  refreshConfig(): Promise<void>;
  refreshCredentials(): Promise<void>;
  refreshAppSettings(): Promise<void>;
  patchAppSettings(patch: InvokeRequest<'autoscaler:settings.patch'>): Promise<Result<'autoscaler:settings.patch'>>;
  setView(view: ViewName, focus?: string | null): void;
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
  openExternal(url: string): Promise<Result<'autoscaler:app.openExternal'>>;
  validateConfig(config: unknown): Promise<Result<'autoscaler:config.validate'>>;
  /** `confirm`: the user's explicit yes to instance-setup changes and to the API host the keys go to. */
  saveConfig(
    config: unknown,
    confirm?: InvokeRequest<'autoscaler:config.save'>['confirm'],
  ): Promise<Result<'autoscaler:config.save'>>;
  importConfig(text: string): Promise<Result<'autoscaler:config.import'>>;
  exportConfig(): Promise<Result<'autoscaler:config.export'>>;
  /** The scaling history for the charts; quiet (a chart that cannot load says so itself). */
  timeline(hours: TimelineRange): Promise<Result<'autoscaler:timeline.get'>>;
  instanceDetail(instanceId: string): Promise<Result<'autoscaler:instances.detail'>>;
  setCredentials(req: InvokeRequest<'autoscaler:credentials.set'>): Promise<Result<'autoscaler:credentials.set'>>;
  clearCredentials(kind: 'clearml' | 'aws' | 'git'): Promise<Result<'autoscaler:credentials.clear'>>;
  testCredentials(kind: 'clearml' | 'aws'): Promise<Result<'autoscaler:credentials.test'>>;
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

const MAX_NOTICES = 4;

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

export function createAppStore(api: AutoscalerApi, options: AppStoreOptions = {}): AppStore {
  const store = createStore<AppState>(() => ({
    ...initialAppState(),
    connection: options.connection?.connection().status ?? 'open',
  }));
  const confirmTimeoutMs = options.confirmTimeoutMs ?? 15_000;
  const setTimer = options.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
  const clearTimer = options.clearTimer ?? ((h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>));

  let noticeSeq = 0;
  /** Set after a reconnect: the next pull is authoritative even if its rev is lower (the server restarted). */
  let acceptAnyRev = false;
  const waiters = new Map<string, { confirmed: (s: Snapshot) => boolean; timer: unknown }>();

  const set = (patch: Partial<AppState> | ((s: AppState) => Partial<AppState>)) => store.setState(patch);

  function setPending(key: string, on: boolean) {
    set((s) => {
      if (on === key in s.pending) return {};
      const next = { ...s.pending };
      if (on) next[key] = true;
      else delete next[key];
      return { pending: next };
    });
  }

  function notify(level: Notice['level'], text: string) {
    const notice = { id: ++noticeSeq, level, text };
    set((s) => ({ notices: [...s.notices, notice].slice(-MAX_NOTICES) }));
  }

  function settleWaiters(snapshot: Snapshot) {
    for (const [key, w] of waiters) {
      if (!w.confirmed(snapshot)) continue;
      clearTimer(w.timer);
      waiters.delete(key);
      setPending(key, false);
    }
  }

  function applySnapshot(snapshot: Snapshot, from: 'pull' | 'push') {
    const current = store.getState().snapshot;
    const accept = current === null || snapshot.rev > current.rev || (from === 'pull' && acceptAnyRev);
    if (!accept) return;
    if (from === 'pull') acceptAnyRev = false;
    set({ snapshot, loadError: null });
    settleWaiters(snapshot);
    if (snapshot.demo && !current?.demo) void actions.refreshConfig();
  }

  /** Runs a call under a pending flag; on failure clears it and reports the error in words. */
  async function call<T>(key: string | null, run: () => Promise<Envelope<T>>, quiet = false): Promise<Envelope<T>> {
    if (key) setPending(key, true);
    let result: Envelope<T>;
    try {
      result = await run();
    } catch (e) {
      // The API contract says envelopes, never throws; a throw is a transport bug, still reported in words.
      result = { ok: false, error: { code: 'failed', message: errorText(e) } };
    }
    if (key) setPending(key, false);
    if (!result.ok && !quiet) notify('error', describeError(result.error));
    return result;
  }

  /**
   * Like `call`, but the pending flag stays until a snapshot satisfies `confirmed` (or the timeout passes):
   * main accepting a request is not the same as the engine having done it.
   */
  async function confirmCall<T>(
    key: string,
    run: () => Promise<Envelope<T>>,
    confirmed: (s: Snapshot, value: T) => boolean,
  ): Promise<Envelope<T>> {
    const previous = waiters.get(key);
    if (previous) {
      clearTimer(previous.timer);
      waiters.delete(key);
    }
    setPending(key, true);
    const result = await call<T>(null, run);
    if (!result.ok) {
      setPending(key, false);
      return result;
    }
    const check = (s: Snapshot) => confirmed(s, result.value);
    const now = store.getState().snapshot;
    if (now && check(now)) {
      setPending(key, false);
      return result;
    }
    const timer = setTimer(() => {
      waiters.delete(key);
      setPending(key, false);
    }, confirmTimeoutMs);
    waiters.set(key, { confirmed: check, timer });
    // The push may already be on its way; a pull makes confirmation independent of the push throttle.
    void actions.refresh();
    return result;
  }

  const actions: AppActions = {
    start() {
      const undo: (() => void)[] = [];
      undo.push(api.onStateChanged((s) => applySnapshot(s, 'push')));
      undo.push(api.onNavigate((t) => actions.setView(t.view, t.id ?? null)));
      // Config, credentials and preferences are not in the snapshot: main says when one changed (from another
      // window, the tray, a reset), and this window refetches it.
      undo.push(
        api.onChanged(({ topic }) => {
          if (topic === 'config') void actions.refreshConfig();
          else if (topic === 'credentials') void actions.refreshCredentials();
          else void actions.refreshAppSettings();
        }),
      );
      if (options.visibility) {
        const vis = options.visibility;
        undo.push(
          vis.subscribe((visible) => {
            options.connection?.setVisible?.(visible);
            if (visible) void actions.refresh();
          }),
        );
      }
      if (options.connection) {
        let generation = options.connection.connection().generation;
        undo.push(
          options.connection.onConnection((info) => {
            set({ connection: info.status });
            if (info.status === 'open' && info.generation !== generation) {
              const reconnect = generation > 0;
              generation = info.generation;
              if (reconnect) {
                acceptAnyRev = true;
                void actions.refresh();
                void actions.refreshConfig();
                void actions.refreshCredentials();
                void actions.refreshAppSettings();
              }
            }
          }),
        );
      }
      void actions.refresh();
      void actions.refreshConfig();
      void actions.refreshCredentials();
      void actions.refreshAppSettings();
      return () => {
        for (const u of undo) u();
        for (const w of waiters.values()) clearTimer(w.timer);
        waiters.clear();
      };
    },

    async refresh() {
      const r = await call(null, () => api['state.getSnapshot']({}), true);
      if (r.ok) applySnapshot(r.value, 'pull');
      else if (store.getState().snapshot === null) set({ loadError: describeError(r.error) });
    },

    async refreshConfig() {
      const r = await call(null, () => api['config.get']({}), true);
      if (r.ok) set({ config: r.value });
    },

    async refreshCredentials() {
      const r = await call(null, () => api['credentials.status']({}), true);
      if (r.ok) set({ credentials: r.value });
    },

    teamStatus: () => call(null, () => api['team.status']({}), true),
    teamProbe: (url) => call('teamProbe', () => api['team.probe']({ url }), true),
    teamAttach: (req) => call('teamAttach', () => api['team.attach'](req), true),
    teamDetach: () => call('teamDetach', () => api['team.detach']({}), true),

    async refreshAppSettings() {
      const r = await call(null, () => api['settings.get']({}), true);
      if (r.ok) set({ appSettings: r.value });
    },

    async patchAppSettings(patch) {
      const r = await call('appSettings', () => api['settings.patch'](patch));
      if (r.ok) set({ appSettings: r.value });
      return r;
    },

    setView(view, focus = null) {
      set({ view, focus });
    },

    dismissNotice(id) {
      set((s) => ({ notices: s.notices.filter((n) => n.id !== id) }));
    },

    setEnabled(enabled) {
      return confirmCall(
        'enabled',
        () => api['engine.setEnabled']({ enabled }),
        (s, v) => s.enabled === v.enabled,
      );
    },

    setLaunchesPaused(paused) {
      return confirmCall(
        'launchesPaused',
        () => api['engine.setLaunchesPaused']({ paused }),
        (s, v) => s.launchesPaused === v.paused,
      );
    },

    setQueuePaused(queue, paused) {
      return confirmCall(
        `queue:${queue}`,
        () => api['queue.setPaused']({ queue, paused }),
        (s, v) => s.queues.find((q) => q.name === v.queue)?.paused === v.paused,
      );
    },

    async terminate(instanceIds) {
      const key = `terminate:${instanceIds.join(',')}`;
      const r = await confirmCall(
        key,
        () => api['instances.terminate']({ instanceIds }),
        (s, v) =>
          v.terminating.every((id) => {
            const i = s.instances.find((x) => x.instanceId === id);
            return !i || i.phase === 'terminating' || i.state === 'shutting-down' || i.state === 'terminated';
          }),
      );
      if (r.ok) {
        const skipped = instanceIds.filter((id) => !r.value.terminating.includes(id));
        if (skipped.length)
          notify(
            'info',
            `Not terminated (not ours or already gone): ${skipped.join(', ')}. Refresh the Instances view to see their state.`,
          );
      }
      return r;
    },

    async adopt(instanceIds) {
      const r = await call('adopt', () => api['instances.adopt']({ instanceIds, confirm: true }));
      if (r.ok) {
        if (r.value.adopted.length) notify('info', `Adopted ${r.value.adopted.length} instance(s).`);
        for (const x of r.value.refused) notify('error', `Not adopted: ${x.instanceId}: ${x.reason}`);
      }
      return r;
    },

    async createLeaseTable() {
      return call('createLeaseTable', () => api['leadership.createLeaseTable']({}), true);
    },

    async teamDecide(decision) {
      const r = await call('teamDecide', () => api['leadership.decide']({ decision }));
      if (r.ok)
        notify(
          'info',
          decision === 'act' ? 'This engine acts.' : decision ? 'This engine stands by.' : 'Decision cleared.',
        );
      return r;
    },

    async scaleToZero() {
      const r = await call('scaleToZero', () => api['engine.scaleToZero']({}));
      if (r.ok) notify('info', `Terminating ${r.value.terminating} instance(s).`);
      return r;
    },

    async stopEverything() {
      const r = await call('stopEverything', () => api['engine.stopEverything']({ confirm: true }), true);
      // Main turned autoscaling off before sweeping; pull so the switch shows it without waiting for a push.
      void actions.refresh();
      return r;
    },

    async startDemo() {
      const r = await confirmCall(
        'demo',
        () => api['demo.start']({}),
        (s) => s.demo,
      );
      if (r.ok) await actions.refreshConfig();
      return r;
    },

    async openExternal(url) {
      const r = await call('openExternal', () => api['app.openExternal']({ url }));
      if (r.ok && !r.value.opened)
        notify(
          'info',
          `Not opened: ${url}. Only https links to your ClearML hosts open from here; copy the address into your browser instead.`,
        );
      return r;
    },

    validateConfig(config) {
      return call(null, () => api['config.validate']({ config }), true);
    },

    async saveConfig(config, confirm) {
      const r = await call('saveConfig', () => api['config.save'](confirm ? { config, confirm } : { config }));
      if (r.ok && r.value.ok) await actions.refreshConfig();
      return r;
    },

    importConfig(text) {
      return call('importConfig', () => api['config.import']({ text }));
    },

    timeline(hours) {
      return call(null, () => api['timeline.get']({ hours }), true);
    },

    instanceDetail(instanceId) {
      return call(null, () => api['instances.detail']({ instanceId }), true);
    },

    exportConfig() {
      return call('exportConfig', () => api['config.export']({}));
    },

    async setCredentials(req) {
      const r = await call(`credentials:${req.kind}`, () => api['credentials.set'](req), true);
      if (r.ok) await actions.refreshCredentials();
      return r;
    },

    async clearCredentials(kind) {
      const r = await call(`credentials:${kind}`, () => api['credentials.clear']({ kind }));
      if (r.ok) await actions.refreshCredentials();
      return r;
    },

    testCredentials(kind) {
      return call(`credentialsTest:${kind}`, () => api['credentials.test']({ kind }), true);
    },

    async importClearmlConf() {
      const r = await call('importClearmlConf', () => api['credentials.importClearmlConf']({}));
      if (r.ok && r.value.imported) {
        await actions.refreshCredentials();
        await actions.refreshConfig();
      }
      return r;
    },
  };

  return { store, actions };
}

export type StateChangedPayload = EventPayload<'autoscaler:state.changed'>;

/** The page's visibility, for `createAppStore({ visibility })` in a browser. */
export function documentVisibility(doc: Document): VisibilitySource {
  return {
    isVisible: () => doc.visibilityState === 'visible',
    subscribe(listener) {
      const onChange = () => listener(doc.visibilityState === 'visible');
      doc.addEventListener('visibilitychange', onChange);
      return () => doc.removeEventListener('visibilitychange', onChange);
    },
  };
}
