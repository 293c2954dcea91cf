/**
 * What any policy that does not know the future must pay on a periodic trickle, computed from the family's
 * distributions rather than simulated. One task per slot arrives at slot + X (X uniform within ± jitter); a
 * machine launched L seconds before the slot is ready after a boot B (uniform over the world's range) and bills
 * from its launch to the task's end: max(L + X, B) + duration. The task waits max(0, B − L − X) for it. Until the
 * task arrives the policy learns nothing about X, and until the machine registers nothing about B, so a lead fixed
 * in advance is all it can choose (a second machine or one kept across the ten-minute gap only costs more). The
 * clairvoyant bound pays its fastest boot + the duration per task. Agent polls, engine ticks and termination
 * delays only add to the policy's side, so the figures here are lower bounds on any online policy's cost ratio.
 */

export interface SlotWorld {
  jitterSec: number;
  bootSec: { min: number; max: number };
  durationSec: { min: number; max: number };
  /** The clairvoyant bound's boot (the fastest the world draws). */
  boundBootSec: number;
}

export interface LeadPoint {
  /** Launch this long before the slot; null: launch when the task arrives (pure reaction). */
  leadSec: number | null;
  /** Share of tasks that wait for their machine. */
  waitShare: number;
  /** Mean wait for the machine, over all tasks (s). */
  meanWaitSec: number;
  /** Expected cost per task ÷ the bound's. */
  ratio: number;
}

/** Midpoint grid per uniform variable: exact to well under 0.1 % for these piecewise-linear integrands. */
const STEPS = 240;

function midpoints(min: number, max: number): number[] {
  return Array.from({ length: STEPS }, (_, i) => min + ((max - min) * (i + 0.5)) / STEPS);
}

export function leadPoint(w: SlotWorld, leadSec: number | null): LeadPoint {
  const meanDuration = (w.durationSec.min + w.durationSec.max) / 2;
  const bound = w.boundBootSec + meanDuration;
  const boots = midpoints(w.bootSec.min, w.bootSec.max);
  if (leadSec === null) {
    const meanBoot = boots.reduce((a, b) => a + b, 0) / boots.length;
    return { leadSec, waitShare: 1, meanWaitSec: meanBoot, ratio: (meanBoot + meanDuration) / bound };
  }
  const offsets = midpoints(-w.jitterSec, w.jitterSec);
  let waits = 0;
  let waitSum = 0;
  let billedSum = 0;
  for (const b of boots)
    for (const x of offsets) {
      const wait = Math.max(0, b - leadSec - x);
      if (wait > 0) waits++;
      waitSum += wait;
      billedSum += Math.max(leadSec + x, b);
    }
  const n = boots.length * offsets.length;
  return { leadSec, waitShare: waits / n, meanWaitSec: waitSum / n, ratio: (billedSum / n + meanDuration) / bound };
}

/** The longest lead whose cost ratio stays within `ratio` (bisection; the ratio grows with the lead). */
export function leadForRatio(w: SlotWorld, ratio: number): LeadPoint {
  let lo = 0;
  let hi = w.bootSec.max + w.jitterSec;
  for (let i = 0; i < 40; i++) {
    const mid = (lo + hi) / 2;
    if (leadPoint(w, mid).ratio <= ratio) lo = mid;
    else hi = mid;
  }
  return leadPoint(w, lo);
}
