// Accounting against figures worked out by hand. Most cases use $3.60/h, which is exactly $0.001 per second,
// so every expected dollar amount below is "seconds / 1000".
import { describe, expect, it } from 'vitest';
import {
  attribute,
  attributeBetween,
  billedSeconds,
  burnRate,
  costBetween,
  costByUtcDay,
  costUpTo,
  priceAt,
  priceIntegral,
  rollup,
  startOfNextUtcMonth,
  startOfUtcMonth,
  type InstanceCostInput,
} from '../../electron/engine/cost/accounting.js';
import { expectCloseRecord } from './close.js';
import { COST_T0 as T0 } from '../fixtures/index.js';

const S = 1000;
const H = 3_600_000;

function inst(over: Partial<InstanceCostInput> = {}): InstanceCostInput {
  return {
    instanceId: 'i-1',
    queue: 'gpu',
    resource: 'g5',
    market: 'on-demand',
    hourlyPrice: 3.6,
    launchedAt: T0,
    endedAt: null,
    registeredAt: null,
    tasks: [],
    ...over,
  };
}

describe('billedSeconds: per second with a 60 s minimum', () => {
  it.each([
    ['10 s life bills the 60 s minimum', 10 * S, 60],
    ['exactly 60 s', 60 * S, 60],
    ['61.5 s rounds up to 62', 61.5 * S, 62],
    ['an instance that ended at launch still bills 60 s', 0, 60],
    ['1.5 h', 1.5 * H, 5400],
  ])('%s', (_name, life, expected) => {
    expect(billedSeconds(T0, T0 + life)).toBe(expected);
  });
});

describe('attribute', () => {
  it('charges the 60 s minimum for a 10 s instance, all of it boot overhead', () => {
    const a = attribute(inst({ endedAt: T0 + 10 * S }), T0 + H);
    expect(a.total).toBeCloseTo(0.06, 10);
    expect(a.boot).toBeCloseTo(0.06, 10);
    expect(a.idle).toBe(0);
    expect(a.byTask).toEqual({});
  });

  it('bills partial hours per second: g5.xlarge for 1 h 30 min', () => {
    const a = attribute(inst({ hourlyPrice: 1.006, endedAt: T0 + 1.5 * H }), T0 + 2 * H);
    expect(a.total).toBeCloseTo(1.509, 10);
  });

  it('splits one instance that ran three tasks with idle gaps into boot, tasks and idle', () => {
    // boot 0–120 s, A 120–720, idle 60 s, B 780–1980, idle 120 s, C 2100–2400, idle 300 s, end 2700 s.
    const a = attribute(
      inst({
        registeredAt: T0 + 120 * S,
        endedAt: T0 + 2700 * S,
        tasks: [
          { taskId: 'B', startedAt: T0 + 780 * S, endedAt: T0 + 1980 * S },
          { taskId: 'A', name: 'train resnet', startedAt: T0 + 120 * S, endedAt: T0 + 720 * S },
          { taskId: 'C', startedAt: T0 + 2100 * S, endedAt: T0 + 2400 * S },
        ],
      }),
      T0 + 3 * H,
    );
    expect(a.total).toBeCloseTo(2.7, 10);
    expect(a.boot).toBeCloseTo(0.12, 10);
    expect(a.idle).toBeCloseTo(0.48, 10);
    expect(a.byTask['A']).toBeCloseTo(0.6, 10);
    expect(a.byTask['B']).toBeCloseTo(1.2, 10);
    expect(a.byTask['C']).toBeCloseTo(0.3, 10);
    expect(a.boot + a.idle + a.byTask['A']! + a.byTask['B']! + a.byTask['C']!).toBeCloseTo(a.total, 10);
  });

  it('counts boot overhead of a worker that never registered, and the minimum top-up as boot', () => {
    const never = attribute(inst({ endedAt: T0 + 30 * S }), T0 + H);
    expect(never.boot).toBeCloseTo(0.06, 10);
    expect(never.idle).toBe(0);
    // Registered at 20 s, idle until it was killed at 40 s: 20 s idle, the other 40 s of the minimum is boot.
    const short = attribute(inst({ registeredAt: T0 + 20 * S, endedAt: T0 + 40 * S }), T0 + H);
    expect(short.total).toBeCloseTo(0.06, 10);
    expect(short.idle).toBeCloseTo(0.02, 10);
    expect(short.boot).toBeCloseTo(0.04, 10);
  });

  it('prices a running instance and its running task up to now', () => {
    const a = attribute(
      inst({ registeredAt: T0 + 100 * S, tasks: [{ taskId: 'A', startedAt: T0 + 200 * S, endedAt: null }] }),
      T0 + 500 * S,
    );
    expect(a.total).toBeCloseTo(0.5, 10);
    expect(a.boot).toBeCloseTo(0.1, 10);
    expect(a.idle).toBeCloseTo(0.1, 10);
    expect(a.byTask['A']).toBeCloseTo(0.3, 10);
  });

  it('never double-counts overlapping task reports: a later start ends the previous task', () => {
    const a = attribute(
      inst({
        registeredAt: T0,
        endedAt: T0 + 1000 * S,
        tasks: [
          { taskId: 'A', startedAt: T0, endedAt: T0 + 600 * S },
          { taskId: 'B', startedAt: T0 + 400 * S, endedAt: T0 + 1000 * S },
        ],
      }),
      T0 + H,
    );
    expect(a.byTask['A']).toBeCloseTo(0.4, 10);
    expect(a.byTask['B']).toBeCloseTo(0.6, 10);
    expect(a.idle).toBeCloseTo(0, 10);
  });

  it('treats a task seen before any registration as the registration', () => {
    const a = attribute(
      inst({ endedAt: T0 + 300 * S, tasks: [{ taskId: 'A', startedAt: T0 + 100 * S, endedAt: T0 + 200 * S }] }),
      T0 + H,
    );
    expect(a.boot).toBeCloseTo(0.1, 10);
    expect(a.byTask['A']).toBeCloseTo(0.1, 10);
    expect(a.idle).toBeCloseTo(0.1, 10);
  });
});

describe('windows', () => {
  it('puts the 60 s minimum at launch: windows after it see none, windows add up to the total', () => {
    const i = inst({ endedAt: T0 + 20 * S });
    expect(attributeBetween(i, T0 + 10 * S, T0 + H, T0 + H).total).toBe(0);
    expect(attributeBetween(i, T0 - H, T0 + 5 * S, T0 + H).total).toBeCloseTo(0.06, 10);

    const long = inst({ registeredAt: T0 + 60 * S, endedAt: T0 + 2 * H });
    const whole = attribute(long, T0 + 3 * H).total;
    const parts =
      attributeBetween(long, T0 - H, T0 + 1000 * S, T0 + 3 * H).total +
      attributeBetween(long, T0 + 1000 * S, T0 + 3 * H, T0 + 3 * H).total;
    expect(parts).toBeCloseTo(whole, 10);
    expect(whole).toBeCloseTo(7.2, 10);
  });

  it('splits by UTC day across midnight', () => {
    const launched = Date.UTC(2026, 10, 16, 23, 30);
    const i = inst({ hourlyPrice: 2, launchedAt: launched, endedAt: launched + 1.5 * H });
    const days = costByUtcDay(i, Number.NEGATIVE_INFINITY, launched + 2 * H, launched + 2 * H);
    expect(days['2026-11-16']).toBeCloseTo(1, 10);
    expect(days['2026-11-17']).toBeCloseTo(2, 10);
    expect(Object.keys(days)).toHaveLength(2);
  });

  it('month-to-date counts only this month of an instance launched last month', () => {
    const launched = Date.UTC(2026, 9, 31, 22, 0); // 2026-10-31 22:00 UTC
    const now = Date.UTC(2026, 10, 1, 3, 0);
    const i = inst({ hourlyPrice: 1, launchedAt: launched });
    const r = rollup([i], { from: startOfUtcMonth(now), to: now });
    expect(r.total).toBeCloseTo(3, 10);
    expect(startOfNextUtcMonth(now)).toBe(Date.UTC(2026, 11, 1));
  });
});

describe('rollup', () => {
  const now = T0 + 4 * H;
  const fleet: InstanceCostInput[] = [
    // gpu queue, spot g5 at $0.40 (on-demand $1.00), 2 h, one task for 1.5 h after 0.25 h boot.
    inst({
      instanceId: 'i-spot',
      resource: 'g5-spot',
      market: 'spot',
      hourlyPrice: 0.4,
      onDemandHourlyPrice: 1,
      registeredAt: T0 + 0.25 * H,
      endedAt: T0 + 2 * H,
      tasks: [{ taskId: 'T1', name: 'train', startedAt: T0 + 0.25 * H, endedAt: T0 + 1.75 * H }],
    }),
    // gpu queue, on-demand at $1.00, 1 h, all of it running T2.
    inst({
      instanceId: 'i-od',
      resource: 'g5',
      hourlyPrice: 1,
      registeredAt: T0,
      endedAt: T0 + H,
      tasks: [{ taskId: 'T2', startedAt: T0, endedAt: T0 + H }],
    }),
    // cpu queue, on-demand $0.10, still running at `now` (4 h), idle throughout.
    inst({ instanceId: 'i-cpu', queue: 'cpu', resource: 'm5', hourlyPrice: 0.1, registeredAt: T0 }),
  ];

  it('rolls up by queue, resource, market and day, with the queue overhead shown apart', () => {
    const r = rollup(fleet, { to: now });
    expect(r.total).toBeCloseTo(0.8 + 1 + 0.4, 10);
    expectCloseRecord(r.byQueue, { gpu: 1.8, cpu: 0.4 });
    expectCloseRecord(r.byResource, { 'g5-spot': 0.8, g5: 1, m5: 0.4 });
    expect(r.byMarket.spot).toBeCloseTo(0.8, 10);
    expect(r.byMarket['on-demand']).toBeCloseTo(1.4, 10);
    expectCloseRecord(r.byDay, { '2026-11-16': 2.2 });
    // gpu overhead: spot boot 0.25 h × 0.4 = 0.10, spot idle 0.25 h × 0.4 = 0.10; cpu: 4 h idle × 0.1.
    expect(r.overheadByQueue['gpu']!.boot).toBeCloseTo(0.1, 10);
    expect(r.overheadByQueue['gpu']!.idle).toBeCloseTo(0.1, 10);
    expect(r.overheadByQueue['cpu']!.idle).toBeCloseTo(0.4, 10);
    expect(r.byTask['T1']!.cost).toBeCloseTo(0.6, 10);
    expect(r.byTask['T1']!.seconds).toBeCloseTo(5400, 6);
    expect(r.byTask['T1']!.name).toBe('train');
    expect(r.byTask['T2']!.cost).toBeCloseTo(1, 10);
    expect(r.boot + r.idle + r.tasks).toBeCloseTo(r.total, 10);
  });

  it('values spot against on-demand: 2 spot hours at $0.40 would have cost $2.00', () => {
    const r = rollup(fleet, { to: now });
    expect(r.spot.spotCost).toBeCloseTo(0.8, 10);
    expect(r.spot.onDemandEquivalent).toBeCloseTo(2, 10);
    expect(r.spot.savings).toBeCloseTo(1.2, 10);
    expect(r.spot.unpricedSpotCost).toBe(0);
  });

  it('leaves spot without a known on-demand price out of the savings instead of guessing', () => {
    const r = rollup([{ ...fleet[0]!, onDemandHourlyPrice: undefined }], { to: now });
    expect(r.spot.unpricedSpotCost).toBeCloseTo(0.8, 10);
    expect(r.spot.savings).toBe(0);
  });

  it('burn rate counts only what runs now', () => {
    const b = burnRate(fleet, T0 + 1.5 * H);
    expect(b.total).toBeCloseTo(0.5, 10);
    expectCloseRecord(b.byQueue, { gpu: 0.4, cpu: 0.1 });
    expect(b.spot).toBeCloseTo(0.4, 10);
    expect(b.onDemand).toBeCloseTo(0.1, 10);
  });
});

describe('a spot price that moves while the instance runs: each second at the price in force', () => {
  // $3.60/h from launch, $7.20/h from +1 h, $1.80/h from +2 h: $0.001, $0.002, $0.0005 a second.
  const moving = (over: Partial<InstanceCostInput> = {}) =>
    inst({
      market: 'spot',
      onDemandHourlyPrice: 7.2,
      priceChanges: [
        { at: T0 + H, hourlyPrice: 7.2 },
        { at: T0 + 2 * H, hourlyPrice: 1.8 },
      ],
      registeredAt: T0 + 600 * S,
      tasks: [{ taskId: 't1', startedAt: T0 + 1800 * S, endedAt: T0 + 5400 * S }],
      ...over,
    });
  it.each([
    ['30 s after launch: the 60 s minimum at the launch price', T0 + 30 * S, 0.06],
    ['the first hour', T0 + H, 3.6],
    ['an hour and a half: the half hour at the doubled price', T0 + 1.5 * H, 3.6 + 3.6],
    ['three hours', T0 + 3 * H, 3.6 + 7.2 + 1.8],
  ])('%s', (_what, t, cost) => {
    expect(costUpTo(moving(), t, t)).toBeCloseTo(cost, 9);
  });

  it('the price in force, the burn and the windows follow the moves; windows still add up to the whole', () => {
    const i = moving();
    expect([T0, T0 + H - 1, T0 + H, T0 + 5 * H].map((t) => priceAt(i, t))).toEqual([3.6, 3.6, 7.2, 1.8]);
    expect(burnRate([i], T0 + 1.5 * H).total).toBe(7.2);
    const end = T0 + 3 * H;
    const halves = costBetween(i, T0, T0 + 1.5 * H, end) + costBetween(i, T0 + 1.5 * H, end, end);
    expect(halves).toBeCloseTo(costUpTo(i, end, end), 12);
  });

  it('attributes each task, idle and boot stretch at the prices it ran at, adding up to the total', () => {
    const a = attribute(moving(), T0 + 3 * H);
    // Task from +30 min to +90 min: half an hour at 3.6, half an hour at 7.2; 3600 s ran.
    expect(a.byTask.t1).toBeCloseTo(1.8 + 3.6, 9);
    expect(a.secondsByTask.t1).toBe(3600);
    // Registered from +10 min: idle +10..+30 min at 3.6, +90..+120 min at 7.2, +120..+180 min at 1.8.
    expect(a.idle).toBeCloseTo(1.2 + 3.6 + 1.8, 9);
    expect(a.boot).toBeCloseTo(0.6, 9);
    expect(a.boot + a.idle + a.byTask.t1!).toBeCloseTo(a.total, 9);
    expect(rollup([moving()], { to: T0 + 3 * H }).byTask.t1?.seconds).toBe(3600);
  });

  it('values spot savings against the on-demand price for the same seconds, not one ratio to the launch price', () => {
    const r = rollup([moving()], { to: T0 + 3 * H });
    expect(r.spot.spotCost).toBeCloseTo(12.6, 9);
    expect(r.spot.onDemandEquivalent).toBeCloseTo(21.6, 9);
    expect(r.spot.savings).toBeCloseTo(21.6 - 12.6, 9);
  });

  it('a record without changes (an older history) bills its launch price throughout', () => {
    const i = moving({ priceChanges: undefined });
    expect(costUpTo(i, T0 + 3 * H, T0 + 3 * H)).toBeCloseTo(3 * 3.6, 9);
    expect(priceIntegral(i, T0, T0 + H)).toBeCloseTo(3.6, 12);
  });
});
