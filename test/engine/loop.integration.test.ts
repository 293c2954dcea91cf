// The engine end to end: real clients over HTTP against the ClearML and EC2 emulators, agents simulated on the
// instances, virtual time. Each test is one of issue 3's "done when" scenarios.
import { GPU_OVER_TWO_RESOURCES, addTasks } from '../fixtures/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import { parseUserDataMarkers } from '../../electron/engine/emulators/seams.js';
import { TAG } from '../../electron/engine/ports.js';
import { makeConfig, spotGpuWithFallback } from './fixtures.js';
import { startWorld, type World } from './world.js';

let world: World | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

describe('engine loop against the emulators', () => {
  it('3 tasks on a queue capped at 2 → exactly 2 tagged instances that run them, then scale to zero', async () => {
    world = await startWorld();
    const config = makeConfig({ scaling: { workersPrefix: 'dyn', maxIdleMin: 5, maxSpinUpMin: 30 } });
    world.clearml.createQueue('gpu');
    world.clearml.createQueue('cpu');
    for (let i = 0; i < 3; i++) world.clearml.addTask({ name: `train-${i}`, queue: 'gpu', durationSec: 300 });
    const engine = world.newEngine(config);

    await world.run(engine, 15);
    const launched = world.ec2.instances();
    expect(launched).toHaveLength(2);
    for (const inst of launched) {
      expect(inst.tags).toMatchObject({ [TAG.prefix]: 'dyn', [TAG.queue]: 'gpu', [TAG.resource]: 'gpu_a' });
      expect(inst.tags.Name).toBeTruthy();
      expect(inst.market).toBe('spot');
      expect(parseUserDataMarkers(inst.userData)).toEqual({
        workerIdPrefix: 'dyn:gpu_a:g4dn.xlarge',
        queue: 'gpu',
        queuePollSec: 2,
      });
    }

    // Boot (60 s) + three 300 s tasks on two workers (the third starts after the first finishes).
    await world.run(engine, 60 + 300 + 300 + 60);
    expect(world.clearml.tasks().filter((t) => t.status === 'completed')).toHaveLength(3);
    expect(world.ec2.instances()).toHaveLength(2); // never a third launch

    // Idle for more than 5 min → both terminated, their workers unregistered.
    await world.run(engine, 6 * 60 + 30);
    expect(world.live()).toHaveLength(0);
    await world.run(engine, 30);
    expect(world.clearml.workers().filter((w) => w.id.startsWith('dyn:'))).toHaveLength(0);
  });

  it('a queue with two resources and need 3 gets exactly 3 launches', async () => {
    world = await startWorld();
    const config = makeConfig({
      queues: GPU_OVER_TWO_RESOURCES,
    });
    world.clearml.createQueue('gpu');
    addTasks(world.clearml, 'gpu', 3, 600);
    const engine = world.newEngine(config);
    await world.run(engine, 10 * 60);
    const byResource = world.ec2
      .instances()
      .map((i) => i.tags[TAG.resource])
      .sort();
    expect(byResource).toEqual(['gpu_a', 'gpu_a', 'gpu_b']);
  });

  it('an engine killed and restarted mid-way adopts instances: no duplicate launch, none forgotten', async () => {
    world = await startWorld();
    const config = makeConfig({ scaling: { workersPrefix: 'dyn', maxIdleMin: 2 } });
    world.clearml.createQueue('gpu');
    world.clearml.createQueue('cpu');
    addTasks(world.clearml, 'gpu', 2, 240);
    const first = world.newEngine(config);
    await world.run(first, 15); // launched, still booting
    expect(world.ec2.instances()).toHaveLength(2);

    const second = world.newEngine(config); // the first is gone with its memory
    await world.run(second, 45);
    expect(world.ec2.instances()).toHaveLength(2);
    await world.run(second, 4 * 60 + 3 * 60);
    expect(world.clearml.tasks().every((t) => t.status === 'completed')).toBe(true);
    expect(world.live()).toHaveLength(0); // the adopted instances were scaled down too
  });

  it('terminates an instance that never registers after the spin-up time', async () => {
    world = await startWorld({ bootSec: 10_000 }); // the agent never comes up in time
    const config = makeConfig({ scaling: { workersPrefix: 'dyn', maxSpinUpMin: 10 } });
    world.clearml.createQueue('gpu');
    world.clearml.addTask({ name: 't', queue: 'gpu', durationSec: 60 });
    const engine = world.newEngine(config);
    await world.run(engine, 9 * 60);
    expect(world.live()).toHaveLength(1);
    await world.run(engine, 2 * 60);
    const first = world.ec2.instances()[0]!;
    expect(first.state === 'shutting-down' || first.state === 'terminated').toBe(true);
  });

  it('never terminates a busy worker, even long past the idle limit', async () => {
    world = await startWorld();
    const config = makeConfig({ scaling: { workersPrefix: 'dyn', maxIdleMin: 1 } });
    world.clearml.createQueue('gpu');
    world.clearml.addTask({ name: 'long', queue: 'gpu', durationSec: 3 * 3600 });
    const engine = world.newEngine(config);
    await world.run(engine, 2 * 3600, 60);
    expect(world.live()).toHaveLength(1);
    expect(world.clearml.tasks()[0]!.status).toBe('in_progress');
  });

  it('spot capacity error → the next subnet, then on-demand with a new client token', async () => {
    world = await startWorld();
    const config = makeConfig({
      resources: {
        gpu_a: spotGpuWithFallback(),
      },
      queues: { gpu: [{ resource: 'gpu_a', maxInstances: 1 }] },
    });
    world.clearml.createQueue('gpu');
    world.clearml.addTask({ name: 't', queue: 'gpu', durationSec: 60 });
    world.ec2.faults.push({ action: 'RunInstances', code: 'InsufficientInstanceCapacity', count: 2 });
    const engine = world.newEngine(config);
    const r = await engine.tick();
    expect(r.launched).toHaveLength(1);
    const inst = world.ec2.instances()[0]!;
    expect(inst.market).toBe('on-demand');
    expect(world.ec2.calls.byAction.RunInstances).toBe(3);
    // Said where the launch is told, with when spot comes back, not left for the user to find in Instances.
    const launch = world.store.getState().events.find((e) => e.kind === 'launch');
    expect(launch?.message).toMatch(
      /; on-demand, not spot: no spot capacity in any configured placement; spot is tried again in 10 min$/,
    );
  });

  it('under sustained throttling the engine makes fewer EC2 calls, not more', async () => {
    world = await startWorld();
    const config = makeConfig();
    world.clearml.createQueue('gpu');
    world.clearml.createQueue('cpu');
    addTasks(world.clearml, 'cpu', 20, 600);
    world.ec2.faults.push({ code: 'RequestLimitExceeded', count: 1_000_000 });
    const engine = world.newEngine(config);
    const callsIn = async (minutes: number) => {
      const before = world!.ec2.calls.total;
      await world!.run(engine, minutes * 60, 15);
      return world!.ec2.calls.total - before;
    };
    const early = await callsIn(5);
    const late = await callsIn(5);
    expect(early).toBeGreaterThan(0);
    expect(late).toBeLessThanOrEqual(early);
    expect(world.ec2.instances()).toHaveLength(0);
  });

  it('holds when ClearML cannot be read: nothing is terminated on stale data', async () => {
    world = await startWorld();
    const config = makeConfig({ scaling: { workersPrefix: 'dyn', maxIdleMin: 1 } });
    world.clearml.createQueue('gpu');
    world.clearml.createQueue('cpu');
    world.clearml.addTask({ name: 't', queue: 'gpu', durationSec: 60 });
    const engine = world.newEngine(config);
    await world.run(engine, 3 * 60);
    expect(world.live()).toHaveLength(1); // task done, worker idle, not yet past the limit
    world.clearml.faults.inject({ status: 500, count: 1_000_000 });
    await world.run(engine, 10 * 60);
    expect(world.live()).toHaveLength(1);
    expect(world.store.getState().status).toBe('error');
  });

  it('a spot loss requeues the task and launches its replacement on-demand, the next launches spot again', async () => {
    world = await startWorld();
    const config = makeConfig({ queues: { gpu: [{ resource: 'gpu_a', maxInstances: 5 }] } });
    world.clearml.createQueue('gpu');
    world.clearml.addTask({ name: 'train', queue: 'gpu', durationSec: 3600 });
    const engine = world.newEngine(config);
    await world.run(engine, 120);
    const first = world.ec2.instances()[0]!;
    expect(first.market).toBe('spot');
    expect(world.clearml.tasks()[0]!.status).toBe('in_progress');

    world.ec2.interruptSpot(first.instanceId);
    world.agents.step();
    await world.run(engine, 30);
    const task = world.clearml.tasks()[0]!;
    expect(['queued', 'in_progress']).toContain(task.status);
    expect(world.store.getState().events.some((e) => e.kind === 'requeue')).toBe(true);
    const replacement = world.ec2.instances().filter((i) => i.instanceId !== first.instanceId);
    expect(replacement.map((i) => i.market)).toEqual(['on-demand']);
    const told = world.store.getState().events.find((e) => e.instanceIds?.includes(replacement[0]!.instanceId));
    expect(told?.message).toMatch(
      /; on-demand, not spot: replacing a task lost to a spot interruption \(later launches are spot again\)$/,
    );

    world.clearml.addTask({ name: 'another', queue: 'gpu', durationSec: 600 });
    await world.run(engine, 30);
    const later = world.ec2
      .instances()
      .filter((i) => i.instanceId !== first.instanceId && i.instanceId !== replacement[0]!.instanceId);
    expect(later.map((i) => i.market)).toEqual(['spot']);
  });

  it('with autoscaling off a tick only observes: nothing launched, the snapshot shows what still bills', async () => {
    world = await startWorld();
    const config = makeConfig();
    world.clearml.createQueue('gpu');
    world.clearml.addTask({ name: 't', queue: 'gpu', durationSec: 600 });
    const engine = world.newEngine(config);
    await world.run(engine, 15);
    expect(world.ec2.instances()).toHaveLength(1);
    world.clearml.addTask({ name: 't2', queue: 'gpu', durationSec: 600 });
    world.clearml.addTask({ name: 't3', queue: 'gpu', durationSec: 600 });
    const calls = world.ec2.calls.byAction.RunInstances;
    const r = await engine.tick({ act: false });
    expect(r.launched).toEqual([]);
    expect(world.ec2.calls.byAction.RunInstances).toBe(calls);
    expect(world.store.getState()).toMatchObject({ status: 'off' });
    expect(world.store.getState().instances).toHaveLength(1);
    expect(world.store.getState().costs.burnPerHour).toBeGreaterThan(0);
    // The queue's line says what the plan would do, not that it launched.
    expect(r.held).toBe('off');
    expect(world.store.getState().queues.find((q) => q.name === 'gpu')?.lastDecision).toMatch(
      /^would launch \d × \S+ \(autoscaling is off\): \d+ pending/,
    );
  });

  it('dry run decides but calls nothing that mutates', async () => {
    world = await startWorld();
    const config = makeConfig({ scaling: { workersPrefix: 'dyn', dryRun: true } });
    world.clearml.createQueue('gpu');
    world.clearml.addTask({ name: 't', queue: 'gpu', durationSec: 60 });
    const engine = world.newEngine(config);
    const r = await engine.tick();
    expect(r.plan?.actions.some((a) => a.kind === 'launch')).toBe(true);
    expect(world.ec2.calls.byAction.RunInstances ?? 0).toBe(0);
    expect(world.store.getState().events.some((e) => e.message.startsWith('dry run: would launch'))).toBe(true);
    expect(world.store.getState().queues.find((q) => q.name === 'gpu')?.lastDecision).toMatch(
      /^would launch 1 × \S+ \(dry run\)/,
    );
    expect(world.store.getState().events.some((e) => /^launched/.test(e.message))).toBe(false);
  });
});
