/**
 * The dashboard's keyboard shortcuts, as data (the help dialog and README list the same table) and one pure
 * function from a key press to an action. Alt+digit and Alt+letter are chosen because screen readers (NVDA, JAWS,
 * VoiceOver, Orca) use Insert/CapsLock/Ctrl+Option as their modifier and single letters for browse-mode
 * navigation, and Electron has no browser tabs for Alt+digit to clash with. `e.code` is read, not `e.key`, so the
 * shortcuts work on any keyboard layout and on macOS, where Option+1 types "¡".
 */
import { VIEWS, type ViewName } from './state/app-store.js';

export type ShortcutAction = { code: 'view'; view: ViewName } | { code: 'toggle-autoscaling' } | { code: 'help' };

export interface KeyPress {
  key: string;
  code: string;
  altKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  /** The press happened in a text field, where `?` is a character the user is typing. */
  inTextField: boolean;
}

export const VIEW_LABELS: Record<ViewName, string> = {
  overview: 'Overview',
  queues: 'Queues',
  instances: 'Instances',
  costs: 'Costs',
  events: 'Events',
  settings: 'Settings',
  credentials: 'Credentials',
};

/** What the help dialog and README show: keys as people read them, and what they do. */
export const SHORTCUTS: readonly { keys: string; does: string }[] = [
  ...VIEWS.map((v, i) => ({ keys: `Alt+${i + 1}`, does: `Open ${VIEW_LABELS[v]}` })),
  { keys: 'Alt+A', does: 'Turn autoscaling on or off' },
  { keys: '?', does: 'Show these shortcuts' },
  { keys: 'Left / Right, Home / End', does: 'Move between views when a view tab has focus' },
  { keys: 'Escape', does: 'Close a dialog (focus returns to what opened it)' },
];

export function shortcutFor(k: KeyPress): ShortcutAction | null {
  if (k.altKey && !k.ctrlKey && !k.metaKey && !k.shiftKey) {
    const digit = /^Digit([1-9])$/.exec(k.code);
    if (digit) {
      const view = VIEWS[Number(digit[1]) - 1];
      return view ? { code: 'view', view } : null;
    }
    if (k.code === 'KeyA') return { code: 'toggle-autoscaling' };
    return null;
  }
  if (k.key === '?' && !k.altKey && !k.ctrlKey && !k.metaKey && !k.inTextField) return { code: 'help' };
  return null;
}
