/** Derived facts about the app state, shared by views and tested in node. */
import { pendingTasks } from '../../../shared/domain.js';
import type { AppState } from './app-store.js';

/**
 * First run: nothing configured, no credentials stored, not in demo. null while any of the three answers is
 * still loading (so the setup screen never flashes up on a configured app).
 */
export function isFirstRun(s: AppState): boolean | null {
  if (!s.snapshot || !s.config || !s.credentials) return null;
  // Left for the settings editor (to review an import), the first-run screen is over though nothing is saved yet.
  if (s.setupInEditor) return false;
  return (
    s.config.config === null &&
    !s.config.demo &&
    !s.snapshot.demo &&
    !s.credentials.clearml.set &&
    !s.credentials.aws.set
  );
}

export interface TabBadges {
  queues: number;
  instances: number;
  events: number;
  /** The Settings editor holds changes not saved yet. */
  settingsUnsaved: boolean;
  /** Something is typed into a Credentials form and not saved. */
  credentialsUnsaved: boolean;
}

/** Queued tasks, live instances, errors among recent events and an unsaved Settings draft, for the tab labels. */
export function tabBadges(s: AppState): TabBadges {
  const settingsUnsaved = s.settingsForm?.dirty ?? false;
  const credentialsUnsaved = Object.keys(s.credentialDrafts).length > 0;
  const snap = s.snapshot;
  if (!snap) return { queues: 0, instances: 0, events: 0, settingsUnsaved, credentialsUnsaved };
  return {
    queues: pendingTasks(snap),
    instances: snap.instances.filter((i) => i.state !== 'terminated').length,
    events: snap.events.filter((e) => e.level === 'error').length,
    settingsUnsaved,
    credentialsUnsaved,
  };
}
