/** Import a ClearML autoscaler YAML (or our format): a preview of what it maps to, instance-setup changes as a diff. */
import { useState } from 'react';
import type { Config } from '../../../../shared/config.js';
import { instanceSetupChanges } from '../../../../shared/config-review.js';
import type { InvokeResponse } from '../../../../shared/ipc/contract.js';
import { Dialog, DialogText } from '../../components/Dialog.js';
import { unavailable } from '../../components/busy.js';
import { Field, TextField } from '../../components/Field.js';
import { ImportDifferences } from '../../components/ImportDifferences.js';
import { draftFromConfig } from '../../model/config-form.js';
import type { EditorImport } from '../../model/settings-form.js';
import { useActions, useApp, usePending } from '../../state/react.js';
import { SetupDiff } from './SetupDiff.js';
import { plural } from '../../model/format.js';

type ImportResult = InvokeResponse<'autoscaler:config.import'>;

export function ImportDialog({
  current,
  onClose,
  onUse,
  askApiHost = false,
}: {
  /** The saved config, to diff the instance setup against (null before the first save). */
  current: unknown;
  onClose: () => void;
  onUse: (loaded: EditorImport) => void;
  /**
   * Ask for the ClearML API host too: a ClearML file does not name its server, and before the first save there is
   * no configured one to take (only CLEARML_API_HOST or ~/clearml.conf, if present).
   */
  askApiHost?: boolean;
}) {
  const actions = useActions();
  const busy = usePending('importConfig');
  const [text, setText] = useState('');
  const [apiHost, setApiHost] = useState('');
  const [region, setRegion] = useState('');
  // The server beside the ClearML keys found on this machine, if any: what an empty field stands for.
  const outside = useApp((s) => s.credentials?.clearml);
  const [result, setResult] = useState<ImportResult | null>(null);
  const [error, setError] = useState<string | null>(null);

  const preview = async () => {
    setError(null);
    const r = askApiHost
      ? await actions.importConfig(text, apiHost.trim(), region.trim())
      : await actions.importConfig(text);
    if (r.ok) setResult(r.value);
    else setError(r.error.message);
  };

  const onFile = (file: File | undefined) => {
    if (!file) return;
    void file.text().then((t) => {
      setText(t);
      setResult(null);
    });
  };

  const mapped = result?.config ? draftFromConfig(result.config) : null;
  // The config.get reply and an import without issues are both validated configs.
  const setup = result?.config ? instanceSetupChanges(current as Config | null, result.config as Config) : [];
  const usable = result !== null && result.config !== null && result.issues.length === 0;
  const formatName =
    result?.format === 'clearml'
      ? 'ClearML autoscaler YAML'
      : result?.format === 'ours'
        ? 'this app’s format'
        : 'unknown format';
  // What a screen reader hears after Preview: one sentence, not the tables and lists below it.
  const said = error
    ? `The file could not be read: ${error}`
    : !result
      ? ''
      : result.issues.length > 0
        ? `Recognised as ${formatName}; not usable: ${plural(result.issues.length, 'issue')}, first ${result.issues[0]!.path}: ${result.issues[0]!.message}`
        : mapped
          ? `Recognised as ${formatName}: ${plural(mapped.resources.length, 'resource')}, ${plural(mapped.queues.length, 'queue')}. Load into editor to edit it.`
          : `Recognised as ${formatName}.`;

  return (
    <Dialog
      title="Import a ClearML autoscaler configuration"
      onClose={onClose}
      footer={
        <>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="button" {...unavailable(busy || text.trim() === '')} onClick={() => void preview()}>
            {busy ? 'Reading…' : 'Preview'}
          </button>
          <button
            type="button"
            className="primary"
            disabled={!usable}
            onClick={() => result && onUse({ config: result.config, differences: result.differences })}
          >
            Load into editor
          </button>
        </>
      }
    >
      <DialogText>
        <p className="muted small">
          Paste the YAML of a ClearML AWS autoscaler (hyper_params + configurations) or our own exported format. Nothing
          is saved until you press Save in Settings.
        </p>
      </DialogText>
      {askApiHost && (
        <TextField
          label="ClearML API host"
          value={apiHost}
          placeholder={outside?.fallbackApiHost ?? 'https://api.clear.ml'}
          hint={
            outside?.fallbackApiHost && outside.fallback
              ? `api_server in ~/clearml.conf. Empty: ${outside.fallbackApiHost}, from ${outside.fallback}`
              : 'api_server in ~/clearml.conf. Empty: taken from CLEARML_API_HOST or ~/clearml.conf on this machine'
          }
          onChange={(v) => {
            setApiHost(v);
            setResult(null);
          }}
        />
      )}
      {askApiHost && (
        <TextField
          label="AWS region, if the file names none"
          value={region}
          placeholder="us-east-1"
          hint="Used only when the file has no cloud_credentials_region (ClearML's autoscaler then took the region of its environment). Empty: AWS_REGION or AWS_DEFAULT_REGION on this machine"
          onChange={(v) => {
            setRegion(v);
            setResult(null);
          }}
        />
      )}
      <Field label="Configuration file">
        {({ id }) => (
          <input id={id} type="file" accept=".yaml,.yml,.json,.txt" onChange={(e) => onFile(e.target.files?.[0])} />
        )}
      </Field>
      <Field label="Or paste it here" wide>
        {({ id }) => (
          <textarea
            id={id}
            rows={8}
            spellCheck={false}
            value={text}
            onChange={(e) => {
              setText(e.target.value);
              setResult(null);
            }}
          />
        )}
      </Field>
      {error && <p className="tone-error">{error}</p>}
      <p role="status" className="sr-only">
        {said}
      </p>
      {result && (
        <div className="import-preview">
          <p>
            Recognised as: <strong>{formatName}</strong>
          </p>
          {result.issues.length > 0 && (
            <ul className="field-errors">
              {result.issues.map((i) => (
                <li key={`${i.path}:${i.message}`}>
                  {i.path}: {i.message}
                </li>
              ))}
            </ul>
          )}
          {result.warnings.length > 0 && (
            <ul className="warnings">
              {result.warnings.map((w) => (
                <li key={w}>{w}</li>
              ))}
            </ul>
          )}
          <ImportDifferences differences={result.differences} />
          {mapped && (
            <>
              <p>
                API host <code>{mapped.apiHost || '—'}</code>, web app <code>{mapped.webHost || '—'}</code>, files
                server <code>{mapped.filesHost || '—'}</code>, region <code>{mapped.region || '—'}</code>, poll every{' '}
                {mapped.scaling.pollingIntervalSec} s, idle timeout {mapped.scaling.maxIdleMin} min.
              </p>
              <table className="mini-table">
                <caption>Resources</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Type</th>
                    <th scope="col">Market</th>
                    <th scope="col">AMI</th>
                  </tr>
                </thead>
                <tbody>
                  {mapped.resources.map((r) => (
                    <tr key={r.uid}>
                      <td>{r.name}</td>
                      <td>{r.instanceType}</td>
                      <td>{r.market}</td>
                      <td className="mono">{r.amiId}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {setup.length > 0 && (
                <>
                  <p>
                    <strong>Changes what runs on every instance</strong> (you confirm them when you save):
                  </p>
                  <SetupDiff changes={setup} />
                </>
              )}
              <table className="mini-table">
                <caption>Queues</caption>
                <thead>
                  <tr>
                    <th scope="col">Queue</th>
                    <th scope="col">Resources (max instances)</th>
                  </tr>
                </thead>
                <tbody>
                  {mapped.queues.map((q) => (
                    <tr key={q.uid}>
                      <td>{q.name}</td>
                      <td>{q.entries.map((e) => `${e.resource} (${e.maxInstances})`).join(', ')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </div>
      )}
    </Dialog>
  );
}
