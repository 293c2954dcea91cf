/**
 * The chaos suite's invariants, as pure functions over what the harness recorded from the emulators' ground truth
 * (never from the engine's own view). Each is defined precisely where it is checked; all are sound — a correct
 * engine cannot violate them whatever the faults, kills and timings — so any violation is a real defect.
 *
 * Vocabulary:
 * - live at t: launchedAt ≤ t < endedAt (endedAt = when it left pending/running, i.e. began shutting down);
 * - a sample is taken before every engine tick (ClearML does not change during a tick: agents move only between
 *   ticks), so it is exactly what that tick observed; `ok` = the tick read ClearML and EC2, `healthy` = the tick
 *   finished with no error at all (so whatever it had to do, it could do);
 * - incarnation: one engine process; a kill ends it and the next one starts with fresh memory.
 */
import type { Config } from '../../shared/config.js';

export const INVARIANTS = [
  'launchBeyondCap',
  'doubleLaunch',
  'busyTerminated',
  'taskLost',
  'taskStuck',
  'orphanTooOld',
  'idleTooLong',
] as const;
export type InvariantName = (typeof INVARIANTS)[number];

export interface InstanceRecord {
  id: string;
  queue: string;
  resource: string;
  /** Made by the harness (a foreign leftover), not launched by the engine. */
  injected: boolean;
  /** Its queue lists its resource in the config (else the engine must treat it as an orphan). */
  explained: boolean;
  launchedAt: number;
  endedAt: number | null;
  endReason: string | null;
  /** When its ClearML worker registered; null if it never did. */
  registeredAt: number | null;
}

export type WorkerState = 'busy' | 'idle' | 'none';

export interface Sample {
  at: number;
  /** The engine process that ticked after this sample; 0 when none did (the app was down). */
  incarnation: number;
  ticked: boolean;
  ok: boolean;
  healthy: boolean;
  /**
   * When the tick after this sample ended. Its own waits (EC2 back-offs) move the clock, so what it observed it
   * observed by then, not necessarily at `at`.
   */
  tickEndAt?: number;
  /** Pending tasks per configured queue. */
  pending: Record<string, number>;
  /** Live instances per queue (by their queue tag) whose worker runs a task. */
  busy: Record<string, number>;
  /** Worker state of every instance live at the sample (absent: not live, or not launched yet). */
  workers: Record<string, WorkerState>;
}

export interface TerminationRecord {
  at: number;
  instanceId: string;
  /** Its worker was running a task when the engine's TerminateInstances went out. */
  busy: boolean;
  taskId: string | null;
}

export interface TaskEnd {
  id: string;
  queue: string;
  status: string;
  /** Still an entry of a queue. */
  queued: boolean;
  /** In progress on a worker whose instance is live. */
  onLiveWorker: boolean;
  /** When its current run should be over (start + duration), null when not running. */
  dueAt: number | null;
  /** The worker that ran it last, for the report. */
  lastWorker: string | null;
}

export interface History {
  config: Config;
  end: number;
  pollMs: number;
  /** Recovery re-sends launches planned up to this long before a restart. */
  resendWindowMs: number;
  /** How long a new instance stays out of DescribeInstances (EC2's eventual consistency, as the run drew it). */
  listingDelayMs: number;
  /** The engine's orphan grace (engine.ts: max(2 polls, 60 s)). */
  orphanGraceMs: number;
  samples: Sample[];
  instances: InstanceRecord[];
  terminations: TerminationRecord[];
  /**
   * Launches the engine made ahead of a periodic queue's next task: `prewarm` on its launch and launch-failed
   * events, and on the decision event that planned them (a launch cut short by a kill has no event of its own).
   */
  prewarms: { at: number; queue: string; count: number }[];
  /** Every task at the end of the run; the run ends with a quiet drain (no faults, kills or arrivals). */
  tasks: TaskEnd[];
}

export interface Violation {
  invariant: InvariantName;
  at: number;
  detail: string;
}

export type Verdict = Record<InvariantName, Violation[]>;

const liveAt = (i: InstanceRecord, t: number) => i.launchedAt <= t && (i.endedAt === null || i.endedAt > t);

export function checkInvariants(h: History): Verdict {
  const out = Object.fromEntries(INVARIANTS.map((n) => [n, [] as Violation[]])) as Verdict;
  const add = (invariant: InvariantName, at: number, detail: string) => out[invariant].push({ invariant, at, detail });
  const { config } = h;
  const spinUpMs = config.scaling.maxSpinUpMin * 60_000;
  const maxIdleMs = config.scaling.maxIdleMin * 60_000;
  const samples = [...h.samples].sort((a, b) => a.at - b.at);
  const sampleAt = (t: number): Sample | null => {
    let best: Sample | null = null;
    for (const s of samples) {
      if (s.at > t) break;
      best = s;
    }
    return best;
  };

  for (const inst of h.instances) {
    if (inst.injected) continue;
    const t = inst.launchedAt;
    const live = h.instances.filter((i) => liveAt(i, t));

    // launchBeyondCap: at the instant of each engine launch, our live instances of its (queue, resource) are at
    // most that resource's maxInstances for the queue, and all our live instances (orphans included) at most
    // maxTotalInstances. A launch for a pair the config does not have is beyond a cap of 0.
    const entry = config.queues[inst.queue]?.find((e) => e.resource === inst.resource);
    const same = live.filter((i) => i.queue === inst.queue && i.resource === inst.resource).length;
    if (!entry) add('launchBeyondCap', t, `${inst.id} launched for ${inst.queue}/${inst.resource}, not in the config`);
    else if (same > entry.maxInstances)
      add(
        'launchBeyondCap',
        t,
        `${inst.id}: ${same} live on ${inst.queue}/${inst.resource}, cap ${entry.maxInstances}`,
      );
    if (live.length > config.scaling.maxTotalInstances)
      add('launchBeyondCap', t, `${inst.id}: ${live.length} live in total, cap ${config.scaling.maxTotalInstances}`);

    // doubleLaunch: at the instant of each engine launch for queue q, q's useful live instances (the new one
    // included) are at most the highest demand (pending + busy) q had in the window [t − W, t], W = the recovery
    // re-send window + 2 polls (a re-sent launch serves the demand of the tick that planned it), plus the tasks
    // of any pre-warm the engine announced for q in that window. Useful = the config explains it (an orphan is
    // not the engine's to count: its worker may take one of the queue's tasks after the engine launched for it,
    // so its busy tasks are left out of both sides) and it did not fail to register within the spin-up time (the
    // engine does not count those either). The engine launches only while pending + pre-warm > idle + booting, so
    // a correct engine keeps idle + busy + booting + new ≤ pending + pre-warm + busy; only a launch it could not
    // see (unlisted and unremembered) breaks this.
    const s = sampleAt(t);
    const useful = live.filter(
      (i) =>
        i.queue === inst.queue &&
        i.explained &&
        !((i.registeredAt === null || i.registeredAt > t) && t - i.launchedAt > spinUpMs),
    );
    const orphans = h.instances.filter((i) => i.queue === inst.queue && !i.explained);
    // The sample the launching tick (or recovery) observed is always in the window, however long its back-offs.
    const from = Math.min(t - h.resendWindowMs - 2 * h.pollMs, s?.at ?? t);
    let demand = 0;
    for (const x of samples) {
      if (x.at < from || x.at > t) continue;
      const orphanBusy = orphans.filter((o) => x.workers[o.id] === 'busy').length;
      demand = Math.max(demand, (x.pending[inst.queue] ?? 0) + (x.busy[inst.queue] ?? 0) - orphanBusy);
    }
    // A pre-warm starts machines for tasks not enqueued yet: as many more as the engine said it expected. It says
    // so once RunInstances has answered (or failed), so up to 2 polls after the launch.
    let ahead = 0;
    for (const p of h.prewarms)
      if (p.queue === inst.queue && p.at >= from && p.at <= t + 2 * h.pollMs) ahead = Math.max(ahead, p.count);
    demand += ahead;
    if (useful.length > demand)
      add(
        'doubleLaunch',
        t,
        `${inst.id}: ${useful.length} useful live on '${inst.queue}' (${useful.map((i) => i.id).join(', ')}) for a demand of at most ${demand}`,
      );
  }

  // busyTerminated: no TerminateInstances from the engine ever ended an instance whose worker was running a
  // task at that moment.
  for (const r of h.terminations)
    if (r.busy) add('busyTerminated', r.at, `${r.instanceId} terminated while running task ${r.taskId ?? '?'}`);

  // taskLost / taskStuck, at the end of the run (after the quiet drain): every task is completed. Lost: neither
  // completed, nor queued, nor running on a live worker (stranded in_progress on a dead worker, stopped,
  // failed). Stuck: still queued although its queue had room for another machine in the last spin-up time + 2
  // polls (a backlog larger than the caps can serve in the drain is waiting, not stuck), or still running on a
  // live worker although its run should be over.
  const capOf = (q: string) =>
    Math.min(
      config.scaling.maxTotalInstances,
      (config.queues[q] ?? []).reduce((a, e) => a + e.maxInstances, 0),
    );
  const busyAll = (s: Sample) => Object.values(s.busy).reduce((a, n) => a + n, 0);
  const lastWindow = samples.filter((s) => s.at >= h.end - spinUpMs - 2 * h.pollMs);
  const saturated = (q: string) =>
    lastWindow.length > 0 &&
    lastWindow.every((s) => (s.busy[q] ?? 0) >= capOf(q) || busyAll(s) >= config.scaling.maxTotalInstances);
  for (const task of h.tasks) {
    if (task.status === 'completed') continue;
    if (task.queued) {
      if (!saturated(task.queue))
        add('taskStuck', h.end, `task ${task.id} on '${task.queue}' is still queued (${task.status})`);
    } else if (task.status === 'in_progress' && task.onLiveWorker) {
      if (task.dueAt !== null && task.dueAt < h.end - h.pollMs)
        add('taskStuck', h.end, `task ${task.id} on '${task.queue}' is still running past its end`);
    } else {
      const lost = task.lastWorker ? h.instances.find((i) => task.lastWorker!.endsWith(`:${i.id}`)) : undefined;
      const where = lost
        ? ` (last worker's instance ${lost.id} ended at t+${Math.round((lost.endedAt! - h.samples[0]!.at) / 60_000)} min: ${lost.endReason ?? '?'})`
        : '';
      add('taskLost', h.end, `task ${task.id} on '${task.queue}' is ${task.status}${where} and nobody will run it`);
    }
  }

  for (const inst of h.instances) {
    // orphanTooOld: an unexplained instance is marked at the first healthy tick that sees it idle (T1, by the
    // end of that tick) and must
    // be gone by the first healthy tick at or after T1 + orphan grace; an explained one that never registered
    // must be gone by the first healthy tick after launch + spin-up time. Either way ≤ spin-up + grace after
    // launch when the engine runs healthily. Violation: still live (and not busy) at a SECOND healthy tick past
    // that deadline (one tick of tolerance).
    const neverRegistered = (t: number) => inst.registeredAt === null || inst.registeredAt > t;
    if (!inst.explained || neverRegistered(inst.launchedAt + spinUpMs)) {
      let deadline: number | null = inst.explained ? inst.launchedAt + spinUpMs : null;
      let late = 0;
      for (const x of samples) {
        const w = x.workers[inst.id];
        if (w === undefined || w === 'busy' || !x.healthy) continue;
        if (inst.explained && !neverRegistered(x.at)) break;
        if (deadline === null) {
          deadline = (x.tickEndAt ?? x.at) + h.orphanGraceMs;
          continue;
        }
        if (x.at > deadline || (!inst.explained && x.at >= deadline)) late++;
        if (late >= 2) {
          add(
            'orphanTooOld',
            x.at,
            `${inst.id} (${inst.explained ? 'never registered' : `unexplained ${inst.queue}/${inst.resource}`}) still live ${Math.round((x.at - inst.launchedAt) / 60_000)} min after launch`,
          );
          break;
        }
      }
    }

    // idleTooLong: an explained instance whose worker is idle while its queue has no pending task is terminated
    // by the first healthy tick at least maxIdle after the engine first saw it so (the first ok tick of the
    // idle spell in the current incarnation, once EC2 lists the instance: a restarted engine forgets idle
    // timers, by design, and cannot time the idle worker of an instance it cannot see). Violation: still live
    // and idle at a SECOND healthy tick past that point.
    if (!inst.explained) continue;
    let start: number | null = null;
    let inc = -1;
    let overdue = 0;
    for (const x of samples) {
      const idleEmpty = x.workers[inst.id] === 'idle' && (x.pending[inst.queue] ?? 0) === 0;
      if (!idleEmpty || (start !== null && x.incarnation !== inc)) start = null;
      if (!idleEmpty) continue;
      if (start === null) {
        if (x.ticked && x.ok && x.at >= inst.launchedAt + h.listingDelayMs) {
          start = x.tickEndAt ?? x.at;
          inc = x.incarnation;
          overdue = 0;
        }
        continue;
      }
      if (x.healthy && x.at - start >= maxIdleMs && ++overdue >= 2) {
        add(
          'idleTooLong',
          x.at,
          `${inst.id} idle on an empty '${inst.queue}' for ${Math.round((x.at - start) / 60_000)} min (limit ${config.scaling.maxIdleMin})`,
        );
        break;
      }
    }
  }
  return out;
}

export function violationCount(v: Verdict): number {
  return INVARIANTS.reduce((n, k) => n + v[k].length, 0);
}
