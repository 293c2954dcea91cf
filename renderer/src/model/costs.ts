/** The cost chart and breakdown bars: geometry only, so the SVG is a dumb renderer. Pure. */
import type { CapStatus } from '../../../shared/budget.js';
import type { CostSummary } from '../../../shared/domain.js';
import { formatMoney, formatRate } from './format.js';

export interface ChartGeometry {
  width: number;
  height: number;
  /** Polyline of the burn rate; '' with fewer than two points. */
  line: string;
  /** Same line closed to the x axis, for the fill. */
  area: string;
  maxY: number;
  yTicks: { y: number; value: number }[];
  xTicks: { x: number; at: number }[];
  points: number;
  from: number;
  to: number;
}

export interface ChartOptions {
  width: number;
  height: number;
  /** Left/bottom room for labels. */
  padLeft: number;
  padBottom: number;
  hours: number;
}

/** A "nice" axis maximum ≥ v: 1, 2, 2.5, 5 × 10^n. */
export function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const exp = Math.floor(Math.log10(v));
  const base = 10 ** exp;
  for (const m of [1, 2, 2.5, 5, 10]) if (m * base >= v) return m * base;
  return 10 * base;
}

const round = (n: number) => Math.round(n * 10) / 10;

/** Tick spacing for a time span: about 4–8 labels. */
export function tickStepMs(spanMs: number): number {
  const steps = [1, 5, 10, 15, 30, 60, 120, 180, 360].map((m) => m * 60_000);
  return steps.find((st) => spanMs / st <= 8) ?? 6 * 3600_000;
}

/** The shortest window drawn, so a fresh start does not squeeze its first minutes into one pixel column. */
export const MIN_WINDOW_MS = 10 * 60_000;

/**
 * The burn rate as a step line (it is constant between two polls) over the last `hours`, or over the history
 * there is when that is shorter (at least MIN_WINDOW_MS), so a demo that started a minute ago fills the chart.
 */
export function costChart(history: CostSummary['history'], now: number, o: ChartOptions): ChartGeometry {
  const to = now;
  const earliest = history.reduce((m, p) => Math.min(m, p.at), now);
  const from = Math.max(now - o.hours * 3600_000, Math.min(earliest, now - MIN_WINDOW_MS));
  const pts = history.filter((p) => p.at >= from && p.at <= to).sort((a, b) => a.at - b.at);
  const maxY = niceMax(Math.max(0, ...pts.map((p) => p.burnPerHour)));
  const plotW = o.width - o.padLeft;
  const plotH = o.height - o.padBottom;
  const x = (at: number) => round(o.padLeft + ((at - from) / (to - from)) * plotW);
  const y = (v: number) => round(plotH - (v / maxY) * (plotH - 4));
  let line = '';
  pts.forEach((p, i) => {
    line += i === 0 ? `M${x(p.at)},${y(p.burnPerHour)}` : ` H${x(p.at)} V${y(p.burnPerHour)}`;
  });
  const first = pts[0];
  const last = pts[pts.length - 1];
  // The last rate holds until now.
  if (line && last && last.at < to) line += ` H${x(to)}`;
  if (pts.length < 2 && !(last && last.at < to)) line = '';
  const area = line && first ? `${line} V${round(plotH)} H${x(first.at)} Z` : '';
  const yTicks = [0, 0.5, 1].map((f) => ({ y: y(maxY * f), value: maxY * f }));
  const step = tickStepMs(to - from);
  const xTicks: { x: number; at: number }[] = [];
  for (let at = Math.ceil(from / step) * step; at <= to; at += step) xTicks.push({ x: x(at), at });
  return { width: o.width, height: o.height, line, area, maxY, yTicks, xTicks, points: pts.length, from, to };
}

export interface Share {
  label: string;
  perHour: number;
  /** 0..1 of the largest entry, for bar widths. */
  fraction: number;
}

export function shares(record: Record<string, number>): Share[] {
  const entries = Object.entries(record).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const max = Math.max(0, ...entries.map(([, v]) => v));
  return entries.map(([label, perHour]) => ({ label, perHour, fraction: max > 0 ? perHour / max : 0 }));
}

/** Spot share of the current burn, 0..1; null when nothing runs. */
export function spotFraction(c: CostSummary): number | null {
  const total = c.spotPerHour + c.onDemandPerHour;
  return total > 0 ? c.spotPerHour / total : null;
}

/** A cap drawn as a bar: positions are 0..1 of the bar's width. */
export interface CapBar {
  spent: number;
  /** Where the limit sits: 1, or less when the bar is stretched to show spend or a projection past the cap. */
  limit: number;
  /** Where the month-end projection lands (monthly caps only; an hourly cap limits a rate, not a total). */
  projected: number | null;
  /** The projection lies past the right end (more than twice the cap); the marker is pinned there. */
  projectedOffScale: boolean;
  /** One sentence with every number, for the label and screen readers. */
  text: string;
}

/** The bar stretches to at most twice the cap, so a runaway projection does not squash the rest to nothing. */
const MAX_SCALE = 2;

export function capBar(c: CapStatus): CapBar {
  const projection = c.kind === 'monthly' ? c.projectedMonth : null;
  const top = c.limit > 0 ? Math.min(Math.max(c.limit, c.spent, projection ?? 0), MAX_SCALE * c.limit) : 0;
  const at = (x: number) => (top > 0 ? Math.max(0, Math.min(1, x / top)) : 0);
  const pct = Math.round(c.share * 100);
  const state = c.state === 'reached' ? 'cap reached' : c.state === 'near' ? 'near the cap' : 'under the cap';
  const text =
    c.kind === 'hourly'
      ? `burning ${formatRate(c.spent)} of ${formatRate(c.limit)} (${pct}%), ${state}; ${formatMoney(c.projectedMonth)} by month end at this pace`
      : `${formatMoney(c.spent)} of ${formatMoney(c.limit)} spent this month (${pct}%), ${state}; projected ${formatMoney(c.projectedMonth)} by month end${c.projectedMonth > c.limit ? ', over the cap' : ''}`;
  return {
    spent: at(c.spent),
    limit: at(c.limit),
    projected: projection === null ? null : at(projection),
    projectedOffScale: projection !== null && top > 0 && projection > top,
    text,
  };
}
