import { describe, expect, it } from 'vitest';
import { clairvoyantBound } from '../../electron/engine/sim/clairvoyant.js';
import { TraceSchema, type TraceInput } from '../../electron/engine/sim/trace.js';
import { makeConfig } from '../engine/fixtures.js';

// Prices chosen so costs read in seconds: gpu_a (spot g4dn) $3.60/h = $0.001/s, gpu_b (g5) $7.20/h = $0.002/s.
const price = (type: string) => (type === 'g4dn.xlarge' ? 3.6 : 7.2);
const task = (at: number, dur: number, i = at) => ({ id: `t${i}`, queue: 'gpu', enqueueAtSec: at, durationSec: dur });
const oneQueue = (maxA: number, maxB = 0, total = 20) =>
  makeConfig({
    queues: {
      gpu: [{ resource: 'gpu_a', maxInstances: maxA }, ...(maxB ? [{ resource: 'gpu_b', maxInstances: maxB }] : [])],
    },
    scaling: { workersPrefix: 'dyn', maxTotalInstances: total },
  });

describe('clairvoyant bound', () => {
  // [name, tasks, boot, config, extra trace fields, expected cost (USD), launches, cap-caused waits (s)]
  const cases: [
    string,
    TraceInput['tasks'],
    number,
    ReturnType<typeof oneQueue>,
    Partial<TraceInput>,
    number,
    number,
    number[],
  ][] = [
    ['one task: boot + run', [task(1000, 600)], 100, oneQueue(5), {}, 0.7, 1, [0]],
    // gap 50 < boot 100: keeping warm (50) beats a second boot (100).
    ['short gap: kept warm', [task(1000, 600), task(1650, 600)], 100, oneQueue(5), {}, 1.35, 1, [0, 0]],
    // gap 200 > boot 100: terminate and launch again one boot before.
    ['long gap: relaunched', [task(1000, 600), task(1800, 600)], 100, oneQueue(5), {}, 1.4, 2, [0, 0]],
    ['overlap: two machines', [task(1000, 600), task(1100, 600)], 100, oneQueue(5), {}, 1.4, 2, [0, 0]],
    // Three back-to-back tasks each 30 s apart on one machine: LIFO picks the latest freed machine.
    [
      'lifo: the latest freed machine takes the next task',
      [task(1000, 300), task(1100, 300), task(1420, 100)],
      100,
      oneQueue(5),
      {},
      // m1: 100 + 300 (free at 1300); m2: 100 + 300 (free at 1400), then gap 20 + 100 → 0.4 + 0.52
      0.92,
      2,
      [0, 0, 0],
    ],
    // 60 s minimum billing: boot 20 + task 10 = 30 s billed as 60.
    ['minimum billing', [task(1000, 10)], 20, oneQueue(5), {}, 0.06, 1, [0]],
    // Cap 1: the second task waits for the first to finish (500 s, the cap's doing) on the same machine.
    ['cap forces a wait', [task(1000, 600), task(1100, 600)], 100, oneQueue(1), {}, 1.3, 1, [0, 500]],
    // Cheap resource capped at 1, the second task on the dearer one.
    ['cap spills to the dearer resource', [task(1000, 600), task(1100, 600)], 100, oneQueue(1, 5), {}, 2.1, 2, [0, 0]],
    ['global cap counts every queue', [task(1000, 600), task(1100, 600)], 100, oneQueue(5, 5, 1), {}, 1.3, 1, [0, 500]],
    // No spot g4dn while the launch would happen: the dearer g5 instead.
    [
      'capacity shortage',
      [task(1000, 600)],
      100,
      oneQueue(5, 5),
      { capacityErrors: [{ fromSec: 0, toSec: 2000, instanceType: 'g4dn.xlarge', market: 'spot' }] },
      1.4,
      1,
      [0],
    ],
    // Cheap capped at 1. At 1260 the dear g5 has been free 80 s ($0.16 to have kept it) while the cheap one freed
    // a boot ago (terminated), so a fresh cheap boot ($0.10) wins: 0.20 + 0.46 + 0.70.
    [
      'a cheaper launch beats a dear warm machine',
      [task(1000, 100), task(1050, 130), task(1260, 600)],
      100,
      oneQueue(1, 5),
      {},
      1.36,
      3,
      [0, 0, 0],
    ],
  ];

  it.each(cases)('%s', (_name, tasks, boot, config, extra, cost, launches, waits) => {
    const trace = TraceSchema.parse({ name: 'hand', tasks, ...extra });
    const r = clairvoyantBound({ trace, config, price, bootSec: boot });
    expect(r.total).toBeCloseTo(cost, 6);
    expect(r.launches).toBe(launches);
    const expectedWaits = [...waits].sort((a, b) => a - b);
    expect(r.waitSec.max).toBe(Math.max(...expectedWaits));
    expect(r.capWaited).toBe(waits.filter((w) => w > 0).length);
  });

  it('never costs more than keeping every task on its own machine', () => {
    const tasks = Array.from({ length: 30 }, (_, i) => task(1000 + i * 77, 60 + ((i * 37) % 300), i));
    const trace = TraceSchema.parse({ name: 'many', tasks });
    const r = clairvoyantBound({ trace, config: oneQueue(50), price, bootSec: 100 });
    const separate = tasks.reduce((s, t) => s + 0.001 * (100 + t.durationSec), 0);
    const work = tasks.reduce((s, t) => s + 0.001 * t.durationSec, 0);
    expect(r.total).toBeLessThanOrEqual(separate + 1e-9);
    expect(r.total).toBeGreaterThan(work);
    expect(r.waitSec.max).toBe(0);
  });

  it('says which queue can never get a machine', () => {
    const trace = TraceSchema.parse({ name: 'nocap', tasks: [task(0, 10)] });
    expect(() => clairvoyantBound({ trace, config: oneQueue(0), price, bootSec: 100 })).toThrow(/can never get/);
  });
});
