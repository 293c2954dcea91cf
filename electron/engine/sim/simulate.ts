/**
 * One simulation: the same trace, config and seed run twice, each in a fresh world: once with the app's
 * engine and once with the ClearML baseline. Returns every figure both runs are judged by, side by side.
 */
import type { Config } from '../../../shared/config.js';
import type { Market } from '../../../shared/domain.js';
import { PriceBook } from '../cost/price-book.js';
import { VirtualClock } from '../testkit/virtual-clock.js';
import { ClearmlBaseline, type BaselineLog } from './baseline.js';
import { clairvoyantBound, type ClairvoyantResult } from './clairvoyant.js';
import { drive } from './driver.js';
import {
  costFigures,
  distribution,
  idealCost,
  perTick,
  waitBound,
  type CostFigures,
  type Distribution,
  type IdealCost,
  type PerTick,
  type PriceFn,
  type WaitBound,
} from './metrics.js';
import { engineLoop } from './ours.js';
import { CLEARML_DEFAULT_POLL_SEC, DEFAULT_BOOT_SEC, type Trace } from './trace.js';
import { SIM_EPOCH, SimWorld } from './world.js';
import { AGENT_DEFAULT_QUEUE_POLL_SEC } from '../../../shared/config.js';

/**
 * A task that finds an idle worker waits only for that agent's next queue poll; one more second covers the
 * clocks. A longer wait means no worker was ready: it waited for a boot or for a busy worker to finish.
 */
export const READY_WAIT_SEC = AGENT_DEFAULT_QUEUE_POLL_SEC + 1;

export type LoopKind = 'ours' | 'baseline';

export interface PollSetting {
  sec: number;
  /** Where the figure comes from, in words. */
  source: string;
}

export interface SimulateInput {
  config: Config;
  trace: Trace;
  seed: number;
  /** The baseline's polling interval; default from `resolveBaselinePoll`. */
  baselinePoll?: PollSetting;
  baselineCapacityCooldown?: boolean;
  /** Which loops to run (both by default). */
  loops?: readonly LoopKind[];
}

export interface RunFigures {
  loop: LoopKind;
  poll: PollSetting;
  /** False when the run hit its horizon with work left. */
  finished: boolean;
  simulatedHours: number;
  wallMs: number;
  cost: CostFigures;
  /** total / ideal. */
  costRatio: number;
  /** Cost per hour of task work that completed (fair when a run loses tasks). */
  costPerCompletedTaskHour: number;
  /** Seconds from enqueue (in the trace) to the task's first start; unstarted tasks count up to the end. */
  waitSec: Distribution;
  tasks: {
    total: number;
    completed: number;
    neverStarted: number;
    lost: number;
    restarted: number;
    /** Tasks that found a worker ready: they waited at most READY_WAIT_SEC. */
    startedReady: number;
  };
  launches: number;
  /** Instances the autoscaler terminated (not AWS, not the instance itself). */
  terminations: number;
  spotInterruptions: number;
  launchFailures: number;
  calls: {
    clearml: PerTick;
    ec2: PerTick;
    /** EC2 calls the loop makes that the emulator does not serve (baseline's console-log and spot waiters). */
    ec2ModelledTotal: number;
    /** Iterations skipped over empty stretches of the trace (see driver.ts); not in the per-tick figures. */
    skippedEmptyTicks: number;
  };
  baselineLog?: Omit<BaselineLog, 'messages'>;
  events?: Record<string, number>;
}

export interface SimResult {
  trace: string;
  seed: number;
  tasks: number;
  taskHours: number;
  boot: { min: number; max: number };
  ideal: IdealCost;
  /** The cheapest any policy could run the trace knowing it in advance, with the fastest boot (clairvoyant.ts). */
  clairvoyant: ClairvoyantResult;
  waitBound: WaitBound;
  ours?: RunFigures;
  baseline?: RunFigures;
  /** ours / baseline, where both ran. */
  ratios?: { cost: number; costPerCompletedTaskHour: number; p50Wait: number; p95Wait: number; maxWait: number };
}

/** Trace prices first, then the app's bundled price table (the same one the dashboard falls back to). */
export function makePriceFn(trace: Trace, region: string): PriceFn {
  const book = new PriceBook({ region, clock: new VirtualClock(SIM_EPOCH) });
  const cache = new Map<string, number>();
  return (type: string, market: Market) => {
    const key = `${type}|${market}`;
    let p = cache.get(key);
    if (p === undefined) {
      const t = trace.prices?.[type];
      p =
        market === 'on-demand'
          ? (t?.onDemand ?? book.hourly(type, market).price)
          : (t?.spot ?? book.hourly(type, market).price);
      cache.set(key, p);
    }
    return p;
  };
}

/** CLI flag > the trace's `baselinePollSec` > a ClearML config's own interval > ClearML's default (300 s). */
export function resolveBaselinePoll(
  trace: Trace,
  opts: { flagSec?: number | null; clearmlConfigPollSec?: number | null } = {},
): PollSetting {
  if (opts.flagSec) return { sec: opts.flagSec, source: '--baseline-poll' };
  if (trace.baselinePollSec) return { sec: trace.baselinePollSec, source: "the trace's baselinePollSec" };
  if (opts.clearmlConfigPollSec)
    return { sec: opts.clearmlConfigPollSec, source: "the ClearML config's polling_interval_time_min" };
  return { sec: CLEARML_DEFAULT_POLL_SEC, source: "ClearML's default polling_interval_time_min (5 min)" };
}

export function horizonSec(trace: Trace): number {
  const lastEnqueue = trace.tasks.reduce((m, t) => Math.max(m, t.enqueueAtSec), 0);
  const work = trace.tasks.reduce((s, t) => s + t.durationSec, 0);
  return Math.min(lastEnqueue + work + 6 * 3600, 14 * 86_400);
}

export async function simulate(input: SimulateInput): Promise<SimResult> {
  const { config, trace, seed } = input;
  const price = makePriceFn(trace, config.aws.region);
  const ideal = idealCost(trace, config, price);
  const boot = trace.bootSec ?? DEFAULT_BOOT_SEC;
  const loops = input.loops ?? ['ours', 'baseline'];
  const result: SimResult = {
    trace: trace.name,
    seed,
    tasks: trace.tasks.length,
    taskHours: ideal.taskSeconds / 3600,
    boot: { min: boot.min, max: boot.max },
    ideal,
    clairvoyant: clairvoyantBound({ trace, config, price, bootSec: boot.min }),
    waitBound: waitBound(boot),
  };
  const baselinePoll = input.baselinePoll ?? resolveBaselinePoll(trace);
  for (const kind of loops) {
    const figures = await runLoop(kind, { config, trace, seed, price, ideal, baselinePoll, input });
    if (kind === 'ours') result.ours = figures;
    else result.baseline = figures;
  }
  const { ours, baseline } = result;
  if (ours && baseline) {
    result.ratios = {
      cost: ours.cost.total / baseline.cost.total,
      costPerCompletedTaskHour: ours.costPerCompletedTaskHour / baseline.costPerCompletedTaskHour,
      p50Wait: ours.waitSec.p50 / baseline.waitSec.p50,
      p95Wait: ours.waitSec.p95 / baseline.waitSec.p95,
      maxWait: ours.waitSec.max / baseline.waitSec.max,
    };
  }
  return result;
}

async function runLoop(
  kind: LoopKind,
  a: {
    config: Config;
    trace: Trace;
    seed: number;
    price: PriceFn;
    ideal: IdealCost;
    baselinePoll: PollSetting;
    input: SimulateInput;
  },
): Promise<RunFigures> {
  const started = performance.now();
  const world = await SimWorld.start({ trace: a.trace, config: a.config, seed: a.seed, price: a.price });
  try {
    const horizonAt = world.epoch + horizonSec(a.trace) * 1000;
    const ours = kind === 'ours' ? engineLoop(world, a.config, a.price) : null;
    const baseline =
      kind === 'baseline'
        ? new ClearmlBaseline(world, a.config, {
            pollSec: a.baselinePoll.sec,
            capacityCooldown: a.input.baselineCapacityCooldown ?? false,
          })
        : null;
    const outcome = await drive(world, (ours ?? baseline)!, horizonAt);
    const end = outcome.endedAt;
    const cost = costFigures(world.costInputs(), end);
    const records = [...world.tasks.values()];
    const waits = records.map((t) => ((t.firstStartAt ?? Math.max(end, t.enqueueAt)) - t.enqueueAt) / 1000);
    const completed = records.filter((t) => t.completedAt !== null);
    const completedHours = completed.reduce((s, t) => s + t.durationSec, 0) / 3600;
    const instances = world.ec2.instances();
    const reason = (code: string) => instances.filter((i) => i.stateReasonCode === code).length;
    const poll: PollSetting =
      kind === 'ours'
        ? { sec: a.config.scaling.pollingIntervalSec, source: "the config's scaling.pollingIntervalSec" }
        : a.baselinePoll;
    const figures: RunFigures = {
      loop: kind,
      poll,
      finished: outcome.finished,
      simulatedHours: (end - world.epoch) / 3_600_000,
      wallMs: 0,
      cost,
      costRatio: a.ideal.total > 0 ? cost.total / a.ideal.total : Number.NaN,
      costPerCompletedTaskHour: completedHours > 0 ? cost.total / completedHours : Number.NaN,
      waitSec: distribution(waits),
      tasks: {
        total: records.length,
        completed: completed.length,
        neverStarted: records.filter((t) => t.firstStartAt === null).length,
        lost: records.length - completed.length,
        restarted: records.filter((t) => t.starts > 1).length,
        startedReady: waits.filter((w) => w <= READY_WAIT_SEC).length,
      },
      launches: instances.length,
      terminations: reason('Client.UserInitiatedShutdown'),
      spotInterruptions: world.interruptionsApplied,
      launchFailures: ours ? (ours.eventCounts['launch-failed'] ?? 0) : baseline!.log.launchFailures,
      calls: {
        clearml: perTick(outcome.samples.map((s) => ({ calls: s.clearml, quiet: s.quiet }))),
        ec2: perTick(outcome.samples.map((s) => ({ calls: s.ec2, quiet: s.quiet }))),
        ec2ModelledTotal: outcome.samples.reduce((n, s) => n + s.ec2Modelled, 0),
        skippedEmptyTicks: outcome.skippedEmptyTicks,
      },
    };
    if (ours) figures.events = { ...ours.eventCounts };
    if (baseline) {
      const { messages: _messages, ...log } = baseline.log;
      figures.baselineLog = log;
    }
    figures.wallMs = Math.round(performance.now() - started);
    return figures;
  } finally {
    await world.close();
  }
}
