/**
 * A modal dialog on the native <dialog> element: showModal() makes the page behind it inert, Tab wraps inside
 * it, Escape (the dialog's `cancel` event) closes it, and focus returns to whatever opened it. When the dialog's
 * action removed or disabled its opener (Discard leaves nothing to discard), focus goes to the control nearest to
 * where the opener was instead of dropping to the page's body.
 */
import { useEffect, useId, useRef, type ReactNode } from 'react';
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

export function Dialog({ title, onClose, children, footer, tone = 'normal' }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const bodyId = useId();
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
    <dialog ref={ref} className={`dialog dialog-${tone}`} aria-labelledby={titleId} aria-describedby={bodyId}>
      <h2 id={titleId}>{title}</h2>
      <div id={bodyId} className="dialog-body">
        {children}
      </div>
      <div className="dialog-actions">{footer}</div>
    </dialog>
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
      {p.children}
    </Dialog>
  );
}
