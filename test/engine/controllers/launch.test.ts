import { describe, expect, it } from 'vitest';
import { AuthGate } from '../../../electron/engine/controllers/auth.js';
import { IN_FLIGHT_TTL_MS, LaunchController } from '../../../electron/engine/controllers/launch.js';
import type { ActContext } from '../../../electron/engine/controllers/terminate.js';
import type { NewEvent } from '../../../electron/engine/events.js';
import type { Action } from '../../../electron/engine/policy.js';
import { Ec2Error } from '../../../electron/engine/ports.js';
import { FakeEc2 } from '../../fakes/ec2.js';
import { instance, makeConfig, spotGpuWithFallback, T0 } from '../fixtures.js';

const config = makeConfig({
  resources: {
    gpu_a: spotGpuWithFallback({ subnetIds: [] }),
    cpu: { instanceType: 'm5.large', amiId: 'ami-0123456789abcdef0' },
  },
  queues: { gpu: [{ resource: 'gpu_a', maxInstances: 9 }], cpu: [{ resource: 'cpu', maxInstances: 9 }] },
});

const launch = (queue: string, resource: string, count: number): Action => ({
  kind: 'launch',
  queue,
  resource,
  count,
  reason: { code: 'demand', instanceType: 'x', demand: { pending: count, idle: 0, booting: 0 } },
});

function rig(opts: { concurrency?: number } = {}) {
  const ec2 = new FakeEc2(() => T0);
  const auth = new AuthGate();
  const events: NewEvent[] = [];
  const c = new LaunchController(
    { ec2, userData: () => '#!/bin/sh', launchConcurrency: opts.concurrency, newClientToken: tokens() },
    auth,
  );
  const ctx = (): ActContext => ({ now: T0, emit: (e) => events.push(e), errors: [] });
  return { ec2, auth, events, c, ctx };
}

function tokens() {
  let n = 0;
  return () => `tok-${n++}`;
}

describe('LaunchController', () => {
  it('launches the count, remembers each launch as in flight and logs one event per action', async () => {
    const { c, ec2, events, ctx } = rig({ concurrency: 2 });
    const ids = await c.act([launch('cpu', 'cpu', 3)], config, ctx());
    expect(ids).toHaveLength(3);
    expect(ec2.launches).toHaveLength(3);
    expect(c.inFlight.map((f) => f.instanceId)).toEqual(ids);
    expect(events).toEqual([expect.objectContaining({ kind: 'launch', queue: 'cpu', count: 3, instanceIds: ids })]);
    expect(events[0]!.message).toBe(`launched 3 × m5.large on 'cpu' (${ids.join(', ')}): 3 pending, 0 idle, 0 booting`);
  });

  it('says on the event how many tasks a pre-warm launched ahead of, and nothing on a launch for pending tasks', async () => {
    const { c, events, ctx } = rig();
    const ahead: Action = {
      kind: 'launch',
      queue: 'cpu',
      resource: 'cpu',
      count: 2,
      reason: { code: 'demand', instanceType: 'x', demand: { pending: 0, prewarm: 2, idle: 0, booting: 0 } },
    };
    await c.act([ahead, launch('gpu', 'gpu_a', 1)], config, ctx());
    expect(events.map((e) => [e.queue, e.prewarm])).toEqual([
      ['cpu', 2],
      ['gpu', undefined],
    ]);
    expect(events[0]!.message).toMatch(/: 0 pending \(2 expected: pre-warm\), 0 idle, 0 booting$/);
    // A failed pre-warm says so too: its instance may exist (a lost response) and turn up later.
    const failing = rig();
    failing.ec2.failNext('runInstance', new Ec2Error('invalid', 'InvalidAMIID.NotFound', 'no such image'));
    await failing.c.act([{ ...ahead, count: 1 }], config, failing.ctx());
    expect(failing.events.map((e) => [e.kind, e.prewarm])).toEqual([['launch-failed', 2]]);
  });

  it('forgets an in-flight launch once EC2 lists it, or after the TTL', () => {
    const { c } = rig();
    c.seedInFlight([
      { queue: 'cpu', resource: 'cpu', instanceId: 'i-00000001', at: T0 },
      { queue: 'cpu', resource: 'cpu', instanceId: null, at: T0 },
    ]);
    c.prune([instance('cpu', 'cpu', { instanceId: 'i-00000001' })], T0 + 1000);
    expect(c.inFlight).toHaveLength(1);
    c.prune([], T0 + IN_FLIGHT_TTL_MS);
    expect(c.inFlight).toHaveLength(0);
  });

  it('a capacity error everywhere cools the (queue, resource) down and says so', async () => {
    const { c, ec2, ctx } = rig();
    ec2.noCapacity.add('default|on-demand');
    const x = ctx();
    expect(await c.act([launch('cpu', 'cpu', 1)], config, x)).toEqual([]);
    expect([...c.coolingAt(T0)]).toEqual(['cpu|cpu']);
    expect(x.errors[0]).toMatch(
      /^no capacity for m5.large \(cpu\) in any configured placement: .*'cpu' will use its next resource for 10 min$/,
    );
    // The capacity text is a sentence of its own, whatever it ends with: never "….;".
    expect(x.errors[0]).toMatch(/[^.;]\. 'cpu' will use/);
    const quota = rig();
    quota.ec2.failNext('runInstance', Object.assign(new Error('x'), { name: 'VcpuLimitExceeded' }));
    const y = quota.ctx();
    await quota.c.act([launch('cpu', 'cpu', 1)], config, y);
    expect(y.errors[0]).toMatch(/lower max instances\. 'cpu' will use its next resource for 10 min$/);
    c.prune([], T0 + 10 * 60_000);
    expect([...c.coolingAt(T0 + 10 * 60_000)]).toEqual([]);
  });

  it("takes over the engine before's launches in flight (each counted once), cool-downs of unchanged resources and credits", async () => {
    const before = rig();
    before.ec2.noCapacity.add('default|on-demand');
    await before.c.act([launch('cpu', 'cpu', 1)], config, before.ctx());
    before.ec2.noCapacity.clear();
    const [id] = await before.c.act([launch('gpu', 'gpu_a', 1)], config, before.ctx());
    before.c.grantOnDemandCredit('gpu', T0);
    expect([...before.c.coolingAt(T0)]).toEqual(['cpu|cpu']);

    const next = rig();
    // The launch journal's recovery seeds the same launch again: still one in flight.
    next.c.carryFrom(before.c, () => true);
    next.c.seedInFlight([{ queue: 'gpu', resource: 'gpu_a', instanceId: id!, at: T0 }]);
    expect(next.c.inFlight.map((f) => f.instanceId)).toEqual([id]);
    expect([...next.c.coolingAt(T0)]).toEqual(['cpu|cpu']);
    await next.c.act([launch('gpu', 'gpu_a', 1)], config, next.ctx());
    expect(next.ec2.launches.map((l) => l.market)).toEqual(['on-demand']);

    // A resource defined otherwise now (another type, other placements) is tried at once.
    const changed = rig();
    changed.c.carryFrom(before.c, (r) => r !== 'cpu');
    expect([...changed.c.coolingAt(T0)]).toEqual([]);
    expect(changed.c.inFlight).toHaveLength(1);
  });

  it('an auth refusal blocks the gate and stops every later launch action', async () => {
    const { c, ec2, auth, ctx } = rig();
    ec2.failNext('runInstance', new Ec2Error('auth', 'UnauthorizedOperation', 'not allowed'));
    const x = ctx();
    expect(await c.act([launch('cpu', 'cpu', 1), launch('gpu', 'gpu_a', 1)], config, x)).toEqual([]);
    expect(auth.blockedAt(T0)).toMatch(/^AWS refused the request \(UnauthorizedOperation\)/);
    expect(ec2.callsOf('runInstance')).toHaveLength(1);
  });

  it('after a spot loss, one replacement per credit launches on-demand, then spot again', async () => {
    const { c, ec2, ctx } = rig();
    c.grantOnDemandCredit('gpu', T0);
    await c.act([launch('gpu', 'gpu_a', 2)], config, ctx());
    expect(ec2.launches.map((l) => l.market)).toEqual(['on-demand', 'spot']);
    await c.act([launch('gpu', 'gpu_a', 1)], config, ctx());
    expect(ec2.launches.at(-1)?.market).toBe('spot');
  });

  it('credits expire after 30 minutes', async () => {
    const { c, ec2, ctx } = rig();
    c.grantOnDemandCredit('gpu', T0 - 30 * 60_000);
    await c.act([launch('gpu', 'gpu_a', 1)], config, ctx());
    expect(ec2.launches.map((l) => l.market)).toEqual(['spot']);
  });

  it('journals every attempt before it is sent and its outcome after', async () => {
    const ec2 = new FakeEc2(() => T0);
    const log: string[] = [];
    const c = new LaunchController(
      {
        ec2,
        userData: () => '',
        newClientToken: tokens(),
        beforeLaunchAttempt: async (i) => void log.push(`before ${i.clientToken} ${i.queue}`),
        afterLaunch: async (i, r) => void log.push(`after ${i.clientToken} ${'instanceId' in r ? 'ok' : r.error}`),
      },
      new AuthGate(),
    );
    await c.act([launch('cpu', 'cpu', 1)], config, { now: T0, emit: () => undefined, errors: [] });
    expect(log).toEqual(['before tok-0 cpu', 'after tok-0 ok']);
  });
});
