/**
 * What every write-only credential form shares: the save (checked locally first, the secret cleared from the form
 * whatever the outcome, the server's field issues mapped back), Save/Replace and Forget, and the outcome line. A
 * refused save says once which fields need attention, by name, and puts focus on the first, as Settings' Save does.
 */
import { useRef, useState, type ReactNode, type RefObject } from 'react';
import { flushSync } from 'react-dom';
import type { InvokeRequest } from '../../../shared/ipc/contract.js';
import { TextField, type TextFieldProps } from './Field.js';
import { invalidControls } from './invalid-fields.js';
import { attentionText } from '../model/attention.js';
import { credentialIssues, type Issues } from '../model/credentials.js';
import { useActions, useApp, usePending } from '../state/react.js';

export type SaveMessage = { ok: boolean; text: string } | null;

export function CredentialToolbar({
  kind,
  saving,
  stored,
}: {
  kind: 'clearml' | 'aws' | 'git';
  saving: boolean;
  stored: boolean;
}) {
  const actions = useActions();
  return (
    <div className="toolbar">
      <button type="submit" className="primary" disabled={saving}>
        {saving ? 'Saving…' : stored ? 'Replace' : 'Save'}
      </button>
      {stored && (
        <button type="button" className="danger" onClick={() => void actions.clearCredentials(kind)}>
          Forget
        </button>
      )}
    </div>
  );
}

/** A credential form: a grid without browser autofill, its fields, then Save/Replace and Forget; the outcome below. */
export function CredentialForm(p: {
  kind: 'clearml' | 'aws' | 'git';
  label: string;
  saving: boolean;
  stored: boolean;
  message: SaveMessage;
  /** From useCredentialSave: a refused save reads the invalid fields' names from it. */
  formRef: RefObject<HTMLFormElement | null>;
  onSubmit: () => void;
  children: ReactNode;
}) {
  return (
    <>
      <form
        ref={p.formRef}
        className="grid"
        aria-label={p.label}
        autoComplete="off"
        onSubmit={(e) => {
          e.preventDefault();
          p.onSubmit();
        }}
      >
        {p.children}
        <CredentialToolbar kind={p.kind} saving={p.saving} stored={p.stored} />
      </form>
      <SaveOutcome message={p.message} />
    </>
  );
}

/** A secret: masked, and never filled in from the browser's saved passwords. */
export function SecretField(p: Omit<TextFieldProps, 'type' | 'autoComplete'>) {
  return <TextField {...p} type="password" autoComplete="new-password" />;
}

export function SaveOutcome({ message }: { message: SaveMessage }) {
  if (!message) return null;
  return (
    <p role="status" className={message.ok ? 'tone-ok' : 'tone-error'}>
      {message.text}
    </p>
  );
}

/**
 * A credential field's typed text, kept in the app store rather than the form: only the shown view is mounted, and
 * keys typed (or pasted) here outlive a visit to another tab, as the Settings draft does.
 */
export function useTypedCredential(kind: 'clearml' | 'aws' | 'git', field: string): [string, (v: string) => void] {
  const key = `${kind}.${field}`;
  const actions = useActions();
  const value = useApp((s) => s.credentialDrafts[key] ?? '');
  return [value, (v) => actions.setCredentialDraft(key, v)];
}

export function useCredentialSave(
  kind: 'clearml' | 'aws' | 'git',
  savedText = 'Saved. Use Test connection to check it.',
) {
  const actions = useActions();
  const saving = usePending(`credentials:${kind}`);
  const [issues, setIssues] = useState<Issues>({});
  const [message, setMessage] = useState<SaveMessage>(null);
  const formRef = useRef<HTMLFormElement>(null);
  /**
   * Marks the fields at once (so they can be named and focused), then says in the outcome line which need attention
   * and focuses the first; `otherwise` when no field of the form is at fault.
   */
  const refuse = (byField: Issues, otherwise: string) => {
    flushSync(() => setIssues(byField));
    const bad = invalidControls(formRef.current);
    setMessage({ ok: false, text: bad.length ? `Not saved: ${attentionText(bad.map((b) => b.name))}.` : otherwise });
    bad[0]?.el.focus();
  };
  const submit = async (req: InvokeRequest<'autoscaler:credentials.set'>, reset: () => void) => {
    const local = credentialIssues(req);
    if (Object.keys(local).length) return refuse(local, 'Not saved: fix the marked fields.');
    setIssues({});
    const r = await actions.setCredentials(req);
    // The form never keeps a secret after it was sent, whatever the outcome.
    reset();
    if (r.ok) setMessage({ ok: true, text: savedText });
    else {
      const byField: Issues = {};
      for (const i of r.error.issues ?? []) (byField[i.path] ??= []).push(i.message);
      refuse(byField, `Not saved: ${r.error.message}`);
    }
  };
  return { saving, issues, message, submit, formRef };
}
