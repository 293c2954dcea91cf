import { describe, expect, it } from 'vitest';
import { ArrivalForecast } from '../../../electron/engine/controllers/forecast.js';
import { IdleTracker } from '../../../electron/engine/controllers/idle.js';
import { leasesDue, renewLeases } from '../../../electron/engine/controllers/lease.js';
import type { Observation } from '../../../electron/engine/controllers/observe.js';
import { TAG, type InstanceObs, type WorkerObs } from '../../../electron/engine/ports.js';
import { FakeEc2 } from '../../fakes/ec2.js';
import { instance, makeConfig, queue, T0, workerFor } from '../fixtures.js';

const obs = (instances: InstanceObs[], workers: WorkerObs[], now = T0): Observation => ({
  now,
  clearmlOk: true,
  queues: [],
  workers,
  instances,
});

describe('IdleTracker', () => {
  it('starts a timer at the first idle sighting and keeps it while idle', () => {
    const t = new IdleTracker();
    const i = instance('gpu', 'gpu_a');
    t.observe(obs([i], [workerFor(i)], T0), 'dyn');
    t.observe(obs([i], [workerFor(i)], T0 + 60_000), 'dyn');
    expect(t.idleSince.get(i.instanceId)).toBe(T0);
  });

  it.each([
    ['a busy sighting', (i: InstanceObs) => obs([i], [workerFor(i, 'task-1')])],
    ['the worker vanishing', (i: InstanceObs) => obs([i], [])],
    ['the instance vanishing', (i: InstanceObs) => obs([], [workerFor(i)])],
    [
      'a worker of another prefix',
      (i: InstanceObs) => obs([i], [{ ...workerFor(i), id: `other:x:y:${i.instanceId}` }]),
    ],
  ])('resets on %s', (_, next) => {
    const t = new IdleTracker();
    const i = instance('gpu', 'gpu_a');
    t.observe(obs([i], [workerFor(i)]), 'dyn');
    t.observe(next(i), 'dyn');
    expect(t.idleSince.has(i.instanceId)).toBe(false);
  });

  it('forget() restarts one timer', () => {
    const t = new IdleTracker();
    const i = instance('gpu', 'gpu_a');
    t.observe(obs([i], [workerFor(i)], T0), 'dyn');
    t.forget(i.instanceId);
    t.observe(obs([i], [workerFor(i)], T0 + 5000), 'dyn');
    expect(t.idleSince.get(i.instanceId)).toBe(T0 + 5000);
  });
});

describe('ArrivalForecast', () => {
  const windowMs = 15 * 60_000;
  it('counts each task once, from when it was first seen, and forgets it after the window', () => {
    const f = new ArrivalForecast();
    expect(f.expected([queue('gpu', 2)], T0, windowMs).get('gpu')).toBe(2);
    // The same two tasks still pending, one more arrives: three in the window, not five.
    expect(f.expected([queue('gpu', 3)], T0 + 60_000, windowMs).get('gpu')).toBe(3);
    expect(f.expected([queue('gpu', 0)], T0 + windowMs + 120_000, windowMs).get('gpu')).toBe(0);
  });

  it('dates a task that waited longer than the window to the window start', () => {
    const f = new ArrivalForecast();
    expect(f.expected([queue('cpu', 1, 3600)], T0, windowMs).get('cpu')).toBe(1);
    expect(f.expected([queue('cpu', 0)], T0 + 1, windowMs).get('cpu')).toBe(0);
  });
});

describe('lease renewal', () => {
  const lease = { ...makeConfig().lease, enabled: true, leaseMin: 20 };
  const until = (ms: number) => ({ [TAG.lease]: String(Math.floor(ms / 1000)) });

  it.each([
    ['no lease tag', {}, 'running', true],
    ['lease past its half', until(T0 + 9 * 60_000), 'running', true],
    ['lease fresh', until(T0 + 15 * 60_000), 'running', false],
    ['not live', {}, 'shutting-down', false],
  ] as const)('%s → due: %s', (_, tags, state, due) => {
    const i = instance('gpu', 'gpu_a', { state, tags });
    expect(leasesDue(lease, [i], T0).length > 0).toBe(due);
  });

  it('renews every due lease in one CreateTags call, and none when disabled', async () => {
    const ec2 = new FakeEc2();
    const a = instance('gpu', 'gpu_a');
    const b = instance('cpu', 'cpu');
    await renewLeases(ec2, lease, [a, b], T0);
    expect(ec2.callsOf('createTags')).toEqual([
      [[a.instanceId, b.instanceId], { [TAG.lease]: String(Math.floor((T0 + 20 * 60_000) / 1000)) }],
    ]);
    await renewLeases(ec2, { ...lease, enabled: false }, [a, b], T0);
    expect(ec2.callsOf('createTags')).toHaveLength(1);
  });
});
