import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFamilyRows } from '../../bench/families.js';
import { distributions, readRealResults, realSeedRanks } from '../../bench/families-report.js';
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

describe("family report: where each real run's seed stands among the rows", () => {
  const figures = { cost: 1, costPerTaskHour: 1, completed: 18, p50: 3, p95: 20, mean: 5, idleShare: 0.2, launches: 9 };
  // The model's cost ÷ bound per seed: seed 1 3.0, seed 2 1.0, seed 3 2.0, seed 4 4.0 (seed 5 has no model run).
  const rows = [
    ...[3, 1, 2, 4].map((model, i) => trickleRow(i + 1, 0.5, { baseline: { ...figures, cost: model * 0.5 } })),
    trickleRow(5, 0.5),
  ];
  const point = (family: string, seed: number) => ({ family, seed, cost: 1, p50: 3, p95: 40, mean: 9 });
  it.each([
    { name: 'the median seed of four, cheapest first', points: [point('trickle', 3)], text: 'trickle-3 2nd of 4' },
    { name: 'the dearest', points: [point('trickle', 4)], text: 'trickle-4 4th of 4' },
    { name: 'the cheapest', points: [point('trickle', 2)], text: 'trickle-2 1st of 4' },
    { name: 'a run on a seed the rows lack says nothing of it', points: [point('trickle', 9)], text: null },
    { name: 'a seed without a model run is not ranked', points: [point('trickle', 5)], text: null },
  ])('$name', ({ points, text }) => {
    const out = realSeedRanks(new Map([['trickle', points]]), rows);
    expect(out).toBe(text === null ? '' : `In these rows the model's cost ÷ bound on those seeds ranks ${text}.`);
  });
  it('ranks 11 to 13 are 11th, 12th, 13th, then 21st, 22nd, 23rd', () => {
    const many = Array.from({ length: 23 }, (_, i) =>
      trickleRow(i + 1, 0.5, { baseline: { ...figures, cost: (i + 1) * 0.5 } }),
    );
    const ranks = [11, 12, 13, 21, 22, 23].map((n) => point('trickle', n));
    expect(realSeedRanks(new Map([['trickle', ranks]]), many)).toBe(
      "In these rows the model's cost ÷ bound on those seeds ranks trickle-11 11th of 23, trickle-12 12th of 23, trickle-13 13th of 23, trickle-21 21st of 23, trickle-22 22nd of 23, trickle-23 23rd of 23.",
    );
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

  it('a family run without --out leaves the committed 20-seed rows alone and writes its own to test-output/', () => {
    const root = path.resolve(import.meta.dirname, '../..');
    const committed = readFileSync(path.join(root, 'bench/family-rows.json'), 'utf8');
    const args = ['--families', '--family', 'trickle', '--seeds', '1', '--pref-seeds', '0'];
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('wrote 1 family row to test-output/bench-family-rows.json');
    expect(readFileSync(path.join(root, 'bench/family-rows.json'), 'utf8')).toBe(committed);
    const written = parseFamilyRows(readFileSync(path.join(root, 'test-output/bench-family-rows.json'), 'utf8'));
    expect(written.ok && written.rows.map((x) => x.trace)).toEqual(['trickle-1']);
  }, 60_000);
});
