/**
 * Instances of ours stopped outside the app (the console, a script, a scheduled stop): the app never stops an
 * instance itself, so one stopped is nobody's capacity while its volumes keep billing. This remembers since when
 * each has been seen stopped (or stopping); the policy terminates it once that is `STOPPED_GRACE_MS` old, and the
 * warning at first sight says so. Started again within the grace, it is forgotten. The memory is this engine run's:
 * after a restart the grace counts from the first tick that sees it stopped.
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
      this.since.set(i.instanceId, now);
      emit(
        ev.stoppedOutside({
          instanceId: i.instanceId,
          queue: i.tags[TAG.queue] ?? '',
          graceSec: STOPPED_GRACE_MS / 1000,
        }),
      );
    }
  }
}
