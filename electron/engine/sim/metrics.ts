/**
 * The figures a simulation is judged by, as pure functions: percentiles, the ideal cost lower bound, the wait
 * lower bound, cost attribution of the instances a run launched (through the app's own accounting: per-second
 * billing, 60 s minimum), and per-tick call statistics.
 */
import type { Config } from '../../../shared/config.js';
import type { Market } from '../../../shared/domain.js';
import { rollup, type InstanceCostInput } from '../cost/accounting.js';
import type { Trace } from './trace.js';

export type PriceFn = (instanceType: string, market: Market) => number;

/**
 * Percentile by linear interpolation between closest ranks (the "R-7" definition numpy and spreadsheets use):
 * p50 of [1, 2, 3, 4] is 2.5, p100 is the max. `p` in [0, 100]; NaN for an empty list.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  if (!(p >= 0 && p <= 100)) throw new Error(`percentile must be within 0..100, got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

export interface Distribution {
  n: number;
  mean: number;
  p50: number;
  p95: number;
  max: number;
}

export function distribution(values: readonly number[]): Distribution {
  if (values.length === 0) return { n: 0, mean: Number.NaN, p50: Number.NaN, p95: Number.NaN, max: Number.NaN };
  return {
    n: values.length,
    mean: values.reduce((a, b) => a + b, 0) / values.length,
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    max: Math.max(...values),
  };
}

export interface CheapestResource {
  resource: string;
  instanceType: string;
  market: Market;
  price: number;
}

/** The cheapest hourly price among the resources a queue may use (spot if the resource is spot). */
export function cheapestForQueue(config: Config, queue: string, price: PriceFn): CheapestResource | null {
  let best: CheapestResource | null = null;
  for (const entry of config.queues[queue] ?? []) {
    const res = config.resources[entry.resource];
    if (!res || entry.maxInstances <= 0) continue;
    const p = price(res.instanceType, res.market);
    if (!best || p < best.price)
      best = { resource: entry.resource, instanceType: res.instanceType, market: res.market, price: p };
  }
  return best;
}

export interface IdealCost {
  /** USD: each task's duration × the cheapest price allowed for its queue; no boot, no idle, no minimum. */
  total: number;
  byQueue: Record<string, number>;
  cheapest: Record<string, CheapestResource>;
  /** Task-seconds of work in the trace. */
  taskSeconds: number;
}

export function idealCost(trace: Trace, config: Config, price: PriceFn): IdealCost {
  const out: IdealCost = { total: 0, byQueue: {}, cheapest: {}, taskSeconds: 0 };
  for (const t of trace.tasks) {
    let c = out.cheapest[t.queue];
    if (!c) {
      const found = cheapestForQueue(config, t.queue, price);
      if (!found) throw new Error(`queue '${t.queue}' of task ${t.id} has no usable resource in the config`);
      c = out.cheapest[t.queue] = found;
    }
    const cost = (t.durationSec * c.price) / 3600;
    out.total += cost;
    out.byQueue[t.queue] = (out.byQueue[t.queue] ?? 0) + cost;
    out.taskSeconds += t.durationSec;
  }
  return out;
}

export interface WaitBound {
  /** The least a task that finds no idle worker can wait: the fastest boot. */
  coldStartSec: number;
  /** The boot time a p95 wait is compared with: the 95th percentile of the boot distribution. */
  bootP95Sec: number;
  meanBootSec: number;
}

/** Boot times are uniform in [min, max] (see the agent simulator). */
export function waitBound(boot: { min: number; max: number }): WaitBound {
  return {
    coldStartSec: boot.min,
    bootP95Sec: boot.min + 0.95 * (boot.max - boot.min),
    meanBootSec: (boot.min + boot.max) / 2,
  };
}

export interface CostFigures {
  total: number;
  /** Registered, running no task. */
  idle: number;
  /** Launch → registration, the 60 s minimum and rounding. */
  boot: number;
  /** Running tasks (including work lost to interruptions, which is paid for and repeated). */
  tasks: number;
  idleShare: number;
  bootShare: number;
  byQueue: Record<string, number>;
  byMarket: Record<Market, number>;
}

/** Cost of every instance of a run through the app's accounting (per-second billing, 60 s minimum). */
export function costFigures(instances: readonly InstanceCostInput[], end: number): CostFigures {
  const r = rollup(instances, { to: end, now: end });
  return {
    total: r.total,
    idle: r.idle,
    boot: r.boot,
    tasks: r.tasks,
    idleShare: r.total > 0 ? r.idle / r.total : 0,
    bootShare: r.total > 0 ? r.boot / r.total : 0,
    byQueue: r.byQueue,
    byMarket: r.byMarket,
  };
}

export interface PerTick {
  ticks: number;
  total: number;
  mean: number;
  max: number;
  /** Ticks that launched or terminated nothing: what a quiet tick costs. */
  quietMean: number;
}

export function perTick(samples: readonly { calls: number; quiet: boolean }[]): PerTick {
  const total = samples.reduce((a, s) => a + s.calls, 0);
  const quiet = samples.filter((s) => s.quiet);
  return {
    ticks: samples.length,
    total,
    mean: samples.length ? total / samples.length : 0,
    max: samples.reduce((m, s) => Math.max(m, s.calls), 0),
    quietMean: quiet.length ? quiet.reduce((a, s) => a + s.calls, 0) / quiet.length : 0,
  };
}
