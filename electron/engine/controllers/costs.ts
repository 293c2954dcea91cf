/**
 * Costs and spend: records each tick's facts in the cost history (when the host attached one) and works out the
 * budget picture the policy needs (may this launch happen, must idle workers go now). Without a history, today's
 * spend is estimated in memory from the instances' prices and the time they ran.
 */
import type { CapStatus } from '../../../shared/budget.js';
import { effectiveLease, type Config } from '../../../shared/config.js';
import { isLiveState, type Market } from '../../../shared/domain.js';
import type { CostTracker, PendingLaunch } from '../cost/tracker.js';
import { ev, type NewEvent } from '../events.js';
import type { BudgetVerdict, InFlightLaunch, PolicyInput } from '../policy.js';
import type { PriceLookup } from '../snapshot.js';
import type { Observation } from './observe.js';

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
    const res = config.resources[f.resource];
    if (!res) return [];
    const hourlyPrice = price(res.instanceType, f.market ?? res.market, f.zone).price;
    return [{ instanceId: f.instanceId, queue: f.queue, hourlyPrice }];
  });
}

/**
 * Record the observation in the cost history and evaluate the budgets (counting `inFlight`, the launches EC2 does
 * not list yet); null without a history.
 */
export async function observeCosts(
  tracker: CostTracker | undefined,
  config: Config,
  obs: Observation,
  emit: (e: NewEvent) => void,
  emitOnce: (key: string, e: NewEvent) => void,
  inFlight: readonly InFlightLaunch[] = [],
): Promise<Money | null> {
  if (!tracker) return null;
  const { now } = obs;
  try {
    const lease = effectiveLease(config);
    const idleStopsWithinMs = lease.enabled ? (lease.leaseMin + lease.graceMin) * 60_000 : undefined;
    if (await tracker.observe(obs.instances, obs.clearmlOk ? obs.workers : null, now, idleStopsWithinMs))
      emit(ev.costHistoryWrittenAgain());
  } catch (e) {
    // Retried every tick until it works: said once in a while, not at every tick of a full disk.
    emitOnce(`cost-history-unwritable|${tracker.writeRecoveries}`, ev.costHistoryUnwritable(e, tracker.unsavedFacts));
  }
  const budgets = config.budgets;
  const hasCaps =
    budgets.global.hourlyUsd !== undefined ||
    budgets.global.monthlyUsd !== undefined ||
    Object.keys(budgets.queues).length > 0;
  if (!hasCaps) return { caps: [], check: null, terminateIdle: undefined };
  const listed = new Set(obs.instances.filter((i) => isLiveState(i.state)).map((i) => i.instanceId));
  const pending = pendingLaunches(inFlight, listed, config, (t, m, z) => tracker.price(t, m, z));
  const state = tracker.budgetState(budgets, now, pending);
  for (const c of state.crossings) emit(ev.budgetCrossing(c));
  const reached = state.caps.filter((c) => c.state === 'reached').map((c) => c.label);
  return {
    caps: state.caps,
    check: tracker.launchChecker(budgets, now, pending),
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
    const res = config.resources[resource];
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
    instances: readonly { instanceId: string; hourlyPrice: number; launchedAt: number; state: string }[],
  ): void {
    const day = new Date(now).toISOString().slice(0, 10);
    if (this.today.day !== day) this.today = { day, amount: 0, accountedUntil: new Map() };
    const dayStart = Date.parse(`${day}T00:00:00Z`);
    for (const i of instances) {
      if (!isLiveState(i.state)) continue;
      const from = Math.max(this.today.accountedUntil.get(i.instanceId) ?? i.launchedAt, dayStart);
      if (now > from) this.today.amount += ((now - from) / 3600_000) * i.hourlyPrice;
      this.today.accountedUntil.set(i.instanceId, now);
    }
  }
}

export function hoursLeftInMonth(now: number): number {
  const d = new Date(now);
  return (Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) - now) / 3600_000;
}
