// The timeline's chart series and words, the month projection rule and the one-state budget cap: pure, in node.
import { describe, expect, it } from 'vitest';
import { capDisplay } from '../../renderer/src/model/costs.js';
import {
  PROJECTION_MIN_MS,
  nearestMarker,
  projection,
  stacked,
  summarize,
  tableRows,
  timelineSeries,
} from '../../renderer/src/model/timeline.js';
import type { CapStatus } from '../../shared/budget.js';
import { openingRange, type Timeline, type TimelineRange } from '../../shared/timeline.js';
import { TIMELINE_T0 as T0 } from '../fixtures/index.js';

const c = (busy: number, idle: number, booting: number, pending: number) => ({ busy, idle, booting, pending });

function timeline(p: Partial<Timeline> = {}): Timeline {
  return {
    hours: 1,
    from: T0,
    to: T0 + 3600_000,
    stepMs: 5000,
    queues: ['gpu', 'cpu'],
    points: [
      { at: T0 + 60_000, queues: { gpu: c(0, 0, 2, 4), cpu: c(0, 0, 1, 1) }, burnPerHour: 1, spend: 0 },
      { at: T0 + 65_000, queues: { gpu: c(2, 0, 0, 2), cpu: c(1, 0, 0, 0) }, burnPerHour: 1.2, spend: 0.001 },
      // 20 minutes without a sample: drawn as a gap
      { at: T0 + 1_265_000, queues: { gpu: c(0, 1, 0, 0), cpu: c(0, 0, 0, 0) }, burnPerHour: 0.5, spend: 0.4 },
    ],
    markers: [
      { at: T0 + 60_000, kind: 'launch', message: 'launched 2 × g4dn.xlarge on gpu', queue: 'gpu' },
      { at: T0 + 61_000, kind: 'launch', message: 'launched 1 × m5.large on cpu', queue: 'cpu' },
      { at: T0 + 1_260_000, kind: 'terminate', message: 'terminated 1 on cpu', queue: 'cpu' },
      { at: T0 + 1_261_000, kind: 'error', message: 'EC2 unreachable' },
    ],
    spend: 0.41,
    since: T0 + 60_000,
    ...p,
  };
}

describe('timeline series', () => {
  it('sums queues (or picks one), and breaks the line across a gap with nulls', () => {
    const all = timelineSeries(timeline(), null);
    expect(all.xs).toEqual([(T0 + 60_000) / 1000, (T0 + 65_000) / 1000, (T0 + 65_001) / 1000, (T0 + 1_265_000) / 1000]);
    expect(all.busy).toEqual([0, 3, null, 0]);
    expect(all.booting).toEqual([3, 0, null, 0]);
    expect(all.pending).toEqual([5, 2, null, 0]);
    expect(timelineSeries(timeline(), 'gpu').pending).toEqual([4, 2, null, 0]);
  });

  it('stacks busy, then idle on it, then booting on top', () => {
    const s = stacked(timelineSeries(timeline(), 'gpu'));
    expect(s).toEqual({ busy: [0, 2, null, 0], idle: [0, 2, null, 1], booting: [2, 2, null, 1] });
  });
});

describe('timeline summary (the chart’s text alternative)', () => {
  it('says now, the peak, the most tasks waiting, each marker kind and the spend', () => {
    const s = summarize(timeline(), null);
    expect(s).toMatchObject({
      now: 1,
      peak: 3,
      peakPending: 5,
      counts: { launch: 2, terminate: 1, interruption: 0, error: 1 },
    });
    expect(s.text).toMatch(
      /^Last 1 h, all queues: 1 instance now, at most 3 \(at \d\d:\d\d:\d\d\); at most 5 tasks waiting\. /,
    );
    expect(s.text).toMatch(
      /2 launches, 1 termination, 0 spot interruptions, 1 error\. Spend in the window \$0\.41, burning \$0\.50\/h now\.$/,
    );
  });

  it('per queue, markers of other queues are left out (unqueued ones stay)', () => {
    expect(summarize(timeline(), 'gpu').counts).toEqual({ launch: 1, terminate: 0, interruption: 0, error: 1 });
  });

  it('without points it says the history is still empty', () => {
    expect(summarize(timeline({ points: [] }), null).text).toBe(
      'No history for the last 1 h yet: the chart fills in as the engine polls.',
    );
  });

  it('the table keeps at most one row per slice of the window', () => {
    const rows = tableRows(timeline(), null, 12);
    expect(rows.map((r) => r.at)).toEqual([T0 + 65_000, T0 + 1_265_000]);
  });

  it('hover finds the nearest marker within the tolerance only', () => {
    const t = timeline();
    expect(nearestMarker(t.markers, (T0 + 60_400) / 1000, 2)?.message).toBe('launched 2 × g4dn.xlarge on gpu');
    expect(nearestMarker(t.markers, (T0 + 600_000) / 1000, 2)).toBeNull();
  });
});

describe('month projection', () => {
  it.each([
    ['no history', null, 0, false, 'Too early', 'needs an hour of history (60 minutes to go)'],
    ['one minute', T0 - 60_000, 0, false, 'Too early', 'needs an hour of history (59 minutes to go)'],
    ['an hour', T0 - PROJECTION_MIN_MS, 1877, true, '$1,877', "at today's pattern"],
  ] as const)('%s', (_n, since, amount, ready, value, sub) => {
    expect(projection(amount, since, T0)).toEqual({ ready, value, sub });
  });
});

describe('budget cap: one state, one colour, one sentence', () => {
  const cap = (p: Partial<CapStatus>): CapStatus =>
    ({
      id: 'global.monthlyUsd',
      queue: null,
      kind: 'monthly',
      label: 'monthly cap $50',
      limit: 50,
      spent: 5,
      share: 0.1,
      projectedMonth: 10,
      state: 'ok',
      ...p,
    }) satisfies CapStatus;

  it.each([
    [
      'under, projection under',
      {},
      true,
      'ok',
      'ok',
      'under the cap',
      /, under the cap; projected \$10\.00 by month end$/,
    ],
    [
      'under, projection over',
      { projectedMonth: 1877 },
      true,
      'pace',
      'warn',
      'on pace to pass',
      /, on pace to pass the cap by month end; projected \$1,877 by month end$/,
    ],
    [
      'under, projection over, too early',
      { projectedMonth: 1877 },
      false,
      'ok',
      'ok',
      'under the cap',
      /, under the cap; no month projection until there is an hour of history$/,
    ],
    [
      'near',
      { state: 'near', spent: 45, share: 0.9 },
      true,
      'near',
      'warn',
      'near the cap',
      /^\$45\.00 of \$50\.00 spent this month \(90%\), near the cap/,
    ],
    [
      'reached',
      { state: 'reached', spent: 55, share: 1.1 },
      false,
      'reached',
      'error',
      'cap reached',
      /, cap reached;/,
    ],
    [
      'spend unknown, holding launches',
      { state: 'unknown', spent: 0, share: 0, holdsLaunches: true },
      true,
      'unknown',
      'warn',
      'spend unknown',
      /^holding the launches it covers: the cost history cannot be opened \(see the status\), so this month's spend/,
    ],
    [
      'spend unknown, warn mode',
      { state: 'unknown', spent: 0, share: 0, holdsLaunches: false },
      true,
      'unknown',
      'warn',
      'spend unknown',
      /^not checked: the cost history cannot be opened/,
    ],
  ] as const)('%s', (_n, p, ready, state, tone, badge, text) => {
    const d = capDisplay(cap(p), ready);
    expect([d.state, d.tone, d.badge]).toEqual([state, tone, badge]);
    expect(d.text).toMatch(text);
    if (!ready) expect(d.projected).toBeNull();
  });
});

describe('the range a chart opens on', () => {
  const min = 60_000;
  it.each([
    ['no history yet: the shortest', null, 1, 0.25],
    ['a fresh start on the Overview', 5 * min, 1, 0.25],
    ['15 min of history still fits 15 min', 15 * min, 1, 0.25],
    ['past 15 min the Overview has its own 1 h', 16 * min, 1, 1],
    ['a day of history: still the Overview’s 1 h', 24 * 60 * min, 1, 1],
    ['Costs, fresh: 15 min', 5 * min, 6, 0.25],
    ['Costs, 40 min: 1 h holds it', 40 * min, 6, 1],
    ['Costs, 2 h: its own 6 h', 120 * min, 6, 6],
    ['Costs, 10 h: never wider than its own', 600 * min, 6, 6],
    ['a view whose own range is the shortest keeps it', 600 * min, 0.25, 0.25],
  ] as [string, number | null, TimelineRange, TimelineRange][])('%s', (_, historyMs, preferred, want) => {
    expect(openingRange(historyMs, preferred)).toBe(want);
  });
});
