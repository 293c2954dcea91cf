import { describe, expect, it } from 'vitest';
import { EventLog } from '../../../electron/engine/controllers/event-log.js';
import { IdleTracker } from '../../../electron/engine/controllers/idle.js';
import { KeepWarmController } from '../../../electron/engine/controllers/keep-warm.js';
import { leasesDue, renewLeases } from '../../../electron/engine/controllers/lease.js';
import { effectiveLease } from '../../../shared/config.js';
import type { Observation } from '../../../electron/engine/controllers/observe.js';
import type { NewEvent } from '../../../electron/engine/events.js';
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

  it('marks workers already idle at the first read as inherited (idle since an unknown time), not later ones', () => {
    const t = new IdleTracker();
    const [a, b] = [instance('gpu', 'gpu_a'), instance('gpu', 'gpu_b')];
    t.observe(obs([a], [workerFor(a)], T0), 'dyn');
    t.observe(obs([a, b], [workerFor(a), workerFor(b)], T0 + 15_000), 'dyn');
    expect([...t.inherited.keys()]).toEqual([a.instanceId]);
    // Its spell began no earlier than its registration (the fixture registers 60 s after launch).
    expect(t.inherited.get(a.instanceId)).toBe(a.launchedAt + 60_000);
    // Once seen busy, its next idle spell has a known start.
    t.observe(obs([a, b], [workerFor(a, 'task'), workerFor(b)], T0 + 30_000), 'dyn');
    t.observe(obs([a, b], [workerFor(a), workerFor(b)], T0 + 45_000), 'dyn');
    expect(t.inherited.size).toBe(0);
  });

  it('an inherited worker keeps the last moment the cost history knew it busy, if later than its registration', () => {
    const t = new IdleTracker();
    const [a, b] = [instance('gpu', 'gpu_a'), instance('gpu', 'gpu_b')];
    const lastBusy = new Map([[a.instanceId, a.launchedAt + 600_000]]);
    t.observe(obs([a, b], [workerFor(a), workerFor(b)], T0), 'dyn', (id) => lastBusy.get(id) ?? null);
    expect(t.inherited.get(a.instanceId)).toBe(a.launchedAt + 600_000);
    expect(t.inherited.get(b.instanceId)).toBe(b.launchedAt + 60_000);
  });

  it('an inherited worker with nothing known of it (no registration time, no history) keeps null', () => {
    const t = new IdleTracker();
    const a = instance('gpu', 'gpu_a');
    t.observe(obs([a], [{ ...workerFor(a), registeredAt: null }], T0), 'dyn', () => null);
    expect(t.inherited.has(a.instanceId)).toBe(true);
    expect(t.inherited.get(a.instanceId)).toBeNull();
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

describe('KeepWarmController', () => {
  const prices = () => ({ price: 0.5, source: 'fallback' as const });
  const run = (preference: 'cost' | 'balanced') => {
    const c = new KeepWarmController(prices);
    const config = makeConfig();
    config.scaling.preference = preference;
    const i = instance('gpu', 'gpu_a');
    const logged: [string, NewEvent][] = [];
    const out = c.plan(
      { config, now: T0, queues: [queue('gpu', 0)], instances: [i], workers: [workerFor(i)], inFlight: [] },
      (key, e) => logged.push([key, e]),
    );
    return { out, logged };
  };

  it('with no history keeps an idle worker unless only dollars count, and logs why', () => {
    const warm = run('balanced');
    expect(warm.out.expectedArrivals.get('gpu')).toBe(1);
    expect(warm.out.prewarm.get('gpu')).toBe(0);
    expect(warm.logged.map(([, e]) => e.message)).toEqual([
      expect.stringMatching(/kept 1 idle on 'gpu'.*too few tasks/),
    ]);
    const cost = run('cost');
    expect(cost.out.expectedArrivals.get('gpu')).toBe(0);
    expect(cost.logged[0]?.[1].message).toMatch(/not keeping idle workers on 'gpu'/);
  });
});

describe('KeepWarmController: learned durations and periodic release', () => {
  const prices = () => ({ price: 0.5, source: 'fallback' as const });
  /** One tick with `i` up (its worker running `task`) or, with null, nothing up. */
  const step = (
    c: KeepWarmController,
    now: number,
    i: InstanceObs | null,
    task: string | null,
    pending = 0,
    emitOnce: (key: string, e: NewEvent) => void = () => {},
    acting = true,
  ) =>
    c.plan(
      {
        config: makeConfig(),
        now,
        queues: [queue('gpu', pending)],
        instances: i ? [i] : [],
        workers: i ? [workerFor(i, task)] : [],
        inFlight: [],
      },
      emitOnce,
      acting,
    );

  it('learns task durations from busy spans and counts a busy worker that will likely free before a boot', () => {
    const c = new KeepWarmController(prices);
    const i = instance('gpu', 'gpu_a');
    // Twelve 30-second tasks on one worker, seen on a 15 s grid: running at t and t + 15 s, idle at t + 30 s.
    let t = T0;
    for (let k = 0; k < 12; k++) {
      step(c, t, i, `t${k}`);
      step(c, t + 15_000, i, `t${k}`);
      step(c, t + 30_000, i, null);
      t += 45_000;
    }
    // A new task just started and one waits: it will likely be done well within a boot (120 s by default).
    const out = step(c, t, i, 'next', 1);
    expect(out.freeingSoon.get('gpu')).toBe(1);
  });

  it('on a periodic queue releases the idle worker and names when the pre-warm is due', () => {
    const c = new KeepWarmController(prices);
    const i = instance('gpu', 'gpu_a');
    // Tasks every 10 min (seen running on the worker), each done within a minute.
    let out = step(c, T0, i, null);
    for (let k = 0; k < 6; k++) {
      const at = T0 + k * 600_000;
      step(c, at, i, `p${k}`);
      out = step(c, at + 60_000, i, null);
    }
    // The last task ran at +50 min; the next slot is at +60 min: keeping costs 9 min, a pre-warm less.
    expect(out.releaseIdle.has('gpu')).toBe(true);
    expect(out.expectedArrivals.get('gpu')).toBe(0);
    expect(c.nextPrewarmAt).toBeNull(); // a worker is still there
    // Once it is gone: the pre-warm starts a slow boot (150 s by default) and a poll (15 s) before the slot.
    step(c, T0 + 51 * 60_000, null, null);
    expect(c.nextPrewarmAt).toBe(T0 + 60 * 60_000 - 165_000);
  });

  it('on a busy queue of short tasks gives the kept workers a limit of twice the wait they are kept for', () => {
    const c = new KeepWarmController(prices);
    const i = instance('gpu', 'gpu_a');
    // A task a minute for an hour, alternately early and late in its minute (not a period), each seen running on
    // the worker for one 15-s tick.
    for (let k = 0; k < 60; k++) {
      const at = T0 + (k + (k % 2 ? 0.7 : 0.3)) * 60_000;
      step(c, at, i, `t${k}`);
      step(c, at + 15_000, i, null);
    }
    const out = step(c, T0 + 60 * 60_000, i, null);
    // One idle worker kept for the next task, due in about a minute (the rate is read over the ticks that saw
    // tasks): it may idle about two.
    expect(out.expectedArrivals.get('gpu')).toBe(1);
    expect(out.keptIdleSec.get('gpu')).toBeGreaterThan(110);
    expect(out.keptIdleSec.get('gpu')).toBeLessThan(130);
    // Cost keeps it only for a task within a boot, and sets no limit of its own.
    const config = makeConfig();
    config.scaling.preference = 'cost';
    const costOut = c.plan(
      {
        config,
        now: T0 + 60 * 60_000 + 15_000,
        queues: [queue('gpu', 0)],
        instances: [i],
        workers: [workerFor(i)],
        inFlight: [],
      },
      () => {},
    );
    expect(costOut.keptIdleSec.has('gpu')).toBe(false);
  });

  it('times how long the queue has had 1, 2, … idle workers, whichever of them took the tasks in between', () => {
    const c = new KeepWarmController(prices);
    const [a, b, d] = [instance('gpu', 'gpu_a'), instance('gpu', 'gpu_a'), instance('gpu', 'gpu_a')];
    const tick = (at: number, busy: Record<string, string | null>, pending = 0) =>
      c
        .plan(
          {
            config: makeConfig(),
            now: at,
            queues: [queue('gpu', pending)],
            instances: [a, b, d],
            workers: [a, b, d].map((i) => workerFor(i, busy[i.instanceId] ?? null)),
            inFlight: [],
          },
          () => {},
        )
        .idleRunSec.get('gpu');
    // All three idle at T0; then a and b take turns with tasks, so one of them and d stay idle all along.
    expect(tick(T0, {})).toEqual([0, 0, 0]);
    expect(tick(T0 + 15_000, { [a.instanceId]: 't1' })).toEqual([15, 15]);
    expect(tick(T0 + 30_000, { [b.instanceId]: 't2' })).toEqual([30, 30]);
    expect(tick(T0 + 45_000, { [a.instanceId]: 't3' })).toEqual([45, 45]);
    // A task pending takes one idle worker's place: one beyond the pending tasks, still since T0.
    expect(tick(T0 + 60_000, { [a.instanceId]: 't3' }, 1)).toEqual([60]);
    // All three idle again: the second and third runs start anew.
    expect(tick(T0 + 75_000, {})).toEqual([75, 0, 0]);
    // None idle: every run ends.
    const all = { [a.instanceId]: 'x', [b.instanceId]: 'y', [d.instanceId]: 'z' };
    expect(tick(T0 + 90_000, all)).toEqual([]);
    expect(tick(T0 + 105_000, { [a.instanceId]: 'x' })).toEqual([0, 0]);
  });

  it("logs each slot's pre-warm with its count, though slots come closer than the 10-min repeat limit", () => {
    const c = new KeepWarmController(prices);
    const i = instance('gpu', 'gpu_a');
    let now = T0;
    const log = new EventLog(() => now);
    const tick = (at: number, up: InstanceObs | null, task: string | null) => {
      now = at;
      step(c, at, up, task, 0, (key, e) => log.emitOnce(key, e));
    };
    // Tasks every 8 min, seen running on the worker; then the worker is gone and nothing is up or pending.
    for (let k = 0; k < 6; k++) {
      tick(T0 + k * 480_000, i, `p${k}`);
      tick(T0 + k * 480_000 + 60_000, i, null);
    }
    for (let t = T0 + 41 * 60_000; t <= T0 + 57 * 60_000; t += 15_000) tick(t, null, null);
    const prewarms = log.recent(100).filter((e) => e.prewarm !== undefined);
    // The slots at +48 and +56 min, each pre-warmed once, 8 min apart.
    expect(prewarms.map((e) => [e.kind, e.queue, e.prewarm])).toEqual([
      ['decision', 'gpu', 1],
      ['decision', 'gpu', 1],
    ]);
    expect(prewarms[1]!.at - prewarms[0]!.at).toBe(480_000);
    expect(prewarms[0]!.message).toMatch(/^pre-warming 1 on 'gpu': tasks arrive every ~8 min/);
  });

  it('logs nothing on ticks that only observe, though it learns from them and plans the same', () => {
    const watched = new KeepWarmController(prices);
    const acted = new KeepWarmController(prices);
    const i = instance('gpu', 'gpu_a');
    const lines: NewEvent[] = [];
    let last: [ReturnType<typeof step>, ReturnType<typeof step>] | null = null;
    const tick = (at: number, up: InstanceObs | null, task: string | null) => {
      last = [step(watched, at, up, task, 0, (_, e) => lines.push(e), false), step(acted, at, up, task, 0, () => {})];
    };
    for (let k = 0; k < 6; k++) {
      tick(T0 + k * 480_000, i, `p${k}`);
      tick(T0 + k * 480_000 + 60_000, i, null);
    }
    tick(T0 + 47 * 60_000, null, null);
    expect(lines).toEqual([]);
    const [w, a] = last!;
    expect(a.prewarm.get('gpu')).toBe(1);
    expect(w).toEqual(a);
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

  /** The lease an instance holds at each poll, renewed by `leasesDue` as the engine does, over 6 hours. */
  function expiresBetweenPolls(l: typeof lease, pollSec: number): boolean {
    let leaseUntil = T0 + l.leaseMin * 60_000;
    for (let now = T0; now < T0 + 6 * 3600_000; now += pollSec * 1000) {
      if (leaseUntil <= now) return true;
      const i = instance('gpu', 'gpu_a', { tags: until(leaseUntil) });
      if (leasesDue(l, [i], now).length) leaseUntil = now + l.leaseMin * 60_000;
    }
    return false;
  }

  it.each([
    [15, 20],
    [300, 20],
    [600, 20],
    [1800, 20],
    [3600, 20],
    [3600, 5],
    [900, 60],
  ])(
    'at a %i s poll with a %i min lease, the lease given never runs out between polls (over two polls long)',
    (pollSec, leaseMin) => {
      const config = makeConfig({ scaling: { pollingIntervalSec: pollSec }, lease: { leaseMin } });
      const given = effectiveLease(config);
      expect(given.leaseMin).toBe(Math.max(leaseMin, Math.ceil((2 * pollSec) / 60) + 1));
      expect(expiresBetweenPolls(given, pollSec)).toBe(false);
      // The setting as written would have: idle instances powering themselves off under a running engine.
      expect(expiresBetweenPolls(config.lease, pollSec)).toBe(leaseMin * 60 <= 2 * pollSec);
    },
  );
});
