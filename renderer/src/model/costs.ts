/** The breakdown bars and budget caps of the Costs view, as numbers and sentences. Pure. */
import { capLabel, type CapStatus } from '../../../shared/budget.js';
import type { CostSummary } from '../../../shared/domain.js';
import { localTimeOfDay } from '../../../shared/words.js';
import { formatMoney, formatRate } from './format.js';

/** A "nice" axis maximum ≥ v: 1, 2, 2.5, 5 × 10^n. */
export function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const exp = Math.floor(Math.log10(v));
  const base = 10 ** exp;
  for (const m of [1, 2, 2.5, 5, 10]) if (m * base >= v) return m * base;
  return 10 * base;
}

const DAY_MS = 86_400_000;

/**
 * The line under "Spend today": the day is UTC's (AWS bills by it, and the engine counts it so), which starts at
 * another hour of the viewer's clock, or the day before, so that hour is said too: "since 00:00 UTC (05:30 here)",
 * "since 00:00 UTC (16:00 yesterday here)".
 */
export function spendTodaySince(now: number): string {
  const start = Math.floor(now / DAY_MS) * DAY_MS;
  const local = localTimeOfDay(start);
  if (local === '00:00') return 'since 00:00 UTC'; // the viewer's zone is UTC's now (London in winter)
  const yesterday = new Date(start).toDateString() !== new Date(now).toDateString();
  return `since 00:00 UTC (${local}${yesterday ? ' yesterday' : ''} here)`;
}

/**
 * The line under "This month": which month, by name, since the month is UTC's and the viewer's calendar may already
 * (or still) be on another one near the 1st ("since Nov 1, UTC" read on the 1st of December in Auckland); the spot
 * saving, when there is one, comes after it rather than instead of it.
 */
export function monthToDateSince(now: number, spotSavings?: number): string {
  const month = new Date(now).toLocaleDateString('en-US', { month: 'short', timeZone: 'UTC' });
  const since = `since ${month} 1, UTC`;
  return spotSavings ? `${since}; spot saved ${formatMoney(spotSavings)}` : since;
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
  const state = CAP_DISPLAY[c.state].words;
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

/** A cap as shown: one state, whose badge, colour and sentence all say the same thing. */
export type CapDisplayState = 'ok' | 'pace' | 'near' | 'reached' | 'unknown';

export interface CapDisplay extends CapBar {
  /**
   * The cap's name. For a month whose spend is unknown, without the engine label's "(holding launches: this month's
   * spend is unknown)": the badge says it is unknown and the sentence what that does, once each.
   */
  label: string;
  /**
   * The figure beside the badge: "$0.19/h of $0.20/h", "$120.00 of $500.00"; for a month whose spend is unknown only
   * the cap ("cap $500.00"), since its spent figure is a placeholder $0 and read as nothing spent.
   */
  figure: string;
  state: CapDisplayState;
  badge: string;
  tone: 'ok' | 'warn' | 'error';
}

const CAP_DISPLAY: Record<CapDisplayState, { badge: string; tone: CapDisplay['tone']; words: string }> = {
  ok: { badge: 'under the cap', tone: 'ok', words: 'under the cap' },
  pace: { badge: 'on pace to pass', tone: 'warn', words: 'on pace to pass the cap by month end' },
  near: { badge: 'near the cap', tone: 'warn', words: 'near the cap' },
  reached: { badge: 'cap reached', tone: 'error', words: 'cap reached' },
  // The month's spend is unknown (no cost history): the figures read $0, which is not "under the cap".
  unknown: { badge: 'spend unknown', tone: 'warn', words: 'spend unknown' },
};

/**
 * The engine's cap state, plus "on pace to pass" for a monthly cap still under its limit whose projection is over
 * it; the projection only counts once there is enough history (`projectionReady`), otherwise it is not drawn.
 */
export function capDisplay(c: CapStatus, projectionReady: boolean): CapDisplay {
  const bar = capBar(c);
  const over = projectionReady && c.kind === 'monthly' && c.projectedMonth > c.limit;
  const state: CapDisplayState = c.state === 'ok' && over ? 'pace' : c.state;
  const d = CAP_DISPLAY[state];
  const pct = Math.round(c.share * 100);
  const proj = projectionReady
    ? c.kind === 'hourly'
      ? `; ${formatMoney(c.projectedMonth)} by month end at this pace`
      : `; projected ${formatMoney(c.projectedMonth)} by month end`
    : '; no month projection until there is an hour of history';
  const text =
    state === 'unknown'
      ? `${c.holdsLaunches === false ? 'not checked' : 'holding the launches it covers'}: the cost history cannot be ` +
        "opened (see the status), so this month's spend cannot be compared with the cap"
      : c.kind === 'hourly'
        ? `burning ${formatRate(c.spent)} of ${formatRate(c.limit)} (${pct}%), ${d.words}${proj}`
        : `${formatMoney(c.spent)} of ${formatMoney(c.limit)} spent this month (${pct}%), ${d.words}${proj}`;
  const money = c.kind === 'hourly' ? formatRate : formatMoney;
  return {
    ...bar,
    ...(projectionReady && state !== 'unknown' ? {} : { projected: null, projectedOffScale: false }),
    label: state === 'unknown' ? capLabel(c.kind, c.limit, c.queue) : c.label,
    text,
    figure: state === 'unknown' ? `cap ${money(c.limit)}` : `${money(c.spent)} of ${money(c.limit)}`,
    state,
    badge: d.badge,
    tone: d.tone,
  };
}
