// `npm run bench` re-runs the simulated columns of the stored real-ClearML runs before it renders results.md, so
// a change to the engine never leaves stale figures beside the measured ones.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  refreshStoredSimulations,
  runOnceRetryingAStall,
  StalledRunError,
  type RealRunFigures,
  type RealRunInput,
} from '../../bench/clearml-real.js';
import { clearmlRealSection, RESULTS_JSON, type RealEntry } from '../../bench/clearml-real-report.js';
import { phaseShiftsSec, replayTrace, simulateSummary } from '../../bench/clearml-real-replay.js';

const dir = mkdtempSync(path.join(tmpdir(), 'cas-real-refresh-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('refreshing the stored real runs’ simulated columns', () => {
  it('re-runs ours and the model on the replayed trace and keeps every measured figure', async () => {
    const stored = JSON.parse(readFileSync(RESULTS_JSON, 'utf8')) as { generatedAt: string; results: RealRunFigures[] };
    const run = stored.results.find((r) => r.trace === 'trickle-7')!;
    const stale = { ...run, sim: { ...run.sim!, ours: { ...run.sim!.ours, cost: 999 } } };
    const file = path.join(dir, 'results.json');
    writeFileSync(file, JSON.stringify({ generatedAt: stored.generatedAt, results: [stale] }));

    const seen: string[] = [];
    expect(await refreshStoredSimulations((trace) => seen.push(trace), file)).toBe(1);
    expect(seen).toEqual(['trickle-7']);
    const after = JSON.parse(readFileSync(file, 'utf8')) as { generatedAt: string; results: RealRunFigures[] };
    expect(after.generatedAt).toBe(stored.generatedAt);
    const { sim, ...measured } = after.results[0]!;
    const { sim: _old, ...before } = stale;
    expect(measured).toEqual(before);
    expect(sim).toEqual(await simulateSummary(replayTrace('trickle-7', null)));
    expect(sim!.ours.cost).not.toBe(999);
    expect(sim!.modelPhaseRange!.shiftsSec).toEqual([0, 30, 60, 90, 120, 150, 180, 210, 240, 270]);
  }, 60_000);

  it('re-simulates with the seed each run was measured with, once for a run and its as-shipped twin', async () => {
    const stored = JSON.parse(readFileSync(RESULTS_JSON, 'utf8')) as { generatedAt: string; results: RealRunFigures[] };
    const run = stored.results.find((r) => r.trace === 'trickle-7')!;
    const reseeded = { ...run, seed: 3 };
    const file = path.join(dir, 'seeds.json');
    writeFileSync(file, JSON.stringify({ results: [reseeded, { ...reseeded, asShipped: true }] }));
    const seen: unknown[] = [];
    expect(await refreshStoredSimulations((_, sim) => seen.push(sim), file)).toBe(2);
    const expected = await simulateSummary({ ...replayTrace('trickle-7', null), seed: 3 });
    expect(expected).not.toEqual(await simulateSummary(replayTrace('trickle-7', null)));
    expect(seen).toEqual([expected, expected]);
    expect(seen[0]).toBe(seen[1]);
  }, 60_000);

  it('does nothing without a results file', async () => {
    expect(await refreshStoredSimulations(undefined, path.join(dir, 'none.json'))).toBe(0);
  });
});

describe('the real-ClearML section of results.md', () => {
  it('moves the arrivals by every tenth of the polling interval', () => {
    expect(phaseShiftsSec(300)).toEqual([0, 30, 60, 90, 120, 150, 180, 210, 240, 270]);
    expect(phaseShiftsSec(60)).toEqual([0, 6, 12, 18, 24, 30, 36, 42, 48, 54]);
  });

  it('names the phases it ran, and explains a real p95 off the model by the phase spread only when inside it', () => {
    const stored = JSON.parse(readFileSync(RESULTS_JSON, 'utf8')) as { results: RealEntry[] };
    const base = stored.results.find((r) => r.trace === 'trickle-7')!;
    const withP95 = (p95: number): RealEntry => ({
      ...base,
      cost: { ...base.cost, total: base.sim.model.cost },
      waitSec: { ...base.waitSec, p95 },
      sim: {
        ...base.sim,
        model: { ...base.sim.model, waitSec: { ...base.sim.model.waitSec, p95: 100 } },
        modelPhaseRange: { shiftsSec: [0, 30, 60], cost: [base.sim.model.cost, base.sim.model.cost], p95: [80, 150] },
      },
    });
    const inside = clearmlRealSection([withP95(140)]).join('\n');
    expect(inside).toContain('model over 3 polling phases');
    expect(inside).toContain('every arrival moved by 0 s, 30 s, 60 s:');
    expect(inside).toContain("the real p95 (140 s) lies inside the model's own spread over polling phases");
    const outside = clearmlRealSection([withP95(160)]).join('\n');
    expect(outside).toContain("outside the model's spread over polling phases too: not explained yet.");
    expect(clearmlRealSection([withP95(105)]).join('\n')).toContain('agree within 10 %');
  });

  it('dates each real run in its row, and says nothing for a run stored without a date', () => {
    const stored = JSON.parse(readFileSync(RESULTS_JSON, 'utf8')) as { results: RealEntry[] };
    const base = stored.results.find((r) => r.trace === 'trickle-7')!;
    const row = (e: RealEntry) => clearmlRealSection([e]).find((l) => l.startsWith('| trickle-7 '))!;
    expect(row({ ...base, measuredOn: '2026-12-05' })).toMatch(/lag ≤ [\d.]+ s, measured 2026-12-05 \|$/);
    const { measuredOn: _, ...undated } = base;
    expect(row(undated)).toMatch(/lag ≤ [\d.]+ s \|$/);
  });
});

describe('a real run whose Python side stalls', () => {
  const input = { trace: { name: 'trickle-7', tasks: [] } } as unknown as RealRunInput;
  const figures = { trace: 'trickle-7' } as RealRunFigures;
  const stall = () => new StalledRunError(120, 3600, 'Thread 0x1 (most recent call first):', 'last line');
  it.each([
    { outcomes: ['stall', 'ok'], runs: 2, result: 'figures', reports: 1 },
    { outcomes: ['ok'], runs: 1, result: 'figures', reports: 0 },
    { outcomes: ['stall', 'stall'], runs: 2, result: 'StalledRunError', reports: 1 },
    { outcomes: ['other', 'ok'], runs: 1, result: 'Error', reports: 0 },
  ])('$outcomes: $runs run(s), then $result', async ({ outcomes, runs, result, reports }) => {
    const left = [...outcomes];
    let calls = 0;
    const said: string[] = [];
    const run = (i: RealRunInput) => {
      calls++;
      expect(i).toBe(input);
      const o = left.shift();
      if (o === 'ok') return Promise.resolve(figures);
      return Promise.reject(o === 'stall' ? stall() : new Error('exited (1) before it started'));
    };
    const got = await runOnceRetryingAStall(input, run, (m) => said.push(m)).then(
      (r) => (r === figures ? 'figures' : 'other figures'),
      (e: Error) => e.name,
    );
    expect(got).toBe(result);
    expect(calls).toBe(runs);
    expect(said).toHaveLength(reports);
    for (const m of said) {
      expect(m).toContain('has not slept for 120 s of wall time (3600 s into the replay)');
      expect(m).toContain('Thread 0x1');
      expect(m).toMatch(/trickle-7: running it again once$/);
    }
  });
});
