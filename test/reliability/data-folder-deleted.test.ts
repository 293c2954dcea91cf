// The data folder deleted (or a file in it replaced) while the engine runs: the launch journal and the cost history
// append through handles kept open, so without a check every later line went to a file no path reaches, and the
// next start found neither the open launches nor the spend. Each is written again at its path, from memory, and
// says so once.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IntentJournal, JOURNAL_FILE, parseJournal } from '../../electron/engine/reliability/intent-journal.js';
import { CostHistory, type CostFactInput } from '../../electron/engine/cost/history.js';
import { COST_T0 as T0 } from '../fixtures/index.js';

let root: string;
let dir: string;
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'cta-deleted-'));
  dir = path.join(root, 'data');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const intent = (token: string) => ({
  token,
  queue: 'gpu',
  resource: 'gpu_a',
  market: 'spot' as const,
  at: T0,
  region: 'us-east-1',
});

describe.each([
  ['the folder deleted', () => rmSync(dir, { recursive: true, force: true })],
  [
    'the file replaced',
    () => {
      rmSync(path.join(dir, JOURNAL_FILE));
      writeFileSync(path.join(dir, JOURNAL_FILE), '');
    },
  ],
] as const)('the launch journal, %s under it', (_what, damage) => {
  it('writes the open launches again at its path before the next intent, and says so once', async () => {
    const told: string[] = [];
    const j = await IntentJournal.open({ dir, now: () => T0, onRewritten: (f) => told.push(f) });
    await j.recordIntent(intent('a'));
    damage();
    await j.recordIntent(intent('b'));
    await j.recordIntent(intent('c'));
    await j.close();
    const read = parseJournal(readFileSync(path.join(dir, JOURNAL_FILE), 'utf8'));
    expect(read.entries.map((e) => e.intent.token)).toEqual(['a', 'b', 'c']);
    expect(told).toEqual([path.join(dir, JOURNAL_FILE)]);
  });
});

const launched = (instanceId: string, at: number): CostFactInput => ({
  t: 'launched',
  at,
  instanceId,
  queue: 'gpu',
  resource: 'g5',
  instanceType: 'g5.xlarge',
  market: 'on-demand',
  zone: 'us-east-1b',
  hourlyPrice: 3.6,
  priceSource: { kind: 'pricing-api', fetchedAt: at },
});

describe('the cost history, its folder deleted under it', () => {
  it('is written again at its path with every record it holds, and says so once', async () => {
    const file = path.join(dir, 'cost-history.jsonl');
    const problems: string[] = [];
    const clock = { now: () => T0 + 60_000, sleep: async () => undefined };
    const h = await CostHistory.open({ file, clock, onProblem: (m) => problems.push(m) });
    await h.record(launched('i-0aaaaaaaaaaaaaaa1', T0));
    rmSync(dir, { recursive: true, force: true });
    await h.record(launched('i-0aaaaaaaaaaaaaaa2', T0 + 1000));
    await h.record(launched('i-0aaaaaaaaaaaaaaa3', T0 + 2000));
    await h.close();

    const again = await CostHistory.open({ file, clock, readOnly: true });
    expect(
      again
        .instances()
        .map((r) => r.instanceId)
        .sort(),
    ).toEqual(['i-0aaaaaaaaaaaaaaa1', 'i-0aaaaaaaaaaaaaaa2', 'i-0aaaaaaaaaaaaaaa3']);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/cost history .* was deleted or replaced while the engine ran .* written again/);
  });
});
