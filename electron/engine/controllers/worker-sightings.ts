/**
 * What the spin-up rule (`policy/spin-up.ts`) needs to remember across ticks: when each instance's worker was last
 * listed, and when ClearML could not be read. Kept only for instances still listed and outages of the last day
 * (the spin-up time is at most 24 h), so it does not grow with a long run.
 */
import type { InstanceObs, WorkerObs } from '../ports.js';
import type { Outage } from '../policy/spin-up.js';
import { instanceIdOfWorker } from '../workers.js';

/** Outages that ended longer ago than the longest spin-up time cannot change a verdict any more. */
const KEEP_OUTAGES_MS = 24 * 3600_000;

export class WorkerSightings {
  private readonly seen = new Map<string, number>();
  private readonly down: Outage[] = [];

  /** instanceId → the last tick that listed its worker. */
  get seenAt(): ReadonlyMap<string, number> {
    return this.seen;
  }

  get outages(): readonly Outage[] {
    return this.down;
  }

  /** Every tick, whether ClearML answered (`clearmlOk`) or not; the workers only count from a good read. */
  observe(
    now: number,
    clearmlOk: boolean,
    workers: readonly WorkerObs[],
    instances: readonly InstanceObs[] | null,
    prefix: string,
  ): void {
    const open = this.down.at(-1);
    if (!clearmlOk) {
      if (!open || open.to !== null) this.down.push({ from: now, to: null });
    } else if (open && open.to === null) open.to = now;
    while (this.down.length && this.down[0]!.to !== null && now - this.down[0]!.to > KEEP_OUTAGES_MS) this.down.shift();
    if (!instances) return;
    const listed = new Set(instances.map((i) => i.instanceId));
    for (const id of [...this.seen.keys()]) if (!listed.has(id)) this.seen.delete(id);
    if (!clearmlOk) return;
    for (const w of workers) {
      const id = instanceIdOfWorker(w.id, prefix);
      if (id && listed.has(id)) this.seen.set(id, now);
    }
  }

  /** The previous engine's memory of the same world (a settings save). */
  carryFrom(previous: WorkerSightings): void {
    for (const [id, at] of previous.seen) this.seen.set(id, at);
    this.down.push(...previous.down);
  }
}
