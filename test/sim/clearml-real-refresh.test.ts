// `npm run bench` re-runs the simulated columns of the stored real-ClearML runs before it renders results.md, so
// a change to the engine never leaves stale figures beside the measured ones.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { refreshStoredSimulations, type RealRunFigures } from '../../bench/clearml-real.js';
import { RESULTS_JSON } from '../../bench/clearml-real-report.js';
import { replayTrace, simulateSummary } from '../../bench/clearml-real-replay.js';

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
  }, 60_000);

  it('does nothing without a results file', async () => {
    expect(await refreshStoredSimulations(undefined, path.join(dir, 'none.json'))).toBe(0);
  });
});
