/**
 * The tray (with the Electron mock) attached to a real served engine through the attachment switch, wired as
 * electron/main/index.ts wires it: it shows the team engine, limits clicks by role, acts on the team engine
 * (audited with the token's name), and says so plainly when the token is revoked.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('electron', () => import('../mocks/electron.js'));
import { Menu, MockTray, nativeImage, resetElectronMock, Tray } from '../mocks/electron.js';
import type { EngineHost } from '../../electron/engine/host.js';
import { MemorySettingsRepo } from '../../electron/engine/service/settings-repo.js';
import { createTrayController, type TrayDeps } from '../../electron/main/tray/tray-controller.js';
import type { EngineEvent } from '../../shared/domain.js';
import { localApp, serveDemoEngine, until, type ServedEngine } from '../fixtures/team.js';

let served: ServedEngine;
let remote: EngineHost;
const events: EngineEvent[] = [];
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  served = await serveDemoEngine('team-tray-', { onEvent: (e) => events.push(e), engineDir: 'remote' });
  remote = served.host;
});

afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await served.stop();
});

beforeEach(() => resetElectronMock());

async function attachedTray(name: string, role: 'viewer' | 'operator') {
  const { token } = served.tokens.issue(name, role);
  const settings = new MemorySettingsRepo();
  const app = localApp({ homeDir: served.dataDir, settings });
  const { sw } = app;
  const r = await sw.dispatch(
    'autoscaler:team.attach',
    { url: served.url, token, fingerprint: served.serving.tls.fingerprint },
    { transport: 'ipc', caller: 'test' },
  );
  expect(r.ok).toBe(true);
  const reportError = vi.fn();
  const act = async (channel: 'autoscaler:engine.setEnabled', args: { enabled: boolean }) => {
    const res = await sw.dispatch(channel, args, { transport: 'ipc', caller: 'tray' });
    if (!res.ok) throw new Error(res.error.message);
  };
  const tray = createTrayController({
    Tray: Tray as unknown as TrayDeps['Tray'],
    Menu: Menu as unknown as TrayDeps['Menu'],
    nativeImage: nativeImage as unknown as TrayDeps['nativeImage'],
    store: sw.store,
    settings,
    platform: 'linux',
    iconDir: '/icons',
    launchAtLoginSupported: false,
    actions: {
      setEnabled: (enabled) => act('autoscaler:engine.setEnabled', { enabled }),
      openDashboard: vi.fn(),
      setLaunchesPaused: vi.fn(),
      scaleToZero: vi.fn(async () => undefined),
      setLaunchAtLogin: vi.fn(),
      quit: vi.fn(),
      confirm: vi.fn(async () => true),
      reportError,
    },
  });
  cleanups.push(app.stop, () => tray.destroy());
  const mock = MockTray.instances.at(-1)!;
  await until('the hello', () => sw.store.getState().remote?.actor !== null);
  return { sw, mock, reportError, tray };
}

describe('tray attached to a team engine', () => {
  it('a viewer: the tray shows the team engine with the switch disabled', async () => {
    const { mock } = await attachedTray('tess', 'viewer');
    await until('the menu', () => /^Team: /.test(mock.menu!.getMenuItemById('status')?.label ?? ''));
    expect(mock.menu!.getMenuItemById('enabled')?.enabled).toBe(false);
    expect(mock.menu!.getMenuItemById('team')?.label).toBe('Team engine as tess (viewer)…');
    expect(mock.menu!.getMenuItemById('team-role')?.label).toBe('Viewer: read only');
    expect(mock.tooltip).toMatch(/^ClearML autoscaler: Team: /);
  });

  it('an operator toggles the team engine from the tray (audited), and a revocation shows in the tray', async () => {
    const { mock, reportError, sw, tray } = await attachedTray('otto', 'operator');
    const item = mock.menu!.getMenuItemById('enabled')!;
    expect(item.enabled).not.toBe(false);
    item.click!();
    await until('the team engine on', () => remote.store.getState().enabled);
    expect(reportError).not.toHaveBeenCalled();
    expect(events).toContainEqual(expect.objectContaining({ message: 'otto (operator): turned autoscaling on' }));
    await until('the tray checked', () => mock.menu!.getMenuItemById('enabled')?.checked === true);
    await remote.setEnabled(false);

    served.tokens.revoke('otto');
    await until('the tray says disconnected', () => sw.store.getState().remote?.state === 'disconnected', 5000);
    // The status says why in full (and the tooltip as much as fits); the menu line is that, clipped at 80.
    await until('the status says why', () => /Not connected to the team engine.*revoked/.test(tray.model().status));
    const line = mock.menu!.getMenuItemById('status')?.label ?? '';
    expect(line).toMatch(/^Team: Autoscaling error: Not connected to the team engine/);
    expect(tray.model().status.startsWith(line.replace(/…$/, ''))).toBe(true);
    expect(mock.image.path).toBe('/icons/tray-error.png');
  });
});
