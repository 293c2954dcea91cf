/**
 * Budget decisions, pure: may this launch go ahead, where does each cap stand, and which caps were just crossed.
 *
 * Projection rule for a launch (documented in the UI next to the caps):
 *   hourly cap  — burn after the launch = current burn of the cap's scope + the new instance's hourly price;
 *                 the launch is refused when that exceeds the cap.
 *   monthly cap — projected = spent this UTC month in the scope
 *                             + (current burn of the scope + the new instance's price) × LAUNCH_LOOKAHEAD_HOURS;
 *                 the launch is refused when that exceeds the cap, or when the cap is already reached.
 * One hour is what the decision commits to before a later tick could stop it again: the loop re-checks every
 * tick, idle workers are reaped within minutes, and a longer horizon (say, the rest of the month) would block
 * every GPU launch on day one. The dashboard's "projected month" is the other, pessimistic figure: spent plus
 * the current burn until the end of the month.
 *
 * Scopes: a queue's caps count only that queue's instances; global caps count everything.
 */
import {
  capId,
  capLabel,
  formatUsd,
  type BudgetMode,
  type Budgets,
  type CapKind,
  type CapState,
  type CapStatus,
} from '../../../shared/budget.js';
import { startOfNextUtcMonth } from './accounting.js';
import { dataRecordOf } from '../../../shared/data-record.js';

export const LAUNCH_LOOKAHEAD_HOURS = 1;
/** A cap leaves a state only when its share drops this far below the state's threshold (no flapping). */
export const CROSSING_HYSTERESIS = 0.05;

export interface SpendFigures {
  budgets: Budgets;
  /** USD/hour of everything running now. */
  burnPerHour: number;
  burnPerHourByQueue: Readonly<Record<string, number>>;
  /** USD spent since the start of the current UTC month. */
  monthToDate: number;
  monthToDateByQueue: Readonly<Record<string, number>>;
  now: number;
  /**
   * Why this month's spend is not known (the cost history could not be opened): the monthly caps cannot be judged,
   * so a launch they cover is refused (outside warn mode) rather than let through on a spend read as $0.
   */
  monthUnknown?: string;
}

export interface LaunchCheckInput extends SpendFigures {
  launch: { queue: string; hourlyPrice: number };
  /** Override of LAUNCH_LOOKAHEAD_HOURS. */
  lookaheadHours?: number;
}

export interface CapBreach {
  /** Config path of the cap, e.g. `queues.gpu.monthlyUsd`. */
  cap: string;
  reason: string;
}

export type LaunchDecision =
  | {
      allowed: true;
      /** Caps this launch exceeds in `warn` mode: allowed, but to be reported. */ warnings: CapBreach[];
    }
  | {
      allowed: false;
      cap: string;
      reason: string;
      /** Every cap it would exceed, the refusing one first. */ breaches: CapBreach[];
    };

interface Cap {
  kind: CapKind;
  queue: string | null;
  limit: number;
}

/** Configured caps in a fixed order: queue caps before global ones (the more specific reason first). */
function configuredCaps(budgets: Budgets): Cap[] {
  const caps: Cap[] = [];
  for (const queue of Object.keys(budgets.queues).sort()) {
    const c = budgets.queues[queue]!;
    if (c.hourlyUsd !== undefined) caps.push({ kind: 'hourly', queue, limit: c.hourlyUsd });
    if (c.monthlyUsd !== undefined) caps.push({ kind: 'monthly', queue, limit: c.monthlyUsd });
  }
  if (budgets.global.hourlyUsd !== undefined)
    caps.push({ kind: 'hourly', queue: null, limit: budgets.global.hourlyUsd });
  if (budgets.global.monthlyUsd !== undefined) {
    caps.push({ kind: 'monthly', queue: null, limit: budgets.global.monthlyUsd });
  }
  return caps;
}

function scoped(f: SpendFigures, queue: string | null): { burn: number; spent: number } {
  return queue === null
    ? { burn: f.burnPerHour, spent: f.monthToDate }
    : { burn: f.burnPerHourByQueue[queue] ?? 0, spent: f.monthToDateByQueue[queue] ?? 0 };
}

/** Would launching one more instance for `launch.queue` break a cap? See the projection rule above. */
export function checkLaunch(input: LaunchCheckInput): LaunchDecision {
  const hours = input.lookaheadHours ?? LAUNCH_LOOKAHEAD_HOURS;
  const price = input.launch.hourlyPrice;
  const breaches: CapBreach[] = [];
  for (const cap of configuredCaps(input.budgets)) {
    if (cap.queue !== null && cap.queue !== input.launch.queue) continue;
    const { burn, spent } = scoped(input, cap.queue);
    const label = capLabel(cap.kind, cap.limit, cap.queue);
    const id = capId(cap.kind, cap.queue);
    if (cap.kind === 'monthly' && input.monthUnknown !== undefined) {
      breaches.push({ cap: id, reason: `${label} cannot be enforced: ${input.monthUnknown}` });
    } else if (cap.kind === 'hourly') {
      const after = burn + price;
      if (after > cap.limit) {
        breaches.push({
          cap: id,
          reason:
            `${label} would be exceeded by ${formatUsd(after - cap.limit)}/h ` +
            `(running ${formatUsd(burn)}/h + ${formatUsd(price)}/h for this launch)`,
        });
      }
    } else if (spent >= cap.limit) {
      breaches.push({ cap: id, reason: `${label} is reached (${formatUsd(spent)} spent this month)` });
    } else {
      const ahead = (burn + price) * hours;
      const projected = spent + ahead;
      if (projected > cap.limit) {
        breaches.push({
          cap: id,
          reason:
            `${label} would be exceeded by ${formatUsd(projected - cap.limit)} (projected: ` +
            `${formatUsd(spent)} spent this month + ${formatUsd(ahead)} for ${hours === 1 ? 'one more hour' : `${hours} more hours`} ` +
            `of the running instances and this launch)`,
        });
      }
    }
  }
  if (!breaches.length || input.budgets.mode === 'warn') return { allowed: true, warnings: breaches };
  const first = breaches[0]!;
  return { allowed: false, cap: first.cap, reason: first.reason, breaches };
}

/**
 * A per-tick launch check over `f`: each allowed launch adds its price to the running burn, so several launches in
 * one tick cannot each pass a cap that together they cross.
 */
export function tickLaunchChecker(
  f: SpendFigures,
): (launch: {
  queue: string;
  hourlyPrice: number;
}) => { allowed: true } | { allowed: false; reason: string; cap: string } {
  const burnByQueue = { ...f.burnPerHourByQueue };
  let burn = f.burnPerHour;
  return (launch) => {
    const d = checkLaunch({ ...f, burnPerHour: burn, burnPerHourByQueue: burnByQueue, launch });
    if (!d.allowed) return { allowed: false, reason: d.reason, cap: d.cap };
    burn += launch.hourlyPrice;
    burnByQueue[launch.queue] = (burnByQueue[launch.queue] ?? 0) + launch.hourlyPrice;
    return { allowed: true };
  };
}

/**
 * Every configured cap with where it stands now, for the tray and dashboard. A monthly cap whose month is unknown
 * (`monthUnknown`) is in state `unknown` and its label, which every surface shows, says what that does to launches:
 * read as "under the cap", it would look fine while it is the reason nothing launches.
 */
export function budgetStatus(f: SpendFigures): CapStatus[] {
  const near = f.budgets.nearCapPercent / 100;
  const hoursLeft = Math.max(0, startOfNextUtcMonth(f.now) - f.now) / 3_600_000;
  return configuredCaps(f.budgets).map((cap) => {
    const { burn, spent: mtd } = scoped(f, cap.queue);
    const spent = cap.kind === 'hourly' ? burn : mtd;
    const share = spent / cap.limit;
    const unknown = cap.kind === 'monthly' && f.monthUnknown !== undefined;
    return {
      id: capId(cap.kind, cap.queue),
      queue: cap.queue,
      kind: cap.kind,
      label: capLabel(cap.kind, cap.limit, cap.queue) + (unknown ? ` (${unknownCapText(f.budgets.mode)})` : ''),
      spent,
      limit: cap.limit,
      share,
      projectedMonth: mtd + burn * hoursLeft,
      state: unknown ? 'unknown' : stateFor(share, near),
      ...(unknown ? { holdsLaunches: f.budgets.mode !== 'warn' } : {}),
    };
  });
}

/** What a monthly cap does while this month's spend is unknown (`checkLaunch`: it refuses, except in warn mode). */
function unknownCapText(mode: BudgetMode): string {
  return mode === 'warn'
    ? "not checked: this month's spend is unknown"
    : "holding launches: this month's spend is unknown";
}

function stateFor(share: number, near: number): CapState {
  return share >= 1 ? 'reached' : share >= near ? 'near' : 'ok';
}

// `unknown` ranks with ok: going there is not a crossing (the history's error event tells it), and a cap found near
// or reached once the month is known again is one.
const RANK: Record<CapState, number> = { ok: 0, unknown: 0, near: 1, reached: 2 };

export interface CapCrossing {
  cap: string;
  from: CapState;
  to: 'near' | 'reached';
  level: 'warn' | 'error';
  message: string;
}

/**
 * Upward crossings since the previous tick, each reported once. A cap steps back down only after its share
 * falls CROSSING_HYSTERESIS below the threshold, so a burn hovering at 80 % does not notify every tick; a new
 * month (monthly share back near 0) re-arms it. Keep the returned `states` and pass them in next time.
 */
export function detectCrossings(
  previous: Readonly<Record<string, CapState>>,
  caps: readonly CapStatus[],
  budgets: Pick<Budgets, 'mode' | 'nearCapPercent'>,
): { crossings: CapCrossing[]; states: Record<string, CapState> } {
  const near = budgets.nearCapPercent / 100;
  // Keyed by cap ids, which carry queue names.
  const states = dataRecordOf<CapState>([]);
  const crossings: CapCrossing[] = [];
  for (const cap of caps) {
    const before = previous[cap.id] ?? 'ok';
    let after = cap.state;
    if (RANK[after] < RANK[before]) {
      // Step down only as far as the hysteresis allows.
      const keepReached = before === 'reached' && cap.share > 1 - CROSSING_HYSTERESIS;
      const keepNear = cap.share > near - CROSSING_HYSTERESIS;
      after = keepReached ? 'reached' : keepNear && RANK[before] >= RANK.near ? 'near' : after;
    }
    states[cap.id] = after;
    if (RANK[after] > RANK[before]) {
      crossings.push({
        cap: cap.id,
        from: before,
        to: after as 'near' | 'reached',
        level: after === 'reached' ? 'error' : 'warn',
        message: crossingMessage(cap, after as 'near' | 'reached', budgets.mode),
      });
    }
  }
  return { crossings, states };
}

function crossingMessage(cap: CapStatus, to: 'near' | 'reached', mode: BudgetMode): string {
  const used =
    cap.kind === 'hourly'
      ? `burning ${formatUsd(cap.spent)}/h of ${formatUsd(cap.limit)}/h`
      : `${formatUsd(cap.spent)} of ${formatUsd(cap.limit)} spent this month`;
  const pctText = `${Math.round(cap.share * 100)} %`;
  if (to === 'near') return `${cap.label}: ${pctText} used (${used})`;
  const effect =
    mode === 'warn'
      ? 'launches continue (budget mode is warn)'
      : mode === 'stop-launching'
        ? `no new launches${cap.queue ? ` for queue ${cap.queue}` : ''} until it drops below the cap`
        : `no new launches${cap.queue ? ` for queue ${cap.queue}` : ''}, and idle workers are being terminated`;
  return `${cap.label} reached (${used}): ${effect}`;
}

/** Where the `terminate-idle` mode applies now: scopes with a reached cap. */
export function idleTerminationScopes(
  budgets: Pick<Budgets, 'mode'>,
  caps: readonly CapStatus[],
): { global: boolean; queues: string[] } {
  if (budgets.mode !== 'terminate-idle') return { global: false, queues: [] };
  const reached = caps.filter((c) => c.state === 'reached');
  return {
    global: reached.some((c) => c.queue === null),
    queues: [...new Set(reached.flatMap((c) => (c.queue === null ? [] : [c.queue])))].sort(),
  };
}

/** A burn with these items' hourly prices added to it and to their queues' (a new object: `burn` is not changed). */
export function withBurn(
  burn: { total: number; byQueue: Readonly<Record<string, number>> },
  items: Iterable<{ queue: string; hourlyPrice: number }>,
): { total: number; byQueue: Record<string, number> } {
  let total = burn.total;
  const byQueue = { ...burn.byQueue };
  for (const i of items) {
    total += i.hourlyPrice;
    byQueue[i.queue] = (byQueue[i.queue] ?? 0) + i.hourlyPrice;
  }
  return { total, byQueue };
}

/** One tick's budget picture: each cap's status, the crossings since the last tick, where idle must be cut. */
export interface CapStep {
  caps: CapStatus[];
  crossings: CapCrossing[];
  terminateIdle: { global: boolean; queues: string[] };
}

/** The caps' states from tick to tick, so each crossing is reported once (`detectCrossings`). */
export class CapWatch {
  private states = dataRecordOf<CapState>([]);

  step(f: SpendFigures): CapStep {
    const caps = budgetStatus(f);
    const { crossings, states } = detectCrossings(this.states, caps, f.budgets);
    this.states = states;
    return { caps, crossings, terminateIdle: idleTerminationScopes(f.budgets, caps) };
  }
}
