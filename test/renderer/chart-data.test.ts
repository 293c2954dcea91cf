import { describe, expect, it } from 'vitest';
import { stepChanges } from '../../renderer/src/model/chart-data.js';

const p = (at: number, value: number) => ({ at, value });

describe('stepChanges', () => {
  it.each<[string, { at: number; value: number }[], number, number, ReturnType<typeof stepChanges>]>([
    ['no points', [], 0, 48, { rows: [], omitted: 0 }],
    ['a steady rate is one row', [p(10, 1), p(20, 1), p(30, 1)], 0, 48, { rows: [p(10, 1)], omitted: 0 }],
    [
      'each change once, in time order',
      [p(30, 2), p(10, 1), p(20, 1), p(40, 0)],
      0,
      48,
      { rows: [p(10, 1), p(30, 2), p(40, 0)], omitted: 0 },
    ],
    [
      'the rate in force when the window opens starts at the window',
      [p(10, 1), p(20, 3), p(50, 0)],
      30,
      48,
      { rows: [p(30, 3), p(50, 0)], omitted: 0 },
    ],
    ['a window after every change keeps the last rate', [p(10, 1), p(20, 3)], 30, 48, { rows: [p(30, 3)], omitted: 0 }],
    [
      'keeps the most recent `max` and counts the rest',
      [p(1, 1), p(2, 2), p(3, 3), p(4, 4)],
      0,
      2,
      { rows: [p(3, 3), p(4, 4)], omitted: 2 },
    ],
  ])('%s', (_name, points, from, max, expected) => expect(stepChanges(points, from, max)).toEqual(expected));
});
