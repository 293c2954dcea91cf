/**
 * The day and month the spend figures count are UTC's (AWS bills by them); the lines under them say so in terms
 * the viewer's clock and calendar can check, in every zone, including across the 1st and a daylight-saving change.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { monthToDateSince, spendTodaySince } from '../../renderer/src/model/costs.js';
import { timeAxisLabels } from '../../renderer/src/model/timeline.js';
import { formatDateInZone } from '../../renderer/src/model/format.js';

const saved = process.env['TZ'];
afterEach(() => {
  // Node reads TZ again when it is assigned: each row runs in its own zone.
  if (saved === undefined) delete process.env['TZ'];
  else process.env['TZ'] = saved;
});

describe("spendTodaySince: when the UTC day began, on the viewer's clock", () => {
  const dec8 = Date.UTC(2026, 11, 8, 1, 0);
  it.each([
    ['UTC', dec8, 'since 00:00 UTC'],
    ['Europe/London', dec8, 'since 00:00 UTC'],
    ['Europe/London', Date.UTC(2026, 6, 8, 12, 0), 'since 00:00 UTC (01:00 here)'],
    ['Asia/Kolkata', dec8, 'since 00:00 UTC (05:30 here)'],
    ['Pacific/Chatham', dec8, 'since 00:00 UTC (13:45 here)'],
    ['Australia/Lord_Howe', dec8, 'since 00:00 UTC (11:00 here)'],
    ['Australia/Lord_Howe', Date.UTC(2026, 5, 8, 1, 0), 'since 00:00 UTC (10:30 here)'],
    ['America/Los_Angeles', dec8, 'since 00:00 UTC (16:00 here)'],
    ['America/Los_Angeles', Date.UTC(2026, 11, 8, 9, 0), 'since 00:00 UTC (16:00 yesterday here)'],
    // 8 March 2026: Los Angeles springs forward at 10:00 UTC; the UTC day began at 16:00 PST the day before.
    ['America/Los_Angeles', Date.UTC(2026, 2, 8, 12, 0), 'since 00:00 UTC (16:00 yesterday here)'],
    ['America/Los_Angeles', Date.UTC(2026, 2, 9, 12, 0), 'since 00:00 UTC (17:00 yesterday here)'],
  ])('TZ=%s at %d → %s', (tz, now, want) => {
    process.env['TZ'] = tz;
    expect(spendTodaySince(now)).toBe(want);
  });
});

describe('monthToDateSince: which month "this month" is, named, whatever the viewer\'s calendar says', () => {
  // 1 December, 10:00 in Chatham and 13:00 in Auckland is still 30 November in UTC: the figure is November's.
  const nov30 = Date.UTC(2026, 10, 30, 20, 15);
  // 30 November, 17:00 in Los Angeles is already 1 December in UTC: the figure starts again.
  const dec1 = Date.UTC(2026, 11, 1, 1, 0);
  it.each([
    ['Pacific/Chatham', nov30, undefined, 'since Nov 1, UTC'],
    ['Pacific/Auckland', nov30, undefined, 'since Nov 1, UTC'],
    ['America/Los_Angeles', dec1, undefined, 'since Dec 1, UTC'],
    ['Asia/Kolkata', dec1, 0, 'since Dec 1, UTC'],
    // The spot saving does not push out which month it is.
    ['Europe/Berlin', dec1, 0.02, 'since Dec 1, UTC; spot saved $0.02'],
    ['UTC', Date.UTC(2027, 0, 1, 0, 0), 12.5, 'since Jan 1, UTC; spot saved $12.50'],
  ])('TZ=%s at %d, spot saved %s → %s', (tz, now, savings, want) => {
    process.env['TZ'] = tz;
    expect(monthToDateSince(now, savings)).toBe(want);
  });
});

describe("timeAxisLabels: the chart's ticks on the viewer's clock, the month named, a clock change said", () => {
  const at = (iso: string) => Date.parse(iso) / 1000;
  const ticks = (from: string, stepMin: number, n: number) =>
    Array.from({ length: n }, (_, i) => at(from) + i * stepMin * 60);
  it.each([
    ['UTC', ticks('2026-12-07T23:30:00Z', 15, 4), ['23:30', '23:45', '00:00\nDec 8', '00:15']],
    ['America/Los_Angeles', ticks('2026-12-08T07:30:00Z', 15, 4), ['23:30', '23:45', '00:00\nDec 8', '00:15']],
    ['Asia/Kolkata', ticks('2026-12-07T18:00:00Z', 15, 4), ['23:30', '23:45', '00:00\nDec 8', '00:15']],
    ['Pacific/Chatham', ticks('2026-12-07T09:15:00Z', 60, 2), ['23:00', '00:00\nDec 8']],
    // Berlin falls back at 01:00 UTC on 25 October: 02:00–03:00 happens twice.
    ['Europe/Berlin', ticks('2026-10-25T00:30:00Z', 15, 4), ['02:30', '02:45', '02:00\nUTC+1', '02:15']],
    // …and springs forward at 01:00 UTC on 29 March: 02:00–03:00 never happens.
    ['Europe/Berlin', ticks('2026-03-29T00:30:00Z', 15, 4), ['01:30', '01:45', '03:00\nUTC+2', '03:15']],
    // Lord Howe moves half an hour, at 02:00 local (15:30 UTC) on 4 October.
    ['Australia/Lord_Howe', ticks('2026-10-03T15:00:00Z', 15, 4), ['01:30', '01:45', '02:30\nUTC+11', '02:45']],
    // Los Angeles falls back at 09:00 UTC on 1 November, a day change a few hours before.
    ['America/Los_Angeles', ticks('2026-11-01T06:00:00Z', 60, 4), ['23:00', '00:00\nNov 1', '01:00', '01:00\nUTC-8']],
  ])('TZ=%s', (tz, splits, want) => {
    process.env['TZ'] = tz;
    expect(timeAxisLabels(splits)).toEqual(want);
  });
});

describe("formatDateInZone: a full local time says its zone (event tooltips, an instance's launch)", () => {
  it.each([
    ['UTC', '2026-12-08T01:02:00Z', '2026-12-08 01:02 (UTC)'],
    ['Asia/Kolkata', '2026-12-08T01:02:00Z', '2026-12-08 06:32 (UTC+5:30)'],
    ['Pacific/Chatham', '2026-12-08T01:02:00Z', '2026-12-08 14:47 (UTC+13:45)'],
    ['America/Los_Angeles', '2026-12-08T01:02:00Z', '2026-12-07 17:02 (UTC-8)'],
    // The repeated hour of Berlin's autumn change, once in summer time and once in winter time.
    ['Europe/Berlin', '2026-10-25T00:30:00Z', '2026-10-25 02:30 (UTC+2)'],
    ['Europe/Berlin', '2026-10-25T01:30:00Z', '2026-10-25 02:30 (UTC+1)'],
    ['Australia/Lord_Howe', '2026-12-08T01:02:00Z', '2026-12-08 12:02 (UTC+11)'],
    ['Australia/Lord_Howe', '2026-06-08T01:02:00Z', '2026-06-08 11:32 (UTC+10:30)'],
  ])('TZ=%s %s → %s', (tz, iso, want) => {
    process.env['TZ'] = tz;
    expect(formatDateInZone(Date.parse(iso))).toBe(want);
  });
});
