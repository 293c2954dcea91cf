/**
 * The scaling timeline as chart series and as words: pure, so what the chart draws and what its text alternative
 * says are computed once and tested in node. Times are seconds for uPlot; a gap wider than a few steps becomes a
 * null point, so the chart shows "not watching" instead of a straight line across it.
 */
import {
  rangeLabel,
  type MarkerKind,
  type QueueCounts,
  type Timeline,
  type TimelineMarker,
} from '../../../shared/timeline.js';
import { localTimeOfDay } from '../../../shared/words.js';
import { formatMoney, formatRate, formatTime, plural, zoneName } from './format.js';

export type Num = number | null;

export interface TimelineSeries {
  /** Seconds since the epoch. */
  xs: number[];
  busy: Num[];
  idle: Num[];
  booting: Num[];
  pending: Num[];
  burn: Num[];
  spend: Num[];
}

/** Counts for one queue, or summed over every queue when `queue` is null. */
export function countsAt(queues: Record<string, QueueCounts>, queue: string | null): QueueCounts {
  if (queue !== null) return queues[queue] ?? { busy: 0, idle: 0, booting: 0, pending: 0 };
  const sum = { busy: 0, idle: 0, booting: 0, pending: 0 };
  for (const c of Object.values(queues)) {
    sum.busy += c.busy;
    sum.idle += c.idle;
    sum.booting += c.booting;
    sum.pending += c.pending;
  }
  return sum;
}

/** A gap in the samples wider than this many steps (and at least a minute) is drawn as a gap. */
const GAP_STEPS = 4;

export function timelineSeries(t: Timeline, queue: string | null): TimelineSeries {
  const s: TimelineSeries = { xs: [], busy: [], idle: [], booting: [], pending: [], burn: [], spend: [] };
  const gapMs = Math.max(60_000, GAP_STEPS * t.stepMs);
  let prevAt: number | null = null;
  const push = (at: number, c: QueueCounts | null, burn: Num, spend: Num) => {
    s.xs.push(at / 1000);
    s.busy.push(c ? c.busy : null);
    s.idle.push(c ? c.idle : null);
    s.booting.push(c ? c.booting : null);
    s.pending.push(c ? c.pending : null);
    s.burn.push(burn);
    s.spend.push(spend);
  };
  for (const p of t.points) {
    if (prevAt !== null && p.at - prevAt > gapMs) push(prevAt + 1, null, null, null);
    push(p.at, countsAt(p.queues, queue), p.burnPerHour, p.spend);
    prevAt = p.at;
  }
  return s;
}

/** Stacked tops for drawing: busy, busy+idle, busy+idle+booting (nulls stay nulls). */
export function stacked(s: TimelineSeries): { busy: Num[]; idle: Num[]; booting: Num[] } {
  const add = (a: Num, b: Num): Num => (a === null || b === null ? null : a + b);
  const idle = s.busy.map((b, i) => add(b, s.idle[i]!));
  const booting = idle.map((v, i) => add(v, s.booting[i]!));
  return { busy: s.busy, idle, booting };
}

export const MARKER_TEXT: Record<MarkerKind, { one: string; many: string }> = {
  launch: { one: 'launch', many: 'launches' },
  terminate: { one: 'termination', many: 'terminations' },
  interruption: { one: 'spot interruption', many: 'spot interruptions' },
  error: { one: 'error', many: 'errors' },
};

export interface TimelineSummary {
  /** Instances now (busy + idle + booting) and the most at any point in the window. */
  now: number;
  peak: number;
  peakAt: number | null;
  peakPending: number;
  counts: Record<MarkerKind, number>;
  /** One paragraph: the chart's text alternative. */
  text: string;
}

export function markersFor(t: Timeline, queue: string | null): TimelineMarker[] {
  return queue === null ? t.markers : t.markers.filter((m) => !m.queue || m.queue === queue);
}

export function summarize(t: Timeline, queue: string | null): TimelineSummary {
  let peak = 0;
  let peakAt: number | null = null;
  let peakPending = 0;
  let now = 0;
  for (const p of t.points) {
    const c = countsAt(p.queues, queue);
    const n = c.busy + c.idle + c.booting;
    if (n > peak) [peak, peakAt] = [n, p.at];
    peakPending = Math.max(peakPending, c.pending);
    now = n;
  }
  const counts: Record<MarkerKind, number> = { launch: 0, terminate: 0, interruption: 0, error: 0 };
  for (const m of markersFor(t, queue)) counts[m.kind]++;
  const scope = queue === null ? 'all queues' : `queue ${queue}`;
  const text = t.points.length
    ? `Last ${rangeLabel(t.hours)}, ${scope}: ${plural(now, 'instance')} now, at most ${peak}` +
      `${peakAt !== null && peak > 0 ? ` (at ${formatTime(peakAt)})` : ''}; at most ${plural(peakPending, 'task')} waiting. ` +
      (Object.keys(counts) as MarkerKind[])
        .map((k) => `${counts[k]} ${counts[k] === 1 ? MARKER_TEXT[k].one : MARKER_TEXT[k].many}`)
        .join(', ') +
      `. Spend in the window ${formatMoney(t.spend)}, burning ${formatRate(t.points[t.points.length - 1]!.burnPerHour)} now.`
    : `No history for the last ${rangeLabel(t.hours)} yet: the chart fills in as the engine polls.`;
  return { now, peak, peakAt, peakPending, counts, text };
}

export interface TableRow {
  at: number;
  busy: number;
  idle: number;
  booting: number;
  pending: number;
  burnPerHour: number;
}

/** The numbers behind the chart at a readable resolution: at most `rows` rows, each the last point of its slice. */
export function tableRows(t: Timeline, queue: string | null, rows = 12): TableRow[] {
  if (!t.points.length) return [];
  const slice = (t.to - t.from) / rows;
  const out: TableRow[] = [];
  let key = -1;
  for (const p of t.points) {
    const k = Math.floor((p.at - t.from) / slice);
    const c = countsAt(p.queues, queue);
    const row = { at: p.at, ...c, burnPerHour: p.burnPerHour };
    if (k === key) out[out.length - 1] = row;
    else out.push(row);
    key = k;
  }
  return out;
}

/** The marker nearest to `x` seconds within `tolSec`, for the hover tooltip. */
export function nearestMarker(markers: readonly TimelineMarker[], x: number, tolSec: number): TimelineMarker | null {
  let best: TimelineMarker | null = null;
  let dist = tolSec;
  for (const m of markers) {
    const d = Math.abs(m.at / 1000 - x);
    if (d <= dist) [best, dist] = [m, d];
  }
  return best;
}

/** History needed before a month projection means anything. */
export const PROJECTION_MIN_MS = 3600_000;

/**
 * The month projection, or why there is none yet: extrapolating a minute of history to a month reads as a fact
 * and is noise.
 */
export function projection(
  projectedMonth: number,
  historySince: number | null,
  now: number,
): { ready: boolean; value: string; sub: string } {
  const have = historySince === null ? 0 : now - historySince;
  if (have < PROJECTION_MIN_MS) {
    const left = Math.ceil((PROJECTION_MIN_MS - have) / 60_000);
    return { ready: false, value: 'Too early', sub: `needs an hour of history (${plural(left, 'minute')} to go)` };
  }
  return { ready: true, value: formatMoney(projectedMonth), sub: "at today's pattern" };
}

/**
 * The time axis's tick labels (uPlot splits, in seconds): the 24-hour clock of every other time in the app, in the
 * viewer's zone. Under the tick where the day changes, its date with the month named ("Dec 8": "12/8" reads as
 * 12 August in most of the world); under the tick where the zone's offset changes (daylight saving, whole or half
 * hour), the new offset, so an hour that repeats in autumn ("02:45, 02:00") or one skipped in spring reads as the
 * clock change it is rather than as time going backwards.
 */
export function timeAxisLabels(splitsSec: readonly number[]): string[] {
  let lastDay = '';
  let lastOffset: number | null = null;
  return splitsSec.map((s) => {
    const d = new Date(s * 1000);
    const day = d.toDateString();
    const offset = d.getTimezoneOffset();
    const notes: string[] = [];
    if (lastDay && day !== lastDay) notes.push(d.toLocaleDateString('en-US', { month: 'short', day: 'numeric' }));
    if (lastOffset !== null && offset !== lastOffset) notes.push(zoneName(s * 1000));
    lastDay = day;
    lastOffset = offset;
    const hm = localTimeOfDay(d.getTime());
    return notes.length ? `${hm}\n${notes.join(' ')}` : hm;
  });
}
