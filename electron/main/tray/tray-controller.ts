/**
 * Owns the Tray: rebuilds the menu from `buildTrayModel` on every store or settings change (AppIndicator needs
 * `setContextMenu` again after any change), swaps the icon per state, and turns clicks into actions.
 * macOS gets monochrome template images (they adapt to the menu bar); elsewhere coloured icons, because a
 * template's black is invisible on dark Linux panels.
 */
import path from 'node:path';
import type { Menu as MenuType, MenuItemConstructorOptions, NativeImage, Tray as TrayType } from 'electron';
import type { MainStore } from '../../engine/store.js';
import type { SettingsRepo } from '../../engine/service/settings-repo.js';
import {
  buildTrayModel,
  scaleToZeroPrompt,
  type ConfirmPrompt,
  type TrayAction,
  type TrayIconState,
  type TrayItem,
  type TrayModel,
} from './tray-model.js';
import { errorText } from '../../../shared/error-text.js';
import { terminalText } from '../../engine/untrusted/terminal-text.js';

export interface TrayActions {
  setEnabled(enabled: boolean): Promise<void>;
  openDashboard(target?: Extract<TrayAction, { type: 'open-dashboard' }>['target']): void;
  setLaunchesPaused(paused: boolean): void | Promise<void>;
  scaleToZero(): Promise<void>;
  setLaunchAtLogin(enabled: boolean): void;
  quit(): void;
  /** Resolves true when the user confirmed. */
  confirm(prompt: ConfirmPrompt): Promise<boolean>;
  /** Reports a failed action to the user (already worded). */
  reportError(message: string): void;
}

export interface TrayDeps {
  Tray: new (image: NativeImage) => TrayType;
  Menu: { buildFromTemplate(template: MenuItemConstructorOptions[]): MenuType };
  nativeImage: { createFromPath(p: string): NativeImage };
  store: MainStore;
  settings: SettingsRepo;
  platform: NodeJS.Platform;
  iconDir: string;
  launchAtLoginSupported: boolean;
  actions: TrayActions;
}

export function trayIconFile(iconDir: string, state: TrayIconState, platform: NodeJS.Platform): string {
  // Electron picks `name@2x.png` next to `name.png` on HiDPI displays.
  return path.join(iconDir, platform === 'darwin' ? `tray-${state}Template.png` : `tray-${state}.png`);
}

/**
 * A label as the menu should show it. Electron reads a single `&` as a mnemonic marker and drops it on every
 * platform, so a queue named `R&D` read `RD`; `&&` shows one `&`. Labels quote names other people chose (queues,
 * a team engine's host): a control character or a BiDi override in one is shown as its code, not obeyed.
 */
export function menuLabel(text: string): string {
  return terminalText(text).replaceAll('&', '&&');
}

export function toMenuTemplate(items: TrayItem[], onAction: (a: TrayAction) => void): MenuItemConstructorOptions[] {
  return items.map((item) => {
    if (item.type === 'separator') return { id: item.id, type: 'separator' };
    const action = item.action;
    return {
      id: item.id,
      type: item.type,
      label: menuLabel(item.label ?? ''),
      ...(item.checked !== undefined ? { checked: item.checked } : {}),
      enabled: item.enabled ?? true,
      ...(action ? { click: () => onAction(action) } : {}),
    };
  });
}

export interface TrayController {
  model(): TrayModel;
  /** Runs a menu action exactly as a click would (used by the click handlers and the e2e hook). */
  run(action: TrayAction): Promise<void>;
  destroy(): void;
}

export function createTrayController(deps: TrayDeps): TrayController {
  const compute = (): TrayModel =>
    buildTrayModel(deps.store.getState(), {
      launchAtLogin: deps.settings.get().launchAtLogin,
      launchAtLoginSupported: deps.launchAtLoginSupported,
      configured: deps.settings.get().config !== null,
    });

  const images = new Map<TrayIconState, NativeImage>();
  const imageFor = (state: TrayIconState): NativeImage => {
    let img = images.get(state);
    if (!img) {
      img = deps.nativeImage.createFromPath(trayIconFile(deps.iconDir, state, deps.platform));
      if (deps.platform === 'darwin') img.setTemplateImage(true);
      images.set(state, img);
    }
    return img;
  };

  let current = compute();
  const tray = new deps.Tray(imageFor(current.iconState));
  let lastKey = '';
  let lastIcon: TrayIconState = current.iconState;

  const run = async (action: TrayAction): Promise<void> => {
    const a = deps.actions;
    try {
      switch (action.type) {
        case 'toggle-enabled':
          await a.setEnabled(action.enabled);
          break;
        case 'open-dashboard':
          a.openDashboard(action.target);
          break;
        case 'set-launches-paused':
          await a.setLaunchesPaused(action.paused);
          break;
        case 'scale-to-zero':
          if (await a.confirm(scaleToZeroPrompt(deps.store.getState()))) await a.scaleToZero();
          break;
        case 'set-launch-at-login':
          a.setLaunchAtLogin(action.enabled);
          break;
        case 'quit':
          a.quit();
          break;
      }
    } catch (err) {
      a.reportError(errorText(err));
    }
    // A checkbox flips itself when clicked; re-render from the truth in case the action was refused.
    render(true);
  };

  function render(force = false): void {
    current = compute();
    const key = JSON.stringify(current);
    if (!force && key === lastKey) return;
    lastKey = key;
    if (current.iconState !== lastIcon) {
      tray.setImage(imageFor(current.iconState));
      lastIcon = current.iconState;
    }
    tray.setToolTip(current.tooltip);
    tray.setContextMenu(deps.Menu.buildFromTemplate(toMenuTemplate(current.items, (a) => void run(a))));
  }

  render(true);
  // Left click opens the window on Windows (the convention there); macOS and Linux show the menu.
  if (deps.platform === 'win32') tray.on('click', () => deps.actions.openDashboard());
  const unsubStore = deps.store.subscribe(() => render());
  const unsubSettings = deps.settings.onChange(() => render());

  return {
    model: () => current,
    run,
    destroy: () => {
      unsubStore();
      unsubSettings();
      tray.destroy();
    },
  };
}
