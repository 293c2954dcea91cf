/**
 * Credentials: write-only forms. A stored secret shows only "set on <date>" (main never sends it back); the
 * inputs are emptied after saving. Test buttons report main's precise result.
 */
import { useState } from 'react';
import { CredentialForm, SecretField, useCredentialSave, useTypedCredential } from '../components/CredentialActions.js';
import { TextField } from '../components/Field.js';
import { GitCredentialsForm } from '../components/GitCredentialsForm.js';
import { engineCredentialsProblem } from '../model/credentials.js';
import { formatDate } from '../model/format.js';
import { roleLimit } from '../model/team.js';
import type { InvokeResponse } from '../../../shared/ipc/contract.js';
import type { CredentialsStatus } from '../state/app-store.js';
import { useActions, useApp, usePending } from '../state/react.js';

type Kind = 'clearml' | 'aws';
type TestResult = InvokeResponse<'autoscaler:credentials.test'>;
export function Credentials() {
  const status = useApp((s) => s.credentials);
  const actions = useActions();
  const importing = usePending('importClearmlConf');
  const [importMsg, setImportMsg] = useState<string | null>(null);
  // Team mode: credentials are the team engine's; below admin they can be seen as set/unset but not changed.
  const limit = useApp((s) => roleLimit(s.snapshot?.remote, 'autoscaler:credentials.set'));
  const problem = useApp((s) => engineCredentialsProblem(s.snapshot));
  if (!status) return <p className="view empty">Loading credential status…</p>;
  return (
    <div className="view credentials">
      {limit && <p className="note tone-warn">{limit} Credentials cannot be changed from here.</p>}
      {/* One note: where secrets live (or the warning that says it, when there is one) and that they stay hidden. */}
      <p className={`note${status.warning ? ' tone-warn' : ''}`} data-testid="secrets-note">
        {status.warning ?? (
          <>
            Secrets are stored in <strong>{status.backend}</strong>.
          </>
        )}{' '}
        A stored secret is never shown again, not even here: to change one, enter a new value.
      </p>
      {problem && (
        <p className="note tone-error" role="alert" data-testid="engine-credentials-problem">
          <strong>The engine stopped on the credentials:</strong> {problem}
        </p>
      )}
      {status.network && <NetworkNote network={status.network} />}
      <ClearmlForm status={status.clearml} />
      <AwsForm status={status.aws} />
      <GitCredentialsForm status={status.git} />
      <section className="card" aria-labelledby="conf-heading">
        <h2 id="conf-heading">Import from ~/clearml.conf</h2>
        <p className="muted small">Reads the api server, access key and secret key from your ClearML SDK config.</p>
        <button
          type="button"
          disabled={importing}
          onClick={() =>
            void actions.importClearmlConf().then((r) => setImportMsg(r.ok ? r.value.message : r.error.message))
          }
        >
          {importing ? 'Importing…' : 'Import ~/clearml.conf'}
        </button>
        {importMsg && <p role="status">{importMsg}</p>}
      </section>
    </div>
  );
}

/**
 * The proxy and certificate authorities taken from the environment (or, for the proxy, the system settings) at
 * start, and what could not be used.
 */
function NetworkNote({ network }: { network: NonNullable<CredentialsStatus['network']> }) {
  return (
    <section className="card" aria-labelledby="network-heading" data-testid="network-note">
      <h2 id="network-heading">Network settings</h2>
      {network.notes.length > 0 && (
        <ul className="small">
          {network.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
      {network.problems.map((p) => (
        <p key={p} className="note tone-warn" role="note">
          {p}
        </p>
      ))}
      <p className="muted small">Read when the app starts: restart it after changing them.</p>
    </section>
  );
}

function StoredStatus({ s }: { s: CredentialsStatus['clearml'] }) {
  if (s.set)
    return (
      <p className="stored" data-testid="stored-status">
        <span className="pill tone-ok">set</span> Stored{s.setAt !== null ? ` on ${formatDate(s.setAt)}` : ''}. The
        value is not shown.
      </p>
    );
  return (
    <>
      <p className="stored" data-testid="stored-status">
        <span className="pill tone-muted">not set</span>
        {s.fallback
          ? ` Nothing stored here; the engine falls back to: ${s.fallback}${s.fallbackApiHost ? ` (keys for ${s.fallbackApiHost})` : ''}.`
          : ' Nothing is stored.'}
      </p>
      {s.fallbackProblem && (
        <p className="note tone-warn" role="note" data-testid="outside-problem">
          {s.fallbackProblem}. Fix it, or enter the keys below.
        </p>
      )}
    </>
  );
}

function TestBox({ kind }: { kind: Kind }) {
  const actions = useActions();
  const testing = usePending(`credentialsTest:${kind}`);
  const [result, setResult] = useState<TestResult | { ok: false; message: string; details: string[] } | null>(null);
  return (
    <div className="test-box">
      <button
        type="button"
        disabled={testing}
        onClick={() =>
          void actions
            .testCredentials(kind)
            .then((r) => setResult(r.ok ? r.value : { ok: false, message: r.error.message, details: [] }))
        }
      >
        {testing ? 'Testing…' : 'Test connection'}
      </button>
      {result && (
        <div role="status" className={result.ok ? 'tone-ok' : 'tone-error'}>
          <strong>{result.ok ? 'OK: ' : 'Failed: '}</strong>
          {result.message}
          {result.details.length > 0 && (
            <ul className="small">
              {result.details.map((d) => (
                <li key={d}>{d}</li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}

function ClearmlForm({ status }: { status: CredentialsStatus['clearml'] }) {
  const [accessKey, setAccessKey] = useTypedCredential('clearml', 'accessKey');
  const [secretKey, setSecretKey] = useTypedCredential('clearml', 'secretKey');
  const { saving, issues, message, submit, formRef } = useCredentialSave('clearml');
  return (
    <section className="card" aria-labelledby="clearml-cred-heading">
      <h2 id="clearml-cred-heading">ClearML API credentials</h2>
      <StoredStatus s={status} />
      <CredentialForm
        kind="clearml"
        label="ClearML credentials"
        saving={saving}
        stored={status.set}
        message={message}
        formRef={formRef}
        onSubmit={() => {
          void submit({ kind: 'clearml', accessKey: accessKey.trim(), secretKey }, () => {
            setAccessKey('');
            setSecretKey('');
          });
        }}
      >
        <TextField
          label="Access key"
          name="clearml-access-key"
          value={accessKey}
          hint="From ClearML → Settings → Workspace → Create new credentials"
          issues={issues['accessKey']}
          onChange={setAccessKey}
        />
        <SecretField
          label="Secret key"
          name="clearml-secret-key"
          value={secretKey}
          issues={issues['secretKey']}
          onChange={setSecretKey}
        />
      </CredentialForm>
      <TestBox kind="clearml" />
    </section>
  );
}

function AwsForm({ status }: { status: CredentialsStatus['aws'] }) {
  const [accessKeyId, setAccessKeyId] = useTypedCredential('aws', 'accessKeyId');
  const [secretAccessKey, setSecretAccessKey] = useTypedCredential('aws', 'secretAccessKey');
  const [sessionToken, setSessionToken] = useTypedCredential('aws', 'sessionToken');
  const { saving, issues, message, submit, formRef } = useCredentialSave('aws');
  return (
    <section className="card" aria-labelledby="aws-cred-heading">
      <h2 id="aws-cred-heading">AWS credentials</h2>
      <StoredStatus s={status} />
      <CredentialForm
        kind="aws"
        label="AWS credentials"
        saving={saving}
        stored={status.set}
        message={message}
        formRef={formRef}
        onSubmit={() => {
          const token = sessionToken.trim();
          void submit(
            {
              kind: 'aws',
              accessKeyId: accessKeyId.trim(),
              secretAccessKey,
              ...(token ? { sessionToken: token } : {}),
            },
            () => {
              setAccessKeyId('');
              setSecretAccessKey('');
              setSessionToken('');
            },
          );
        }}
      >
        <TextField
          label="Access key id"
          name="aws-access-key-id"
          value={accessKeyId}
          placeholder="AKIA…"
          hint="An IAM user or role key allowed to run, describe, tag and terminate EC2 instances"
          issues={issues['accessKeyId']}
          onChange={setAccessKeyId}
        />
        <SecretField
          label="Secret access key"
          name="aws-secret-access-key"
          value={secretAccessKey}
          issues={issues['secretAccessKey']}
          onChange={setSecretAccessKey}
        />
        <SecretField
          label="Session token (optional)"
          name="aws-session-token"
          value={sessionToken}
          hint="Only for temporary credentials"
          issues={issues['sessionToken']}
          onChange={setSessionToken}
        />
      </CredentialForm>
      <TestBox kind="aws" />
    </section>
  );
}
