/**
 * The driver both loops run under: iterate, then sleep one polling interval (as the host's loop and ClearML's
 * `supervisor()` both do), in virtual time, until the workload is done. An iteration may itself move time
 * (the baseline blocks on EC2 waiters; the engine's EC2 token bucket may sleep), and the world keeps going
 * meanwhile. Per-iteration call counts come from the real clients' counters.
 */
import type { SimWorld } from './world.js';

export interface IterationResult {
  launched: number;
  terminated: number;
  /** EC2 calls the loop makes that the emulator does not serve, counted as if sent (baseline only). */
  modelledEc2Calls?: number;
}

export interface SimLoop {
  readonly pollMs: number;
  iterate(): Promise<IterationResult>;
  /** False while the loop's own memory still holds something a tick would act on (the baseline's spin-ups). */
  quiescent?(): boolean;
  /** A time the loop must tick at even in an empty world (the engine's pre-warm of a periodic queue), else null. */
  wakeAt?(): number | null;
}

export interface CallSample {
  clearml: number;
  ec2: number;
  ec2Modelled: number;
  quiet: boolean;
}

export interface DriveOutcome {
  samples: CallSample[];
  /**
   * Iterations not executed because the world was empty (no instance, worker, queued or running task) until
   * the next enqueue: such a tick observes nothing and does nothing, so only its call count is left out.
   */
  skippedEmptyTicks: number;
  /** False when the horizon cut the run short. */
  finished: boolean;
  endedAt: number;
}

/** With tasks left unfinished, how long a drained world (empty queues, no instances) must stay so to be done. */
export const DRAINED_GRACE_MS = 30 * 60_000;

export async function drive(world: SimWorld, loop: SimLoop, horizonAt: number): Promise<DriveOutcome> {
  const samples: CallSample[] = [];
  let skippedEmptyTicks = 0;
  let nextAt = world.now;
  let drainedSince: number | null = null;
  for (;;) {
    world.advanceTo(Math.max(world.now, nextAt));
    const before = { clearml: world.clearmlClient.calls, ec2: world.ec2Provider.calls };
    const r = await loop.iterate();
    world.agents.step();
    samples.push({
      clearml: world.clearmlClient.calls - before.clearml,
      ec2: world.ec2Provider.calls - before.ec2,
      ec2Modelled: r.modelledEc2Calls ?? 0,
      quiet: r.launched === 0 && r.terminated === 0,
    });
    const drained = world.allEnqueued && world.queuedCount() === 0 && world.liveInstanceCount() === 0;
    if (drained && world.allCompleted) return { samples, skippedEmptyTicks, finished: true, endedAt: world.now };
    drainedSince = drained ? (drainedSince ?? world.now) : null;
    // Tasks stranded by a lost instance that nobody requeues: the world is done once it stays drained.
    if (drainedSince !== null && world.now - drainedSince >= DRAINED_GRACE_MS)
      return { samples, skippedEmptyTicks, finished: true, endedAt: world.now };
    if (world.now >= horizonAt) return { samples, skippedEmptyTicks, finished: false, endedAt: world.now };
    const tickAt = world.now;
    nextAt = tickAt + loop.pollMs;
    // Fast-forward over empty stretches (nights, gaps) along the same tick grid: the ticks that would see the
    // next task still run at the same times, so the simulated history is unchanged.
    const enqueueAt = world.nextEnqueueAt();
    const wake = loop.wakeAt?.() ?? null;
    const nextEvent = enqueueAt !== null && wake !== null && wake > tickAt ? Math.min(enqueueAt, wake) : enqueueAt;
    if (nextEvent !== null && nextEvent > nextAt && world.isEmpty() && (loop.quiescent?.() ?? true)) {
      const k = Math.floor((nextEvent - tickAt) / loop.pollMs);
      skippedEmptyTicks += k - 1;
      nextAt = tickAt + k * loop.pollMs;
    }
  }
}
