/**
 * The scaling history the Overview and Costs charts read: instances per queue (busy, idle, booting), queue depth and
 * burn rate over time, with launches, terminations, spot interruptions and errors as markers. The engine keeps it
 * (electron/engine/timeline/), the IPC channel `autoscaler:timeline.get` carries it, already downsampled.
 */
import { z } from 'zod';

/**
 * The ranges the dashboard offers, in hours; the engine keeps the longest. 15 min is there for a fresh start (the
 * demo's whole cycle is four minutes): on a 1 h axis its first minutes are a sliver at the right edge.
 */
export const TIMELINE_RANGES = [0.25, 1, 6, 24] as const;
export type TimelineRange = (typeof TIMELINE_RANGES)[number];
export const TimelineRangeSchema = z.union([z.literal(0.25), z.literal(1), z.literal(6), z.literal(24)]);

/**
 * The range a chart opens on until the user picks one: the view's own (`preferred`) once the history is at least
 * that long, and before that the shortest range that holds the whole history, so a fresh start's first minutes are
 * not a sliver at the right edge of a longer axis. `historyMs`: how far back the history goes; null when empty.
 */
export function openingRange(historyMs: number | null, preferred: TimelineRange): TimelineRange {
  for (const h of TIMELINE_RANGES) if (h >= preferred || (historyMs ?? 0) <= h * 3_600_000) return h;
  return preferred;
}

/** "15 min", "1 h", "24 h": how a range is named on its button and in sentences. */
export function rangeLabel(hours: TimelineRange): string {
  return hours < 1 ? `${Math.round(hours * 60)} min` : `${hours} h`;
}

export const QueueCountsSchema = z.object({
  busy: z.number().int().nonnegative(),
  idle: z.number().int().nonnegative(),
  booting: z.number().int().nonnegative(),
  /** Tasks waiting in the queue. */
  pending: z.number().int().nonnegative(),
});
export type QueueCounts = z.infer<typeof QueueCountsSchema>;

export const TimelineSampleSchema = z.object({
  at: z.number(),
  queues: z.record(z.string(), QueueCountsSchema),
  burnPerHour: z.number().nonnegative(),
});
export type TimelineSample = z.infer<typeof TimelineSampleSchema>;

export const MarkerKindSchema = z.enum(['launch', 'terminate', 'interruption', 'error']);
export type MarkerKind = z.infer<typeof MarkerKindSchema>;

export const TimelineMarkerSchema = z.object({
  at: z.number(),
  kind: MarkerKindSchema,
  /** The event as the Events view words it. */
  message: z.string(),
  queue: z.string().optional(),
  instanceIds: z.array(z.string()).optional(),
});
export type TimelineMarker = z.infer<typeof TimelineMarkerSchema>;

/** A sample as the charts get it: plus the spend accumulated since the start of the window. */
export const TimelinePointSchema = TimelineSampleSchema.extend({ spend: z.number().nonnegative() });
export type TimelinePoint = z.infer<typeof TimelinePointSchema>;

export const TimelineSchema = z.object({
  hours: TimelineRangeSchema,
  from: z.number(),
  to: z.number(),
  /** Width of one point in ms (raw polls are finer); a gap wider than a few steps means the app was not watching. */
  stepMs: z.number().positive(),
  /** Every queue that appears in the window, in first-seen order. */
  queues: z.array(z.string()),
  points: z.array(TimelinePointSchema),
  markers: z.array(TimelineMarkerSchema),
  /** Estimated spend over the window (burn rate integrated over time). */
  spend: z.number().nonnegative(),
  /** How far back the history goes (ms epoch), null when empty: "too early to project" needs it. */
  since: z.number().nullable(),
  /**
   * Present when the caller asked for what is new after its last point: `points` are then the window's first point
   * (before `keepFrom`) and those at or after `cut`, and `markers` only those at or after `cut`. The points between
   * are the caller's, with their spend and burn rate now (`keptSpend`, `keptBurn`: the spend curve moves as the
   * window slides, a burn rate when older samples are merged); `keptAt` is the first and last of their times, null
   * when there are none. `applyTimeline` joins it to what the caller holds.
   */
  delta: z
    .object({
      cut: z.number(),
      keepFrom: z.number(),
      keptAt: z.tuple([z.number(), z.number()]).nullable(),
      keptSpend: z.array(z.number().nonnegative()),
      keptBurn: z.array(z.number().nonnegative()),
    })
    .optional(),
});
export type Timeline = z.infer<typeof TimelineSchema>;

/**
 * The full timeline from the one a chart holds and a delta for it (a full answer is returned as it is). Null when
 * they do not fit together (another range, or the held points are not the engine's, as after a restart of the
 * engine): the caller asks for the whole range again. The points kept keep their counts and take their new spend
 * and burn rate.
 */
export function applyTimeline(held: Timeline | null, got: Timeline): Timeline | null {
  if (!got.delta) return got;
  if (!held || held.hours !== got.hours || held.stepMs !== got.stepMs) return null;
  const { cut, keepFrom, keptAt, keptSpend, keptBurn } = got.delta;
  const kept = held.points.filter((p) => p.at >= keepFrom && p.at < cut);
  const ends = kept.length ? [kept[0]!.at, kept[kept.length - 1]!.at] : null;
  if (
    kept.length !== keptSpend.length ||
    kept.length !== keptBurn.length ||
    ends?.[0] !== keptAt?.[0] ||
    ends?.[1] !== keptAt?.[1]
  )
    return null;
  const { delta: _, ...rest } = got;
  return {
    ...rest,
    points: [
      ...got.points.filter((p) => p.at < keepFrom),
      ...kept.map((p, i) => ({ ...p, spend: keptSpend[i]!, burnPerHour: keptBurn[i]! })),
      ...got.points.filter((p) => p.at >= keepFrom),
    ],
    markers: [...held.markers.filter((m) => m.at >= got.from && m.at < cut), ...got.markers],
  };
}

/** What to ask for after the timeline a chart holds for `hours`: what is new after its last point, or everything. */
export function timelineAfter(held: Timeline | null, hours: TimelineRange): number | undefined {
  return held && held.hours === hours ? held.points[held.points.length - 1]?.at : undefined;
}

export function emptyTimeline(hours: TimelineRange, now: number): Timeline {
  return {
    hours,
    from: now - hours * 3600_000,
    to: now,
    stepMs: 3000,
    queues: [],
    points: [],
    markers: [],
    spend: 0,
    since: null,
  };
}
