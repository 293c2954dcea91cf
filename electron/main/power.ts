/**
 * A laptop that slept or changed networks has stale observations: reconcile (observe before deciding) as soon
 * as it is back. The main process has no `online` event, so connectivity is polled via `net.isOnline()` and
 * only the offline → online transition triggers.
 */
import type { EngineController } from '../engine/controller.js';

export interface PowerMonitorLike {
  on(event: 'resume' | 'unlock-screen' | 'shutdown', listener: () => void): unknown;
  removeListener(event: 'resume' | 'unlock-screen' | 'shutdown', listener: () => void): unknown;
}

export interface PowerDeps {
  powerMonitor: PowerMonitorLike;
  controller: Pick<EngineController, 'reconcileNow'>;
  isOnline: () => boolean;
  /** OS shutdown/logout: quit without the instances dialog. */
  onShutdown?: () => void;
  /** Back from sleep, before the reconcile (the notifier's outage clock starts over: `Notifier.resumed`). */
  onResume?: () => void;
  pollMs?: number;
  setInterval?: (fn: () => void, ms: number) => unknown;
  clearInterval?: (h: unknown) => void;
}

export function installPowerHooks(deps: PowerDeps): () => void {
  const resume = () => {
    deps.onResume?.();
    deps.controller.reconcileNow('system resumed from sleep');
  };
  const unlock = () => deps.controller.reconcileNow('screen unlocked');
  const shutdown = () => deps.onShutdown?.();
  deps.powerMonitor.on('resume', resume);
  deps.powerMonitor.on('unlock-screen', unlock);
  deps.powerMonitor.on('shutdown', shutdown);

  let online = deps.isOnline();
  const check = () => {
    const now = deps.isOnline();
    if (now && !online) deps.controller.reconcileNow('network back online');
    online = now;
  };
  const setI = deps.setInterval ?? ((fn, ms) => setInterval(fn, ms).unref());
  const clearI = deps.clearInterval ?? ((h) => clearInterval(h as ReturnType<typeof setInterval>));
  const handle = setI(check, deps.pollMs ?? 5_000);

  return () => {
    deps.powerMonitor.removeListener('resume', resume);
    deps.powerMonitor.removeListener('unlock-screen', unlock);
    deps.powerMonitor.removeListener('shutdown', shutdown);
    clearI(handle);
  };
}
