/** The keep-warm preference selector of the Scaling section (what each choice does, in the hint). */
import { SelectField } from '../../components/Field.js';
import type { ConfigDraft } from '../../model/config-form.js';
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
    <SelectField<Preference>
      label="Keep idle instances for"
      value={value}
      hint={`${PREFERENCE_TEXT[value]} The max idle time above is always the limit.`}
      options={[
        { value: 'cost', label: 'Lowest cost' },
        { value: 'balanced', label: 'Balanced' },
        { value: 'latency', label: 'Shortest waits' },
      ]}
      onChange={(p) => onEdit((d) => withPreference(d, p))}
    />
  );
}
