/** Settings → Scaling: polling, idle (and surplus idle) and spin-up timeouts, the global instance cap, the keep-warm preference, dry run. */
import { CheckField, TextField } from '../../components/Field.js';
import { SCALING_FIELDS, type ConfigDraft, type ScalingField } from '../../model/config-form.js';
import type { Edit, Shown } from '../../model/settings-form.js';
import { SETTING_PLACES } from '../../model/setting-places.js';
import { PreferenceField } from './PreferenceField.js';
import { emptyNote, surplusIdleNote, withNote } from '../../model/cap-notes.js';

const SCALING_HINT: Record<ScalingField, string> = {
  pollingIntervalSec: '2 to 3600 seconds',
  maxIdleMin: 'An idle instance is terminated after this long',
  surplusIdleMin:
    'Idle instances beyond the pending tasks and the expected demand are terminated after this long (at most the max idle time)',
  maxSpinUpMin: 'An instance that is not a worker by then is terminated',
  maxTotalInstances: 'Across all queues and resources',
};

export function ScalingSection({ draft, shown, edit }: { draft: ConfigDraft; shown: Shown; edit: Edit }) {
  return (
    <fieldset className="card">
      <legend>
        <h2>Scaling</h2>
      </legend>
      <div className="grid">
        {SCALING_FIELDS.map((f) => (
          <TextField
            key={f}
            label={SETTING_PLACES[`scaling.${f}`].label}
            type="number"
            value={draft.scaling[f]}
            hint={withNote(
              SCALING_HINT[f],
              emptyNote(draft, f) ?? (f === 'surplusIdleMin' ? surplusIdleNote(draft) : null),
            )}
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
