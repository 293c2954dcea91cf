// The desktop app's composition root (electron/main/index.ts) under the Electron mock, on an engine folder an older
// version created 0755 (a fresh one is 0700, which keeps other users out of the cost history and event log in it).
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
vi.mock('electron', () => import('../mocks/electron.js'));
vi.mock('electron-store', () => import('../mocks/electron-store.js'));
import { app, MockTray } from '../mocks/electron.js';

const userData = mkdtempSync(path.join(tmpdir(), 'app-modes-'));
afterAll(() => {
  delete process.env['AUTOSCALER_USER_DATA'];
  rmSync(userData, { recursive: true, force: true });
});

describe('the desktop app on an engine folder an older version made', () => {
  it('makes the folder 0700 at start', async () => {
    const engineDir = path.join(userData, 'engine');
    mkdirSync(engineDir, { recursive: true });
    chmodSync(engineDir, 0o755);
    writeFileSync(path.join(engineDir, 'regions.json'), '{"v":1,"regions":["us-east-1"]}\n');
    process.env['AUTOSCALER_USER_DATA'] = userData;

    await import('../../electron/main/index.js');
    await vi.waitFor(() => expect(MockTray.instances.length).toBeGreaterThan(0), { timeout: 10_000 });
    expect(app.exit).not.toHaveBeenCalled();
    expect(statSync(engineDir).mode & 0o777).toBe(0o700);
  });
});
