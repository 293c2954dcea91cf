import { describe, expect, it } from 'vitest';
import type { Figures, FamilyRow } from '../../bench/families.js';
import { worstSeedLines } from '../../bench/families-limits.js';
import { trickleRow } from '../fixtures/index.js';

const figs = (cost: number, p50: number, extra: Partial<Figures> = {}): Figures => ({
  cost,
  costPerTaskHour: cost,
  completed: 18,
  p50,
  p95: 100,
  mean: 20,
  idleShare: 0.3,
  launches: 3,
  ...extra,
});

/** One trickle seed: ours (balanced) and the model at these costs and p50 waits. */
const row = (seed: number, ours: Figures, model: Figures) => trickleRow(seed, 0.1, { balanced: ours, baseline: model });

describe('family report: worst seeds that lose to the ClearML model', () => {
  const cases: { name: string; rows: FamilyRow[]; lines: RegExp[] }[] = [
    {
      name: 'every seed within the tolerance: nothing to explain',
      rows: [row(1, figs(1, 3), figs(2, 2.5)), row(2, figs(1, 2), figs(2, 2)), row(3, figs(1, 2.9), figs(2, 2))],
      lines: [],
    },
    {
      name: 'one seed over +1 s on p50 while the median passes: listed with both p50s and the reason',
      rows: [row(1, figs(1, 3.4), figs(2, 1.8)), row(2, figs(1, 2), figs(2, 2)), row(3, figs(1, 2), figs(2, 2.5))],
      lines: [
        /^- \*\*trickle\*\*, p50 ours − model: 1 of 3 seeds over \+1 s: trickle-1 \+1\.6 s \(3\.4 vs 1\.8 s\)\. Every task/,
      ],
    },
    {
      name: 'the median seed misses too: the targets table says so, no worst-seed line',
      rows: [row(1, figs(1, 9), figs(2, 2)), row(2, figs(1, 9), figs(2, 2)), row(3, figs(1, 2), figs(2, 2))],
      lines: [],
    },
    {
      name: 'cost over the model on two seeds, worst first; per completed task-hour where completions differ',
      rows: [
        row(1, figs(1.1, 2), figs(1, 2)),
        row(2, figs(2, 2, { completed: 9, costPerTaskHour: 4 }), figs(2, 2, { costPerTaskHour: 2 })),
        row(3, figs(1, 2), figs(2, 2)),
        row(4, figs(1, 2), figs(2, 2)),
      ],
      lines: [
        /^- \*\*trickle\*\*, cost ours\/model: 2 of 4 seeds over 1: trickle-2 2\.00 \(launches 3 vs 3\), trickle-1 1\.10/,
      ],
    },
  ];
  it.each(cases)('$name', ({ rows, lines }) => {
    const out = worstSeedLines(rows);
    expect(out).toHaveLength(lines.length);
    lines.forEach((re, i) => expect(out[i]).toMatch(re));
  });
});
