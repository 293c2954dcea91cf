import { expect } from 'vitest';

/** Same keys, and every value within 1e-`digits` of the expected figure (money is computed in floats). */
export function expectCloseRecord(
  actual: Readonly<Record<string, number>>,
  expected: Readonly<Record<string, number>>,
  digits = 9,
): void {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const [k, v] of Object.entries(expected)) expect(actual[k], k).toBeCloseTo(v, digits);
}
