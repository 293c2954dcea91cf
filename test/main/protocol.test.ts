import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
vi.mock('electron', () => import('../mocks/electron.js'));
import { protocol } from '../mocks/electron.js';
import {
  APP_ENTRY_URL,
  createAppRequestHandler,
  PRIVILEGED_SCHEMES,
  registerAppProtocol,
  resolveAppPath,
} from '../../electron/main/protocol.js';
import { contentType } from '../../electron/engine/preview/static-files.js';
import { CONTENT_SECURITY_POLICY } from '../../electron/main/security.js';

const root = '/srv/app/out/renderer';

describe('resolveAppPath', () => {
  const inside: [string, string][] = [
    ['app://autoscaler/', 'index.html'],
    ['app://autoscaler/index.html', 'index.html'],
    ['app://autoscaler/assets/index-abc.js', 'assets/index-abc.js'],
    ['app://autoscaler/assets/a%20b.css', 'assets/a b.css'],
    ['app://autoscaler/index.html?x=1#/queues', 'index.html'],
    // WHATWG URL folds dot segments before we see the path: still inside root.
    ['app://autoscaler/assets/../index.html', 'index.html'],
    ['app://autoscaler/../../etc/passwd', 'etc/passwd'],
  ];
  it.each(inside)('%s → %s inside the root', (url, rel) => {
    expect(resolveAppPath(root, url)).toBe(path.join(root, rel));
  });

  const refused: string[] = [
    'app://autoscaler/..%2f..%2fetc%2fpasswd',
    'app://autoscaler/%2e%2e%2f%2e%2e%2fetc/passwd',
    'app://autoscaler/assets/..%5c..%5cwindows%5cwin.ini',
    'app://autoscaler/%252e%252e/%252e%252e/etc/passwd',
    'app://autoscaler/a%00b.html',
    'app://autoscaler/C:%5cWindows',
    'app://autoscaler/%E0%A4%A',
    'app://evil/index.html',
    'https://autoscaler/index.html',
    'file:///etc/passwd',
    'not a url',
  ];
  it.each(refused)('refuses %s', (url) => {
    expect(resolveAppPath(root, url)).toBeNull();
  });
});

describe('app:// handler', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'app-protocol-'));
    mkdirSync(path.join(dir, 'renderer', 'assets'), { recursive: true });
    writeFileSync(path.join(dir, 'renderer', 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(path.join(dir, 'renderer', 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(path.join(dir, 'secret.txt'), 'outside the root');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves files with a content type and the CSP, 404s the rest', async () => {
    const handle = createAppRequestHandler(path.join(dir, 'renderer'));
    const index = await handle(new Request(APP_ENTRY_URL));
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(await index.text()).toContain('<title>t</title>');
    const js = await handle(new Request('app://autoscaler/assets/app.js'));
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await handle(new Request('app://autoscaler/missing.js'))).status).toBe(404);
    const escape = await handle(new Request('app://autoscaler/..%2fsecret.txt'));
    expect(escape.status).toBe(404);
    expect(await escape.text()).not.toContain('outside the root');
  });

  it('registers on the app scheme, which is privileged (standard + secure)', () => {
    registerAppProtocol(protocol, dir);
    expect(protocol.handlers.has('app')).toBe(true);
    expect(PRIVILEGED_SCHEMES[0]).toMatchObject({ scheme: 'app', privileges: { standard: true, secure: true } });
  });

  it('knows the types it serves', () => {
    expect(contentType('a.woff2')).toBe('font/woff2');
    expect(contentType('a.woff')).toBe('font/woff');
    expect(contentType('a.unknown')).toBe('application/octet-stream');
  });
});
