// Costs wired into the loop: the history is fed from real observations, caps are enforced before every launch,
// and the month's spend survives a restart (a new history over the same journal).
import { addTasks } from '../fixtures/index.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CostHistory } from '../../electron/engine/cost/history.js';
import { PriceBook } from '../../electron/engine/cost/price-book.js';
import { CostTracker } from '../../electron/engine/cost/tracker.js';
import { plan } from '../../electron/engine/policy.js';
import { createPriceLookup } from '../../electron/engine/prices.js';
import { renderDecision } from '../../electron/engine/reasons.js';
import { instance, makeConfig, policyInput, queue, T0, workerFor } from './fixtures.js';
import { startWorld, type World } from './world.js';

let world: World | null = null;
const histories: CostHistory[] = [];
afterEach(async () => {
  await world?.close();
  world = null;
  for (const h of histories.splice(0)) await h.close();
});

async function tracked(w: World, file: string) {
  const book = new PriceBook({ region: 'us-east-1', clock: w.clock });
  const history = await CostHistory.open({ file, clock: w.clock });
  histories.push(history);
  return {
    tracker: new CostTracker(history, book),
    history,
    prices: createPriceLookup('us-east-1', { clock: w.clock, book }),
  };
}

describe('costs in the loop', () => {
  it('a global hourly cap blocks the launch that would cross it, and the decision says which cap and by how much', async () => {
    world = await startWorld();
    const config = makeConfig({ budgets: { global: { hourlyUsd: 0.25 }, mode: 'stop-launching' } });
    world.clearml.createQueue('cpu');
    world.clearml.createQueue('gpu');
    addTasks(world.clearml, 'cpu', 3, 600);
    const { tracker, prices } = await tracked(world, path.join(mkdtempSync(path.join(tmpdir(), 'cost-')), 'h.jsonl'));
    const engine = world.newEngine(config, { costs: tracker, prices });
    const r = await engine.tick();
    // m5.large is about $0.096/h in the bundled table: two fit under $0.25/h, the third would not.
    expect(r.launched).toHaveLength(2);
    const d = r.plan?.decisions.find((x) => x.queue === 'cpu');
    const text = d ? renderDecision(d) : '';
    expect(text).toMatch(/1 not launched: global hourly burn cap \$0\.25\/h would be exceeded by \$0\.0380\/h/);
    expect(world.store.getState().costs.budgets?.[0]).toMatchObject({ kind: 'hourly', limit: 0.25 });
  });

  it('after a restart the month spend so far is still known', async () => {
    world = await startWorld();
    const config = makeConfig();
    world.clearml.createQueue('cpu');
    world.clearml.createQueue('gpu');
    world.clearml.addTask({ name: 'prep', queue: 'cpu', durationSec: 1800 });
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'cost-')), 'h.jsonl');
    const first = await tracked(world, file);
    const engine = world.newEngine(config, { costs: first.tracker, prices: first.prices });
    await world.run(engine, 3600, 30);
    const spent = first.history.monthToDate(world.clock.now());
    expect(spent).toBeGreaterThan(0.05);
    const byTask = world.store.getState().costs.byTask ?? [];
    expect(byTask.map((t) => t.queue)).toEqual(['cpu']);
    await first.history.close();

    const second = await tracked(world, file);
    expect(second.history.monthToDate(world.clock.now())).toBeCloseTo(spent, 6);
  });

  it('terminate-idle mode removes idle workers in a queue whose cap is reached', () => {
    const i = instance('gpu', 'gpu_a');
    const p = plan(
      policyInput({
        queues: [queue('gpu', 0), queue('cpu', 0)],
        instances: [i],
        workers: [workerFor(i)],
        idleSince: new Map([[i.instanceId, T0 - 60_000]]),
        budgetIdle: { global: false, queues: new Set(['gpu']), reason: 'budget cap reached' },
      }),
    );
    expect(p.actions).toContainEqual(
      expect.objectContaining({ kind: 'terminate', instanceId: i.instanceId, why: 'budget' }),
    );
  });
});
