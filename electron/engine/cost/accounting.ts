/**
 * What instances cost and who the cost belongs to. Pure: the history journal feeds it lifecycle facts and the
 * snapshot, CSV export and budget checks all read its answers.
 *
 * Billing model (EC2 Linux): per second from launch to termination, at least 60 s per instance, at the hourly
 * price in force each second (an on-demand price stays; a spot price moves, and AWS bills each second at the spot
 * price of that moment); nothing for a spot instance EC2 interrupts in its first hour. Cost up to a moment `t` is
 *   C(t) = ∫ price(τ)/3600 dτ over the first max(60, ceil(seconds from launch to min(t, end))) seconds   (0 before)
 * and the cost inside any window [a, b] is C(b) − C(a): the 60 s minimum lands at launch, windows add up
 * exactly to the whole, and days and months are just windows.
 *
 * Attribution of one instance's cost in a window:
 *   byTask — each task's running time (after registration, tasks never overlapping) × price;
 *   idle   — registered but running no task: the queue's overhead for keeping a warm worker;
 *   boot   — everything else: launch → registration, plus the 60 s minimum and per-second rounding;
 * so that boot + idle + Σ byTask = total.
 */
import type { Market } from '../../../shared/domain.js';
import { dataRecordOf } from '../../../shared/data-record.js';

export const MIN_BILLED_SECONDS = 60;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export interface TaskSpan {
  taskId: string;
  name?: string;
  startedAt: number;
  /** null while running. */
  endedAt: number | null;
}

export interface InstanceCostInput {
  instanceId: string;
  queue: string;
  resource: string;
  market: Market;
  /** USD/hour this instance was billed at from its launch (until its first price change, if any). */
  hourlyPrice: number;
  /**
   * The moves of its price while it ran (a spot price), in time order, each after the launch and different from
   * the price before it: each second is billed at the price of the last change at or before it.
   */
  priceChanges?: PriceChange[];
  launchedAt: number;
  /**
   * EC2's launch time, when it is before `launchedAt`: an adopted instance is billed here from its adoption, but
   * EC2's first hour (a spot interruption in it is free) counts from EC2's launch.
   */
  ec2LaunchedAt?: number;
  /** Termination time; null while it still runs. */
  endedAt: number | null;
  /** When its worker first registered with ClearML; null if it never did (or not yet). */
  registeredAt: number | null;
  tasks: TaskSpan[];
  /** On-demand price of the same type and region, to value what spot saved. */
  onDemandHourlyPrice?: number;
  /** Why it ended, when known: EC2's state reason code (`SPOT_INTERRUPTED`). */
  endReason?: string;
}

export interface PriceChange {
  /** From when (ms) the instance is billed at this price. */
  at: number;
  hourlyPrice: number;
}

/** The hourly price the instance is billed at at `t` (its launch price before its first change). */
export function priceAt(inst: InstanceCostInput, t: number): number {
  let price = inst.hourlyPrice;
  for (const c of inst.priceChanges ?? []) {
    if (c.at > t) break;
    price = c.hourlyPrice;
  }
  return price;
}

/** The stretches of one price, in time order: the launch price from the launch, then each change's. */
export function priceSegments(inst: InstanceCostInput): { from: number; to: number; hourlyPrice: number }[] {
  const changes = inst.priceChanges ?? [];
  const starts = [{ at: inst.launchedAt, hourlyPrice: inst.hourlyPrice }, ...changes];
  return starts.map((c, k) => ({
    from: c.at,
    to: starts[k + 1]?.at ?? Number.POSITIVE_INFINITY,
    hourlyPrice: c.hourlyPrice,
  }));
}

/** What running the instance from `a` to `b` (ms) costs at the prices in force then, minimum and rounding aside. */
export function priceIntegral(inst: InstanceCostInput, a: number, b: number): number {
  if (b <= a) return 0;
  if (!inst.priceChanges?.length) return costOfSeconds((b - a) / 1000, inst.hourlyPrice);
  let cost = 0;
  for (const s of priceSegments(inst)) {
    const ms = overlap(s.from, s.to, a, b);
    if (ms > 0) cost += costOfSeconds(ms / 1000, s.hourlyPrice);
  }
  return cost;
}

/** EC2's state reason code for a spot instance it took back. */
export const SPOT_INTERRUPTED = 'Server.SpotInstanceTermination';

/**
 * A Linux spot instance EC2 interrupts in its first hour is not charged (EC2 User Guide, "Billing for interrupted
 * Spot Instances"; the app launches Linux only): it costs nothing at any moment, its tasks and overhead included.
 */
export function isFreeInterruption(
  inst: Pick<InstanceCostInput, 'market' | 'endReason' | 'endedAt' | 'ec2LaunchedAt' | 'launchedAt'>,
): boolean {
  return (
    inst.market === 'spot' &&
    inst.endReason === SPOT_INTERRUPTED &&
    inst.endedAt !== null &&
    inst.endedAt - (inst.ec2LaunchedAt ?? inst.launchedAt) < HOUR_MS
  );
}

export interface Attribution {
  total: number;
  boot: number;
  idle: number;
  byTask: Record<string, number>;
  /** Seconds each task ran in the window (its cost over its price, once the price moves, no longer says). */
  secondsByTask: Record<string, number>;
}

/** Seconds EC2 bills for an instance that ran from `launchedAt` to `endedAt` (ms epochs). */
export function billedSeconds(launchedAt: number, endedAt: number): number {
  return Math.max(MIN_BILLED_SECONDS, Math.ceil(Math.max(0, endedAt - launchedAt) / 1000));
}

export function costOfSeconds(seconds: number, hourlyPrice: number): number {
  return (seconds * hourlyPrice) / 3600;
}

/** C(t): what the instance has cost from launch up to `t`; `now` stands in for the end of a running one. */
export function costUpTo(inst: InstanceCostInput, t: number, now: number): number {
  if (t < inst.launchedAt || isFreeInterruption(inst)) return 0;
  const end = inst.endedAt ?? Math.max(now, inst.launchedAt);
  const seconds = billedSeconds(inst.launchedAt, Math.min(t, end));
  // The billed seconds past the real end (the minimum, the rounding) are at the price in force at the end.
  if (!inst.priceChanges?.length) return costOfSeconds(seconds, inst.hourlyPrice);
  return priceIntegral(inst, inst.launchedAt, inst.launchedAt + seconds * 1000);
}

export function costBetween(inst: InstanceCostInput, from: number, to: number, now: number): number {
  if (to <= from) return 0;
  return costUpTo(inst, to, now) - (from <= inst.launchedAt ? 0 : costUpTo(inst, from, now));
}

/** Whole-life attribution up to `now` (the end of a running instance). */
export function attribute(instance: InstanceCostInput, now: number): Attribution {
  return attributeBetween(instance, Number.NEGATIVE_INFINITY, now, now);
}

/** Attribution of the cost that fell inside [from, to]. */
export function attributeBetween(inst: InstanceCostInput, from: number, to: number, now: number): Attribution {
  const total = costBetween(inst, from, to, now);
  if (isFreeInterruption(inst)) return { total: 0, boot: 0, idle: 0, byTask: {}, secondsByTask: {} };
  const end = Math.min(inst.endedAt ?? Math.max(now, inst.launchedAt), to);
  const lo = Math.max(from, inst.launchedAt);
  // Keyed by the ClearML server's task ids.
  const byTask = dataRecordOf<number>([]);
  const secondsByTask = dataRecordOf<number>([]);
  if (end <= lo) return { total, boot: total, idle: 0, byTask, secondsByTask };

  const { registeredAt, spans } = busySpans(inst, end);
  let busy = 0;
  for (const s of spans) {
    const a = Math.max(s.start, lo);
    const b = Math.min(s.end, end);
    if (b <= a) continue;
    const cost = priceIntegral(inst, a, b);
    byTask[s.taskId] = (byTask[s.taskId] ?? 0) + cost;
    secondsByTask[s.taskId] = (secondsByTask[s.taskId] ?? 0) + (b - a) / 1000;
    busy += cost;
  }
  const registered = registeredAt === null ? 0 : priceIntegral(inst, Math.max(registeredAt, lo), end);
  const idle = Math.max(0, registered - busy);
  const taskSum = Object.values(byTask).reduce((a, b) => a + b, 0);
  const boot = Math.max(0, total - idle - taskSum);
  return { total, boot, idle, byTask, secondsByTask };
}

interface Span {
  taskId: string;
  start: number;
  end: number;
}

/**
 * Each span a task ran inside [from, to], in time order, with its cost: a task run twice on one worker is two spans.
 * Per task they add up to `attributeBetween`'s `byTask`.
 */
export function taskSpansBetween(
  inst: InstanceCostInput,
  from: number,
  to: number,
  now: number,
): (Span & { cost: number })[] {
  const end = Math.min(inst.endedAt ?? Math.max(now, inst.launchedAt), to);
  const lo = Math.max(from, inst.launchedAt);
  if (end <= lo || isFreeInterruption(inst)) return [];
  return busySpans(inst, end).spans.flatMap((s) => {
    const a = Math.max(s.start, lo);
    const b = Math.min(s.end, end);
    return b > a ? [{ taskId: s.taskId, start: a, end: b, cost: priceIntegral(inst, a, b) }] : [];
  });
}

/**
 * Task running time, cleaned up: clipped to [registration, end], never overlapping (a worker runs one task at a
 * time; a later start cuts the previous one). A task seen before any registration implies the registration.
 */
function busySpans(inst: InstanceCostInput, end: number): { registeredAt: number | null; spans: Span[] } {
  const sorted = [...inst.tasks].sort((a, b) => a.startedAt - b.startedAt);
  const firstTask = sorted[0]?.startedAt ?? null;
  let registeredAt =
    inst.registeredAt === null
      ? firstTask
      : firstTask === null
        ? inst.registeredAt
        : Math.min(inst.registeredAt, firstTask);
  if (registeredAt !== null) registeredAt = Math.max(registeredAt, inst.launchedAt);
  const spans: Span[] = [];
  let cursor = registeredAt ?? end;
  for (let i = 0; i < sorted.length; i++) {
    const t = sorted[i]!;
    const start = Math.max(t.startedAt, cursor);
    const next = sorted[i + 1]?.startedAt ?? Number.POSITIVE_INFINITY;
    const stop = Math.min(t.endedAt ?? end, end, next);
    if (stop > start) {
      spans.push({ taskId: t.taskId, start, end: stop });
      cursor = stop;
    }
  }
  return { registeredAt, spans };
}

function overlap(a0: number, a1: number, b0: number, b1: number): number {
  return Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));
}

// ---------------------------------------------------------------- roll-ups

export interface QueueOverhead {
  boot: number;
  idle: number;
}

export interface TaskCost {
  cost: number;
  seconds: number;
  queue: string;
  resource: string;
  name?: string;
}

export interface SpotSavings {
  /** What the spot instances cost. */
  spotCost: number;
  /** What the same instance-seconds would have cost on-demand (only instances with a known on-demand price). */
  onDemandEquivalent: number;
  savings: number;
  /** Spot cost for which no on-demand price was known, so it is left out of the comparison. */
  unpricedSpotCost: number;
}

export interface CostRollup {
  total: number;
  boot: number;
  idle: number;
  tasks: number;
  byQueue: Record<string, number>;
  overheadByQueue: Record<string, QueueOverhead>;
  byResource: Record<string, number>;
  /** UTC day `YYYY-MM-DD` → cost. */
  byDay: Record<string, number>;
  byMarket: Record<Market, number>;
  byTask: Record<string, TaskCost>;
  spot: SpotSavings;
}

/** Everything that cost money in [from, to] (to ≤ now; running instances run until `now`). */
export function rollup(
  instances: readonly InstanceCostInput[],
  window: { from?: number; to: number; now?: number },
): CostRollup {
  const from = window.from ?? Number.NEGATIVE_INFINITY;
  const to = window.to;
  const now = window.now ?? to;
  const r: CostRollup = {
    total: 0,
    boot: 0,
    idle: 0,
    tasks: 0,
    byQueue: {},
    overheadByQueue: {},
    byResource: {},
    byDay: {},
    byMarket: { spot: 0, 'on-demand': 0 },
    byTask: {},
    spot: { spotCost: 0, onDemandEquivalent: 0, savings: 0, unpricedSpotCost: 0 },
  };
  for (const inst of instances) {
    // The 60 s minimum is charged at launch, so nothing that ended before the window costs anything in it.
    if (inst.launchedAt > to || (inst.endedAt !== null && inst.endedAt < from)) continue;
    const a = attributeBetween(inst, from, to, now);
    if (a.total === 0) continue;
    r.total += a.total;
    r.boot += a.boot;
    r.idle += a.idle;
    add(r.byQueue, inst.queue, a.total);
    add(r.byResource, inst.resource, a.total);
    r.byMarket[inst.market] += a.total;
    const oh = (r.overheadByQueue[inst.queue] ??= { boot: 0, idle: 0 });
    oh.boot += a.boot;
    oh.idle += a.idle;
    for (const [taskId, cost] of Object.entries(a.byTask)) {
      r.tasks += cost;
      const name = inst.tasks.find((t) => t.taskId === taskId && t.name)?.name;
      const tc = (r.byTask[taskId] ??= {
        cost: 0,
        seconds: 0,
        queue: inst.queue,
        resource: inst.resource,
        ...(name ? { name } : {}),
      });
      tc.cost += cost;
      tc.seconds += a.secondsByTask[taskId] ?? 0;
    }
    for (const [day, cost] of Object.entries(costByUtcDay(inst, from, to, now))) add(r.byDay, day, cost);
    if (inst.market === 'spot') {
      r.spot.spotCost += a.total;
      const od = inst.onDemandHourlyPrice;
      if (od !== undefined) {
        // The same billed seconds at the on-demand price (a spot price that moved is not one ratio to it).
        r.spot.onDemandEquivalent += costBetween({ ...inst, hourlyPrice: od, priceChanges: [] }, from, to, now);
      } else {
        r.spot.unpricedSpotCost += a.total;
      }
    }
  }
  r.spot.savings = r.spot.onDemandEquivalent - (r.spot.spotCost - r.spot.unpricedSpotCost);
  return r;
}

/** The instance's cost in [from, to] split by UTC calendar day. */
export function costByUtcDay(inst: InstanceCostInput, from: number, to: number, now: number): Record<string, number> {
  const out: Record<string, number> = {};
  const start = Math.max(from, inst.launchedAt);
  const end = Math.min(to, inst.endedAt ?? Math.max(now, inst.launchedAt));
  // The 60 s minimum can extend cost past a very short life; it belongs to the launch day.
  if (end <= start) {
    const c = costBetween(inst, from, to, now);
    if (c > 0) out[utcDay(start)] = c;
    return out;
  }
  for (let d = startOfUtcDay(start); d < end; d += DAY_MS) {
    const c = costBetween(inst, Math.max(d, from), Math.min(d + DAY_MS, to), now);
    if (c > 0) add(out, utcDay(d), c);
  }
  return out;
}

export interface Burn {
  total: number;
  byQueue: Record<string, number>;
  byResource: Record<string, number>;
  spot: number;
  onDemand: number;
}

/** USD/hour of everything running at `now`. */
export function burnRate(instances: readonly InstanceCostInput[], now: number): Burn {
  const b: Burn = { total: 0, byQueue: {}, byResource: {}, spot: 0, onDemand: 0 };
  for (const i of instances) {
    if (i.launchedAt > now || (i.endedAt !== null && i.endedAt <= now)) continue;
    const price = priceAt(i, now);
    b.total += price;
    add(b.byQueue, i.queue, price);
    add(b.byResource, i.resource, price);
    if (i.market === 'spot') b.spot += price;
    else b.onDemand += price;
  }
  return b;
}

function add(rec: Record<string, number>, key: string, v: number): void {
  rec[key] = (rec[key] ?? 0) + v;
}

// ---------------------------------------------------------------- UTC calendar

export function startOfUtcDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

export function startOfUtcMonth(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

export function startOfNextUtcMonth(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
