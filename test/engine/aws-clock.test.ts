// The estimate of AWS's time against this machine's (aws-clock.ts): pure, table-driven.
import { describe, expect, it } from 'vitest';
import { estimateOffset, sampleOf, type ClockSample } from '../../electron/engine/aws-clock.js';
import { VirtualClock } from '../../electron/engine/testkit/virtual-clock.js';
import { AwsClock } from '../../electron/engine/aws-clock.js';

const W = 1_800_000_000_000;
/** A sample at wall W + t (monotonic t) saying AWS is `offset` ahead, with the given round trip. */
const s = (t: number, offset: number, rttMs = 100, step = 0): ClockSample => ({
  wall: W + t + step,
  mono: t,
  aws: W + t + step + offset,
  rttMs,
});

describe('estimateOffset', () => {
  it.each<[string, ClockSample[], number, number | null]>([
    ['no sample yet', [], 0, null],
    ['this clock a day ahead', [s(0, -86_400_000)], 0, -86_400_000],
    ['sub-second jitter is none', [s(0, 400), s(1000, -700), s(2000, 900)], 0, 0],
    ['1.9 s is still within the header resolution', [s(0, 1900)], 0, 0],
    ['an hour ahead of this clock', [s(0, 3_600_000), s(1000, 3_600_400)], 0, 3_600_200],
    ['the median ignores one odd answer', [s(0, 90_000), s(1000, 90_500), s(2000, -50_000_000)], 0, 90_000],
    ['an answer that took 10 s is not used', [s(0, 120_000, 10_000)], 0, null],
    ['slow answers left out, the rest used', [s(0, 300_000, 10_000), s(1000, 60_000, 200)], 0, 60_000],
  ])('%s', (_name, samples, step, expected) => {
    expect(estimateOffset(samples, W + 5000 + step, 5000)).toBe(expected);
  });

  it('samples from before a wall-clock step are not used: the first answer after it says', () => {
    const before = [s(0, 0), s(1000, 0), s(2000, 0)];
    // The wall clock jumped a day ahead at t=3 s; AWS did not.
    const after = s(4000, -86_400_000, 100, 86_400_000);
    expect(estimateOffset([...before, after], W + 5000 + 86_400_000, 5000)).toBe(-86_400_000);
    // And before any answer since the step, nothing is known.
    expect(estimateOffset(before, W + 5000 + 86_400_000, 5000)).toBeNull();
  });

  it('a sleep (the monotonic clock stood still) also starts over', () => {
    // Two hours asleep: wall moved 2 h more than monotonic.
    expect(estimateOffset([s(0, 120_000)], W + 5000 + 7_200_000, 5000)).toBeNull();
  });
});

describe('sampleOf', () => {
  it('is the middle of the request against the middle of the header second', () => {
    const date = new Date(W).toUTCString();
    expect(sampleOf({ wall: W - 400, mono: 0 }, { wall: W + 400, mono: 800 }, date)).toEqual({
      wall: W,
      mono: 400,
      aws: W + 500,
      rttMs: 800,
    });
  });
  it.each([undefined, '', 'not a date'])('no sample from a Date header of %j', (h) => {
    expect(sampleOf({ wall: W, mono: 0 }, { wall: W, mono: 0 }, h)).toBeNull();
  });
});

describe('AwsClock', () => {
  it('keeps the last samples of a client and reads the offset on its clock', () => {
    const clock = new VirtualClock(W);
    const aws = new AwsClock(clock);
    expect(aws.offsetMs()).toBeNull();
    aws.begin()(new Date(W + 3_600_000).toUTCString());
    expect(aws.offsetMs()).toBe(3_600_500);
  });
});
