/**
 * Settings → Team (leader lease): the leader lease table (one engine acts per account, region and workers prefix) and a button
 * that creates it. The table is created from the saved config, so a changed name is saved first.
 */
import { useState } from 'react';
import { TextField } from '../../components/Field.js';
import type { ConfigDraft, TeamDraft } from '../../model/config-form.js';
import type { Edit, Shown } from '../../model/settings-form.js';
import { describeError } from '../../state/app-store.js';
import { useActions, usePending } from '../../state/react.js';

const LEASE_FIELDS: { key: keyof TeamDraft; label: string; hint: string; number?: true }[] = [
  {
    key: 'leaseTable',
    label: 'Lease table (DynamoDB)',
    hint: 'e.g. clearml-autoscaler-leases; empty: no lease (detection only)',
  },
  { key: 'leaseRegion', label: 'Table region', hint: 'Empty: the AWS region above' },
  {
    key: 'leaseSec',
    label: 'Leader lease (s)',
    hint: 'Renewed every poll; at least twice the polling interval',
    number: true,
  },
  {
    key: 'graceSec',
    label: 'Takeover grace (s)',
    hint: 'A standby takes over after lease + grace without renewal; more than 20 s',
    number: true,
  },
];

export function LeaseTableSection({
  draft,
  shown,
  edit,
  dirty,
}: {
  draft: ConfigDraft;
  shown: Shown;
  edit: Edit;
  /** Unsaved changes: the table is created from the saved config. */
  dirty: boolean;
}) {
  const actions = useActions();
  const creating = usePending('createLeaseTable');
  const [outcome, setOutcome] = useState<{ tone: 'ok' | 'error'; text: string } | null>(null);
  const set = (key: keyof TeamDraft) => (x: string) =>
    edit(`team.${key}`, (d) => ({ ...d, team: { ...d.team, [key]: x } }));
  const table = draft.team.leaseTable.trim();
  const create = async () => {
    setOutcome(null);
    const r = await actions.createLeaseTable();
    setOutcome(
      r.ok
        ? {
            tone: 'ok',
            text: `${r.value.created ? 'Created' : 'Found'} '${r.value.table}' in ${r.value.region}: it is ACTIVE.`,
          }
        : { tone: 'error', text: describeError(r.error) },
    );
  };
  return (
    <fieldset className="card">
      <legend>
        <h2>Team: one engine acts (leader lease)</h2>
      </legend>
      <p className="muted small">
        When several engines may run on this account, region and workers prefix (a teammate&apos;s laptop and the team
        host), a DynamoDB lease table lets exactly one act; the others stand by and take over when it stops. Without a
        table, engines only detect each other and the second one holds until you decide.
      </p>
      <div className="grid">
        {LEASE_FIELDS.map(({ key, label, hint, number }) => (
          <TextField
            key={key}
            label={label}
            {...(number ? { type: 'number' } : {})}
            value={draft.team[key]}
            hint={hint}
            issues={shown(`team.${key}`)}
            onChange={set(key)}
          />
        ))}
      </div>
      <div className="button-row">
        <button type="button" disabled={!table || dirty || creating} onClick={() => void create()}>
          {creating ? 'Creating the table…' : 'Create the lease table'}
        </button>
        {table && dirty && <span className="muted small">Save first: the table is created from the saved config.</span>}
      </div>
      {outcome && (
        <p className={`small tone-${outcome.tone}`} role={outcome.tone === 'error' ? 'alert' : 'status'}>
          {outcome.text}
        </p>
      )}
    </fieldset>
  );
}
