/**
 * What a queue's past arrivals say about its next ones, as pure functions of the arrival times the engine has
 * observed (ms, when each task was first seen pending). Tasks seen within BATCH_GAP_MS of each other count as one
 * batch (a sweep enqueues forty at once: that is one event, not a rate of forty per minute). From the batches:
 * the recent batch rate, the mean batch size, when the gaps between the last batches are regular a period, and
 * whether the stream has paused (the silence since the last batch is too long for its recent gaps).
 */

/** Arrivals closer than this belong to the same batch (two polling intervals of a typical setup). */
export const BATCH_GAP_MS = 30_000;
/** The recent past the rate is measured over. */
export const RATE_WINDOW_MS = 60 * 60_000;
/** How many recent gaps a period is read from, and the fewest that make one. */
const PERIOD_GAPS = 8;
const MIN_PERIOD_GAPS = 3;
/** Gaps whose standard deviation is under this share of their mean are a period. */
const PERIOD_MAX_CV = 0.2;
const MIN_PERIOD_MS = 60_000;

export interface Batch {
  at: number;
  size: number;
}

export interface Periodic {
  periodSec: number;
  /**
   * How far a batch lands from its slot on the fitted grid (standard deviation): a task every 10 min ± 1 min has
   * a jitter of about 35 s, though its gaps, the difference of two such draws, vary by about 50 s.
   */
  jitterSec: number;
  /**
   * How far the next batch may land from the slot predicted for it (standard deviation): its own jitter and the
   * fit's error in placing that slot, which grows with the distance past the fitted batches (the prediction
   * interval of a least-squares line). With 9 batches fitted it is 1.24 jitters, with 5 1.45. A slot after a
   * skipped run lies one period further and is a little less certain still.
   */
  slotSdSec: number;
  /** Where the latest batch's slot is on the grid fitted to the recent batches (ms). */
  anchorAt: number;
}

export interface ArrivalForecast {
  /** Batches seen in all (the memory's horizon). */
  batches: number;
  /** Batches in the rate window. */
  recentBatches: number;
  /** Batches per hour over the rate window (or over the time observed, when shorter). */
  batchesPerHour: number;
  meanBatchSize: number;
  /**
   * The typical batch (the median size over the rate window): a sweep of forty among single tasks moves the mean
   * for an hour but not this, so the load a queue carries on average is read with it.
   */
  medianBatchSize: number;
  periodic: Periodic | null;
  lastAt: number;
  /** Set when the stream looks paused (see `pauseOf`): nothing is expected soon, whatever the hour's rate says. */
  paused: Pause | null;
}

export interface Pause {
  /** Since the latest batch. */
  silenceSec: number;
  /** The mean gap between the latest batches. */
  meanGapSec: number;
}

/** The lower median (a batch size that occurred). */
function medianOf(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** Sorted arrival times → batches. */
export function batchesOf(times: readonly number[]): Batch[] {
  const sorted = [...times].sort((a, b) => a - b);
  const out: Batch[] = [];
  let last = -Infinity;
  for (const t of sorted) {
    const b = out[out.length - 1];
    if (b && t - last <= BATCH_GAP_MS) b.size++;
    else out.push({ at: t, size: 1 });
    last = t;
  }
  return out;
}

function periodOf(batches: readonly Batch[]): Periodic | null {
  const recent = batches.slice(-(PERIOD_GAPS + 1));
  const gaps = recent.slice(1).map((b, i) => b.at - recent[i]!.at);
  if (gaps.length < MIN_PERIOD_GAPS) return null;
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  if (mean < MIN_PERIOD_MS) return null;
  const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length);
  if (sd / mean >= PERIOD_MAX_CV) return null;
  // Least-squares fit of at = anchor + k·period over the recent batches: each slot's position is read from all of
  // them, so the next one is predicted to within one batch's jitter instead of the last gap's.
  const n = recent.length;
  const kMean = (n - 1) / 2;
  const tMean = recent.reduce((a, b) => a + b.at, 0) / n;
  let sxy = 0;
  let sxx = 0;
  recent.forEach((b, k) => {
    sxy += (k - kMean) * (b.at - tMean);
    sxx += (k - kMean) ** 2;
  });
  const period = sxy / sxx;
  const start = tMean - period * kMean;
  const resid = recent.map((b, k) => b.at - (start + k * period));
  // n − 2 degrees of freedom: two parameters were fitted.
  const jitter = Math.sqrt(resid.reduce((a, r) => a + r * r, 0) / Math.max(1, n - 2));
  // The next slot is k = n on the grid: its variance is the jitter's plus the fitted line's there.
  const slotSd = jitter * Math.sqrt(1 + 1 / n + (n - kMean) ** 2 / sxx);
  return {
    periodSec: period / 1000,
    jitterSec: jitter / 1000,
    slotSdSec: slotSd / 1000,
    anchorAt: start + (n - 1) * period,
  };
}

/** How many of the latest gaps the in-stream gap is read from, and the fewest that make one. */
const PAUSE_GAPS = 10;
const MIN_PAUSE_GAPS = 4;
/**
 * A silence that a Poisson stream at its recent rate shows less often than this (e^(−silence / mean gap)) is a
 * pause: the end of a burst, of a working day, of a run of tasks, not a long gap within it. About 5.3 mean
 * gaps: 5 min after a stream of one task a minute, 16 min after one every three minutes (by then a 15-min idle
 * limit has mostly acted anyway). A looser test (2 %, 3.9 gaps) let idle workers go within ordinary random lulls
 * of a 20-an-hour stream in the bench's team family, and the tasks after each lull waited for a boot.
 */
export const PAUSE_CHANCE = 0.005;

/** Whether the silence since the latest batch is implausibly long for the gaps between the latest batches. */
export function pauseOf(batches: readonly Batch[], now: number): Pause | null {
  const recent = batches.slice(-(PAUSE_GAPS + 1));
  if (recent.length - 1 < MIN_PAUSE_GAPS) return null;
  const meanGapMs = (recent[recent.length - 1]!.at - recent[0]!.at) / (recent.length - 1);
  const silenceMs = now - recent[recent.length - 1]!.at;
  if (!(meanGapMs > 0) || Math.exp(-silenceMs / meanGapMs) >= PAUSE_CHANCE) return null;
  return { silenceSec: silenceMs / 1000, meanGapSec: meanGapMs / 1000 };
}

/**
 * `observingSince`: when the engine started watching (a rate is never measured over time it did not watch).
 * Null when fewer than two batches were seen: no forecast.
 */
export function forecastArrivals(
  times: readonly number[],
  now: number,
  observingSince: number,
): ArrivalForecast | null {
  const batches = batchesOf(times.filter((t) => t <= now));
  if (batches.length < 2) return null;
  const windowStart = now - RATE_WINDOW_MS;
  const recent = batches.filter((b) => b.at > windowStart);
  const spanMs = Math.max(60_000, Math.min(RATE_WINDOW_MS, now - observingSince));
  const sizeOf = recent.length ? recent : batches.slice(-1);
  return {
    batches: batches.length,
    recentBatches: recent.length,
    batchesPerHour: (recent.length / spanMs) * 3_600_000,
    meanBatchSize: sizeOf.reduce((a, b) => a + b.size, 0) / sizeOf.length,
    medianBatchSize: medianOf(sizeOf.map((b) => b.size)),
    periodic: periodOf(batches),
    lastAt: batches[batches.length - 1]!.at,
    paused: pauseOf(batches, now),
  };
}

/** How long past its slot a periodic batch is still expected: three jitters, and at least a fifth of the period
 * (a jitter read from a few gaps can be far too small). */
function overdueMs(p: Periodic): number {
  return Math.max(3 * p.jitterSec, 0.2 * p.periodSec) * 1000;
}

/**
 * When the next batch of a periodic queue is due: the first slot of the fitted grid after the latest batch that
 * is not already overdue (a batch that late is taken as skipped). A slot just past is still the next one: its
 * batch is late, not gone.
 */
export function nextPeriodicAt(f: ArrivalForecast, now: number): number | null {
  if (!f.periodic) return null;
  const p = f.periodic.periodSec * 1000;
  const { anchorAt } = f.periodic;
  const k = Math.max(1, Math.ceil((now - overdueMs(f.periodic) - anchorAt) / p));
  return anchorAt + k * p;
}

/**
 * Expected seconds from `now` until the n-th next task (n ≥ 1) arrives: a periodic queue's n-th task comes with
 * its ceil(n / batch size)-th next batch; otherwise batches are taken as a Poisson stream at the recent rate.
 * Infinity when nothing arrived in the rate window or the stream has paused.
 */
export function expectedSecUntil(f: ArrivalForecast, now: number, n: number): number {
  const batchIndex = Math.max(1, Math.ceil(n / Math.max(1, f.meanBatchSize)));
  const next = nextPeriodicAt(f, now);
  if (next !== null && f.periodic) return Math.max(0, (next - now) / 1000) + (batchIndex - 1) * f.periodic.periodSec;
  if (f.batchesPerHour <= 0 || f.paused) return Infinity;
  return (batchIndex / f.batchesPerHour) * 3600;
}
