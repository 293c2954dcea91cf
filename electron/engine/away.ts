/**
 * A poll that came far later than asked: the computer slept, the process was stopped (`kill -STOP`, a suspended
 * VM) or the clock jumped. Timers do not run meanwhile, so nothing was launched, terminated or renewed, and an
 * instance may have ended without this engine (its watchdog powers an idle one off once its lease has run out, a
 * spot instance may be reclaimed). Without a word the user sees instances vanish after waking the laptop and
 * cannot tell why. Pure: the host measures, this decides what is worth saying.
 */
import { isLiveState, type InstanceView } from '../../shared/domain.js';

/** A wake later than this beyond the interval asked is an absence, not a slow timer. */
export function awayThresholdMs(pollMs: number): number {
  return Math.max(120_000, pollMs);
}

export interface AwayReport {
  code: 'away';
  /** When the engine went to sleep between polls, and when it woke. */
  from: number;
  to: number;
  /** Instances live before that are no longer live (or listed) after the first poll back. */
  ended: { instanceId: string; queue: string; wasIdle: boolean }[];
}

/**
 * Null unless the sleep between `from` and `to` overran `pollMs` by more than `awayThresholdMs`; else what ended
 * meanwhile, from the snapshot's instances before the sleep and after the first poll back.
 */
export function awayReport(
  sleep: { from: number; to: number; pollMs: number },
  before: readonly InstanceView[],
  after: readonly InstanceView[],
): AwayReport | null {
  if (sleep.to - sleep.from - sleep.pollMs <= awayThresholdMs(sleep.pollMs)) return null;
  const stillLive = new Set(after.filter((i) => isLiveState(i.state)).map((i) => i.instanceId));
  const ended = before
    .filter((i) => isLiveState(i.state) && !stillLive.has(i.instanceId))
    .map((i) => ({ instanceId: i.instanceId, queue: i.queue, wasIdle: i.phase === 'idle' }));
  return { code: 'away', from: sleep.from, to: sleep.to, ended };
}
