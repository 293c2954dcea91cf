/**
 * The engine as the user left it: on or off, new launches paused, queues paused. Kept in the settings
 * (`autoscaling`) as the user changes it and restored when the app starts its engine again, so a restart (a reboot
 * with "start at login") neither leaves queued tasks waiting with autoscaling silently off nor lifts a pause. The
 * demo's engine is neither remembered nor restored: it starts from scratch every time.
 */
import type { AtStart, RunState } from '../../../shared/settings.js';
import type { EngineController } from '../controller.js';
import { ev, type NewEvent } from '../events.js';
import type { SettingsRepo } from './settings-repo.js';

export function rememberRunState(settings: SettingsRepo, change: Partial<RunState>): void {
  settings.patch({ autoscaling: { ...settings.get().autoscaling, ...change } });
}

/**
 * Pauses first, so an engine turned on again never launches past a pause it had. With `atStart` 'off' (App
 * preferences) autoscaling stays off whatever it was, and the log says so when it was on; the pauses come back.
 */
export async function resumeRunState(
  controller: Pick<EngineController, 'setEnabled' | 'setLaunchesPaused' | 'setQueuePaused'>,
  state: RunState,
  emit: (e: NewEvent) => void,
  atStart: AtStart = 'as-left',
): Promise<void> {
  if (state.launchesPaused) controller.setLaunchesPaused(true);
  for (const queue of state.pausedQueues) controller.setQueuePaused(queue, true);
  if (!state.on) return;
  if (atStart === 'off') return emit(ev.offAtStart());
  emit(ev.resumedAtStart(state));
  await controller.setEnabled(true);
}
