/**
 * "Start at login": the login item per platform, and on Linux the XDG autostart entry, whose `Exec=` line is
 * checked against GLib's own desktop-file launcher (`gio launch`, what GNOME runs at login) with paths that need
 * quoting.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  applyLoginItem,
  autostartEntry,
  autostartPath,
  execArg,
  loginItemsSupported,
  startCommand,
  startsHidden,
  type LoginItemDeps,
} from '../../electron/main/login-item.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'login-item-'));
  dirs.push(d);
  return d;
};

describe('startCommand: what the login item starts', () => {
  it.each([
    [
      'an installed app',
      { execPath: '/opt/App/app', isPackaged: true, appPath: '/opt/App/resources/app.asar' },
      ['/opt/App/app'],
    ],
    [
      'an AppImage (its mount is gone after it exits)',
      {
        execPath: '/tmp/.mount_x/app',
        isPackaged: true,
        appPath: '/tmp/.mount_x/app.asar',
        appImage: '/home/u/App.AppImage',
      },
      ['/home/u/App.AppImage'],
    ],
    [
      'npm start',
      { execPath: '/repo/node_modules/electron/dist/electron', isPackaged: false, appPath: '/repo' },
      ['/repo/node_modules/electron/dist/electron', '/repo'],
    ],
  ])('%s', (_what, o, command) => {
    expect(startCommand(o)).toEqual(command);
  });
});

describe('execArg: the Desktop Entry quoting', () => {
  it.each([
    ['/opt/App/app', '/opt/App/app'],
    ['/home/me/My Apps/app', '"/home/me/My Apps/app"'],
    ['/a/$HOME', '"/a/\\\\$HOME"'],
    ['/a/"q"', '"/a/\\\\"q\\\\""'],
    ['/a/back\\slash', '"/a/back\\\\\\\\slash"'],
    ['/a/100%', '/a/100%%'],
    ['', '""'],
  ])('%j → %s', (arg, written) => {
    expect(execArg(arg)).toBe(written);
  });
});

describe('startsHidden', () => {
  it.each([
    [['app', '--hidden'], 'linux', false, true],
    [['app'], 'linux', true, false],
    [['app'], 'darwin', true, true],
    [['app'], 'darwin', false, false],
    [['app'], 'win32', true, false],
  ] as const)('%j on %s (macOS says opened at login: %s) → %s', (argv, platform, atLogin, hidden) => {
    expect(startsHidden(argv, platform, () => atLogin)).toBe(hidden);
  });
});

describe('applyLoginItem', () => {
  const deps = (over: Partial<LoginItemDeps>) => {
    const calls: unknown[] = [];
    const d: LoginItemDeps = {
      platform: 'linux',
      setLoginItemSettings: (s: unknown) => void calls.push(s),
      command: ['/opt/App/app'],
      configHome: tempDir(),
      ...over,
    };
    return { calls, deps: d };
  };

  it('every desktop platform can start the app at login', () => {
    expect(['darwin', 'win32', 'linux'].map((p) => loginItemsSupported(p as NodeJS.Platform))).toEqual([
      true,
      true,
      true,
    ]);
    expect(loginItemsSupported('freebsd')).toBe(false);
  });

  it('macOS and Windows use Electron’s login items; Windows passes --hidden', () => {
    const mac = deps({ platform: 'darwin' });
    applyLoginItem(true, mac.deps);
    const win = deps({ platform: 'win32' });
    applyLoginItem(true, win.deps);
    applyLoginItem(false, win.deps);
    expect(mac.calls).toEqual([{ openAtLogin: true }]);
    expect(win.calls).toEqual([
      { openAtLogin: true, args: ['--hidden'] },
      { openAtLogin: false, args: ['--hidden'] },
    ]);
    expect(existsSync(autostartPath(mac.deps.configHome))).toBe(false);
  });

  it('Linux writes the autostart entry, rewrites it in place, and removes it', () => {
    const { deps: d, calls } = deps({});
    const file = autostartPath(d.configHome);
    applyLoginItem(true, d);
    expect(readFileSync(file, 'utf8')).toContain('\nExec=/opt/App/app --hidden\n');
    applyLoginItem(true, { ...d, command: ['/opt/Other/app'] });
    expect(readFileSync(file, 'utf8')).toContain('\nExec=/opt/Other/app --hidden\n');
    applyLoginItem(false, d);
    expect(existsSync(file)).toBe(false);
    applyLoginItem(false, d); // nothing to remove: no error
    expect(calls).toEqual([]);
  });

  it('Linux: an unwritable config folder throws, so the setting is not left on with nothing behind it', () => {
    const { deps: d } = deps({});
    writeFileSync(path.join(d.configHome, 'autostart'), 'a file in the way');
    expect(() => applyLoginItem(true, d)).toThrow(/ENOTDIR|EEXIST/);
  });
});

const hasGio = spawnSync('sh', ['-c', 'command -v gio'], { stdio: 'ignore' }).status === 0;
// Outside CI a missing gio skips this check and says why; in CI (which installs it) it fails instead.
const GIO_REASON = 'gio is not installed (apt-get install libglib2.0-bin); the autostart entry is not launched';
const skipGio = !hasGio && !process.env['CI'];
if (skipGio) console.warn(`[login item] skipped: ${GIO_REASON}`);

describe.skipIf(skipGio)(`the autostart entry as GLib launches it${skipGio ? ` (skipped: ${GIO_REASON})` : ''}`, () => {
  it('gio launch starts the named program with exactly these arguments, for paths that need quoting', async () => {
    if (!hasGio) throw new Error('gio is needed: apt-get install libglib2.0-bin (CI installs it)');
    const dir = tempDir();
    // Every character the quoting handles, in the program's folder and in an argument (GLib cannot start a program
    // whose path holds `%`: that one is refused, below).
    const odd = path.join(dir, `My Apps $HOME "q" back\\slash it's`);
    mkdirSync(odd);
    const out = path.join(dir, 'argv.json');
    // The program records the arguments it was started with.
    const program = path.join(odd, 'app');
    writeFileSync(
      program,
      `#!${process.execPath}\nrequire('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(process.argv.slice(2)));\n`,
    );
    chmodSync(program, 0o755);
    const command = [program, path.join(odd, 'resources 100% dir')];
    const entry = path.join(dir, 'entry.desktop');
    writeFileSync(entry, autostartEntry(command));
    const r = spawnSync('gio', ['launch', entry], { encoding: 'utf8', timeout: 20_000 });
    expect(r.stderr).toBe('');
    for (let i = 0; i < 100 && !existsSync(out); i++) await new Promise((res) => setTimeout(res, 100));
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual([path.join(odd, 'resources 100% dir'), '--hidden']);
    expect(() => autostartEntry(['/opt/100%/app'])).toThrow(/holds a "%", which desktops cannot start/);
  });
});
