// A big account's scale-down against the emulators: many idle instances terminated in one tick. The tick stays
// short (a bounded number of ClearML calls), and the workers left registered cost no EC2 lookups meanwhile.
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_UNREGISTER_PER_TICK } from '../../electron/engine/controllers/terminate.js';
import { addTasks } from '../fixtures/index.js';
import { makeConfig } from './fixtures.js';
import { startWorld, type World } from './world.js';

let world: World | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

const FLEET = 60;

describe('mass termination against the emulators', () => {
  it(`${FLEET} idle instances go in one tick: at most ${MAX_UNREGISTER_PER_TICK} unregisters a tick, no EC2 lookup of their workers`, async () => {
    world = await startWorld({ queues: ['cpu'] });
    const w = world;
    const config = makeConfig({
      queues: { cpu: [{ resource: 'cpu', maxInstances: FLEET }] },
      scaling: { workersPrefix: 'dyn', maxTotalInstances: FLEET, maxIdleMin: 2, surplusIdleMin: 1, maxSpinUpMin: 30 },
    });
    addTasks(w.clearml, 'cpu', FLEET, 120);
    const engine = w.newEngine(config);
    const ticks: { terminated: number; unregistered: number; describes: number; live: number }[] = [];
    const count = (name: string) => (w.clearml.calls as Record<string, number>)[name] ?? 0;
    for (let t = 0; t < 60; t++) {
      const before = {
        term: w.ec2.calls.byAction['TerminateInstances'] ?? 0,
        unreg: count('workers.unregister'),
        desc: w.ec2.calls.byAction['DescribeInstances'] ?? 0,
      };
      w.clock.advance(15_000);
      w.agents.step();
      await engine.tick();
      w.agents.step();
      ticks.push({
        terminated: (w.ec2.calls.byAction['TerminateInstances'] ?? 0) - before.term,
        unregistered: count('workers.unregister') - before.unreg,
        describes: (w.ec2.calls.byAction['DescribeInstances'] ?? 0) - before.desc,
        live: w.live().length,
      });
    }
    const first = ticks.findIndex((t) => t.terminated > 0);
    expect(first).toBeGreaterThan(0);
    // The whole fleet in one TerminateInstances call.
    expect(ticks.filter((t) => t.terminated > 0)).toHaveLength(1);
    expect(ticks.at(-1)!.live).toBe(0);
    for (const t of ticks) expect(t.unregistered).toBeLessThanOrEqual(MAX_UNREGISTER_PER_TICK);
    // After it: one listing a tick, and no DescribeInstances by id for the workers still registered.
    for (const t of ticks.slice(first + 1)) expect(t.describes).toBe(1);
    // Every worker unregistered in the end (3 ticks at 20 a tick).
    expect(w.clearml.workers().filter((x) => x.id.startsWith('dyn:'))).toHaveLength(0);
  }, 120_000);
});
