/**
 * A modal dialog on the native <dialog> element: showModal() makes the page behind it inert, Tab wraps inside
 * it, Escape (the dialog's `cancel` event) closes it, and focus returns to whatever opened it. When the dialog's
 * action removed or disabled its opener (Discard leaves nothing to discard), focus goes to the control nearest to
 * where the opener was instead of dropping to the page's body.
 *
 * Its description (aria-describedby, what a screen reader says after the title when the dialog opens) is the text
 * wrapped in `DialogText`: what the dialog is for or what its action will do. Not the whole body: fields, tables
 * and results read out as a description made one long, unpunctuated announcement.
 */
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useId,
  useLayoutEffect,
  useRef,
  useState,
  type ReactNode,
} from 'react';
import { focusNear } from './focus-rescue.js';

const FOCUSABLE =
  'button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

export interface DialogProps {
  title: string;
  onClose: () => void;
  children: ReactNode;
  /** The action buttons. */
  footer: ReactNode;
  tone?: 'danger' | 'normal';
}

/** How a `DialogText` tells its dialog that it is (or no longer is) part of the description. */
const Describe = createContext<((id: string, on: boolean) => void) | null>(null);

export function Dialog({ title, onClose, children, footer, tone = 'normal' }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  // In document order: React runs the layout effects of siblings in the order they are rendered.
  const [described, setDescribed] = useState<readonly string[]>([]);
  const describe = useCallback(
    (id: string, on: boolean) =>
      setDescribed((ids) => (on ? [...ids.filter((x) => x !== id), id] : ids.filter((x) => x !== id))),
    [],
  );
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    // The opener's ancestors, for when the opener itself is gone by the time the dialog closes.
    const around: Element[] = [];
    for (let n = opener?.parentElement; n && n !== document.body; n = n.parentElement) around.push(n);
    if (!dialog.open) dialog.showModal();
    // The first button of the footer (Cancel) gets focus: the safe choice for destructive dialogs.
    const first = dialog.querySelector<HTMLElement>('[data-autofocus]') ?? dialog.querySelector<HTMLElement>(FOCUSABLE);
    first?.focus();
    const onCancel = (e: Event) => {
      e.preventDefault();
      onCloseRef.current();
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Tab') return;
      const items = [...dialog.querySelectorAll<HTMLElement>(FOCUSABLE)];
      const head = items[0];
      const tail = items[items.length - 1];
      if (!head || !tail) return;
      if (e.shiftKey && document.activeElement === head) {
        e.preventDefault();
        tail.focus();
      } else if (!e.shiftKey && document.activeElement === tail) {
        e.preventDefault();
        head.focus();
      }
    };
    dialog.addEventListener('cancel', onCancel);
    dialog.addEventListener('keydown', onKey);
    return () => {
      dialog.removeEventListener('cancel', onCancel);
      dialog.removeEventListener('keydown', onKey);
      if (dialog.open) dialog.close();
      if (!opener) return;
      if (opener.isConnected && !opener.matches(':disabled')) opener.focus();
      else if (opener.isConnected) focusNear(opener);
      else {
        const box = around.find((n) => n.isConnected);
        const first = box?.querySelector<HTMLElement>(FOCUSABLE);
        if (first) first.focus();
        else if (box) focusNear(box);
      }
    };
  }, []);

  return (
    <dialog
      ref={ref}
      className={`dialog dialog-${tone}`}
      aria-labelledby={titleId}
      aria-describedby={described.length ? described.join(' ') : undefined}
    >
      <h2 id={titleId}>{title}</h2>
      <Describe.Provider value={describe}>
        <div className="dialog-body">{children}</div>
      </Describe.Provider>
      <div className="dialog-actions">{footer}</div>
    </dialog>
  );
}

/**
 * Text of a dialog that says what it is for or what its action will do: part of the dialog's description
 * (several, in order, make one). Only prose belongs here; a field, table or result is read when reached.
 */
export function DialogText({ children, className }: { children: ReactNode; className?: string }) {
  const describe = useContext(Describe);
  const id = useId();
  useLayoutEffect(() => {
    describe?.(id, true);
    return () => describe?.(id, false);
  }, [describe, id]);
  return (
    <div id={id} className={`dialog-text${className ? ` ${className}` : ''}`}>
      {children}
    </div>
  );
}

/**
 * A confirmation: Cancel first (focused: the safe choice), then the action, which closes the dialog and acts.
 * A danger tone makes both the dialog and the action button read as destructive.
 */
export function ConfirmDialog(p: {
  title: string;
  confirmLabel: ReactNode;
  onConfirm: () => void;
  onClose: () => void;
  tone?: 'danger' | 'normal';
  /** What confirming does: the dialog's description. */
  children: ReactNode;
}) {
  const tone = p.tone ?? 'danger';
  return (
    <Dialog
      title={p.title}
      tone={tone}
      onClose={p.onClose}
      footer={
        <>
          <button type="button" data-autofocus onClick={p.onClose}>
            Cancel
          </button>
          <button
            type="button"
            className={tone === 'danger' ? 'danger' : 'primary'}
            onClick={() => {
              p.onClose();
              p.onConfirm();
            }}
          >
            {p.confirmLabel}
          </button>
        </>
      }
    >
      <DialogText>{p.children}</DialogText>
    </Dialog>
  );
}
