import { describe, expect, it } from 'vitest';
import { spotAboveOnDemand, SpotAboveWatch } from '../../../electron/engine/controllers/spot-above-on-demand.js';
import { ev } from '../../../electron/engine/events.js';
import type { PriceLookup } from '../../../electron/engine/snapshot.js';
import { baseConfig } from '../../fixtures/index.js';

/** On-demand 0.5 for every type; spot as given per `${type}|${zone ?? ''}`, else 0.2. */
const pricesWith =
  (spot: Record<string, number>): PriceLookup =>
  (type, market, zone) => ({
    price: market === 'on-demand' ? 0.5 : (spot[`${type}|${zone ?? ''}`] ?? 0.2),
    source: 'test',
  });

describe('spotAboveOnDemand: spot resources whose spot price is above on-demand', () => {
  const resources = baseConfig().resources; // gpu_a: g4dn.xlarge spot; gpu_b, cpu: on-demand
  const zoned = {
    ...resources,
    gpu_a: { ...resources.gpu_a!, availabilityZones: ['us-east-1a', 'us-east-1b'] },
  };
  const rows: [string, typeof resources, Record<string, number>, unknown[]][] = [
    ['spot below on-demand: nothing', resources, {}, []],
    ['spot equal to on-demand: nothing', resources, { 'g4dn.xlarge|': 0.5 }, []],
    [
      'spot above: named with both prices',
      resources,
      { 'g4dn.xlarge|': 0.61 },
      [{ resource: 'gpu_a', instanceType: 'g4dn.xlarge', spot: 0.61, onDemand: 0.5 }],
    ],
    ['an on-demand resource is never named', resources, { 'g5.xlarge|': 9, 'm5.large|': 9 }, []],
    [
      'zones named: the dearest zone above',
      zoned,
      { 'g4dn.xlarge|us-east-1a': 0.55, 'g4dn.xlarge|us-east-1b': 0.7 },
      [{ resource: 'gpu_a', instanceType: 'g4dn.xlarge', spot: 0.7, onDemand: 0.5, zone: 'us-east-1b' }],
    ],
  ];
  it.each(rows)('%s', (_, res, spot, want) => {
    expect(spotAboveOnDemand(res, pricesWith(spot))).toEqual(want);
  });

  it('told once while above; again after it went below and came back', () => {
    const w = new SpotAboveWatch();
    const above = pricesWith({ 'g4dn.xlarge|': 0.61 });
    expect(w.observe(resources, above).map((a) => a.resource)).toEqual(['gpu_a']);
    expect(w.observe(resources, above)).toEqual([]);
    expect(w.observe(resources, pricesWith({}))).toEqual([]);
    expect(w.observe(resources, above).map((a) => a.resource)).toEqual(['gpu_a']);
  });

  it('the warning names the resource and both prices', () => {
    const e = ev.spotAboveOnDemand({ resource: 'gpu_a', instanceType: 'g4dn.xlarge', spot: 0.61, onDemand: 0.526 });
    expect(e).toMatchObject({ level: 'warn', resource: 'gpu_a' });
    expect(e.message).toBe(
      "spot price of gpu_a (g4dn.xlarge) is $0.61/h, above its on-demand price of $0.53/h: with no maximum price set, AWS's maximum is the on-demand price, so its spot launches may be refused or interrupted soon; set its market to on-demand, or another instance type or zone",
    );
  });
});
