/**
 * "Start at login" on every desktop the app ships for. Electron registers login items on macOS and Windows only; on
 * Linux the desktops (GNOME, KDE, Xfce, …) start what the XDG autostart folder lists, so the app writes its own
 * entry there. Without it the setting would save, show as on, and do nothing after a reboot: autoscaling that the
 * user believes runs would not.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The autostart entry's file name: the app's id, so it replaces its own entry and nothing else. */
export const AUTOSTART_FILE = 'clearml-tray-autoscaler.desktop';

export interface LoginItemDeps {
  platform: NodeJS.Platform;
  /** Electron's login items (macOS, Windows). */
  setLoginItemSettings(s: { openAtLogin: boolean; args?: string[] }): void;
  /** The command that starts this app: the executable, then its arguments (see `startCommand`). */
  command: string[];
  /** `$XDG_CONFIG_HOME`, else `~/.config` (Linux). */
  configHome: string;
}

/**
 * The command that starts this app again. An AppImage runs from a mount that is gone after it exits, so its entry
 * names the image itself (`APPIMAGE`); an unpackaged app (`npm start`) is Electron's binary given the app's folder.
 */
export function startCommand(o: {
  execPath: string;
  isPackaged: boolean;
  appPath: string;
  appImage?: string | undefined;
}): string[] {
  if (o.appImage) return [o.appImage];
  return o.isPackaged ? [o.execPath] : [o.execPath, o.appPath];
}

/**
 * One argument of an `Exec=` line, quoted as the Desktop Entry specification asks: an argument with a space or a
 * reserved character goes in double quotes with `"`, `` ` ``, `$` and `\` backslash-escaped; then the whole value
 * is escaped as a string value, which doubles every backslash; a literal `%` is `%%` (field codes start with it).
 */
export function execArg(arg: string): string {
  const needsQuotes = arg === '' || /[\s"'\\><~|&;$*?#()`]/.test(arg);
  const quoted = needsQuotes ? `"${arg.replace(/["`$\\]/g, (c) => `\\${c}`)}"` : arg;
  return quoted.replace(/\\/g, '\\\\').replace(/%/g, '%%');
}

/** The autostart entry: starts the app in the tray (`--hidden`), as the macOS and Windows login items do. */
export function autostartEntry(command: string[]): string {
  const exec = [...command, '--hidden'].map(execArg).join(' ');
  if (/[\r\n]/.test(exec)) throw new Error('the app path holds a line break: no autostart entry can name it');
  // GLib looks the program up before it expands `%%`, so a program path with `%` is never found at login.
  if (command[0]?.includes('%'))
    throw new Error(
      `the app's path (${command[0]}) holds a "%", which desktops cannot start: move the app to a folder without one`,
    );
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=ClearML Tray Autoscaler',
    'Comment=Autoscales EC2 instances for ClearML queues (started in the tray at login)',
    `Exec=${exec}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/** Where the autostart entry lives. */
export function autostartPath(configHome: string): string {
  return path.join(configHome, 'autostart', AUTOSTART_FILE);
}

/** Whether this platform can start the app at login. */
export function loginItemsSupported(platform: NodeJS.Platform): boolean {
  return platform === 'darwin' || platform === 'win32' || platform === 'linux';
}

/**
 * Registers or removes the login item. Throws when the entry cannot be written (a read-only home): the caller says
 * so instead of leaving "Start at login" shown on with nothing behind it.
 */
export function applyLoginItem(on: boolean, deps: LoginItemDeps): void {
  if (deps.platform === 'darwin') {
    // macOS passes no arguments to a login item; the app asks `wasOpenedAtLogin` instead (see `openedAtLogin`).
    deps.setLoginItemSettings({ openAtLogin: on });
    return;
  }
  if (deps.platform === 'win32') {
    deps.setLoginItemSettings({ openAtLogin: on, args: ['--hidden'] });
    return;
  }
  if (deps.platform !== 'linux') return;
  const file = autostartPath(deps.configHome);
  if (!on) {
    rmSync(file, { force: true });
    return;
  }
  mkdirSync(path.dirname(file), { recursive: true });
  // Written whole then renamed: a desktop session reading the folder never sees half an entry.
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, autostartEntry(deps.command), { mode: 0o644 });
  renameSync(temp, file);
}

/**
 * Whether this start should stay in the tray: `--hidden` (Windows and Linux entries pass it), or macOS saying it
 * opened the app as a login item.
 */
export function startsHidden(
  argv: readonly string[],
  platform: NodeJS.Platform,
  wasOpenedAtLogin: () => boolean,
): boolean {
  if (argv.includes('--hidden')) return true;
  return platform === 'darwin' && wasOpenedAtLogin();
}
