/**
 * The main process's single source of truth: a vanilla zustand store holding the latest engine snapshot.
 * The tray, the notifier, the IPC publisher and the preview bridge all subscribe to this one store, so they
 * can never disagree. Only the engine writes it.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { emptySnapshot, type Snapshot } from '../../shared/domain.js';

export type MainStore = StoreApi<Snapshot>;

export function createMainStore(initial: Partial<Snapshot> = {}): MainStore {
  return createStore<Snapshot>(() => ({ ...emptySnapshot(), ...initial }));
}

/** Every write bumps `rev`, which the renderer uses to drop stale updates. */
export function publish(store: MainStore, patch: Partial<Snapshot>): void {
  store.setState((s) => ({ ...s, ...patch, rev: s.rev + 1 }));
}
