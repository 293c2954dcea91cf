import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../shared/config.js';
import { distribution, idealCost, percentile, perTick, waitBound } from '../../electron/engine/sim/metrics.js';
import { makePriceFn } from '../../electron/engine/sim/simulate.js';
import { TraceSchema } from '../../electron/engine/sim/trace.js';

describe('percentile (linear interpolation between closest ranks)', () => {
  it.each([
    { values: [1, 2, 3, 4], p: 50, want: 2.5 },
    { values: [4, 1, 3, 2], p: 50, want: 2.5 },
    { values: [7], p: 95, want: 7 },
    { values: [10, 20], p: 0, want: 10 },
    { values: [10, 20], p: 100, want: 20 },
    { values: [10, 20], p: 25, want: 12.5 },
    { values: Array.from({ length: 100 }, (_, i) => i + 1), p: 95, want: 95.05 },
    { values: Array.from({ length: 21 }, (_, i) => i * 10), p: 95, want: 190 },
  ])('p$p of $values = $want', ({ values, p, want }) => {
    expect(percentile(values, p)).toBeCloseTo(want, 10);
  });

  it('is NaN for no values and refuses a p outside 0..100', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(/0\.\.100/);
    expect(() => percentile([1], -1)).toThrow(/0\.\.100/);
  });

  it('summarises a distribution', () => {
    expect(distribution([3, 1, 2, 10])).toEqual({ n: 4, mean: 4, p50: 2.5, p95: 8.949999999999998, max: 10 });
    expect(distribution([]).n).toBe(0);
  });
});

describe('per-tick call statistics', () => {
  it('averages all ticks and the quiet ones separately', () => {
    const s = perTick([
      { calls: 2, quiet: true },
      { calls: 3, quiet: true },
      { calls: 7, quiet: false },
    ]);
    expect(s).toEqual({ ticks: 3, total: 12, mean: 4, max: 7, quietMean: 2.5 });
  });
});

describe('wait lower bound', () => {
  it('is the fastest boot for a cold start, with the boot p95 to compare a p95 wait with', () => {
    expect(waitBound({ min: 60, max: 160 })).toEqual({ coldStartSec: 60, bootP95Sec: 155, meanBootSec: 110 });
  });
});

describe('ideal cost lower bound', () => {
  const config = ConfigSchema.parse({
    clearml: { apiHost: 'https://clearml-api.example.com' },
    aws: { region: 'us-east-1' },
    resources: {
      t4: { instanceType: 'g4dn.xlarge', market: 'spot', amiId: 'ami-0123456789abcdef0' },
      a10: { instanceType: 'g5.xlarge', amiId: 'ami-0123456789abcdef0' },
      cheap_but_off: { instanceType: 'g4dn.2xlarge', market: 'spot', amiId: 'ami-0123456789abcdef0' },
      cpu: { instanceType: 'm5.large', amiId: 'ami-0123456789abcdef0' },
    },
    queues: {
      gpu: [
        { resource: 'a10', maxInstances: 4 },
        { resource: 't4', maxInstances: 1 },
        { resource: 'cheap_but_off', maxInstances: 0 },
      ],
      cpu: [{ resource: 'cpu', maxInstances: 2 }],
    },
  });
  const trace = TraceSchema.parse({
    name: 'hand',
    tasks: [
      { id: 'a', queue: 'gpu', enqueueAtSec: 0, durationSec: 3600 },
      { id: 'b', queue: 'gpu', enqueueAtSec: 10, durationSec: 1800 },
      { id: 'c', queue: 'cpu', enqueueAtSec: 20, durationSec: 600 },
    ],
    prices: {
      'g4dn.xlarge': { onDemand: 0.5, spot: 0.2 },
      'g5.xlarge': { onDemand: 1.0 },
      'g4dn.2xlarge': { onDemand: 0.8, spot: 0.01 },
      'm5.large': { onDemand: 0.12 },
    },
  });

  it("is each task's duration × the cheapest price its queue may use (a resource capped at 0 may not)", () => {
    const ideal = idealCost(trace, config, makePriceFn(trace, 'us-east-1'));
    // gpu: 1 h + 0.5 h at spot 0.20 (t4 is cheaper than a10 at 1.00); cpu: 10 min at 0.12.
    expect(ideal.total).toBeCloseTo(1.5 * 0.2 + (600 / 3600) * 0.12, 10);
    expect(ideal.byQueue['gpu']).toBeCloseTo(0.3, 10);
    expect(ideal.byQueue['cpu']).toBeCloseTo(0.02, 10);
    expect(ideal.cheapest['gpu']).toMatchObject({ resource: 't4', market: 'spot', price: 0.2 });
    expect(ideal.taskSeconds).toBe(6000);
  });

  it('falls back to the bundled price table for types the trace does not price', () => {
    const price = makePriceFn(TraceSchema.parse({ name: 'x', tasks: trace.tasks }), 'us-east-1');
    expect(price('m5.large', 'on-demand')).toBe(0.096);
    expect(price('m5.large', 'spot')).toBeGreaterThan(0);
    expect(price('m5.large', 'spot')).toBeLessThan(0.096);
  });
});
