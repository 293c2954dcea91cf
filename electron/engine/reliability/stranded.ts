/**
 * Tasks stranded by a crash. The engine requeues the task of a busy instance that vanished, but it learns that an
 * instance was busy from its own memory of the previous tick (`controllers/requeue.ts`); an instance lost
 * while the app was down (a spot interruption during a restart) leaves its task `in_progress` with nobody to
 * requeue it, until ClearML's own watchdog hours later. Recovery restores that memory from ClearML and EC2: a
 * worker of ours that still holds a task, has stopped reporting, and whose instance is gone.
 */
import { isLiveState } from '../../../shared/domain.js';
import { firstQueueServedBy, type Config } from '../../../shared/config.js';
import type { ClearmlApi, InstanceObs, TaskObs, WorkerObs } from '../ports.js';
import { TAG } from '../ports.js';
import { parseWorkerId } from '../workers.js';
import { errorText } from '../../../shared/error-text.js';

/**
 * Agents report about every 30 s: three missed reports mean the agent is gone. A worker silent this long was
 * registered even longer ago, so its instance, if it still existed, would be listed (EC2's listing lags seconds).
 */
export const SILENT_AFTER_MS = 90_000;

export interface StrandedTask {
  taskId: string;
  workerId: string;
  instanceId: string;
  /** Queue name to return it to. */
  queue: string;
  /** The queue's id when the task itself names it (then `queue` may be empty). */
  queueId?: string;
  why: string;
}

/**
 * Pure. The "instance is gone" rule: a worker of ours holding a task whose instance is listed but no longer
 * pending/running, or not listed at all with the worker silent for SILENT_AFTER_MS. The task is the one the worker
 * last reported; whether ClearML still has it in_progress is for the caller to check.
 */
export function workersOnGoneInstances(input: {
  now: number;
  prefix: string;
  workers: readonly WorkerObs[];
  instances: readonly InstanceObs[];
}): StrandedTask[] {
  const byId = new Map(input.instances.map((i) => [i.instanceId, i]));
  const out: StrandedTask[] = [];
  for (const w of input.workers) {
    const p = parseWorkerId(w.id);
    if (!p || p.prefix !== input.prefix || !w.task) continue;
    const inst = byId.get(p.instanceId);
    let why: string;
    if (inst) {
      // EC2 says it is gone: its agent cannot be running the task, whatever its last report.
      if (isLiveState(inst.state)) continue;
      why =
        inst.stateReasonCode === 'Server.SpotInstanceTermination'
          ? 'its spot instance was interrupted while the app was not running'
          : `its instance ${p.instanceId} stopped (${inst.state}) while the app was not running`;
    } else {
      // Not listed (terminated ones are not): conclusive only once its agent has gone quiet.
      const lastHeard = w.lastReportAt ?? w.lastActivityAt ?? w.registeredAt;
      if (lastHeard === null || input.now - lastHeard < SILENT_AFTER_MS) continue;
      why = `its instance ${p.instanceId} disappeared while the app was not running`;
    }
    const queue = inst?.tags[TAG.queue] || w.queues[0];
    if (!queue) continue;
    out.push({ taskId: w.task.id, workerId: w.id, instanceId: p.instanceId, queue, why });
  }
  return out;
}

/**
 * Pure. A task is stranded when it is `in_progress` with one of our workers as its last worker and that worker's
 * instance is gone (`workersOnGoneInstances`).
 */
export function findStranded(input: {
  now: number;
  prefix: string;
  workers: readonly WorkerObs[];
  instances: readonly InstanceObs[];
  tasks: readonly TaskObs[];
}): StrandedTask[] {
  const tasks = new Map(input.tasks.map((t) => [t.id, t]));
  return workersOnGoneInstances(input).filter((s) => {
    const task = tasks.get(s.taskId);
    return task !== undefined && task.status === 'in_progress' && task.lastWorker === s.workerId;
  });
}

/**
 * Pure. Tasks in_progress whose last worker is ours but no longer listed by ClearML (silent past its register
 * timeout) and whose instance is not running: lost while no engine ran (or none acted: autoscaling off) for longer
 * than that timeout, when no listed worker points at them any more. They go back to the queue the task names.
 */
export function tasksOfDroppedWorkers(input: {
  prefix: string;
  /** The config's queues, to name the queue of an instance EC2 no longer lists. */
  queues: Config['queues'];
  tasks: readonly TaskObs[];
  workers: readonly WorkerObs[];
  instances: readonly InstanceObs[];
}): StrandedTask[] {
  const listed = new Set(input.workers.map((w) => w.id));
  const byId = new Map(input.instances.map((i) => [i.instanceId, i]));
  const out: StrandedTask[] = [];
  for (const t of input.tasks) {
    const p = t.lastWorker ? parseWorkerId(t.lastWorker) : null;
    if (t.status !== 'in_progress' || !p || p.prefix !== input.prefix || !t.queueId) continue;
    if (listed.has(t.lastWorker!)) continue;
    const inst = byId.get(p.instanceId);
    if (inst && isLiveState(inst.state)) continue;
    out.push({
      taskId: t.id,
      workerId: t.lastWorker!,
      instanceId: p.instanceId,
      // Named for the event only ('' when no queue serves the resource): the task's own queue id is what counts.
      queue: inst?.tags[TAG.queue] || (firstQueueServedBy(input.queues, p.resource) ?? ''),
      queueId: t.queueId,
      why: `its instance ${p.instanceId} is gone and ClearML no longer lists its worker`,
    });
  }
  return out;
}

/** Finds and requeues stranded tasks; each failure is reported, none stops the others. */
export async function requeueStranded(opts: {
  clearml: ClearmlApi;
  config: Config;
  instances: readonly InstanceObs[];
  now: number;
}): Promise<{ requeued: StrandedTask[]; errors: string[] }> {
  const { clearml, config } = opts;
  const prefix = config.scaling.workersPrefix;
  const listed = await clearml.listWorkers(prefix);
  const workers = listed.filter((w) => w.task);
  const tasks = workers.length ? await clearml.getTasks(workers.map((w) => w.task!.id)) : [];
  const stranded = findStranded({ now: opts.now, prefix, workers, instances: opts.instances, tasks });
  if (clearml.inProgressTasks) {
    const known = new Set(stranded.map((s) => s.taskId));
    const dropped = tasksOfDroppedWorkers({
      prefix,
      queues: config.queues,
      tasks: await clearml.inProgressTasks(),
      workers: listed,
      instances: opts.instances,
    });
    stranded.push(...dropped.filter((s) => !known.has(s.taskId)));
  }
  if (!stranded.length) return { requeued: [], errors: [] };
  const names = [...new Set(stranded.flatMap((s) => (s.queueId ? [] : [s.queue])))];
  const queues = new Map(names.length ? (await clearml.listQueues(names)).map((q) => [q.name, q.id]) : []);
  const requeued: StrandedTask[] = [];
  const errors: string[] = [];
  for (const s of stranded) {
    const queueId = s.queueId ?? queues.get(s.queue);
    if (!queueId) {
      errors.push(`task ${s.taskId} (${s.why}) was not requeued: queue '${s.queue}' does not exist on the server`);
      continue;
    }
    try {
      await clearml.requeueTask(s.taskId, queueId, `clearml-tray-autoscaler: ${s.why}`);
      requeued.push(s);
      await clearml.unregisterWorker(s.workerId).catch(() => undefined);
    } catch (e) {
      errors.push(`task ${s.taskId} (${s.why}) could not be requeued: ${errorText(e)}`);
    }
  }
  return { requeued, errors };
}
