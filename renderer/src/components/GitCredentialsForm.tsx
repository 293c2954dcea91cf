/**
 * Git credentials for the agents' private repositories (ClearML's git_user / git_pass): write-only like the other
 * credentials. The engine writes them into each instance's clearml.conf, never traced (or reads the password from
 * SSM at boot in SSM mode).
 */
import { useState } from 'react';
import type { InvokeResponse } from '../../../shared/ipc/contract.js';
import { formatDate } from '../model/format.js';
import { credentialIssues, type Issues } from '../model/credentials.js';
import { useActions, usePending } from '../state/react.js';
import { TextField } from './Field.js';

type Status = InvokeResponse<'autoscaler:credentials.status'>['git'];

export function GitCredentialsForm({ status }: { status: Status }) {
  const actions = useActions();
  const saving = usePending('credentials:git');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [issues, setIssues] = useState<Issues>({});
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  const submit = async () => {
    const req = { kind: 'git' as const, username: username.trim(), password };
    const local = credentialIssues(req);
    setIssues(local);
    if (Object.keys(local).length) {
      setMessage({ ok: false, text: 'Not saved: fix the marked fields.' });
      return;
    }
    const r = await actions.setCredentials(req);
    // The form never keeps a secret after it was sent, whatever the outcome.
    setUsername('');
    setPassword('');
    setMessage(
      r.ok
        ? { ok: true, text: 'Saved. Instances launched from now on get them.' }
        : { ok: false, text: `Not saved: ${r.error.message}` },
    );
  };

  return (
    <section className="card" aria-labelledby="git-cred-heading">
      <h2 id="git-cred-heading">Git credentials for the agents</h2>
      <p className="stored" data-testid="stored-status">
        {status.set ? (
          <>
            <span className="pill tone-ok">set</span> Stored
            {status.setAt !== null ? ` on ${formatDate(status.setAt)}` : ''}. The value is not shown.
          </>
        ) : (
          <>
            <span className="pill tone-muted">not set</span> Needed only when tasks clone private repositories
            (ClearML&apos;s git_user / git_pass).
          </>
        )}
      </p>
      <form
        className="grid"
        aria-label="Git credentials"
        autoComplete="off"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <TextField
          label="Git user"
          name="git-user"
          value={username}
          issues={issues['username']}
          onChange={setUsername}
        />
        <TextField
          label="Git password or personal access token"
          name="git-password"
          type="password"
          autoComplete="new-password"
          value={password}
          hint="A token with read access to the repositories your tasks use"
          issues={issues['password']}
          onChange={setPassword}
        />
        <div className="toolbar">
          <button type="submit" className="primary" disabled={saving}>
            {saving ? 'Saving…' : status.set ? 'Replace' : 'Save'}
          </button>
          {status.set && (
            <button type="button" className="danger" onClick={() => void actions.clearCredentials('git')}>
              Forget
            </button>
          )}
        </div>
      </form>
      {message && (
        <p role="status" className={message.ok ? 'tone-ok' : 'tone-error'}>
          {message.text}
        </p>
      )}
    </section>
  );
}
