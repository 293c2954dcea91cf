/**
 * The exit code of a --once run. A script or a supervisor reads only the code: a tick that held for another engine
 * launched nothing for the tasks waiting, as surely as a tick whose calls failed, so it is not a success. A standby
 * the operator chose (--team standby) is the answer working, and stays 0. Pure.
 */
import type { LeadershipView } from '../../../shared/team.js';

export type OnceOutcome =
  | { code: 0; reason: 'done' }
  | { code: 1; reason: 'errors'; errors: number }
  | { code: 1; reason: 'held-for-other-engine' };

export function onceOutcome(
  errors: readonly string[] | null,
  leadership: LeadershipView | null | undefined,
): OnceOutcome {
  if (errors === null || errors.length > 0) return { code: 1, reason: 'errors', errors: errors?.length ?? 1 };
  if (leadership?.role === 'conflict') return { code: 1, reason: 'held-for-other-engine' };
  return { code: 0, reason: 'done' };
}
