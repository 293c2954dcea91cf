// A wrong or stepped clock on this machine, through the real engine, clients and emulators: the emulators keep the
// world's (AWS's) time, the engine reads `world.local`, shifted. Instance ages and lease tags are AWS's.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CostHistory } from '../../electron/engine/cost/history.js';
import { PriceBook } from '../../electron/engine/cost/price-book.js';
import { CostTracker } from '../../electron/engine/cost/tracker.js';
import { createPriceLookup } from '../../electron/engine/prices.js';
import type { EngineEvent } from '../../shared/domain.js';
import { TAG } from '../../electron/engine/ports.js';
import { addTasks } from '../fixtures/index.js';
import { makeConfig } from './fixtures.js';
import { startWorld, type World } from './world.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

let world: World | null = null;
let history: CostHistory | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
  await history?.close();
  history = null;
});

/** Each live instance's lease tag, in seconds from the world's (AWS's) now. */
function leaseLeftSec(w: World): number[] {
  return w.live().map((i) => Math.round((Number(i.tags[TAG.lease]) * 1000 - w.clock.now()) / 1000));
}

async function skewedWorld(shiftMs: number) {
  world = await startWorld({ bootSec: 120 });
  world.clearml.createQueue('gpu');
  const events: EngineEvent[] = [];
  // Lease 20 min, spin-up 5 min, boot 2 min.
  const config = makeConfig({ scaling: { workersPrefix: 'dyn', maxIdleMin: 10, maxSpinUpMin: 5 } });
  const engine = world.newEngine(config, { onEvent: (e) => events.push(e) });
  world.local.shiftMs = shiftMs;
  return { w: world, engine, events, config };
}

describe('a wrong clock on this machine', () => {
  it('a day ahead: a new instance is not killed as never registered, its lease is AWS-time, and the skew is said', async () => {
    const { w, engine, events } = await skewedWorld(DAY);
    addTasks(w.clearml, 'gpu', 2, 600);
    await w.run(engine, 4 * 60);
    expect(w.ec2.instances()).toHaveLength(2);
    expect(w.live()).toHaveLength(2);
    expect(events.filter((e) => /spin-up time|never registered/.test(e.message))).toEqual([]);
    // Within the 20 min lease by AWS's clock, not a day ahead.
    for (const left of leaseLeftSec(w)) {
      expect(left).toBeGreaterThan(0);
      expect(left).toBeLessThanOrEqual(20 * 60);
    }
    const said = events.filter((e) => e.message.startsWith("this computer's clock"));
    expect(said.map((e) => e.message)).toEqual([
      "this computer's clock is 1 d 0 h ahead of AWS's; instance ages, leases and costs are corrected by it; fix the clock (turn on automatic time, NTP)",
    ]);
    expect(w.clearml.tasks().filter((t) => t.status !== 'queued')).toHaveLength(2);
    // The window says how long ago the last poll was by this machine's clock, as it reads it.
    expect(w.store.getState()).toMatchObject({ lastTickAt: w.local.now(), lastTickOkAt: w.local.now() });
  });

  it('stepped back an hour: instances launched after the step get leases in the future by AWS time', async () => {
    const { w, engine, events } = await skewedWorld(0);
    addTasks(w.clearml, 'gpu', 1, 600);
    await w.run(engine, 60);
    w.local.shiftMs = -HOUR;
    addTasks(w.clearml, 'gpu', 1, 600);
    await w.run(engine, 60);
    expect(w.live()).toHaveLength(2);
    for (const left of leaseLeftSec(w)) expect(left).toBeGreaterThan(10 * 60);
    expect(events.some((e) => e.message.startsWith("this computer's clock is 1 h 0 min behind AWS's"))).toBe(true);
  });

  it('a lease written a day ahead (while the clock was) is brought back to one lease from AWS now', async () => {
    const { w, engine, config } = await skewedWorld(0);
    addTasks(w.clearml, 'gpu', 1, 3600);
    await w.run(engine, 30);
    const [inst] = w.live();
    const dayAhead = String(Math.floor((w.clock.now() + DAY) / 1000));
    await w.clients(config).ec2.createTags([inst!.instanceId], { [TAG.lease]: dayAhead });
    await w.run(engine, 15);
    expect(leaseLeftSec(w)[0]).toBeLessThanOrEqual(20 * 60);
  });

  it('a day ahead for a while: the cost history bills what ran, and nothing more a day later', async () => {
    const w = (world = await startWorld());
    w.clearml.createQueue('cpu');
    w.clearml.createQueue('gpu');
    const book = new PriceBook({ region: 'us-east-1', clock: w.local });
    history = await CostHistory.open({
      file: path.join(mkdtempSync(path.join(tmpdir(), 'cost-')), 'h.jsonl'),
      clock: w.local,
    });
    const config = makeConfig({ scaling: { workersPrefix: 'dyn', maxIdleMin: 1, maxSpinUpMin: 5 } });
    const engine = w.newEngine(config, {
      costs: new CostTracker(history, book),
      prices: createPriceLookup('us-east-1', { clock: w.local, book }),
    });
    w.local.shiftMs = DAY;
    w.clearml.addTask({ name: 'prep', queue: 'cpu', durationSec: 300 });
    await w.run(engine, 10 * 60);
    expect(w.ec2.instances()).toHaveLength(1);
    expect(w.live()).toHaveLength(0);
    w.local.shiftMs = 0;
    await w.run(engine, 60);
    const [rec] = history.instances();
    // Launch to termination by AWS's clock: boot, the task, a minute idle, not a day.
    expect((rec!.endedAt! - rec!.launchedAt) / 60_000).toBeLessThan(10);
    const spent = history.monthToDate(w.clock.now());
    expect(spent).toBeGreaterThan(0);
    expect(history.monthToDate(w.clock.now() + DAY)).toBeCloseTo(spent, 9);
  });
});
