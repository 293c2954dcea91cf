// What the engine learnt by watching outlives its engine. A settings save gives the host a new config and so a new
// engine, which takes over the memory of the one before (Engine.carryFrom): the save neither launches again for a
// task whose instance EC2 does not list yet, nor lets a warm idle worker go after the short limit as if idle since
// an unknown time, nor empties the burn chart. A config of another world (ClearML server, AWS region, workers
// prefix) starts fresh. A restart takes back what the keep-warm rule learnt from keep-warm.json in the data folder.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../shared/config.js';
import type { EngineHost } from '../../electron/engine/host.js';
import { AWS_KEYS, CLEARML_KEYS, addTasks, baseConfig } from '../fixtures/index.js';
import { startWorld, type World } from '../fixtures/world.js';

let world: World | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

const creds = { clearml: CLEARML_KEYS, aws: AWS_KEYS };

async function saved(opts: { listingDelaySec?: number; dataDir?: boolean } = {}) {
  const w = (world = await startWorld({ queues: ['gpu'], ...opts }));
  const config = baseConfig({ clearml: { apiHost: w.clearml.url } });
  const start = () => {
    const h = w.host(opts.dataDir ? { dataDir: w.dir } : {});
    h.configure(config, creds);
    return h;
  };
  const host = start();
  /** The same world, one setting changed, as the Settings view saves it. */
  const save = () => host.configure({ ...config, scaling: { ...config.scaling, maxIdleMin: 20 } }, creds);
  return { w, host, config, save, start };
}

/** A task every 5 min, a minute long, with the host ticking every 15 s. */
async function everyFiveMin(w: World, host: EngineHost, tasks: number): Promise<void> {
  for (let k = 0; k < tasks; k++) {
    w.clearml.addTask({ name: 'nightly', queue: 'gpu', durationSec: 60 });
    await run(w, host, 300, { throughTerminations: true });
  }
}
const prewarms = (host: EngineHost) => host.store.getState().events.filter((e) => e.kind === 'launch' && e.prewarm);

/** Steps of 15 s, the agents moving and the host ticking; stops at the first tick that terminates, unless told. */
async function run(
  w: World,
  host: EngineHost,
  seconds: number,
  opts: { throughTerminations?: boolean } = {},
): Promise<{ terminatedAfterSec: number | null }> {
  for (let t = 15; t <= seconds; t += 15) {
    w.clock.advance(15_000);
    w.agents.step();
    const r = await host.tickNow();
    w.agents.step();
    if (r?.terminated.length && !opts.throughTerminations) return { terminatedAfterSec: t };
  }
  return { terminatedAfterSec: null };
}

describe('a settings save keeps what the engine learnt', () => {
  it('does not launch again for a task whose instance EC2 does not list yet', async () => {
    const { w, host, save } = await saved({ listingDelaySec: 40 });
    addTasks(w.clearml, 'gpu', 1, 600);
    expect((await host.tickNow())?.launched).toHaveLength(1);
    w.clock.advance(15_000);
    save();
    expect((await host.tickNow())?.launched).toEqual([]);
    expect(w.ec2.instances()).toHaveLength(1);
  });

  it('counts a launch both remembered and recovered from the launch journal once: a new task gets its own', async () => {
    const { w, host, save } = await saved({ listingDelaySec: 40, dataDir: true });
    addTasks(w.clearml, 'gpu', 1, 600);
    expect((await host.tickNow())?.launched).toHaveLength(1);
    w.clock.advance(15_000);
    save();
    w.clearml.addTask({ name: 'second', queue: 'gpu', durationSec: 600 });
    expect((await host.tickNow())?.launched).toHaveLength(1);
    expect(w.ec2.instances()).toHaveLength(2);
  });

  it("keeps a warm idle worker's timer, and the burn chart", async () => {
    const { w, host, config, save } = await saved();
    addTasks(w.clearml, 'gpu', 1, 60);
    await host.tickNow();
    // Booted, ran its task, idle a few minutes: well inside maxIdleMin (15 min), past surplusIdleMin (2 min).
    expect((await run(w, host, 300)).terminatedAfterSec).toBeNull();
    expect(host.store.getState().instances.map((i) => i.phase)).toEqual(['idle']);
    const chart = host.store.getState().costs.history.length;
    save();
    await host.tickNow();
    expect(host.store.getState().costs.history.length).toBeGreaterThan(chart);
    // Counted as idle since an unknown time, it would go after surplusIdleMin ("after a restart an idle worker is
    // kept only 2 min"); a timer started over at the save would keep it 20 min more. Idle since it ran its task,
    // it stays up to the new maxIdleMin (20 min) from then.
    const { terminatedAfterSec } = await run(w, host, 20 * 60);
    expect(terminatedAfterSec).toBeGreaterThan(config.scaling.surplusIdleMin * 60 + 60);
    expect(terminatedAfterSec).toBeLessThan(20 * 60);
    expect(host.store.getState().events.at(-1)?.message).toMatch(/: idle for 20 min \(limit 20 min\)/);
  });

  it("keeps the queue's learnt arrivals: a periodic queue is still pre-warmed for", async () => {
    const { w, host, save } = await saved();
    await everyFiveMin(w, host, 6);
    expect(prewarms(host).length).toBeGreaterThan(0);
    const before = host.store.getState().events.length;
    save();
    // Forgotten, the next tasks would each wait for a boot and the rule say it has too few to forecast.
    await everyFiveMin(w, host, 2);
    const after = host.store.getState().events.slice(before);
    expect(after.filter((e) => e.kind === 'launch' && e.prewarm)).toHaveLength(2);
    expect(after.filter((e) => /too few tasks seen yet/.test(e.message))).toEqual([]);
  });

  it('requeues at once the task of a spot instance lost between the last tick before and the first after', async () => {
    const { w, host, save } = await saved();
    w.clearml.addTask({ name: 'train', queue: 'gpu', durationSec: 3600 });
    await host.tickNow();
    await run(w, host, 120);
    const [first] = w.ec2.instances();
    expect(w.clearml.tasks()[0]!.status).toBe('in_progress');
    save();
    w.ec2.interruptSpot(first!.instanceId);
    w.agents.step();
    w.clock.advance(15_000);
    await host.tickNow();
    expect(host.store.getState().events.filter((e) => e.kind === 'requeue')).toHaveLength(1);
    expect(w.clearml.tasks()[0]!.status).toBe('queued');
  });
});

describe('a config of another world starts fresh', () => {
  const changes: [string, (c: Config) => Config][] = [
    ['another ClearML server', (c) => ({ ...c, clearml: { ...c.clearml, apiHost: 'http://127.0.0.1:1' } })],
    ['another AWS region', (c) => ({ ...c, aws: { ...c.aws, region: 'eu-west-1' } })],
    ['another workers prefix', (c) => ({ ...c, scaling: { ...c.scaling, workersPrefix: 'other' } })],
  ];
  it.each(changes)('%s: nothing is taken over', async (_, change) => {
    const w = (world = await startWorld({ queues: ['gpu'] }));
    const config = baseConfig({ clearml: { apiHost: w.clearml.url } });
    const before = w.newEngine(config);
    await before.tick();
    expect(w.newEngine(change(config)).carryFrom(before)).toBe(false);
    expect(w.newEngine({ ...config, scaling: { ...config.scaling, maxIdleMin: 20 } }).carryFrom(before)).toBe(true);
  });
});

describe('a restart on the same data folder', () => {
  it('takes back what the keep-warm rule learnt: a periodic queue is pre-warmed for from its next slot', async () => {
    const { w, host, start } = await saved({ dataDir: true });
    await everyFiveMin(w, host, 6);
    await host.stop();
    const lastId = host.store.getState().events.at(-1)!.id;
    const next = start();
    await everyFiveMin(w, next, 2);
    expect(prewarms(next).filter((e) => e.id > lastId)).toHaveLength(2);
    expect(next.store.getState().events.map((e) => e.message)).toContain(
      'the keep-warm rule goes on with what it learnt before the restart (1 queue; 4 boot times, 6 task durations)',
    );
  });

  it('after a longer gap takes back only the boot and task times, and says so', async () => {
    const { w, host, start } = await saved({ dataDir: true });
    await everyFiveMin(w, host, 3);
    await host.stop();
    w.clock.advance(30 * 60_000);
    const next = start();
    await next.tickNow();
    expect(next.store.getState().events.map((e) => e.message)).toContain(
      'the keep-warm rule takes back the 1 boot time, 3 task durations it learnt before; the app was off for 30 min, so when tasks arrive is learnt again',
    );
  });

  it('drops a bad learnt time from keep-warm.json, not the whole memory', async () => {
    const { w, host, start } = await saved({ dataDir: true });
    await everyFiveMin(w, host, 3);
    await host.stop();
    // As an earlier version wrote across a clock step back: a task learnt as lasting -3593 s.
    const file = path.join(w.dir, 'keep-warm.json');
    const kept = JSON.parse(readFileSync(file, 'utf8')) as { queues: Record<string, { durations: number[] }> };
    kept.queues['gpu']!.durations.push(-3592.95);
    writeFileSync(file, JSON.stringify(kept));
    const next = start();
    await next.tickNow();
    expect(existsSync(`${file}.corrupt`)).toBe(false);
    const messages = next.store.getState().events.map((e) => e.message);
    expect(messages.filter((m) => m.includes('could not be read'))).toEqual([]);
    expect(messages.some((m) => /1 boot times?, 3 task durations/.test(m))).toBe(true);
  });

  it('sets an unreadable keep-warm.json aside, says so and starts learning again', async () => {
    const { w, host, start } = await saved({ dataDir: true });
    await host.stop();
    const file = path.join(w.dir, 'keep-warm.json');
    writeFileSync(file, '{"version": 1, "boots": "many"');
    const next = start();
    await next.tickNow();
    expect(existsSync(`${file}.corrupt`)).toBe(true);
    expect(
      next.store
        .getState()
        .events.some((e) => e.message.startsWith(`the keep-warm memory in ${file} could not be read`)),
    ).toBe(true);
    await next.stop();
    expect(existsSync(file)).toBe(true);
  });
});
