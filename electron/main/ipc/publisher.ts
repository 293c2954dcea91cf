/**
 * Pushes the main store's snapshot to the dashboard: at most 4 times a second (the engine may publish in
 * bursts), only to visible windows (a tray app's window is hidden most of the time), and once more whenever a
 * window is shown, so a window that was hidden during updates catches up at once.
 */
import type { MainStore } from '../../engine/store.js';
import { EVENT_CHANNELS } from '../../../shared/ipc/channels.js';

export interface PublisherWindow {
  isDestroyed(): boolean;
  isVisible(): boolean;
  webContents: { send(channel: string, payload: unknown): void };
  on(event: 'show', listener: () => void): unknown;
}

export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface StatePublisher {
  /** Start re-sending to this window whenever it is shown. */
  attach(win: PublisherWindow): void;
  dispose(): void;
}

export function createStatePublisher(deps: {
  store: MainStore;
  windows: () => readonly PublisherWindow[];
  minIntervalMs?: number;
  timers?: Timers;
}): StatePublisher {
  const minInterval = deps.minIntervalMs ?? 250;
  const timers = deps.timers ?? realTimers;
  let lastSentAt = Number.NEGATIVE_INFINITY;
  let timer: unknown = null;

  const sendTo = (win: PublisherWindow) => {
    if (win.isDestroyed()) return;
    win.webContents.send(EVENT_CHANNELS.stateChanged, deps.store.getState());
  };

  const flush = () => {
    timer = null;
    lastSentAt = timers.now();
    for (const win of deps.windows()) if (!win.isDestroyed() && win.isVisible()) sendTo(win);
  };

  const schedule = () => {
    if (timer !== null) return; // the pending flush will send the latest state
    const wait = lastSentAt + minInterval - timers.now();
    if (wait <= 0) flush();
    else timer = timers.setTimeout(flush, wait);
  };

  const unsubscribe = deps.store.subscribe(schedule);
  return {
    attach: (win) => {
      win.on('show', () => sendTo(win));
    },
    dispose: () => {
      unsubscribe();
      if (timer !== null) timers.clearTimeout(timer);
      timer = null;
    },
  };
}
