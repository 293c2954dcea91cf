/**
 * The desktop app's switch between its own engine and a team engine. Everything that shows or steers an engine
 * (tray, notifications, windows, IPC router) is handed this switch's store and dispatcher once, at start; the
 * switch decides where they point. Attached: the store mirrors the team engine (its snapshot plus `remote`), calls
 * go there (the team engine checks the role), and the local engine is off. App preferences, links and the
 * attachment itself stay local. The attachment (URL, pinned fingerprint) is kept in the settings; the token in the
 * secret store (keychain), never returned.
 */
import { rememberRunState } from '../service/run-state.js';
import { errorText } from '../../../shared/error-text.js';
import type { Dispatch } from '../../../shared/ipc/dispatch.js';
import { ServiceError } from '../../../shared/ipc/dispatch.js';
import type { EventPayload } from '../../../shared/ipc/contract.js';
import type { EngineHost } from '../host.js';
import { createChangeFeed, type ChangeFeed } from '../service/changes.js';
import type { TeamControl } from '../service/handlers.js';
import type { SecretStore } from '../service/secret-store.js';
import type { SettingsRepo } from '../service/settings-repo.js';
import { createMainStore, type MainStore } from '../store.js';
import { createTeamClient, parseTeamUrl, probeFingerprint, type TeamClient, type TeamClientOptions } from './client.js';
import { normalizeFingerprint } from './fingerprint.js';

/** Channels answered by this app even while attached: its preferences, its links, its attachment. */
const LOCAL_CHANNELS = new Set([
  'autoscaler:settings.get',
  'autoscaler:settings.patch',
  'autoscaler:app.openExternal',
  'autoscaler:team.status',
  'autoscaler:team.probe',
  'autoscaler:team.attach',
  'autoscaler:team.detach',
]);

export interface AttachmentDeps {
  host: EngineHost;
  settings: SettingsRepo;
  secrets: SecretStore;
  log: (line: string) => void;
  /** How long `team.attach` waits for the first connection before giving up. */
  attachTimeoutMs?: number;
  makeClient?: (o: TeamClientOptions) => TeamClient;
}

export interface LocalService {
  dispatch: Dispatch;
  changes: ChangeFeed;
  /** Applies the saved config to the local engine again (after detaching). */
  configure(): Promise<unknown>;
}

export interface AttachmentSwitch {
  /** What the tray, notifications and windows read: the local engine's snapshot, or the team engine's. */
  readonly store: MainStore;
  readonly dispatch: Dispatch;
  /** Topic changes from whichever engine is active, plus the app's own preferences. */
  readonly changes: ChangeFeed;
  /** For composeService (`team.*` channels). */
  readonly control: TeamControl;
  setLocal(local: LocalService): void;
  /** At start: attach to the saved team engine (without waiting for it). False when there is none. */
  resume(): Promise<boolean>;
  attached(): boolean;
  onNavigate(listener: (t: EventPayload<'autoscaler:navigate'>) => void): () => void;
  /** Told just before the store starts showing another engine (e.g. so notifications take a new baseline). */
  onSwitch(listener: () => void): () => void;
  dispose(): void;
}

export function createAttachmentSwitch(deps: AttachmentDeps): AttachmentSwitch {
  const store = createMainStore();
  const changes = createChangeFeed();
  const makeClient = deps.makeClient ?? createTeamClient;
  const navigateListeners = new Set<(t: EventPayload<'autoscaler:navigate'>) => void>();
  const switchListeners = new Set<() => void>();
  let local: LocalService | null = null;
  let client: TeamClient | null = null;
  let unfollow: () => void = () => undefined;
  let unlocalChanges: () => void = () => undefined;

  /** The mirror keeps its own `rev`, so a switch of source never looks like going back in time to a window. */
  function follow(source: MainStore) {
    unfollow();
    for (const l of switchListeners) l();
    const copy = () => store.setState((s) => ({ ...source.getState(), rev: s.rev + 1 }), true);
    copy();
    unfollow = source.subscribe(copy);
  }
  follow(deps.host.store);

  function useClient(c: TeamClient) {
    client = c;
    follow(c.store);
    const offChanges = c.changes.on((topic) => {
      if (topic !== 'settings') changes.emit(topic);
    });
    const offNavigate = c.onNavigate((t) => navigateListeners.forEach((l) => l(t)));
    // On every (re)connection the windows refetch what the snapshot does not carry: it may have changed meanwhile,
    // and a window that started while the team engine was unreachable has none yet.
    let wasConnected = false;
    const offConnected = c.store.subscribe((s) => {
      const connected = s.remote?.state === 'connected' && s.remote.actor !== null;
      if (connected && !wasConnected) {
        changes.emit('config');
        changes.emit('credentials');
      }
      wasConnected = connected;
    });
    const prevUnfollow = unfollow;
    unfollow = () => {
      prevUnfollow();
      offChanges();
      offNavigate();
      offConnected();
    };
  }

  function dropClient() {
    client?.close();
    client = null;
    follow(deps.host.store);
  }

  const dispatch: Dispatch = (channel, args, ctx) => {
    // The mirror answers for the snapshot: it is current while connected, and while the team engine cannot be
    // reached it is the last one with `remote` saying so, so the dashboard can still show that and offer to detach.
    if (client && channel === 'autoscaler:state.getSnapshot')
      return Promise.resolve({ ok: true, value: store.getState() });
    if (!client || LOCAL_CHANNELS.has(channel)) {
      if (!local) return Promise.resolve({ ok: false, error: { code: 'not_ready', message: 'Still starting.' } });
      return local.dispatch(channel, args, ctx);
    }
    return client.dispatch(channel, args, ctx);
  };

  const control: TeamControl = {
    status: () => ({ available: true, attachment: deps.settings.get().attachment }),
    async probe(url) {
      try {
        return { fingerprint: await probeFingerprint(url) };
      } catch (e) {
        throw new ServiceError('failed', errorText(e));
      }
    },
    async attach(req) {
      const fingerprint = normalizeFingerprint(req.fingerprint);
      if (!fingerprint)
        throw new ServiceError('invalid_args', 'The fingerprint must be 64 hex digits (colons optional).', [
          { path: 'fingerprint', message: 'not a SHA-256 fingerprint' },
        ]);
      let url: string;
      try {
        url = req.url.trim();
        parseTeamUrl(url);
      } catch (e) {
        throw new ServiceError('invalid_args', errorText(e), [{ path: 'url', message: errorText(e) }]);
      }
      const c = makeClient({ url, token: req.token, fingerprint, log: deps.log });
      try {
        await withTimeout(c.ready(), deps.attachTimeoutMs ?? 15_000, `No answer from ${url}; nothing was changed.`);
      } catch (e) {
        c.close();
        throw new ServiceError('failed', errorText(e));
      }
      // Connected and accepted: only now is anything saved, and the local engine stops acting.
      await deps.secrets.set('team', { token: req.token });
      deps.settings.patch({ attachment: { url, fingerprint } });
      if (client) dropClient();
      await deps.host.setEnabled(false);
      // Kept off for the local engine's next start too, so detaching brings it back off (as the log line says), not
      // on beside the team engine.
      rememberRunState(deps.settings, { on: false });
      useClient(c);
      deps.log(`attached to the team engine ${url}; the local engine is off`);
      changes.emit('config');
      changes.emit('credentials');
      const as = c.connection().actor;
      return { attached: true, as };
    },
    async detach() {
      dropClient();
      deps.settings.patch({ attachment: null });
      await deps.secrets.delete('team');
      deps.log('detached from the team engine; the local engine is back (autoscaling off until turned on)');
      await local?.configure();
      changes.emit('config');
      changes.emit('credentials');
      return { attached: false };
    },
  };

  return {
    store,
    dispatch,
    changes,
    control,
    setLocal(l) {
      unlocalChanges();
      local = l;
      unlocalChanges = l.changes.on((topic) => {
        // While attached, only this app's preferences are news; config and credentials are the team engine's.
        if (!client || topic === 'settings') changes.emit(topic);
      });
    },
    async resume() {
      const saved = deps.settings.get().attachment;
      if (!saved) return false;
      const token = (await deps.secrets.get('team'))?.value.token;
      if (!token) {
        deps.log('the saved team engine has no token in the keychain; running the local engine instead');
        deps.settings.patch({ attachment: null });
        return false;
      }
      try {
        useClient(makeClient({ url: saved.url, token, fingerprint: saved.fingerprint, log: deps.log }));
      } catch (e) {
        deps.log(`cannot attach to the saved team engine: ${errorText(e)}`);
        return false;
      }
      return true;
    },
    attached: () => client !== null,
    onNavigate(listener) {
      navigateListeners.add(listener);
      return () => void navigateListeners.delete(listener);
    },
    onSwitch(listener) {
      switchListeners.add(listener);
      return () => void switchListeners.delete(listener);
    },
    dispose() {
      unlocalChanges();
      unfollow();
      client?.close();
      client = null;
    },
  };
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(message)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
