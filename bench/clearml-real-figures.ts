/**
 * What a run of ClearML's real autoscaler is measured by, computed from the simulated world at the end of the
 * run exactly as the simulator computes its own figures (cost, waits, launches), plus what ClearML's code did.
 */
import { costFigures, distribution, type CostFigures, type Distribution } from '../electron/engine/sim/metrics.js';
import type { SimWorld } from '../electron/engine/sim/world.js';
import type { Trace } from '../electron/engine/sim/trace.js';
import type { RealEntry } from './clearml-real-report.js';

export interface ClearmlSettings {
  pollingIntervalMin: number;
  maxIdleMin: number;
  maxSpinUpMin: number;
  workersPrefix: string;
}

export interface RealRunFigures {
  trace: string;
  config: string;
  seed: number;
  /** Wall-clock compression: world seconds per wall second. */
  factor: number;
  /** What was replayed, when it is not the whole trace as bundled. */
  shortened: string | null;
  /** True: clearml exactly as shipped (no launch succeeds in 2.1.12); false: with the one-keyword fix. */
  asShipped: boolean;
  settings: ClearmlSettings;
  clearmlPackage: string;
  finished: boolean;
  simulatedHours: number;
  wallSec: number;
  tasks: { total: number; completed: number; neverStarted: number };
  cost: CostFigures;
  ideal: number;
  costRatio: number;
  waitSec: Distribution;
  launches: number;
  terminations: number;
  launchFailures: number;
  restarts: number;
  /** Requests the emulators received from ClearML's code, by endpoint/action. */
  calls: { clearml: Record<string, number>; ec2: Record<string, number> };
  /** The simulator on the same trace and seed (filled in by the command line). */
  sim?: RealEntry['sim'];
  /** `--hours` of the replay, null for the whole trace. */
  replayHours?: number | null;
  /**
   * How far the world fell behind the shared clock's target at worst (timer granularity, load on the machine).
   * ClearML's side waits for the world, so a lag slows the replay down rather than skewing it.
   */
  maxClockLagSec: number;
  /** The day the run was measured (UTC, YYYY-MM-DD): the emulators and the agent simulator change over time. */
  measuredOn?: string;
}

/** The run as the runner saw it: what the world cannot tell (settings, log counts, wall time, clock lag). */
export type RunRecord = Pick<
  RealRunFigures,
  | 'seed'
  | 'factor'
  | 'shortened'
  | 'asShipped'
  | 'settings'
  | 'clearmlPackage'
  | 'finished'
  | 'launchFailures'
  | 'restarts'
> & {
  trace: Trace;
  configName: string;
  /** Wall-clock start of the run (performance.now()). */
  started: number;
  idealTotal: number;
  /** The ClearML emulator's call counters when the run started, so only the run's own requests count. */
  clearmlCalls0: Record<string, number>;
  maxLagMs: number;
};

/** The figures of a run that just ended, read from its world at the world's current time. */
export function measureRun(world: SimWorld, run: RunRecord): RealRunFigures {
  const end = world.now;
  const cost = costFigures(world.costInputs(), end);
  const records = [...world.tasks.values()];
  const waits = records.map((t) => ((t.firstStartAt ?? Math.max(end, t.enqueueAt)) - t.enqueueAt) / 1000);
  const instances = world.ec2.instances();
  const clearmlCalls: Record<string, number> = {};
  for (const [k, v] of Object.entries(world.clearml.calls as Record<string, number>)) {
    const d = v - (run.clearmlCalls0[k] ?? 0);
    if (d > 0 && k !== 'total') clearmlCalls[k] = d;
  }
  const ideal = run.idealTotal;
  return {
    trace: run.trace.name,
    config: run.configName,
    seed: run.seed,
    factor: run.factor,
    shortened: run.shortened,
    asShipped: run.asShipped,
    settings: run.settings,
    clearmlPackage: run.clearmlPackage,
    finished: run.finished,
    simulatedHours: (end - world.epoch) / 3_600_000,
    wallSec: Number(((performance.now() - run.started) / 1000).toFixed(1)),
    tasks: {
      total: records.length,
      completed: records.filter((t) => t.completedAt !== null).length,
      neverStarted: records.filter((t) => t.firstStartAt === null).length,
    },
    cost,
    ideal,
    costRatio: ideal > 0 ? cost.total / ideal : Number.NaN,
    waitSec: distribution(waits),
    launches: instances.length,
    terminations: instances.filter((i) => i.stateReasonCode === 'Client.UserInitiatedShutdown').length,
    launchFailures: run.launchFailures,
    restarts: run.restarts,
    calls: { clearml: clearmlCalls, ec2: { ...world.ec2.calls.byAction } },
    maxClockLagSec: Number((run.maxLagMs / 1000).toFixed(1)),
    measuredOn: new Date().toISOString().slice(0, 10),
  };
}
