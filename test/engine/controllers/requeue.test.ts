import { describe, expect, it } from 'vitest';
import type { Observation } from '../../../electron/engine/controllers/observe.js';
import { RequeueController } from '../../../electron/engine/controllers/requeue.js';
import type { NewEvent } from '../../../electron/engine/events.js';
import type { InstanceObs, WorkerObs } from '../../../electron/engine/ports.js';
import { FakeClearml } from '../../fakes/clearml.js';
import { instance, queue, T0, workerFor } from '../fixtures.js';

const obs = (instances: InstanceObs[], workers: WorkerObs[], now = T0): Observation => ({
  now,
  clearmlOk: true,
  queues: [queue('gpu', 0)],
  workers,
  instances,
});

function rig() {
  const clearml = new FakeClearml().addQueue(queue('gpu', 0));
  const events: NewEvent[] = [];
  const c = new RequeueController(clearml);
  return { clearml, events, c, emit: (e: NewEvent) => void events.push(e) };
}

describe('RequeueController', () => {
  it('returns the task of a busy spot instance that vanished to its queue, and asks for an on-demand replacement', async () => {
    const { c, clearml, events, emit } = rig();
    const i = instance('gpu', 'gpu_a', { market: 'spot' });
    const w = workerFor(i, 'task-1');
    clearml.addTask({ id: 'task-1', name: 't', status: 'in_progress', queueId: null, lastWorker: w.id });
    await c.run(obs([i], [w]), 'dyn', new Map(), emit);
    const out = await c.run(obs([], [w], T0 + 15_000), 'dyn', new Map(), emit);
    expect(out.spotLosses).toEqual(['gpu']);
    expect(clearml.callsOf('requeueTask')).toEqual([
      ['task-1', 'q-gpu', 'clearml-tray-autoscaler: its spot instance was interrupted'],
    ]);
    expect(clearml.workers.has(w.id)).toBe(false);
    expect(events.map((e) => e.message)).toEqual(["task task-1 returned to 'gpu': its spot instance was interrupted"]);
  });

  it('leaves alone what we terminated ourselves', async () => {
    const { c, clearml, emit } = rig();
    const i = instance('gpu', 'gpu_a');
    const w = workerFor(i, 'task-1');
    clearml.addTask({ id: 'task-1', name: 't', status: 'in_progress', queueId: null, lastWorker: w.id });
    await c.run(obs([i], [w]), 'dyn', new Map(), emit);
    await c.run(obs([], [w]), 'dyn', new Map([[i.instanceId, T0]]), emit);
    expect(clearml.callsOf('requeueTask')).toEqual([]);
  });

  it('does not requeue a task ClearML no longer has in progress on that worker', async () => {
    const { c, clearml, emit } = rig();
    const i = instance('gpu', 'gpu_a');
    const w = workerFor(i, 'task-1');
    clearml.addTask({ id: 'task-1', name: 't', status: 'completed', queueId: null, lastWorker: w.id });
    await c.run(obs([i], [w]), 'dyn', new Map(), emit);
    const out = await c.run(obs([], []), 'dyn', new Map(), emit);
    expect(out.spotLosses).toEqual([]);
    expect(clearml.callsOf('requeueTask')).toEqual([]);
  });

  it('when the tasks cannot be checked, it retries on the next tick', async () => {
    const { c, clearml, events, emit } = rig();
    const i = instance('gpu', 'gpu_a');
    const w = workerFor(i, 'task-1');
    clearml.addTask({ id: 'task-1', name: 't', status: 'in_progress', queueId: null, lastWorker: w.id });
    await c.run(obs([i], [w]), 'dyn', new Map(), emit);
    clearml.failNext('getTasks', new Error('502'));
    await c.run(obs([], []), 'dyn', new Map(), emit);
    expect(events[0]!.message).toBe("lost instances' tasks could not be checked, retrying next tick: 502");
    await c.run(obs([], []), 'dyn', new Map(), emit);
    expect(clearml.callsOf('requeueTask')).toHaveLength(1);
  });
});
