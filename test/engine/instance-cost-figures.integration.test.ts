// One instance, one cost figure: its row (Instances view, tray, headless, team viewers all read the snapshot's row),
// its detail, the month's spend, the caps' burn rate and the window's burn rate say the same, for an instance adopted
// from ClearML's autoscaler days after EC2 launched it, and after the price of a running instance moves.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { costUpTo } from '../../electron/engine/cost/accounting.js';
import { launchClearmlAutoscalerInstances } from '../../electron/engine/emulators/clearml-autoscaler-instances.js';
import { buildInstanceDetail } from '../../electron/engine/timeline/instance-detail.js';
import { COST_T0 } from '../fixtures/index.js';
import { makeConfig } from './fixtures.js';
import { AWS, startWorld, type World } from './world.js';

let world: World | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

const HOUR = 3_600_000;
const journal = () => path.join(mkdtempSync(path.join(tmpdir(), 'cost-')), 'h.jsonl');

/** One instance ClearML's autoscaler launched three days before the engine starts, idle since. */
async function adoptedWorld() {
  const w = (world = await startWorld({ start: COST_T0 - 3 * 24 * HOUR }));
  w.clearml.createQueue('gpu');
  w.clearml.createQueue('cpu');
  const [id] = await launchClearmlAutoscalerInstances({
    endpoint: w.ec2.url,
    region: 'us-east-1',
    credentials: AWS,
    apiHost: w.clearml.url,
    instances: [{ prefix: 'dyn', resource: 'gpu_a', instanceType: 'g4dn.xlarge', queue: 'gpu', tags: {} }],
  });
  for (let h = 0; h < 72; h++) {
    w.clock.advance(HOUR);
    w.agents.step();
  }
  const config = makeConfig({ scaling: { workersPrefix: 'dyn', maxIdleMin: 600, surplusIdleMin: 600 } });
  return { w, id: id!, config };
}

const rowOf = (w: World, id: string) => w.store.getState().instances.find((i) => i.instanceId === id);

describe("an instance's cost on every surface", () => {
  it('adopted after 3 days under ClearML: its row counts from the adoption, as the month and its detail do', async () => {
    const { w, id, config } = await adoptedWorld();
    const { history, tracker, prices } = await w.costs(journal());
    const engine = w.newEngine(config, { costs: tracker, prices });
    await w.run(engine, 30);
    expect((await engine.adopt('all')).adopted).toEqual([id]);
    const adoptedAt = w.clock.now();
    await w.run(engine, 3600, 60);

    const now = w.clock.now();
    const record = history.get(id)!;
    const row = rowOf(w, id)!;
    const price = prices('g4dn.xlarge', 'on-demand').price;
    // An hour since the adoption, not the 75 h since EC2's launch.
    expect(row.costSoFar).toBeCloseTo((price * (now - adoptedAt)) / HOUR, 6);
    expect(row.costSoFar).toBeCloseTo(costUpTo(record, now, now), 9);
    expect(w.store.getState().costs.monthToDate).toBeCloseTo(row.costSoFar, 9);
    expect(row).toMatchObject({ adopted: true, adoptedAt, hourlyPrice: record.hourlyPrice });
    const detail = buildInstanceDetail({ instanceId: id, now, view: row, record, ec2: undefined, markers: [] }, {
      state: 'empty',
      lines: [],
    } as never);
    expect(detail).toMatchObject({ spend: row.costSoFar, hourlyPrice: row.hourlyPrice });
  });

  it('adopted, without a cost history: the row and the day estimate count from the adoption too', async () => {
    const { w, id, config } = await adoptedWorld();
    const engine = w.newEngine(config);
    await w.run(engine, 30);
    expect((await engine.adopt('all')).adopted).toEqual([id]);
    const adoptedAt = w.clock.now();
    await w.run(engine, 3600, 60);

    const now = w.clock.now();
    const row = rowOf(w, id)!;
    const sinceAdoption = (row.hourlyPrice * (now - adoptedAt)) / HOUR;
    expect(row.costSoFar).toBeCloseTo(sinceAdoption, 6);
    // Today's estimate counts it from the adoption, not from midnight UTC (10 h of ClearML's time).
    expect(w.store.getState().costs.spendToday).toBeCloseTo(sinceAdoption, 2);
  });

  it("after the on-demand price moves, the row, the window's burn and the caps' burn keep the price it is counted at", async () => {
    const w = (world = await startWorld({ start: COST_T0 }));
    w.clearml.createQueue('cpu');
    w.clearml.createQueue('gpu');
    w.clearml.addTask({ name: 'long', queue: 'cpu', durationSec: 4 * 3600 });
    // The Pricing API's answer arrives after the first launch (the engine starts on the bundled table).
    let apiPrice = 0;
    const { history, tracker, prices, book } = await w.costs(journal(), {
      pricing: { onDemandPrices: async (_r, types) => new Map(types.map((t) => [t, apiPrice])) },
    });
    const config = makeConfig({ budgets: { global: { hourlyUsd: 100 }, mode: 'stop-launching' } });
    const engine = w.newEngine(config, { costs: tracker, prices });
    await w.run(engine, 600);
    const [inst] = w.live();
    const id = inst!.instanceId;
    const before = prices('m5.large', 'on-demand').price;
    apiPrice = before * 2;
    await book.refresh(['m5.large']);
    expect(prices('m5.large', 'on-demand').price).toBeCloseTo(before * 2, 9);
    await w.run(engine, 1800);

    const now = w.clock.now();
    const record = history.get(id)!;
    const row = rowOf(w, id)!;
    const state = w.store.getState();
    expect(record.hourlyPrice).toBeCloseTo(before, 9);
    expect(row.hourlyPrice).toBe(record.hourlyPrice);
    expect(row.costSoFar).toBeCloseTo(costUpTo(record, now, now), 9);
    expect(state.costs.burnPerHour).toBeCloseTo(history.burn(now).total, 9);
    expect(state.costs.monthToDate).toBeCloseTo(row.costSoFar, 9);
    expect(state.costs.budgets?.[0]).toMatchObject({ kind: 'hourly', spent: record.hourlyPrice });
  });

  it("after its zone's spot price moves, a running spot instance is billed at the new price from then on, everywhere", async () => {
    const w = (world = await startWorld({ start: COST_T0 }));
    w.clearml.createQueue('gpu');
    w.clearml.createQueue('cpu');
    w.clearml.addTask({ name: 'long', queue: 'gpu', durationSec: 6 * 3600 });
    // DescribeSpotPriceHistory's answer, per zone: every zone at `spot`.
    let spot = 0.2;
    const { history, tracker, prices, book } = await w.costs(journal(), {
      spot: async (types) => new Map(types.flatMap((t) => ['a', 'b', 'c'].map((z) => [`${t}|us-east-1${z}`, spot]))),
    });
    await book.refresh(['g4dn.xlarge']);
    const config = makeConfig({ budgets: { global: { hourlyUsd: 100 }, mode: 'stop-launching' } });
    const engine = w.newEngine(config, { costs: tracker, prices });
    await w.run(engine, 600);
    const [inst] = w.live();
    const id = inst!.instanceId;
    expect(history.get(id)).toMatchObject({ market: 'spot', hourlyPrice: 0.2 });
    await w.run(engine, 3600 - 600, 60);
    const movedAt = w.clock.now();
    const before = costUpTo(history.get(id)!, movedAt, movedAt);
    spot = 0.5;
    await book.refresh(['g4dn.xlarge']);
    // An hour at the new price, a refresh of the same price in between: one change recorded, not one per tick.
    await w.run(engine, 1800, 60);
    await book.refresh(['g4dn.xlarge']);
    await w.run(engine, 1800, 60);

    const now = w.clock.now();
    const record = history.get(id)!;
    const row = rowOf(w, id)!;
    const state = w.store.getState();
    // Billed at the new price from the fetch that saw it.
    expect(record.priceChanges).toEqual([{ at: movedAt, hourlyPrice: 0.5 }]);
    // The first hour at 0.2 stays as it was; the hour since the move costs 0.5.
    expect(row.costSoFar).toBeCloseTo(before + 0.5, 9);
    expect(row.costSoFar).toBeCloseTo(costUpTo(record, now, now), 9);
    expect(row.hourlyPrice).toBe(0.5);
    expect(state.costs.burnPerHour).toBeCloseTo(0.5, 9);
    expect(state.costs.monthToDate).toBeCloseTo(row.costSoFar, 9);
    expect(state.costs.budgets?.[0]).toMatchObject({ kind: 'hourly', spent: 0.5 });
    const detail = buildInstanceDetail({ instanceId: id, now, view: undefined, record, ec2: undefined, markers: [] }, {
      state: 'empty',
      lines: [],
    } as never);
    expect(detail).toMatchObject({ spend: row.costSoFar, hourlyPrice: 0.5 });
  });

  it.each([
    ['idle', 300],
    ['busy', 3 * 3600],
  ])(
    'a spot instance EC2 takes back in its first hour while %s, gone before a poll saw it shutting down, costs nothing',
    async (_what, durationSec) => {
      const w = (world = await startWorld({ start: COST_T0 }));
      w.clearml.createQueue('gpu');
      w.clearml.createQueue('cpu');
      w.clearml.addTask({ name: 'train', queue: 'gpu', durationSec });
      const { history, tracker, prices } = await w.costs(journal());
      const config = makeConfig({ scaling: { workersPrefix: 'dyn', maxIdleMin: 60 } });
      const engine = w.newEngine(config, { costs: tracker, prices });
      await w.run(engine, 900, 60);
      const [inst] = w.live();
      const id = inst!.instanceId;
      expect(inst!.market).toBe('spot');
      w.ec2.interruptSpot(id);
      // The emulator's shutting-down lasts 5 s; the next poll, a minute later, finds it terminated.
      await w.run(engine, 60, 60);
      expect(w.ec2.instances().find((i) => i.instanceId === id)?.state).toBe('terminated');

      expect(history.get(id)).toMatchObject({ endReason: 'Server.SpotInstanceTermination' });
      expect(w.store.getState().costs.monthToDate).toBe(0);
    },
  );
});
