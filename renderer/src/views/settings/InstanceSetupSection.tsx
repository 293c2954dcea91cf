/**
 * Settings → Instance setup: what runs on every instance and where it gets the ClearML keys. Monospace and
 * read-only until the user chooses to edit; a change is confirmed (with a diff) before it is saved.
 */
import { useState } from 'react';
import { CheckField, Field, SelectField, TextField } from '../../components/Field.js';
import type { ConfigDraft } from '../../model/config-form.js';
import { credentialsAdvice, usesDocker, type AgentDraft } from '../../model/instance-setup.js';
import type { Edit, Shown } from '../../model/settings-form.js';
import { SETTING_PLACES } from '../../model/setting-places.js';

export function InstanceSetupSection({
  draft,
  shown,
  edit,
  readOnly,
}: {
  draft: ConfigDraft;
  shown: Shown;
  edit: Edit;
  readOnly: boolean;
}) {
  const [editing, setEditing] = useState(false);
  const a = draft.agent;
  const locked = readOnly || !editing;
  const set = <K extends keyof AgentDraft>(k: K, v: AgentDraft[K]) =>
    edit(`agent.${k}`, (d) => ({ ...d, agent: { ...d.agent, [k]: v } }));
  const advice = credentialsAdvice(
    a,
    usesDocker(
      a,
      draft.resources.map((r) => r.dockerImage),
    ),
  );
  const block = (k: 'initScript' | 'extraClearmlConf', label: string, hint: string) => (
    <Field label={label} hint={hint} issues={shown(`agent.${k}`)} wide>
      {({ id }) => (
        <textarea
          id={id}
          className="mono"
          rows={Math.min(12, Math.max(3, a[k].split('\n').length + 1))}
          spellCheck={false}
          readOnly={locked}
          value={a[k]}
          placeholder="(none)"
          onChange={(e) => set(k, e.target.value)}
        />
      )}
    </Field>
  );
  const line = (
    k: 'defaultDockerImage' | 'agentVersion' | 'queuePollSec' | 'ssmPrefix',
    label: string,
    more: { hint?: string; placeholder?: string; type?: 'number' } = {},
  ) => (
    <TextField
      label={label}
      value={a[k]}
      readOnly={locked}
      issues={shown(`agent.${k}`)}
      onChange={(x) => set(k, x)}
      {...more}
    />
  );
  return (
    <fieldset className="card instance-setup" aria-label="Instance setup">
      <legend>
        <h2>Instance setup</h2>
      </legend>
      <p className="muted small">
        What every new instance runs. Changes are shown as a diff and need your confirmation when you save.
      </p>
      {!readOnly && (
        <div className="toolbar">
          <button type="button" className="small" aria-pressed={editing} onClick={() => setEditing(!editing)}>
            {editing ? 'Done editing' : 'Edit instance setup'}
          </button>
        </div>
      )}
      {block('initScript', 'Init script', 'Runs as root on every instance before the agent starts')}
      {block('extraClearmlConf', 'Extra clearml.conf', 'Appended to the agent’s clearml.conf on every instance')}
      <CheckField
        label={SETTING_PLACES['agent.extraClearmlConfShellExpand'].label}
        checked={a.extraClearmlConfShellExpand}
        disabled={locked}
        hint="Off: written verbatim, so a HOCON ${...} substitution reaches the agent as written"
        onChange={(x) => set('extraClearmlConfShellExpand', x)}
      />
      <div className="grid mono-fields">
        {line('defaultDockerImage', 'Default docker image', {
          placeholder: '(none: venv mode)',
          hint: 'Empty: tasks run in a virtualenv on the host',
        })}
        {line('agentVersion', SETTING_PLACES['agent.agentVersion'].label)}
        {line('queuePollSec', SETTING_PLACES['agent.queuePollSec'].label, {
          type: 'number',
          hint: "How often an idle agent asks for a task (1–60; the agent's own default is 5)",
        })}
        <SelectField
          label="ClearML keys on instances"
          value={a.clearmlCredentialsFrom}
          disabled={locked}
          options={[
            { value: 'user-data', label: 'In the user data (as ClearML does)' },
            { value: 'ssm', label: 'From SSM Parameter Store (recommended)' },
          ]}
          issues={shown('agent.clearmlCredentialsFrom')}
          onChange={(x) => set('clearmlCredentialsFrom', x)}
        />
        {a.clearmlCredentialsFrom === 'ssm' &&
          line('ssmPrefix', 'SSM parameter prefix', {
            hint: 'SecureStrings <prefix>/access_key and <prefix>/secret_key',
          })}
      </div>
      <p className={`note tone-${advice.tone}`} role="note" aria-label="Instance metadata">
        {advice.text}
      </p>
    </fieldset>
  );
}
