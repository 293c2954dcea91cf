/**
 * Settings: the autoscaler configuration (settings/SettingsForm.tsx and its sections) and the app preferences.
 */
import { CheckField, SelectField } from '../components/Field.js';
import type { NotificationCategory } from '../../../shared/settings.js';
import { useActions, useApp } from '../state/react.js';
import { SettingsForm } from './settings/SettingsForm.js';
import { roleLimit } from '../model/team.js';
import { TeamSection } from './settings/TeamSection.js';

export function Settings() {
  const info = useApp((s) => s.config);
  // Team mode: the engine refuses a save from a role below admin; say so before the user edits anything.
  const saveLimit = useApp((s) => roleLimit(s.snapshot?.remote, 'autoscaler:config.save'));
  if (!info) return <p className="view empty">Loading the configuration…</p>;
  return (
    <div className="view">
      {saveLimit && <p className="note tone-warn">{saveLimit} Changes here cannot be saved.</p>}
      <SettingsForm config={info.config} demo={info.demo} />
      <AppPreferences />
      <TeamSection />
    </div>
  );
}

const NOTIFICATIONS: { key: NotificationCategory; label: string }[] = [
  { key: 'launched', label: 'Instances launched' },
  { key: 'terminated', label: 'Instances terminated' },
  { key: 'launchFailed', label: 'A launch failed or a termination was refused' },
  { key: 'credentialsRejected', label: 'Credentials were rejected' },
  { key: 'capReached', label: 'A cap or budget was reached' },
  { key: 'team', label: 'Team: leadership changed or another engine acts' },
  { key: 'connectionLost', label: 'ClearML or EC2 cannot be read for minutes, and when it answers again' },
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
        <SelectField
          label="When the app starts"
          value={s.autoscalingAtStart}
          options={[
            { value: 'as-left', label: 'Autoscaling as I left it' },
            { value: 'off', label: 'Autoscaling off' },
          ]}
          onChange={(autoscalingAtStart) => void actions.patchAppSettings({ autoscalingAtStart })}
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
