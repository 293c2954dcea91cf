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

  it('sweeps for tasks of workers ClearML dropped on the first run, then every 10 min; after a failure in a minute', async () => {
    const { c, clearml, events, emit } = rig();
    const gone = instance('gpu', 'gpu_a');
    const dropped = workerFor(gone, 'task-9');
    // Started and lost while autoscaling was off: the controller never saw it busy, ClearML no longer lists it.
    clearml.addTask({ id: 'task-9', name: 't', status: 'in_progress', queueId: 'q-gpu', lastWorker: dropped.id });
    const at = (sec: number) => c.run(obs([], [], T0 + sec * 1000), 'dyn', new Map(), emit);
    await at(0);
    expect(clearml.callsOf('requeueTask')).toEqual([
      [
        'task-9',
        'q-gpu',
        `clearml-tray-autoscaler: its instance ${gone.instanceId} is gone and ClearML no longer lists its worker`,
      ],
    ]);
    await at(15);
    await at(599);
    expect(clearml.callsOf('inProgressTasks')).toHaveLength(1);
    await at(600);
    expect(clearml.callsOf('inProgressTasks')).toHaveLength(2);
    clearml.failNext('inProgressTasks', new Error('502'));
    await at(1200);
    expect(events.at(-1)!.message).toBe(
      'running tasks could not be checked for workers ClearML no longer lists, retrying in 60 s: 502',
    );
    await at(1215);
    expect(clearml.callsOf('inProgressTasks')).toHaveLength(3);
    await at(1260);
    expect(clearml.callsOf('inProgressTasks')).toHaveLength(4);
  });
});
