/**
 * Instances of ours stopped outside the app (the console, a script, a scheduled stop): the app never stops an
 * instance itself, so one stopped is nobody's capacity while its volumes keep billing. This remembers since when
 * each has been seen stopped (or stopping); the policy terminates it once that is `STOPPED_GRACE_MS` old, and the
 * warning at first sight says so. Started again within the grace, it is forgotten. The grace counts from when EC2
 * says it was stopped (its StateTransitionReason), so a restart of the app does not start it over; without that
 * time, from the first tick that sees it stopped.
 */
import type { InstanceObs } from '../ports.js';
import type { NewEvent } from '../events.js';
import { ev } from '../events.js';
import { STOPPED_GRACE_MS } from '../policy.js';
import { TAG } from '../ports.js';

export class StoppedTracker {
  private readonly since = new Map<string, number>();

  /** instanceId → ms when it was first seen stopped or stopping. */
  get stoppedSince(): ReadonlyMap<string, number> {
    return this.since;
  }

  carryFrom(previous: StoppedTracker): void {
    for (const [id, at] of previous.since) if (!this.since.has(id)) this.since.set(id, at);
  }

  observe(instances: readonly InstanceObs[], now: number, emit: (e: NewEvent) => void): void {
    const stopped = instances.filter((i) => i.state === 'stopping' || i.state === 'stopped');
    const current = new Set(stopped.map((i) => i.instanceId));
    for (const id of [...this.since.keys()]) if (!current.has(id)) this.since.delete(id);
    for (const i of stopped) {
      if (this.since.has(i.instanceId)) continue;
      // Never later than now: a time ahead of this machine's clock is EC2's clock, not a stop still to come.
      const at = Math.min(now, i.stateChangedAt ?? now);
      this.since.set(i.instanceId, at);
      emit(
        ev.stoppedOutside({
          instanceId: i.instanceId,
          queue: i.tags[TAG.queue] ?? '',
          // What is left of the grace, in whole minutes (a stop seen a poll after it happened is still "30 min").
          graceSec: Math.max(0, Math.round((at + STOPPED_GRACE_MS - now) / 60_000) * 60),
        }),
      );
    }
  }
}
