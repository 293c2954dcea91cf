/**
 * Pushes the main store's snapshot to the dashboard: at most 4 times a second (the engine may publish in
 * bursts), only to visible windows (a tray app's window is hidden most of the time), and once more whenever a
 * window is shown, so a window that was hidden during updates catches up at once. The throttle is the one the
 * preview server uses (`engine/push-throttle.ts`). It also tells every window when config, credentials or
 * preferences changed (`autoscaler:changed`), so an open window refetches what the tray or another window set.
 */
import type { MainStore } from '../../engine/store.js';
import { createThrottle, realTimers, type ThrottleTimers } from '../../engine/push-throttle.js';
import type { ChangeFeed } from '../../engine/service/changes.js';
import { EVENT_CHANNELS } from '../../../shared/ipc/channels.js';

export interface PublisherWindow {
  isDestroyed(): boolean;
  isVisible(): boolean;
  webContents: { send(channel: string, payload: unknown): void };
  on(event: 'show', listener: () => void): unknown;
}

/** The push throttle's timers (injectable for tests). */
export type Timers = ThrottleTimers;

export interface StatePublisher {
  /** Start re-sending to this window whenever it is shown. */
  attach(win: PublisherWindow): void;
  dispose(): void;
}

export function createStatePublisher(deps: {
  store: MainStore;
  windows: () => readonly PublisherWindow[];
  /** Config, credentials and preferences changes: every window is told, so it refetches. */
  changes?: ChangeFeed;
  minIntervalMs?: number;
  timers?: Timers;
}): StatePublisher {
  const sendTo = (win: PublisherWindow) => {
    if (win.isDestroyed()) return;
    win.webContents.send(EVENT_CHANNELS.stateChanged, deps.store.getState());
  };

  const push = createThrottle(
    () => {
      for (const win of deps.windows()) if (!win.isDestroyed() && win.isVisible()) sendTo(win);
    },
    deps.minIntervalMs ?? 250,
    deps.timers ?? realTimers,
  );

  const unsubscribe = deps.store.subscribe(() => push.trigger());
  const unwatch =
    deps.changes?.on((topic) => {
      for (const win of deps.windows()) {
        if (!win.isDestroyed()) win.webContents.send(EVENT_CHANNELS.changed, { topic });
      }
    }) ?? (() => undefined);
  return {
    attach: (win) => {
      win.on('show', () => sendTo(win));
    },
    dispose: () => {
      unsubscribe();
      unwatch();
      push.cancel();
    },
  };
}
