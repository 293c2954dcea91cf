// Tasks stranded by a crash: a busy instance lost while the app was down. The engine alone never requeues them (it
// learns "was busy" from the memory the crash erased); recovery does, from ClearML and EC2.
import { afterEach, describe, expect, it } from 'vitest';
import type { InstanceObs, TaskObs, WorkerObs } from '../../electron/engine/ports.js';
import { createCrashSafety } from '../../electron/engine/reliability/recovery.js';
import {
  findStranded,
  requeueStranded,
  SILENT_AFTER_MS,
  tasksOfDroppedWorkers,
  workersOnGoneInstances,
} from '../../electron/engine/reliability/stranded.js';
import { makeConfig, startRig, T0, userDataFor, type Rig } from './rig.js';
import { FakeClearml } from '../fakes/clearml.js';

const id = 'i-0123456789abcdef0';
/** Instance `id` in `state`; its queue tag names `queue`. */
const inst = (state: InstanceObs['state'], reason: string | null = null, queue = 'gpu-from-tag'): InstanceObs => ({
  instanceId: id,
  state,
  instanceType: 'g4dn.xlarge',
  market: 'spot',
  zone: 'us-east-1a',
  subnetId: null,
  launchedAt: T0 - 30 * 60_000,
  tags: { 'clearml-autoscaler:queue': queue },
  clientToken: null,
  stateReasonCode: reason,
});

// The rig of the test that started one (the recovery suites below), closed after it.
let rig: Rig | null = null;
afterEach(async () => {
  await rig?.close();
  rig = null;
});

describe('findStranded', () => {
  const worker = (patch: Partial<WorkerObs> = {}): WorkerObs => ({
    id: `rel:gpu_a:g4dn.xlarge:${id}`,
    task: { id: 't1' },
    queues: ['gpu'],
    registeredAt: T0 - 20 * 60_000,
    lastActivityAt: T0 - 10 * 60_000,
    lastReportAt: T0 - 10 * 60_000,
    ...patch,
  });
  const task = (patch: Partial<TaskObs> = {}): TaskObs => ({
    id: 't1',
    name: 'train',
    status: 'in_progress',
    queueId: null,
    lastWorker: `rel:gpu_a:g4dn.xlarge:${id}`,
    ...patch,
  });
  const run = (p: { workers?: WorkerObs[]; instances?: InstanceObs[]; tasks?: TaskObs[]; prefix?: string }) =>
    findStranded({
      now: T0,
      prefix: p.prefix ?? 'rel',
      workers: p.workers ?? [worker()],
      instances: p.instances ?? [],
      tasks: p.tasks ?? [task()],
    });

  const cases: { name: string; got: () => ReturnType<typeof run>; queue: string | null; why?: string }[] = [
    {
      name: 'spot instance interrupted → stranded, back to the queue of its tag',
      got: () => run({ instances: [inst('shutting-down', 'Server.SpotInstanceTermination')] }),
      queue: 'gpu-from-tag',
      why: 'its spot instance was interrupted while the app was not running',
    },
    {
      name: 'listed gone, even if its worker reported a second ago',
      got: () => run({ workers: [worker({ lastReportAt: T0 - 1000 })], instances: [inst('terminated')] }),
      queue: 'gpu-from-tag',
      why: `its instance ${id} stopped (terminated) while the app was not running`,
    },
    { name: 'instance still running → not stranded', got: () => run({ instances: [inst('running')] }), queue: null },
    {
      name: 'not listed, old and silent → stranded (queue of the worker)',
      got: () => run({}),
      queue: 'gpu',
      why: `its instance ${id} disappeared while the app was not running`,
    },
    {
      name: 'not listed, silent for exactly the limit → stranded',
      got: () => run({ workers: [worker({ lastReportAt: T0 - SILENT_AFTER_MS })] }),
      queue: 'gpu',
    },
    {
      name: 'no queue to return it to (no tag, the worker lists none) → left alone',
      got: () => run({ workers: [worker({ queues: [] })] }),
      queue: null,
    },
    { name: 'task unknown to ClearML → nothing to do', got: () => run({ tasks: [] }), queue: null },
    {
      name: 'not listed but reported recently → not conclusive',
      got: () => run({ workers: [worker({ lastReportAt: T0 - SILENT_AFTER_MS / 2 })] }),
      queue: null,
    },
    {
      name: 'not listed, never reported → not conclusive',
      got: () => run({ workers: [worker({ registeredAt: null, lastActivityAt: null, lastReportAt: null })] }),
      queue: null,
    },
    {
      name: 'task already requeued (queued) → nothing to do',
      got: () => run({ tasks: [task({ status: 'queued' })] }),
      queue: null,
    },
    {
      name: 'task last run by another worker → not ours to requeue',
      got: () => run({ tasks: [task({ lastWorker: 'rel:gpu_a:g4dn.xlarge:i-0ffffffffffffffff' })] }),
      queue: null,
    },
    { name: 'another prefix → not ours', got: () => run({ prefix: 'other' }), queue: null },
    { name: 'idle worker → nothing', got: () => run({ workers: [worker({ task: null })] }), queue: null },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = c.got();
      if (c.queue === null) expect(got).toEqual([]);
      else
        expect(got).toMatchObject([{ taskId: 't1', instanceId: id, queue: c.queue, ...(c.why ? { why: c.why } : {}) }]);
    });
  }

  it('the "instance is gone" rule alone (the engine checks the task with ClearML itself) ignores task records', () => {
    const gone = (instances: InstanceObs[]) =>
      workersOnGoneInstances({ now: T0, prefix: 'rel', workers: [worker({ task: { id: 't9' } })], instances });
    expect(gone([inst('terminated')])).toMatchObject([{ taskId: 't9', instanceId: id, queue: 'gpu-from-tag' }]);
    expect(gone([inst('running')])).toEqual([]);
  });
});

describe('tasksOfDroppedWorkers: in_progress tasks whose worker ClearML no longer lists', () => {
  const ours = `rel:gpu_a:g4dn.xlarge:${id}`;
  const task = (patch: Partial<TaskObs> = {}): TaskObs => ({
    id: 't1',
    name: 'train',
    status: 'in_progress',
    queueId: 'q-gpu',
    lastWorker: ours,
    ...patch,
  });
  const listed = (workerId: string): WorkerObs => ({
    id: workerId,
    task: null,
    queues: ['gpu'],
    registeredAt: T0,
    lastActivityAt: T0,
    lastReportAt: T0,
  });
  it.each([
    // [name, task, listed workers, instances, stranded]
    ['worker dropped, instance not listed: stranded', task(), [], [], true],
    ['worker dropped, instance terminated: stranded', task(), [], [inst('terminated', null, 'gpu')], true],
    [
      'worker dropped, instance running: not (its agent is alive or the spin-up rule acts)',
      task(),
      [],
      [inst('running')],
      false,
    ],
    ['worker still listed: the worker rule decides, not this one', task(), [listed(ours)], [], false],
    ['not in_progress', task({ status: 'queued' }), [], [], false],
    ["someone else's worker", task({ lastWorker: `other:gpu_a:g4dn.xlarge:${id}` }), [], [], false],
    ['no queue to return it to', task({ queueId: null }), [], [], false],
  ] as [string, TaskObs, WorkerObs[], InstanceObs[], boolean][])('%s', (_n, t, workers, instances, stranded) => {
    const out = tasksOfDroppedWorkers({
      prefix: 'rel',
      queues: { gpu: [{ resource: 'gpu_a', maxInstances: 2 }] },
      tasks: [t],
      workers,
      instances,
    });
    expect(out.map((s) => s.taskId)).toEqual(stranded ? ['t1'] : []);
    if (stranded) expect(out[0]).toMatchObject({ queue: 'gpu', queueId: 'q-gpu', instanceId: id, workerId: ours });
  });
});

describe('recovery requeues tasks of instances lost while the app was down', () => {
  for (const [withRecovery, downSec] of [
    [true, SILENT_AFTER_MS / 1000 + 30],
    [false, SILENT_AFTER_MS / 1000 + 30],
    [true, 90 * 60],
  ] as const) {
    // Without recovery the engine's own per-tick check (a worker of ours holding an in_progress task on an instance
    // that is gone) finds it on its first tick, so the task completes either way.
    it(
      withRecovery
        ? `with recovery, ${downSec / 60} min down: requeued at start and completed`
        : 'without recovery: requeued by the first tick and completed',
      async () => {
        rig = await startRig();
        const config = makeConfig();
        rig.clearml.createQueue('gpu');
        const taskId = rig.clearml.addTask({ name: 'long', queue: 'gpu', durationSec: 20 * 60 });
        const c1 = rig.clients(config);
        const engine1 = rig.engine(config, c1);
        await rig.run(engine1, 3 * 60);
        expect(rig.clearml.task(taskId)?.status).toBe('in_progress');

        // The app dies; while it is down AWS takes the spot instance back.
        const [lost] = rig.live();
        rig.ec2.interruptSpot(lost!.instanceId);
        rig.agents.step();
        // Long enough to be terminated (no longer listed) and silent; or, the second time, for ClearML to drop the
        // silent worker after its 600 s register timeout, so no listed worker points at the task any more.
        rig.clock.advance(downSec * 1000);
        rig.agents.step();

        const crash = createCrashSafety({ dir: rig.dir, clock: rig.clock, userData: userDataFor });
        const c2 = rig.clients(config);
        const engine2 = rig.engine(config, c2, crash.engineExtras);
        if (withRecovery) {
          await crash.recover(engine2, c2, config);
          expect(crash.lastRecovery?.requeued).toMatchObject([{ taskId, instanceId: lost!.instanceId, queue: 'gpu' }]);
          expect(rig.clearml.task(taskId)?.status).toBe('queued');
        }
        await rig.run(engine2, 30 * 60);
        expect(rig.clearml.task(taskId)?.status).toBe('completed');
        await crash.close();
      },
    );
  }
});

describe('requeueStranded: each failure is reported, none stops the others', () => {
  it('a refused requeue is reported with its task and why, and the next task is still requeued', async () => {
    rig = await startRig();
    const config = makeConfig();
    rig.clearml.createQueue('gpu');
    const ids = [0, 1].map((k) => rig!.clearml.addTask({ name: `long-${k}`, queue: 'gpu', durationSec: 20 * 60 }));
    await rig.run(rig.engine(config, rig.clients(config)), 3 * 60);
    expect(ids.map((t) => rig!.clearml.task(t)?.status)).toEqual(['in_progress', 'in_progress']);
    // The app is down; AWS takes both spot instances back; their workers go silent.
    for (const i of rig.live()) rig.ec2.interruptSpot(i.instanceId);
    rig.agents.step();
    rig.clock.advance(SILENT_AFTER_MS + 30_000);
    rig.agents.step();
    // The server refuses the first enqueue.
    rig.clearml.faults.inject({ status: 500, count: 1, endpoint: 'tasks.enqueue' });
    const c = rig.clients(config);
    const out = await requeueStranded({
      clearml: c.clearml,
      config,
      instances: await c.ec2.describeInstances('rel'),
      now: rig.clock.now(),
    });
    expect(out.errors).toHaveLength(1);
    expect(out.errors[0]).toMatch(
      /^task \S+ \(its instance i-[0-9a-f]+ disappeared while the app was not running\) could not be requeued: .*failed tasks\.enqueue \(HTTP 500/,
    );
    expect(out.requeued).toHaveLength(1);
    const requeued = out.requeued[0]!.taskId;
    const failed = ids.find((t) => t !== requeued)!;
    expect(out.errors[0]).toContain(failed);
    expect(rig.clearml.task(requeued)?.status).toBe('queued');
  });
});

describe('requeueStranded: what it asks ClearML for, and what it sends back', () => {
  const other = 'i-0fedcba9876543210';
  const w1 = `rel:gpu_a:g4dn.xlarge:${id}`;
  const listedWorker = (workerId: string, task: string | null, queue = 'gpu'): WorkerObs => ({
    id: workerId,
    task: task ? { id: task } : null,
    queues: [queue],
    registeredAt: T0 - 20 * 60_000,
    lastActivityAt: T0 - 10 * 60_000,
    lastReportAt: T0 - 10 * 60_000,
  });
  const inProgress = (taskId: string, lastWorker: string, queueId: string | null): TaskObs => ({
    id: taskId,
    name: taskId,
    status: 'in_progress',
    queueId,
    lastWorker,
  });
  /**
   * t1: its listed worker's instance is terminated (queue named by the instance's tag, looked up by name);
   * t2: in_progress on a worker ClearML dropped, on an instance EC2 no longer lists (its own queue id);
   * t3: on a listed worker whose queue the server does not have; an idle listed worker holds no task.
   */
  function world(opts: { inProgress?: boolean } = {}) {
    const clearml = new FakeClearml()
      .addQueue({ id: 'q-gpu', name: 'gpu', entries: [] })
      .addWorker(listedWorker(w1, 't1'))
      .addWorker(listedWorker(`rel:gpu_a:g4dn.xlarge:i-0bbbb000000000001`, null))
      .addWorker(listedWorker(`rel:gpu_a:g4dn.xlarge:i-0aaaa000000000001`, 't3', 'ghost'))
      .addTask(inProgress('t1', w1, null))
      .addTask(inProgress('t2', `rel:gpu_a:g4dn.xlarge:${other}`, 'q-gpu'))
      .addTask(inProgress('t3', 'rel:gpu_a:g4dn.xlarge:i-0aaaa000000000001', null));
    if (opts.inProgress === false) Object.assign(clearml, { inProgressTasks: undefined });
    const instances = [
      inst('terminated', null, 'gpu'),
      { ...inst('terminated', null, 'ghost'), instanceId: 'i-0aaaa000000000001' },
    ];
    return { clearml, instances };
  }

  it('requeues each stranded task with why, drops its worker, and reports a queue the server lacks', async () => {
    const { clearml, instances } = world();
    const out = await requeueStranded({ clearml, config: makeConfig(), instances, now: T0 });
    // Only workers that hold a task are looked up; only queues without an id are listed, by name, once.
    expect(clearml.callsOf('getTasks')).toEqual([[['t1', 't3']]]);
    expect(clearml.callsOf('listQueues')).toEqual([[['gpu', 'ghost']]]);
    expect(clearml.callsOf('requeueTask')).toEqual([
      ['t1', 'q-gpu', `clearml-tray-autoscaler: its instance ${id} stopped (terminated) while the app was not running`],
      ['t2', 'q-gpu', `clearml-tray-autoscaler: its instance ${other} is gone and ClearML no longer lists its worker`],
    ]);
    expect(clearml.callsOf('unregisterWorker')).toEqual([[w1], [`rel:gpu_a:g4dn.xlarge:${other}`]]);
    expect(out.requeued.map((s) => s.taskId)).toEqual(['t1', 't2']);
    expect(out.errors).toEqual([
      'task t3 (its instance i-0aaaa000000000001 stopped (terminated) while the app was not running) was not ' +
        "requeued: queue 'ghost' does not exist on the server",
    ]);
  });

  it('a ClearML client without the in_progress listing: the worker rule alone', async () => {
    const { clearml, instances } = world({ inProgress: false });
    const out = await requeueStranded({ clearml, config: makeConfig(), instances, now: T0 });
    expect(out.requeued.map((s) => s.taskId)).toEqual(['t1']);
  });

  it('nothing stranded: no queue lookup, nothing sent', async () => {
    const clearml = new FakeClearml().addWorker(listedWorker(w1, null));
    expect(await requeueStranded({ clearml, config: makeConfig(), instances: [], now: T0 })).toEqual({
      requeued: [],
      errors: [],
    });
    expect(clearml.calls.map((c) => c.method)).toEqual(['listWorkers', 'inProgressTasks']);
  });
});

describe('a task lost while autoscaling was off', () => {
  it('is requeued by the first tick after autoscaling is turned on again, though ClearML dropped its worker', async () => {
    rig = await startRig();
    const config = makeConfig();
    rig.clearml.createQueue('gpu');
    const first = rig.clearml.addTask({ name: 'short', queue: 'gpu', durationSec: 60 });
    const engine = rig.engine(config, rig.clients(config), { store: rig.store });
    await rig.run(engine, 4 * 60);
    expect(rig.clearml.task(first)?.status).toBe('completed');
    const [instance] = rig.live();

    // Off: the engine only observes. The idle worker takes a new task, then AWS takes the spot instance back and,
    // 600 s later, ClearML stops listing the silent worker.
    const off = async (seconds: number) => {
      for (let t = 0; t < seconds; t += 15) {
        rig!.clock.advance(15_000);
        rig!.agents.step();
        await engine.tick({ act: false });
      }
    };
    const taskId = rig.clearml.addTask({ name: 'long', queue: 'gpu', durationSec: 20 * 60 });
    await off(60);
    expect(rig.clearml.task(taskId)?.status).toBe('in_progress');
    rig.ec2.interruptSpot(instance!.instanceId);
    await off(11 * 60); // past ClearML's 600 s register timeout
    expect(rig.clearml.workers().filter((w) => w.id.includes(instance!.instanceId))).toEqual([]);
    expect(rig.clearml.task(taskId)?.status).toBe('in_progress');

    // On again: the first acting tick finds it and requeues it; it then runs to completion on a new instance.
    await rig.run(engine, 15);
    expect(rig.clearml.task(taskId)?.status).not.toBe('in_progress');
    expect(rig.store.getState().events.some((e) => e.kind === 'requeue' && e.message.includes('no longer lists'))).toBe(
      true,
    );
    await rig.run(engine, 30 * 60);
    expect(rig.clearml.task(taskId)?.status).toBe('completed');
  });
});
