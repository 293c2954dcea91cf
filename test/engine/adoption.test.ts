// Switching from ClearML's autoscaler: workers of our prefix on instances without our tags are capacity, never
// zombies; only a worker whose instance EC2 confirms gone may be unregistered; adoption tags only what fits the
// config. Pure decisions (adoption.ts) and the policy's use of them.
import { describe, expect, it } from 'vitest';
import {
  adoptableViews,
  adoptionPlan,
  adoptionTags,
  autoscalerEvidence,
  blockerText,
  foreignCandidates,
  lookupsThisTick,
  triageWorkers,
  type AdoptBlocker,
  type ScriptRead,
} from '../../electron/engine/adoption.js';
import { clearmlAutoscalerUserData } from '../../electron/engine/emulators/clearml-autoscaler-instances.js';
import { userDataBuilder } from '../../electron/engine/userdata/userdata.js';
import { plan } from '../../electron/engine/policy.js';
import { renderDecision, renderTerminateReason } from '../../electron/engine/reasons.js';
import { TAG, type InstanceObs, type WorkerObs } from '../../electron/engine/ports.js';
import { T0, instance, makeConfig, policyInput, queue, workerFor } from './fixtures.js';

const config = makeConfig();

/** An instance ClearML's autoscaler launched: only the user's tags. */
function clearmlInstance(id: string, state: InstanceObs['state'] = 'running'): InstanceObs {
  return { ...instance('gpu', 'gpu_a', { instanceId: id, state }), tags: { Name: 'clearml-gpu-worker' } };
}
/** The startup script ClearML's autoscaler gave each of these instances (for gpu_a unless said otherwise). */
function scripts(ids: readonly string[], resource = 'gpu_a'): Map<string, ScriptRead> {
  const text = clearmlAutoscalerUserData(
    { prefix: 'dyn', resource, instanceType: 'g4dn.xlarge', queue: 'gpu' },
    'http://clearml:8008',
  );
  return new Map(ids.map((id) => [id, { text }]));
}
function worker(id: string, opts: { task?: string; queues?: string[]; resource?: string } = {}): WorkerObs {
  return {
    id: `dyn:${opts.resource ?? 'gpu_a'}:g4dn.xlarge:${id}`,
    task: opts.task ? { id: opts.task } : null,
    queues: opts.queues ?? ['gpu'],
    registeredAt: T0 - 600_000,
    lastActivityAt: T0,
    lastReportAt: T0,
  };
}

describe('worker triage', () => {
  const ours = instance('gpu', 'gpu_a', { instanceId: 'i-0000000000000aaa1' });
  const oursGone = instance('gpu', 'gpu_a', { instanceId: 'i-0000000000000aaa2', state: 'shutting-down' });
  const workers = [
    workerFor(ours),
    workerFor(oursGone),
    worker('i-00000000000000f01'), // ClearML's, running
    worker('i-00000000000000f02', { task: 't1' }), // ClearML's, busy
    worker('i-00000000000000f03'), // instance gone for good
    worker('i-00000000000000f04', { task: 't2' }), // instance gone, but busy: the stranded-task path owns it
    { ...worker('i-00000000000000f05'), id: 'other:gpu_a:g4dn.xlarge:i-00000000000000f05' }, // not our prefix
  ];
  const looked = new Map(['i-00000000000000f01', 'i-00000000000000f02'].map((id) => [id, clearmlInstance(id)]));

  it('asks EC2 only about workers not on an instance of ours', () => {
    expect(foreignCandidates(workers, 'dyn', new Set([ours.instanceId, oursGone.instanceId]), new Set())).toEqual([
      'i-00000000000000f01',
      'i-00000000000000f02',
      'i-00000000000000f03',
      'i-00000000000000f04',
    ]);
  });

  it.each([
    [
      'EC2 answered: existing instances are foreign capacity, confirmed-gone idle workers are zombies',
      looked,
      ['i-00000000000000f01', 'i-00000000000000f02'],
      [workerFor(oursGone).id, worker('i-00000000000000f03').id],
    ],
    ['EC2 could not be asked: nobody but our own dead instances is a zombie', null, [], [workerFor(oursGone).id]],
  ])('%s', (_, lookup, foreignIds, zombieIds) => {
    const t = triageWorkers({ config, workers, ours: [ours, oursGone], inFlightIds: new Set(), looked: lookup });
    expect(t.foreign.map((f) => f.instanceId)).toEqual(foreignIds);
    expect([...t.zombies].sort()).toEqual([...zombieIds].sort());
  });

  it('a worker on an instance not asked about this tick is neither capacity nor a zombie yet', () => {
    const t = triageWorkers({
      config,
      workers,
      ours: [ours, oursGone],
      inFlightIds: new Set(),
      looked: new Map([['i-00000000000000f01', clearmlInstance('i-00000000000000f01')]]),
      asked: new Set(['i-00000000000000f01', 'i-00000000000000f04']),
    });
    expect(t.foreign.map((f) => f.instanceId)).toEqual(['i-00000000000000f01']);
    // f03 is gone but was not asked about this tick: it waits for its turn.
    expect([...t.zombies]).toEqual([workerFor(oursGone).id]);
  });

  it.each([
    ['all, when within the bound', ['a', 'b', 'c'], {}, 5, ['a', 'b', 'c']],
    [
      'those not answered absent first, then the longest-absent',
      ['a', 'b', 'c', 'd'],
      { a: 20, c: 10 },
      3,
      ['b', 'd', 'c'],
    ],
    ['the absent in turn: the one asked longest ago first', ['a', 'b', 'c'], { a: 30, b: 10, c: 20 }, 2, ['b', 'c']],
  ])('lookupsThisTick: %s', (_, candidates, absent, limit, want) => {
    expect(lookupsThisTick(candidates, new Map(Object.entries(absent)), limit)).toEqual(want);
  });

  it('a launch still in flight is neither foreign nor a zombie', () => {
    const t = triageWorkers({
      config,
      workers: [worker('i-00000000000000f03')],
      ours: [],
      inFlightIds: new Set(['i-00000000000000f03']),
      looked: new Map(),
    });
    expect(t).toEqual({ foreign: [], zombies: new Set() });
  });

  it.each([
    ['configured resource and queue', worker('i-00000000000000f01'), null],
    [
      'resource missing from the config',
      worker('i-00000000000000f01', { resource: 'gpu_old' }),
      'resource-not-configured',
    ],
    ['listens on no configured queue', worker('i-00000000000000f01', { queues: ['elsewhere'] }), null],
    ['queue does not list the resource', worker('i-00000000000000f01', { queues: ['cpu'] }), 'resource-not-in-queue'],
  ])('adoptable when: %s', (_, w, blocker) => {
    const t = triageWorkers({
      config,
      workers: [w],
      ours: [],
      inFlightIds: new Set(),
      looked: new Map([['i-00000000000000f01', clearmlInstance('i-00000000000000f01')]]),
      scripts: scripts(['i-00000000000000f01'], w.id.split(':')[1]),
    });
    expect(t.foreign[0]?.blocker?.code ?? null).toBe(blocker);
  });

  it.each([
    // [name, queues it listens on, its resource, task, state, the queue it serves, blocker]
    ['listens on the queue that lists its resource', ['gpu'], 'gpu_a', null, 'running', 'gpu', null],
    ['of two configured queues, the one listing its resource', ['cpu', 'gpu'], 'gpu_a', 't1', 'running', 'gpu', null],
    ['only a queue that does not list it', ['cpu'], 'gpu_a', null, 'running', 'cpu', 'resource-not-in-queue'],
    ['no configured queue: the queue serving its resource', ['elsewhere'], 'gpu_a', null, 'pending', 'gpu', null],
    ['no queue at all serves its resource', ['elsewhere'], 'gpu_b', null, 'running', null, 'no-configured-queue'],
    ['its instance is stopping', ['gpu'], 'gpu_a', null, 'stopping', 'gpu', 'not-running'],
  ] as [string, string[], string, string | null, InstanceObs['state'], string | null, string | null][])(
    'the queue it counts for: %s',
    (_n, queues, resource, task, state, serves, blocker) => {
      const w = worker('i-00000000000000f01', { queues, resource, ...(task ? { task } : {}) });
      const t = triageWorkers({
        config,
        workers: [w],
        ours: [],
        inFlightIds: new Set(),
        looked: new Map([['i-00000000000000f01', clearmlInstance('i-00000000000000f01', state)]]),
        scripts: scripts(['i-00000000000000f01'], resource),
      });
      expect(t.foreign).toHaveLength(1);
      expect(t.foreign[0]).toMatchObject({ queue: serves, busy: task !== null, resource });
      expect(t.foreign[0]!.blocker?.code ?? null).toBe(blocker);
      if (blocker === 'no-configured-queue') expect(t.foreign[0]!.blocker).toMatchObject({ queues: ['elsewhere'] });
    },
  );

  it.each([
    [
      { code: 'resource-not-configured', resource: 'gpu_old' },
      "resource 'gpu_old' is not in the config: add it (same name as in ClearML's config) to adopt this instance",
    ],
    [{ code: 'no-configured-queue', queues: ['a', 'b'] }, "it listens on 'a', 'b', none of which is configured"],
    [{ code: 'no-configured-queue', queues: [] }, 'it listens on no queue, none of which is configured'],
    [{ code: 'resource-not-in-queue', queue: 'cpu', resource: 'gpu_a' }, "queue 'cpu' does not list resource 'gpu_a'"],
    [{ code: 'not-running', state: 'stopped' }, 'the instance is stopped'],
    [
      { code: 'type-mismatch', workerType: 'g4dn.xlarge', instanceType: 't3.large' },
      'its worker is named for a g4dn.xlarge but the instance is a t3.large: the worker does not run on it, so nothing shows an autoscaler launched it (left alone)',
    ],
    [
      { code: 'script-unread', error: null },
      'its startup script is not read yet (the evidence that an autoscaler launched it): offered once read',
    ],
    [
      { code: 'script-unread', error: 'UnauthorizedOperation' },
      'its startup script could not be read (UnauthorizedOperation), the evidence that an autoscaler launched it: allow ec2:DescribeInstanceAttribute (README: IAM policy)',
    ],
    [
      { code: 'not-an-autoscaler-script', workerPrefix: 'dyn:gpu_a:g4dn.xlarge', hasScript: true },
      "its startup script does not start a ClearML agent as worker 'dyn:gpu_a:g4dn.xlarge:<instance id>', so nothing shows an autoscaler launched it: not a ClearML autoscaler's instance (left alone)",
    ],
    [
      { code: 'not-an-autoscaler-script', workerPrefix: 'dyn:gpu_a:g4dn.xlarge', hasScript: false },
      "its startup script is empty: nothing starts a ClearML agent as worker 'dyn:gpu_a:g4dn.xlarge:<instance id>', so nothing shows an autoscaler launched it: not a ClearML autoscaler's instance (left alone)",
    ],
  ] as [AdoptBlocker, string][])('says why it cannot adopt: %j', (b, text) => {
    expect(blockerText(b)).toBe(text);
  });

  const clearmlScript = scripts(['x']).get('x')!;
  const ourScript = { text: userDataBuilder(config, { clearml: null })({ queue: 'gpu', resource: 'gpu_a' }) };
  it.each([
    // [case, the instance's type, what its startup script read, the blocker's code]
    ["ClearML's autoscaler's script starting an agent as this worker", 'g4dn.xlarge', clearmlScript, null],
    [
      "this app's own script for this worker (an instance of ours whose tags were removed)",
      'g4dn.xlarge',
      ourScript,
      null,
    ],
    [
      'a quoted worker id with ${DYNAMIC_INSTANCE_ID}',
      'g4dn.xlarge',
      { text: 'export CLEARML_WORKER_ID="dyn:gpu_a:g4dn.xlarge:${DYNAMIC_INSTANCE_ID}"\n' },
      null,
    ],
    [
      "a stranger's instance (a database host's script)",
      'g4dn.xlarge',
      { text: '#!/bin/bash\nsystemctl start postgresql\n' },
      'not-an-autoscaler-script',
    ],
    ['no startup script at all', 'g4dn.xlarge', { text: null }, 'not-an-autoscaler-script'],
    [
      "ClearML's script, for another resource",
      'g4dn.xlarge',
      scripts(['x'], 'gpu_b').get('x')!,
      'not-an-autoscaler-script',
    ],
    [
      "ClearML's script for another prefix",
      'g4dn.xlarge',
      { text: 'export CLEARML_WORKER_ID=dyn2:gpu_a:g4dn.xlarge:$DYNAMIC_INSTANCE_ID\n' },
      'not-an-autoscaler-script',
    ],
    [
      'the id only in a comment',
      'g4dn.xlarge',
      { text: '# export CLEARML_WORKER_ID=dyn:gpu_a:g4dn.xlarge:$DYNAMIC_INSTANCE_ID\n' },
      'not-an-autoscaler-script',
    ],
    ['an instance of another type than its worker names', 't3.large', clearmlScript, 'type-mismatch'],
    ['the script not read yet', 'g4dn.xlarge', undefined, 'script-unread'],
    [
      'the script refused (no ec2:DescribeInstanceAttribute)',
      'g4dn.xlarge',
      { error: 'UnauthorizedOperation' },
      'script-unread',
    ],
  ] as [string, string, ScriptRead | undefined, string | null][])(
    'evidence that an autoscaler launched it: %s',
    (_n, type, script, code) => {
      const w = { prefix: 'dyn', resource: 'gpu_a', instanceType: 'g4dn.xlarge' };
      expect(autoscalerEvidence(w, type, script)?.code ?? null).toBe(code);
      // Through the triage: without the evidence it stays capacity but adoption refuses it, 'all' included.
      const t = triageWorkers({
        config,
        workers: [worker('i-00000000000000f01')],
        ours: [],
        inFlightIds: new Set(),
        looked: new Map([['i-00000000000000f01', { ...clearmlInstance('i-00000000000000f01'), instanceType: type }]]),
        scripts: script ? new Map([['i-00000000000000f01', script]]) : new Map(),
      });
      expect(t.foreign[0]).toMatchObject({ live: true });
      expect(adoptionPlan(t.foreign, 'all').adopt).toHaveLength(code === null ? 1 : 0);
      // What the dashboard and peers are told, as data: shown to be a stranger's (never counted as ClearML's), or
      // not (an unread script says nothing either way).
      expect(adoptableViews(t.foreign)[0]!.notAutoscalers).toBe(
        code === 'type-mismatch' || code === 'not-an-autoscaler-script',
      );
    },
  );

  it('a stopped instance exists (its worker is kept) but is not capacity', () => {
    const t = triageWorkers({
      config,
      workers: [worker('i-00000000000000f01')],
      ours: [],
      inFlightIds: new Set(),
      looked: new Map([['i-00000000000000f01', clearmlInstance('i-00000000000000f01', 'stopped')]]),
    });
    expect(t.zombies.size).toBe(0);
    expect(t.foreign[0]).toMatchObject({ live: false, blocker: { code: 'not-running', state: 'stopped' } });
  });
});

describe('adoption', () => {
  const t = triageWorkers({
    config,
    workers: [worker('i-00000000000000f01'), worker('i-00000000000000f02', { resource: 'gpu_old' })],
    ours: [],
    inFlightIds: new Set(),
    looked: new Map(['i-00000000000000f01', 'i-00000000000000f02'].map((id) => [id, clearmlInstance(id)])),
    scripts: new Map([...scripts(['i-00000000000000f01']), ...scripts(['i-00000000000000f02'], 'gpu_old')]),
  });

  it('adopts what fits the config, refuses the rest with the reason', () => {
    const p = adoptionPlan(t.foreign, 'all');
    expect(p.adopt.map((f) => f.instanceId)).toEqual(['i-00000000000000f01']);
    expect(p.refused.map((r) => r.instanceId)).toEqual(['i-00000000000000f02']);
    expect(p.refused[0]?.reason).toContain("resource 'gpu_old' is not in the config");
    expect(adoptionPlan(t.foreign, ['i-0000000000000dead']).refused[0]?.reason).toContain('already ours, or gone');
  });

  it('tags an adopted instance exactly as a launch of ours would be found: prefix, resource, queue, lease', () => {
    const tags = adoptionTags(config, t.foreign[0]!, T0);
    expect(tags).toEqual({
      [TAG.prefix]: 'dyn',
      [TAG.resource]: 'gpu_a',
      [TAG.queue]: 'gpu',
      [TAG.name]: 'dyn:gpu_a:gpu',
      [TAG.launchedBy]: 'clearml-autoscaler (adopted)',
      [TAG.adoptedAt]: String(T0),
      [TAG.lease]: String(Math.floor(T0 / 1000) + 20 * 60),
    });
    expect(tags['Name']).toBeUndefined(); // the user's Name stays
    // With the lease turned off, no lease tag is written.
    const unleased = makeConfig({ lease: { enabled: false } });
    expect(adoptionTags(unleased, t.foreign[0]!, T0)[TAG.lease]).toBeUndefined();
  });
});

describe('policy with workers from ClearML’s autoscaler', () => {
  const f1 = clearmlInstance('i-00000000000000f01');
  const f2 = clearmlInstance('i-00000000000000f02');
  const workers = [worker(f1.instanceId), worker(f2.instanceId, { task: 'busy-1' })];
  const triage = triageWorkers({
    config,
    workers,
    ours: [],
    inFlightIds: new Set(),
    looked: new Map([f1, f2].map((i) => [i.instanceId, i])),
    scripts: scripts([f1.instanceId, f2.instanceId]),
  });

  it('idle foreign workers cover pending tasks; all of them count against the resource cap', () => {
    const p = plan(
      policyInput({
        queues: [queue('gpu', 3), queue('cpu', 0)],
        workers,
        foreign: triage.foreign,
        zombieWorkers: triage.zombies,
      }),
    );
    // 3 pending − 1 idle foreign = 2 needed, but gpu_a's cap of 2 is already taken by the two foreign instances.
    expect(p.actions.filter((a) => a.kind === 'launch')).toEqual([]);
    expect(p.actions.filter((a) => a.kind === 'unregister')).toEqual([]);
    expect(renderDecision(p.decisions.find((d) => d.queue === 'gpu')!)).toContain(
      "2 from ClearML's autoscaler (1 idle)",
    );
  });

  // A duplicate: both autoscalers launched for one task, ours idles beside ClearML's idle one (maxIdleMin 30 and
  // surplusIdleMin 5 below). ClearML's covers the queue's next task, so ours is surplus; a pending task it would
  // take, or a busy ClearML worker, changes nothing.
  it.each([
    // [case, ours idle (min), ClearML's idle, ClearML's busy, pending, ours terminated]
    ["ours idle 6 min beside ClearML's idle one: surplus, goes", 6, 1, 0, 0, true],
    ["ours idle 4 min beside ClearML's idle one: under the surplus limit, stays", 4, 1, 0, 0, false],
    ["ours idle 6 min beside a busy one of ClearML's only: kept for the forecast", 6, 0, 1, 0, false],
    ["ours idle 6 min, ClearML's idle one taking a second pending task: kept for the first", 6, 1, 0, 2, false],
    ["ours idle 31 min with nothing of ClearML's: the idle limit", 31, 0, 0, 0, true],
  ] as [string, number, number, number, number, boolean][])('%s', (_n, idleMin, fIdle, fBusy, pending, goes) => {
    const cfg = makeConfig({ scaling: { workersPrefix: 'dyn', maxIdleMin: 30, surplusIdleMin: 5 } });
    const ours = instance('gpu', 'gpu_a', { instanceId: 'i-0000000000000aaa1' });
    const ids = Array.from({ length: fIdle + fBusy }, (_, k) => `i-00000000000000f0${k + 1}`);
    const theirs = ids.map((id, k) => worker(id, k < fIdle ? {} : { task: `busy-${k}` }));
    const tr = triageWorkers({
      config: cfg,
      workers: theirs,
      ours: [ours],
      inFlightIds: new Set(),
      looked: new Map(ids.map((id) => [id, clearmlInstance(id)])),
      scripts: scripts(ids),
    });
    const p = plan(
      policyInput({
        config: cfg,
        instances: [ours],
        workers: [workerFor(ours), ...theirs],
        queues: [queue('gpu', pending), queue('cpu', 0)],
        foreign: tr.foreign,
        idleSince: new Map([[ours.instanceId, T0 - idleMin * 60_000]]),
      }),
    );
    const end = p.actions.find((a) => a.kind === 'terminate' && a.instanceId === ours.instanceId);
    expect(!!end).toBe(goes);
    if (end?.kind === 'terminate' && fIdle) {
      expect(end.reason).toMatchObject({ code: 'idle-surplus', foreignIdle: 1 });
      expect(renderTerminateReason(end.reason)).toBe(
        "idle for 6 min, no pending task on 'gpu', and 1 idle instance of ClearML's autoscaler there takes its next tasks (which this app does not scale down until adopted)",
      );
    }
  });

  it('without the triage (base behaviour) the same workers would be unregistered and duplicated', () => {
    const p = plan(policyInput({ queues: [queue('gpu', 3), queue('cpu', 0)], workers }));
    expect(p.actions.some((a) => a.kind === 'unregister')).toBe(true);
    expect(p.actions.filter((a) => a.kind === 'launch')).toHaveLength(1);
  });
});
