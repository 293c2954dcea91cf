/**
 * Feeds the cost history from what each tick observes (launches, registrations, task starts and ends,
 * terminations) and answers the engine's money questions: what this month has cost so far, whether a launch would
 * cross a budget cap, which caps were just crossed, and the cost figures the snapshot shows.
 * The history is an append-only journal, so the month's spend survives restarts.
 */
import type { Budgets, CapStatus } from '../../../shared/budget.js';
import { isLiveState, type Market } from '../../../shared/domain.js';
import { TAG, type InstanceObs, type TaskObs, type WorkerObs } from '../ports.js';
import { parseWorkerId } from '../workers.js';
import { costUpTo, priceAt, SPOT_INTERRUPTED, type PriceChange, startOfUtcDay, startOfUtcMonth } from './accounting.js';
import { CapWatch, withBurn, type SpendFigures } from './budget.js';
import type { CostFactInput, CostHistory, InstanceRecord } from './history.js';
import type { PriceBook } from './price-book.js';
import { unseenTaskEnd } from './unseen-task-end.js';

export interface CostExtras {
  monthToDate: number;
  spendToday: number;
  spendByQueue: Record<string, number>;
  spendByResource: Record<string, number>;
  byTask: { taskId: string; name?: string; queue: string; cost: number }[];
  overheadByQueue: Record<string, { boot: number; idle: number }>;
  spotSavings: number;
  budgets: CapStatus[];
}

/**
 * When this app took an adopted instance over (its `adopted-at` tag, ms on AWS's clock, as the tick's `now`), or
 * null for one it launched. Its life before that was ClearML's autoscaler's: spent before the switch, not by this
 * app, so its cost record starts there. A tag from the future (a wrong clock) counts from `now`.
 */
export function adoptedAt(i: InstanceObs, now: number): number | null {
  const raw = i.tags[TAG.adoptedAt];
  const at = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(at) && at > 0 ? Math.min(at, now) : null;
}

/**
 * When the adopted instance was adopted, if that was during the EC2 period running now (not stopped and started
 * since); null for one this app launched or one started again after its adoption.
 */
export function adoptedThisPeriod(i: InstanceObs, now: number): number | null {
  const adopted = adoptedAt(i, now);
  return adopted !== null && adopted >= i.launchedAt ? adopted : null;
}

/**
 * Where the instance's cost starts, as its record starts: at its adoption when that was during the EC2 period running
 * now (its time before was ClearML's autoscaler's), else at its launch. The snapshot's estimate without a record
 * starts there too.
 */
export function billedFrom(i: InstanceObs, now: number): number {
  return adoptedThisPeriod(i, now) ?? i.launchedAt;
}

/**
 * A record made by a version of the app from before records of adopted instances started at the adoption: open,
 * started at EC2's launch though the instance was adopted later in the same EC2 period, so it books the days ClearML's
 * autoscaler ran it as this app's spend (and boot overhead). The corrected record, as one made now would be: from
 * the adoption, registered there, EC2's launch kept for the free spot interruption; null when there is nothing to
 * correct. Only an open record of a listed instance can be corrected: its adoption is read from its tag, which an
 * ended one no longer shows (EC2 stops listing it), and its record alone cannot tell a long boot from an adoption.
 * No record starts before the adoption otherwise: an instance of ClearML's autoscaler is listed as this app's, and
 * so recorded, only once its adoption tagged it.
 */
export function correctedAdoption(rec: InstanceRecord, i: InstanceObs, now: number): InstanceRecord | null {
  const adopted = adoptedThisPeriod(i, now);
  if (adopted === null || rec.endedAt !== null || rec.launchedAt >= adopted || rec.launchedAt < i.launchedAt)
    return null;
  return {
    ...rec,
    launchedAt: adopted,
    ec2LaunchedAt: rec.ec2LaunchedAt ?? rec.launchedAt,
    registeredAt: rec.registeredAt === null ? null : adopted,
    tasks: rec.tasks.map((t) => ({
      ...t,
      startedAt: Math.max(t.startedAt, adopted),
      endedAt: t.endedAt === null ? null : Math.max(t.endedAt, adopted),
    })),
  };
}

/**
 * When an instance found gone ended. Between two ticks a poll apart, `now` is within a poll of it. After a long gap
 * (a sleep, a stopped process) the watchdog stopped an idle one once its lease + grace ran out: the latest lease
 * the engine could have written at the last tick that listed it is that tick + lease (a renewal in that tick moves
 * the tag there, none leaves it earlier), so it billed until no later than last seen + lease + grace. Billing it
 * until the engine woke would count phantom spend, hours of it after a night's sleep. A busy one is not stopped by
 * its watchdog, and when its task ended is unknown: it is billed to `now`, the bound that never under-counts.
 */
export function endOf(lastSeen: number | undefined, idle: boolean, now: number, idleStopsWithinMs?: number): number {
  if (!idle || lastSeen === undefined || idleStopsWithinMs === undefined) return now;
  return Math.max(lastSeen, Math.min(now, lastSeen + idleStopsWithinMs));
}

/**
 * The move of a running spot instance's price since its record last priced it (its zone's spot price as the price
 * book last fetched it, from that fetch on), or null. AWS bills a spot instance at the spot price in force each
 * second, not the one at its launch. Only a price fetched for its own zone moves it: a fallback (another zone's, a
 * typical discount) is no news about what this instance pays. The book refreshes hourly, so a record gains a change
 * at most that often, and only when the price differs: changes, not samples.
 */
export function spotPriceMove(
  rec: InstanceRecord,
  i: InstanceObs,
  book: Pick<PriceBook, 'hourly'>,
  now: number,
): PriceChange | null {
  if (rec.market !== 'spot' || i.market !== 'spot' || rec.endedAt !== null || !i.zone) return null;
  const quote = book.hourly(i.instanceType, 'spot', i.zone);
  if (quote.source.kind !== 'spot-history' || quote.source.zone !== i.zone) return null;
  if (quote.price === priceAt(rec, now)) return null;
  // In force since the fetch that saw it, but never before what the record already priced (nor after this tick).
  const since = rec.priceChanges?.at(-1)?.at ?? rec.launchedAt;
  return { at: Math.min(now, Math.max(quote.source.fetchedAt ?? now, since)), hourlyPrice: quote.price };
}

/**
 * A launch EC2 does not list yet (its listing is eventually consistent): it bills already, but the history, fed
 * only from what EC2 lists, does not know it. The caps count it, or each tick would launch again against a burn
 * that leaves out the last tick's launches.
 */
export interface PendingLaunch {
  /** Null for one recovered from the launch journal whose id EC2 never returned. */
  instanceId: string | null;
  queue: string;
  hourlyPrice: number;
}

/** What a tick knows besides its listings, for `CostTracker.observe`. */
export interface ObserveExtras {
  /**
   * With leases on, lease + grace (ms): an instance idle when last listed that is gone now was powered off by its
   * watchdog no later than that long after (see `endOf`).
   */
  idleStopsWithinMs?: number | undefined;
  /** When this app's terminate call ended each instance it terminated (ms, the tick's clock). */
  terminatedAt?: ReadonlyMap<string, number> | undefined;
  /** The tasks `endedUnseen` named, as ClearML has them now: when each ended. */
  tasksRead?: ReadonlyMap<string, TaskObs> | undefined;
  /**
   * EC2's state reason of instances not listed that it described by id as ended: a spot interruption the listing
   * never showed (a poll apart, its shutting-down passed unseen) still ends its record as one.
   */
  endReasons?: ReadonlyMap<string, string> | undefined;
}

export class CostTracker {
  /** The caps' states across ticks (each crossing reported once). */
  readonly caps = new CapWatch();
  /** When each live instance was last listed (this process's observations; a restart starts empty). */
  private readonly lastSeen = new Map<string, number>();
  private recoveries = 0;

  constructor(
    private readonly history: CostHistory,
    private readonly book: PriceBook,
  ) {}

  /** Facts recorded in memory that a failed write has kept off the disk so far. */
  get unsavedFacts(): number {
    return this.history.unsaved;
  }

  /** How many times writing came back after failing: a new failure after that is news again. */
  get writeRecoveries(): number {
    return this.recoveries;
  }

  /**
   * The last moment the history knows the instance busy or registered (ms): its registration, the start of each
   * task it ran and the end of each that ended; null for an instance it has no record of. Read before this tick's
   * facts are recorded, it bounds how long a worker can have been idle across a restart.
   */
  lastBusyAt(instanceId: string): number | null {
    const rec = this.history.get(instanceId);
    if (!rec) return null;
    const times = [rec.registeredAt, ...rec.tasks.flatMap((t) => [t.startedAt, t.endedAt])].filter(
      (t): t is number => t !== null,
    );
    return times.length ? Math.max(...times) : null;
  }

  /**
   * The open tasks that may have ended while nobody polled: on an instance not listed for longer than `gapMs` (or
   * not since this process started) and no longer on its worker (or whose instance is gone). The engine reads them
   * from ClearML, so `observe` ends each when ClearML says it did, not at this poll (`unseenTaskEnd`).
   */
  endedUnseen(instances: readonly InstanceObs[], workers: readonly WorkerObs[], now: number, gapMs: number): string[] {
    const running = new Set(workers.flatMap((w) => (w.task ? [w.task.id] : [])));
    const listed = new Set(instances.filter((i) => isLiveState(i.state)).map((i) => i.instanceId));
    const ids: string[] = [];
    for (const rec of this.history.openInstances()) {
      const open = rec.tasks.find((t) => t.endedAt === null);
      if (!open || (listed.has(rec.instanceId) && running.has(open.taskId))) continue;
      const seen = this.lastSeen.get(rec.instanceId);
      if (seen === undefined || now - seen > gapMs) ids.push(open.taskId);
    }
    return ids;
  }

  /**
   * Turn this tick's observation into lifecycle facts. Idempotent: the history drops what it already knows. Every
   * fact is applied even when writing fails (the history keeps it to write later); the first write error is thrown
   * at the end. Resolves true when facts that had waited for a failed write are now on disk.
   */
  async observe(
    instances: readonly InstanceObs[],
    workers: readonly WorkerObs[] | null,
    now: number,
    extras: ObserveExtras = {},
  ): Promise<boolean> {
    const { idleStopsWithinMs, terminatedAt, tasksRead, endReasons } = extras;
    const waited = this.history.unsaved > 0;
    let failure: { error: unknown } | null = null;
    const record = async (fact: CostFactInput) => {
      try {
        await this.history.record(fact);
      } catch (error) {
        failure ??= { error };
      }
    };
    const workerByInstance = new Map<string, WorkerObs>();
    for (const w of workers ?? []) workerByInstance.set(parseWorkerId(w.id)?.instanceId ?? '', w);
    const listed = new Set<string>();
    /**
     * Where a task that left its worker (or whose instance is gone) ends: `end`, or earlier when ClearML says so;
     * never before the instance was last listed running it (`seenAt`), or the task began.
     */
    const taskEnd = (task: { taskId: string; startedAt: number }, seenAt: number | undefined, end: number) =>
      unseenTaskEnd({ from: seenAt ?? task.startedAt, now: end }, tasksRead?.get(task.taskId)).at;
    /** Listed but ending or ended (shutting-down, stopping, …): why, from EC2's state reason. */
    const ending = new Map<string, InstanceObs>();
    for (const i of instances) {
      if (!isLiveState(i.state)) {
        ending.set(i.instanceId, i);
        continue;
      }
      listed.add(i.instanceId);
      const seenAt = this.lastSeen.get(i.instanceId);
      this.lastSeen.set(i.instanceId, now);
      const known = this.history.get(i.instanceId);
      // Adopted during the EC2 period running now: registered and working from the adoption on, so neither its
      // ClearML days nor any boot overhead are this app's.
      const adopted = adoptedThisPeriod(i, now);
      // Stopped and started again (outside the app; its stopped warning invites it): EC2 bills a new period from
      // the start, and its LaunchTime moves there. One stopped and started within a poll was never seen ended: its
      // period before ends at the new start (the stopped minutes between are not known).
      const restarted = known !== undefined && (known.endedAt !== null || i.launchedAt > known.launchedAt);
      if (known && known.endedAt === null && restarted)
        await record({ t: 'terminated', at: i.launchedAt, instanceId: i.instanceId });
      const corrected = known && !restarted ? correctedAdoption(known, i, now) : null;
      if (corrected) await record({ t: 'instance', ...corrected });
      if (!known || restarted) {
        const quote = this.book.hourly(i.instanceType, i.market, i.zone);
        const od = i.market === 'spot' ? this.book.hourly(i.instanceType, 'on-demand').price : undefined;
        const start = Math.max(i.launchedAt, adopted ?? 0, known?.endedAt ?? i.launchedAt);
        await record({
          t: 'launched',
          at: start,
          instanceId: i.instanceId,
          queue: i.tags[TAG.queue] ?? '',
          resource: i.tags[TAG.resource] ?? '',
          instanceType: i.instanceType,
          market: i.market,
          zone: i.zone,
          hourlyPrice: quote.price,
          priceSource: quote.source,
          ...(od !== undefined ? { onDemandHourlyPrice: od } : {}),
          // Its first hour, in which a spot interruption is free, began at EC2's launch, not at the adoption.
          ...(adopted !== null && start > i.launchedAt ? { ec2LaunchedAt: i.launchedAt } : {}),
        });
      }
      const moved = known && !restarted ? spotPriceMove(known, i, this.book, now) : null;
      if (moved) await record({ t: 'price', instanceId: i.instanceId, ...moved });
      // Without a worker read (ClearML down) task facts are unknown: record nothing rather than guess.
      if (!workers) continue;
      const rec = this.history.get(i.instanceId);
      const w = workerByInstance.get(i.instanceId);
      if (!rec) continue;
      if (w && rec.registeredAt === null)
        await record({
          t: 'registered',
          at: adopted !== null ? rec.launchedAt : now,
          instanceId: i.instanceId,
          workerId: w.id,
        });
      const open = rec.tasks.find((t) => t.endedAt === null);
      const current = w?.task ?? null;
      if (open && open.taskId !== current?.id)
        await record({
          t: 'task-ended',
          at: taskEnd(open, seenAt, now),
          instanceId: i.instanceId,
          taskId: open.taskId,
        });
      if (current && open?.taskId !== current.id) {
        await record({
          t: 'task-started',
          at: now,
          instanceId: i.instanceId,
          taskId: current.id,
          ...(current.name ? { name: current.name } : {}),
        });
      }
    }
    // Only the open ones: a year of ended instances is not gone through at every tick.
    for (const rec of this.history.openInstances()) {
      if (rec.endedAt === null && !listed.has(rec.instanceId)) {
        const open = rec.tasks.find((t) => t.endedAt === null);
        // Ended by this app: EC2 stops billing at the terminate call (shutting-down is not billed), not at this
        // tick, a poll later.
        const calledAt = terminatedAt?.get(rec.instanceId);
        const end =
          calledAt !== undefined && calledAt >= rec.launchedAt && calledAt <= now
            ? calledAt
            : endOf(this.lastSeen.get(rec.instanceId), !open, now, idleStopsWithinMs);
        if (open)
          await record({
            t: 'task-ended',
            at: taskEnd(open, this.lastSeen.get(rec.instanceId), end),
            instanceId: rec.instanceId,
            taskId: open.taskId,
          });
        const reason = ending.get(rec.instanceId)?.stateReasonCode ?? endReasons?.get(rec.instanceId);
        await record({
          t: 'terminated',
          at: end,
          instanceId: rec.instanceId,
          ...(reason === SPOT_INTERRUPTED ? { reason } : {}),
        });
        this.lastSeen.delete(rec.instanceId);
      }
    }
    if (this.lastSeen.size > 10_000)
      for (const id of [...this.lastSeen.keys()]) if (!listed.has(id)) this.lastSeen.delete(id);
    // A quiet tick still writes what waits, so it is on disk as soon as there is space again.
    if (!failure) await this.history.retry().catch((error: unknown) => (failure = { error }));
    if (failure) throw (failure as { error: unknown }).error;
    if (waited) this.recoveries++;
    return waited;
  }

  /** The figures the caps are judged on: the history's, plus the burn of launches EC2 does not list yet. */
  figures(budgets: Budgets, now: number, pending: readonly PendingLaunch[] = []): SpendFigures {
    // Listed once already (EC2's listing can flap): the history counts it.
    const burn = withBurn(
      this.history.burn(now),
      pending.filter((p) => !(p.instanceId && this.history.get(p.instanceId)?.endedAt === null)),
    );
    return {
      budgets,
      burnPerHour: burn.total,
      burnPerHourByQueue: burn.byQueue,
      monthToDate: this.history.monthToDate(now),
      monthToDateByQueue: this.history.monthToDateByQueue(now),
      now,
    };
  }

  extras(caps: CapStatus[], now: number): CostExtras {
    const month = this.history.rollup(startOfUtcMonth(now), now);
    const byTask = Object.entries(month.byTask)
      .map(([taskId, t]) => ({ taskId, queue: t.queue, cost: t.cost, ...(t.name ? { name: t.name } : {}) }))
      .sort((a, b) => b.cost - a.cost)
      .slice(0, 200);
    return {
      monthToDate: month.total,
      spendToday: this.history.rollup(startOfUtcDay(now), now).total,
      spendByQueue: month.byQueue,
      spendByResource: month.byResource,
      byTask,
      overheadByQueue: month.overheadByQueue,
      spotSavings: month.spot.savings,
      budgets: caps,
    };
  }

  /**
   * What the instance's current billing period has cost by `now` and the hourly price it is counted at now (null:
   * no record of it): the one figure every surface shows for it, the month's spend and the caps included. It starts
   * where the record starts (an adopted instance at its adoption), at the price quoted when the record began and,
   * for a spot instance, at each move of its zone's spot price after (`spotPriceMove`). One seen stopped has its
   * period ended there, so this stops growing while it stays stopped.
   */
  billed(instanceId: string, now: number): { costSoFar: number; hourlyPrice: number } | null {
    const rec = this.history.get(instanceId);
    return rec ? { costSoFar: costUpTo(rec, now, now), hourlyPrice: priceAt(rec, now) } : null;
  }

  price(instanceType: string, market: Market, zone?: string) {
    return this.book.hourly(instanceType, market, zone);
  }
}
