/**
 * Whether to keep a queue's idle workers warm, and whether to start one ahead of a periodic task: the expected
 * cost of keeping a worker until the next task arrives against the expected cost of that task waiting for a boot
 * (the boot is billed, and the user's wait is valued by `scaling.preference`). Pure: the engine gives the forecast,
 * the worker's price and the learned boot time; the answer is a count with a structured reason (code + data)
 * that `keepWarmText` in reasons.ts renders for the event log.
 */
import type { Preference } from '../../../shared/config.js';
import type { ArrivalForecast, Periodic } from './arrivals.js';
import { expectedSecUntil, nextPeriodicAt } from './arrivals.js';

export type { Preference };

/**
 * What an hour of a task waiting for a boot is worth, as a multiple of the idle worker's hourly price. `cost`
 * counts dollars only (keep a worker only when the next task is due sooner than a boot takes); `balanced` values
 * a minute of waiting like ten minutes of the machine. `latency` does not weigh: it keeps every idle worker while
 * tasks keep coming (see `keepWarm`).
 */
export const WAIT_WEIGHT: Record<Exclude<Preference, 'latency'>, number> = { cost: 0, balanced: 10 };

export const DEFAULT_BOOT_SEC = 120;
/**
 * Fewer batches than this say too little about a rate to let a worker go on it (two gaps of ten minutes read as
 * six an hour or as three): until then balanced and latency keep idle workers up to maxIdleMin, as ClearML does.
 */
export const MIN_FORECAST_BATCHES = 4;

export interface KeepWarmInput {
  preference: Preference;
  /** Null: too few arrivals seen to forecast. */
  forecast: ArrivalForecast | null;
  now: number;
  /** USD per hour of the idle workers (the dearest one, which goes first). */
  pricePerHour: number;
  /** Launch → worker registered, as learned. */
  bootSec: number;
  /** A boot most boots stay under (the slowest recent one): what a pre-warm must allow for. Default: bootSec. */
  bootHighSec?: number;
  pollSec: number;
  maxIdleSec: number;
  /** Idle workers beyond the pending tasks (the ones the rule may let go). */
  candidates: number;
  /** Idle + booting workers + pending tasks: a pre-warm is only for a queue with nothing ready or coming. */
  readyOrPending: number;
  /**
   * At most this many idle workers can be of use: the queue's peak demand (busy + pending) in the recent past less
   * its busy workers now. Short tasks free workers as fast as tasks arrive, so a high rate alone does not make a
   * second idle worker useful.
   */
  maxUseful?: number;
  /** Busy workers likely to free up within a boot: they serve a burst as well as an idle worker would. */
  freeingSoon?: number;
  /** The mean share of the burst window (`BURST_WINDOW_BOOTS` boots) a task holds its worker; default 1. */
  holdShare?: number;
  /** The mean duration of the queue's recent tasks (s); null or absent with too few seen. */
  meanDurationSec?: number | null;
  /** The queue's busy workers now. */
  busy?: number;
  /**
   * The slot (ms) this queue was last pre-warmed for. A slot is pre-warmed once: a pre-warmed worker that went
   * before its task came (at the idle limit) is not started again for it.
   */
  prewarmedSlotAt?: number | null;
}

export interface NextTaskData {
  kept: number;
  expectedInSec: number;
  keepUsd: number;
  relaunchUsd: number;
  periodic: boolean;
  /** Whether relaunchUsd counts the wait for the boot as well as the boot (not at the cost preference). */
  waitValued: boolean;
  /**
   * With none kept, what decided it when not the price: `idle-limit`, the next task is expected after the idle
   * limit (`limitSec`) would have stopped the worker anyway; `recent-demand`, the queue's recent peak never needed
   * more workers than are busy now (`KeepWarmInput.maxUseful`). Absent: keeping one costs more than a relaunch.
   */
  stoppedBy?: { code: 'idle-limit'; limitSec: number } | { code: 'recent-demand' };
}

export type KeepWarmReason =
  | { code: 'none-idle'; data: Record<string, never> }
  | { code: 'no-history'; data: { kept: number } }
  | { code: 'keep-all'; data: { kept: number } }
  | { code: 'stream-paused'; data: { silenceSec: number; meanGapSec: number } }
  | { code: 'next-task-soon'; data: NextTaskData }
  | { code: 'next-task-far'; data: NextTaskData }
  | { code: 'busy-queue-margin'; data: { kept: number; loadWorkers: number; busy: number; staffed: number } }
  /**
   * Idle workers of ClearML's autoscaler on the queue cover `foreignIdle` of the `forecast` the rule would keep, so
   * only `kept` of this app's stay up to the idle limit; the rest are surplus (`netOfForeign`).
   */
  | { code: 'foreign-covers'; data: { kept: number; forecast: number; foreignIdle: number } }
  | {
      code: 'prewarm-cheaper';
      data: { expectedInSec: number; keepUsd: number; prewarmUsd: number; periodSec: number; leadSec: number };
    };

export type PrewarmReason = { code: 'periodic-due'; data: { dueInSec: number; periodSec: number; count: number } };

export interface KeepWarmVerdict {
  keep: number;
  /**
   * The idle workers beyond `keep` may go at once rather than after the surplus limit: the queue is periodic and
   * starting one again ahead of its next task costs less than any idling until then.
   */
  release: boolean;
  reason: KeepWarmReason;
  prewarm: number;
  prewarmReason: PrewarmReason | null;
  /** When a pre-warm for the next slot is to start (ms), if one is expected and not started yet: a wake-up time. */
  prewarmAt: number | null;
  /** The slot `prewarm` is for (ms), to be passed back as `prewarmedSlotAt`. */
  prewarmSlotAt: number | null;
  /**
   * How long (s) a kept worker may stay idle before it goes, when the forecast sets a limit of its own (see
   * KEPT_IDLE_FACTOR); null: up to maxIdleMin. plan() caps it at maxIdleMin and spares the queue's freshest idle
   * worker.
   */
  keptIdleSec: number | null;
}

/**
 * Balanced keeps an idle worker for a task the forecast expects, the n-th kept one for the n-th task, due in
 * `expectedSecUntil(n)`. On a queue whose workers free up about as fast as tasks arrive (a busy queue of short
 * tasks) a worker freed by its task often takes the next arrival first, and the kept ones idle on. If the kept
 * workers were what served the queue, the task the last of them waits for would come later than twice its expected
 * time only rarely: for Poisson arrivals at the learned rate, 14 % of the time with one kept, 9 % with two, 6 %
 * with three. So a kept worker still idle after that long says other workers take the queue's tasks, and it goes.
 * Below the queue's OWN_TIME_FRESHEST freshest idle workers, how long a worker has idled is read from the queue
 * when that is longer (plan()'s `idleRunSec`): a task goes to whichever idle agent polls first, so the kept workers
 * share the arrivals and each one's own idle spells stay short while the queue keeps that many idle all along. The
 * queue's freshest idle worker is spared (plan()): it is the one the next task finds, and stays up to maxIdleMin as
 * before. A slow queue's limit lies beyond maxIdleMin and changes nothing.
 */
export const KEPT_IDLE_FACTOR = 2;

/**
 * The freshest idle workers of a queue that are judged on their own idle time against the kept limit; the others
 * on the queue's when that is longer (plan()'s `idleRunSec`). The queue's time shows how long it has kept that many
 * idle, whichever of them took the tasks in between, and that is what a kept worker beyond the ones the next tasks
 * find is for. The two freshest are those: the limit acts where the weighing keeps three or more, a queue busy
 * enough that a second task within a boot of the first is about as likely as not (60 an hour and a 100 s boot:
 * 1 − e^−1.67 × 2.67 ≈ 50 %). With only the freshest on its own time, the second freshest went whenever the pool had
 * idled long enough as a whole, and such pairs waited for a boot: on the bench's busy queue of short tasks one
 * seed's mean wait went 5 s over ClearML's.
 */
export const OWN_TIME_FRESHEST = 2;

/**
 * How far ahead of a periodic task's slot a pre-warmed worker should be ready: a poll (the launch waits for a
 * tick) and two standard deviations of where the task lands around the predicted slot (a task that early is rare).
 * That is more than two jitters: the slot itself is predicted from a few batches. With two jitters only, on the
 * bench's trickle (a task every 10 min ± 1 min) one task in a trace arrived 85 s before its predicted slot, 3.1
 * jitters as fitted, and waited 19 s for its pre-warmed worker, more than it would have waited on ClearML's one
 * worker kept all along.
 */
function leadSec(f: ArrivalForecast, pollSec: number): number {
  return pollSec + 2 * (f.periodic?.slotSdSec ?? 0);
}

/**
 * The window a burst is counted over, in boots. A worker let go now is missed from the first task that finds the
 * pool short until the launch that task starts is ready, a boot later, and the shortage can begin anywhere in the
 * boot after the decision: the arrivals that wait for want of it come within two boots. Measured on the bench's busy
 * queue of short tasks and its team traces (20 seeds each at balanced): 1.5 boots left one seed 1.03 × ClearML's
 * cost, 3 boots one seed's mean wait 1.5 s over ClearML's; 2 met both, and the median seed's cost moved by under 2 %
 * across the three.
 */
export const BURST_WINDOW_BOOTS = 2;

/**
 * How many idle workers a burst could use, as the preference values them. Whether the n-th kept worker pays is a
 * bet on the burst window (`BURST_WINDOW_BOOTS`): if n or more tasks arrive in it, keeping the n-th spared its task
 * a relaunch, the boot billed and the wait valued at `weight` (boot × (1 + weight) of the worker's price); if fewer,
 * it idled the window away (at most the window's price). So the n-th pays while n or more arrive more often than
 * window / (window + boot × (1 + weight)) of the time, with the arrivals Poisson at the learned rate: the cover is the
 * smallest count the window's arrivals exceed at most that often (2 in 13 at balanced, 2 in 3 at cost). A task
 * shorter than the window frees its worker for another within it, so each task holds a worker for `holdShare` of the
 * window on average (1 when durations are unknown or long). Busy workers about to finish serve the burst too, so the
 * rule keeps this many less those (and at least one). A task beyond them waits for a freed worker or a launch. This
 * replaced "the tasks expected in one boot plus two standard deviations", which kept spares the weighing does not pay
 * for: on the bench's busy queue of short tasks it cost 1.40 × the clairvoyant bound on the median seed, 1.31 with
 * this rule, and left two seeds over ClearML's cost and one over its mean wait, which this rule meets.
 */
export function burstCover(f: ArrivalForecast, bootSec: number, weight: number, holdShare = 1): number {
  const windowSec = BURST_WINDOW_BOOTS * bootSec;
  const mean = ((f.batchesPerHour * windowSec) / 3600) * Math.min(1, Math.max(0, holdShare));
  const tail = windowSec / (windowSec + bootSec * (1 + weight));
  // Walk the Poisson distribution's terms until what lies beyond n is no likelier than the tail. A mean of 0 stops
  // at once; a large one (far beyond any queue's burst) stops at the cap.
  let n = 0;
  let term = Math.exp(-mean);
  let below = term;
  while (1 - below > tail && n < MAX_COVER) {
    n++;
    term *= mean / n;
    below += term;
  }
  // Rounded up: on a queue of tasks longer than the boot (20 an hour of 6-min tasks: 1.1 in the window, quantile 2)
  // the batch factor's rounding (tasks within 30 s of each other form a batch: 1.02-1.37 a batch on such queues of
  // the bench's team traces) keeps the third idle worker that its p50 needs. Measured instead: counting tasks, not
  // batches (a compound Poisson over the recent batch sizes, or a Poisson at the task rate), put that queue's p50
  // or the busy queue of short tasks' cost or mean wait over ClearML's on some seeds; a window stretched to the
  // queue's mean task length, rounded to the nearest, left the same p50s over as the two-boot window does.
  return Math.max(1, Math.ceil(n * Math.max(1, f.meanBatchSize)));
}

/** burstCover's count stops here: far more batches than any queue could see in one window. */
const MAX_COVER = 1000;

/**
 * Balanced keeps a busy queue staffed at its load plus the load's square root. The per-worker weighing in
 * `keepWarm` treats idle workers as a stock that arrivals draw down, but on a busy queue workers also free up as
 * fast as tasks come, and the number busy wanders around its average by about the average's square root. Letting
 * the fleet shrink below that on a dip makes the next upswing's tasks wait for boots: on a working day of 45-min
 * GPU tasks at 8–12 an hour, about half of them. Staffing at load + √load (square-root staffing, how pools are sized
 * for random arrivals) lets most find a worker. The margin is √load workers on load busy ones: half the load at a
 * load of 4 and a shrinking share above. Below that a spare is a large share of the fleet, and the weighing decides
 * alone: on the bench, queues at a load near 2 paid 3–9 % more with the margin, and met ClearML's median wait
 * without it.
 */
export const MARGIN_MIN_LOAD = 4;

/** Workers a queue keeps busy on average: tasks an hour (batches × the typical batch) × their mean duration. */
export function offeredLoad(f: ArrivalForecast, meanDurationSec: number): number {
  return (f.batchesPerHour * f.medianBatchSize * meanDurationSec) / 3600;
}

/** The workers (busy and idle) balanced keeps up on a queue at this load; 0 below MARGIN_MIN_LOAD. */
export function staffedLevel(load: number): number {
  return load >= MARGIN_MIN_LOAD ? Math.ceil(load + Math.sqrt(load)) : 0;
}

/** Slots after the latest batch that are still pre-warmed: the first, and the second after one skipped run. */
const FRESH_SLOTS = 2.5;

/** Whether a slot (ms) of the grid is the first or second after the latest batch. */
function slotIsFresh(p: Periodic, slotAt: number): boolean {
  return slotAt < p.anchorAt + FRESH_SLOTS * p.periodSec * 1000;
}

export function keepWarm(input: KeepWarmInput): KeepWarmVerdict {
  const { forecast: f, preference, now, pricePerHour: price, bootSec } = input;
  const bootHighSec = Math.max(bootSec, input.bootHighSec ?? bootSec);
  // Pre-warms (and the release of idle workers they replace) are for the two slots after the latest batch: one
  // skipped run is common, two in a row mean the pattern has broken (or was never there: a few Poisson gaps can
  // look regular), and until a task comes again the queue counts as paused (below).
  const next = f ? nextPeriodicAt(f, now) : null;
  const fresh = !!f?.periodic && next !== null && slotIsFresh(f.periodic, next);
  const prewarmOn = preference !== 'cost' && fresh;
  // How far ahead of its slot a pre-warm starts: the slowest boot plus the lead.
  const aheadSec = f ? bootHighSec + leadSec(f, input.pollSec) : bootHighSec;
  const verdict: KeepWarmVerdict = {
    keep: 0,
    release: false,
    reason: { code: 'none-idle', data: {} },
    prewarm: 0,
    prewarmReason: null,
    prewarmAt: null,
    prewarmSlotAt: null,
    keptIdleSec: null,
  };
  if (f && prewarmOn && f.periodic && next !== null && input.readyOrPending === 0) {
    const dueInSec = (next - now) / 1000;
    // A slot is pre-warmed once, and not once it is past: its batch is late or skipped, and gets a launch if it
    // comes. (Its pre-warmed workers may have gone at the idle limit.)
    const due = dueInSec > 0 && dueInSec <= aheadSec && next !== input.prewarmedSlotAt;
    // Otherwise the wake-up is for the next slot still ahead of its pre-warm time, while the pattern is fresh.
    const upcoming = dueInSec > aheadSec ? next : next + f.periodic.periodSec * 1000;
    if (!due && slotIsFresh(f.periodic, upcoming)) verdict.prewarmAt = upcoming - aheadSec * 1000;
    if (due) {
      const count = Math.max(1, Math.round(f.meanBatchSize));
      verdict.prewarm = count;
      verdict.prewarmSlotAt = next;
      verdict.prewarmReason = {
        code: 'periodic-due',
        data: { dueInSec, periodSec: f.periodic.periodSec, count },
      };
    }
  }
  if (input.candidates <= 0) return verdict;
  if (!f || (f.batches < MIN_FORECAST_BATCHES && preference !== 'cost')) {
    // Nothing (or too little) learned yet: keep them up to maxIdleMin as ClearML does, unless only dollars count.
    verdict.keep = preference === 'cost' ? 0 : input.candidates;
    verdict.reason = { code: 'no-history', data: { kept: verdict.keep } };
    return verdict;
  }
  const periodic = !!f.periodic;
  // Cost counts dollars only: an idle worker the rule does not keep costs money every second it waits, and its
  // next task is forecast past a boot whether it goes now or after the surplus limit (the forecast does not improve
  // with the wait), so it goes now. With nothing learned yet (above) the surplus limit still guards against the
  // unknown.
  verdict.release = preference === 'cost';
  // A stream that has stopped (a burst, a working day, a run of tasks is over) will not take an idle worker soon:
  // the hour's rate still counts the tasks before the silence, and would keep workers up to maxIdleMin for none.
  if (f.paused && !periodic) {
    verdict.reason = { code: 'stream-paused', data: { ...f.paused } };
    return verdict;
  }
  // So has a periodic one whose last two slots passed with nothing.
  if (f.periodic && !fresh) {
    verdict.reason = {
      code: 'stream-paused',
      data: { silenceSec: (now - f.lastAt) / 1000, meanGapSec: f.periodic.periodSec },
    };
    return verdict;
  }
  // Latency keeps every idle worker up to maxIdleMin while tasks keep coming, as ClearML's autoscaler does, so no
  // task waits for a boot that a worker ClearML would have kept could have spared it. Weighing a wait, however
  // dear, still lets the spare workers of a Poisson stream go (the second is expected only after the limit), and
  // on some days those are the ones the next tasks would have found.
  if (preference === 'latency') {
    verdict.keep = input.candidates;
    verdict.reason = { code: 'keep-all', data: { kept: verdict.keep } };
    return verdict;
  }
  // Balanced, on a periodic queue: the alternative to keeping a worker is not a relaunch the next task waits for,
  // but a pre-warm that has a worker ready by the next slot. It bills the slowest boot and the lead, whatever the
  // draw, and nothing in between; keeping one bills the whole gap. Cost never pre-warms.
  if (prewarmOn && f.periodic) {
    const expectedInSec = expectedSecUntil(f, now, 1);
    // Not a worker pre-warmed for this very slot (its lead can shrink once a faster boot is seen): it would not
    // be started again, and its task would wait for a boot.
    if (expectedInSec > aheadSec && next !== input.prewarmedSlotAt) {
      verdict.release = true;
      verdict.reason = {
        code: 'prewarm-cheaper',
        data: {
          expectedInSec,
          keepUsd: (price * expectedInSec) / 3600,
          prewarmUsd: (price * aheadSec) / 3600,
          periodSec: f.periodic.periodSec,
          leadSec: leadSec(f, input.pollSec),
        },
      };
      return verdict;
    }
  }
  // A relaunch costs its boot plus the valued wait for it.
  const relaunchSec = bootSec * (1 + WAIT_WEIGHT[preference]);
  const upTo = Math.min(
    input.candidates,
    input.maxUseful ?? input.candidates,
    Math.max(1, burstCover(f, bootSec, WAIT_WEIGHT[preference], input.holdShare) - (input.freeingSoon ?? 0)),
  );
  const relaunchUsd = (price * relaunchSec) / 3600;
  // A worker up within a pre-warm's lead of the next slot is what a pre-warm would start: it is kept for that
  // slot even when the slot is a little past the idle limit (which plan() still enforces), or it would be
  // stopped and started again.
  const reachSec = prewarmOn ? Math.max(input.maxIdleSec, aheadSec) : input.maxIdleSec;
  for (let n = 1; n <= upTo; n++) {
    const expectedInSec = expectedSecUntil(f, now, n);
    if (!(expectedInSec <= reachSec && (price * expectedInSec) / 3600 < relaunchUsd)) break;
    verdict.keep = n;
  }
  // The reason names when the task the last kept worker waits for is expected or, with none kept, the next task.
  const shown = expectedSecUntil(f, now, Math.max(1, verdict.keep));
  const keepUsd = (price * shown) / 3600;
  verdict.reason = {
    code: verdict.keep > 0 ? 'next-task-soon' : 'next-task-far',
    data: {
      kept: verdict.keep,
      expectedInSec: shown,
      keepUsd,
      relaunchUsd,
      periodic,
      waitValued: WAIT_WEIGHT[preference] > 0,
      // With none kept, the log says which test let them go: usefulness, the limit, or (absent) the price.
      ...(upTo < 1
        ? { stoppedBy: { code: 'recent-demand' as const } }
        : verdict.keep === 0 && keepUsd < relaunchUsd
          ? { stoppedBy: { code: 'idle-limit' as const, limitSec: reachSec } }
          : {}),
    },
  };
  if (preference === 'balanced' && input.meanDurationSec && input.busy !== undefined) {
    const loadWorkers = offeredLoad(f, input.meanDurationSec);
    const staffed = staffedLevel(loadWorkers);
    const byMargin = Math.min(input.candidates, Math.max(0, staffed - input.busy));
    if (byMargin > verdict.keep) {
      verdict.keep = byMargin;
      verdict.reason = {
        code: 'busy-queue-margin',
        data: { kept: byMargin, loadWorkers, busy: input.busy, staffed },
      };
    }
  }
  // Workers kept for expected tasks get their own idle limit; not those the margin keeps (for the ups and downs,
  // not for one task each), nor on a periodic queue. `shown` is when the last kept worker's task is expected.
  if (preference === 'balanced' && !periodic && verdict.reason.code === 'next-task-soon')
    verdict.keptIdleSec = KEPT_IDLE_FACTOR * shown;
  return verdict;
}

/**
 * The verdict as the plan applies it beside `spare` idle workers of ClearML's autoscaler on the queue
 * (`foreignSpare` in policy.ts): they take the next tasks first, so of the `keep` the forecast wants only those
 * beyond them stay up to the idle limit, and the rest go after the surplus idle time. The plan nets them from
 * `expectedArrivals` itself (it is given the forecast's `keep`); this is what the log says, so the line and the
 * termination that follows agree.
 */
export function netOfForeign(v: KeepWarmVerdict, spare: number): KeepWarmVerdict {
  if (spare <= 0 || v.keep <= 0) return v;
  const kept = Math.max(0, v.keep - spare);
  return {
    ...v,
    keep: kept,
    reason: { code: 'foreign-covers', data: { kept, forecast: v.keep, foreignIdle: Math.min(spare, v.keep) } },
  };
}
