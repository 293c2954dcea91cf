/**
 * How soon a queue's busy workers will free up, from the task durations the engine has seen on it. A task that
 * waits while a busy worker is about to finish gains nothing from a launch: it starts on that worker before a new
 * machine could boot, and the machine is paid for nothing. Pure: the engine gives the durations it observed
 * (first seen running → last seen running) and how long each busy worker's task has run so far.
 */

/** Fewer completed tasks than this say too little about the durations to hold a launch back on them. */
export const MIN_DURATION_SAMPLES = 10;
/** A busy worker counts as freeing soon when at least this share of tasks that ran as long finished in time. */
export const FREE_SOON_SHARE = 0.5;

/**
 * The chance that a task that has run `elapsedSec` ends within `horizonSec` more, from the durations seen: of the
 * tasks that ran longer than `elapsedSec`, the share that ended by `elapsedSec + horizonSec`. Null with too
 * few such tasks to tell.
 */
export function chanceDoneWithin(durations: readonly number[], elapsedSec: number, horizonSec: number): number | null {
  let longer = 0;
  let doneInTime = 0;
  for (const d of durations) {
    if (d <= elapsedSec) continue;
    longer++;
    if (d <= elapsedSec + horizonSec) doneInTime++;
  }
  return longer >= MIN_DURATION_SAMPLES ? doneInTime / longer : null;
}

export interface FreeSoonInput {
  /** Durations (s) of the queue's recently completed tasks. */
  durations: readonly number[];
  /** How long each busy worker's current task has run (s). */
  busyElapsedSec: readonly number[];
  /** How soon counts as soon: a boot (the alternative a launch offers). */
  horizonSec: number;
}

export interface FreeSoon {
  /** Busy workers likely to finish within the horizon. */
  count: number;
  horizonSec: number;
}

/** Busy workers each more likely than not to finish within the horizon. */
export function freeingSoon(input: FreeSoonInput): FreeSoon {
  let count = 0;
  if (input.durations.length >= MIN_DURATION_SAMPLES)
    for (const e of input.busyElapsedSec) {
      const p = chanceDoneWithin(input.durations, e, input.horizonSec);
      if (p !== null && p >= FREE_SOON_SHARE) count++;
    }
  return { count, horizonSec: input.horizonSec };
}

/**
 * The mean share of a window a task holds its worker: mean of min(duration, window) / window over the durations
 * seen. Short tasks free their worker for another within the window. 1 (every task holds it throughout) with too
 * few durations.
 */
export function holdShare(durations: readonly number[], windowSec: number): number {
  if (durations.length < MIN_DURATION_SAMPLES || windowSec <= 0) return 1;
  return durations.reduce((a, d) => a + Math.min(d, windowSec), 0) / durations.length / windowSec;
}

/** The mean duration of the tasks seen (s); null with too few to tell. */
export function meanDurationSec(durations: readonly number[]): number | null {
  return durations.length < MIN_DURATION_SAMPLES ? null : durations.reduce((a, d) => a + d, 0) / durations.length;
}
