/** Settings → Scaling: polling, idle and spin-up timeouts, the global instance cap, the keep-warm preference, dry run. */
import { CheckField, TextField } from '../../components/Field.js';
import { SCALING_FIELDS, type ConfigDraft, type ScalingField } from '../../model/config-form.js';
import type { Edit, Shown } from '../../model/settings-form.js';
import { PreferenceField } from './PreferenceField.js';

const SCALING_TEXT: Record<ScalingField, { label: string; hint: string }> = {
  pollingIntervalSec: { label: 'Polling interval (s)', hint: '2 to 3600 seconds' },
  maxIdleMin: { label: 'Max idle time (min)', hint: 'An idle instance is terminated after this long' },
  maxSpinUpMin: { label: 'Max spin-up time (min)', hint: 'An instance that is not a worker by then is terminated' },
  maxTotalInstances: { label: 'Max instances in total', hint: 'Across all queues and resources' },
};

export function ScalingSection({ draft, shown, edit }: { draft: ConfigDraft; shown: Shown; edit: Edit }) {
  return (
    <fieldset className="card">
      <legend>Scaling</legend>
      <div className="grid">
        {SCALING_FIELDS.map((f) => (
          <TextField
            key={f}
            label={SCALING_TEXT[f].label}
            type="number"
            value={draft.scaling[f]}
            hint={SCALING_TEXT[f].hint}
            issues={shown(`scaling.${f}`)}
            onChange={(x) => edit(`scaling.${f}`, (d) => ({ ...d, scaling: { ...d.scaling, [f]: x } }))}
          />
        ))}
        <PreferenceField draft={draft} onEdit={(change) => edit('scaling.preference', change)} />
        <CheckField
          label="Dry run (decide and log, never launch or terminate)"
          checked={draft.dryRun}
          onChange={(x) => edit('dryRun', (d) => ({ ...d, dryRun: x }))}
        />
      </div>
    </fieldset>
  );
}
