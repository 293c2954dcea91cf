/**
 * Spot instances AWS took back, told once each: a busy one has its task requeued with its own line (requeue.ts), but
 * an idle or booting one only had its worker unregistered ("instance … is gone"), which reads like a fault of the
 * app. EC2 says it either way: a listing that catches it shutting down, or a lookup by id of one the listing no
 * longer has (unlisted.ts), carries the state reason `Server.SpotInstanceTermination`.
 */
import { isFreeInterruption, SPOT_INTERRUPTED } from '../cost/accounting.js';
import { TAG, type InstanceObs } from '../ports.js';

export interface InterruptionGroup {
  queue: string;
  instanceIds: string[];
  /** Those taken back within an hour of their launch, which AWS does not charge for. */
  freeIds: string[];
}

/**
 * Pure. The interruptions among `seen` not told yet (`told`: said before, or requeued with their own line),
 * grouped per queue (queues and ids in order, for one stable line each).
 */
export function newInterruptions(
  seen: readonly InstanceObs[],
  told: ReadonlySet<string>,
  now: number,
): InterruptionGroup[] {
  const byQueue = new Map<string, InterruptionGroup>();
  const ids = new Set<string>();
  for (const i of seen) {
    if (i.stateReasonCode !== SPOT_INTERRUPTED || told.has(i.instanceId) || ids.has(i.instanceId)) continue;
    ids.add(i.instanceId);
    const queue = i.tags[TAG.queue] ?? '';
    const g = byQueue.get(queue) ?? { queue, instanceIds: [], freeIds: [] };
    g.instanceIds.push(i.instanceId);
    const endedAt = i.stateChangedAt ?? now;
    if (isFreeInterruption({ market: i.market, endReason: SPOT_INTERRUPTED, endedAt, launchedAt: i.launchedAt }))
      g.freeIds.push(i.instanceId);
    byQueue.set(queue, g);
  }
  return [...byQueue.values()]
    .map((g) => ({ ...g, instanceIds: g.instanceIds.sort(), freeIds: g.freeIds.sort() }))
    .sort((a, b) => a.queue.localeCompare(b.queue));
}

/** Its memory: the interruptions told, kept while EC2 still shows them (a terminated one stays listed by id ~1 h). */
export class SpotInterruptions {
  private told = new Set<string>();

  carryFrom(previous: SpotInterruptions): void {
    for (const id of previous.told) this.told.add(id);
  }

  /** Told elsewhere (a requeue line names the interruption): not said again. */
  toldElsewhere(ids: Iterable<string>): void {
    for (const id of ids) this.told.add(id);
  }

  /** The groups to tell this tick; `seen` is the listing and what lookups by id found ended. */
  observe(seen: readonly InstanceObs[], now: number): InterruptionGroup[] {
    const groups = newInterruptions(seen, this.told, now);
    for (const g of groups) for (const id of g.instanceIds) this.told.add(id);
    // Forget those EC2 no longer shows: the set does not grow for the life of the app.
    const shown = new Set(seen.map((i) => i.instanceId));
    for (const id of this.told) if (!shown.has(id)) this.told.delete(id);
    return groups;
  }
}
