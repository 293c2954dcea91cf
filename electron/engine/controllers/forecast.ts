/**
 * The demand forecast that sizes the idle pool: tasks each queue is expected to get within the next maxIdleMin,
 * taken as the number that arrived in the last maxIdleMin (the recent past is the forecast). A task counts from
 * when it is first seen pending.
 */
import type { QueueObs } from '../ports.js';

export class ArrivalForecast {
  /** queue → task id → when it arrived. */
  private readonly arrivals = new Map<string, Map<string, number>>();

  expected(queues: readonly QueueObs[], now: number, windowMs: number): Map<string, number> {
    const out = new Map<string, number>();
    for (const q of queues) {
      let seen = this.arrivals.get(q.name);
      if (!seen) this.arrivals.set(q.name, (seen = new Map<string, number>()));
      for (const e of q.entries) if (!seen.has(e.taskId)) seen.set(e.taskId, Math.max(e.addedAt, now - windowMs));
      let recent = 0;
      for (const [id, at] of seen) {
        if (now - at > windowMs) seen.delete(id);
        else recent++;
      }
      out.set(q.name, recent);
    }
    return out;
  }
}
