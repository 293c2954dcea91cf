/**
 * "Something changed, refetch it": the events that tell every open window (Electron windows, preview pages) that
 * config, credentials or preferences changed, whatever changed them (another window, the tray, a file reset).
 * The snapshot has its own push; these carry only the topic, never a value.
 */
import type { ChangeTopic } from '../../../shared/ipc/contract.js';
import type { Settings } from '../../../shared/settings.js';
import type { SettingsRepo } from './settings-repo.js';

export interface ChangeFeed {
  emit(topic: ChangeTopic): void;
  /** Returns the unsubscribe function. */
  on(listener: (topic: ChangeTopic) => void): () => void;
}

export function createChangeFeed(): ChangeFeed {
  const listeners = new Set<(topic: ChangeTopic) => void>();
  return {
    emit(topic) {
      for (const l of [...listeners]) l(topic);
    },
    on(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}

/** Emits `config` when the saved config changes and `settings` when the preferences do. */
export function watchSettings(settings: SettingsRepo, feed: ChangeFeed): () => void {
  const split = (s: Settings) => {
    const { config, ...prefs } = s;
    return { config: JSON.stringify(config ?? null), prefs: JSON.stringify(prefs) };
  };
  let last = split(settings.get());
  return settings.onChange((s) => {
    const now = split(s);
    if (now.config !== last.config) feed.emit('config');
    if (now.prefs !== last.prefs) feed.emit('settings');
    last = now;
  });
}
