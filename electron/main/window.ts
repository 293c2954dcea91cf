/**
 * The one dashboard window. WEB_PREFERENCES is the hardened baseline (checklist items 2-4, 6, 8-12), exported
 * so a test pins every value; `webPreferencesFor` adds the preload path and DevTools (off when packaged).
 */
import { fileURLToPath } from 'node:url';
import type { BrowserWindow as BrowserWindowType, BrowserWindowConstructorOptions, WebPreferences } from 'electron';
import type { EventPayload } from '../../shared/ipc/contract.js';
import { EVENT_CHANNELS } from '../../shared/ipc/channels.js';

export const WEB_PREFERENCES = Object.freeze({
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  experimentalFeatures: false,
  navigateOnDragDrop: false,
  spellcheck: false,
} satisfies WebPreferences);

/** Built next to the main bundle: out/main/index.js → out/preload/index.cjs (CJS: sandboxed preloads cannot be ESM). */
export function defaultPreloadPath(): string {
  return fileURLToPath(new URL('../preload/index.cjs', import.meta.url));
}

export function webPreferencesFor(opts: { isPackaged: boolean; preload: string }): WebPreferences {
  return { ...WEB_PREFERENCES, preload: opts.preload, devTools: !opts.isPackaged };
}

export function windowOptions(opts: { isPackaged: boolean; preload: string }): BrowserWindowConstructorOptions {
  return {
    width: 1200,
    height: 800,
    minWidth: 720,
    minHeight: 480,
    show: false,
    title: 'ClearML Tray Autoscaler',
    autoHideMenuBar: true,
    webPreferences: webPreferencesFor(opts),
  };
}

export interface WindowManager {
  /** Creates the window on first use; shows and focuses it. */
  show(): BrowserWindowType;
  /** Shows the window and asks the dashboard to open a view (after the page has loaded). */
  navigate(target: EventPayload<'autoscaler:navigate'>): void;
  current(): BrowserWindowType | null;
  all(): BrowserWindowType[];
  /** Called for every window we create (publisher, lifecycle hooks). */
  onCreated(cb: (win: BrowserWindowType) => void): void;
}

export function createWindowManager(deps: {
  BrowserWindow: new (options: BrowserWindowConstructorOptions) => BrowserWindowType;
  isPackaged: boolean;
  preload: string;
  url: string;
}): WindowManager {
  let win: BrowserWindowType | null = null;
  const created: ((w: BrowserWindowType) => void)[] = [];

  const ensure = (): BrowserWindowType => {
    if (win && !win.isDestroyed()) return win;
    const w = new deps.BrowserWindow(windowOptions({ isPackaged: deps.isPackaged, preload: deps.preload }));
    win = w;
    w.on('closed', () => {
      if (win === w) win = null;
    });
    for (const cb of created) cb(w);
    void w.loadURL(deps.url);
    return w;
  };

  const show = (): BrowserWindowType => {
    const w = ensure();
    if (w.isMinimized()) w.restore();
    w.show();
    w.focus();
    return w;
  };

  return {
    show,
    navigate: (target) => {
      const w = show();
      const send = () => w.webContents.send(EVENT_CHANNELS.navigate, target);
      if (w.webContents.isLoading()) w.webContents.once('did-finish-load', send);
      else send();
    },
    current: () => (win && !win.isDestroyed() ? win : null),
    all: () => (win && !win.isDestroyed() ? [win] : []),
    onCreated: (cb) => {
      created.push(cb);
    },
  };
}
