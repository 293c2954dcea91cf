/** Number and time formatting used across views; pure so the texts are tested in node. */
import { formatMoney } from '../../../shared/money.js';

export { formatMoney, formatRate } from '../../../shared/money.js';

/**
 * Like formatMoney, but amounts under a dime keep four decimals ("$0.0042"): a short task's cost is real money
 * to compare, not "< $0.01".
 */
export function formatMoneyFine(amount: number): string {
  if (Number.isFinite(amount) && amount > 0 && amount < 0.1) return `$${amount.toFixed(4)}`;
  return formatMoney(amount);
}

/** 0 → "0s", 75 → "1m 15s", 3 h 5 min → "3h 5m", 2 days → "2d 0h". Two units at most. */
export function formatDuration(totalSec: number | null): string {
  if (totalSec === null || !Number.isFinite(totalSec)) return '—';
  const s = Math.max(0, Math.floor(totalSec));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${sec}s`;
  return `${sec}s`;
}

/** "12s ago"; "never" for null. */
export function formatAgo(at: number | null, now: number): string {
  if (at === null) return 'never';
  return `${formatDuration(Math.max(0, (now - at) / 1000))} ago`;
}

export function formatDate(at: number): string {
  const d = new Date(at);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/**
 * "UTC+5:30", "UTC-7", "UTC": the viewer's UTC offset at `at` (daylight saving included), in English like every
 * other word in the app, for the times shown in the viewer's zone to say which zone that is.
 */
export function zoneName(at: number): string {
  const parts = new Intl.DateTimeFormat('en-US', { timeZoneName: 'shortOffset' }).formatToParts(new Date(at));
  // Intl writes "GMT+5:30" (and "GMT" or "GMT+0" at UTC itself): the app says UTC everywhere else.
  const gmt = parts.find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const offset = gmt.replace(/^GMT/, '').replace(/^[+-]0$/, '');
  return `UTC${offset}`;
}

/**
 * "2026-12-08 14:35 (UTC+13:45)": a full time that says its zone, where the dashboard's local times sit beside the
 * headless log's UTC rows and the exports' UTC stamps (an event's tooltip, an instance's launch).
 */
export function formatDateInZone(at: number): string {
  return `${formatDate(at)} (${zoneName(at)})`;
}

export function formatTime(at: number): string {
  const d = new Date(at);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export { plural } from '../../../shared/words.js';
