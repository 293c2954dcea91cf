import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('electron', () => import('../mocks/electron.js'));
import {
  BrowserWindow,
  ipcMain,
  MockWebFrameMain,
  resetElectronMock,
  type MockBrowserWindow,
} from '../mocks/electron.js';
import { invokeChannels } from '../../shared/ipc/contract.js';
import { createDispatcher, type Handlers } from '../../shared/ipc/dispatch.js';
import { createServiceHandlers } from '../../electron/engine/service/handlers.js';
import { MemorySecretStore } from '../../electron/engine/service/secret-store.js';
import { MemorySettingsRepo } from '../../electron/engine/service/settings-repo.js';
import { registerIpcRouter, senderRejection, type InvokeEventLike } from '../../electron/main/ipc/router.js';
import { APP_ENTRY_URL, APP_ORIGIN } from '../../electron/main/protocol.js';
import { FakeController } from '../service/fixtures.js';

function eventFrom(win: MockBrowserWindow, frame = win.webContents.mainFrame): InvokeEventLike {
  return { sender: { id: win.webContents.id }, senderFrame: frame };
}

describe('IPC router', () => {
  let win: MockBrowserWindow;
  let controller: FakeController;
  let handlers: Handlers;
  let unregister: () => void;
  const log = vi.fn();

  beforeEach(async () => {
    resetElectronMock();
    log.mockClear();
    controller = new FakeController();
    handlers = createServiceHandlers({
      controller,
      settings: new MemorySettingsRepo(),
      secrets: new MemorySecretStore(),
      testers: {
        clearml: async () => ({ ok: true, message: '', details: [] }),
        aws: async () => ({ ok: true, message: '', details: [] }),
      },
      importClearmlConf: async () => null,
      importConfigText: async () => ({ format: 'unknown', config: null, issues: [], warnings: [], differences: [] }),
      exportConfig: () => '{}',
      openExternal: async () => false,
      startDemo: async () => undefined,
      isDemo: () => true,
    });
    win = new BrowserWindow({ show: false });
    await win.loadURL(APP_ENTRY_URL);
    unregister = registerIpcRouter(ipcMain, {
      dispatch: createDispatcher(handlers),
      windows: () => [win],
      trustedOrigins: () => [APP_ORIGIN],
      log,
    });
  });
  afterEach(() => unregister());

  it('registers exactly the contract channels, and unregisters them', () => {
    expect([...ipcMain.handlers.keys()].sort()).toEqual([...invokeChannels].sort());
    unregister();
    expect(ipcMain.handlers.size).toBe(0);
    unregister = () => undefined;
  });

  it('returns the envelope from the dispatcher for our main frame', async () => {
    const r = await ipcMain.invoke('autoscaler:engine.setEnabled', eventFrom(win), { enabled: true });
    expect(r).toEqual({ ok: true, value: { enabled: true } });
    expect(controller.callsTo('setEnabled')).toEqual([[true]]);
  });

  it('returns invalid_args for a bad request, without calling the engine', async () => {
    const r = await ipcMain.invoke('autoscaler:engine.setEnabled', eventFrom(win), { enabled: 'on' });
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid_args', issues: [{ path: 'enabled' }] } });
    expect(controller.calls).toEqual([]);
  });

  it('an unregistered channel never reaches us (Electron refuses it), and the dispatcher names it', async () => {
    await expect(ipcMain.invoke('autoscaler:evil', eventFrom(win), {})).rejects.toThrow(/No handler registered/);
    const r = await createDispatcher(handlers)('autoscaler:evil', {}, { transport: 'ipc', caller: 'x' });
    expect(r).toMatchObject({ ok: false, error: { code: 'unknown_channel' } });
  });

  const refusals: [string, (w: MockBrowserWindow) => InvokeEventLike, RegExp][] = [
    [
      'a sub-frame (iframe) of our window',
      (w) => eventFrom(w, w.webContents.mainFrame.child(APP_ENTRY_URL)),
      /sub-frame/,
    ],
    [
      'a foreign origin in our main frame',
      (w) => {
        w.webContents.mainFrame.url = 'https://evil.example/';
        return eventFrom(w);
      },
      /origin/,
    ],
    [
      'file:// in our main frame',
      (w) => {
        w.webContents.mainFrame.url = 'file:///etc/passwd';
        return eventFrom(w);
      },
      /origin/,
    ],
    [
      'an unknown webContents',
      () => ({ sender: { id: 9999 }, senderFrame: new MockWebFrameMain(APP_ENTRY_URL, 77) }),
      /not one of our windows/,
    ],
    ['a frame that is gone', (w) => ({ sender: { id: w.webContents.id }, senderFrame: null }), /no longer exists/],
    [
      'a top-level frame that is not the window main frame',
      (w) => eventFrom(w, new MockWebFrameMain(APP_ENTRY_URL, w.webContents.mainFrame.processId, null, 42)),
      /not the main frame/,
    ],
  ];
  it.each(refusals)('refuses %s and never calls a handler', async (_name, makeEvent, reason) => {
    for (const channel of ['autoscaler:engine.setEnabled', 'autoscaler:state.getSnapshot']) {
      const r = await ipcMain.invoke(channel, makeEvent(win), { enabled: true });
      expect(r).toMatchObject({ ok: false, error: { code: 'forbidden_sender' } });
    }
    expect(controller.calls).toEqual([]);
    expect(log.mock.calls[0]?.[0]).toMatch(reason);
  });

  it('a second window of ours is accepted only when listed', async () => {
    const other = new BrowserWindow({ show: false });
    await other.loadURL(APP_ENTRY_URL);
    expect(senderRejection(eventFrom(other), [win], [APP_ORIGIN])).toMatch(/not one of our windows/);
    expect(senderRejection(eventFrom(other), [win, other], [APP_ORIGIN])).toBeNull();
  });
});
