import { describe, expect, it } from 'vitest';
import { AuthGate } from '../../../electron/engine/controllers/auth.js';
import { IdleTracker } from '../../../electron/engine/controllers/idle.js';
import {
  MAX_UNREGISTER_PER_TICK,
  TerminateController,
  type ActContext,
} from '../../../electron/engine/controllers/terminate.js';
import type { NewEvent } from '../../../electron/engine/events.js';
import type { Action } from '../../../electron/engine/policy.js';
import { Ec2Error, TAG, type InstanceObs } from '../../../electron/engine/ports.js';
import { FakeClearml } from '../../fakes/clearml.js';
import { FakeEc2 } from '../../fakes/ec2.js';
import { instance, makeConfig, T0, workerFor } from '../fixtures.js';

const config = makeConfig();

function idleTerm(i: InstanceObs, recheckIdle = true): Action {
  return {
    kind: 'terminate',
    instanceId: i.instanceId,
    workerId: workerFor(i).id,
    queue: i.tags[TAG.queue]!,
    resource: i.tags[TAG.resource]!,
    why: 'idle',
    recheckIdle,
    reason: { code: 'idle', queue: i.tags[TAG.queue]!, idleSec: 960, maxIdleSec: 900 },
  };
}

function rig() {
  const ec2 = new FakeEc2();
  const clearml = new FakeClearml();
  const idle = new IdleTracker();
  const auth = new AuthGate();
  const events: NewEvent[] = [];
  const c = new TerminateController({ ec2, clearml }, idle, auth);
  const ctx: ActContext = { now: T0, emit: (e) => events.push(e), errors: [] };
  return { ec2, clearml, auth, events, c, ctx };
}

describe('TerminateController', () => {
  it('terminates idle instances in one call, unregisters their workers and logs one event per queue', async () => {
    const { c, ec2, clearml, events, ctx } = rig();
    const a = ec2.add(instance('gpu', 'gpu_a'));
    const b = ec2.add(instance('gpu', 'gpu_a'));
    clearml.addWorker(workerFor(a)).addWorker(workerFor(b));
    expect(await c.act([idleTerm(a), idleTerm(b)], config, ctx)).toEqual([a.instanceId, b.instanceId]);
    expect(ec2.callsOf('terminateInstances')).toEqual([[[a.instanceId, b.instanceId]]]);
    expect(clearml.workers.size).toBe(0);
    expect(events).toHaveLength(1);
    expect(events[0]!.message).toBe(
      "terminated 2 instances on 'gpu': idle for 16 min (limit 15 min) and no pending task on 'gpu'",
    );
    expect(c.terminatedByUs.get(a.instanceId)).toBe(T0);
  });

  it('keeps an instance whose worker picked up a task since the observation', async () => {
    const { c, ec2, clearml, ctx } = rig();
    const a = ec2.add(instance('gpu', 'gpu_a'));
    clearml.addWorker(workerFor(a, 'task-1'));
    expect(await c.act([idleTerm(a)], config, ctx)).toEqual([]);
    expect(ec2.callsOf('terminateInstances')).toEqual([]);
  });

  it('keeps every re-checked instance when the re-check fails, but not the others', async () => {
    const { c, ec2, clearml, ctx } = rig();
    const a = ec2.add(instance('gpu', 'gpu_a'));
    const b = ec2.add(instance('gpu', 'gpu_a'));
    clearml.failNext('listWorkers', new Error('timeout'));
    expect(await c.act([idleTerm(a), idleTerm(b, false)], config, ctx)).toEqual([b.instanceId]);
    expect(ctx.errors).toEqual(['idle re-check failed, idle instances kept: timeout']);
  });

  it('an auth refusal on terminate closes the auth gate', async () => {
    const { c, ec2, auth, ctx, events } = rig();
    const a = ec2.add(instance('gpu', 'gpu_a'));
    ec2.failNext('terminateInstances', new Ec2Error('auth', 'AuthFailure', 'bad keys'));
    expect(await c.act([idleTerm(a, false)], config, ctx)).toEqual([]);
    expect(auth.blockedAt(0)).toMatch(/AuthFailure/);
    expect(events[0]).toMatchObject({ level: 'error', kind: 'error', instanceIds: [a.instanceId] });
  });

  it('marks orphans with one tag call, and unregisters zombie workers', async () => {
    const { c, ec2, clearml, ctx, events } = rig();
    const o = ec2.add(instance('nope', 'nope'));
    clearml.addWorker({ ...workerFor(o), id: 'dyn:cpu:m5.large:i-0000dead' });
    await c.act(
      [
        { kind: 'mark-orphan', instanceId: o.instanceId, reason: { code: 'orphan-found', note: null } },
        {
          kind: 'unregister',
          workerId: 'dyn:cpu:m5.large:i-0000dead',
          reason: { code: 'worker-gone', instanceId: 'i-0000dead' },
        },
      ],
      config,
      ctx,
    );
    expect(ec2.instances.get(o.instanceId)?.tags[TAG.orphanSince]).toBe(String(T0));
    expect(clearml.workers.size).toBe(0);
    expect(events.map((e) => e.message)).toEqual([
      'orphan: unexplained; it will be terminated on a later tick if still unexplained',
      "unregistered worker dyn:cpu:m5.large:i-0000dead: worker's instance i-0000dead is gone",
    ]);
  });

  const zombie = (k: number): Action => ({
    kind: 'unregister',
    workerId: `dyn:cpu:m5.large:i-dead${String(k).padStart(4, '0')}`,
    reason: { code: 'worker-gone', instanceId: `i-dead${String(k).padStart(4, '0')}` },
  });
  it.each([
    // terminated, zombie workers → unregistered of each this tick
    { terminated: 2, zombies: 1, unregistered: [2, 1] },
    { terminated: 5, zombies: 30, unregistered: [5, MAX_UNREGISTER_PER_TICK - 5] },
    // A big account's tick: 1,000 idle instances go in one TerminateInstances call, not 1,000 more ClearML calls.
    { terminated: 1000, zombies: 10, unregistered: [MAX_UNREGISTER_PER_TICK, 0] },
  ])(
    'unregisters at most MAX_UNREGISTER_PER_TICK workers a tick: $terminated terminated, $zombies of gone instances',
    async ({ terminated, zombies, unregistered }) => {
      const { c, ec2, clearml, ctx } = rig();
      const gone = Array.from({ length: terminated }, () => ec2.add(instance('gpu', 'gpu_a')));
      for (const i of gone) clearml.addWorker(workerFor(i));
      const actions = [...gone.map((i) => idleTerm(i, false)), ...Array.from({ length: zombies }, (_, k) => zombie(k))];
      expect(await c.act(actions, config, ctx)).toHaveLength(terminated);
      expect(ec2.callsOf('terminateInstances')).toHaveLength(Math.ceil(terminated / 1000));
      const calls = clearml.callsOf('unregisterWorker').map(([id]) => String(id));
      expect([
        calls.filter((id) => !id.includes('i-dead')).length,
        calls.filter((id) => id.includes('i-dead')).length,
      ]).toEqual(unregistered);
    },
  );

  it('terminateNow only touches our instances, and forgets them an hour after EC2 stops listing them', async () => {
    const { c, ec2, events } = rig();
    const a = ec2.add(instance('gpu', 'gpu_a'));
    const done = await c.terminateNow(
      [a.instanceId, 'i-0000beef'],
      'asked',
      [a],
      () => T0,
      (e) => events.push(e),
    );
    expect(done).toEqual([a.instanceId]);
    expect(events[0]!.message).toBe('terminated 1 instance: asked');
    c.prune([], T0 + 3600_000);
    expect(c.terminatedByUs.has(a.instanceId)).toBe(true);
    c.prune([], T0 + 3600_001);
    expect(c.terminatedByUs.has(a.instanceId)).toBe(false);
  });
});
