/**
 * Pure core of the scaling timeline: a bounded two-tier history of samples (every poll for the last hour, one per
 * minute for the rest of the day) plus a bounded list of markers, and the downsampling the charts ask for. No I/O,
 * no clock: the caller passes `now`.
 *
 * Why two tiers: a 1 h chart should show a 3 s demo poll as it happened, a 24 h chart needs one point a minute at
 * most; keeping every poll for a day would be ~29,000 samples to persist and ship for nothing.
 */
import type {
  QueueCounts,
  Timeline,
  TimelineMarker,
  TimelineRange,
  TimelineSample,
  TimelinePoint,
} from '../../../shared/timeline.js';
import { dataRecordOf } from '../../../shared/data-record.js';

export interface RingLimits {
  /** How long anything is kept (24 h). */
  keepMs: number;
  /** Samples younger than this are kept at poll resolution (1 h). */
  fineMs: number;
  /** The finest spacing kept; polls closer than this replace the previous sample (2 s). */
  fineStepMs: number;
  /** Older samples are merged into buckets this wide (60 s). */
  coarseStepMs: number;
  maxMarkers: number;
}

export const DEFAULT_LIMITS: RingLimits = {
  keepMs: 24 * 3600_000,
  fineMs: 3600_000,
  fineStepMs: 2000,
  coarseStepMs: 60_000,
  maxMarkers: 2000,
};

/** At most this many points go to a chart, whatever the range. */
export const MAX_POINTS = 720;
/** A sample stands for at most this long when integrating spend; beyond it the app was not watching. */
const MAX_HOLD_MS = 10 * 60_000;

/** The upper bound on stored samples for given limits: what "bounded in size" means in numbers. */
export function maxSamples(l: RingLimits = DEFAULT_LIMITS): number {
  // Compaction runs once per coarse step, so up to one coarse step of fine samples waits for it.
  return Math.ceil((l.fineMs + l.coarseStepMs) / l.fineStepMs) + Math.ceil((l.keepMs - l.fineMs) / l.coarseStepMs) + 2;
}

export interface RingState {
  samples: TimelineSample[];
  markers: TimelineMarker[];
}

export class TimelineRing {
  private samples: TimelineSample[] = [];
  private markers: TimelineMarker[] = [];
  private compactedAt = -Infinity;

  constructor(
    readonly limits: RingLimits = DEFAULT_LIMITS,
    initial?: RingState,
  ) {
    if (initial) {
      this.samples = [...initial.samples].sort((a, b) => a.at - b.at);
      this.markers = [...initial.markers].sort((a, b) => a.at - b.at);
    }
  }

  get size(): { samples: number; markers: number } {
    return { samples: this.samples.length, markers: this.markers.length };
  }

  state(): RingState {
    return { samples: this.samples, markers: this.markers };
  }

  add(sample: TimelineSample): void {
    let last = this.samples[this.samples.length - 1];
    // Older than the last: the clock that stamped the samples stepped back, or those after it were stamped by one
    // that was ahead (a file written then). The new sample is the latest observation: the ones "from the future"
    // go, not it, else the chart would show them as now and take no sample until real time caught up with them.
    if (last && sample.at < last.at) {
      const keep = this.samples.findIndex((s) => s.at > sample.at);
      this.samples.length = keep;
      this.compactedAt = Math.min(this.compactedAt, sample.at);
      last = this.samples[this.samples.length - 1];
    }
    if (last && sample.at - last.at < this.limits.fineStepMs) this.samples[this.samples.length - 1] = sample;
    else this.samples.push(sample);
    if (sample.at - this.compactedAt >= this.limits.coarseStepMs) this.compact(sample.at);
  }

  mark(marker: TimelineMarker): void {
    this.markers.push(marker);
    if (this.markers.length > 1 && marker.at < this.markers[this.markers.length - 2]!.at)
      this.markers.sort((a, b) => a.at - b.at);
    if (this.markers.length > this.limits.maxMarkers)
      this.markers = this.markers.slice(this.markers.length - this.limits.maxMarkers);
  }

  /** Drops what is older than the window and merges samples older than the fine tier into one per bucket. */
  compact(now: number): void {
    this.compactedAt = now;
    const { keepMs, fineMs, coarseStepMs } = this.limits;
    const keepFrom = now - keepMs;
    const fineFrom = now - fineMs;
    const out: TimelineSample[] = [];
    let bucket: TimelineSample[] = [];
    let bucketKey = NaN;
    const flush = () => {
      if (bucket.length) out.push(bucket.length === 1 ? bucket[0]! : merge(bucket, bucket[bucket.length - 1]!.at));
      bucket = [];
    };
    for (const s of this.samples) {
      if (s.at < keepFrom) continue;
      if (s.at >= fineFrom) {
        flush();
        out.push(s);
        continue;
      }
      const key = Math.floor(s.at / coarseStepMs);
      if (key !== bucketKey) {
        flush();
        bucketKey = key;
      }
      bucket.push(s);
    }
    flush();
    this.samples = out;
    const firstMarker = this.markers.findIndex((m) => m.at >= keepFrom);
    if (firstMarker > 0) this.markers = this.markers.slice(firstMarker);
    else if (firstMarker < 0) this.markers = [];
  }

  /** `after`: the newest point the caller holds of this range; the answer is then a delta (see `downsample`). */
  query(hours: TimelineRange, now: number, maxPoints = MAX_POINTS, after?: number): Timeline {
    return downsample(this.samples, this.markers, hours, now, maxPoints, after);
  }
}

/**
 * One sample standing for several: per queue the moment with the most instances (so a short peak still shows, and
 * busy + idle + booting stay a real moment's split), the most tasks waiting, and the mean burn rate.
 */
export function merge(samples: readonly TimelineSample[], at: number): TimelineSample {
  const queues = dataRecordOf<QueueCounts>([]);
  for (const s of samples) {
    for (const [q, c] of Object.entries(s.queues)) {
      const prev = queues[q];
      if (!prev) {
        queues[q] = { ...c };
        continue;
      }
      const pending = Math.max(prev.pending, c.pending);
      queues[q] = total(c) > total(prev) ? { ...c, pending } : { ...prev, pending };
    }
  }
  const burnPerHour = samples.reduce((a, s) => a + s.burnPerHour, 0) / Math.max(1, samples.length);
  return { at, queues, burnPerHour };
}

const total = (c: QueueCounts) => c.busy + c.idle + c.booting;

/**
 * The window `[now - hours, now]` at most `maxPoints` points wide, with spend accumulated along it.
 *
 * Points are buckets aligned on multiples of `stepMs` (the first, partial one merged into the next), so a point once
 * complete stays the same as the window slides: a caller that holds this range up to its point `after` gets a delta
 * (`Timeline.delta`): the first point (samples leave it as the window slides), the points and markers from the
 * bucket holding `after` on, and for the points it keeps only their spend and burn rate, which move as the window
 * slides and as the ring merges older samples (`applyTimeline`). An open 24 h chart with
 * 100 queues then gets a few KB a refresh instead of the whole ~3.5 MB day.
 */
export function downsample(
  samples: readonly TimelineSample[],
  markers: readonly TimelineMarker[],
  hours: TimelineRange,
  now: number,
  maxPoints = MAX_POINTS,
  after?: number,
): Timeline {
  const to = now;
  const from = now - hours * 3600_000;
  const inWindow = samples.filter((s) => s.at >= from && s.at <= to);
  const stepMs = Math.max(1000, Math.ceil((to - from) / maxPoints / 1000) * 1000);
  const firstKey = Math.floor(from / stepMs) + 1;
  const keyOf = (at: number) => Math.max(firstKey, Math.floor(at / stepMs));
  const cut = after !== undefined && after >= from && after <= to ? keyOf(after) * stepMs : null;

  // Spend at each raw sample: every burn rate holds until the next sample (at most MAX_HOLD_MS). A merged point
  // carries the spend at its last raw sample, so the curve is exact at every point whatever the downsampling.
  const spendAt = new Map<number, number>();
  let acc = 0;
  for (let i = 0; i < inWindow.length; i++) {
    const s = inWindow[i]!;
    spendAt.set(s.at, acc);
    const next = inWindow[i + 1];
    if (next) acc += (s.burnPerHour * Math.min(next.at - s.at, MAX_HOLD_MS)) / 3600_000;
  }

  // Only the buckets a delta sends are merged (merging 100 queues' counts is the costly part).
  const merged: TimelineSample[] = [];
  let bucket: TimelineSample[] = [];
  let key = NaN;
  const kept: { at: number; spend: number; burn: number; n: number }[] = [];
  const flush = () => {
    if (bucket.length) merged.push(bucket.length === 1 ? bucket[0]! : merge(bucket, bucket[bucket.length - 1]!.at));
    bucket = [];
  };
  for (const s of inWindow) {
    // A delta still carries the first point: samples leave its bucket as the window slides.
    if (cut !== null && s.at < cut && keyOf(s.at) > firstKey) {
      // The caller keeps this bucket's point. Its counts stay (a merge keeps maxima, whatever the order); its spend
      // moves as the window slides, and its mean burn when the ring merges fine samples into minutes.
      const k = keyOf(s.at);
      const spend = spendAt.get(s.at) ?? 0;
      const last = kept[kept.length - 1];
      if (k === key && last) Object.assign(last, { at: s.at, spend, burn: last.burn + s.burnPerHour, n: last.n + 1 });
      else kept.push({ at: s.at, spend, burn: s.burnPerHour, n: 1 });
      key = k;
      continue;
    }
    const k = keyOf(s.at);
    if (k !== key) flush();
    key = k;
    bucket.push(s);
  }
  flush();
  const points: TimelinePoint[] = merged.map((m) => ({ ...m, spend: spendAt.get(m.at) ?? 0 }));
  const spend = integrate(inWindow, to);

  const queues: string[] = [];
  const seen = new Set<string>();
  for (const s of inWindow)
    for (const q of Object.keys(s.queues))
      if (!seen.has(q)) {
        seen.add(q);
        queues.push(q);
      }
  return {
    hours,
    from,
    to,
    stepMs,
    queues,
    points,
    markers: markers.filter((m) => m.at >= (cut ?? from) && m.at <= to),
    spend,
    since: samples[0]?.at ?? null,
    ...(cut !== null
      ? {
          delta: {
            cut,
            keepFrom: (firstKey + 1) * stepMs,
            keptAt: kept.length ? [kept[0]!.at, kept[kept.length - 1]!.at] : null,
            keptSpend: kept.map((k) => k.spend),
            keptBurn: kept.map((k) => k.burn / k.n),
          },
        }
      : {}),
  };
}

/** Spend from a series of burn rates: each holds until the next sample, at most MAX_HOLD_MS. */
export function integrate(samples: readonly TimelineSample[], to: number): number {
  let spend = 0;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    const end = samples[i + 1]?.at ?? to;
    spend += (s.burnPerHour * Math.min(Math.max(0, end - s.at), MAX_HOLD_MS)) / 3600_000;
  }
  return spend;
}
