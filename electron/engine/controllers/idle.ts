/**
 * Idle tracking: since when each instance's worker has been idle on consecutive observations. The policy reads
 * it to pick which idle workers go (the longest idle first); a busy sighting or a vanished worker resets it.
 * A worker already idle at the engine's first good read may have been idle since before a restart: its true start
 * is unknown, so it is marked `inherited` and nothing may keep it warm beyond the short limit. Its spell cannot
 * have begun before the last moment it is known to have been busy or to have registered (ClearML's registration
 * time, and the task spans the cost history kept across the restart), so that moment is kept with it: from there
 * on maxIdleMin is a hard ceiling even across a restart.
 *
 * Workers on instances ClearML's autoscaler launched are timed too (`observeForeign`): one adopted while idle keeps
 * the idle time already seen, or adopting it would restart its clock and keep it a whole maxIdleMin more.
 */
import type { Observation } from './observe.js';
import { instanceIdOfWorker } from '../workers.js';

export class IdleTracker {
  private readonly since = new Map<string, number>();
  private readonly fromStart = new Map<string, number | null>();
  /** Foreign instances (ClearML's autoscaler's) → when their worker was first seen idle. */
  private readonly foreignSince = new Map<string, number>();
  /** Adopted while idle, not yet listed as ours → since when idle (moved from `foreignSince`). */
  private readonly adopted = new Map<string, number>();
  private firstRead = true;

  /** instanceId → ms when its worker was first seen idle. */
  get idleSince(): ReadonlyMap<string, number> {
    return this.since;
  }

  /**
   * Instances whose worker was already idle at the first good read (idle since an unknown time) → the last moment
   * it is known to have been busy or to have registered (ms), or null when nothing is known.
   */
  get inherited(): ReadonlyMap<string, number | null> {
    return this.fromStart;
  }

  /**
   * Only with a good ClearML read: a failed one says nothing about who is idle. `lastBusyAt`: the last moment the
   * cost history saw the instance busy or registered, for a worker idle since before this engine started.
   */
  observe(obs: Observation, prefix: string, lastBusyAt?: (instanceId: string) => number | null): void {
    const byInstance = new Map(obs.workers.map((w) => [instanceIdOfWorker(w.id, prefix), w]));
    const seen = new Set<string>();
    for (const inst of obs.instances) {
      const w = byInstance.get(inst.instanceId);
      if (!w) continue;
      seen.add(inst.instanceId);
      const adoptedIdleSince = this.adopted.get(inst.instanceId);
      this.adopted.delete(inst.instanceId);
      if (w.task) this.forget(inst.instanceId);
      else if (!this.since.has(inst.instanceId)) {
        this.since.set(inst.instanceId, Math.min(adoptedIdleSince ?? obs.now, obs.now));
        if (this.firstRead) {
          const known = [w.registeredAt, lastBusyAt?.(inst.instanceId) ?? null].filter(
            (t): t is number => t !== null && Number.isFinite(t),
          );
          this.fromStart.set(inst.instanceId, known.length ? Math.max(...known) : null);
        }
      }
    }
    for (const id of [...this.since.keys()]) if (!seen.has(id)) this.forget(id);
    this.firstRead = false;
  }

  /**
   * This tick's workers on instances ClearML's autoscaler launched (`triageWorkers`): each idle one is timed from the
   * first tick that saw it idle, as ours are; a busy or vanished one starts over.
   */
  observeForeign(foreign: readonly { instanceId: string; busy: boolean }[], now: number): void {
    const idle = new Set(foreign.flatMap((f) => (f.busy ? [] : [f.instanceId])));
    for (const id of [...this.foreignSince.keys()]) if (!idle.has(id)) this.foreignSince.delete(id);
    for (const id of idle) if (!this.foreignSince.has(id)) this.foreignSince.set(id, now);
  }

  /** Just adopted: an idle one's timer carries over to when the tick first lists it as ours. */
  handOver(instanceIds: readonly string[]): void {
    for (const id of instanceIds) {
      const at = this.foreignSince.get(id);
      this.foreignSince.delete(id);
      if (at !== undefined) this.adopted.set(id, at);
    }
  }

  /**
   * The timers of the engine before this one, when a new config of the same world replaced it: a worker idle
   * under the old config stays idle since then, instead of counting as idle since an unknown time (which lets it
   * go after the short limit).
   */
  carryFrom(previous: IdleTracker): void {
    for (const [id, at] of previous.since) if (!this.since.has(id)) this.since.set(id, at);
    for (const [id, at] of previous.fromStart) if (!this.fromStart.has(id)) this.fromStart.set(id, at);
    for (const [id, at] of previous.foreignSince) if (!this.foreignSince.has(id)) this.foreignSince.set(id, at);
    for (const [id, at] of previous.adopted) if (!this.adopted.has(id)) this.adopted.set(id, at);
    this.firstRead &&= previous.firstRead;
  }

  /** Its timer starts over (it was found busy at the last moment, or it is gone). */
  forget(instanceId: string): void {
    this.since.delete(instanceId);
    this.fromStart.delete(instanceId);
  }
}
