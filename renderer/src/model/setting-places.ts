/**
 * Where a configuration setting is changed in Settings: its section and its field's label. Advice that names a
 * config path (the import's differences from ClearML's autoscaler) is shown with the place a user can follow, and
 * the Settings sections take these labels from here, so the advice and the form cannot drift apart.
 */

export interface SettingPlace {
  section: string;
  label: string;
}

export const SETTING_PLACES = {
  'scaling.pollingIntervalSec': { section: 'Scaling', label: 'Polling interval (s)' },
  'scaling.maxIdleMin': { section: 'Scaling', label: 'Max idle time (min)' },
  'scaling.surplusIdleMin': { section: 'Scaling', label: 'Surplus idle time (min)' },
  'scaling.maxSpinUpMin': { section: 'Scaling', label: 'Max spin-up time (min)' },
  'scaling.maxTotalInstances': { section: 'Scaling', label: 'Max instances in total' },
  'scaling.preference': { section: 'Scaling', label: 'Keep idle instances for' },
  'resources.<name>.spotFallbackToOnDemand': {
    section: 'Resources',
    label: 'Fall back to on-demand when spot capacity is unavailable',
  },
  'agent.extraClearmlConfShellExpand': {
    section: 'Instance setup',
    label: 'Expand $VAR and $(cmd) in the extra clearml.conf on the instance (as ClearML does)',
  },
  'agent.agentVersion': { section: 'Instance setup', label: 'clearml-agent version' },
  'agent.queuePollSec': { section: 'Instance setup', label: 'Agent queue poll (s)' },
  'lease.enabled': { section: 'Dead-man switch (lease)', label: 'Use the lease (recommended)' },
} as const satisfies Record<string, SettingPlace>;

export type PlacedSetting = keyof typeof SETTING_PLACES;

/** "Scaling → Surplus idle time (min)" for a config path Settings edits; null for one it does not. */
export function settingPlace(path: string): string | null {
  const place = (SETTING_PLACES as Record<string, SettingPlace>)[path];
  return place ? `${place.section} → ${place.label}` : null;
}
