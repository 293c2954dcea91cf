/**
 * React access to the app store. Components select exactly what they draw through `useApp(selector)`, which
 * compares shallowly, so a snapshot that changed only the events list re-renders only the events view.
 */
import { createContext, createElement, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import type { AppActions, AppState, AppStore } from './app-store.js';

const AppStoreContext = createContext<AppStore | null>(null);

export function AppStoreProvider({ value, children }: { value: AppStore; children: ReactNode }) {
  return createElement(AppStoreContext.Provider, { value }, children);
}

function useAppStore(): AppStore {
  const s = useContext(AppStoreContext);
  if (!s) throw new Error('useApp outside <AppStoreProvider>');
  return s;
}

export function useApp<T>(selector: (state: AppState) => T): T {
  return useStore(useAppStore().store, useShallow(selector));
}

export function useActions(): AppActions {
  return useAppStore().actions;
}

export function usePending(key: string): boolean {
  return useStore(useAppStore().store, (s) => key in s.pending);
}
