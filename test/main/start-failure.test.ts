// The desktop app's composition root (electron/main/index.ts) under the Electron mock, when its data folder cannot
// be used at start (a full or read-only disk, a path taken by a file, a settings file it cannot read): the app must
// not linger without a tray or a window (a later launch would only wake that invisible process), but say which
// folder, why, and what to do, and exit.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
vi.mock('electron', () => import('../mocks/electron.js'));
vi.mock('electron-store', () => import('../mocks/electron-store.js'));
import { app, dialog, MockTray, resetElectronMock } from '../mocks/electron.js';
import { startFailureText } from '../../electron/main/start-failure.js';

const userData = mkdtempSync(path.join(tmpdir(), 'app-start-fail-'));
afterAll(() => {
  delete process.env['AUTOSCALER_USER_DATA'];
  rmSync(userData, { recursive: true, force: true });
});

describe('the desktop app on a data folder it cannot use', () => {
  it('says which folder and what to do in one dialog, and exits 1 instead of running without a tray', async () => {
    mkdirSync(userData, { recursive: true });
    // A file where the engine's folder should be: what a read-only or broken folder does to the lock's mkdir.
    writeFileSync(path.join(userData, 'engine'), 'not a folder');
    process.env['AUTOSCALER_USER_DATA'] = userData;

    await import('../../electron/main/index.js');
    await vi.waitFor(() => expect(app.exit).toHaveBeenCalled());

    expect(app.exit).toHaveBeenCalledWith(1);
    expect(dialog.showErrorBox).toHaveBeenCalledTimes(1);
    const [title, text] = dialog.showErrorBox.mock.calls[0]! as [string, string];
    expect(title).toMatch(/ClearML Tray Autoscaler/);
    expect(text).toContain(path.join(userData, 'engine'));
    expect(text).toMatch(/ENOTDIR|EEXIST/);
    expect(text).toMatch(/AUTOSCALER_USER_DATA/);
    expect(MockTray.instances).toHaveLength(0);
  });

  it('a settings file it cannot read (a folder in its place) is named in the dialog, with what to do', async () => {
    rmSync(path.join(userData, 'engine'));
    mkdirSync(path.join(userData, 'settings.json', 'inside'), { recursive: true });
    resetElectronMock();
    vi.resetModules();
    await import('../../electron/main/index.js');
    await vi.waitFor(() => expect(app.exit).toHaveBeenCalled());

    expect(app.exit).toHaveBeenCalledWith(1);
    const [, text] = dialog.showErrorBox.mock.calls[0]! as [string, string];
    expect(text).toContain(`${path.join(userData, 'settings.json')} is not a regular file; move it away`);
    expect(MockTray.instances).toHaveLength(0);
  });
});

const errno = (code: string, p?: string) =>
  Object.assign(new Error(`${code}: something, open '${p ?? ''}'`), { code, ...(p ? { path: p } : {}) });

describe('startFailureText: the folder, the fault and what to do', () => {
  it.each([
    [
      'ENOSPC',
      /^\/u\/engine\/engine\.lock is full \(ENOSPC.*\): free some space on its disk, then start the app again/,
    ],
    ['EDQUOT', /is full .*free some space/],
    ['EROFS', /is read-only .*mount its disk writable/],
    ['EACCES', /cannot be written \(permissions\) .*owned by root/],
    ['ENOTDIR', /taken by a file.*move the file in the way aside/],
  ])('%s', (code, text) => {
    const t = startFailureText(errno(code, '/u/engine/engine.lock'), '/u');
    expect(t.message).toBe('The app’s folder cannot be used');
    expect(t.detail).toMatch(text);
    expect(t.detail).toMatch(/in \/u; to start it on another folder, set AUTOSCALER_USER_DATA to that folder\.$/);
  });

  it('an error that is not about the folder is told as it is, with the folder to check', () => {
    const t = startFailureText(new Error('/u/settings.json is larger than 1048576 bytes; move it away'), '/u');
    expect(t.message).toBe('The app could not start');
    expect(t.detail).toMatch(
      /^\/u\/settings\.json is larger than 1048576 bytes; move it away\. Check \/u and its files/,
    );
  });

  it('an errno error without a path names the app folder', () => {
    expect(startFailureText(errno('ENOSPC'), '/u').detail).toMatch(/^\/u is full/);
  });
});
