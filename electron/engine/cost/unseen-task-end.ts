/**
 * When a task that left its worker while nobody polled ended. Between two polls far apart (the computer slept, the
 * process was stopped, the app was not running) a task can end hours before the next poll sees its worker idle;
 * recorded at that poll, a task of 1 h run through an 8 h sleep is billed 8 h in the Costs tab, and the 7 idle hours
 * that followed as none. ClearML keeps when the task's status last changed: the task ran on this worker until it
 * stopped being in progress, and any later change (queued again, run elsewhere) is later still, so that time never
 * ends it too early. Pure: the cost tracker asks, the engine reads the tasks.
 */
import type { TaskObs } from '../ports.js';

/** Statuses a task is no longer running in: its last change is when it stopped running (or later). */
const ENDED = new Set<TaskObs['status']>(['stopped', 'published', 'publishing', 'closed', 'failed', 'completed']);

export interface UnseenEnd {
  at: number;
  /** `status-changed`: ClearML's time of its last status change; `poll`: the poll that found it gone (no better). */
  code: 'status-changed' | 'poll';
}

/**
 * `span`: when its instance was last seen running it (or the task began, for one left open by an earlier run) and
 * the poll now. Its end is ClearML's last status change, kept within the span; `now` when the task is not read, is
 * still (or again) queued or in progress, or has no time.
 */
export function unseenTaskEnd(
  span: { from: number; now: number },
  task: Pick<TaskObs, 'status' | 'statusChangedAt'> | undefined,
): UnseenEnd {
  const changed = task?.statusChangedAt;
  if (!task || !ENDED.has(task.status) || changed === null || changed === undefined || !Number.isFinite(changed))
    return { at: span.now, code: 'poll' };
  return { at: Math.min(span.now, Math.max(span.from, changed)), code: 'status-changed' };
}
