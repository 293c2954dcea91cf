/**
 * The demand memory that sizes each queue's idle pool: the keep-warm rule's learned arrivals and boot times
 * (policy/warm-memory.ts), turned each tick into how many idle workers to keep beyond the pending tasks and how
 * many to start ahead of a periodic task. Its reasons go to the event log, each distinct one once per 10 minutes
 * (a pre-warm once per slot).
 */
import type { Config } from '../../../shared/config.js';
import type { Market } from '../../../shared/domain.js';
import type { NewEvent } from '../events.js';
import { foreignIdleOn, foreignSpare, type InFlightLaunch } from '../policy.js';
import type { ForeignWorker } from '../adoption.js';
import { netOfForeign, type KeepWarmVerdict } from '../policy/keep-warm.js';
import { keepWarmText, prewarmText } from '../reasons.js';
import { WarmMemory, type KeptWarm, type Resumed } from '../policy/warm-memory.js';
import type { WorldKey } from '../../../shared/config-review.js';
import type { InstanceObs, QueueObs, WorkerObs } from '../ports.js';
import type { PriceLookup } from '../snapshot.js';

export interface KeepWarmPlan {
  /** Per queue: idle workers worth keeping beyond the pending tasks (the policy's expectedArrivals). */
  expectedArrivals: Map<string, number>;
  /** Per queue: workers to start ahead of a task the queue's period predicts. */
  prewarm: Map<string, number>;
  /** Queues whose idle workers beyond the kept ones go at once: a pre-warm will cover the next task. */
  releaseIdle: Set<string>;
  /** Per queue: busy workers likely to free up within a boot (a waiting task takes one rather than a launch). */
  freeingSoon: Map<string, number>;
  /** Per queue: how long a kept idle worker may stay idle, where the forecast sets a limit (policy/keep-warm.ts). */
  keptIdleSec: Map<string, number>;
  /** Per queue, entry j: for how long (s) the queue has had at least j + 1 idle workers beyond its pending tasks. */
  idleRunSec: Map<string, number[]>;
}

export class KeepWarmController {
  private warm = new WarmMemory();
  /** The earliest time a pre-warm is due to start on some queue (ms), as of the last plan: a tick must run then. */
  nextPrewarmAt: number | null = null;

  constructor(private readonly prices: PriceLookup) {}

  /** The memory as kept in the data folder across a restart. */
  kept(world: WorldKey, now: number): KeptWarm {
    return this.warm.kept(world, now);
  }

  /** What a run before the restart kept, into this controller's memory before it observed anything. */
  resume(k: KeptWarm, world: WorldKey, now: number): Resumed {
    return this.warm.resume(k, world, now);
  }

  /** The learnt arrivals, boots and task times of the engine before this one (a new config of the same world). */
  carryFrom(previous: KeepWarmController): void {
    this.warm = previous.warm;
    this.nextPrewarmAt = previous.nextPrewarmAt;
  }

  plan(
    a: {
      config: Config;
      now: number;
      queues: readonly QueueObs[];
      instances: readonly InstanceObs[];
      workers: readonly WorkerObs[];
      inFlight: readonly InFlightLaunch[];
      /** Workers of ClearML's autoscaler (adoption.ts): their idle ones cover the forecast first (`foreignSpare`). */
      foreign?: readonly ForeignWorker[];
    },
    emitOnce: (key: string, e: NewEvent) => void,
    /** False on a tick that only observes: the memory learns, but no verdict is logged or counted as acted on. */
    acting = true,
  ): KeepWarmPlan {
    this.warm.observe(a.queues, a.instances, a.workers, a.now);
    const listed = new Set(a.instances.map((i) => i.instanceId));
    const unlisted = new Map<string, number>();
    for (const f of a.inFlight)
      if (!f.instanceId || !listed.has(f.instanceId)) unlisted.set(f.queue, (unlisted.get(f.queue) ?? 0) + 1);
    const warmth = this.warm.decide({
      config: a.config,
      now: a.now,
      queues: a.queues,
      instances: a.instances,
      workers: a.workers,
      unlistedByQueue: unlisted,
      price: (type: string, market: Market) => this.prices(type, market).price,
      acting,
    });
    const verdicts = new Map([...warmth].map(([q, w]) => [q, w.verdict]));
    // Logged as the plan applies it: the plan nets ClearML's idle workers from the forecast's count by the same rule.
    const pending = new Map(a.queues.map((q) => [q.name, q.entries.length]));
    if (acting)
      for (const [queue, w] of warmth) {
        const spare = foreignSpare(foreignIdleOn(a.foreign, queue), pending.get(queue) ?? 0, w.idle);
        logVerdict(queue, netOfForeign(w.verdict, spare), emitOnce);
      }
    const at = [...verdicts.values()].flatMap((v) => (v.prewarmAt === null ? [] : [v.prewarmAt]));
    this.nextPrewarmAt = at.length ? Math.min(...at) : null;
    return {
      expectedArrivals: new Map([...verdicts].map(([q, v]) => [q, v.keep])),
      prewarm: new Map([...verdicts].map(([q, v]) => [q, v.prewarm])),
      releaseIdle: new Set([...verdicts].flatMap(([q, v]) => (v.release ? [q] : []))),
      freeingSoon: new Map([...warmth].map(([q, w]) => [q, w.freeSoon.count])),
      keptIdleSec: new Map([...verdicts].flatMap(([q, v]) => (v.keptIdleSec === null ? [] : [[q, v.keptIdleSec]]))),
      idleRunSec: new Map([...warmth].map(([q, w]) => [q, w.idleRunSec])),
    };
  }
}

function logVerdict(queue: string, v: KeepWarmVerdict, emitOnce: (key: string, e: NewEvent) => void): void {
  const code = v.reason.code;
  if (code !== 'none-idle')
    emitOnce(`keep-warm|${queue}|${code}|${v.keep}`, {
      level: 'info',
      kind: 'decision',
      queue,
      message: keepWarmText(queue, v.reason),
    });
  // Once per slot (a slot is pre-warmed once), with the count: the launches that follow start machines for tasks
  // not enqueued yet, and a launch cut short by a crash is re-sent by the next process without its own event.
  if (v.prewarmReason)
    emitOnce(`prewarm|${queue}|${v.prewarmSlotAt}`, {
      level: 'info',
      kind: 'decision',
      queue,
      message: prewarmText(queue, v.prewarmReason),
      prewarm: v.prewarm,
    });
}
