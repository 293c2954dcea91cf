/**
 * Settings: edit resources, queues, budgets, the lease and the basics with inline field messages (the shared zod
 * schema in the page for every keystroke, and main's `config.validate` once the draft passes it), import a ClearML
 * autoscaler YAML with a preview of what it maps to, and export. Nothing is saved while a field is invalid; main
 * validates again on save. In demo mode the demo's own config is shown read-only.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { Dialog } from '../components/Dialog.js';
import { CheckField, Field, SelectField, TextField } from '../components/Field.js';
import { copyText, downloadText } from '../components/misc.js';
import {
  draftFromConfig,
  emptyQueue,
  emptyResource,
  mapIssues,
  newUid,
  renameQueue,
  validateDraft,
  type ConfigDraft,
  type FieldId,
  type IssueMap,
  type QueueDraft,
  type ResourceDraft,
} from '../model/config-form.js';
import type { InvokeResponse } from '../../../shared/ipc/contract.js';
import type { NotificationCategory } from '../../../shared/settings.js';
import { useActions, useApp, usePending } from '../state/react.js';
import { BudgetEditor, LeaseEditor } from './SettingsLimits.js';
import { PreferenceField } from './SettingsPreference.js';

type Status = { tone: 'ok' | 'error' | 'info'; text: string } | null;

/** Quiet time after the last keystroke before main is asked to validate the draft. */
const VALIDATE_DELAY_MS = 350;

export function Settings() {
  const info = useApp((s) => s.config);
  if (!info) return <p className="view empty">Loading the configuration…</p>;
  return (
    <div className="view">
      <SettingsForm config={info.config} demo={info.demo} />
      <AppPreferences />
    </div>
  );
}

const NOTIFICATIONS: { key: NotificationCategory; label: string }[] = [
  { key: 'launched', label: 'Instances launched' },
  { key: 'terminated', label: 'Instances terminated' },
  { key: 'launchFailed', label: 'A launch failed' },
  { key: 'credentialsRejected', label: 'Credentials were rejected' },
  { key: 'capReached', label: 'A cap or budget was reached' },
];

/** App preferences: saved at once (no Save button), unlike the autoscaler configuration above. */
function AppPreferences() {
  const info = useApp((s) => s.appSettings);
  const actions = useActions();
  if (!info) return null;
  const s = info.settings;
  return (
    <section className="card" aria-labelledby="prefs-heading">
      <h2 id="prefs-heading">App preferences</h2>
      <p className="muted small">Saved as soon as you change them.</p>
      {info.notice && <p className="note tone-warn">{info.notice}</p>}
      <div className="grid">
        <SelectField
          label="Theme"
          value={s.theme}
          options={[
            { value: 'system', label: 'Follow the system' },
            { value: 'light', label: 'Light' },
            { value: 'dark', label: 'Dark' },
          ]}
          onChange={(theme) => void actions.patchAppSettings({ theme })}
        />
        <CheckField
          label="Start at login"
          hint="Desktop app only"
          checked={s.launchAtLogin}
          onChange={(launchAtLogin) => void actions.patchAppSettings({ launchAtLogin })}
        />
      </div>
      <fieldset className="plain">
        <legend>Notify me when</legend>
        <div className="grid">
          {NOTIFICATIONS.map((n) => (
            <CheckField
              key={n.key}
              label={n.label}
              checked={!s.notificationMutes[n.key]}
              onChange={(on) => void actions.patchAppSettings({ notificationMutes: { [n.key]: !on } })}
            />
          ))}
        </div>
      </fieldset>
    </section>
  );
}

function SettingsForm({ config, demo }: { config: unknown; demo: boolean }) {
  const actions = useActions();
  const saving = usePending('saveConfig');
  const [draft, setDraft] = useState<ConfigDraft>(() => draftFromConfig(config));
  const [dirty, setDirty] = useState(false);
  const [touched, setTouched] = useState<ReadonlySet<FieldId>>(new Set());
  const [showAll, setShowAll] = useState(false);
  const [serverIssues, setServerIssues] = useState<IssueMap>({});
  /** From main's `config.validate` for the current draft (checks the page cannot make, e.g. secrets in text). */
  const [checkedIssues, setCheckedIssues] = useState<IssueMap>({});
  const validateSeq = useRef(0);
  const [status, setStatus] = useState<Status>(null);
  const [importing, setImporting] = useState(false);
  const [exported, setExported] = useState<string | null>(null);

  // A config saved elsewhere (another window, an import) replaces the draft unless the user is editing.
  useEffect(() => {
    if (!dirty) setDraft(draftFromConfig(config));
  }, [config, dirty]);

  const v = useMemo(() => validateDraft(draft), [draft]);
  const shown = (id: FieldId): string[] => [
    ...new Set([
      ...(showAll || touched.has(id) ? (v.issues[id] ?? []) : []),
      ...(serverIssues[id] ?? []),
      ...(checkedIssues[id] ?? []),
    ]),
  ];

  // Once the draft passes the schema here, main checks it too, so its messages appear while typing, not on Save.
  useEffect(() => {
    const seq = ++validateSeq.current;
    if (!dirty || demo || !v.valid) return;
    const timer = setTimeout(() => {
      void actions.validateConfig(v.config).then((r) => {
        if (seq !== validateSeq.current || !r.ok) return;
        setCheckedIssues(mapIssues(r.value.issues, v.paths));
      });
    }, VALIDATE_DELAY_MS);
    return () => clearTimeout(timer);
  }, [v, dirty, demo, actions]);

  const edit = (id: FieldId, change: (d: ConfigDraft) => ConfigDraft) => {
    setDraft(change);
    setDirty(true);
    setStatus(null);
    setServerIssues({});
    setCheckedIssues({});
    setTouched((t) => (t.has(id) ? t : new Set(t).add(id)));
  };

  const editResource = (uid: string, field: keyof ResourceDraft, value: ResourceDraft[keyof ResourceDraft]) =>
    edit(`resource:${uid}:${field}`, (d) => {
      const before = d.resources.find((r) => r.uid === uid);
      const resources = d.resources.map((r) => (r.uid === uid ? { ...r, [field]: value } : r));
      // Renaming a resource renames it in every queue that uses it.
      const queues =
        field === 'name' && before
          ? d.queues.map((q) => ({
              ...q,
              entries: q.entries.map((e) =>
                e.resource === before.name && typeof value === 'string' ? { ...e, resource: value } : e,
              ),
            }))
          : d.queues;
      return { ...d, resources, queues };
    });

  const editQueue = (uid: string, change: (q: QueueDraft) => QueueDraft, id: FieldId) =>
    edit(id, (d) => ({ ...d, queues: d.queues.map((q) => (q.uid === uid ? change(q) : q)) }));

  const save = async () => {
    if (demo) return;
    setShowAll(true);
    if (!v.valid) {
      setStatus({ tone: 'error', text: 'Not saved: fix the fields marked below first.' });
      return;
    }
    const r = await actions.saveConfig(v.config);
    if (!r.ok) {
      setStatus({ tone: 'error', text: `Not saved: ${r.error.message}` });
      return;
    }
    if (!r.value.ok) {
      setServerIssues(mapIssues(r.value.issues, v.paths));
      setStatus({ tone: 'error', text: 'Not saved: the engine rejected some fields (marked below).' });
      return;
    }
    setDirty(false);
    setTouched(new Set());
    setShowAll(false);
    setStatus({ tone: 'ok', text: 'Saved. The engine applies it at its next poll.' });
  };

  const revert = () => {
    setDraft(draftFromConfig(config));
    setDirty(false);
    setTouched(new Set());
    setShowAll(false);
    setServerIssues({});
    setCheckedIssues({});
    setStatus(null);
  };

  const doExport = async () => {
    const r = await actions.exportConfig();
    if (r.ok) setExported(r.value.text);
  };

  const formIssues = shown('form');
  const invalidCount = new Set([...Object.keys(v.issues), ...Object.keys(checkedIssues)]).size;
  const resourceNames = draft.resources.map((r) => r.name.trim()).filter(Boolean);
  const queueNames = [...new Set(draft.queues.map((q) => q.name.trim()).filter(Boolean))];

  return (
    <form
      className="view settings"
      aria-label="Settings"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      {!demo && (
        <div className="toolbar sticky">
          <button type="submit" className="primary" disabled={saving || !dirty}>
            {saving ? 'Saving…' : 'Save'}
          </button>
          <button type="button" disabled={!dirty} onClick={revert}>
            Revert
          </button>
          <button type="button" onClick={() => setImporting(true)}>
            Import ClearML YAML…
          </button>
          <button type="button" onClick={() => void doExport()} disabled={config === null}>
            Export
          </button>
          <span role="status" className={`save-status${status ? ` tone-${status.tone}` : ''}`}>
            {status?.text ??
              (dirty ? (invalidCount ? `${invalidCount} field(s) need attention` : 'Unsaved changes') : '')}
          </span>
        </div>
      )}
      {demo && (
        <p className="note" role="note" aria-label="Demo configuration">
          This is the demo’s built-in configuration, shown read-only: the demo config cannot be changed. It runs against
          simulated ClearML and EC2, so nothing here reaches your cloud.
        </p>
      )}
      {config === null && (
        <p className="note">
          No configuration yet. Fill in the fields below, or import the YAML of an existing ClearML autoscaler.
        </p>
      )}
      {formIssues.length > 0 && (
        <ul className="field-errors form-errors" role="alert">
          {formIssues.map((m) => (
            <li key={m}>{m}</li>
          ))}
        </ul>
      )}

      <fieldset className="plain form-body" disabled={demo}>
        <fieldset className="card">
          <legend>ClearML and AWS</legend>
          <div className="grid">
            <TextField
              label="ClearML API host"
              value={draft.apiHost}
              placeholder="https://api.clear.ml"
              hint="The api_server from clearml.conf"
              issues={shown('apiHost')}
              onChange={(x) => edit('apiHost', (d) => ({ ...d, apiHost: x }))}
            />
            <TextField
              label="ClearML web app (optional)"
              value={draft.webHost}
              placeholder="https://app.clear.ml"
              hint="For task links; derived from the API host when empty"
              issues={shown('webHost')}
              onChange={(x) => edit('webHost', (d) => ({ ...d, webHost: x }))}
            />
            <TextField
              label="AWS region"
              value={draft.region}
              placeholder="us-east-1"
              issues={shown('region')}
              onChange={(x) => edit('region', (d) => ({ ...d, region: x }))}
            />
          </div>
        </fieldset>

        <fieldset className="card">
          <legend>Scaling</legend>
          <div className="grid">
            <TextField
              label="Polling interval (s)"
              type="number"
              value={draft.scaling.pollingIntervalSec}
              hint="2 to 3600 seconds"
              issues={shown('scaling.pollingIntervalSec')}
              onChange={(x) =>
                edit('scaling.pollingIntervalSec', (d) => ({ ...d, scaling: { ...d.scaling, pollingIntervalSec: x } }))
              }
            />
            <TextField
              label="Max idle time (min)"
              type="number"
              value={draft.scaling.maxIdleMin}
              hint="An idle instance is terminated after this long"
              issues={shown('scaling.maxIdleMin')}
              onChange={(x) => edit('scaling.maxIdleMin', (d) => ({ ...d, scaling: { ...d.scaling, maxIdleMin: x } }))}
            />
            <TextField
              label="Max spin-up time (min)"
              type="number"
              value={draft.scaling.maxSpinUpMin}
              hint="An instance that is not a worker by then is terminated"
              issues={shown('scaling.maxSpinUpMin')}
              onChange={(x) =>
                edit('scaling.maxSpinUpMin', (d) => ({ ...d, scaling: { ...d.scaling, maxSpinUpMin: x } }))
              }
            />
            <TextField
              label="Max instances in total"
              type="number"
              value={draft.scaling.maxTotalInstances}
              hint="Across all queues and resources"
              issues={shown('scaling.maxTotalInstances')}
              onChange={(x) =>
                edit('scaling.maxTotalInstances', (d) => ({ ...d, scaling: { ...d.scaling, maxTotalInstances: x } }))
              }
            />
            <PreferenceField draft={draft} onEdit={(change) => edit('scaling.preference', change)} />
            <CheckField
              label="Dry run (decide and log, never launch or terminate)"
              checked={draft.dryRun}
              onChange={(x) => edit('dryRun', (d) => ({ ...d, dryRun: x }))}
            />
          </div>
        </fieldset>

        <fieldset className="card">
          <legend>Resources</legend>
          <p className="muted small">A resource is an EC2 launch template: instance type, image, network and disk.</p>
          {draft.resources.map((r) => (
            <ResourceEditor
              key={r.uid}
              r={r}
              shown={shown}
              onEdit={editResource}
              onRemove={() => edit('form', (d) => ({ ...d, resources: d.resources.filter((x) => x.uid !== r.uid) }))}
            />
          ))}
          <button
            type="button"
            onClick={() => edit('form', (d) => ({ ...d, resources: [...d.resources, emptyResource()] }))}
          >
            Add resource
          </button>
        </fieldset>

        <fieldset className="card">
          <legend>Queues</legend>
          <p className="muted small">Each ClearML queue is served by one or more resources, each with a cap.</p>
          {draft.queues.map((q) => (
            <div key={q.uid} className="subcard" role="group" aria-label={`Queue ${q.name || '(unnamed)'}`}>
              <div className="grid">
                <TextField
                  label="Queue name"
                  value={q.name}
                  issues={shown(`queue:${q.uid}:name`)}
                  hint="Exactly as in ClearML; its budget caps follow a rename"
                  onChange={(x) => edit(`queue:${q.uid}:name`, (d) => renameQueue(d, q.uid, x))}
                />
              </div>
              {shown(`queue:${q.uid}:entries`).length > 0 && (
                <ul className="field-errors" role="alert">
                  {shown(`queue:${q.uid}:entries`).map((m) => (
                    <li key={m}>{m}</li>
                  ))}
                </ul>
              )}
              {q.entries.map((e) => (
                <div key={e.uid} className="grid entry">
                  <SelectField
                    label="Resource"
                    value={e.resource}
                    options={[
                      { value: '', label: '(choose)' },
                      ...[...new Set([...resourceNames, e.resource].filter(Boolean))].map((n) => ({
                        value: n,
                        label: n,
                      })),
                    ]}
                    issues={shown(`entry:${e.uid}:resource`)}
                    onChange={(x) =>
                      editQueue(
                        q.uid,
                        (qq) => ({
                          ...qq,
                          entries: qq.entries.map((y) => (y.uid === e.uid ? { ...y, resource: x } : y)),
                        }),
                        `entry:${e.uid}:resource`,
                      )
                    }
                  />
                  <TextField
                    label="Max instances"
                    type="number"
                    inputMode="numeric"
                    value={e.maxInstances}
                    hint="0 to 1000"
                    issues={shown(`entry:${e.uid}:maxInstances`)}
                    onChange={(x) =>
                      editQueue(
                        q.uid,
                        (qq) => ({
                          ...qq,
                          entries: qq.entries.map((y) => (y.uid === e.uid ? { ...y, maxInstances: x } : y)),
                        }),
                        `entry:${e.uid}:maxInstances`,
                      )
                    }
                  />
                  <button
                    type="button"
                    className="small"
                    aria-label={`Remove resource ${e.resource || '(none)'} from queue ${q.name}`}
                    onClick={() =>
                      editQueue(
                        q.uid,
                        (qq) => ({ ...qq, entries: qq.entries.filter((y) => y.uid !== e.uid) }),
                        `queue:${q.uid}:entries`,
                      )
                    }
                  >
                    Remove
                  </button>
                </div>
              ))}
              <div className="toolbar">
                <button
                  type="button"
                  className="small"
                  onClick={() =>
                    editQueue(
                      q.uid,
                      (qq) => ({
                        ...qq,
                        entries: [...qq.entries, { uid: newUid('e'), resource: '', maxInstances: '2' }],
                      }),
                      `queue:${q.uid}:entries`,
                    )
                  }
                >
                  Add resource to {q.name || 'queue'}
                </button>
                <button
                  type="button"
                  className="small danger"
                  onClick={() => edit('form', (d) => ({ ...d, queues: d.queues.filter((x) => x.uid !== q.uid) }))}
                >
                  Remove queue
                </button>
              </div>
            </div>
          ))}
          <button
            type="button"
            onClick={() =>
              edit('form', (d) => ({ ...d, queues: [...d.queues, emptyQueue('', resourceNames[0] ?? '')] }))
            }
          >
            Add queue
          </button>
        </fieldset>

        <BudgetEditor
          budgets={draft.budgets}
          queueNames={queueNames}
          shown={shown}
          onEdit={(id, change) => edit(id, (d) => ({ ...d, budgets: change(d.budgets) }))}
        />
        <LeaseEditor
          lease={draft.lease}
          shown={shown}
          onEdit={(id, change) => edit(id, (d) => ({ ...d, lease: change(d.lease) }))}
        />
      </fieldset>

      {importing && (
        <ImportDialog
          onClose={() => setImporting(false)}
          onUse={(cfg) => {
            setDraft(draftFromConfig(cfg));
            setDirty(true);
            setShowAll(true);
            setImporting(false);
            setStatus({ tone: 'info', text: 'Imported into the editor. Review it, then Save.' });
          }}
        />
      )}
      {exported !== null && <ExportDialog text={exported} onClose={() => setExported(null)} />}
    </form>
  );
}

type TextKey = { [K in keyof ResourceDraft]: ResourceDraft[K] extends string ? K : never }[keyof ResourceDraft];

function ResourceEditor({
  r,
  shown,
  onEdit,
  onRemove,
}: {
  r: ResourceDraft;
  shown: (id: FieldId) => string[];
  onEdit: (uid: string, field: keyof ResourceDraft, value: ResourceDraft[keyof ResourceDraft]) => void;
  onRemove: () => void;
}) {
  const f = (k: keyof ResourceDraft) => `resource:${r.uid}:${k}`;
  const text = (k: TextKey, label: string, hint?: string, placeholder?: string, number = false) => (
    <TextField
      label={label}
      value={r[k]}
      hint={hint}
      placeholder={placeholder}
      type={number ? 'number' : 'text'}
      issues={shown(f(k))}
      onChange={(x) => onEdit(r.uid, k, x)}
    />
  );
  return (
    <div className="subcard" role="group" aria-label={`Resource ${r.name || '(unnamed)'}`}>
      <div className="grid">
        {text('name', 'Resource name', 'Letters, digits, _ - . (used in worker names)')}
        {text('instanceType', 'Instance type', 'family.size, e.g. g4dn.xlarge', 'g4dn.xlarge')}
        <SelectField
          label="Market"
          value={r.market}
          options={[
            { value: 'on-demand', label: 'On-demand' },
            { value: 'spot', label: 'Spot' },
          ]}
          issues={shown(f('market'))}
          onChange={(x) => onEdit(r.uid, 'market', x)}
        />
        {text('amiId', 'AMI id', 'ami- followed by 8 to 17 hex digits', 'ami-0123456789abcdef0')}
        {text('subnetIds', 'Subnets (optional)', 'Tried in order; comma-separated', 'subnet-0123abcd')}
        {text('availabilityZones', 'Zones (optional)', 'Used when no subnet is given', 'us-east-1b')}
        {text('securityGroupIds', 'Security groups (optional)', 'Comma-separated', 'sg-0123abcd')}
        {text('keyName', 'SSH key pair (optional)')}
        {text('volumeSizeGiB', 'Disk size (GiB, optional)', '8 to 16384', '100', true)}
        {text('dockerImage', 'Docker image (optional)', 'Overrides the default image for this resource')}
        {r.market === 'spot' && (
          <CheckField
            label="Fall back to on-demand when spot capacity is unavailable"
            checked={r.spotFallbackToOnDemand}
            onChange={(x) => onEdit(r.uid, 'spotFallbackToOnDemand', x)}
          />
        )}
        <CheckField
          label="CPU only (no GPU drivers)"
          checked={r.cpuOnly}
          onChange={(x) => onEdit(r.uid, 'cpuOnly', x)}
        />
      </div>
      <button type="button" className="small danger" onClick={onRemove}>
        Remove resource {r.name}
      </button>
    </div>
  );
}

type ImportResult = InvokeResponse<'autoscaler:config.import'>;

function ImportDialog({ onClose, onUse }: { onClose: () => void; onUse: (config: unknown) => void }) {
  const actions = useActions();
  const busy = usePending('importConfig');
  const [text, setText] = useState('');
  const [result, setResult] = useState<ImportResult | null>(null);
  const [error, setError] = useState<string | null>(null);

  const preview = async () => {
    setError(null);
    const r = await actions.importConfig(text);
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
  const usable = result !== null && result.config !== null && result.issues.length === 0;

  return (
    <Dialog
      title="Import a ClearML autoscaler configuration"
      onClose={onClose}
      footer={
        <>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="button" disabled={busy || text.trim() === ''} onClick={() => void preview()}>
            {busy ? 'Reading…' : 'Preview'}
          </button>
          <button type="button" className="primary" disabled={!usable} onClick={() => result && onUse(result.config)}>
            Load into editor
          </button>
        </>
      }
    >
      <p className="muted small">
        Paste the YAML of a ClearML AWS autoscaler (hyper_params + configurations) or our own exported format. Nothing
        is saved until you press Save in Settings.
      </p>
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
      {result && (
        <div className="import-preview" aria-live="polite">
          <p>
            Recognised as:{' '}
            <strong>
              {result.format === 'clearml'
                ? 'ClearML autoscaler YAML'
                : result.format === 'ours'
                  ? 'this app’s format'
                  : 'unknown format'}
            </strong>
          </p>
          {result.issues.length > 0 && (
            <ul className="field-errors" role="alert">
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
          {mapped && (
            <>
              <p>
                API host <code>{mapped.apiHost || '—'}</code>, region <code>{mapped.region || '—'}</code>, poll every{' '}
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

function ExportDialog({ text, onClose }: { text: string; onClose: () => void }) {
  const [copied, setCopied] = useState<string | null>(null);
  return (
    <Dialog
      title="Exported configuration"
      onClose={onClose}
      footer={
        <>
          <button type="button" onClick={onClose}>
            Close
          </button>
          <button
            type="button"
            onClick={() =>
              void copyText(text).then((ok) =>
                setCopied(ok ? 'Copied.' : 'The clipboard is not available; use Download.'),
              )
            }
          >
            Copy
          </button>
          <button
            type="button"
            className="primary"
            onClick={() =>
              text.trimStart().startsWith('{')
                ? downloadText('autoscaler-config.json', text, 'application/json')
                : downloadText('autoscaler-config.yaml', text, 'text/yaml')
            }
          >
            Download
          </button>
        </>
      }
    >
      <p className="muted small">No secrets are included: credentials live in the system keychain.</p>
      <Field label="Configuration" wide>
        {({ id }) => <textarea id={id} readOnly rows={14} value={text} spellCheck={false} />}
      </Field>
      {copied && <p role="status">{copied}</p>}
    </Dialog>
  );
}
