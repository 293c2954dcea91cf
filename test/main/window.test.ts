import { beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('electron', () => import('../mocks/electron.js'));
import { BrowserWindow, resetElectronMock, type MockBrowserWindow } from '../mocks/electron.js';
import { createWindowManager, defaultPreloadPath } from '../../electron/main/window.js';

describe('window manager', () => {
  beforeEach(() => resetElectronMock());
  const make = () =>
    createWindowManager({
      BrowserWindow: BrowserWindow as never,
      isPackaged: true,
      preload: '/app/out/preload/index.cjs',
      url: 'app://autoscaler/index.html',
    });

  it('creates one hardened window lazily, loads our URL and reuses it', () => {
    const wm = make();
    const created = vi.fn();
    wm.onCreated(created);
    expect(wm.current()).toBeNull();
    const w = wm.show() as unknown as MockBrowserWindow;
    expect(w.options).toMatchObject({
      show: false,
      webPreferences: { sandbox: true, contextIsolation: true, devTools: false, preload: '/app/out/preload/index.cjs' },
    });
    expect(w.webContents.getURL()).toBe('app://autoscaler/index.html');
    expect(w.isVisible()).toBe(true);
    expect(wm.show()).toBe(w as never);
    expect(created).toHaveBeenCalledOnce();
    w.destroy();
    expect(wm.current()).toBeNull();
    expect(wm.show()).not.toBe(w as never);
  });

  it('restores a minimized window', () => {
    const wm = make();
    const w = wm.show() as unknown as MockBrowserWindow;
    w.minimize();
    wm.show();
    expect(w.isMinimized()).toBe(false);
  });

  it('navigate shows the window and sends the target once the page has loaded', () => {
    const wm = make();
    const w = wm.show() as unknown as MockBrowserWindow;
    w.hide();
    w.webContents.loading = true;
    wm.navigate({ view: 'instances' });
    expect(w.isVisible()).toBe(true);
    expect(w.webContents.sent).toEqual([]);
    w.webContents.emit('did-finish-load');
    expect(w.webContents.sent).toEqual([['autoscaler:navigate', { view: 'instances' }]]);
  });

  it('the preload path points at the CommonJS bundle next to the main bundle', () => {
    expect(defaultPreloadPath()).toMatch(/[\\/]preload[\\/]index\.cjs$/);
  });
});
