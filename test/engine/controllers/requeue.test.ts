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

/** EC2 asked by id (terminated ones included): these instances, whatever ids are asked; each call recorded. */
function byId(...known: InstanceObs[]) {
  const asked: string[][] = [];
  let failure: Error | null = null;
  return {
    asked,
    failNext: (e: Error) => void (failure = e),
    async describeInstancesById(ids: readonly string[]): Promise<InstanceObs[]> {
      asked.push([...ids]);
      const e = failure;
      failure = null;
      if (e) throw e;
      return known.filter((i) => ids.includes(i.instanceId));
    },
  };
}

function rig(ec2: ReturnType<typeof byId> = byId()) {
  const clearml = new FakeClearml().addQueue(queue('gpu', 0));
  const events: NewEvent[] = [];
  const c = new RequeueController(clearml, ec2);
  return { clearml, events, c, ec2, emit: (e: NewEvent) => void events.push(e) };
}

describe('RequeueController', () => {
  it('returns the task of a busy spot instance that vanished to its queue, and asks for an on-demand replacement', async () => {
    const i = instance('gpu', 'gpu_a', { market: 'spot' });
    // Gone from the listing: EC2, asked by id, says AWS took it back.
    const { c, clearml, events, emit } = rig(
      byId({ ...i, state: 'terminated', stateReasonCode: 'Server.SpotInstanceTermination' }),
    );
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

  it('a busy spot instance a user terminated is not called interrupted, nor replaced on-demand', async () => {
    const i = instance('gpu', 'gpu_a', { market: 'spot' });
    const { c, clearml, events, emit } = rig(
      byId({ ...i, state: 'terminated', stateReasonCode: 'Client.UserInitiatedShutdown' }),
    );
    const w = workerFor(i, 'task-1');
    clearml.addTask({ id: 'task-1', name: 't', status: 'in_progress', queueId: null, lastWorker: w.id });
    await c.run(obs([i], [w]), 'dyn', new Map(), emit);
    const out = await c.run(obs([], [w], T0 + 15_000), 'dyn', new Map(), emit);
    expect(out.spotLosses).toEqual([]);
    expect(events.map((e) => e.message)).toEqual([
      `task task-1 returned to 'gpu': its instance ${i.instanceId} was terminated outside the app (EC2: Client.UserInitiatedShutdown)`,
    ]);
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

  describe('an instance missing from the listing is looked up by id first', () => {
    const setup = (ec2: ReturnType<typeof byId>) => {
      const r = rig(ec2);
      r.clearml.addTask({ id: 'task-1', name: 't', status: 'in_progress', queueId: null, lastWorker: w.id });
      return r;
    };
    const i = instance('gpu', 'gpu_a');
    const w = workerFor(i, 'task-1');

    it('running by id: nothing requeued or unregistered, and it is handed back as listed', async () => {
      const { c, clearml, events, emit, ec2 } = setup(byId(i));
      await c.run(obs([i], [w]), 'dyn', new Map(), emit);
      const out = await c.run(obs([], [w], T0 + 15_000), 'dyn', new Map(), emit);
      expect(ec2.asked).toEqual([[i.instanceId]]);
      expect(out.unlisted).toEqual([i]);
      expect(clearml.callsOf('requeueTask')).toEqual([]);
      expect(clearml.callsOf('unregisterWorker')).toEqual([]);
      expect(events.map((e) => e.message)).toEqual([
        `1 busy instance missing from EC2's listing is still running by id (${i.instanceId}): its task was left alone`,
      ]);
      // Still remembered as busy: lost for real later, it is requeued then.
      const gone = rig(byId({ ...i, state: 'terminated' }));
      gone.clearml.addTask({ id: 'task-1', name: 't', status: 'in_progress', queueId: null, lastWorker: w.id });
      gone.c.carryFrom(c);
      await gone.c.run(obs([], [w], T0 + 30_000), 'dyn', new Map(), gone.emit);
      expect(gone.clearml.callsOf('requeueTask')).toHaveLength(1);
    });

    it('terminated, shutting down or stopped by id: requeued as before', async () => {
      for (const state of ['terminated', 'shutting-down', 'stopped'] as const) {
        const { c, clearml, emit } = setup(byId({ ...i, state }));
        await c.run(obs([i], [w]), 'dyn', new Map(), emit);
        await c.run(obs([], [w], T0 + 15_000), 'dyn', new Map(), emit);
        expect(clearml.callsOf('requeueTask'), state).toHaveLength(1);
        expect(clearml.callsOf('unregisterWorker'), state).toEqual([[w.id]]);
      }
    });

    it('unknown to EC2: requeued only once its worker has gone quiet', async () => {
      const { c, clearml, emit } = setup(byId());
      await c.run(obs([i], [w]), 'dyn', new Map(), emit);
      await c.run(obs([], [w], T0 + 15_000), 'dyn', new Map(), emit);
      expect(clearml.callsOf('requeueTask')).toEqual([]);
      await c.run(obs([], [w], T0 + 90_000), 'dyn', new Map(), emit);
      expect(clearml.callsOf('requeueTask')).toHaveLength(1);
    });

    it('when the lookup fails, nothing is requeued until it succeeds', async () => {
      const { c, clearml, events, emit, ec2 } = setup(byId({ ...i, state: 'terminated' }));
      await c.run(obs([i], [w]), 'dyn', new Map(), emit);
      ec2.failNext(new Error('socket hang up'));
      await c.run(obs([], [], T0 + 15_000), 'dyn', new Map(), emit);
      expect(clearml.callsOf('requeueTask')).toEqual([]);
      expect(events.at(-1)!.message).toBe(
        `busy instances missing from EC2's listing (${i.instanceId}) could not be looked up by id, so their tasks are left alone; retrying next tick: socket hang up`,
      );
      await c.run(obs([], [], T0 + 30_000), 'dyn', new Map(), emit);
      expect(clearml.callsOf('requeueTask')).toHaveLength(1);
    });

    it('a listing that loses every busy instance at once is said to be suspect', async () => {
      const j = instance('gpu', 'gpu_a');
      const wj = workerFor(j, 'task-2');
      const { c, events, emit } = setup(byId(i, j));
      await c.run(obs([i, j], [w, wj]), 'dyn', new Map(), emit);
      await c.run(obs([], [w, wj], T0 + 15_000), 'dyn', new Map(), emit);
      expect(events[0]!.message).toBe(
        "EC2's listing left out every busy instance of ours (2) at once: suspect (a proxy, a truncated reply, a changed prefix tag); each is looked up by id before its task is requeued",
      );
    });
  });
});
