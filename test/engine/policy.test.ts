import { GPU_OVER_TWO_RESOURCES } from '../fixtures/index.js';
import { describe, expect, it } from 'vitest';
import type { ForeignWorker } from '../../electron/engine/adoption.js';
import { plan, STOPPED_GRACE_MS, type Action, type Plan, type PolicyInput } from '../../electron/engine/policy.js';
import { renderActionReason, renderDecision } from '../../electron/engine/reasons.js';
import { TAG, type InstanceObs } from '../../electron/engine/ports.js';
import { InstancePhaseSchema } from '../../shared/domain.js';
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
/** Idle cpu workers, each idle for the given minutes, and plan()'s input with them. */
function idleCpu(minutes: number[], patch: Partial<PolicyInput> = {}) {
  const list = minutes.map(() => instance('cpu', 'cpu'));
  const input = policyInput({
    instances: list,
    workers: list.map((i) => workerFor(i)),
    idleSince: new Map(list.map((i, k) => [i.instanceId, T0 - minutes[k]! * 60_000])),
    ...patch,
  });
  return { list, input };
}

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

  // A worker kept for an expected task goes once it has idled past the forecast's own limit for it, except the
  // queue's freshest idle worker (the last candidate), which the next task finds. How long it idled is its own time
  // or, below the two freshest and when longer, how long the queue has had that many idle workers (idleRunSec, entry
  // j: at least j + 1), since a task goes to whichever idle agent polls first.
  it.each([
    // [minutes idle of each worker, pending tasks, forecast's limit (s), the queue's idle runs (s), workers that go]
    [[5, 4, 1], 0, 180, undefined, [0, 1]], // the two past 3 min go; the freshest stays
    [[5, 4, 4], 0, 180, undefined, [0, 1]], // the freshest is spared even past the limit
    [[5, 2.9, 1], 0, 180, undefined, [0]], // under the limit: stays
    [[3, 1], 0, 180, undefined, [0]], // exactly at the limit: goes
    [[5, 4, 1], 0, undefined, undefined, []], // no limit from the forecast: up to maxIdleMin
    [[16, 5, 1], 0, 1200, undefined, [0]], // a limit past maxIdleMin: maxIdleMin holds
    [[5, 4], 1, 180, undefined, []], // one pending task: the other idle worker is the last candidate
    [[10], 0, 180, undefined, []], // a lone idle worker is always the freshest
    // Each worker idle 2 min or less of its own, but the queue has had 1 or more idle for 5 min, 2 or more for
    // 200 s: the two longest idle go; the second freshest (on its own 30 s) and the freshest stay.
    [[2, 1, 0.5, 0.5], 0, 180, [300, 200, 100, 30], [0, 1]],
    [[2, 1, 0.5, 0.5], 0, 180, [300, 179, 100, 30], [0]], // 2 or more for under the limit: the second stays
    [[2, 1, 0.5], 0, 180, [900, 900, 900], [0]], // the second freshest on its own time (60 s), whatever the queue's
    [[4, 3.5, 0.5], 0, 180, [900, 900, 900], [0, 1]], // … and past the limit on it (210 s): it goes
    [[2, 1, 0.5, 0.5], 0, undefined, [900, 900, 900, 900], []], // no forecast limit: maxIdleMin on the worker's own
    // One pending task: the freshest idle worker is about to take it; the runs count the three others.
    [[2, 1, 0.5, 0.5], 1, 180, [300, 30, 30], [0]],
  ] as [number[], number, number | undefined, number[] | undefined, number[]][])(
    'kept workers idle %o min, %i pending, limit %s s, queue idle runs %o s: workers %o go',
    (minutes, pending, limitSec, runs, gone) => {
      const { list, input } = idleCpu(minutes, {
        queues: [queue('gpu', 0), queue('cpu', pending)],
        expectedArrivals: new Map([['cpu', minutes.length]]),
        keptIdleSec: limitSec === undefined ? undefined : new Map([['cpu', limitSec]]),
        idleRunSec: runs === undefined ? undefined : new Map([['cpu', runs]]),
      });
      expect(terminations(plan(input).actions)).toEqual(gone.map((k) => [list[k]!.instanceId, 'idle']));
    },
  );

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
    const { list, input: base } = idleCpu([3, 3], { expectedArrivals: new Map([['cpu', 2]]) });
    const [a] = list as [InstanceObs, InstanceObs];
    const input = (inherited: string[]) => ({ ...base, idleInherited: new Map(inherited.map((id) => [id, null])) });
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

  it('lets the on-demand one go as the surplus, not the spot one idle longer', () => {
    const spot = instance('cpu', 'cpu', { market: 'spot' });
    const od = instance('cpu', 'cpu', { market: 'on-demand' });
    // In either order of listing.
    for (const instances of [
      [spot, od],
      [od, spot],
    ]) {
      const p = plan(
        policyInput({
          instances,
          workers: instances.map((i) => workerFor(i)),
          idleSince: new Map([
            [spot.instanceId, T0 - 10 * 60_000],
            [od.instanceId, T0 - 3 * 60_000],
          ]),
          expectedArrivals: new Map([['cpu', 1]]),
        }),
      );
      expect(terminations(p.actions)).toEqual([[od.instanceId, 'idle']]);
    }
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

  describe('an instance launched for another ClearML server (the config has moved to a new one)', () => {
    const config = makeConfig();
    const launchedFor = (apiHost: string, patch: Partial<InstanceObs> & { ageSec?: number } = {}) =>
      instance('gpu', 'gpu_a', { ageSec: 3 * 3600, ...patch, tags: { [TAG.server]: apiHost } });
    const elsewhere = launchedFor('https://old-clearml.example.com:8008');

    it('is an orphan left to finish: never terminated or marked, however old, and not counted as capacity', () => {
      const p = plan(policyInput({ config, instances: [elsewhere], queues: [queue('gpu', 1)] }));
      expect(p.instances[0]).toMatchObject({ phase: 'orphan', otherServer: 'https://old-clearml.example.com:8008' });
      expect(p.instances[0]!.note).toMatch(/^launched for ClearML server https:\/\/old-clearml.example.com:8008, not/);
      expect(p.actions.filter((a) => a.kind !== 'launch')).toEqual([]);
      expect(launches(p.actions)).toEqual([['gpu', 'gpu_a', 1]]);
    });

    it.each([
      [
        true,
        /so it is left to finish; its lease is not renewed, and its watchdog stops it once idle after the lease ends$/,
      ],
      [false, /so it is left running \(leases are off\): terminate it here once its work there is done$/],
    ])('says what becomes of it (leases %s)', (enabled, note) => {
      const withLease = makeConfig({ lease: { ...config.lease, enabled } });
      const p = plan(policyInput({ config: withLease, instances: [elsewhere] }));
      expect(p.instances[0]!.note).toMatch(note);
    });

    it.each([
      ['its worker is on this server after all: it serves this one', elsewhere, true, 'idle'],
      [
        'the same server written otherwise (case, trailing slash)',
        launchedFor(`${config.clearml.apiHost.toUpperCase()}/`),
        false,
        'booting',
      ],
      [
        'launched before servers were tagged: judged by the spin-up time as before',
        instance('gpu', 'gpu_a', { ageSec: 3 * 3600 }),
        false,
        'booting',
      ],
    ] as const)('not when %s', (_, inst, hasWorker, phase) => {
      const p = plan(policyInput({ config, instances: [inst], ...(hasWorker ? { workers: [workerFor(inst)] } : {}) }));
      expect(p.instances[0]).toMatchObject({ phase });
      expect(p.instances[0]!.otherServer).toBeUndefined();
    });
  });

  it('every phase the snapshot schema (and the Instances "State" filter) offers is one the policy assigns', () => {
    const busy = instance('gpu', 'gpu_a');
    const idle = instance('gpu', 'gpu_a');
    const booting = instance('gpu', 'gpu_a', { ageSec: 30 });
    const orphan = instance('old-queue', 'gone');
    const terminating = instance('gpu', 'gpu_a', { state: 'shutting-down' });
    const stopped = instance('gpu', 'gpu_a', { state: 'stopped' });
    const p = plan(
      policyInput({
        instances: [busy, idle, booting, orphan, terminating, stopped],
        workers: [workerFor(busy, 'task'), workerFor(idle)],
      }),
    );
    expect(new Set(p.instances.map((c) => c.phase))).toEqual(new Set(InstancePhaseSchema.options));
  });

  it('one stopped outside the app is no capacity, and is terminated once stopped for the grace', () => {
    const stopped = instance('gpu', 'gpu_a', { state: 'stopped' });
    const stopping = instance('gpu', 'gpu_a', { state: 'stopping' });
    const at = (sinceMs: number) =>
      plan(
        policyInput({
          instances: [stopped, stopping],
          stoppedSince: new Map([
            [stopped.instanceId, T0 - sinceMs],
            [stopping.instanceId, T0],
          ]),
        }),
      );
    const early = at(STOPPED_GRACE_MS - 1000);
    expect(early.instances.map((c) => c.phase)).toEqual(['stopped', 'stopped']);
    expect(early.actions.filter((a) => a.kind === 'terminate')).toEqual([]);
    const due = at(STOPPED_GRACE_MS);
    expect(due.actions.filter((a) => a.kind === 'terminate')).toEqual([
      expect.objectContaining({
        instanceId: stopped.instanceId,
        why: 'stopped',
        recheckIdle: false,
        reason: { code: 'stopped', stoppedSec: STOPPED_GRACE_MS / 1000, graceSec: STOPPED_GRACE_MS / 1000 },
      }),
    ]);
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

describe('policy: what each queue decision says', () => {
  const twoResources = makeConfig({ queues: GPU_OVER_TWO_RESOURCES });
  const busyGpu = (resource: string, n: number) =>
    Array.from({ length: n }, (_, k) => {
      const i = instance('gpu', resource);
      return { i, w: workerFor(i, `busy-${resource}-${k}`) };
    });
  const foreignWorker = (queue: string, resource: string, busy: boolean, live = true): ForeignWorker => {
    const inst = instance(queue, resource, { tags: {} });
    return {
      workerId: `dyn:${resource}:g4dn.xlarge:${inst.instanceId}`,
      instanceId: inst.instanceId,
      resource,
      instanceType: 'g4dn.xlarge',
      queue,
      busy,
      live,
      instance: inst,
      blocker: null,
    };
  };
  const onGpuA = busyGpu('gpu_a', 2);
  const idleA = instance('gpu', 'gpu_a');
  const late = instance('gpu', 'gpu_a', { ageSec: 31 * 60 });

  it.each([
    // [name, patch, the gpu queue's decision (a subset), launches]
    [
      'nothing pending',
      {},
      { exists: true, pending: 0, oldestWaitSec: null, idle: 0, busy: 0, booting: 0, reason: { code: 'no-pending' } },
      [],
    ],
    [
      'ClearML unreadable',
      { clearmlOk: false, queues: [queue('gpu', 3)] },
      { reason: { code: 'clearml-unreadable' } },
      [],
    ],
    [
      'ClearML unreadable: its empty queue list is no answer about which queues exist',
      { clearmlOk: false, queues: [] },
      { exists: true, pending: 0, reason: { code: 'clearml-unreadable' } },
      [],
    ],
    [
      'the queue is not on the server',
      { queues: [] },
      { exists: false, pending: 0, reason: { code: 'queue-missing', queue: 'gpu' } },
      [],
    ],
    [
      'covered by an idle worker; the oldest task has waited 30 s',
      { queues: [queue('gpu', 1)], instances: [idleA], workers: [workerFor(idleA)] },
      { idle: 1, busy: 0, oldestWaitSec: 30, reason: { code: 'covered', demand: { pending: 1, idle: 1, booting: 0 } } },
      [],
    ],
    [
      'the oldest of several tasks',
      {
        queues: [
          {
            id: 'q-gpu',
            name: 'gpu',
            entries: [
              { taskId: 'a', addedAt: T0 - 10_000 },
              { taskId: 'b', addedAt: T0 - 90_000 },
            ],
          },
        ],
      },
      { pending: 2, oldestWaitSec: 90, launched: 2 },
      [['gpu', 'gpu_a', 2]],
    ],
    [
      'all launches paused',
      { launchesPaused: true, queues: [queue('gpu', 3)] },
      { reason: { code: 'paused', need: 3, scope: 'all' } },
      [],
    ],
    [
      'this queue paused',
      { pausedQueues: new Set(['gpu']), queues: [queue('gpu', 3)] },
      { reason: { code: 'paused', need: 3, scope: 'queue' } },
      [],
    ],
    [
      'launches stopped by refused credentials (whatever the pauses say)',
      { launchStop: 'credentials', pausedQueues: new Set(['gpu']), queues: [queue('gpu', 3)] },
      { reason: { code: 'paused', need: 3, scope: 'credentials' } },
      [],
    ],
    [
      'launches held until the launch journal is recovered',
      { launchStop: 'journal', queues: [queue('gpu', 3)] },
      { reason: { code: 'paused', need: 3, scope: 'journal' } },
      [],
    ],
    [
      '3 pending, cap 2: one not launched, at the cap',
      { queues: [queue('gpu', 3)] },
      {
        launched: 2,
        reason: {
          code: 'scale-up',
          need: 3,
          launched: [{ count: 2, instanceType: 'g4dn.xlarge' }],
          notLaunched: 1,
          blockers: [{ code: 'resource-cap', resource: 'gpu_a', max: 2 }],
        },
      },
      [['gpu', 'gpu_a', 2]],
    ],
    [
      'a cooling resource is skipped and named',
      { config: twoResources, cooling: new Set(['gpu|gpu_a']), queues: [queue('gpu', 2)] },
      {
        reason: {
          code: 'scale-up',
          notLaunched: 0,
          blockers: [{ code: 'cooling', resource: 'gpu_a', cause: 'capacity' }],
        },
      },
      [['gpu', 'gpu_b', 2]],
    ],
    [
      'a resource EC2 refused is skipped and named with its cause, not as capacity',
      {
        config: twoResources,
        cooling: new Set(['gpu|gpu_a']),
        coolingCauses: new Map([['gpu|gpu_a', 'config' as const]]),
        queues: [queue('gpu', 2)],
      },
      {
        reason: {
          code: 'scale-up',
          notLaunched: 0,
          blockers: [{ code: 'cooling', resource: 'gpu_a', cause: 'config' }],
        },
      },
      [['gpu', 'gpu_b', 2]],
    ],
    [
      "each resource's cap counts only its own instances",
      {
        config: twoResources,
        queues: [queue('gpu', 7)],
        instances: onGpuA.map((x) => x.i),
        workers: onGpuA.map((x) => x.w),
      },
      {
        busy: 2,
        reason: {
          code: 'scale-up',
          need: 7,
          notLaunched: 2,
          blockers: [
            { code: 'resource-cap', resource: 'gpu_a', max: 2 },
            { code: 'resource-cap', resource: 'gpu_b', max: 5 },
          ],
        },
      },
      [['gpu', 'gpu_b', 5]],
    ],
    [
      "a launch not listed yet counts against its own resource's cap",
      {
        config: twoResources,
        queues: [queue('gpu', 3)],
        inFlight: [{ queue: 'gpu', resource: 'gpu_b', instanceId: null, at: T0 - 1000 }],
      },
      { booting: 1, reason: { code: 'scale-up', need: 2 } },
      [['gpu', 'gpu_a', 2]],
    ],
    [
      'an instance past the spin-up limit is not counted as booting (it is being ended), but holds its cap slot',
      { queues: [queue('gpu', 1)], instances: [late] },
      { booting: 0, reason: { code: 'scale-up', need: 1, notLaunched: 0 } },
      [['gpu', 'gpu_a', 1]],
    ],
    [
      "an idle worker ClearML's autoscaler launched covers a task",
      { queues: [queue('gpu', 1)], foreign: [foreignWorker('gpu', 'gpu_a', false)] },
      { idle: 1, busy: 0, reason: { code: 'covered', demand: { foreign: 1, foreignIdle: 1 } } },
      [],
    ],
    [
      "a busy one covers none, but holds a slot of its resource's cap",
      { queues: [queue('gpu', 2)], foreign: [foreignWorker('gpu', 'gpu_a', true)] },
      {
        idle: 0,
        busy: 1,
        reason: {
          code: 'scale-up',
          need: 2,
          demand: { foreign: 1, foreignIdle: 0 },
          notLaunched: 1,
          blockers: [{ code: 'resource-cap', resource: 'gpu_a', max: 2 }],
        },
      },
      [['gpu', 'gpu_a', 1]],
    ],
    [
      'and one of the total: at a total of 2, one launch left',
      {
        config: makeConfig({ scaling: { maxTotalInstances: 2, workersPrefix: 'dyn' } }),
        queues: [queue('gpu', 2)],
        foreign: [foreignWorker('cpu', 'cpu', true)],
      },
      { busy: 0, reason: { code: 'scale-up', notLaunched: 1, blockers: [{ code: 'global-cap', max: 2 }] } },
      [['gpu', 'gpu_a', 1]],
    ],
    [
      "a busy one on another resource holds none of this resource's cap",
      { config: twoResources, queues: [queue('gpu', 2)], foreign: [foreignWorker('gpu', 'gpu_b', true)] },
      { busy: 1, reason: { code: 'scale-up', notLaunched: 0, blockers: [] } },
      [['gpu', 'gpu_a', 2]],
    ],
    [
      'a stopped one holds nothing',
      {
        config: makeConfig({ scaling: { maxTotalInstances: 2, workersPrefix: 'dyn' } }),
        queues: [queue('gpu', 2)],
        foreign: [foreignWorker('gpu', 'gpu_a', false, false), foreignWorker('cpu', 'cpu', true, false)],
      },
      { idle: 0, reason: { code: 'scale-up', notLaunched: 0, blockers: [] } },
      [['gpu', 'gpu_a', 2]],
    ],
    [
      'a launch already listed counts once',
      {
        queues: [queue('gpu', 2)],
        instances: [instance('gpu', 'gpu_a', { ageSec: 20, instanceId: 'i-0000abcd' })],
        inFlight: [{ queue: 'gpu', resource: 'gpu_a', instanceId: 'i-0000abcd', at: T0 - 20_000 }],
      },
      { booting: 1, reason: { code: 'scale-up', need: 1, notLaunched: 0 } },
      [['gpu', 'gpu_a', 1]],
    ],
    [
      "another queue's launch not listed yet is not booting here",
      { queues: [queue('gpu', 1)], inFlight: [{ queue: 'cpu', resource: 'cpu', instanceId: null, at: T0 }] },
      { booting: 0, reason: { code: 'scale-up', need: 1 } },
      [['gpu', 'gpu_a', 1]],
    ],
    [
      "the total counts every queue's instances, listed or not yet",
      {
        config: makeConfig({ scaling: { maxTotalInstances: 3, workersPrefix: 'dyn' } }),
        queues: [queue('gpu', 1)],
        instances: [instance('cpu', 'cpu'), instance('cpu', 'cpu')],
        workers: [],
        inFlight: [{ queue: 'cpu', resource: 'cpu', instanceId: null, at: T0 }],
      },
      { reason: { code: 'scale-up', notLaunched: 1, blockers: [{ code: 'global-cap', max: 3 }] } },
      [],
    ],
    [
      'the first resource at its cap, then no room in the total: both named',
      {
        config: makeConfig({ queues: GPU_OVER_TWO_RESOURCES, scaling: { maxTotalInstances: 2, workersPrefix: 'dyn' } }),
        queues: [queue('gpu', 1)],
        instances: onGpuA.map((x) => x.i),
        workers: onGpuA.map((x) => x.w),
      },
      {
        reason: {
          code: 'scale-up',
          blockers: [
            { code: 'resource-cap', resource: 'gpu_a', max: 2 },
            { code: 'global-cap', max: 2 },
          ],
        },
      },
      [],
    ],
    [
      'no room in the total at the first resource: named once',
      {
        config: makeConfig({ queues: GPU_OVER_TWO_RESOURCES, scaling: { maxTotalInstances: 1, workersPrefix: 'dyn' } }),
        queues: [queue('gpu', 1)],
        instances: [instance('cpu', 'cpu', { ageSec: 10 })],
      },
      { reason: { code: 'scale-up', notLaunched: 1, blockers: [{ code: 'global-cap', max: 1 }] } },
      [],
    ],
    [
      'met by the first resource: the next is not looked at (its cool-down is not named)',
      { config: twoResources, cooling: new Set(['gpu|gpu_b']), queues: [queue('gpu', 2)] },
      { reason: { code: 'scale-up', notLaunched: 0, blockers: [] } },
      [['gpu', 'gpu_a', 2]],
    ],
    [
      'a budget refusal',
      { queues: [queue('gpu', 2)], budget: () => ({ allowed: false, reason: 'monthly cap reached' }) },
      {
        launched: 0,
        reason: {
          code: 'scale-up',
          launched: [],
          notLaunched: 2,
          blockers: [{ code: 'budget', detail: 'monthly cap reached' }],
        },
      },
      [],
    ],
  ] as [string, Partial<PolicyInput>, Record<string, unknown>, (string | number)[][]][])(
    '%s',
    (_name, patch, decision, expected) => {
      const p = plan(policyInput(patch));
      expect(p.decisions.find((d) => d.queue === 'gpu')).toMatchObject(decision);
      expect(launches(p.actions)).toEqual(expected);
    },
  );

  it('asks the budget once per instance, for its queue and resource, and says what each launch is for', () => {
    const asked: unknown[] = [];
    const p = plan(
      policyInput({
        queues: [queue('gpu', 2)],
        budget: (l) => {
          asked.push(l);
          return { allowed: true };
        },
      }),
    );
    expect(asked).toEqual([
      { queue: 'gpu', resource: 'gpu_a' },
      { queue: 'gpu', resource: 'gpu_a' },
    ]);
    expect(p.actions).toEqual([
      {
        kind: 'launch',
        queue: 'gpu',
        resource: 'gpu_a',
        count: 2,
        reason: { code: 'demand', instanceType: 'g4dn.xlarge', demand: { pending: 2, idle: 0, booting: 0 } },
      },
    ]);
  });

  it('joins an instance to a worker of our prefix only, and tells orphans by queue and resource', () => {
    const config = makeConfig({ queues: { ...GPU_OVER_TWO_RESOURCES, cpu: [{ resource: 'cpu', maxInstances: 5 }] } });
    const mine = instance('gpu', 'gpu_b');
    const joinedElsewhere = instance('gpu', 'gpu_a');
    const wrongPair = instance('gpu', 'cpu');
    const oldQueue = instance('old-queue', 'cpu');
    const busy = instance('cpu', 'cpu');
    const p = plan(
      policyInput({
        config,
        instances: [mine, joinedElsewhere, wrongPair, oldQueue, busy],
        workers: [
          workerFor(mine),
          { ...workerFor(joinedElsewhere), id: `other:gpu_a:g4dn.xlarge:${joinedElsewhere.instanceId}` },
          { ...workerFor(joinedElsewhere), id: 'laptop-gpu0' },
          workerFor(busy, 'task'),
        ],
        idleSince: new Map([[busy.instanceId, T0 - 60_000]]),
      }),
    );
    expect(p.instances.map((c) => [c.instance.instanceId, c.phase, c.idleSec, c.note ?? null])).toEqual([
      [mine.instanceId, 'idle', 0, null],
      [joinedElsewhere.instanceId, 'booting', null, null],
      [wrongPair.instanceId, 'orphan', null, "queue 'gpu' / resource 'cpu' is not in the current config"],
      [oldQueue.instanceId, 'orphan', null, "queue 'old-queue' / resource 'cpu' is not in the current config"],
      [busy.instanceId, 'busy', null, null],
    ]);
  });

  it('when the total runs out on one queue, the next queue is told so', () => {
    const p = plan(
      policyInput({
        config: makeConfig({ scaling: { maxTotalInstances: 3, workersPrefix: 'dyn' } }),
        queues: [queue('gpu', 2), queue('cpu', 4)],
      }),
    );
    expect(p.decisions.map((d) => [d.queue, d.launched])).toEqual([
      ['gpu', 2],
      ['cpu', 1],
    ]);
    expect(p.decisions[1]!.reason).toMatchObject({ notLaunched: 3, blockers: [{ code: 'global-cap', max: 3 }] });
    // With the total used up before the queue is reached: the same blocker, nothing launched.
    const full = plan(
      policyInput({
        config: makeConfig({ scaling: { maxTotalInstances: 2, workersPrefix: 'dyn' } }),
        queues: [queue('gpu', 2), queue('cpu', 4)],
      }),
    );
    expect(full.decisions[1]).toMatchObject({
      launched: 0,
      reason: { notLaunched: 4, blockers: [{ code: 'global-cap', max: 2 }] },
    });
  });
});

describe('policy: what each termination says', () => {
  const one = (patch: Partial<PolicyInput>) => {
    const t = plan(policyInput(patch)).actions.filter((a) => a.kind !== 'launch');
    expect(t).toHaveLength(1);
    return t[0]!;
  };

  it('an idle worker past the limit: how long idle, against which limit; rechecked first', () => {
    const i = instance('gpu', 'gpu_a');
    expect(
      one({ instances: [i], workers: [workerFor(i)], idleSince: new Map([[i.instanceId, T0 - 16 * 60_000]]) }),
    ).toEqual({
      kind: 'terminate',
      instanceId: i.instanceId,
      workerId: workerFor(i).id,
      queue: 'gpu',
      resource: 'gpu_a',
      why: 'idle',
      recheckIdle: true,
      reason: { code: 'idle', queue: 'gpu', idleSec: 960, maxIdleSec: 900 },
    });
  });

  it('a surplus one: how many tasks the forecast expects; an inherited one: the short limit', () => {
    const { list, input } = idleCpu([5, 3], { expectedArrivals: new Map([['cpu', 1]]) });
    const [a, b] = list as [InstanceObs, InstanceObs];
    expect(one(input)).toMatchObject({
      instanceId: a.instanceId,
      reason: { code: 'idle-surplus', queue: 'cpu', idleSec: 300, maxIdleSec: 900, expected: 1 },
    });
    const p = plan({ ...input, idleInherited: new Map([[b.instanceId, null]]) });
    expect(p.actions.map((x) => (x.kind === 'terminate' ? x.reason : null))).toEqual([
      { code: 'idle-surplus', queue: 'cpu', idleSec: 300, maxIdleSec: 900, expected: 1 },
      { code: 'idle-inherited', queue: 'cpu', idleSec: 180, surplusIdleSec: 120 },
    ]);
  });

  it('a kept worker past the forecast limit says so; one past maxIdleMin gives the plain idle reason', () => {
    const kept = (minutes: number[], patch: Partial<PolicyInput>) =>
      idleCpu(minutes, { expectedArrivals: new Map([['cpu', minutes.length]]), ...patch });
    // Exactly: its own idle time, no count of the queue's idle workers.
    const ownReason = { code: 'idle-unused', queue: 'cpu', idleSec: 300, keptIdleSec: 180 };
    const limited = kept([5, 1, 1], { keptIdleSec: new Map([['cpu', 180]]) });
    expect(one(limited.input)).toMatchObject({ kind: 'terminate', instanceId: limited.list[0]!.instanceId });
    expect(one(limited.input)).toHaveProperty('reason', ownReason);
    // Read from the queue: how long it has had that many idle workers, and how many.
    const byQueue = kept([2, 1, 1], {
      keptIdleSec: new Map([['cpu', 180]]),
      idleRunSec: new Map([['cpu', [400, 60]]]),
    });
    expect(one(byQueue.input)).toMatchObject({
      instanceId: byQueue.list[0]!.instanceId,
      reason: { code: 'idle-unused', queue: 'cpu', idleSec: 400, keptIdleSec: 180, queueIdleWorkers: 1 },
    });
    // The worker's own time when no shorter: no count.
    const own = kept([5, 1, 1], { keptIdleSec: new Map([['cpu', 180]]), idleRunSec: new Map([['cpu', [300, 60]]]) });
    expect(one(own.input)).toHaveProperty('reason', ownReason);
    // Runs for other queues only: the worker's own time.
    const elsewhere = kept([5, 1, 1], {
      keptIdleSec: new Map([['cpu', 180]]),
      idleRunSec: new Map([['gpu', [900, 900]]]),
    });
    expect(one(elsewhere.input)).toHaveProperty('reason.idleSec', 300);
    const ceiling = kept([16, 1, 1], { keptIdleSec: new Map([['cpu', 960]]) });
    expect(one(ceiling.input)).toMatchObject({ reason: { code: 'idle', queue: 'cpu', idleSec: 960, maxIdleSec: 900 } });
    // The surplus limit, not the forecast's, for the workers it does not keep, on their own idle time.
    const surplus = idleCpu([5, 1], {
      expectedArrivals: new Map([['cpu', 1]]),
      keptIdleSec: new Map([['cpu', 180]]),
      idleRunSec: new Map([['cpu', [900, 900]]]),
    });
    expect(one(surplus.input)).toMatchObject({ reason: { code: 'idle-surplus', idleSec: 300 } });
    // Surplus workers (beyond the one expected) have 1 min each of their own: under the surplus limit, whatever
    // the queue's time.
    const ownSurplus = idleCpu([1, 1, 1], {
      expectedArrivals: new Map([['cpu', 1]]),
      keptIdleSec: new Map([['cpu', 180]]),
      idleRunSec: new Map([['cpu', [900, 900, 900]]]),
    });
    expect(plan(ownSurplus.input).actions.filter((a) => a.kind === 'terminate')).toEqual([]);
    // One idle since before this run began gets the surplus limit on its own time, whatever the queue's.
    const inherited = kept([1, 1, 1], {
      keptIdleSec: new Map([['cpu', 180]]),
      idleRunSec: new Map([['cpu', [900, 900]]]),
    });
    const first = inherited.list[0]!.instanceId;
    expect(
      plan({ ...inherited.input, idleInherited: new Map([[first, null]]) }).actions.filter(
        (a) => a.kind === 'terminate',
      ),
    ).toEqual([]);
  });

  it('an idle worker the loop has not timed yet counts as idle for 0 s', () => {
    const i = instance('gpu', 'gpu_a');
    const p = plan(policyInput({ instances: [i], workers: [workerFor(i)] }));
    expect(p.instances[0]).toMatchObject({ phase: 'idle', idleSec: 0 });
    expect(p.actions).toEqual([]);
  });

  it('a budget cap in terminate-idle mode ends every idle worker in its scope at once, busy ones never', () => {
    const idle = instance('gpu', 'gpu_a');
    const busy = instance('gpu', 'gpu_a');
    const cpuIdle = instance('cpu', 'cpu');
    const input = (global: boolean, queues: string[]) =>
      policyInput({
        instances: [idle, busy, cpuIdle],
        workers: [workerFor(idle), workerFor(busy, 't'), workerFor(cpuIdle)],
        idleSince: new Map([[idle.instanceId, T0]]),
        budgetIdle: { global, queues: new Set(queues), reason: 'daily cap $5 reached' },
      });
    const ended = (p: Plan) => p.actions.flatMap((a) => (a.kind === 'terminate' ? [[a.instanceId, a.why]] : []));
    expect(ended(plan(input(false, ['gpu'])))).toEqual([[idle.instanceId, 'budget']]);
    expect(ended(plan(input(true, [])))).toEqual([
      [idle.instanceId, 'budget'],
      [cpuIdle.instanceId, 'budget'],
    ]);
    expect(ended(plan(input(false, [])))).toEqual([]);
    expect(plan(input(false, ['gpu'])).actions[0]).toMatchObject({
      recheckIdle: true,
      reason: { code: 'budget', detail: 'daily cap $5 reached' },
    });
  });

  it('an instance that never registered: ended without a recheck (there is no worker to ask)', () => {
    const old = instance('gpu', 'gpu_a', { ageSec: 31 * 60 });
    expect(one({ instances: [old] })).toMatchObject({
      why: 'spin-up',
      workerId: null,
      recheckIdle: false,
      reason: { code: 'spin-up', spinUpMin: 30 },
    });
  });

  it.each([
    // [name, tags, marked ago (min) | null, worker, expected action | null]
    [
      'no queue tag: marked, with why',
      { [TAG.queue]: '' },
      null,
      null,
      { kind: 'mark-orphan', reason: { code: 'orphan-found', note: 'has our prefix tag but no queue tag' } },
    ],
    [
      'a queue/resource the config no longer has: marked',
      {},
      null,
      null,
      {
        kind: 'mark-orphan',
        reason: { code: 'orphan-found', note: "queue 'old-queue' / resource 'gone' is not in the current config" },
      },
    ],
    ['a mark that does not parse: marked again', {}, 'garbage', null, { kind: 'mark-orphan' }],
    ['a mark of 0: marked again', {}, '0', null, { kind: 'mark-orphan' }],
    ['marked 4 min ago: within the 5-min grace', {}, 4, null, null],
    [
      'marked 5 min ago: ended, no worker to recheck',
      {},
      5,
      null,
      {
        kind: 'terminate',
        why: 'orphan',
        recheckIdle: false,
        reason: {
          code: 'orphan',
          forSec: 300,
          note: "queue 'old-queue' / resource 'gone' is not in the current config",
        },
      },
    ],
    [
      'marked 10 min ago with an idle worker: ended after a recheck',
      {},
      10,
      'idle',
      { kind: 'terminate', why: 'orphan', recheckIdle: true, reason: { code: 'orphan', forSec: 600 } },
    ],
  ] as [string, Record<string, string>, number | string | null, 'idle' | null, Record<string, unknown> | null][])(
    'orphans: %s',
    (_n, tags, ago, worker, action) => {
      const mark: Record<string, string> =
        ago === null ? {} : { [TAG.orphanSince]: typeof ago === 'number' ? String(T0 - ago * 60_000) : ago };
      const i = instance('old-queue', 'gone', { tags: { ...mark, ...tags } });
      const p = plan(policyInput({ instances: [i], workers: worker ? [workerFor(i)] : [] }));
      expect(p.actions).toHaveLength(action ? 1 : 0);
      if (action) expect(p.actions[0]).toMatchObject({ instanceId: i.instanceId, ...action });
    },
  );

  it.each([
    // [name, patch on top of a worker whose instance is not listed, unregistered]
    ['its instance is gone: unregistered', {}, true],
    ['its instance was just launched (not listed yet): kept', { inFlight: true }, false],
    ['it is running a task: kept', { busy: true }, false],
    ['its instance is listed and running: kept', { listed: true }, false],
    ['its instance is listed but terminated: unregistered', { listed: true, terminated: true }, true],
    ['not confirmed gone when EC2 was asked: kept', { zombies: [] }, false],
    ['confirmed gone: unregistered', { zombies: ['it'] }, true],
  ] as [
    string,
    { inFlight?: boolean; busy?: boolean; listed?: boolean; terminated?: boolean; zombies?: string[] },
    boolean,
  ][])('zombie workers: %s', (_n, o, gone) => {
    const i = instance('gpu', 'gpu_a', o.terminated ? { state: 'terminated' } : {});
    const w = workerFor(i, o.busy ? 'task' : null);
    const p = plan(
      policyInput({
        workers: [w],
        instances: o.listed ? [i] : [],
        inFlight: o.inFlight ? [{ queue: 'gpu', resource: 'gpu_a', instanceId: i.instanceId, at: T0 }] : [],
        ...(o.zombies ? { zombieWorkers: new Set(o.zombies.map(() => w.id)) } : {}),
      }),
    );
    const unregister = p.actions.filter((a) => a.kind === 'unregister');
    expect(unregister).toEqual(
      gone ? [{ kind: 'unregister', workerId: w.id, reason: { code: 'worker-gone', instanceId: i.instanceId } }] : [],
    );
  });
});
