// The spin-up rule (policy/spin-up.ts): an instance without a worker is waited for the spin-up time of readable
// ClearML, from its launch or from the last sighting of its worker, and at least a grace after ClearML answers again.
import { describe, expect, it } from 'vitest';
import {
  AFTER_OUTAGE_GRACE_MS,
  spinUpVerdict,
  unreadableMs,
  type Outage,
} from '../../electron/engine/policy/spin-up.js';

const MIN = 60_000;
const T = 1_000 * MIN;

describe('spinUpVerdict', () => {
  const cases: {
    name: string;
    at: number;
    seen?: number;
    outages?: Outage[];
    /** 30 unless given. */
    spinUpMin?: number;
    want: ReturnType<typeof spinUpVerdict>;
  }[] = [
    { name: 'within the spin-up time', at: T + 30 * MIN, want: null },
    { name: 'past it, never seen', at: T + 31 * MIN, want: { code: 'spin-up', spinUpMin: 30 } },
    {
      name: 'an outage in between does not count',
      at: T + 31 * MIN,
      outages: [{ from: T + 5 * MIN, to: T + 15 * MIN }],
      want: null,
    },
    {
      name: 'past it in readable time despite the outage',
      at: T + 41 * MIN,
      outages: [{ from: T + 5 * MIN, to: T + 15 * MIN }],
      want: { code: 'spin-up', spinUpMin: 30 },
    },
    {
      name: 'an outage still going on holds the clock',
      at: T + 90 * MIN,
      outages: [{ from: T + 10 * MIN, to: null }],
      want: null,
    },
    {
      name: 'seen 10 min ago: waited for from the sighting, not the launch',
      at: T + 120 * MIN,
      seen: T + 110 * MIN,
      want: null,
    },
    {
      name: 'seen, then missing for longer than the spin-up time',
      at: T + 141 * MIN,
      seen: T + 110 * MIN,
      want: { code: 'worker-lost', spinUpMin: 30, silentSec: 31 * 60 },
    },
    {
      name: 'seen before an hour-long outage that just ended: held for the grace after it',
      at: T + 181 * MIN,
      seen: T + 110 * MIN,
      outages: [{ from: T + 120 * MIN, to: T + 180 * MIN }],
      want: null,
    },
    {
      name: 'a short outage long ago that just ended leaves a never-registered instance its grace',
      at: T + 100 * MIN,
      outages: [{ from: T + 99 * MIN, to: T + 99.5 * MIN }],
      want: null,
    },
    {
      name: 'the grace ends',
      at: T + 99.5 * MIN + AFTER_OUTAGE_GRACE_MS,
      outages: [{ from: T + 99 * MIN, to: T + 99.5 * MIN }],
      want: { code: 'spin-up', spinUpMin: 30 },
    },
    {
      name: 'an outage before the sighting gives no grace',
      at: T + 141 * MIN,
      seen: T + 110 * MIN,
      outages: [{ from: T + 100 * MIN, to: T + 105 * MIN }],
      want: { code: 'worker-lost', spinUpMin: 30, silentSec: 31 * 60 },
    },
    // A spin-up time shorter than the grace (the setting allows any positive minutes): only an outage its agent
    // lived through holds it; one that ended before the launch or at the sighting's tick does not.
    {
      name: '1 min spin-up, launched after an outage ended: no grace',
      at: T + 1.5 * MIN,
      outages: [{ from: T - 10 * MIN, to: T - 0.2 * MIN }],
      spinUpMin: 1,
      want: { code: 'spin-up', spinUpMin: 1 },
    },
    {
      name: '1 min spin-up, worker listed at the tick the outage ended, then missing: no grace',
      at: T + 11.5 * MIN,
      seen: T + 10 * MIN,
      outages: [{ from: T + 5 * MIN, to: T + 10 * MIN }],
      spinUpMin: 1,
      want: { code: 'worker-lost', spinUpMin: 1, silentSec: 90 },
    },
    {
      name: '1 min spin-up, outage ended after the sighting: held for the grace',
      at: T + 11.5 * MIN,
      seen: T + 4 * MIN,
      outages: [{ from: T + 5 * MIN, to: T + 10 * MIN }],
      spinUpMin: 1,
      want: null,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(
        spinUpVerdict({
          now: c.at,
          launchedAt: T,
          workerSeenAt: c.seen ?? null,
          outages: c.outages ?? [],
          spinUpMin: c.spinUpMin ?? 30,
        }),
      ).toEqual(c.want);
    });
  }
});

describe('unreadableMs', () => {
  it.each([
    [[], 0],
    [[{ from: T - MIN, to: T + MIN }], MIN],
    [
      [
        { from: T + MIN, to: T + 2 * MIN },
        { from: T + 5 * MIN, to: null },
      ],
      6 * MIN,
    ],
    [[{ from: T + 20 * MIN, to: T + 30 * MIN }], 0],
  ] as [Outage[], number][])('%j → %d ms within [T, T + 10 min]', (outages, want) => {
    expect(unreadableMs(outages, T, T + 10 * MIN)).toBe(want);
  });
});
