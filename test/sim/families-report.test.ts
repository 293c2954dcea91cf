import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFamilyRows } from '../../bench/families.js';
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

describe('family rows files (--families --out, read back by --render)', () => {
  const figures = { cost: 1, costPerTaskHour: 1, completed: 18, p50: 3, p95: 20, mean: 5, idleShare: 0.2, launches: 9 };
  const good = [trickleRow(1, 0.5, { balanced: figures, baseline: figures }), trickleRow(2, 0.5)];
  it.each([
    // [case, the file's text, the issue it reports (null: valid)]
    ['rows as --out writes them', JSON.stringify(good), null],
    ['an empty shard', '[]', null],
    ['not JSON', '{"rows": [', /^ {2}\(file\): not valid JSON/],
    ['an object, not a list', '{}', /^ {2}\(root\): /],
    ['an unknown family', JSON.stringify([{ ...good[1], family: 'nightly' }]), /^ {2}0\.family: /],
    [
      'a figure that is not a number',
      JSON.stringify([{ ...good[0], runs: { balanced: { ...figures, p50: '3' } } }]),
      /^ {2}0\.runs\.balanced\.p50: /,
    ],
    [
      'a run under an unknown name',
      JSON.stringify([{ ...good[1], runs: { fastest: figures } }]),
      /^ {2}0\.runs\.fastest: unknown field/,
    ],
    ['a missing bound', JSON.stringify([{ ...good[1], clairvoyant: undefined }]), /^ {2}0\.clairvoyant: /],
  ] as [string, string, RegExp | null][])('%s', (_case, text, issue) => {
    const r = parseFamilyRows(text);
    if (issue === null) expect(r).toEqual({ ok: true, rows: JSON.parse(text) as unknown });
    else expect(r.ok ? 'valid' : r.issues).toMatch(issue);
  });

  it('npm run bench -- --render refuses a missing or malformed rows file before running any trace', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rows-'));
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify([{ family: 'trickle' }]));
    for (const [file, said] of [
      [path.join(dir, 'missing.json'), /cannot read the family rows file .*missing\.json: it does not exist/],
      [bad, /the family rows in .*bad\.json are not valid \(write them with --families --out\):\n {2}0\.seed: /],
    ] as const) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--render', file], {
        cwd: path.resolve(import.meta.dirname, '../..'),
        encoding: 'utf8',
      });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(said);
      // Nothing ran first: the bundled traces print a line each as they finish.
      expect(r.stdout).not.toMatch(/steady +ours/);
    }
  }, 60_000); // a guard against a run that does start the traces, not a timing assertion
});
