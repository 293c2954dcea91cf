/**
 * Global keyboard shortcuts (see shortcuts.ts for the keys and why) and the "Keyboard shortcuts" help dialog.
 * Shortcuts are off while a modal dialog is open: the dialog owns the keyboard until it closes.
 */
import { useEffect } from 'react';
import { Dialog } from './Dialog.js';
import { SHORTCUTS, shortcutFor } from '../shortcuts.js';
import { useActions, useApp } from '../state/react.js';

function inTextField(t: EventTarget | null): boolean {
  if (!(t instanceof HTMLElement)) return false;
  if (t.isContentEditable || t instanceof HTMLTextAreaElement) return true;
  return t instanceof HTMLInputElement && !['checkbox', 'radio', 'button', 'submit', 'reset'].includes(t.type);
}

/** `dashboard`: the views and the switch exist (not first run, not loading). */
export function useShortcuts(dashboard: boolean, openHelp: () => void) {
  const actions = useActions();
  const enabled = useApp((s) => s.snapshot?.enabled ?? false);
  const pending = useApp((s) => 'enabled' in s.pending);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || document.querySelector('dialog[open]')) return;
      const action = shortcutFor({
        key: e.key,
        code: e.code,
        altKey: e.altKey,
        ctrlKey: e.ctrlKey,
        metaKey: e.metaKey,
        shiftKey: e.shiftKey,
        inTextField: inTextField(e.target),
      });
      if (!action) return;
      if (action.code === 'help') {
        e.preventDefault();
        openHelp();
        return;
      }
      if (!dashboard) return;
      e.preventDefault();
      if (action.code === 'view') {
        actions.setView(action.view);
        // Focus follows, as with the arrow keys in the tab list, so a screen reader says where the user is now.
        requestAnimationFrame(() => document.getElementById(`tab-${action.view}`)?.focus());
      } else if (!pending) {
        void actions.setEnabled(!enabled);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [actions, dashboard, enabled, pending, openHelp]);
}

export function ShortcutsHelp({ onClose }: { onClose: () => void }) {
  return (
    <Dialog
      title="Keyboard shortcuts"
      onClose={onClose}
      footer={
        <button type="button" data-autofocus onClick={onClose}>
          Close
        </button>
      }
    >
      <table className="mini-table shortcuts">
        <thead>
          <tr>
            <th scope="col">Keys</th>
            <th scope="col">Does</th>
          </tr>
        </thead>
        <tbody>
          {SHORTCUTS.map((s) => (
            <tr key={s.keys}>
              <th scope="row">
                <kbd>{s.keys}</kbd>
              </th>
              <td>{s.does}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted small">On macOS, Alt is the Option key.</p>
    </Dialog>
  );
}
