/**
 * Git credentials for the agents' private repositories (ClearML's git_user / git_pass): write-only like the other
 * credentials. The engine writes them into each instance's clearml.conf, never traced (or reads the password from
 * SSM at boot in SSM mode).
 */
import { CredentialForm, SecretField, useCredentialSave, useTypedCredential } from './CredentialActions.js';
import type { InvokeResponse } from '../../../shared/ipc/contract.js';
import { formatDate } from '../model/format.js';
import { TextField } from './Field.js';

type Status = InvokeResponse<'autoscaler:credentials.status'>['git'];

export function GitCredentialsForm({ status }: { status: Status }) {
  const {
    saving,
    issues,
    message,
    submit: save,
    formRef,
  } = useCredentialSave('git', 'Saved. Instances launched from now on get them.');
  const [username, setUsername] = useTypedCredential('git', 'username');
  const [password, setPassword] = useTypedCredential('git', 'password');
  const submit = () =>
    save({ kind: 'git', username: username.trim(), password }, () => {
      setUsername('');
      setPassword('');
    });

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
      <CredentialForm
        kind="git"
        label="Git credentials"
        saving={saving}
        stored={status.set}
        message={message}
        formRef={formRef}
        onSubmit={() => {
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
        <SecretField
          label="Git password or personal access token"
          name="git-password"
          value={password}
          hint="A token with read access to the repositories your tasks use"
          issues={issues['password']}
          onChange={setPassword}
        />
      </CredentialForm>
    </section>
  );
}
