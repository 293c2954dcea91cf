/** Settings → Scaling: polling, idle and spin-up timeouts, the global instance cap, the keep-warm preference, dry run. */
import { CheckField, TextField } from '../../components/Field.js';
import type { ConfigDraft } from '../../model/config-form.js';
import type { Edit, Shown } from '../../model/settings-form.js';
import { PreferenceField } from './PreferenceField.js';

export function ScalingSection({ draft, shown, edit }: { draft: ConfigDraft; shown: Shown; edit: Edit }) {
  return (
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
          onChange={(x) => edit('scaling.maxSpinUpMin', (d) => ({ ...d, scaling: { ...d.scaling, maxSpinUpMin: x } }))}
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
  );
}
