import { describe, expect, it } from 'vitest';
import type { RunFigures, SimResult } from '../../electron/engine/sim/simulate.js';
import {
  BUNDLED_WHY,
  bundledMisses,
  CLAIRVOYANT_TARGET,
  P50_TARGET,
  readyText,
  traceTargets,
  worldSeedOf,
  worldSpreadFigures,
} from '../../bench/suite.js';
import { FOOTNOTES, footnotesFor } from '../../bench/report.js';

/** A run with these figures (only what the targets read). */
const run = (cost: number, p50: number, p95: number, mean: number, ready = 5): RunFigures =>
  ({
    cost: { total: cost, idleShare: 0.1 },
    costPerCompletedTaskHour: cost,
    tasks: { completed: 10, total: 10, startedReady: ready },
    waitSec: { p50, p95, mean },
    poll: { sec: 15 },
  }) as unknown as RunFigures;

const result = (ours: RunFigures, baseline: RunFigures, bound = 10): SimResult =>
  ({
    trace: 'steady',
    tasks: 10,
    clairvoyant: { total: bound },
    waitBound: { bootP95Sec: 146 },
    ours,
    baseline,
  }) as unknown as SimResult;

const verdicts = (r: SimResult) => Object.fromEntries(traceTargets(r).map((t) => [t.name, t.pass]));

describe('bundled traces: every family target on every trace', () => {
  it.each([
    // [name, ours, baseline, bound, the targets that miss]
    ['all pass', run(12, 3, 140, 20), run(14, 3, 400, 60), 10, []],
    ['a wait within 1 s of the baseline counts as equal', run(12, 4, 140, 20), run(14, 3, 400, 60), 10, []],
    [
      'p50 over the baseline by more than 1 s',
      run(12, 45, 140, 20),
      run(14, 39, 400, 60),
      10,
      ['p50 wait ≤ the baseline'],
    ],
    ['dearer than the baseline', run(15, 3, 140, 20), run(14, 3, 400, 60), 20, ['cost ≤ the baseline']],
    ['over 1.25 × the bound', run(13, 3, 140, 20), run(14, 3, 400, 60), 10, ['cost ≤ 1.25 × clairvoyant']],
    [
      'p95 over boot p95 + poll + 10 s (171 s) and over the baseline',
      run(12, 3, 180, 20),
      run(14, 3, 175, 60),
      10,
      ['p95 wait ≤ boot p95 + poll + 10 s', 'p95 wait ≤ the baseline'],
    ],
    ['mean over the baseline', run(12, 3, 140, 70), run(14, 3, 400, 60), 10, ['mean wait ≤ the baseline']],
  ] as [string, RunFigures, RunFigures, number, string[]][])('%s', (_n, ours, baseline, bound, misses) => {
    const v = verdicts(result(ours, baseline, bound));
    expect(Object.keys(v)).toHaveLength(6);
    expect(Object.entries(v).flatMap(([k, pass]) => (pass ? [] : [k]))).toEqual(misses);
  });

  it('every reason it gives is for a target it applies', () => {
    const names = new Set(Object.keys(verdicts(result(run(1, 1, 1, 1), run(1, 1, 1, 1)))));
    for (const byTarget of Object.values(BUNDLED_WHY))
      for (const name of Object.keys(byTarget)) expect(names.has(name)).toBe(true);
  });

  it('the p50 target is the one traceTargets names', () => {
    expect(Object.keys(verdicts(result(run(1, 1, 1, 1), run(1, 1, 1, 1))))).toContain(P50_TARGET);
  });

  it("a p50 miss says what the latency preference does on that trace, from that run's figures", () => {
    const r = result(run(12, 45, 140, 20), run(14, 39, 400, 60), 10);
    const targets = traceTargets(r);
    const plain = bundledMisses(targets);
    expect(plain).toHaveLength(4);
    expect(plain[2]).toBe(`- **steady**, ${P50_TARGET}: ${BUNDLED_WHY['steady']![P50_TARGET]}`);
    const latency = new Map([['steady', { ...r, ours: run(14, 5, 144, 40) }]]);
    expect(bundledMisses(targets, latency)[2]).toMatch(
      / At the latency preference, which keeps every idle worker while tasks keep coming as the model does: p50 5 s \(the model's 39 s\), 1\.40 × clairvoyant, 1\.00 × the model's cost\.$/,
    );
    // Nothing to say for a trace whose p50 passes.
    expect(bundledMisses(traceTargets(result(run(12, 3, 140, 20), run(14, 3, 400, 60))), latency)).toEqual([]);
  });

  it('a clairvoyant miss carries the spare-machine sentence given for its trace, and only that miss', () => {
    // longtail at 1.6 × its bound misses the clairvoyant target; its p50 (3 s vs 1 s) misses too.
    const r = { ...result(run(16, 3, 20, 5), run(40, 1, 150, 20), 10), trace: 'longtail' };
    const targets = traceTargets(r);
    const pools = new Map([['longtail', 'POOL SENTENCE.']]);
    const lines = bundledMisses(targets, new Map(), new Map(), [r], pools);
    expect(lines.filter((l) => l.startsWith('- **longtail**'))).toEqual([
      `- **longtail**, ${CLAIRVOYANT_TARGET}: ${BUNDLED_WHY['longtail']![CLAIRVOYANT_TARGET]} POOL SENTENCE.`,
    ]);
    expect(bundledMisses(targets, new Map(), new Map(), [r])[2]).not.toMatch(/POOL/);
  });

  it('a clairvoyant miss says how ours ÷ clairvoyant moves under other world seeds, before the pool sentence', () => {
    const r = { ...result(run(16, 3, 20, 5), run(40, 1, 150, 20), 10), trace: 'longtail' };
    const targets = traceTargets(r);
    const costSpreads = new Map([['longtail', [1.6, 1.1, 1.3, 1.2]]]);
    const pools = new Map([['longtail', 'POOL SENTENCE.']]);
    const lines = bundledMisses(targets, new Map(), new Map(), [r], pools, costSpreads);
    expect(lines.filter((l) => l.startsWith('- **longtail**'))).toEqual([
      `- **longtail**, ${CLAIRVOYANT_TARGET}: ${BUNDLED_WHY['longtail']![CLAIRVOYANT_TARGET]} Re-run under 4 world seeds (the bench's own first; other boot draws, agent poll phases and spot reclaims): 1.10 to 1.60 × clairvoyant (median 1.25; over 1.25 in 2 of 4). POOL SENTENCE.`,
    ]);
    // Only the clairvoyant miss carries it.
    expect(lines.filter((l) => l.includes('world seeds'))).toHaveLength(1);
  });

  it('a p50 miss says how it moves under other world seeds, from the diffs given, before the latency line', () => {
    const r = result(run(12, 45, 140, 20), run(14, 39, 400, 60), 10);
    const targets = traceTargets(r);
    const spreads = new Map([['steady', [6, -84, 24, -2, 0.5]]]);
    const latency = new Map([['steady', { ...r, ours: run(14, 5, 144, 40) }]]);
    expect(bundledMisses(targets, latency, spreads)[2]).toMatch(
      / Re-run under 5 world seeds \(the bench's own first; other boot draws and agent poll phases\), p50 ours − model: −84\.0 s to \+24\.0 s \(median \+0\.5 s, over \+1 s in 2 of 5\)\. At the latency preference/,
    );
    // Only a p50 miss carries it: the cost miss on the same trace does not.
    const dear = traceTargets(result(run(15, 45, 140, 20), run(14, 39, 400, 60), 20));
    expect(bundledMisses(dear, new Map(), spreads).filter((l) => l.includes('world seeds'))).toHaveLength(1);
  });

  it.each([
    // [diffs, words]
    [[0], '0.0 s to 0.0 s (median 0.0 s, over +1 s in 0 of 1)'],
    [[1, 1.01, -3], '−3.0 s to +1.0 s (median +1.0 s, over +1 s in 1 of 3)'],
    [[2, -1, 4, -5], '−5.0 s to +4.0 s (median +0.5 s, over +1 s in 2 of 4)'],
  ] as [number[], string][])('world spread of %j', (diffs, words) => {
    expect(worldSpreadFigures(diffs)).toBe(words);
  });

  it("world seeds: the bench's own first, then seed × 1000 + k", () => {
    expect([0, 1, 9].map((k) => worldSeedOf(1, k))).toEqual([1, 1001, 1009]);
    expect(worldSeedOf(7, 0)).toBe(7);
    expect(worldSeedOf(7, 3)).toBe(7003);
  });

  it.each([
    // [tasks, ours ready, the model's ready, how many a p50 within one agent poll needs]
    [98, 45, 55, 50],
    [74, 30, 40, 38],
    [10, 5, 6, 6],
    [1, 0, 1, 1],
  ])('%i tasks, %i and %i ready: a short p50 needs %i', (total, ours, model, need) => {
    const f = (ready: number) => ({ tasks: { total, startedReady: ready } }) as unknown as RunFigures;
    expect(readyText(f(ours), f(model))).toBe(
      `Tasks that found a worker ready (a wait of at most 6 s, one agent poll): ours ${ours} of ${total}, the model ${model}; a p50 that short needs ${need}.`,
    );
  });

  it("a p50 miss says how many tasks found a worker ready in that trace's runs, after the why", () => {
    const r = result(run(12, 45, 140, 20, 4), run(14, 39, 400, 60, 6), 10);
    const line = bundledMisses(traceTargets(r), new Map(), new Map(), [r])[2]!;
    expect(line).toBe(
      `- **steady**, ${P50_TARGET}: ${BUNDLED_WHY['steady']![P50_TARGET]} Tasks that found a worker ready (a wait of at most 6 s, one agent poll): ours 4 of 10, the model 6; a p50 that short needs 6.`,
    );
    // Another trace's run says nothing about this one.
    expect(bundledMisses(traceTargets(r), new Map(), new Map(), [{ ...r, trace: 'diurnal' }])[2]).not.toContain(
      'found a worker ready',
    );
  });
});

describe('bench report footnotes', () => {
  it.each([
    { name: 'none marked: none printed', texts: ['| mixed | 0.84 |', '| 1.08 (+7.37) |'], want: [] },
    { name: 'the cost mark only', texts: ['| mixed | 0.84 ¹ |', 'no marks'], want: [FOOTNOTES[0]] },
    { name: 'the EC2-call mark only', texts: ['| 1.08 (+7.37 ²) |'], want: [FOOTNOTES[1]] },
    { name: 'both, in their order', texts: ['| 1.08 (+7.37 ²) |', '| 0.84 ¹ |'], want: [FOOTNOTES[0], FOOTNOTES[1]] },
  ])('$name', ({ texts, want }) => {
    expect(footnotesFor(texts)).toEqual(want);
  });
});
