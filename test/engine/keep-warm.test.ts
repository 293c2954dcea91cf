import { describe, expect, it } from 'vitest';
import {
  batchesOf,
  expectedSecUntil,
  forecastArrivals,
  nextPeriodicAt,
  pauseOf,
} from '../../electron/engine/policy/arrivals.js';
import {
  burstCover,
  keepWarm,
  netOfForeign,
  offeredLoad,
  staffedLevel,
  type KeepWarmInput,
  type NextTaskData,
} from '../../electron/engine/policy/keep-warm.js';
import { keepWarmText, prewarmText } from '../../electron/engine/reasons.js';

const MIN = 60_000;
const T = 10 * 3600_000; // "now" in the cases below, well after the engine started watching (0)

describe('arrivals: batches, rate and period', () => {
  it.each([
    ['one task', [0], [[0, 1]]],
    ['a sweep of three within 30 s is one batch', [0, 10_000, 25_000], [[0, 3]]],
    ['two exactly 30 s apart: one batch', [0, 30_000], [[0, 2]]],
    [
      'just over 30 s apart: two',
      [0, 30_001],
      [
        [0, 1],
        [30_001, 1],
      ],
    ],
    [
      'two apart',
      [0, 60_000],
      [
        [0, 1],
        [60_000, 1],
      ],
    ],
    [
      'unsorted input',
      [60_000, 0, 5_000],
      [
        [0, 2],
        [60_000, 1],
      ],
    ],
  ] as [string, number[], [number, number][]][])('%s', (_n, times, batches) => {
    expect(batchesOf(times).map((b) => [b.at, b.size])).toEqual(batches);
  });

  it.each([
    // [name, arrival times, now, rate /h, batch size, period s | null]
    ['fewer than two batches: no forecast', [T - MIN], T, null, null, null],
    ['every 10 min for an hour: periodic', [0, 1, 2, 3, 4, 5].map((i) => T - 55 * MIN + i * 10 * MIN), T, 6, 1, 600],
    ['irregular gaps: not periodic', [2, 9, 11, 30, 33, 50].map((m) => T - 60 * MIN + m * MIN), T, 6, 1, null],
    ['four batches 10 min apart: three gaps make a period', [35, 25, 15, 5].map((m) => T - m * MIN), T, 4, 1, 600],
    ['three batches: two gaps are too few', [25, 15, 5].map((m) => T - m * MIN), T, 3, 1, null],
    ['every 45 s: too short to be a period', [0, 1, 2, 3, 4, 5].map((i) => T - 5 * MIN + i * 45_000), T, 6, 1, null],
    ['an arrival after now is not counted', [T - 20 * MIN, T - 10 * MIN, T + 5 * MIN], T, 2, 1, null],
    [
      'a sweep of 40 once: one batch per hour, size 40',
      [...Array<number>(40).fill(T - 50 * MIN), T - 200 * MIN],
      T,
      1,
      40,
      null,
    ],
  ] as [string, number[], number, number | null, number | null, number | null][])(
    '%s',
    (_n, times, now, rate, size, period) => {
      const f = forecastArrivals(times, now, 0);
      if (rate === null) return expect(f).toBeNull();
      expect(f!.batchesPerHour).toBeCloseTo(rate, 6);
      expect(f!.meanBatchSize).toBe(size);
      expect(f!.periodic?.periodSec ?? null).toBe(period);
    },
  );

  it('fits the period and each slot to a grid, so the next slot is read from all recent batches', () => {
    // Slots every 10 min; arrivals off their slot by +30, −30, +30, −30, +30 s (gaps of 9 and 11 min). The
    // least-squares grid: period 600 s, next slot 50.1 min after the first slot (the naive last + mean gap says
    // 50.5), and a jitter of sqrt(1.2 / 3) min ≈ 38 s.
    const offs = [0.5, -0.5, 0.5, -0.5, 0.5];
    const times = offs.map((o, i) => T - 50 * MIN + (i * 10 + o) * MIN);
    const f = forecastArrivals(times, T, 0)!;
    expect(f.periodic!.periodSec).toBeCloseTo(600, 6);
    expect(nextPeriodicAt(f, T)).toBeCloseTo(T + 0.1 * MIN, 0);
    expect(f.periodic!.jitterSec).toBeCloseTo(60 * Math.sqrt(0.4), 6);
    // Where the next batch lands around that slot: the jitter and the fit's error at k = 5 of a line fitted to
    // k = 0…4 (1/5 + (5 − 2)² / 10 more variance): 1.45 jitters.
    expect(f.periodic!.slotSdSec).toBeCloseTo(60 * Math.sqrt(0.4) * Math.sqrt(1 + 1 / 5 + 9 / 10), 6);
  });

  it('still expects a late batch at its slot until it is overdue (a fifth of the period)', () => {
    const f = forecastArrivals(
      [0, 1, 2, 3, 4].map((i) => T - 40 * MIN + i * 10 * MIN),
      T,
      0,
    )!;
    // The slot at T + 10 min: one minute past it, still that slot; three minutes past, the one after.
    expect(nextPeriodicAt(f, T + 11 * MIN)).toBe(T + 10 * MIN);
    expect(nextPeriodicAt(f, T + 13 * MIN)).toBe(T + 20 * MIN);
  });

  it('reads the typical batch as the median: one sweep among single tasks moves the mean, not the median', () => {
    const singles = [5, 15, 25, 35, 45, 55].map((m) => T - 60 * MIN + m * MIN);
    const f = forecastArrivals([...singles, ...Array<number>(40).fill(T - 30 * MIN)], T, 0)!;
    expect(f.batchesPerHour).toBeCloseTo(7, 6);
    expect(f.meanBatchSize).toBeCloseTo(46 / 7, 6);
    expect(f.medianBatchSize).toBe(1);
  });

  it('reads the period from the latest nine batches: a queue that has turned regular is periodic', () => {
    const irregular = [300, 250, 230, 170].map((m) => T - m * MIN);
    const regular = Array.from({ length: 9 }, (_, i) => T - 85 * MIN + i * 10 * MIN);
    expect(forecastArrivals([...irregular, ...regular], T, 0)!.periodic?.periodSec).toBeCloseTo(600, 6);
  });

  it('takes the lower median batch, and with nothing in the last hour the latest batch', () => {
    const pairs = [T - 40 * MIN, T - 30 * MIN, T - 20 * MIN, T - 20 * MIN + 5_000, T - 10 * MIN, T - 10 * MIN + 5_000];
    expect(forecastArrivals(pairs, T, 0)).toMatchObject({ meanBatchSize: 1.5, medianBatchSize: 1 });
    const quiet = forecastArrivals(
      [T - 300 * MIN, T - 200 * MIN, ...[0, 1, 2].map((s) => T - 100 * MIN + s * 1000)],
      T,
      0,
    )!;
    expect(quiet).toMatchObject({ recentBatches: 0, batchesPerHour: 0, meanBatchSize: 3, medianBatchSize: 3 });
  });

  it('measures the rate only over time it watched', () => {
    // Started watching 20 min ago, two tasks since: 6 per hour, not 2.
    expect(forecastArrivals([T - 15 * MIN, T - 5 * MIN], T, T - 20 * MIN)!.batchesPerHour).toBeCloseTo(6, 6);
  });

  it('expects the n-th next task from the period, or from the Poisson rate', () => {
    const periodic = forecastArrivals(
      [0, 1, 2, 3, 4].map((i) => T - 42 * MIN + i * 10 * MIN),
      T,
      0,
    )!;
    // Last at T−2 min, period 10 min: next at T+8 min, the one after at T+18 min.
    expect(nextPeriodicAt(periodic, T)).toBe(T + 8 * MIN);
    expect(expectedSecUntil(periodic, T, 1)).toBeCloseTo(480, 6);
    expect(expectedSecUntil(periodic, T, 2)).toBeCloseTo(1080, 6);
    const poisson = forecastArrivals(
      [2, 9, 11, 30, 33, 50].map((m) => T - 60 * MIN + m * MIN),
      T,
      0,
    )!;
    expect(expectedSecUntil(poisson, T, 1)).toBeCloseTo(600, 6); // 6 per hour
    expect(expectedSecUntil(poisson, T, 3)).toBeCloseTo(1800, 6);
    const quiet = forecastArrivals([T - 300 * MIN, T - 200 * MIN], T, 0)!;
    expect(expectedSecUntil(quiet, T, 1)).toBe(Infinity);
    // Tasks come in batches of three: the first three with the next batch, the fourth with the one after.
    expect([1, 3, 4].map((n) => expectedSecUntil({ ...poisson, meanBatchSize: 3 }, T, n))).toEqual([600, 600, 1200]);
    expect([2, 3].map((n) => expectedSecUntil({ ...periodic, meanBatchSize: 2 }, T, n))).toEqual([480, 1080]);
  });
});

describe('keep-warm rule', () => {
  // perHour arrivals over the last hour, one per slot, alternately early and late in it (gaps 0.6 and 1.4 slots:
  // too irregular to be a period).
  const poisson = (perHour: number) =>
    forecastArrivals(
      Array.from({ length: perHour }, (_, i) => T - 60 * MIN + (i + (i % 2 ? 0.7 : 0.3)) * (60 / perHour) * MIN),
      T,
      0,
    );
  // Two an hour, seen over two hours (four batches: enough to go by).
  const twoPerHour = forecastArrivals(
    [5, 50, 65, 112].map((m) => T - 120 * MIN + m * MIN),
    T,
    0,
  );
  const base: KeepWarmInput = {
    preference: 'balanced',
    forecast: null,
    now: T,
    pricePerHour: 3.6,
    bootSec: 100,
    pollSec: 15,
    maxIdleSec: 900,
    candidates: 1,
    readyOrPending: 1,
  };

  it.each([
    // [name, patch, kept, reason code]
    ['nothing idle', { candidates: 0 }, 0, 'none-idle'],
    ['no history, balanced: kept as ClearML would', {}, 1, 'no-history'],
    ['no history, cost: let go', { preference: 'cost' }, 0, 'no-history'],
    // 6/h → next in 10 min = 600 s. Balanced relaunch = 100 s boot × (1 + 10) = 1100 s of price: keep.
    ['6/h, balanced: next in 10 min, kept', { forecast: poisson(6) }, 1, 'next-task-soon'],
    // 2/h → next in 30 min, beyond maxIdle (15 min): let go.
    ['2/h, balanced: next in 30 min is too far', { forecast: twoPerHour }, 0, 'next-task-far'],
    // 600 s kept costs less than a relaunch (1100 s), but the idle limit would end it first.
    ['6/h, balanced, idle limit 500 s: let go', { forecast: poisson(6), maxIdleSec: 500 }, 0, 'next-task-far'],
    // Three batches say too little about a rate: kept up to maxIdle, as with no history (cost still lets go).
    ['three batches only, balanced: kept', { forecast: poisson(3) }, 1, 'no-history'],
    ['three batches only, cost: let go', { forecast: poisson(3), preference: 'cost' }, 0, 'next-task-far'],
    // Cost: keep only when the next task comes sooner than a boot (100 s): 12/h is not.
    ['12/h, cost: let go', { forecast: poisson(12), preference: 'cost' }, 0, 'next-task-far'],
    ['60/h, cost: next in 60 s < boot, kept', { forecast: poisson(60), preference: 'cost' }, 1, 'next-task-soon'],
    // Latency: 6/h (600 s) < 100 × 31 and within maxIdle: kept.
    ['6/h, latency: kept', { forecast: poisson(6), preference: 'latency' }, 1, 'keep-all'],
    // Latency keeps every idle worker while tasks come, as ClearML does (plan() still ends each at maxIdleMin).
    [
      'three idle, 6/h, latency: all kept',
      { forecast: poisson(6), preference: 'latency', candidates: 3 },
      3,
      'keep-all',
    ],
    [
      '2/h, latency: kept though the next is due after maxIdle',
      { forecast: twoPerHour, preference: 'latency', maxIdleSec: 300 },
      1,
      'keep-all',
    ],
    // Three idle at 6/h: the first is needed in 600 s, the second in 1200 s (beyond maxIdle): keep one.
    ['three idle, 6/h: keep one', { forecast: poisson(6), candidates: 3 }, 1, 'next-task-soon'],
    ['three idle, 60/h: keep all', { forecast: poisson(60), candidates: 3 }, 3, 'next-task-soon'],
  ] as [string, Partial<KeepWarmInput>, number, string][])('%s', (_n, patch, kept, code) => {
    const v = keepWarm({ ...base, ...patch });
    expect(v.keep).toBe(kept);
    expect(v.reason.code).toBe(code);
    // Cost lets the rest go at once once it forecasts; with nothing learned the surplus limit still applies.
    expect(v.release).toBe(patch.preference === 'cost' && !!patch.forecast);
  });

  const periodic = (lastAgoMin: number) =>
    forecastArrivals(
      [0, 1, 2, 3, 4].map((i) => T - (lastAgoMin + 40) * MIN + i * 10 * MIN),
      T,
      0,
    )!;

  it.each([
    // [name, patch, kept, the kept workers' idle limit (s) | null]
    // 60/h, three idle: the third is expected in 3 min, so each kept one may idle twice that, 6 min.
    ['three idle, 60/h, balanced: 2 × 3 min', { forecast: poisson(60), candidates: 3 }, 3, 360],
    ['one idle, 60/h, balanced: 2 × 1 min', { forecast: poisson(60) }, 1, 120],
    // 6/h: 2 × 10 min is past maxIdleMin; the verdict says so and plan() holds maxIdleMin.
    ['6/h, balanced: 2 × 10 min', { forecast: poisson(6) }, 1, 1200],
    ['2/h, balanced: none kept, no limit', { forecast: twoPerHour }, 0, null],
    ['no history: kept up to maxIdleMin', {}, 1, null],
    ['60/h, cost: kept for a task within a boot, no limit', { forecast: poisson(60), preference: 'cost' }, 1, null],
    ['60/h, latency: every idle worker up to maxIdleMin', { forecast: poisson(60), preference: 'latency' }, 1, null],
    // A queue staffed at its load + √load keeps its workers for the ups and downs, not for one task each.
    [
      'a busy queue staffed by its margin',
      { forecast: poisson(12), meanDurationSec: 2700, busy: 7, candidates: 6 },
      5,
      null,
    ],
    // The margin leaves fewer than the weighing keeps (one, due in 5 min): the weighing's limit.
    [
      'a busy queue the weighing staffs',
      { forecast: poisson(12), meanDurationSec: 2700, busy: 12, candidates: 6 },
      1,
      600,
    ],
    // The margin keeps as many as the weighing (12 − 11 = 1): the weighing's count, reason and limit stand.
    [
      'a busy queue the margin and the weighing staff alike',
      { forecast: poisson(12), meanDurationSec: 2700, busy: 11, candidates: 6 },
      1,
      600,
    ],
    // Due in 1 min on a periodic queue: kept for its slot, as a pre-warm would be, with no limit of its own.
    ['a periodic queue', { forecast: periodic(9) }, 1, null],
  ] as [string, Partial<KeepWarmInput>, number, number | null][])(
    'how long a kept worker may idle: %s',
    (_n, patch, kept, limitSec) => {
      const v = keepWarm({ ...base, ...patch });
      expect(v.keep).toBe(kept);
      if (limitSec === null) expect(v.keptIdleSec).toBeNull();
      else expect(v.keptIdleSec).toBeCloseTo(limitSec, 6);
    },
  );

  it.each([
    // [name, last arrival min ago, preference, readyOrPending, prewarm]
    ['due in 1 min, nothing ready: pre-warm 1', 9, 'balanced', 0, 1],
    ['due in 8 min: too early', 2, 'balanced', 0, 0],
    ['due in 1 min, a worker is ready: no', 9, 'balanced', 1, 0],
    ['cost preference never pre-warms', 9, 'cost', 0, 0],
    // Latency values a wait the most, so it pre-warms as balanced does (the README and the import say so).
    ['latency pre-warms too', 9, 'latency', 0, 1],
    ['pattern stale (last 29 min ago): no', 29, 'balanced', 0, 0],
    // The slot 10 min after the latest batch passed with nothing: one skipped run, the next slot is pre-warmed.
    ['one slot missed (last 19 min ago, next in 1 min): pre-warm 1', 19, 'balanced', 0, 1],
    // The slot itself passed 1 min ago, still inside its late window: its batch may come, a pre-warm is over.
    ['the slot 1 min past, nothing ready (its pre-warm went at the idle limit): no', 11, 'balanced', 0, 0],
  ] as [string, number, KeepWarmInput['preference'], number, number][])('%s', (_n, ago, preference, ready, n) => {
    const v = keepWarm({ ...base, forecast: periodic(ago), preference, readyOrPending: ready, candidates: 0 });
    expect(v.prewarm).toBe(n);
    expect(v.prewarmReason?.code ?? null).toBe(n ? 'periodic-due' : null);
  });

  it.each([
    // Next due in 8 min (480 s). Balanced: a pre-warm bills the slowest boot (100 s) plus the lead (a 15 s poll,
    // no jitter), far less than 480 s kept, so the idle worker goes at once. Latency keeps every idle worker;
    // cost lets it go on its own terms (keeping costs more than a relaunch, 100 s), and at once.
    ['balanced: released, a pre-warm is cheaper', 'balanced', 0, true, 'prewarm-cheaper'],
    ['latency: kept', 'latency', 1, false, 'keep-all'],
    ['cost: let go at once', 'cost', 0, true, 'next-task-far'],
  ] as [string, KeepWarmInput['preference'], number, boolean, string][])(
    'a ready worker on a periodic queue, %s',
    (_n, preference, keep, release, code) => {
      const v = keepWarm({ ...base, forecast: periodic(2), preference });
      expect(v.keep).toBe(keep);
      expect(v.release).toBe(release);
      expect(v.reason.code).toBe(code);
    },
  );

  it('after two slots passed with nothing, lets a ready worker go as for a paused stream: no pre-warm will come', () => {
    // The slots 10 and 20 min after the latest batch passed with nothing; the third is due in 6 min.
    const v = keepWarm({ ...base, forecast: periodic(24) });
    expect(v).toMatchObject({ keep: 0, release: false, reason: { code: 'stream-paused' } });
    expect(keepWarmText('cpu', v.reason)).toBe(
      "letting idle workers on 'cpu' go: no task for ~24 min where one came every ~10 min, so the run of tasks looks over",
    );
    // One missed: released, the second slot will be pre-warmed.
    expect(keepWarm({ ...base, forecast: periodic(13) })).toMatchObject({ release: true });
  });

  it('pre-warms a slot once: a pre-warmed worker that went is not started again for it, nor released early', () => {
    const f = periodic(9); // the next slot in 1 min
    const first = keepWarm({ ...base, forecast: f, readyOrPending: 0, candidates: 0 });
    expect(first.prewarm).toBe(1);
    expect(first.prewarmSlotAt).toBe(T + MIN);
    const again = keepWarm({ ...base, forecast: f, readyOrPending: 0, candidates: 0, prewarmedSlotAt: T + MIN });
    expect(again).toMatchObject({ prewarm: 0, prewarmSlotAt: null });
    // Its wake-up is the following slot's pre-warm: a boot (100 s) and a poll (15 s) before T + 11 min.
    expect(again.prewarmAt).toBe(T + 11 * MIN - 115_000);
    // Due in 8 min with a lead of 115 s: an idle worker would go (a pre-warm is cheaper), unless it is the one
    // pre-warmed for that slot.
    const g = periodic(2);
    expect(keepWarm({ ...base, forecast: g })).toMatchObject({ release: true });
    const kept = keepWarm({ ...base, forecast: g, prewarmedSlotAt: T + 8 * MIN });
    expect(kept).toMatchObject({ keep: 1, release: false, reason: { code: 'next-task-soon' } });
  });

  it.each([
    // [name, last arrival min ago, wake-up for a pre-warm (ms after T) | null]
    // The slot 10 min after the last batch passed a minute ago (late, not skipped yet): the next one's pre-warm.
    ['a slot just past: the one after it', 11, 9 * MIN - 115_000],
    // The second slot after the last batch just past: the third is not pre-warmed (the pattern is taken as over).
    ['the second slot just past: none', 21, null],
  ] as [string, number, number | null][])('pre-warm wake-up: %s', (_n, ago, at) => {
    const v = keepWarm({ ...base, forecast: periodic(ago), readyOrPending: 0, candidates: 0 });
    expect(v.prewarm).toBe(0);
    expect(v.prewarmAt).toBe(at === null ? null : T + at);
  });

  it('pre-warms as many workers as its tasks come at once', () => {
    const v = keepWarm({ ...base, forecast: { ...periodic(9), meanBatchSize: 3 }, readyOrPending: 0, candidates: 0 });
    expect(v).toMatchObject({ prewarm: 3, prewarmReason: { data: { count: 3 } } });
  });

  it('keeps a pre-warmed worker for its slot though the slot is past the idle limit', () => {
    // Due in 100 s, idle limit 90 s, lead 115 s: within the pre-warm's lead, so kept (plan() still ends it at 90 s).
    const f = periodic(8 + 1 / 3);
    expect(keepWarm({ ...base, forecast: f, maxIdleSec: 90 })).toMatchObject({ keep: 1, release: false });
    expect(keepWarm({ ...base, forecast: f, maxIdleSec: 90, preference: 'cost' })).toMatchObject({ keep: 0 });
  });

  it('keeps a ready worker when the next slot is nearer than a pre-warm could be', () => {
    // Due in 60 s: a pre-warm would need 115 s.
    const v = keepWarm({ ...base, forecast: periodic(9) });
    expect(v).toMatchObject({ keep: 1, release: false, reason: { code: 'next-task-soon' } });
  });

  it('times a pre-warm by the slowest boot, and says when it is due to start', () => {
    // Due in 8 min; slowest boot 500 s + 15 s poll: start at once. With 100 s: start in 480 − 115 = 365 s.
    const slow = keepWarm({ ...base, forecast: periodic(2), bootHighSec: 500, readyOrPending: 0, candidates: 0 });
    expect(slow.prewarm).toBe(1);
    const fast = keepWarm({ ...base, forecast: periodic(2), readyOrPending: 0, candidates: 0 });
    expect(fast.prewarm).toBe(0);
    expect(fast.prewarmAt).toBe(T + 365_000);
  });

  it('starts a pre-warm earlier on a queue whose tasks land off their slots, by two deviations of the next one', () => {
    // Off their 10-min slots by ±30 s: a jitter of about 38 s and the next slot's deviation 1.45 times that, so the
    // pre-warm starts the slowest boot (100 s), a 15-s poll and 2 × 55 s before the next slot.
    const offs = [0.5, -0.5, 0.5, -0.5, 0.5];
    const f = forecastArrivals(
      offs.map((o, i) => T - 42 * MIN + (i * 10 + o) * MIN),
      T,
      0,
    )!;
    expect(f.periodic!.slotSdSec).toBeCloseTo(55, 0);
    const v = keepWarm({ ...base, forecast: f, readyOrPending: 0, candidates: 0 });
    expect(v.prewarmAt).toBeCloseTo(nextPeriodicAt(f, T)! - (100 + 15 + 2 * f.periodic!.slotSdSec) * 1000, 6);
  });

  it.each([
    // [name, batches per hour, boot s, hold share, wait weight, cover, batch size]. Over a window of two boots,
    // balanced (weight 10) keeps the n-th while n or more arrive in it more often than 2 in 13 (15.4 %), cost
    // (weight 0) 2 in 3.
    ['60/h, 100 s boot, long tasks: Poisson(3.33) exceeds 4 in 24.3 %, 5 in 12.1 % → 5', 60, 100, 1, 10, 5, 1],
    ['the same at cost: exceeds 1 in 84.5 %, 2 in 64.7 % → 2', 60, 100, 1, 0, 2, 1],
    ['short tasks holding half the window: Poisson(1.67) exceeds 2 in 23.4 %, 3 in 8.8 % → 3', 60, 100, 0.5, 10, 3, 1],
    ['600/h: Poisson(33.3) → 39 at balanced', 600, 100, 1, 10, 39, 1],
    ['600/h at cost → 31', 600, 100, 1, 0, 31, 1],
    ['6/h: one', 6, 100, 1, 10, 1, 1],
    ['6/h in batches of three: one batch, three tasks', 6, 100, 1, 10, 3, 3],
    ['quiet: one', 0, 100, 1, 10, 1, 1],
    ['beyond any queue: the cap', 1e6, 100, 1, 10, 1000, 1],
  ] as [string, number, number, number, number, number, number][])(
    'burst cover: %s',
    (_n, perHour, boot, hold, weight, cover, size) => {
      const f = { ...poisson(Math.max(4, perHour))!, batchesPerHour: perHour, meanBatchSize: size };
      expect(burstCover(f, boot, weight, hold)).toBe(cover);
    },
  );

  it('keeps no more idle workers than a burst within a boot can use, less busy workers about to free up', () => {
    // 60/h, 100 s boot: cover 5. Two busy workers finishing within a boot leave three worth keeping.
    expect(keepWarm({ ...base, forecast: poisson(60), candidates: 8 }).keep).toBe(5);
    expect(keepWarm({ ...base, forecast: poisson(60), candidates: 8, freeingSoon: 2 }).keep).toBe(3);
    expect(keepWarm({ ...base, forecast: poisson(60), candidates: 8, freeingSoon: 9 }).keep).toBe(1);
  });

  it('keeps no more idle workers than recent peak demand can use', () => {
    // 60/h would keep three, but demand never exceeded one task beyond the busy workers.
    expect(keepWarm({ ...base, forecast: poisson(60), candidates: 3, maxUseful: 1 }).keep).toBe(1);
    // None kept: the reason names when the first task is expected (60 s at 60/h).
    const useless = keepWarm({ ...base, forecast: poisson(60), candidates: 3, maxUseful: 0 });
    expect(useless).toMatchObject({
      keep: 0,
      reason: { code: 'next-task-far', data: { kept: 0, expectedInSec: 60, stoppedBy: { code: 'recent-demand' } } },
    });
    // The log says why, not that keeping one costs more ($0.10 to keep, $1.10 for a relaunch).
    expect(keepWarmText('cpu', useless.reason)).toBe(
      "letting idle workers on 'cpu' go: next task expected in ~60 s, but lately the queue never needed more workers than are busy now",
    );
  });

  it.each([
    // [name, patch, stoppedBy]: with none kept, which test decided. 6/h: the next in 600 s costs $0.60 to keep
    // against $1.10 for a relaunch, so only a limit under 600 s lets it go; 2/h (1800 s, $1.80) costs more.
    ['6/h, idle limit 500 s', { forecast: poisson(6), maxIdleSec: 500 }, { code: 'idle-limit', limitSec: 500 }],
    ['6/h, idle limit 600 s: kept', { forecast: poisson(6), maxIdleSec: 600 }, null],
    ['2/h, idle limit 900 s: the price decides', { forecast: twoPerHour }, undefined],
    ['6/h, cost: the price decides', { forecast: poisson(6), preference: 'cost', maxIdleSec: 500 }, undefined],
  ] as [string, Partial<KeepWarmInput>, object | null | undefined][])(
    'names what let the idle workers go: %s',
    (_n, patch, stoppedBy) => {
      const v = keepWarm({ ...base, ...patch });
      if (stoppedBy === null) {
        expect(v.keep).toBe(1);
        return expect(v.reason.data).not.toHaveProperty('stoppedBy');
      }
      expect(v.reason).toMatchObject({ code: 'next-task-far', data: { kept: 0 } });
      expect((v.reason.data as NextTaskData).stoppedBy).toEqual(stoppedBy);
    },
  );

  it('says so when the idle limit, not the price, lets the idle workers go', () => {
    const v = keepWarm({ ...base, forecast: poisson(6), maxIdleSec: 500 });
    expect(keepWarmText('cpu', v.reason)).toBe(
      "letting idle workers on 'cpu' go: next task expected in ~10 min, after the idle limit (8.3 min) would stop one kept for it",
    );
  });

  it.each([
    // [name, patch, reason data]: the reason names when the last task a kept worker waits for is expected, or,
    // when none is kept, the first.
    [
      'three kept at 60/h: the third in 180 s',
      { forecast: poisson(60), candidates: 3 },
      { kept: 3, expectedInSec: 180 },
    ],
    [
      'one of three kept at 6/h: the first in 600 s',
      { forecast: poisson(6), candidates: 3 },
      { kept: 1, expectedInSec: 600 },
    ],
    [
      'two of five kept at 60/h, the third past a 150-s idle limit: the second in 120 s',
      { forecast: poisson(60), candidates: 5, maxIdleSec: 150 },
      { kept: 2, expectedInSec: 120 },
    ],
    ['none kept at 2/h: the first in 1800 s', { forecast: twoPerHour }, { kept: 0, expectedInSec: 1800 }],
    ['latency keeps all three', { forecast: poisson(6), candidates: 3, preference: 'latency' }, { kept: 3 }],
  ] as [string, Partial<KeepWarmInput>, Record<string, number>][])('reason data: %s', (_n, patch, data) => {
    const got = keepWarm({ ...base, ...patch }).reason.data as Record<string, number>;
    for (const [k, v] of Object.entries(data)) expect(got[k], k).toBeCloseTo(v, 6);
  });

  it('renders its reasons for the event log', () => {
    const kept = keepWarm({ ...base, forecast: poisson(12) });
    expect(keepWarmText('cpu', kept.reason)).toBe(
      "kept 1 idle on 'cpu': next task expected in ~5 min, a relaunch costs more ($0.30 to keep vs $1.10 for a boot and its wait)",
    );
    const gone = keepWarm({ ...base, forecast: twoPerHour });
    expect(keepWarmText('cpu', gone.reason)).toMatch(
      /^letting idle workers on 'cpu' go: next task expected in ~30 min.* for a boot and its wait\)$/,
    );
    // At the cost preference a relaunch is the boot alone: no wait is priced.
    const cost = keepWarm({ ...base, forecast: poisson(12), preference: 'cost' });
    expect(keepWarmText('cpu', cost.reason)).toBe(
      "letting idle workers on 'cpu' go: next task expected in ~5 min, keeping one costs more ($0.30 vs $0.10 for a boot)",
    );
    const pre = keepWarm({ ...base, forecast: periodic(9), readyOrPending: 0, candidates: 0 });
    expect(prewarmText('cpu', pre.prewarmReason!)).toBe(
      "pre-warming 1 on 'cpu': tasks arrive every ~10 min, the next is due in ~60 s",
    );
    const released = keepWarm({ ...base, forecast: periodic(2) });
    expect(keepWarmText('cpu', released.reason)).toBe(
      "releasing idle workers on 'cpu' now: tasks arrive every ~10 min and the next is due in ~8 min; starting one again ~15 s plus a boot ahead of it costs less ($0.12 vs $0.48 to keep one)",
    );
  });

  describe('a busy queue is kept staffed at its load plus its square root (balanced)', () => {
    // 12 an hour (single tasks) of 45 min: a load of 9 workers, staffed at ceil(9 + 3) = 12. The weighing alone
    // keeps 1 at 12/h (a burst within two 100 s boots: Poisson(0.67) exceeds 1 in 14.4 % of them, under 2 in 13).
    const busyQueue: Partial<KeepWarmInput> = { forecast: poisson(12), meanDurationSec: 2700, busy: 7, candidates: 6 };

    it.each([
      // [name, patch, kept, reason code]
      ['7 busy: 12 − 7 = 5 kept', {}, 5, 'busy-queue-margin'],
      ['7 busy, 3 idle: all 3', { candidates: 3 }, 3, 'busy-queue-margin'],
      ['12 busy: the margin leaves none, the weighing keeps 1', { busy: 12 }, 1, 'next-task-soon'],
      ['load 3 (15-min tasks): under 4, the weighing alone', { meanDurationSec: 900, busy: 1 }, 1, 'next-task-soon'],
      ['load 4 (20-min tasks), 2 busy: staffed 6, 4 kept', { meanDurationSec: 1200, busy: 2 }, 4, 'busy-queue-margin'],
      ['durations not known yet: the weighing alone', { meanDurationSec: null }, 1, 'next-task-soon'],
      ['cost preference: dollars only, no margin', { preference: 'cost' }, 0, 'next-task-far'],
      ['latency preference: every idle worker anyway', { preference: 'latency' }, 6, 'keep-all'],
    ] as [string, Partial<KeepWarmInput>, number, string][])('%s', (_n, patch, kept, code) => {
      const v = keepWarm({ ...base, ...busyQueue, ...patch });
      expect(v.keep).toBe(kept);
      expect(v.reason.code).toBe(code);
    });

    it('reads the load with the typical batch, and staffs only from a load of 4', () => {
      const f = poisson(12)!;
      expect(offeredLoad(f, 2700)).toBeCloseTo(9, 6);
      // A sweep in the window moves the mean batch, not the load.
      expect(offeredLoad({ ...f, meanBatchSize: 5 }, 2700)).toBeCloseTo(9, 6);
      expect(offeredLoad({ ...f, medianBatchSize: 2 }, 2700)).toBeCloseTo(18, 6);
      expect([3.9, 4, 9, 16].map(staffedLevel)).toEqual([0, 6, 12, 20]);
    });

    it('keeps nothing for a stream that has paused, and says why it keeps', () => {
      const paused = forecastArrivals(
        // Every 2 min on average (gaps of 1.2 and 2.8 min: not a period), the last 30 min ago.
        Array.from({ length: 20 }, (_, i) => T - (30 + 4 * Math.floor(i / 2) + (i % 2) * 1.2) * MIN),
        T,
        0,
      )!;
      expect(paused.paused).not.toBeNull();
      expect(keepWarm({ ...base, ...busyQueue, forecast: paused }).keep).toBe(0);
      expect(keepWarmText('gpu', keepWarm({ ...base, ...busyQueue }).reason)).toBe(
        "kept 5 idle on 'gpu': its tasks keep about 9 workers busy on average (7 now), so 12 stay up while tasks keep coming, the average and its square root for the ups and downs",
      );
    });
  });

  describe('a stream that has paused', () => {
    // Twenty tasks `gapMin` apart on average (alternately 0.6 and 1.4 gaps: too irregular for a period), the last
    // `silenceMin` ago. Paused once e^(−silence / gap) < 0.5 %, i.e. from 5.3 gaps on.
    const stream = (silenceMin: number, gapMin = 1) =>
      Array.from({ length: 20 }, (_, i) => 19 - i)
        .map((k) => T - (silenceMin + gapMin * (k + (k % 2 ? 0.4 : 0))) * MIN)
        .map((at) => ({ at, size: 1 }));
    it.each([
      // [name, batches, paused]
      ['4 min after a task a minute: a lull', stream(4), false],
      ['6 min after a task a minute: paused', stream(6), true],
      ['14 min after one every 3 min (0.9 %): a lull', stream(14, 3), false],
      ['17 min after one every 3 min (0.35 %): paused', stream(17, 3), true],
      ['four gaps say too little', stream(30).slice(-4), false],
      ['five batches are enough', stream(30).slice(-5), true],
    ] as [string, { at: number; size: number }[], boolean][])('%s', (_n, batches, paused) => {
      expect(pauseOf(batches, T) !== null).toBe(paused);
    });

    it('expects no task and keeps no idle worker, at any preference, and says why', () => {
      const times = stream(8).map((b) => b.at);
      const f = forecastArrivals(times, T, 0)!;
      expect(f.paused).toMatchObject({ meanGapSec: 60 });
      expect(f.paused!.silenceSec).toBeCloseTo(480, 6);
      expect(expectedSecUntil(f, T, 1)).toBe(Infinity);
      // Cost lets them go at once; the others after the surplus limit.
      for (const preference of ['cost', 'balanced', 'latency'] as const) {
        const v = keepWarm({ ...base, preference, forecast: f, candidates: 3 });
        expect(v).toMatchObject({ keep: 0, release: preference === 'cost', reason: { code: 'stream-paused' } });
      }
      // The same stream 3 min after its last task keeps what a burst could use: 20 in the last hour, so 1.11 in
      // two 100 s boots, which exceeds 1 in 30.5 % of them and 2 in 10.2 %: 2 of the 3.
      expect(
        keepWarm({
          ...base,
          forecast: forecastArrivals(
            stream(3).map((b) => b.at),
            T,
            0,
          ),
          candidates: 3,
        }).keep,
      ).toBe(2);
      expect(keepWarmText('cpu', keepWarm({ ...base, forecast: f }).reason)).toBe(
        "letting idle workers on 'cpu' go: no task for ~8 min where one came every ~60 s, so the run of tasks looks over",
      );
    });

    it('a periodic queue is not paused between its slots: the silence is under a period', () => {
      expect(periodic(9).paused).toBeNull();
      expect(keepWarm({ ...base, forecast: periodic(9) }).reason.code).toBe('next-task-soon');
    });
  });
});

describe("beside idle workers of ClearML's autoscaler", () => {
  // The verdict as the plan applies it (foreignSpare in policy.ts): their idle workers cover the forecast first.
  // Nothing learned yet, at balanced: the rule keeps every idle worker it is given, up to the idle limit.
  const verdict = (keep: number) =>
    keepWarm({
      preference: 'balanced',
      forecast: null,
      now: 0,
      pricePerHour: 0.526,
      bootSec: 100,
      pollSec: 15,
      maxIdleSec: 1800,
      candidates: keep,
      readyOrPending: keep,
    });
  it.each([
    // [case, kept by the forecast, ClearML's spare idle, kept net, the line]
    [
      'none of theirs idle: unchanged',
      1,
      0,
      1,
      "kept 1 idle on 'gpu' up to the idle limit: too few tasks seen yet to forecast the next",
    ],
    [
      'one of theirs covers the one kept',
      1,
      1,
      0,
      "not keeping idle workers on 'gpu' beside ClearML's: 1 idle instance of ClearML's autoscaler there takes the next task the forecast would keep one for, so this app's are surplus and go after the surplus idle time",
    ],
    [
      'two of theirs beside one kept: no fewer than none',
      1,
      2,
      0,
      "not keeping idle workers on 'gpu' beside ClearML's: 1 idle instance of ClearML's autoscaler there takes the next task the forecast would keep one for, so this app's are surplus and go after the surplus idle time",
    ],
    [
      'one of theirs beside three kept',
      3,
      1,
      2,
      "kept 2 idle on 'gpu': 1 idle instance of ClearML's autoscaler there takes the first of the 3 tasks the forecast would keep workers for, so this app's beyond 2 are surplus and go after the surplus idle time",
    ],
    [
      'two of theirs beside three kept',
      3,
      2,
      1,
      "kept 1 idle on 'gpu': 2 idle instances of ClearML's autoscaler there take 2 of the 3 tasks the forecast would keep workers for, so this app's beyond 1 are surplus and go after the surplus idle time",
    ],
  ] as [string, number, number, number, string][])('%s', (_n, keep, spare, kept, line) => {
    const v = netOfForeign(verdict(keep), spare);
    expect(v.keep).toBe(kept);
    expect(keepWarmText('gpu', v.reason)).toBe(line);
  });
});
