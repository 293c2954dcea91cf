/**
 * The little the engine remembers for the keep-warm rule between ticks: when each queue's tasks arrived (the
 * server's enqueue time, once per task id) and how long our instances took to boot (launch → worker registered).
 * `decide` turns that memory and this tick's observation into one keep-warm verdict per queue through the pure
 * learner (arrivals.ts) and rule (keep-warm.ts). The host keeps it across a restart (`kept`, `resume`) and hands it
 * to the engine of a new config.
 */
import { z } from 'zod';
import type { Config } from '../../../shared/config.js';
import type { Market } from '../../../shared/domain.js';
import { TAG, type InstanceObs, type QueueObs, type WorkerObs } from '../ports.js';
import { parseWorkerId } from '../workers.js';
import { sameWorld, type WorldKey } from '../../../shared/config-review.js';
import { forecastArrivals } from './arrivals.js';
import { freeingSoon, holdShare, meanDurationSec, type FreeSoon } from './durations.js';
import {
  BURST_WINDOW_BOOTS,
  DEFAULT_BOOT_SEC,
  keepWarm,
  type KeepWarmInput,
  type KeepWarmVerdict,
} from './keep-warm.js';
import { entryOf } from '../../../shared/data-record.js';

/**
 * A queue's keep-warm verdict, how many of its busy workers are likely to free up within a boot, and what the
 * rule was given (what the memory learned and this tick counted).
 */
export interface QueueWarmth {
  verdict: KeepWarmVerdict;
  /** Entry j: for how long (s) the queue has had at least j + 1 idle workers beyond its pending tasks. */
  idleRunSec: number[];
  freeSoon: FreeSoon;
  input: KeepWarmInput;
  /** This app's idle workers on the queue (before the pending tasks take theirs). */
  idle: number;
}

/** Arrivals kept per queue (enough for a rate over an hour and a period over eight gaps). */
const MAX_ARRIVALS = 512;
const MAX_AGE_MS = 24 * 3600_000;
const BOOT_SAMPLES = 20;
/** How far back the peak demand (busy + pending) that bounds the useful idle workers is taken. */
const DEMAND_WINDOW_MS = 30 * 60_000;
/** Completed task durations kept per queue. */
const DURATION_SAMPLES = 200;
/**
 * The longest a restart may have kept the engine from watching for the arrivals, demand, running tasks and
 * pre-warmed slots it remembered before to be taken back as if it had watched throughout: long enough for an
 * update or a crash and relaunch, short enough that a whole task (arrival, run and end) is unlikely to have
 * passed unseen. After a longer gap a missed batch would read as a broken period and the silence as a pause, so
 * those are learnt again; boot and task times, which say nothing of when, are taken back after any gap.
 */
export const RESUME_GAP_MS = 2 * 60_000;
/** Instances whose boot was learnt, kept across a restart so a still-running one is not counted twice. */
const BOOT_SEEN_KEPT = 200;

const at = z.number().finite();
/**
 * Learnt times, each in (0, max]: one out of range (a duration learnt negative across a clock step by an earlier
 * version) is dropped alone, so the rest of what was learnt is kept rather than the whole file set aside.
 */
const learntTimes = (samples: number, max: number) =>
  z
    .array(z.number())
    .max(samples)
    .transform((xs) => xs.filter((x) => Number.isFinite(x) && x > 0 && x <= max));
const id = z.string().min(1).max(256);
const QueueKeptSchema = z.object({
  arrivals: z.array(at).max(MAX_ARRIVALS),
  /** The latest task ids counted, so a task still pending after the restart is not counted again. */
  ids: z.array(id).max(MAX_ARRIVALS),
  durations: learntTimes(DURATION_SAMPLES, Number.MAX_VALUE),
  demand: z.array(z.object({ at, n: z.number().int().nonnegative() })).max(4000),
  prewarmedSlot: at.nullable(),
});
/** The memory as kept in the data folder across a restart (`WarmMemory.kept` / `resume`). */
export const KeptWarmSchema = z.object({
  version: z.literal(1),
  world: z.object({ apiHost: z.string().max(2048), region: z.string().max(64), workersPrefix: z.string().max(256) }),
  savedAt: at,
  since: at.nullable(),
  boots: learntTimes(BOOT_SAMPLES, 3600),
  bootSeen: z.array(id).max(BOOT_SEEN_KEPT),
  queues: z
    .record(z.string().max(256), QueueKeptSchema)
    .refine((q) => Object.keys(q).length <= 1000, 'more than 1000 queues'),
  running: z
    .array(z.object({ worker: id, taskId: id, queues: z.array(z.string().max(256)).max(100), since: at, lastSeen: at }))
    .max(10_000),
});
export type KeptWarm = z.infer<typeof KeptWarmSchema>;

/** What `resume` took back: everything, only the boot and task times (a long gap), or nothing (another world). */
export type Resumed = {
  taken: 'all' | 'times' | 'none';
  gapSec: number;
  /** Queues whose arrivals were kept. */
  queues: number;
  boots: number;
  durations: number;
};

export class WarmMemory {
  private since: number | null = null;
  private readonly seen = new Map<string, Set<string>>();
  private readonly times = new Map<string, number[]>();
  private readonly bootSeen = new Set<string>();
  private boots: number[] = [];
  private readonly demand = new Map<string, { at: number; n: number }[]>();
  /** Per worker id: the task it was last seen running, since when, and when it was last seen running it. */
  private readonly running = new Map<string, { taskId: string; queues: string[]; since: number; lastSeen: number }>();
  private readonly durations = new Map<string, number[]>();
  /** Per queue, the periodic slot last pre-warmed for (each slot is pre-warmed once). */
  private readonly prewarmedSlot = new Map<string, number>();
  /** Per queue: entry j is since when (ms) the queue has had at least j + 1 idle workers beyond its pending tasks. */
  private readonly idleRuns = new Map<string, number[]>();

  /** The memory as kept across a restart, for the world it watched. */
  kept(world: WorldKey, now: number): KeptWarm {
    const queues: KeptWarm['queues'] = {};
    for (const name of new Set([...this.times.keys(), ...this.durations.keys(), ...this.demand.keys()]))
      queues[name] = {
        arrivals: [...(this.times.get(name) ?? [])],
        ids: [...(this.seen.get(name) ?? [])].slice(-MAX_ARRIVALS),
        durations: [...(this.durations.get(name) ?? [])],
        demand: [...(this.demand.get(name) ?? [])],
        prewarmedSlot: this.prewarmedSlot.get(name) ?? null,
      };
    return {
      version: 1,
      world,
      savedAt: now,
      since: this.since,
      boots: [...this.boots],
      bootSeen: [...this.bootSeen].slice(-BOOT_SEEN_KEPT),
      queues,
      running: [...this.running].map(([worker, r]) => ({ worker, ...r, queues: [...r.queues] })),
    };
  }

  /**
   * Takes back what a run before the restart kept, into a memory that has observed nothing yet: nothing from
   * another world; after a gap up to RESUME_GAP_MS everything, as if watched throughout; after a longer one only
   * the boot and task times.
   */
  resume(k: KeptWarm, world: WorldKey, now: number): Resumed {
    const gapSec = Math.max(0, (now - k.savedAt) / 1000);
    const queues = Object.entries(k.queues);
    const durations = queues.reduce((n, [, q]) => n + q.durations.length, 0);
    if (!sameWorld(k.world, world)) return { taken: 'none', gapSec, queues: 0, boots: 0, durations: 0 };
    this.boots = [...k.boots];
    for (const i of k.bootSeen) this.bootSeen.add(i);
    for (const [name, q] of queues) if (q.durations.length) this.durations.set(name, [...q.durations]);
    const all = now - k.savedAt <= RESUME_GAP_MS && now >= k.savedAt;
    if (all) {
      this.since = k.since;
      for (const [name, q] of queues) {
        this.times.set(
          name,
          [...q.arrivals].sort((a, b) => a - b),
        );
        this.seen.set(name, new Set(q.ids));
        this.demand.set(name, [...q.demand]);
        if (q.prewarmedSlot !== null) this.prewarmedSlot.set(name, q.prewarmedSlot);
      }
      for (const r of k.running)
        this.running.set(r.worker, { taskId: r.taskId, queues: [...r.queues], since: r.since, lastSeen: r.lastSeen });
    }
    const learnt = queues.filter(([, q]) => q.arrivals.length).length;
    return { taken: all ? 'all' : 'times', gapSec, queues: learnt, boots: k.boots.length, durations };
  }

  /** Record new arrivals (pending, or already running on our workers) and boot times from this tick's observation. */
  observe(queues: readonly QueueObs[], instances: readonly InstanceObs[], workers: readonly WorkerObs[], now: number) {
    this.since ??= now;
    for (const q of queues) {
      let ids = this.seen.get(q.name);
      if (!ids) this.seen.set(q.name, (ids = new Set()));
      let times = this.times.get(q.name);
      if (!times) this.times.set(q.name, (times = []));
      for (const e of q.entries) {
        if (ids.has(e.taskId)) continue;
        ids.add(e.taskId);
        times.push(Math.max(this.since, Math.min(now, e.addedAt)));
      }
      // A warm worker often takes a task between two polls, so it is never seen pending: a task first seen
      // running on one of this queue's workers arrived within the last poll.
      for (const w of workers) {
        if (!w.task || !w.queues.includes(q.name) || ids.has(w.task.id)) continue;
        ids.add(w.task.id);
        times.push(now);
      }
      times.sort((x, y) => x - y);
      const keepFrom = times.findIndex((t) => now - t <= MAX_AGE_MS);
      if (keepFrom !== 0 || times.length > MAX_ARRIVALS) {
        const cut = keepFrom < 0 ? times.length : Math.max(keepFrom, times.length - MAX_ARRIVALS);
        times.splice(0, cut);
      }
      if (ids.size > 4 * MAX_ARRIVALS) ids.clear(); // ids of long-gone tasks; a re-seen one only re-counts once
    }
    this.observeRunning(workers, now);
    const byId = new Map(instances.map((i) => [i.instanceId, i]));
    for (const w of workers) {
      const id = parseWorkerId(w.id)?.instanceId;
      const inst = id ? byId.get(id) : undefined;
      if (!id || !inst || w.registeredAt === null || this.bootSeen.has(id)) continue;
      this.bootSeen.add(id);
      const sec = (w.registeredAt - inst.launchedAt) / 1000;
      if (sec > 0 && sec < 3600) this.boots = [...this.boots.slice(-(BOOT_SAMPLES - 1)), sec];
    }
    if (this.bootSeen.size > 10_000) this.bootSeen.clear();
  }

  /**
   * Task durations from busy spans: a task's duration is from the tick that first saw it running to halfway
   * between the last tick that saw it and the first that did not (the tick grid's best estimate).
   */
  private observeRunning(workers: readonly WorkerObs[], now: number): void {
    const current = new Map(workers.flatMap((w) => (w.task ? [[w.id, w] as const] : [])));
    for (const [id, r] of this.running) {
      const w = current.get(id);
      if (w?.task?.id === r.taskId) continue;
      const sec = ((r.lastSeen + now) / 2 - r.since) / 1000;
      // A task seen across a clock step back reads as lasting no time or less: it says nothing of durations.
      if (!(sec > 0)) {
        this.running.delete(id);
        continue;
      }
      for (const q of r.queues) {
        let d = this.durations.get(q);
        if (!d) this.durations.set(q, (d = []));
        d.push(sec);
        if (d.length > DURATION_SAMPLES) d.shift();
      }
      this.running.delete(id);
    }
    for (const [id, w] of current) {
      const r = this.running.get(id);
      if (r) r.lastSeen = now;
      else this.running.set(id, { taskId: w.task!.id, queues: [...w.queues], since: now, lastSeen: now });
    }
  }

  /** The boot time a relaunch is expected to take: the mean of recent boots, or a typical default. */
  bootSec(): number {
    return this.boots.length ? this.boots.reduce((a, b) => a + b, 0) / this.boots.length : DEFAULT_BOOT_SEC;
  }

  /**
   * A boot most boots stay under, for timing a pre-warm: the slowest recent boot; with fewer than five seen, at
   * least a quarter over the typical default (one fast boot says little about the next).
   */
  bootHighSec(): number {
    const slowest = this.boots.reduce((m, b) => Math.max(m, b), 0);
    return this.boots.length >= 5 ? slowest : Math.max(slowest, 1.25 * DEFAULT_BOOT_SEC);
  }

  decide(a: {
    config: Config;
    now: number;
    queues: readonly QueueObs[];
    instances: readonly InstanceObs[];
    workers: readonly WorkerObs[];
    /** Launches not yet listed, per queue. */
    unlistedByQueue: ReadonlyMap<string, number>;
    price: (type: string, market: Market) => number;
    /**
     * Whether this tick may act on the verdicts (default true). A tick that only observes (autoscaling off, a
     * standby engine) still learns from what it sees, but leaves a slot it would pre-warm unmarked: nothing was
     * launched for it, so an engine that starts acting before the slot still pre-warms it.
     */
    acting?: boolean;
  }): Map<string, QueueWarmth> {
    const { config, now } = a;
    const workerOf = new Map<string, WorkerObs>();
    for (const w of a.workers) {
      const p = parseWorkerId(w.id);
      if (p && p.prefix === config.scaling.workersPrefix) workerOf.set(p.instanceId, w);
    }
    type Counts = { idle: number; busy: number; booting: number; price: number; busyElapsedSec: number[] };
    const counts = new Map<string, Counts>();
    const none = (): Counts => ({ idle: 0, busy: 0, booting: 0, price: 0, busyElapsedSec: [] });
    for (const i of a.instances) {
      if (i.state !== 'pending' && i.state !== 'running') continue;
      const q = i.tags[TAG.queue] ?? '';
      const c = counts.get(q) ?? none();
      const w = workerOf.get(i.instanceId);
      if (!w) c.booting++;
      else if (w.task) {
        c.busy++;
        const r = this.running.get(w.id);
        c.busyElapsedSec.push(r ? (now - r.since) / 1000 : 0);
      } else {
        c.idle++;
        c.price = Math.max(c.price, a.price(i.instanceType, i.market));
      }
      counts.set(q, c);
    }
    const out = new Map<string, QueueWarmth>();
    const since = this.since ?? now;
    for (const q of a.queues) {
      if (!entryOf(config.queues, q.name)) continue;
      const c = counts.get(q.name) ?? none();
      const pending = q.entries.length;
      let d = this.demand.get(q.name);
      if (!d) this.demand.set(q.name, (d = []));
      d.push({ at: now, n: c.busy + pending });
      while (d.length && now - d[0]!.at > DEMAND_WINDOW_MS) d.shift();
      const peak = d.reduce((m, x) => Math.max(m, x.n), 0);
      const booting = c.booting + (a.unlistedByQueue.get(q.name) ?? 0);
      const durations = this.durations.get(q.name) ?? [];
      // Latency launches for every waiting task; cost and balanced let a task wait for a worker about to free up.
      const freeSoon =
        config.scaling.preference === 'latency'
          ? { count: 0, horizonSec: 0 }
          : freeingSoon({
              durations,
              busyElapsedSec: c.busyElapsedSec,
              horizonSec: this.bootSec(),
            });
      const input: KeepWarmInput = {
        preference: config.scaling.preference,
        forecast: forecastArrivals(this.times.get(q.name) ?? [], now, since),
        now,
        pricePerHour: c.price,
        bootSec: this.bootSec(),
        bootHighSec: this.bootHighSec(),
        pollSec: config.scaling.pollingIntervalSec,
        maxIdleSec: config.scaling.maxIdleMin * 60,
        candidates: Math.max(0, c.idle - pending),
        readyOrPending: c.idle + booting + pending,
        maxUseful: Math.max(0, peak - c.busy),
        freeingSoon: freeSoon.count,
        holdShare: holdShare(durations, BURST_WINDOW_BOOTS * this.bootSec()),
        meanDurationSec: meanDurationSec(durations),
        busy: c.busy,
        prewarmedSlotAt: this.prewarmedSlot.get(q.name) ?? null,
      };
      const verdict = keepWarm(input);
      if (verdict.prewarmSlotAt !== null && (a.acting ?? true)) this.prewarmedSlot.set(q.name, verdict.prewarmSlotAt);
      // Counted at each tick, as each worker's own idle time is: a dip no tick sees (a task taken and a worker
      // freed in between) leaves a run unbroken.
      const runs = (this.idleRuns.get(q.name) ?? []).slice(0, input.candidates);
      while (runs.length < input.candidates) runs.push(now);
      this.idleRuns.set(q.name, runs);
      out.set(q.name, { verdict, freeSoon, input, idle: c.idle, idleRunSec: runs.map((t) => (now - t) / 1000) });
    }
    return out;
  }
}
