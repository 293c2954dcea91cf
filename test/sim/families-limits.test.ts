import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Figures, FamilyRow } from '../../bench/families.js';
import { limitsSection, onlyFirstWaits, worldSeedSpreads, worstSeedLines } from '../../bench/families-limits.js';
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
        /^- \*\*trickle\*\*, p50 ours − model: 1 of 3 seeds over \+1 s: trickle-1 \+1\.6 s \(3\.4 vs 1\.8 s\)\. Nearly every task/,
      ],
    },
    {
      name: 'a p50 miss of rows that counted ready starts: each seed says how many tasks of each run found a worker',
      rows: [
        row(1, figs(1, 3.4, { startedReady: 8 }), figs(2, 1.8, { startedReady: 11 })),
        row(2, figs(1, 2, { startedReady: 18 }), figs(2, 2, { startedReady: 18 })),
        row(3, figs(1, 2, { startedReady: 18 }), figs(2, 2.5, { startedReady: 17 })),
      ],
      lines: [
        /^- \*\*trickle\*\*, p50 ours − model: 1 of 3 seeds over \+1 s: trickle-1 \+1\.6 s \(3\.4 vs 1\.8 s, ready 8 vs 11 of 18\)\. /,
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
        /^- \*\*trickle\*\*, cost ours\/model: 2 of 4 seeds over 1: trickle-2 2\.00 \(launches 3 vs 3\), trickle-1 1\.10 \(launches 3 vs 3\)\. The model's mean wait is longer than ours on 0 of these 2 seeds\.$/,
      ],
    },
    {
      name: 'cost over the model where the model waited longer on average: counted',
      rows: [
        row(1, figs(1.1, 2), figs(1, 2, { mean: 25 })),
        row(2, figs(1, 2), figs(2, 2)),
        row(3, figs(1, 2), figs(2, 2)),
      ],
      lines: [
        /trickle-1 1\.10 \(launches 3 vs 3\)\. The model's mean wait is longer than ours on 1 of these 1 seeds\.$/,
      ],
    },
    {
      name: 'p95 over the model on one seed while the median passes: listed with both p95s',
      rows: [
        row(1, figs(1, 2, { p95: 108 }), figs(2, 2)),
        row(2, figs(1, 2, { p95: 90 }), figs(2, 2)),
        row(3, figs(1, 2, { p95: 100.5 }), figs(2, 2)),
      ],
      lines: [
        /^- \*\*trickle\*\*, p95 ours − model: 1 of 3 seeds over \+1 s: trickle-1 \+8\.0 s \(108\.0 vs 100\.0 s\)\.$/,
      ],
    },
    {
      name: 'mean wait over the model on two seeds: both p95s shown, and said when the model’s is the longer on all',
      rows: [
        row(1, figs(1, 2, { mean: 22.5 }), figs(2, 2, { p95: 150 })),
        row(2, figs(1, 2, { mean: 24 }), figs(2, 2, { p95: 120 })),
        row(3, figs(1, 2, { mean: 10 }), figs(2, 2)),
        row(4, figs(1, 2, { mean: 15 }), figs(2, 2)),
        row(5, figs(1, 2, { mean: 20 }), figs(2, 2)),
      ],
      lines: [
        /^- \*\*trickle\*\*, mean wait ours − model: 2 of 5 seeds over \+1 s: trickle-2 \+4\.0 s \(24\.0 vs 20\.0 s; p95 100 vs 120 s\), trickle-1 \+2\.5 s \(22\.5 vs 20\.0 s; p95 100 vs 150 s\)\. The model's p95 is the longer on all 2: its waits are fewer and longer\.$/,
      ],
    },
    {
      name: 'mean wait over the model where ours has the longer p95 too: no claim about the tail',
      rows: [
        row(1, figs(1, 2, { mean: 22.5, p95: 100.5 }), figs(2, 2)),
        row(2, figs(1, 2), figs(2, 2)),
        row(3, figs(1, 2), figs(2, 2)),
      ],
      lines: [
        /^- \*\*trickle\*\*, mean wait ours − model: 1 of 3 seeds over \+1 s: trickle-1 \+2\.5 s \(22\.5 vs 20\.0 s; p95 101 vs 100 s\)\.$/,
      ],
    },
  ];
  it.each(cases)('$name', ({ rows, lines }) => {
    const out = worstSeedLines(rows);
    expect(out).toHaveLength(lines.length);
    lines.forEach((re, i) => expect(out[i]).toMatch(re));
  });

  it('where balanced loses on p50, says what the latency preference does there and what it costs', () => {
    // Bound 0.1 per seed: balanced costs 1.2 × it, latency 1.5 × (2.0 on seed 3), the model 1.6 ×.
    const three = (seed: number, p50: number, latency: Figures) =>
      trickleRow(seed, 0.1, { balanced: figs(0.12, p50), latency, baseline: figs(0.16, 2) });
    const rows = [three(1, 9, figs(0.15, 1.5)), three(2, 2, figs(0.15, 2)), three(3, 2.5, figs(0.2, 2))];
    const [line] = worstSeedLines(rows);
    expect(line).toMatch(/trickle-1 \+7\.0 s \(9\.0 vs 2\.0 s\)/);
    expect(line).toMatch(
      /At the latency preference the p50 ours − model on those seeds is trickle-1 −0\.5 s; over the 3 seeds it ran, latency costs a median 1\.50 × the bound \(balanced 1\.20, target 1\.25\) and more than the model on 1 of them/,
    );
  });

  it('where the clairvoyant target is missed, says what the cost preference pays and what its p50 is', () => {
    // Bound 0.1 per seed: balanced 2.0 × it (a miss); cost 1.3, 1.2, 1.4 × with p50s of 100, 110, 90 s; the model's
    // p50 3 s.
    const seedRow = (seed: number, cost: Figures | undefined) =>
      trickleRow(seed, 0.1, { balanced: figs(0.2, 1), baseline: figs(0.3, 3), ...(cost ? { cost } : {}) });
    const rows = [seedRow(1, figs(0.13, 100)), seedRow(2, figs(0.12, 110)), seedRow(3, figs(0.14, 90))];
    const text = limitsSection(path.resolve('bench'), rows);
    expect(text).toMatch(/^- \*\*trickle\*\*: ours ÷ bound 2\.00 \(median seed\)/m);
    expect(text).toMatch(
      /At the cost preference \(3 seeds\), which keeps an idle machine only for a task due within a boot and starts none ahead of a task, ours is at 1\.30 × the bound \(\d\.\d\d × the bound with mean boots\) with a median p50 of 100 s, where the model's is 3 s\./,
    );
    // Where the cost preference did not run, the line says nothing of it.
    expect(
      limitsSection(
        path.resolve('bench'),
        [1, 2, 3].map((n) => seedRow(n, undefined)),
      ),
    ).not.toMatch(/At the cost preference/);
  });

  it('where ours costs more than the model on heavytail, says what the idealised spare-machine policy pays there', () => {
    // heavytail-20 in the bench: the model at 1.42 × the bound with a 2.7 s p50; ours 1.26 × the model. Seeds 1–3
    // are cheaper than the model, so the median seed passes.
    const heavy = (seed: number, ours: Figures, model: Figures): FamilyRow => ({
      ...trickleRow(seed, 1, { balanced: ours, baseline: model }),
      family: 'heavytail',
      trace: `heavytail-${seed}`,
    });
    const rows = [
      heavy(20, figs(1.79, 1.2), figs(1.42, 2.7)),
      heavy(1, figs(1.45, 2), figs(1.66, 2.4)),
      heavy(2, figs(1.85, 1.9), figs(1.95, 2.2)),
    ];
    const [line] = worstSeedLines(rows, path.resolve('bench'));
    expect(line).toMatch(/^- \*\*heavytail\*\*, cost ours\/model: 1 of 3 seeds over 1: heavytail-20 1\.26/);
    expect(line).toMatch(
      /at the fewest spares that bring its p50 within 1 s of the model's on each seed: heavytail-20 1\.\d\d vs the model's 1\.42 × the bound \(\d spare\)\. It costs more than the model on 1 of these 1 seeds: /,
    );
    // Held to the model's p50, p95 and mean (here 2.7, 100 and 20 s), the cheapest keep-idle rule on that seed.
    expect(line).toMatch(
      /whose p50, p95 and mean wait are all within 1 s of the model’s on each seed: heavytail-20 (\d\.\d\d) × the model’s cost \((up to \d|every idle machine) for \d+ min\)\. It costs (less|more) than the model on [01] of these 1 seeds/,
    );
    // With the model's real waits on heavytail-20 (p95 215 s, mean 26.6 s) a rule that keeps 2 beats its cost.
    const real = [{ ...rows[0]!, runs: { ...rows[0]!.runs, baseline: figs(1.42, 2.659, { p95: 215.5, mean: 26.6 }) } }];
    const [realLine] = worstSeedLines([...real, ...rows.slice(1)], path.resolve('bench'));
    expect(realLine).toMatch(
      /heavytail-20 0\.\d\d × the model’s cost \(up to 2 for \d+ min\)\. It costs less than the model on 1 of these 1 seeds: there an online policy with the advantages above beats the model on cost and every wait, keeping at most 2 idle machines where ours keeps up to what a burst could use\.$/,
    );
    // A model no rule can match (a mean wait under zero): the seed says so, and nothing is cheaper.
    const unmatched = [{ ...rows[0]!, runs: { ...rows[0]!.runs, baseline: figs(1.42, 2.659, { mean: -5 }) } }];
    expect(worstSeedLines([...unmatched, ...rows.slice(1)], path.resolve('bench'))[0]).toMatch(
      /heavytail-20: no rule of the table\. It costs less than the model on 0 of these 1 seeds\.$/,
    );
    // Without the bench folder (no traces to simulate) the line keeps its reason only.
    expect(worstSeedLines(rows)[0]).not.toMatch(/spare-machine|keep-idle table/);
  });

  it('a p50 miss beyond one agent poll is followed by the keep-idle frontier on the seeds beyond it', () => {
    // Three weekend seeds: seed 1 loses by 50 s, seed 2 ties, seed 3 wins: the median passes.
    const week = (seed: number, ours: number, model: number): FamilyRow => ({
      ...trickleRow(seed, 1, { balanced: figs(1, ours), baseline: figs(1.2, model) }),
      family: 'weekend',
      trace: `weekend-${seed}`,
    });
    const rows = [week(1, 90, 40), week(2, 5, 5), week(3, 20, 60)];
    const out = worstSeedLines(rows, path.resolve('bench'));
    expect(out[0]).toMatch(/^- \*\*weekend\*\*, p50 ours − model: 1 of 3 seeds over \+1 s: weekend-1 \+50\.0 s/);
    expect(out).toContain(
      '  | idle machines kept | cost ÷ bound | tasks that find a machine ready | p50 − model: weekend-1 |',
    );
    expect(out.at(-1)).toMatch(/^ {2}Within 1\.25 × the bound \(median seed\)/);
    // Without the bench folder, or with every miss within one agent poll, no frontier.
    expect(worstSeedLines(rows)).toHaveLength(1);
    expect(worstSeedLines([week(1, 9, 5), week(2, 5, 5), week(3, 20, 60)], path.resolve('bench'))).toHaveLength(1);
  });

  it('a worst-seed miss says how it moves over world seeds, for the target it misses', async () => {
    const rows = [row(1, figs(1, 3.4), figs(2, 1.8)), row(2, figs(1, 2), figs(2, 2)), row(3, figs(1, 2), figs(2, 2.5))];
    const spread = (p50: number[], cost = [0.5, 0.5, 0.5]) => ({ cost, p50, p95: [0, 0, 0], mean: [0, 0, 0] });
    const [line] = worstSeedLines(rows, undefined, new Map([['trickle-1', spread([1.6, -0.3, 0.2])]]));
    expect(line).toMatch(
      /re-run under 3 world seeds \(the bench's own first; other boot draws and agent poll phases\), p50 ours − model: trickle-1 −0\.3 s to \+1\.6 s \(median \+0\.2 s, over \+1 s in 1 of 3\)\.$/,
    );
    // A cost miss: its spread is of cost ours/model, over 1 counted.
    const dear = [row(1, figs(1.05, 2), figs(1, 2)), row(2, figs(1, 2), figs(2, 2)), row(3, figs(1, 2), figs(2, 2))];
    const [costLine] = worstSeedLines(dear, undefined, new Map([['trickle-1', spread([0, 0, 0], [1.05, 0.92, 0.94])]]));
    expect(costLine).toMatch(
      /re-run under 3 world seeds \(the bench's own first; other boot draws and agent poll phases\), cost ours\/model: trickle-1 0\.92 to 1\.05 \(median 0\.94, over 1 in 1 of 3\)\.$/,
    );
    // Only the seeds of a miss whose family's median seed passes are re-run: trickle-1 here, the bench's own run
    // first. Where the median misses too (every seed's p50 +28 s), the targets table says so and nothing is re-run.
    const spreads = await worldSeedSpreads(path.resolve('bench'), rows, 2);
    expect([...spreads.keys()]).toEqual(['trickle-1']);
    expect(spreads.get('trickle-1')!.p50).toHaveLength(2);
    expect(spreads.get('trickle-1')!.p50[0]).toBeCloseTo(1.6, 6);
    expect(spreads.get('trickle-1')!.cost[0]).toBeCloseTo(0.5, 6);
    const slow = [1, 2, 3].map((n) => row(n, figs(1, 30), figs(2, 2)));
    expect((await worldSeedSpreads(path.resolve('bench'), slow, 2)).size).toBe(0);
  }, 60_000);
});

describe('family report: trickle seeds where only the first task waited', () => {
  const seed = (n: number, ready: number | undefined) =>
    trickleRow(n, 0.1, { balanced: figs(0.2, 1, ready === undefined ? {} : { startedReady: ready }) });
  it.each([
    {
      name: 'all 18 ready but the first on two of three seeds',
      rows: [seed(1, 17), seed(2, 16), seed(3, 17)],
      text: 'on 2 of 3 seeds',
    },
    { name: 'every task ready counts too', rows: [seed(1, 18), seed(2, 17)], text: 'on 2 of 2 seeds' },
    { name: 'two tasks waited on every seed', rows: [seed(1, 16), seed(2, 15)], text: 'on 0 of 2 seeds' },
    {
      name: 'seeds that did not count ready starts are left out',
      rows: [seed(1, 17), seed(2, undefined)],
      text: 'on 1 of 1 seeds',
    },
  ])('$name', ({ rows, text }) => {
    expect(onlyFirstWaits(rows)).toBe(
      `Every task but the first, which waits for a boot, found its worker ready ${text}.`,
    );
  });
  it('says nothing where no seed counted ready starts', () => {
    expect(onlyFirstWaits([seed(1, undefined)])).toBe('');
  });
});
