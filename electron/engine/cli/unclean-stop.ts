/**
 * The line a start says when it took over the lock of an engine that did not stop cleanly. A clean stop removes the
 * lock, so a lock left behind means the last run was killed (SIGKILL, the OOM killer, a stop timeout) or its host
 * went down: the operator learns it here rather than from the journal, with what it costs. Pure.
 */
import type { LockOwner } from '../data-dir-lock.js';

export function uncleanStopText(tookOver: LockOwner | 'torn' | null): string | null {
  if (tookOver === null) return null;
  const who =
    tookOver === 'torn'
      ? 'the previous engine (its lock file was cut mid-write)'
      : `the previous engine (pid ${tookOver.pid}, started ${new Date(tookOver.startedAt).toISOString()})`;
  return (
    `${who} did not stop cleanly: it was killed or its host went down; its lock was taken over. Events it had not ` +
    'written yet are lost; its instances are picked up from their EC2 tags'
  );
}
