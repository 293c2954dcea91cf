import { beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('electron', () => import('../mocks/electron.js'));
import { net, powerMonitor, resetElectronMock } from '../mocks/electron.js';
import { installPowerHooks } from '../../electron/main/power.js';

describe('power hooks', () => {
  beforeEach(() => resetElectronMock());

  it('resume, unlock and network back online reconcile; shutdown quits; dispose detaches', () => {
    const order: string[] = [];
    const reconcileNow = vi.fn(() => void order.push('reconcile'));
    const onShutdown = vi.fn();
    const onResume = vi.fn(() => void order.push('resumed'));
    let tick: () => void = () => undefined;
    const clear = vi.fn();
    const dispose = installPowerHooks({
      powerMonitor,
      controller: { reconcileNow },
      isOnline: () => net.isOnline(),
      onShutdown,
      onResume,
      setInterval: (fn) => {
        tick = fn;
        return 7;
      },
      clearInterval: clear,
    });
    powerMonitor.emit('resume');
    powerMonitor.emit('unlock-screen');
    expect(reconcileNow.mock.calls).toEqual([['system resumed from sleep'], ['screen unlocked']]);
    // The notifier hears of the wake before the reconcile's failed poll (if the network is not back yet).
    expect(order).toEqual(['resumed', 'reconcile', 'reconcile']);

    tick(); // online → online: nothing
    net.online = false;
    tick(); // went offline: nothing
    expect(reconcileNow).toHaveBeenCalledTimes(2);
    net.online = true;
    tick(); // back online
    tick(); // still online: once only
    expect(reconcileNow.mock.calls.at(-1)).toEqual(['network back online']);
    expect(reconcileNow).toHaveBeenCalledTimes(3);

    powerMonitor.emit('shutdown');
    expect(onShutdown).toHaveBeenCalledOnce();

    dispose();
    expect(clear).toHaveBeenCalledWith(7);
    powerMonitor.emit('resume');
    expect(reconcileNow).toHaveBeenCalledTimes(3);
  });
});
