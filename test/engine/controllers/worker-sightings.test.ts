// What the spin-up rule remembers across ticks (controllers/worker-sightings.ts): when each listed instance's worker
// was last listed, and the stretches when ClearML could not be read. A wrong memory here terminates a busy
// instance as "never registered" (a sighting lost) or keeps a stuck one billing (an outage that never closes).
import { describe, expect, it } from 'vitest';
import { WorkerSightings } from '../../../electron/engine/controllers/worker-sightings.js';
import type { InstanceObs, WorkerObs } from '../../../electron/engine/ports.js';
import { instance, T0, workerFor } from '../fixtures.js';

const MIN = 60_000;
const a = instance('gpu', 'g4', { instanceId: 'i-0000000a' });
const b = instance('gpu', 'g4', { instanceId: 'i-0000000b' });
/** A worker of another app's prefix naming our instance: not our agent. */
const stranger: WorkerObs = { ...workerFor(a), id: `other:g4:g4dn.xlarge:${a.instanceId}` };

/** One tick: minutes after T0, whether ClearML answered, the workers listed, the instances listed (null: EC2 not read). */
type Tick = [number, boolean, WorkerObs[], InstanceObs[] | null];

describe('WorkerSightings.observe', () => {
  const cases: { name: string; ticks: Tick[]; seen: Record<string, number>; outages: [number, number | null][] }[] = [
    {
      name: 'a listed worker of ours is seen at the tick that listed it',
      ticks: [
        [0, true, [workerFor(a)], [a, b]],
        [1, true, [workerFor(a)], [a, b]],
      ],
      seen: { [a.instanceId]: 1 },
      outages: [],
    },
    {
      name: 'a worker of another prefix naming our instance is not a sighting',
      ticks: [[0, true, [stranger], [a]]],
      seen: {},
      outages: [],
    },
    {
      name: 'a worker whose instance EC2 does not list is not remembered',
      ticks: [[0, true, [workerFor(a), workerFor(b)], [b]]],
      seen: { [b.instanceId]: 0 },
      outages: [],
    },
    {
      name: 'an instance no longer listed is forgotten',
      ticks: [
        [0, true, [workerFor(a), workerFor(b)], [a, b]],
        [1, true, [], [b]],
      ],
      seen: { [b.instanceId]: 0 },
      outages: [],
    },
    {
      name: 'EC2 not read: the sightings are kept as they were (nothing to judge them by)',
      ticks: [
        [0, true, [workerFor(a)], [a]],
        [1, true, [], null],
      ],
      seen: { [a.instanceId]: 0 },
      outages: [],
    },
    {
      name: 'ClearML not read: its (empty) worker list is no news, but an instance gone from EC2 is forgotten',
      ticks: [
        [0, true, [workerFor(a), workerFor(b)], [a, b]],
        [1, false, [workerFor(a)], [a]],
      ],
      seen: { [a.instanceId]: 0 },
      outages: [[1, null]],
    },
    {
      name: 'one outage over several failed ticks, closed at the first good read, which sees the worker again',
      ticks: [
        [0, true, [workerFor(a)], [a]],
        [1, false, [], [a]],
        [2, false, [], [a]],
        [3, true, [workerFor(a)], [a]],
      ],
      seen: { [a.instanceId]: 3 },
      outages: [[1, 3]],
    },
    {
      name: 'two outages are two stretches',
      ticks: [
        [0, false, [], null],
        [1, true, [], null],
        [5, false, [], null],
      ],
      seen: {},
      outages: [
        [0, 1],
        [5, null],
      ],
    },
    {
      name: 'an outage that ended a day ago is dropped; one within the day is kept',
      ticks: [
        [0, false, [], null],
        [1, true, [], null],
        [2, false, [], null],
        [3, true, [], null],
        [24 * 60 + 2, true, [], null],
      ],
      seen: {},
      outages: [[2, 3]],
    },
    {
      name: 'an open outage is never dropped, however long',
      ticks: [
        [0, false, [], null],
        [3 * 24 * 60, false, [], null],
      ],
      seen: {},
      outages: [[0, null]],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = new WorkerSightings();
      for (const [min, ok, workers, instances] of c.ticks) s.observe(T0 + min * MIN, ok, workers, instances, 'dyn');
      expect(Object.fromEntries(s.seenAt)).toEqual(
        Object.fromEntries(Object.entries(c.seen).map(([id, min]) => [id, T0 + min * MIN])),
      );
      expect(s.outages).toEqual(
        c.outages.map(([from, to]) => ({ from: T0 + from * MIN, to: to === null ? null : T0 + to * MIN })),
      );
    });
  }
});

describe('WorkerSightings.carryFrom', () => {
  it('a settings save keeps the sightings and the outage still going on', () => {
    const before = new WorkerSightings();
    before.observe(T0, true, [workerFor(a)], [a], 'dyn');
    before.observe(T0 + MIN, false, [], [a], 'dyn');
    const after = new WorkerSightings();
    after.carryFrom(before);
    expect(Object.fromEntries(after.seenAt)).toEqual({ [a.instanceId]: T0 });
    expect(after.outages).toEqual([{ from: T0 + MIN, to: null }]);
    // The outage it carried is closed by its next good read, not opened twice.
    after.observe(T0 + 2 * MIN, true, [workerFor(a)], [a], 'dyn');
    expect(after.outages).toEqual([{ from: T0 + MIN, to: T0 + 2 * MIN }]);
    expect(after.seenAt.get(a.instanceId)).toBe(T0 + 2 * MIN);
  });
});
