/**
 * The keep-warm preference selector of the Scaling section: what the chosen one does in a sentence under it, and
 * how each of the three decides behind a disclosure across the section.
 */
import { SelectField } from '../../components/Field.js';
import type { ConfigDraft } from '../../model/config-form.js';
import { SETTING_PLACES } from '../../model/setting-places.js';
import { PREFERENCE_TEXT, preferenceOf, withPreference, type Preference } from '../../model/preference.js';

export function PreferenceField({
  draft,
  onEdit,
}: {
  draft: ConfigDraft;
  onEdit: (change: (d: ConfigDraft) => ConfigDraft) => void;
}) {
  const value = preferenceOf(draft);
  return (
    <>
      <SelectField<Preference>
        label={SETTING_PLACES['scaling.preference'].label}
        value={value}
        hint={`${PREFERENCE_TEXT[value].summary} The max idle time is always the limit.`}
        options={PREFERENCES.map((p) => ({ value: p, label: LABELS[p] }))}
        onChange={(p) => onEdit((d) => withPreference(d, p))}
      />
      <details className="field-wide preference-detail">
        <summary>How each choice decides</summary>
        <dl>
          {PREFERENCES.map((p) => (
            <div key={p} data-preference={p} aria-current={p === value ? 'true' : undefined}>
              <dt>
                {LABELS[p]}
                {p === value ? ' (chosen)' : ''}
              </dt>
              <dd>{PREFERENCE_TEXT[p].detail}</dd>
            </div>
          ))}
        </dl>
      </details>
    </>
  );
}

const PREFERENCES: readonly Preference[] = ['cost', 'balanced', 'latency'];
const LABELS: Record<Preference, string> = { cost: 'Lowest cost', balanced: 'Balanced', latency: 'Shortest waits' };
