/**
 * Requeue of stranded tasks: a busy instance that vanished (spot loss, crash) leaves its task in_progress on a
 * worker that will never finish it; this returns the task to its queue and unregisters the worker.
 *
 * Its memory is the busy instances of the previous tick. Candidates are those lost since then, plus any worker
 * of ours still holding a task whose instance is gone (lost while the engine was not running: a restart, a long
 * sleep). The remembered task can be stale (the worker may have finished it and started another while EC2 could
 * not be read), so the task requeued is the worker's current one, and only if ClearML says it is in_progress on
 * that very worker.
 *
 * Absence from one listing is not proof: a flaky proxy, a truncated reply or an edited prefix tag leaves a running
 * instance out, and requeueing its task restarts hours of training. So a candidate missing from the listing is
 * looked up by id first (terminated ones included): it is lost only when EC2 says it is ending or stopped, or does
 * not know it and its worker has gone quiet too (`SILENT_AFTER_MS`). One EC2 says still runs is handed back to the
 * engine (`unlisted`) to count as listed this tick; when the lookup fails, nothing is requeued until it succeeds.
 *
 * Neither finds a task whose worker ClearML has already dropped (silent past its register timeout) on an instance
 * the memory never saw busy: it started and was lost while autoscaling was off, or while another engine led. So
 * every DROPPED_SWEEP_MS of acting (and on the first acting tick) the in_progress tasks are read and those of such
 * workers requeued, as recovery does at start.
 */
import type { Market } from '../../../shared/domain.js';
import { isLiveState } from '../../../shared/domain.js';
import type { NewEvent } from '../events.js';
import { ev } from '../events.js';
import { TAG, type ClearmlApi, type Ec2Api, type InstanceObs, type TaskObs, type WorkerObs } from '../ports.js';
import type { Config } from '../../../shared/config.js';
import { SILENT_AFTER_MS, tasksOfDroppedWorkers, workersOnGoneInstances } from '../reliability/stranded.js';
import { instanceIdOfWorker } from '../workers.js';
import { lostReason, lostReasonText } from './lost-reason.js';
import type { Observation } from './observe.js';

interface BusyInstance {
  taskId: string;
  queue: string;
  workerId: string;
  market: Market;
}

export interface RequeueOutcome {
  /** One entry per lost spot task: the queue its replacement should launch on-demand for. */
  spotLosses: string[];
  /** Busy instances the listing left out that EC2, asked by id, says still run (with our prefix tag). */
  unlisted: InstanceObs[];
  /** Busy instances the listing left out that EC2, asked by id, says ended: why, for the cost history. */
  ended: InstanceObs[];
  /** Instances whose task was requeued (or tried) this tick: that line already says why each was lost. */
  requeuedFrom: string[];
}

/** Not heard from for SILENT_AFTER_MS, or no longer listed by ClearML: its agent is not running the task. */
function silent(w: WorkerObs | undefined, now: number): boolean {
  const lastHeard = w ? (w.lastReportAt ?? w.lastActivityAt ?? w.registeredAt) : null;
  return lastHeard === null || now - lastHeard >= SILENT_AFTER_MS;
}

/** How often, while acting, in_progress tasks are checked for a worker of ours that ClearML no longer lists. */
export const DROPPED_SWEEP_MS = 10 * 60_000;
/** After a sweep that could not read the tasks. */
export const DROPPED_RETRY_MS = 60_000;

export class RequeueController {
  private lastBusy = new Map<string, BusyInstance>();
  private sweptAt = -Infinity;

  constructor(
    private readonly clearml: ClearmlApi,
    /** Without `describeInstancesById`, an instance the listing left out counts as unknown to EC2. */
    private readonly ec2: Pick<Ec2Api, 'describeInstancesById'> = {},
  ) {}

  /** Busy at the last tick: on the ticks this runs, it looks up such an instance itself when the listing leaves it out. */
  wasBusy(instanceId: string): boolean {
    return this.lastBusy.has(instanceId);
  }

  /**
   * The busy instances the engine before this one saw last (a new config replaced it): one lost between its last
   * tick and this engine's first still has its task requeued.
   */
  carryFrom(previous: RequeueController): void {
    if (this.lastBusy.size === 0) this.lastBusy = new Map(previous.lastBusy);
    this.sweptAt = Math.max(this.sweptAt, previous.sweptAt);
  }

  /** Only with a good ClearML read and while acting. `terminatedByUs` were ours to end: nothing to requeue. */
  async run(
    obs: Observation,
    prefix: string,
    terminatedByUs: ReadonlyMap<string, number>,
    emit: (e: NewEvent) => void,
    /** The config's queues, to name the queue of a dropped worker's instance that EC2 no longer lists. */
    configQueues: Config['queues'] = {},
  ): Promise<RequeueOutcome> {
    const { instances, workers, queues } = obs;
    const out: RequeueOutcome = { spotLosses: [], unlisted: [], ended: [], requeuedFrom: [] };
    const live = new Map(instances.filter((i) => isLiveState(i.state)).map((i) => [i.instanceId, i]));
    const listed = new Map(instances.map((i) => [i.instanceId, i]));
    const queueIds = new Map(queues.map((q) => [q.name, q.id]));
    const workerById = new Map(workers.map((w) => [w.id, w]));
    const candidates = new Map<string, { workerId: string; queue: string; market: Market | null; taskId: string }>();
    for (const [instanceId, was] of this.lastBusy) {
      if (live.has(instanceId) || terminatedByUs.has(instanceId)) continue;
      const current = workerById.get(was.workerId)?.task?.id ?? was.taskId;
      candidates.set(instanceId, { workerId: was.workerId, queue: was.queue, market: was.market, taskId: current });
    }
    // Workers still holding a task on an instance that is gone (lost while the engine was not running).
    for (const s of workersOnGoneInstances({ now: obs.now, prefix, workers, instances })) {
      if (candidates.has(s.instanceId) || terminatedByUs.has(s.instanceId)) continue;
      candidates.set(s.instanceId, { workerId: s.workerId, queue: s.queue, market: null, taskId: s.taskId });
    }
    const retry = new Map<string, BusyInstance>();
    const keep = (
      instanceId: string,
      was: { workerId: string; queue: string; market: Market | null; taskId: string },
    ) => {
      if (was.market) retry.set(instanceId, { ...was, market: was.market });
    };
    // Missing from the listing altogether: ask EC2 by id before anything is requeued.
    const absent = [...candidates.keys()].filter((id) => !listed.has(id));
    let byId: Map<string, InstanceObs> | null = new Map();
    if (absent.length) {
      const busyBefore = [...this.lastBusy.keys()].filter((id) => !terminatedByUs.has(id));
      if (busyBefore.length > 1 && busyBefore.every((id) => !listed.has(id)))
        emit(ev.listingLostEveryBusy(busyBefore.length));
      if (this.ec2.describeInstancesById) {
        try {
          const seen = await this.ec2.describeInstancesById(absent, { includeTerminated: true });
          byId = new Map(seen.map((i) => [i.instanceId, i]));
        } catch (e) {
          byId = null;
          emit(ev.lostInstancesUnconfirmed(absent, e));
        }
      }
    }
    const stillRunning: string[] = [];
    // Not requeued this tick, whoever else would take them for lost (the sweep below).
    const spared = new Set<string>();
    for (const instanceId of absent) {
      const was = candidates.get(instanceId)!;
      const found = byId?.get(instanceId);
      if (!byId) keep(instanceId, was);
      else if (found && isLiveState(found.state)) {
        stillRunning.push(instanceId);
        // Ours (the prefix tag says so) counts as listed this tick; one whose tag was changed is not ours to
        // requeue or to scale any more.
        if (found.tags[TAG.prefix] === prefix) {
          out.unlisted.push(found);
          live.set(instanceId, found);
        }
      } else if (found) {
        listed.set(instanceId, found);
        out.ended.push(found);
        continue;
      } else if (!silent(workerById.get(was.workerId), obs.now)) keep(instanceId, was);
      else continue;
      candidates.delete(instanceId);
      spared.add(was.taskId);
    }
    if (stillRunning.length) emit(ev.unlistedStillRunning(stillRunning));
    let verified: Map<string, TaskObs> | null = null;
    if (candidates.size) {
      try {
        const ids = [...new Set([...candidates.values()].map((c) => c.taskId))];
        verified = new Map((await this.clearml.getTasks(ids)).map((t) => [t.id, t]));
      } catch (e) {
        emit(ev.lostTasksUncheckable(e));
      }
    }
    for (const [instanceId, was] of candidates) {
      if (!verified) {
        keep(instanceId, was);
        continue;
      }
      const task = verified.get(was.taskId);
      if (!task || task.status !== 'in_progress' || task.lastWorker !== was.workerId) continue;
      // As listed, or as EC2 described it by id (ending, stopped); absent when EC2 does not know it at all.
      const inst = listed.get(instanceId);
      // EC2's state reason when it gives one; else the market it ran in, or the state it was found in.
      const reason = lostReason(inst, was.market);
      const spot = reason.code === 'spot-interrupted';
      const queueId = queueIds.get(was.queue);
      const why = lostReasonText(reason, instanceId, inst?.state);
      if (!queueId) continue;
      await this.requeue({ queue: was.queue, instanceId, taskId: was.taskId, why }, queueId, was.workerId, emit);
      out.requeuedFrom.push(instanceId);
      if (spot) out.spotLosses.push(was.queue);
    }
    const handled = new Set([...candidates.values()].map((c) => c.taskId).concat([...spared]));
    if (this.clearml.inProgressTasks && obs.now - this.sweptAt >= DROPPED_SWEEP_MS) {
      this.sweptAt = obs.now;
      let dropped: ReturnType<typeof tasksOfDroppedWorkers> = [];
      try {
        const tasks = await this.clearml.inProgressTasks();
        dropped = tasksOfDroppedWorkers({ prefix, queues: configQueues, tasks, workers, instances });
      } catch (e) {
        // Try again in a minute: soon, but not every tick (and so not an event every tick) while ClearML refuses.
        this.sweptAt = obs.now - DROPPED_SWEEP_MS + DROPPED_RETRY_MS;
        emit(ev.droppedTasksUncheckable(e, DROPPED_RETRY_MS / 1000));
      }
      for (const s of dropped) {
        if (handled.has(s.taskId) || terminatedByUs.has(s.instanceId) || !s.queueId) continue;
        const lost = { queue: s.queue, instanceId: s.instanceId, taskId: s.taskId, why: s.why };
        await this.requeue(lost, s.queueId, s.workerId, emit);
        out.requeuedFrom.push(s.instanceId);
      }
    }
    const busy = new Map<string, BusyInstance>();
    for (const w of workers) {
      const instanceId = instanceIdOfWorker(w.id, prefix);
      const inst = instanceId === null ? undefined : live.get(instanceId);
      if (w.task && inst)
        busy.set(inst.instanceId, {
          taskId: w.task.id,
          queue: inst.tags[TAG.queue] ?? '',
          workerId: w.id,
          market: inst.market,
        });
    }
    for (const [id, b] of retry) if (!busy.has(id)) busy.set(id, b);
    this.lastBusy = busy;
    return out;
  }

  /** Returns a lost task to its queue and unregisters its dead worker; an event says which happened. */
  private async requeue(
    lost: { queue: string; instanceId: string; taskId: string; why: string },
    queueId: string,
    workerId: string,
    emit: (e: NewEvent) => void,
  ): Promise<void> {
    try {
      await this.clearml.requeueTask(lost.taskId, queueId, `clearml-tray-autoscaler: ${lost.why}`);
      emit(ev.requeued(lost));
      await this.clearml.unregisterWorker(workerId).catch(() => undefined);
    } catch (e) {
      emit(ev.requeueFailed(lost, e));
    }
  }
}
