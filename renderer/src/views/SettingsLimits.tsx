/**
 * The Settings sections that bound spend: budget caps (global and per queue, with what happens at a cap) and the
 * lease, the dead-man switch that powers idle instances off when the app is gone. Edited in the same draft as
 * the rest of the config and saved with it.
 */
import { useId } from 'react';
import { CheckField, SelectField, TextField } from '../components/Field.js';
import { SETTING_PLACES } from '../model/setting-places.js';
import {
  BUDGET_MODES,
  BUDGET_MODE_TEXT,
  emptyQueueCap,
  leaseSummary,
  type BudgetsDraft,
  type FieldId,
  type LeaseDraft,
  type QueueCapDraft,
} from '../model/config-form.js';

type Shown = (id: FieldId) => string[];

export const LEASE_EXPLANATION =
  'If this app stops renewing (quit, crash, sleep), an idle instance powers itself off after lease + grace; a busy one keeps running until its task ends (or the max lifetime).';

function Issues({ messages }: { messages: string[] }) {
  if (messages.length === 0) return null;
  return (
    <ul className="field-errors" role="alert">
      {messages.map((m) => (
        <li key={m}>{m}</li>
      ))}
    </ul>
  );
}

export function BudgetEditor({
  budgets,
  queueNames,
  shown,
  onEdit,
}: {
  budgets: BudgetsDraft;
  /** The queues configured in the draft, for the per-queue rows. */
  queueNames: readonly string[];
  shown: Shown;
  onEdit: (id: FieldId, change: (b: BudgetsDraft) => BudgetsDraft) => void;
}) {
  const id = useId();
  const editCap = (uid: string, key: keyof Omit<QueueCapDraft, 'uid'>, value: string) =>
    onEdit(`budgetCap:${uid}:${key}`, (b) => ({
      ...b,
      queues: b.queues.map((c) => (c.uid === uid ? { ...c, [key]: value } : c)),
    }));
  const uncapped = queueNames.filter((q) => !budgets.queues.some((c) => c.queue.trim() === q));

  return (
    <fieldset className="card budgets-editor">
      <legend>
        <h2>Budgets</h2>
      </legend>
      <p className="muted small">
        Dollar caps on what the instances this app launches cost, estimated from the prices shown under Costs. An empty
        field is no cap. Hourly caps limit the burn rate of everything running at once; monthly caps limit the spend of
        the UTC calendar month.
      </p>

      <fieldset className="plain modes" aria-describedby={`${id}-mode-issues`}>
        <legend>When a cap is reached</legend>
        {BUDGET_MODES.map((m) => (
          <div key={m} className="radio">
            <input
              type="radio"
              id={`${id}-${m}`}
              name={`${id}-mode`}
              value={m}
              checked={budgets.mode === m}
              aria-describedby={`${id}-${m}-detail`}
              onChange={() => onEdit('budgets.mode', (b) => ({ ...b, mode: m }))}
            />
            <label htmlFor={`${id}-${m}`}>{BUDGET_MODE_TEXT[m].label}</label>
            <div id={`${id}-${m}-detail`} className="field-hint">
              {BUDGET_MODE_TEXT[m].detail}
            </div>
          </div>
        ))}
        <div id={`${id}-mode-issues`}>
          <Issues messages={shown('budgets.mode')} />
        </div>
      </fieldset>

      <div className="grid">
        <TextField
          label="Hourly burn cap, all queues (USD/h)"
          type="number"
          value={budgets.hourlyUsd}
          placeholder="no cap"
          hint="Everything running at once, per hour"
          issues={shown('budgets.global.hourlyUsd')}
          onChange={(x) => onEdit('budgets.global.hourlyUsd', (b) => ({ ...b, hourlyUsd: x }))}
        />
        <TextField
          label="Monthly cap, all queues (USD)"
          type="number"
          value={budgets.monthlyUsd}
          placeholder="no cap"
          hint="Spend this UTC calendar month"
          issues={shown('budgets.global.monthlyUsd')}
          onChange={(x) => onEdit('budgets.global.monthlyUsd', (b) => ({ ...b, monthlyUsd: x }))}
        />
        <TextField
          label="Warn when near a cap (%)"
          type="number"
          value={budgets.nearCapPercent}
          hint="Notified once when spend passes this share of a cap; 1 to 100"
          issues={shown('budgets.nearCapPercent')}
          onChange={(x) => onEdit('budgets.nearCapPercent', (b) => ({ ...b, nearCapPercent: x }))}
        />
      </div>

      <h3 className="subhead">Per-queue caps</h3>
      {budgets.queues.length === 0 && <p className="muted small">No queue has its own cap.</p>}
      {budgets.queues.map((c) => {
        const name = c.queue.trim();
        return (
          <div
            key={c.uid}
            className="grid entry cap-row"
            role="group"
            aria-label={`Caps for queue ${name || '(none)'}`}
          >
            <SelectField
              label="Queue"
              value={c.queue}
              options={[
                { value: '', label: '(choose)' },
                ...[...new Set([...queueNames, c.queue].filter(Boolean))].map((q) => ({ value: q, label: q })),
              ]}
              issues={shown(`budgetCap:${c.uid}:queue`)}
              onChange={(x) => editCap(c.uid, 'queue', x)}
            />
            <TextField
              label="Hourly cap (USD/h)"
              type="number"
              value={c.hourlyUsd}
              placeholder="no cap"
              issues={shown(`budgetCap:${c.uid}:hourlyUsd`)}
              onChange={(x) => editCap(c.uid, 'hourlyUsd', x)}
            />
            <TextField
              label="Monthly cap (USD)"
              type="number"
              value={c.monthlyUsd}
              placeholder="no cap"
              issues={shown(`budgetCap:${c.uid}:monthlyUsd`)}
              onChange={(x) => editCap(c.uid, 'monthlyUsd', x)}
            />
            <button
              type="button"
              className="small"
              aria-label={`Remove the caps for queue ${name || '(none)'}`}
              onClick={() =>
                onEdit(`budgetCap:${c.uid}:queue`, (b) => ({ ...b, queues: b.queues.filter((x) => x.uid !== c.uid) }))
              }
            >
              Remove
            </button>
          </div>
        );
      })}
      <button
        type="button"
        className="small"
        disabled={queueNames.length === 0}
        onClick={() => onEdit('form', (b) => ({ ...b, queues: [...b.queues, emptyQueueCap(uncapped[0] ?? '')] }))}
      >
        Add caps for a queue
      </button>
    </fieldset>
  );
}

export function LeaseEditor({
  lease,
  shown,
  onEdit,
}: {
  lease: LeaseDraft;
  shown: Shown;
  onEdit: (id: FieldId, change: (l: LeaseDraft) => LeaseDraft) => void;
}) {
  const summary = leaseSummary(lease);
  return (
    <fieldset className="card lease-editor">
      <legend>
        <h2>Dead-man switch (lease)</h2>
      </legend>
      <p>{LEASE_EXPLANATION}</p>
      <div className="grid">
        <CheckField
          label={SETTING_PLACES['lease.enabled'].label}
          checked={lease.enabled}
          onChange={(x) => onEdit('lease.enabled', (l) => ({ ...l, enabled: x }))}
        />
        <TextField
          label="Lease (min)"
          type="number"
          value={lease.leaseMin}
          hint="How far ahead the app renews each instance; 5 to 1440"
          issues={shown('lease.leaseMin')}
          onChange={(x) => onEdit('lease.leaseMin', (l) => ({ ...l, leaseMin: x }))}
        />
        <TextField
          label="Grace (min)"
          type="number"
          value={lease.graceMin}
          hint="Extra time after the lease runs out; 0 to 1440"
          issues={shown('lease.graceMin')}
          onChange={(x) => onEdit('lease.graceMin', (l) => ({ ...l, graceMin: x }))}
        />
        <TextField
          label="Max lifetime (h)"
          type="number"
          value={lease.maxLifetimeHours}
          hint="Applies to busy instances too; 0 = no limit"
          issues={shown('lease.maxLifetimeHours')}
          onChange={(x) => onEdit('lease.maxLifetimeHours', (l) => ({ ...l, maxLifetimeHours: x }))}
        />
      </div>
      {summary && <p className={`small${lease.enabled ? ' muted' : ' tone-warn'}`}>{summary}</p>}
      <Issues messages={shown('lease.enabled')} />
    </fieldset>
  );
}
