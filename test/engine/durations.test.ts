import { describe, expect, it } from 'vitest';
import {
  chanceDoneWithin,
  freeingSoon,
  holdShare,
  MIN_DURATION_SAMPLES,
} from '../../electron/engine/policy/durations.js';

// Ten tasks of 30 s, ten of 60 s, ten of 600 s.
const durations = [...Array<number>(10).fill(30), ...Array<number>(10).fill(60), ...Array<number>(10).fill(600)];

describe('task durations: how soon busy workers free up', () => {
  it.each([
    // [name, elapsed s, horizon s, chance]
    ['just started, 100 s: the 30 s and 60 s ones', 0, 100, 20 / 30],
    ['past 30 s, 100 s: the 60 s ones of the twenty longer', 40, 100, 10 / 20],
    ['past 60 s: only long ones left, none done within 100 s', 70, 100, 0],
    ['past 60 s, 600 s: all of them', 70, 600, 1],
    ['past every duration: too few to tell', 700, 100, null],
  ] as [string, number, number, number | null][])('%s', (_n, elapsed, horizon, chance) => {
    const p = chanceDoneWithin(durations, elapsed, horizon);
    if (chance === null) expect(p).toBeNull();
    else expect(p).toBeCloseTo(chance, 9);
  });

  it.each([
    // [name, durations, elapsed of busy workers, horizon, count]
    ['too few durations seen: none', durations.slice(0, MIN_DURATION_SAMPLES - 1), [0, 0], 100, 0],
    ['two fresh (2/3 likely), one past 40 s (1/2), one past 70 s (0)', durations, [0, 5, 40, 70], 100, 3],
    ['none busy', durations, [], 100, 0],
  ] as [string, number[], number[], number, number][])('%s', (_n, d, elapsed, horizon, count) => {
    expect(freeingSoon({ durations: d, busyElapsedSec: elapsed, horizonSec: horizon })).toEqual({
      count,
      horizonSec: horizon,
    });
  });

  it.each([
    // [name, durations, window, share]
    ['unknown: a task holds its worker throughout', [30], 100, 1],
    ['thirty: (10 × 30 + 10 × 60 + 10 × 100) / 30 / 100', durations, 100, 1900 / 3000],
    ['all longer than the window', Array<number>(10).fill(500), 100, 1],
    ['no window: held throughout', durations, 0, 1],
  ] as [string, number[], number, number][])('hold share: %s', (_n, d, window, share) => {
    expect(holdShare(d, window)).toBeCloseTo(share, 9);
  });
});
