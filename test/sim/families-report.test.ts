import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { distributions, readRealResults } from '../../bench/families-report.js';
import { trickleRow } from '../fixtures/index.js';

const row = (seed: number, bound: number) => trickleRow(seed, bound);

describe("family report: ClearML's real autoscaler on family traces", () => {
  it('reads runs named <family>-<seed>, skips bundled traces and as-shipped runs, and rates each against its own seed', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'real-'));
    const file = path.join(dir, 'clearml-real-results.json');
    const run = (trace: string, cost: number, extra = {}) => ({
      trace,
      cost: { total: cost },
      waitSec: { p50: 3, p95: 40, mean: 9 },
      ...extra,
    });
    writeFileSync(
      file,
      JSON.stringify({
        results: [run('steady', 9), run('trickle-3', 0.6), run('trickle-3', 0, { asShipped: true })],
      }),
    );
    const { points, note } = readRealResults(file);
    expect(points.get('trickle')).toEqual([{ family: 'trickle', seed: 3, cost: 0.6, p50: 3, p95: 40, mean: 9 }]);
    expect(note).toMatch(/1 runs/);
    // Seed 1's bound is 0.1, seed 3's 0.2: the real run on seed 3 is 3.00 × its bound, not 6.00 × seed 1's.
    const real = distributions([row(1, 0.1), row(3, 0.2)], points).find((d) => d.who === 'clearml-real');
    expect(real?.costRatio.median).toBeCloseTo(3, 9);
  });
});
