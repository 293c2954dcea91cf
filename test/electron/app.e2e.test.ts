// Real-Electron end-to-end: launches the built main process (out/main/index.js) in demo mode through
// Playwright's `_electron`, reads the tray menu through the e2e hook, toggles autoscaling, and checks the
// window's security posture. Electron's binary comes from Electron's installer (`npm start` runs it); where it is absent this
// suite skips itself and says so. It never `require('electron')`s (that starts a download in Electron ≥ 42).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ElectronApplication, Page } from 'playwright-core';
import type { TrayAction, TrayModel } from '../../electron/main/tray/tray-model.js';
import { electronBinary } from '../../scripts/electron-binary.mjs';

const root = path.resolve(import.meta.dirname, '../..');

const bin = electronBinary();
const SKIP_REASON = 'no Electron binary on this machine';
if (!bin)
  console.warn(
    `[electron e2e] skipped: ${SKIP_REASON} (node_modules/electron/path.txt or its dist executable is missing; 'npm start' runs Electron's installer; it needs the download host (GitHub releases or ELECTRON_MIRROR) to be reachable)`,
  );

type Hook = { tray: { model(): TrayModel; run(a: TrayAction): Promise<void> } };

describe.skipIf(!bin)(`Electron app (demo mode)${bin ? '' : ` — skipped: ${SKIP_REASON}`}`, () => {
  let app: ElectronApplication;
  let page: Page;
  let userData: string;

  const trayModel = () =>
    app.evaluate(() => (globalThis as unknown as { __autoscalerE2E: Hook }).__autoscalerE2E.tray.model());

  beforeAll(async () => {
    if (!existsSync(path.join(root, 'out/main/index.js'))) {
      execFileSync(process.execPath, [path.join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'], {
        cwd: root,
      });
    }
    userData = mkdtempSync(path.join(tmpdir(), 'autoscaler-e2e-'));
    const { _electron } = await import('playwright-core');
    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    app = await _electron.launch({
      executablePath: bin!,
      args: [path.join(root, 'out/main/index.js'), '--demo', ...(isRoot ? ['--no-sandbox'] : [])],
      env: { ...process.env, AUTOSCALER_DEMO: '1', AUTOSCALER_E2E: '1', AUTOSCALER_USER_DATA: userData },
      timeout: 60_000,
    });
    page = await app.firstWindow();
    await expect
      .poll(
        () => app.evaluate(() => Boolean((globalThis as unknown as { __autoscalerE2E?: unknown }).__autoscalerE2E)),
        {
          timeout: 30_000,
        },
      )
      .toBe(true);
  }, 120_000);

  afterAll(async () => {
    if (app) {
      // Quit through our own path (no instances dialog: nothing real runs in the demo's fresh state, and if it
      // does, exit after the hard deadline anyway).
      await app.close().catch(() => undefined);
    }
    if (userData) rmSync(userData, { recursive: true, force: true });
  });

  it('shows the status in words in the first tray line, labelled demo', async () => {
    const m = await trayModel();
    expect(m.items[0]?.label).toMatch(/^Autoscaling (off|on|starting)/);
    expect(m.items[0]?.label).toContain('(demo');
    expect(m.tooltip).toContain(m.status);
    expect(m.items.map((i) => i.label).filter(Boolean)).toEqual(
      expect.arrayContaining([
        'Autoscaling',
        'Open dashboard',
        'Pause new launches',
        'Scale to zero…',
        'Start at login',
        'Quit',
      ]),
    );
  });

  it('toggles autoscaling from the tray and the menu follows', async () => {
    const before = (await trayModel()).items.find((i) => i.id === 'enabled')!;
    await app.evaluate(
      (_electron, action) => (globalThis as unknown as { __autoscalerE2E: Hook }).__autoscalerE2E.tray.run(action),
      before.action!,
    );
    await expect
      .poll(async () => (await trayModel()).items.find((i) => i.id === 'enabled')?.checked, { timeout: 15_000 })
      .toBe(!before.checked);
  });

  it('the window is sandboxed, isolated and served from app://', async () => {
    const facts = await page.evaluate(() => ({
      api: typeof (window as unknown as { autoscaler?: unknown }).autoscaler,
      require: typeof (globalThis as unknown as { require?: unknown }).require,
      process: typeof (globalThis as unknown as { process?: unknown }).process,
      protocol: location.protocol,
      popup: window.open('https://example.com') === null,
    }));
    expect(facts).toEqual({ api: 'object', require: 'undefined', process: 'undefined', protocol: 'app:', popup: true });
  });

  it('the dashboard can call main through the preload', async () => {
    const r = await page.evaluate(async () => {
      const api = (window as unknown as { autoscaler: { 'config.get'(req: object): Promise<unknown> } }).autoscaler;
      return api['config.get']({});
    });
    expect(r).toMatchObject({ ok: true, value: { demo: true } });
  });
});
