// Electron's security checklist (electronjs.org/docs/latest/tutorial/security) as it applies here, one block each.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('electron', () => import('../mocks/electron.js'));
import { app, BrowserWindow, preventable, resetElectronMock, session, shell } from '../mocks/electron.js';
import {
  CONTENT_SECURITY_POLICY,
  createNavigationGuard,
  createOpenExternal,
  createWindowOpenHandler,
  hostsFromUrls,
  installSecurity,
  isAllowedExternalUrl,
  permissionCheckHandler,
  permissionRequestHandler,
  withCsp,
} from '../../electron/main/security.js';
import { WEB_PREFERENCES, webPreferencesFor, windowOptions } from '../../electron/main/window.js';
import { APP_ORIGIN } from '../../electron/main/protocol.js';

const root = path.resolve(import.meta.dirname, '../..');

describe('#2-4, 6, 8-12 webPreferences', () => {
  it('pins every hardened value', () => {
    expect(WEB_PREFERENCES).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
    });
    expect(WEB_PREFERENCES).not.toHaveProperty('enableBlinkFeatures');
    expect(Object.isFrozen(WEB_PREFERENCES)).toBe(true);
  });

  it('A6: DevTools off when packaged, on in development; the preload is the .cjs bundle', () => {
    const packaged = webPreferencesFor({ isPackaged: true, preload: '/app/out/preload/index.cjs' });
    expect(packaged.devTools).toBe(false);
    expect(packaged.sandbox).toBe(true);
    expect(webPreferencesFor({ isPackaged: false, preload: 'x' }).devTools).toBe(true);
    expect(windowOptions({ isPackaged: true, preload: 'p.cjs' })).toMatchObject({
      show: false,
      webPreferences: { preload: 'p.cjs' },
    });
  });

  it('S: no source file in electron/ or renderer/ weakens them', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const full = path.join(dir, name);
        if (statSync(full).isDirectory()) walk(full);
        else if (/\.(ts|tsx|html)$/.test(name)) files.push(full);
      }
    };
    walk(path.join(root, 'electron'));
    walk(path.join(root, 'renderer'));
    expect(files.length).toBeGreaterThan(10);
    const banned = [
      /webSecurity:\s*false/,
      /allowRunningInsecureContent:\s*true/,
      /experimentalFeatures:\s*true/,
      /enableBlinkFeatures/,
      /nodeIntegration:\s*true/,
      /contextIsolation:\s*false/,
      /sandbox:\s*false/,
      /<webview/,
      /@electron\/remote/,
    ];
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      for (const re of banned)
        expect(`${path.relative(root, f)}: ${re.test(text)}`).toBe(`${path.relative(root, f)}: false`);
    }
  });
});

describe('#5 permissions', () => {
  it('denies every request and check', () => {
    for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) {
      const cb = vi.fn();
      permissionRequestHandler(null, p, cb);
      expect(cb).toHaveBeenCalledWith(false);
    }
    expect(permissionCheckHandler()).toBe(false);
  });
});

describe('#7 CSP header', () => {
  it('replaces any CSP and keeps other headers', () => {
    const h = withCsp({ 'content-type': ['text/html'], 'Content-Security-Policy': ['default-src *'], 'x-single': 'v' });
    expect(h['Content-Security-Policy']).toEqual([CONTENT_SECURITY_POLICY]);
    expect(h['content-type']).toEqual(['text/html']);
    expect(h['x-single']).toEqual(['v']);
    expect(Object.keys(h).filter((k) => k.toLowerCase() === 'content-security-policy')).toHaveLength(1);
  });

  it('forbids inline and remote scripts, objects and base-uri changes', () => {
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(CONTENT_SECURITY_POLICY).toContain("object-src 'none'");
    expect(CONTENT_SECURITY_POLICY).toContain("base-uri 'none'");
    expect(CONTENT_SECURITY_POLICY).toContain("connect-src 'self'");
  });
});

describe('#13 navigation', () => {
  const guard = createNavigationGuard(() => [APP_ORIGIN]);
  const cases: [string, boolean][] = [
    ['app://autoscaler/index.html#/queues', false],
    ['app://autoscaler/settings', false],
    ['https://evil.example/', true],
    ['app://other/index.html', true],
    ['file:///etc/passwd', true],
    ['javascript:alert(1)', true],
    ['not a url', true],
  ];
  it.each(cases)('%s → prevented: %s', (url, prevented) => {
    const e = preventable();
    guard(e, url);
    expect(e.defaultPrevented).toBe(prevented);
  });
});

describe('#14-15 new windows and openExternal', () => {
  beforeEach(() => resetElectronMock());

  const allowed = ['app.clear.ml', 'api.clear.ml'];
  const cases: [string, boolean][] = [
    ['https://app.clear.ml/projects', true],
    ['https://console.aws.amazon.com/ec2/home', false], // static hosts are added by createOpenExternal
    ['https://sub.app.clear.ml/x', true],
    ['http://app.clear.ml/', false],
    ['https://app.clear.ml.evil.example/', false],
    ['https://evilapp.clear.ml/', false],
    ['https://user:pw@app.clear.ml/', false],
    ['file:///etc/passwd', false],
    ['smb://share/x', false],
    ['javascript:alert(1)', false],
    ['', false],
  ];
  it.each(cases)('isAllowedExternalUrl(%s) = %s', (url, ok) => {
    expect(isAllowedExternalUrl(url, allowed)).toBe(ok);
  });

  it('openExternal opens only https on allow-listed hosts, including the configured ClearML hosts', async () => {
    const open = createOpenExternal(shell, () =>
      hostsFromUrls(['https://app.example-clearml.com:8080', undefined, 'bad']),
    );
    expect(await open('https://console.aws.amazon.com/ec2/home?region=us-east-1')).toBe(true);
    expect(await open('https://clear.ml/docs')).toBe(true);
    expect(await open('https://app.example-clearml.com:8080/projects')).toBe(true);
    expect(await open('https://unknown.example/')).toBe(false);
    expect(await open('file:///etc/passwd')).toBe(false);
    expect(shell.openExternal.mock.calls.map((c) => c[0])).toEqual([
      'https://console.aws.amazon.com/ec2/home?region=us-east-1',
      'https://clear.ml/docs',
      'https://app.example-clearml.com:8080/projects',
    ]);
  });

  it('window.open is always denied; an allow-listed link goes to the browser instead', async () => {
    const handler = createWindowOpenHandler(createOpenExternal(shell, () => []));
    expect(handler({ url: 'https://clear.ml/' })).toEqual({ action: 'deny' });
    expect(handler({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
    await new Promise((r) => setImmediate(r));
    expect(shell.openExternal.mock.calls.map((c) => c[0])).toEqual(['https://clear.ml/']);
  });

  it('S: shell.openExternal is called from security.ts only (everything else goes through its helper)', () => {
    const hits: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const full = path.join(dir, name);
        if (statSync(full).isDirectory()) walk(full);
        else if (name.endsWith('.ts') && /shell\.openExternal\(/.test(readFileSync(full, 'utf8')))
          hits.push(path.relative(root, full));
      }
    };
    walk(path.join(root, 'electron'));
    expect(hits).toEqual(['electron/main/security.ts']);
  });
});

describe('installSecurity wires every guard', () => {
  beforeEach(() => resetElectronMock());

  it('on the session and on every new webContents', async () => {
    const open = vi.fn(async () => false);
    installSecurity({
      app: app as never,
      session: session.defaultSession as never,
      trustedOrigins: () => [APP_ORIGIN],
      openExternal: open,
    });
    const req = vi.fn();
    session.defaultSession.permissionRequestHandler!(null, 'media', req);
    expect(req).toHaveBeenCalledWith(false);
    expect(session.defaultSession.permissionCheckHandler!()).toBe(false);
    const headers = vi.fn();
    session.defaultSession.headersListener!({ url: 'app://autoscaler/', responseHeaders: {} }, headers);
    expect(headers).toHaveBeenCalledWith({ responseHeaders: { 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });

    const win = new BrowserWindow();
    app.emit('web-contents-created', {}, win.webContents);
    const nav = preventable();
    win.webContents.emit('will-navigate', nav, 'https://evil.example/');
    expect(nav.defaultPrevented).toBe(true);
    const redirect = preventable();
    win.webContents.emit('will-redirect', redirect, 'https://evil.example/');
    expect(redirect.defaultPrevented).toBe(true);
    const ok = preventable();
    win.webContents.emit('will-navigate', ok, 'app://autoscaler/index.html');
    expect(ok.defaultPrevented).toBe(false);
    const webview = preventable();
    win.webContents.emit('will-attach-webview', webview);
    expect(webview.defaultPrevented).toBe(true);
    expect(win.webContents.windowOpenHandler!({ url: 'https://x.example/' })).toEqual({ action: 'deny' });
    expect(open).toHaveBeenCalledWith('https://x.example/');
  });
});

describe('#16 Electron version floor', () => {
  it('pins a supported major', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
    };
    const major = Number(/\d+/.exec(pkg.devDependencies['electron'] ?? '')?.[0]);
    expect(major).toBeGreaterThanOrEqual(42);
  });
});
