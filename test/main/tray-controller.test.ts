import { beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('electron', () => import('../mocks/electron.js'));
import { Menu, MockTray, nativeImage, resetElectronMock, Tray } from '../mocks/electron.js';
import { publish } from '../../electron/engine/store.js';
import { MemorySettingsRepo } from '../../electron/engine/service/settings-repo.js';
import { createTrayController, trayIconFile, type TrayActions } from '../../electron/main/tray/tray-controller.js';
import type { TrayDeps } from '../../electron/main/tray/tray-controller.js';
import { FakeController, instance } from '../service/fixtures.js';
import { baseConfig } from '../fixtures/index.js';

function setup(platform: NodeJS.Platform, confirm = true, configured = true) {
  const controller = new FakeController();
  const settings = new MemorySettingsRepo(configured ? { config: baseConfig() } : {});
  const actions = {
    setEnabled: vi.fn((on: boolean) => controller.setEnabled(on)),
    openDashboard: vi.fn(),
    setLaunchesPaused: vi.fn((p: boolean) => controller.setLaunchesPaused(p)),
    scaleToZero: vi.fn(async () => void (await controller.scaleToZero())),
    setLaunchAtLogin: vi.fn((on: boolean) => void settings.patch({ launchAtLogin: on })),
    quit: vi.fn(),
    confirm: vi.fn(async () => confirm),
    reportError: vi.fn(),
  } satisfies TrayActions;
  const tray = createTrayController({
    Tray: Tray as unknown as TrayDeps['Tray'],
    Menu: Menu as unknown as TrayDeps['Menu'],
    nativeImage: nativeImage as unknown as TrayDeps['nativeImage'],
    store: controller.store,
    settings,
    platform,
    iconDir: '/icons',
    launchAtLoginSupported: platform !== 'linux',
    actions,
  });
  const mock = MockTray.instances.at(-1)!;
  const click = async (id: string) => {
    const item = mock.menu!.getMenuItemById(id);
    if (!item?.click) throw new Error(`no clickable item ${id}`);
    item.click();
    // The click handler starts an async action: let its promise chain settle.
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  };
  return { controller, settings, actions, tray, mock, click };
}

describe('tray controller', () => {
  beforeEach(() => resetElectronMock());

  it('first run: "Not set up" and "Set up…" (which opens the window), until a configuration is saved', async () => {
    const { settings, actions, mock, click } = setup('linux', true, false);
    expect(mock.menu!.getMenuItemById('status')?.label).toBe('Not set up');
    expect(mock.menu!.getMenuItemById('enabled')).toBeNull();
    await click('set-up');
    expect(actions.openDashboard).toHaveBeenCalledWith({ view: 'settings' });
    expect(actions.setEnabled).not.toHaveBeenCalled();
    settings.patch({ config: baseConfig() });
    expect(mock.menu!.getMenuItemById('status')?.label).toBe('Autoscaling off');
    expect(mock.menu!.getMenuItemById('enabled')?.checked).toBe(false);
  });

  it('uses template icons on macOS and coloured icons elsewhere', () => {
    expect(trayIconFile('/icons', 'watching', 'darwin')).toBe('/icons/tray-watchingTemplate.png');
    expect(trayIconFile('/icons', 'error', 'linux')).toBe('/icons/tray-error.png');
    const mac = setup('darwin');
    expect(mac.mock.image.isTemplateImage()).toBe(true);
    expect(mac.mock.image.path).toBe('/icons/tray-offTemplate.png');
    const linux = setup('linux');
    expect(linux.mock.image.isTemplateImage()).toBe(false);
  });

  it('always sets a context menu and a tooltip, and rebuilds them on every store change', () => {
    const { controller, mock } = setup('linux');
    expect(mock.menu).not.toBeNull();
    expect(mock.tooltip).toBe('ClearML autoscaler: Autoscaling off');
    publish(controller.store, { enabled: true, status: 'scaling', instances: [instance({ instanceId: 'i-1' })] });
    expect(mock.menu!.getMenuItemById('status')?.label).toBe('Autoscaling on: 1 running, $0.00/h');
    expect(mock.image.path).toBe('/icons/tray-scaling.png');
  });

  it('does not rebuild the menu when nothing it shows changed', () => {
    const { controller, mock } = setup('linux');
    const before = mock.menus.length;
    publish(controller.store, { lastTickAt: 123 });
    publish(controller.store, { lastTickAt: 456 });
    expect(mock.menus.length).toBe(before);
  });

  it('toggles autoscaling from the checkbox', async () => {
    const { controller, click, mock } = setup('linux');
    await click('enabled');
    expect(controller.callsTo('setEnabled')).toEqual([[true]]);
    expect(mock.menu!.getMenuItemById('enabled')?.checked).toBe(true);
    await click('enabled');
    expect(controller.callsTo('setEnabled')).toEqual([[true], [false]]);
  });

  it('scale to zero asks first and does nothing when cancelled', async () => {
    const cancelled = setup('linux', false);
    publish(cancelled.controller.store, { instances: [instance({ instanceId: 'i-1' })] });
    await cancelled.click('scale-to-zero');
    expect(cancelled.actions.confirm).toHaveBeenCalledOnce();
    expect(cancelled.controller.callsTo('scaleToZero')).toEqual([]);

    const confirmed = setup('linux', true);
    publish(confirmed.controller.store, { instances: [instance({ instanceId: 'i-1' })] });
    await confirmed.click('scale-to-zero');
    expect(confirmed.controller.callsTo('scaleToZero')).toEqual([[]]);
  });

  it('launch at login writes the setting and the menu follows it', async () => {
    const { settings, click, mock } = setup('darwin');
    await click('launch-at-login');
    expect(settings.get().launchAtLogin).toBe(true);
    expect(mock.menu!.getMenuItemById('launch-at-login')?.checked).toBe(true);
  });

  it('a failing action is reported and the menu re-rendered from the truth', async () => {
    const { actions, click, mock } = setup('linux');
    vi.mocked(actions.setEnabled).mockRejectedValueOnce(new Error('Nothing to run yet: finish the setup.'));
    await click('enabled');
    expect(actions.reportError).toHaveBeenCalledWith('Nothing to run yet: finish the setup.');
    expect(mock.menu!.getMenuItemById('enabled')?.checked).toBe(false);
  });

  it('open dashboard, pause launches, quit', async () => {
    const { actions, controller, click } = setup('linux');
    await click('open');
    expect(actions.openDashboard).toHaveBeenCalledWith(undefined);
    publish(controller.store, { enabled: true });
    await click('pause-launches');
    expect(controller.callsTo('setLaunchesPaused')).toEqual([[true]]);
    await click('quit');
    expect(actions.quit).toHaveBeenCalledOnce();
  });

  it('left click opens the window on Windows only', () => {
    const win = setup('win32');
    win.mock.emit('click');
    expect(win.actions.openDashboard).toHaveBeenCalledOnce();
    const linux = setup('linux');
    linux.mock.emit('click');
    expect(linux.actions.openDashboard).not.toHaveBeenCalled();
  });

  it('destroy unsubscribes and removes the icon', () => {
    const { tray, mock, controller } = setup('linux');
    tray.destroy();
    const menus = mock.menus.length;
    publish(controller.store, { enabled: true });
    expect(mock.destroyed).toBe(true);
    expect(mock.menus.length).toBe(menus);
  });
});
