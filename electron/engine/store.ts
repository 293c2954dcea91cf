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
  // The tray's short form belongs to the reason it came with: a new reason without one must not keep the old one.
  const summary = 'statusReason' in patch && !('statusSummary' in patch) ? { statusSummary: null } : {};
  store.setState((s) => ({ ...s, ...patch, ...summary, rev: s.rev + 1 }));
}
