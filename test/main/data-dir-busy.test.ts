// The desktop app's composition root (electron/main/index.ts) under the Electron mock, when another engine holds
// its data folder: it must not start a second engine on it (two engines launch twice for the same tasks), and must
// say why and what to do.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
vi.mock('electron', () => import('../mocks/electron.js'));
vi.mock('electron-store', () => import('../mocks/electron-store.js'));
import { app, dialog, MockTray, resetElectronMock } from '../mocks/electron.js';
import { LOCK_FILE } from '../../electron/engine/data-dir-lock.js';

const userData = mkdtempSync(path.join(tmpdir(), 'app-busy-'));
let other: ChildProcess | null = null;
afterAll(() => {
  other?.kill();
  delete process.env['AUTOSCALER_USER_DATA'];
  rmSync(userData, { recursive: true, force: true });
});

describe('the desktop app on a data folder another engine holds', () => {
  it('does not start its engine: one dialog says who holds it and what to do, and the app exits 1', async () => {
    // A live process of this host (a node process, as a headless engine is) holds the lock.
    other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const engineDir = path.join(userData, 'engine');
    mkdirSync(engineDir, { recursive: true });
    const lock = `${JSON.stringify({ pid: other.pid, host: hostname(), startedAt: Date.now() })}\n`;
    writeFileSync(path.join(engineDir, LOCK_FILE), lock);
    process.env['AUTOSCALER_USER_DATA'] = userData;

    await import('../../electron/main/index.js');
    await vi.waitFor(() => expect(app.exit).toHaveBeenCalled());

    expect(app.exit).toHaveBeenCalledWith(1);
    expect(dialog.showMessageBoxSync).toHaveBeenCalledTimes(1);
    const box = dialog.showMessageBoxSync.mock.calls[0]![0] as { message: string; detail: string };
    expect(box.message).toMatch(/Another autoscaler engine uses this app’s data folder/);
    expect(box.detail).toContain(`pid ${other.pid} on ${hostname()}`);
    expect(box.detail).toContain(engineDir);
    expect(box.detail).toMatch(/Stop that engine .* then start the app again/);
    // Nothing else started: no tray, and the other engine's lock is untouched.
    expect(MockTray.instances).toHaveLength(0);
    expect(readFileSync(path.join(engineDir, LOCK_FILE), 'utf8')).toBe(lock);
  });

  it('a lock left by an engine that is gone is taken over: the app starts and holds the folder', async () => {
    const engineDir = path.join(userData, 'engine');
    other!.kill();
    await new Promise((r) => other!.once('exit', r));
    resetElectronMock();
    vi.resetModules();
    await import('../../electron/main/index.js');
    await vi.waitFor(() => expect(MockTray.instances.length).toBeGreaterThan(0), { timeout: 10_000 });
    expect(app.exit).not.toHaveBeenCalled();
    expect(JSON.parse(readFileSync(path.join(engineDir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid });
  });
});
