/**
 * Costs and spend: records each tick's facts in the cost history (when the host attached one) and works out the
 * budget picture the policy needs (may this launch happen, must idle workers go now). Without a history, today's
 * spend is estimated in memory from the instances' prices and the time they ran, and when the host could not open
 * it, the budgets are judged from what runs (`HistorylessBudgets`).
 */
import type { CapStatus } from '../../../shared/budget.js';
import { effectiveLease, type Config } from '../../../shared/config.js';
import { isLiveState, type InstanceView, type Market } from '../../../shared/domain.js';
import { CapWatch, tickLaunchChecker, withBurn, type SpendFigures } from '../cost/budget.js';
import type { CostTracker, PendingLaunch } from '../cost/tracker.js';
import { TAG, type TaskObs } from '../ports.js';
import { awayThresholdMs } from '../away.js';
import { ev, type NewEvent } from '../events.js';
import type { BudgetVerdict, InFlightLaunch, PolicyInput } from '../policy.js';
import type { PriceLookup } from '../snapshot.js';
import type { Observation } from './observe.js';
import { entryOf } from '../../../shared/data-record.js';

/** The budget picture of one tick. */
export interface Money {
  caps: CapStatus[];
  /** Per launch about to be made; null when no cap is configured. */
  check: ((launch: { queue: string; hourlyPrice: number }) => BudgetVerdict) | null;
  terminateIdle: PolicyInput['budgetIdle'];
}

/**
 * This engine's launches EC2 does not list yet, priced as the snapshot prices them (where it launched, else the
 * resource's market), for the caps: they bill from their launch, whatever the listing says.
 */
export function pendingLaunches(
  inFlight: readonly InFlightLaunch[],
  listedIds: ReadonlySet<string>,
  config: Config,
  price: (instanceType: string, market: Market, zone?: string) => { price: number },
): PendingLaunch[] {
  return inFlight.flatMap((f) => {
    if (f.instanceId && listedIds.has(f.instanceId)) return [];
    const res = entryOf(config.resources, f.resource);
    if (!res) return [];
    const hourlyPrice = price(res.instanceType, f.market ?? res.market, f.zone).price;
    return [{ instanceId: f.instanceId, queue: f.queue, hourlyPrice }];
  });
}

/**
 * The budgets while the cost history cannot be opened (`problem` says which file and why). Hourly caps need no
 * history: their burn is what EC2 lists running now, priced as the snapshot prices it, plus the launches it does
 * not list yet. This month's spend is unknown, so the monthly caps refuse the launches they cover (budget.ts
 * `monthUnknown`) and say they hold them, rather than read the month as $0 and let every launch through.
 */
export class HistorylessBudgets {
  /** The caps' states across ticks (each crossing reported once). */
  readonly caps = new CapWatch();

  figures(
    config: Config,
    obs: Observation,
    pending: readonly PendingLaunch[],
    prices: PriceLookup,
    problem: string,
  ): SpendFigures {
    const running = obs.instances
      .filter((i) => isLiveState(i.state))
      .map((i) => ({ queue: i.tags[TAG.queue] ?? '', hourlyPrice: prices(i.instanceType, i.market, i.zone).price }));
    const burn = withBurn({ total: 0, byQueue: {} }, [...running, ...pending]);
    return {
      budgets: config.budgets,
      burnPerHour: burn.total,
      burnPerHourByQueue: burn.byQueue,
      monthToDate: 0,
      monthToDateByQueue: {},
      now: obs.now,
      monthUnknown: problem,
    };
  }
}

/** The status and log text while the cost history cannot be opened; `problem` names the file and the error. */
export function historylessText(problem: string): string {
  return (
    `The cost history cannot be opened (${problem}): spend is estimated in memory; this month's spend is unknown, ` +
    'so monthly budget caps hold the launches they cover (outside warn mode); hourly caps are enforced from the ' +
    'running instances. It is tried again every minute.'
  );
}

/**
 * The tasks that may have ended while nobody polled (a poll far later than asked: `awayThresholdMs`), read from
 * ClearML so they end when they did. Only then: after an on-time poll, the poll is close enough. A failed read
 * ends them at this poll, as before.
 */
async function endedWhileAway(
  tracker: CostTracker,
  config: Config,
  obs: Observation,
  readTasks: ((ids: readonly string[]) => Promise<TaskObs[]>) | undefined,
): Promise<Map<string, TaskObs> | undefined> {
  const gapMs = awayThresholdMs(config.scaling.pollingIntervalSec * 1000);
  const ids = readTasks ? tracker.endedUnseen(obs.instances, obs.workers, obs.now, gapMs) : [];
  if (!readTasks || ids.length === 0) return undefined;
  const tasks = await readTasks(ids).catch(() => []);
  return new Map(tasks.map((t) => [t.id, t]));
}

/**
 * Record the observation in the cost history and evaluate the budgets (counting `inFlight`, the launches EC2 does
 * not list yet). Without a history: when the host could not open it (`ctx.problem`), the budgets from what runs
 * (`HistorylessBudgets`); else (an engine kept without a data folder) null.
 */
export async function observeCosts(
  tracker: CostTracker | undefined,
  config: Config,
  obs: Observation,
  emit: (e: NewEvent) => void,
  emitOnce: (key: string, e: NewEvent) => void,
  inFlight: readonly InFlightLaunch[] = [],
  ctx?: {
    budgets: HistorylessBudgets;
    problem: string | null;
    prices: PriceLookup;
    /** When this app's terminate call ended each instance it terminated: where its billing ends. */
    terminatedAt?: ReadonlyMap<string, number>;
    /** ClearML's tasks by id: for tasks that ended while nobody polled, when they did (`endedUnseen`). */
    readTasks?: (ids: readonly string[]) => Promise<TaskObs[]>;
    /** EC2's state reason of instances the tick found ended by id (not listed): why they ended. */
    endReasons?: ReadonlyMap<string, string>;
  },
): Promise<Money | null> {
  if (!tracker && !ctx?.problem) return null;
  const { now } = obs;
  if (tracker) {
    try {
      const lease = effectiveLease(config);
      const idleStopsWithinMs = lease.enabled ? (lease.leaseMin + lease.graceMin) * 60_000 : undefined;
      const workers = obs.clearmlOk ? obs.workers : null;
      const tasksRead = workers ? await endedWhileAway(tracker, config, obs, ctx?.readTasks) : undefined;
      if (
        await tracker.observe(obs.instances, workers, now, {
          idleStopsWithinMs,
          terminatedAt: ctx?.terminatedAt,
          tasksRead,
          endReasons: ctx?.endReasons,
        })
      )
        emit(ev.costHistoryWrittenAgain());
    } catch (e) {
      // Retried every tick until it works: said once in a while, not at every tick of a full disk.
      emitOnce(`cost-history-unwritable|${tracker.writeRecoveries}`, ev.costHistoryUnwritable(e, tracker.unsavedFacts));
    }
  }
  const budgets = config.budgets;
  const hasCaps =
    budgets.global.hourlyUsd !== undefined ||
    budgets.global.monthlyUsd !== undefined ||
    Object.keys(budgets.queues).length > 0;
  if (!hasCaps) return { caps: [], check: null, terminateIdle: undefined };
  const listed = new Set(obs.instances.filter((i) => isLiveState(i.state)).map((i) => i.instanceId));
  // One set of figures for the tick: the caps' states and the launch check judge the same numbers.
  const f = tracker
    ? tracker.figures(
        budgets,
        now,
        pendingLaunches(inFlight, listed, config, (t, m, z) => tracker.price(t, m, z)),
      )
    : ctx!.budgets.figures(
        config,
        obs,
        pendingLaunches(inFlight, listed, config, ctx!.prices),
        ctx!.prices,
        ctx!.problem!,
      );
  const state = (tracker ?? ctx!.budgets).caps.step(f);
  const check = tickLaunchChecker(f);
  for (const c of state.crossings) emit(ev.budgetCrossing(c));
  const reached = state.caps.filter((c) => c.state === 'reached').map((c) => c.label);
  return {
    caps: state.caps,
    check,
    terminateIdle:
      state.terminateIdle.global || state.terminateIdle.queues.length
        ? {
            global: state.terminateIdle.global,
            queues: new Set(state.terminateIdle.queues),
            reason: `budget cap reached (${reached.join('; ')}) in terminate-idle mode`,
          }
        : undefined,
  };
}

/** The policy's per-launch budget check: the launch's hourly price against the caps. */
export function budgetCheck(money: Money | null, config: Config, prices: PriceLookup): PolicyInput['budget'] {
  const check = money?.check;
  if (!check) return undefined;
  return ({ queue, resource }) => {
    const res = entryOf(config.resources, resource);
    const hourlyPrice = res ? prices(res.instanceType, res.market).price : 0;
    return check({ queue, hourlyPrice });
  };
}

/** Spend today without a cost history, accumulated per instance from its price and the time since the last tick. */
export class SpendEstimate {
  private today = { day: '', amount: 0, accountedUntil: new Map<string, number>() };

  get amount(): number {
    return this.today.amount;
  }

  account(
    now: number,
    instances: readonly Pick<InstanceView, 'instanceId' | 'hourlyPrice' | 'launchedAt' | 'adoptedAt' | 'state'>[],
  ): void {
    const day = new Date(now).toISOString().slice(0, 10);
    if (this.today.day !== day) this.today = { day, amount: 0, accountedUntil: new Map() };
    const dayStart = Date.parse(`${day}T00:00:00Z`);
    for (const i of instances) {
      if (!isLiveState(i.state)) continue;
      // An adopted one from its adoption: its time before was ClearML's autoscaler's spend.
      const from = Math.max(this.today.accountedUntil.get(i.instanceId) ?? i.adoptedAt ?? i.launchedAt, dayStart);
      if (now > from) this.today.amount += ((now - from) / 3600_000) * i.hourlyPrice;
      this.today.accountedUntil.set(i.instanceId, now);
    }
  }
}

export function hoursLeftInMonth(now: number): number {
  const d = new Date(now);
  return (Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) - now) / 3600_000;
}
