/**
 * The dashboard's zustand store: a read-only replica of main's snapshot plus local UI state. Server state only
 * changes when main says so (a pulled snapshot or a newer `state.changed`); a user action sets a pending flag
 * that stays until the snapshot shows the effect, so a switch never claims a state main has not confirmed.
 */
import { createStore } from 'zustand/vanilla';
import type { Snapshot } from '../../../shared/domain.js';
import type { AutoscalerApi, Envelope, EventPayload } from '../../../shared/ipc/contract.js';
import { errorText } from '../../../shared/error-text.js';
import {
  describeError,
  initialAppState,
  type AppActions,
  type AppState,
  type AppStore,
  type AppStoreOptions,
  type KeptDraftStorage,
  type Notice,
  type StoreKit,
  type VisibilitySource,
} from './app-state.js';
import { formReducer, initialFormState } from '../model/settings-form.js';
import { draftFromConfig } from '../model/config-form.js';
import { formatDate } from '../model/format.js';
import { keptDecision, keptText } from '../model/kept-draft.js';
import { configActions } from './config-actions.js';
import { credentialsActions } from './credentials-actions.js';
import { engineActions } from './engine-actions.js';
import { teamActions } from './team-actions.js';

export {
  describeError,
  initialAppState,
  VIEWS,
  type AppActions,
  type AppSettingsInfo,
  type AppState,
  type AppStore,
  type AppStoreOptions,
  type ConfigInfo,
  type KeptDraftStorage,
  type ConnectionSource,
  type ConnectionStatus,
  type CredentialsStatus,
  type Notice,
  type ViewName,
  type VisibilitySource,
} from './app-state.js';

const MAX_NOTICES = 4;

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
  const kit: StoreKit = { api, set, call, confirmCall, notify, actions: () => actions };

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

    openImportInEditor(loaded) {
      set({ setupInEditor: true, editorImport: loaded, view: 'settings', focus: null });
    },

    takeEditorImport() {
      const taken = store.getState().editorImport;
      if (taken) set({ editorImport: null });
      return taken;
    },

    settingsForm(action) {
      set((s) => ({ settingsForm: formReducer(s.settingsForm ?? initialFormState(s.config?.config ?? null), action) }));
    },

    setCredentialDraft(key, value) {
      set((s) => {
        const next = { ...s.credentialDrafts };
        if (value) next[key] = value;
        else delete next[key];
        return { credentialDrafts: next };
      });
    },

    dismissNotice(id) {
      set((s) => ({ notices: s.notices.filter((n) => n.id !== id) }));
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

    timeline(hours, after) {
      return call(null, () => api['timeline.get']({ hours, ...(after !== undefined ? { after } : {}) }), true);
    },

    instanceDetail(instanceId) {
      return call(null, () => api['instances.detail']({ instanceId }), true);
    },
    ...engineActions(kit),
    ...configActions(kit),
    ...credentialsActions(kit),
    ...teamActions(kit),
  };

  if (options.keptDraft) keepDrafts(store, actions, options.keptDraft, options.now ?? Date.now);
  return { store, actions };
}

/**
 * Unsaved Settings edits outlive the window (kept-draft.ts): once the saved config and the snapshot are read, edits
 * kept by an earlier window of the same ClearML server come back as the draft; from then on a draft with edits is
 * kept on every change, and let go once it is saved or discarded.
 */
function keepDrafts(store: AppStore['store'], actions: AppActions, kept: KeptDraftStorage, now: () => number) {
  let offered = false;
  store.subscribe((s, prev) => {
    if (!offered) {
      if (!s.config || !s.snapshot) return;
      offered = true;
      if (s.settingsForm?.dirty) return;
      const demo = s.snapshot.demo;
      const d = keptDecision(kept.read(), { apiHost: draftFromConfig(s.config.config).apiHost, demo });
      if (!d.offer) return;
      actions.settingsForm({
        type: 'restored',
        base: d.kept.base,
        draft: d.kept.draft,
        config: s.config.config,
        when: formatDate(d.kept.savedAt),
      });
      // All of them saved already (the window closed between saving and letting go): nothing to offer.
      if (!store.getState().settingsForm?.dirty) kept.clear();
      return;
    }
    if (s.settingsForm === prev.settingsForm) return;
    if (s.settingsForm?.dirty) kept.write(keptText(s.settingsForm, s.snapshot?.demo ?? false, now()));
    else if (prev.settingsForm?.dirty) kept.clear();
  });
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
