/**
 * What online policies can do on three of the bench's families, for the results' "why a target is missed".
 *
 * Trickle: what any policy that does not know the future must pay on a periodic trickle, computed from the family's
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

/**
 * The heavytail family's online frontier, simulated on its traces: one class of online policy, "keep `spare`
 * machines idle or booting beyond the busy ones, and launch at once for a task that finds none", run with every
 * advantage an engine cannot have. It sees each arrival the instant it happens (no polling, no agent poll), trims
 * a surplus idle machine the moment it went idle (no idle tail) and stops each machine as its last task ends. A
 * task takes an idle machine if there is one; else a spare still booting (the one ready first); else a machine is
 * launched for it and it takes that or a busy machine, whichever is free first. A machine bills from launch to
 * stop, at least 60 s; each boot is drawn from the world's range. A machine can be
 * trimmed only once idle: a spare still booting is kept for the next task.
 */
export interface PoolTask {
  atSec: number;
  durationSec: number;
}

export interface PoolRun {
  /** Machine-seconds billed. */
  machineSec: number;
  /** Per task, arrival → start (s), in arrival order. */
  waitsSec: number[];
  launches: number;
}

const MIN_BILLED_SEC = 60;

/** A machine of the idealised policies: launched, ready after its boot, free once its last assigned task ends. */
interface PoolMachine {
  launchAt: number;
  readyAt: number;
  /** When its last assigned task ends (readyAt while it has none). */
  freeAt: number;
  /** A task has taken it (`runKeepIdle` clears this once it goes idle). */
  claimed: boolean;
  stopAt: number | null;
}

/** A machine launched at `t`, ready after a boot drawn from the world's range. */
function launched(t: number, bootSec: { min: number; max: number }, random: () => number): PoolMachine {
  const readyAt = t + bootSec.min + (bootSec.max - bootSec.min) * random();
  return { launchAt: t, readyAt, freeAt: readyAt, claimed: false, stopAt: null };
}

/**
 * A task that found no machine ready or booting and had `fresh` launched for it takes that or the busy machine
 * that frees first, whichever is free first; with when it starts.
 */
function freeFirst<M extends PoolMachine>(fresh: M, busy: readonly M[]): [M, number] {
  const first = [...busy].sort((a, b) => a.freeAt - b.freeAt)[0];
  const taken = first && first.freeAt < fresh.readyAt ? first : fresh;
  return [taken, Math.max(taken.freeAt, taken.readyAt)];
}

/** Machine-seconds billed: launch to stop (a machine never stopped, to its last task's end), at least 60 s each. */
function billedSec(machines: readonly PoolMachine[]): number {
  return machines.reduce((n, m) => n + Math.max(MIN_BILLED_SEC, (m.stopAt ?? m.freeAt) - m.launchAt), 0);
}

export function runPool(
  tasks: readonly PoolTask[],
  spare: number,
  bootSec: { min: number; max: number },
  random: () => number,
): PoolRun {
  const machines: PoolMachine[] = [];
  const launch = (t: number): PoolMachine => {
    const m = launched(t, bootSec, random);
    machines.push(m);
    return m;
  };
  const live = () => machines.filter((m) => m.stopAt === null);
  const idleAt = (t: number) => live().filter((m) => m.readyAt <= t && m.freeAt <= t);
  const bootingFree = (t: number) => live().filter((m) => m.readyAt > t && !m.claimed);
  const waitsSec: number[] = [];
  for (const task of [...tasks].sort((a, b) => a.atSec - b.atSec)) {
    const t = task.atSec;
    // Surplus idle machines were stopped the moment they went idle, longest idle first.
    const idle = idleAt(t).sort((a, b) => a.freeAt - b.freeAt);
    let surplus = idle.length + bootingFree(t).length - spare;
    for (const m of idle) {
      if (surplus-- <= 0) break;
      m.stopAt = Math.max(m.freeAt, m.launchAt + MIN_BILLED_SEC);
    }
    const ready = idleAt(t).sort((a, b) => b.freeAt - a.freeAt)[0];
    const booting = bootingFree(t).sort((a, b) => a.readyAt - b.readyAt)[0];
    let taken: PoolMachine;
    let startAt: number;
    if (ready) [taken, startAt] = [ready, t];
    else if (booting) [taken, startAt] = [booting, booting.readyAt];
    else {
      const busy = live();
      [taken, startAt] = freeFirst(launch(t), busy);
    }
    taken.claimed = true;
    taken.freeAt = startAt + task.durationSec;
    waitsSec.push(startAt - t);
    for (let n = idleAt(t).length + bootingFree(t).length; n < spare; n++) launch(t);
  }
  return { machineSec: billedSec(machines), waitsSec, launches: machines.length };
}

/**
 * The keep-idle frontier, for p50 misses beyond one agent poll: one class of online policy, "keep up to `keep`
 * idle machines, each for at most `idleSec` after it went idle, and launch at once for a task that finds none".
 * ClearML's autoscaler keeps every idle machine for maxIdleMin (keep = Infinity, idleSec = maxIdleMin × 60); ours
 * chooses how many by the arrival forecast. It runs with the advantages of `runPool`: every arrival seen the
 * instant it happens, a machine stopped the instant its idle limit ends. A task takes the machine idle the
 * shortest time (the longest idle reaches its limit first); else one still booting with no task (the one ready
 * first); else a machine is launched for it and it takes that or a busy machine, whichever is free first. A
 * machine that goes idle while `keep` others are idle stops at once. Billing from launch to stop, at least 60 s.
 */
export function runKeepIdle(
  tasks: readonly PoolTask[],
  keep: number,
  idleSec: number,
  bootSec: { min: number; max: number },
  random: () => number,
): PoolRun {
  interface Machine extends PoolMachine {
    /** Set while idle. */
    idleSince: number | null;
  }
  const machines: Machine[] = [];
  const up = () => machines.filter((m) => m.stopAt === null);
  const stop = (m: Machine, at: number) => (m.stopAt = Math.max(at, m.launchAt + MIN_BILLED_SEC));
  const expire = (at: number) => {
    for (const m of up()) if (m.idleSince !== null && m.idleSince + idleSec <= at) stop(m, m.idleSince + idleSec);
  };
  /** Machines going idle up to `t`, in order: each stays idle unless `keep` others already are. */
  const settle = (t: number) => {
    for (;;) {
      const next = up()
        .filter((m) => m.idleSince === null && m.freeAt <= t)
        .sort((a, b) => a.freeAt - b.freeAt)[0];
      if (!next) break;
      expire(next.freeAt);
      next.claimed = false;
      if (up().filter((m) => m.idleSince !== null).length >= keep) stop(next, next.freeAt);
      else next.idleSince = next.freeAt;
    }
    expire(t);
  };
  const waitsSec: number[] = [];
  for (const task of [...tasks].sort((a, b) => a.atSec - b.atSec)) {
    const t = task.atSec;
    settle(t);
    const idle = up()
      .filter((m) => m.idleSince !== null)
      .sort((a, b) => b.idleSince! - a.idleSince!)[0];
    const booting = up()
      .filter((m) => m.readyAt > t && !m.claimed)
      .sort((a, b) => a.readyAt - b.readyAt)[0];
    let taken: Machine;
    let startAt: number;
    if (idle) [taken, startAt] = [idle, t];
    else if (booting) [taken, startAt] = [booting, booting.readyAt];
    else {
      const busy = up().filter((m) => m.idleSince === null);
      const fresh: Machine = { ...launched(t, bootSec, random), idleSince: null };
      machines.push(fresh);
      [taken, startAt] = freeFirst(fresh, busy);
    }
    taken.idleSince = null;
    taken.claimed = true;
    taken.freeAt = startAt + task.durationSec;
    waitsSec.push(startAt - t);
  }
  settle(Infinity);
  return { machineSec: billedSec(machines), waitsSec, launches: machines.length };
}

/**
 * One trickle trace's waits under a lead fixed in advance, priced as `leadPoint` prices it: each task has a
 * machine launched `leadSec` before its slot and waits max(0, boot − lead − offset), `offsetsSec` being where each
 * task landed around its slot. The first task is granted no wait at all: no policy knows of it in advance, and in
 * the bench ours and the model draw the same first boot, so neither gains on the other there; granting it makes
 * every count read off these waits a floor. A trace of a few tasks has its p95 between its two longest waits, so
 * one task that waits moves it a long way: the per-trace waits show what the averages of `leadPoint` cannot.
 */
export function slotTraceWaits(
  offsetsSec: readonly number[],
  leadSec: number,
  bootSec: { min: number; max: number },
  random: () => number,
): number[] {
  return offsetsSec.map((x, i) => {
    const boot = bootSec.min + (bootSec.max - bootSec.min) * random();
    return i === 0 ? 0 : Math.max(0, boot - leadSec - x);
  });
}
