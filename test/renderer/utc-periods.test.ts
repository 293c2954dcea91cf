/**
 * The day and month the spend figures count are UTC's (AWS bills by them); the lines under them say so in terms
 * the viewer's clock and calendar can check, in every zone, including across the 1st and a daylight-saving change.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { monthToDateSince, spendTodaySince } from '../../renderer/src/model/costs.js';

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
