import { GPU_OVER_TWO_RESOURCES } from '../fixtures/index.js';
import { describe, expect, it } from 'vitest';
import { plan, type Action, type Plan, type PolicyInput } from '../../electron/engine/policy.js';
import { renderActionReason, renderDecision } from '../../electron/engine/reasons.js';
import { TAG } from '../../electron/engine/ports.js';
import { instance, makeConfig, policyInput, queue, T0, workerFor } from './fixtures.js';

const launches = (actions: Action[]) =>
  actions
    .filter((a): a is Extract<Action, { kind: 'launch' }> => a.kind === 'launch')
    .map((a) => [a.queue, a.resource, a.count]);
const terminations = (actions: Action[]) =>
  actions
    .filter((a): a is Extract<Action, { kind: 'terminate' }> => a.kind === 'terminate')
    .map((a) => [a.instanceId, a.why]);
const totalLaunched = (actions: Action[]) => launches(actions).reduce((n, l) => n + (l[2] as number), 0);

describe('policy: scale up', () => {
  const twoResources = makeConfig({
    queues: GPU_OVER_TWO_RESOURCES,
  });

  const cases: [string, Partial<PolicyInput>, (string | number)[][]][] = [
    ['no pending → nothing', {}, []],
    ['3 pending, cap 2 → exactly 2', { queues: [queue('gpu', 3)] }, [['gpu', 'gpu_a', 2]]],
    // ClearML's loop launches 2 + 3 = 5 here (each resource adds the full count); we launch exactly the need.
    [
      'two resources, need 3 → 2 + 1, never 5',
      { config: twoResources, queues: [queue('gpu', 3)] },
      [
        ['gpu', 'gpu_a', 2],
        ['gpu', 'gpu_b', 1],
      ],
    ],
    [
      'pending covered by an idle worker',
      (() => {
        const i = instance('gpu', 'gpu_a');
        return { queues: [queue('gpu', 1)], instances: [i], workers: [workerFor(i)] };
      })(),
      [],
    ],
    [
      'booting instance counts against demand',
      { queues: [queue('gpu', 2)], instances: [instance('gpu', 'gpu_a', { ageSec: 30 })] },
      [['gpu', 'gpu_a', 1]],
    ],
    [
      'launch not yet listed counts against demand and cap',
      {
        queues: [queue('gpu', 3)],
        inFlight: [{ queue: 'gpu', resource: 'gpu_a', instanceId: 'i-0000ffff', at: T0 - 1000 }],
      },
      [['gpu', 'gpu_a', 1]],
    ],
    [
      'busy workers do not cover pending tasks',
      (() => {
        const i = instance('gpu', 'gpu_a');
        return { queues: [queue('gpu', 1)], instances: [i], workers: [workerFor(i, 'task-1')] };
      })(),
      [['gpu', 'gpu_a', 1]],
    ],
    [
      'global cap',
      {
        config: makeConfig({ scaling: { maxTotalInstances: 3, workersPrefix: 'dyn' } }),
        queues: [queue('gpu', 2), queue('cpu', 4)],
      },
      [
        ['gpu', 'gpu_a', 2],
        ['cpu', 'cpu', 1],
      ],
    ],
    ['launches paused', { launchesPaused: true, queues: [queue('gpu', 3)] }, []],
    [
      'queue paused',
      { pausedQueues: new Set(['gpu']), queues: [queue('gpu', 3), queue('cpu', 1)] },
      [['cpu', 'cpu', 1]],
    ],
    [
      'cooling resource falls through to the next',
      { config: twoResources, cooling: new Set(['gpu|gpu_a']), queues: [queue('gpu', 2)] },
      [['gpu', 'gpu_b', 2]],
    ],
    ['ClearML unreadable → nothing', { clearmlOk: false, queues: [queue('gpu', 3)] }, []],
    ['queue missing on the server → nothing', { queues: [] }, []],
  ];
  it.each(cases)('%s', (_name, patch, expected) => {
    expect(launches(plan(policyInput(patch)).actions)).toEqual(expected);
  });

  it('never launches more than the need over any number of resources', () => {
    for (let need = 0; need <= 12; need++) {
      const p = plan(policyInput({ config: twoResources, queues: [queue('gpu', need)] }));
      expect(totalLaunched(p.actions)).toBe(Math.min(need, 7));
    }
  });

  it('explains a cap in the decision', () => {
    const p = plan(policyInput({ queues: [queue('gpu', 3)] }));
    expect(decisionText(p, 'gpu')).toMatch(
      /launched 2 × g4dn.xlarge: 3 pending, 0 idle, 0 booting; 1 not launched: gpu_a is at its cap of 2/,
    );
  });

  it('stops at a budget refusal and says why', () => {
    let n = 0;
    const p = plan(
      policyInput({
        queues: [queue('cpu', 4)],
        budget: () => (n++ < 1 ? { allowed: true } : { allowed: false, reason: 'monthly cap $10 exceeded by $0.40' }),
      }),
    );
    expect(launches(p.actions)).toEqual([['cpu', 'cpu', 1]]);
    expect(decisionText(p, 'cpu')).toMatch(/monthly cap \$10/);
  });
});

describe('policy: scale down', () => {
  it('terminates an idle worker past the idle limit, after a re-check', () => {
    const i = instance('gpu', 'gpu_a');
    const p = plan(
      policyInput({ instances: [i], workers: [workerFor(i)], idleSince: new Map([[i.instanceId, T0 - 16 * 60_000]]) }),
    );
    expect(p.actions).toContainEqual(
      expect.objectContaining({ kind: 'terminate', instanceId: i.instanceId, why: 'idle', recheckIdle: true }),
    );
  });

  it('keeps an idle worker below the limit', () => {
    const i = instance('gpu', 'gpu_a');
    const p = plan(
      policyInput({ instances: [i], workers: [workerFor(i)], idleSince: new Map([[i.instanceId, T0 - 14 * 60_000]]) }),
    );
    expect(terminations(p.actions)).toEqual([]);
  });

  it('never terminates a busy worker, however long it has run', () => {
    const i = instance('gpu', 'gpu_a', { ageSec: 48 * 3600 });
    const p = plan(
      policyInput({
        instances: [i],
        workers: [workerFor(i, 'long-task')],
        idleSince: new Map([[i.instanceId, T0 - 99 * 3600_000]]),
      }),
    );
    expect(terminations(p.actions)).toEqual([]);
  });

  it('keeps as many idle workers as pending tasks; the longest idle goes first', () => {
    const a = instance('cpu', 'cpu');
    const b = instance('cpu', 'cpu');
    const p = plan(
      policyInput({
        queues: [queue('gpu', 0), queue('cpu', 1)],
        instances: [a, b],
        workers: [workerFor(a), workerFor(b)],
        idleSince: new Map([
          [a.instanceId, T0 - 20 * 60_000],
          [b.instanceId, T0 - 30 * 60_000],
        ]),
      }),
    );
    expect(terminations(p.actions)).toEqual([[b.instanceId, 'idle']]);
  });

  it('lets surplus idle workers go after surplusIdleMin, keeping as many as recent demand expects', () => {
    const [a, b, c] = [instance('cpu', 'cpu'), instance('cpu', 'cpu'), instance('cpu', 'cpu')];
    const idleFor = (min: number) => T0 - min * 60_000;
    const input = (expected: number) =>
      policyInput({
        instances: [a, b, c],
        workers: [workerFor(a), workerFor(b), workerFor(c)],
        idleSince: new Map([
          [a.instanceId, idleFor(5)],
          [b.instanceId, idleFor(4)],
          [c.instanceId, idleFor(1)],
        ]),
        expectedArrivals: new Map([['cpu', expected]]),
      });
    // One task expected in the next 15 min: two surplus workers; only those idle past 2 min go.
    expect(terminations(plan(input(1)).actions)).toEqual([
      [a.instanceId, 'idle'],
      [b.instanceId, 'idle'],
    ]);
    // Enough demand expected: all wait the full 15 min.
    expect(terminations(plan(input(3)).actions)).toEqual([]);
  });

  it('lets surplus idle workers go at once on a queue whose next task a pre-warm will cover', () => {
    const [a, b] = [instance('cpu', 'cpu'), instance('cpu', 'cpu')];
    const input = (release: string[]) =>
      policyInput({
        instances: [a, b],
        workers: [workerFor(a), workerFor(b)],
        idleSince: new Map([
          [a.instanceId, T0 - 20_000],
          [b.instanceId, T0],
        ]),
        expectedArrivals: new Map([['cpu', 0]]),
        releaseIdle: new Set(release),
      });
    expect(terminations(plan(input([])).actions)).toEqual([]);
    expect(terminations(plan(input(['cpu'])).actions)).toEqual([
      [a.instanceId, 'idle'],
      [b.instanceId, 'idle'],
    ]);
    // A worker the forecast keeps stays, even one idle since before the engine started (it gets the surplus
    // limit, 2 min, not 0): the release is for the others.
    const kept = (inherited: boolean) =>
      terminations(
        plan({
          ...input(['cpu']),
          expectedArrivals: new Map([['cpu', 1]]),
          idleInherited: new Map(inherited ? [[b.instanceId, null]] : []),
        }).actions,
      );
    // The longest idle (a) is the surplus one.
    expect(kept(false)).toEqual([[a.instanceId, 'idle']]);
    expect(kept(true)).toEqual([[a.instanceId, 'idle']]);
  });

  // Regression (chaos seed 10): after a restart the keep-warm rule, with no history yet, kept two workers that had
  // been idle before the restart for a full maxIdleMin more, past the idle ceiling in all.
  it('a worker already idle when the engine started is kept only surplusIdleMin, whatever the forecast', () => {
    const [a, b] = [instance('cpu', 'cpu'), instance('cpu', 'cpu')];
    const input = (inherited: string[]) =>
      policyInput({
        instances: [a, b],
        workers: [workerFor(a), workerFor(b)],
        idleSince: new Map([
          [a.instanceId, T0 - 3 * 60_000],
          [b.instanceId, T0 - 3 * 60_000],
        ]),
        expectedArrivals: new Map([['cpu', 2]]),
        idleInherited: new Map(inherited.map((id) => [id, null])),
      });
    expect(terminations(plan(input([])).actions)).toEqual([]);
    const p = plan(input([a.instanceId]));
    expect(terminations(p.actions)).toEqual([[a.instanceId, 'idle']]);
    const t = p.actions.find((x) => x.kind === 'terminate');
    expect(t && renderActionReason(t)).toMatch(/unknown time before it.*kept only 2 min/);
  });

  it.each([
    // [last known busy (min before now), terminated now]
    [null, false], // nothing known: the short limit from first sight (not reached yet)
    [10, false], // a task ended 10 min ago: within maxIdleMin
    [15, true], // 15 min ago: at the ceiling, it goes now
    [40, true],
  ] as [number | null, boolean][])(
    'an inherited idle worker last known busy %s min ago goes at once only past maxIdleMin',
    (agoMin, gone) => {
      const a = instance('cpu', 'cpu');
      const p = plan(
        policyInput({
          instances: [a],
          workers: [workerFor(a)],
          idleSince: new Map([[a.instanceId, T0]]),
          expectedArrivals: new Map([['cpu', 1]]),
          idleInherited: new Map([[a.instanceId, agoMin === null ? null : T0 - agoMin * 60_000]]),
        }),
      );
      expect(terminations(p.actions)).toEqual(gone ? [[a.instanceId, 'idle']] : []);
      const t = p.actions.find((x) => x.kind === 'terminate');
      if (gone) expect(t && t.kind === 'terminate' ? t.reason.code : null).toBe('idle-ceiling');
    },
  );

  it('terminates on-demand before spot when both are idle past the limit', () => {
    const spot = instance('cpu', 'cpu', { market: 'spot' });
    const od = instance('cpu', 'cpu', { market: 'on-demand' });
    const p = plan(
      policyInput({
        queues: [queue('gpu', 0), queue('cpu', 0)],
        instances: [spot, od],
        workers: [workerFor(spot), workerFor(od)],
        idleSince: new Map([
          [spot.instanceId, T0 - 20 * 60_000],
          [od.instanceId, T0 - 3 * 60_000],
        ]),
        expectedArrivals: new Map([['cpu', 1]]),
      }),
    );
    // One surplus: the on-demand one, although it has been idle for less time.
    expect(terminations(p.actions)).toEqual([
      [od.instanceId, 'idle'],
      [spot.instanceId, 'idle'],
    ]);
  });

  it('terminates an instance that never registered within the spin-up time', () => {
    const young = instance('gpu', 'gpu_a', { ageSec: 29 * 60 });
    const old = instance('gpu', 'gpu_a', { ageSec: 31 * 60 });
    const p = plan(policyInput({ instances: [young, old] }));
    expect(terminations(p.actions)).toEqual([[old.instanceId, 'spin-up']]);
  });

  it('terminates nothing when ClearML could not be read', () => {
    const i = instance('gpu', 'gpu_a', { ageSec: 99 * 60 });
    const p = plan(
      policyInput({ clearmlOk: false, instances: [i], idleSince: new Map([[i.instanceId, T0 - 99 * 60_000]]) }),
    );
    expect(p.actions).toEqual([]);
  });

  it('marks an orphan first, terminates it on a later tick, never while busy', () => {
    const fresh = instance('old-queue', 'gone');
    const marked = instance('old-queue', 'gone', { tags: { [TAG.orphanSince]: String(T0 - 10 * 60_000) } });
    const busy = instance('old-queue', 'gone', { tags: { [TAG.orphanSince]: String(T0 - 10 * 60_000) } });
    const p = plan(policyInput({ instances: [fresh, marked, busy], workers: [workerFor(busy, 'task')] }));
    expect(p.actions).toContainEqual(expect.objectContaining({ kind: 'mark-orphan', instanceId: fresh.instanceId }));
    expect(terminations(p.actions)).toEqual([[marked.instanceId, 'orphan']]);
  });

  it('unregisters zombie workers whose instance is gone', () => {
    const gone = instance('gpu', 'gpu_a');
    const p = plan(policyInput({ workers: [workerFor(gone)] }));
    expect(p.actions).toContainEqual(expect.objectContaining({ kind: 'unregister', workerId: workerFor(gone).id }));
  });

  it('ignores workers and instances of another prefix', () => {
    const foreign = { ...workerFor(instance('gpu', 'gpu_a')), id: 'other:gpu_a:g4dn.xlarge:i-00001234' };
    const p = plan(policyInput({ workers: [foreign] }));
    expect(p.actions).toEqual([]);
  });
});

describe('policy: pre-warm', () => {
  const cases: [string, Partial<PolicyInput>, (string | number)[][]][] = [
    ['a pre-warm on an empty queue launches one', { prewarm: new Map([['cpu', 1]]) }, [['cpu', 'cpu', 1]]],
    [
      'a booting instance already covers it',
      { prewarm: new Map([['cpu', 1]]), instances: [instance('cpu', 'cpu', { ageSec: 30 })] },
      [],
    ],
    // Pending tasks are demand enough: the pre-warm never adds to them.
    [
      'pending tasks: the pre-warm is ignored',
      { prewarm: new Map([['cpu', 2]]), queues: [queue('gpu', 0), queue('cpu', 1)] },
      [['cpu', 'cpu', 1]],
    ],
    ['paused queue: nothing', { prewarm: new Map([['cpu', 1]]), pausedQueues: new Set(['cpu']) }, []],
  ];
  it.each(cases)('%s', (_name, patch, expected) => {
    const p = plan(policyInput(patch));
    expect(launches(p.actions)).toEqual(expected);
    if (expected.length && patch.queues === undefined) expect(decisionText(p, 'cpu')).toMatch(/1 expected: pre-warm/);
  });
});

describe('policy: busy workers about to free up', () => {
  const busy = (n: number) => Array.from({ length: n }, () => instance('cpu', 'cpu'));
  const cases: [string, number, number, number, number][] = [
    // [name, pending, busy, freeing soon, launched]
    ['nothing freeing: one launch per pending task', 2, 2, 0, 2],
    ['one of two busy frees within a boot: one launch', 2, 2, 1, 1],
    ['more freeing than pending: none', 1, 3, 3, 0],
  ];
  it.each(cases)('%s', (_name, pending, nBusy, freeing, launched) => {
    const list = busy(nBusy);
    const p = plan(
      policyInput({
        queues: [queue('gpu', 0), queue('cpu', pending)],
        instances: list,
        workers: list.map((i) => workerFor(i, `t-${i.instanceId}`)),
        freeingSoon: new Map([['cpu', freeing]]),
      }),
    );
    expect(launches(p.actions).reduce((n, l) => n + Number(l[2]), 0)).toBe(launched);
    if (freeing)
      expect(decisionText(p, 'cpu')).toMatch(
        new RegExp(`${Math.min(freeing, pending)} busy likely free before a boot`),
      );
  });
});

function decisionText(p: Plan, queue: string): string | undefined {
  const d = p.decisions.find((x) => x.queue === queue);
  return d && renderDecision(d);
}
