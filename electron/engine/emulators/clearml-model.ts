/**
 * The ClearML emulator's state and rules, without HTTP: queues (FIFO entries with their enqueue time), tasks
 * (the server's status machine, `TaskStatus` transitions of clearml-server, and its `tasks.stop` rules), and workers (registered agents that
 * report every 30 s and vanish from `workers.get_all` 600 s after their last report, like the Redis entries of a
 * real server). Time comes only from the injected clock, or from an explicit `at` (ms epoch) passed by the
 * agent simulator when it replays events that happened between two coarse steps.
 */
import { createHash } from 'node:crypto';
import type { Clock, TaskStatus } from '../ports.js';

export const WORKER_REPORT_SEC = 30;
export const WORKER_REGISTER_TIMEOUT_SEC = 600;
/** A task whose worker has not updated it for this long has no live worker (`tasks.stop` stops it at once). */
export const TASK_UPDATE_TIMEOUT_SEC = 600;

/** A server-side failure, rendered by the HTTP layer as the envelope with this status and subcode. */
export class WireError extends Error {
  constructor(
    readonly status: number,
    readonly subcode: number,
    message: string,
  ) {
    super(message);
    this.name = 'WireError';
  }
}

export const invalidTaskId = (id: unknown) => new WireError(400, 101, `Invalid task id (task=${String(id)})`);
export const invalidQueueId = (id: unknown) => new WireError(400, 701, `Invalid queue id (queue=${String(id)})`);
export const validationError = (msg: string) => new WireError(400, 12, `Validation error (${msg})`);

export interface EmuQueueEntry {
  taskId: string;
  /** ms epoch */
  added: number;
}

export interface EmuQueue {
  id: string;
  name: string;
  created: number;
  lastUpdate: number;
  systemTags: string[];
  entries: EmuQueueEntry[];
}

export interface EmuTask {
  id: string;
  name: string;
  status: TaskStatus;
  statusReason: string;
  statusMessage: string;
  statusChanged: number;
  created: number;
  started: number | null;
  completed: number | null;
  /** Last time the task was updated (by a status change or its worker's reports). */
  lastUpdate: number;
  queueId: string | null;
  lastWorker: string | null;
  /** Status before the last enqueue (a dequeue restores it). */
  enqueueStatus: TaskStatus | null;
  /** When `tasks.stop` asked the running agent to stop it (status message "stopping"). */
  stoppingSince: number | null;
  /** How long an agent runs it (emulation only). */
  durationSec: number;
}

export interface EmuWorker {
  id: string;
  queueIds: string[];
  registeredAt: number;
  /** null while the agent is alive and reporting; else the time it stopped (instance lost, agent killed). */
  stoppedAt: number | null;
  taskId: string | null;
  taskStartedAt: number | null;
  ip: string;
  /**
   * Last `workers.register`/`workers.status_report` of a real agent over HTTP; null for a simulated agent, whose
   * reports are taken to come every `WORKER_REPORT_SEC` while it is alive.
   */
  reportedAt: number | null;
}

/** Allowed next statuses (clearml-server's task status transitions); `force` bypasses this table. */
const TRANSITIONS: Partial<Record<TaskStatus, readonly TaskStatus[]>> = {
  created: ['queued', 'in_progress'],
  queued: ['created', 'in_progress', 'stopped'],
  in_progress: ['stopped', 'failed', 'created', 'completed'],
  stopped: ['closed', 'created', 'failed', 'queued', 'in_progress', 'published', 'publishing', 'completed'],
  failed: ['created', 'stopped', 'published', 'queued'],
  completed: ['published', 'in_progress', 'created'],
  publishing: ['published'],
  closed: ['created'],
};

export function canTransition(from: TaskStatus, to: TaskStatus): boolean {
  return TRANSITIONS[from]?.includes(to) ?? false;
}

export class ClearmlModel {
  readonly queueById = new Map<string, EmuQueue>();
  readonly taskById = new Map<string, EmuTask>();
  readonly workerById = new Map<string, EmuWorker>();
  private seq = 0;

  constructor(
    readonly clock: Clock,
    readonly userName: string,
  ) {}

  /** 32 hex characters like ClearML's ids, deterministic so runs are reproducible. */
  newId(kind: string): string {
    return createHash('md5').update(`${kind}:${++this.seq}`).digest('hex');
  }

  // ------------------------------------------------------------ queues

  queueByName(name: string): EmuQueue | undefined {
    for (const q of this.queueById.values()) if (q.name === name) return q;
    return undefined;
  }

  createQueue(name: string, at = this.clock.now(), systemTags: string[] = []): EmuQueue {
    if (name.trim().length < 3) throw validationError('queue name must be at least 3 characters');
    if (this.queueByName(name)) throw validationError(`queue name already exists: ${name}`);
    const q: EmuQueue = { id: this.newId('queue'), name, created: at, lastUpdate: at, systemTags, entries: [] };
    this.queueById.set(q.id, q);
    return q;
  }

  private removeFromQueues(taskId: string, at: number): number {
    let removed = 0;
    for (const q of this.queueById.values()) {
      const before = q.entries.length;
      q.entries = q.entries.filter((e) => e.taskId !== taskId);
      if (q.entries.length !== before) {
        removed += before - q.entries.length;
        q.lastUpdate = at;
      }
    }
    return removed;
  }

  /** What an agent's `queues.get_next_task` does: pop the head if it was enqueued by `at`. */
  popTask(queueId: string, at = this.clock.now()): string | null {
    const q = this.queueById.get(queueId);
    const head = q?.entries[0];
    if (!q || !head || head.added > at) return null;
    q.entries.shift();
    q.lastUpdate = at;
    return head.taskId;
  }

  // ------------------------------------------------------------ tasks

  task(id: unknown): EmuTask {
    const t = typeof id === 'string' ? this.taskById.get(id) : undefined;
    if (!t) throw invalidTaskId(id);
    return t;
  }

  createTask(opts: { id?: string; name: string; durationSec: number }, at = this.clock.now()): EmuTask {
    const id = opts.id ?? this.newId('task');
    if (this.taskById.has(id)) throw validationError(`task id already exists: ${id}`);
    const t: EmuTask = {
      id,
      name: opts.name,
      status: 'created',
      statusReason: '',
      statusMessage: '',
      statusChanged: at,
      created: at,
      started: null,
      completed: null,
      lastUpdate: at,
      queueId: null,
      lastWorker: null,
      enqueueStatus: null,
      stoppingSince: null,
      durationSec: opts.durationSec,
    };
    this.taskById.set(id, t);
    return t;
  }

  /** The server's ChangeStatusRequest: validates unless forced, then stamps the change. */
  private changeStatus(
    t: EmuTask,
    to: TaskStatus,
    o: { force?: boolean; allowSame?: boolean; reason?: string; message?: string },
    at: number,
  ): void {
    const same = t.status === to;
    if (!o.force && !(same && (o.allowSame ?? true)) && !canTransition(t.status, to)) {
      throw new WireError(400, 110, `Invalid task status (Invalid status change, current=${t.status}, new=${to})`);
    }
    if (!same) t.statusChanged = at;
    t.status = to;
    t.statusReason = o.reason ?? '';
    t.statusMessage = o.message ?? '';
    t.lastUpdate = at;
    if (to !== 'in_progress') t.stoppingSince = null;
  }

  /** Last time anything touched the task: a reporting worker running it refreshes it every report. */
  taskLastUpdate(t: EmuTask, now = this.clock.now()): number {
    let last = t.lastUpdate;
    for (const w of this.workerById.values()) {
      if (w.taskId === t.id && w.stoppedAt === null) last = Math.max(last, this.lastReport(w, now));
    }
    return last;
  }

  private runByLiveWorker(t: EmuTask, now: number): boolean {
    return !!t.lastWorker && now - this.taskLastUpdate(t, now) < TASK_UPDATE_TIMEOUT_SEC * 1000;
  }

  enqueue(
    taskId: unknown,
    queue: EmuQueue,
    o: { reason?: string; message?: string; force?: boolean } = {},
    at = this.clock.now(),
  ): EmuTask {
    const t = this.task(taskId);
    const previous = t.status;
    this.changeStatus(t, 'queued', { ...o, allowSame: false }, at);
    if (queue.entries.some((e) => e.taskId === t.id)) {
      t.status = previous;
      throw new WireError(400, 706, `Task already queued (task=${t.id}, queue=${queue.id})`);
    }
    queue.entries.push({ taskId: t.id, added: at });
    queue.lastUpdate = at;
    t.queueId = queue.id;
    t.enqueueStatus = previous;
    return t;
  }

  dequeue(taskId: unknown, at = this.clock.now()): EmuTask {
    const t = this.task(taskId);
    if (t.status !== 'queued') {
      throw new WireError(400, 110, `Invalid task status (task is not queued, status=${t.status})`);
    }
    this.removeFromQueues(t.id, at);
    this.changeStatus(t, t.enqueueStatus ?? 'created', { force: true, reason: 'dequeued' }, at);
    t.enqueueStatus = null;
    return t;
  }

  /**
   * The real server's `tasks.stop`: a queued task, or one without a live worker (not updated for 10 min), is
   * stopped at once; otherwise only status_message "stopping" is set and the agent aborts it. `force` only
   * bypasses the status table; it does not make a live worker's task stop at once.
   */
  stop(taskId: unknown, o: { force?: boolean; reason?: string } = {}, at = this.clock.now()): EmuTask {
    const t = this.task(taskId);
    const queued = t.status === 'queued';
    if (queued || !this.runByLiveWorker(t, at)) {
      if (queued) this.removeFromQueues(t.id, at);
      this.changeStatus(t, 'stopped', { force: o.force, reason: o.reason, message: `Stopped by ${this.userName}` }, at);
    } else {
      this.changeStatus(t, t.status, { force: o.force, reason: o.reason, message: 'stopping' }, at);
      t.stoppingSince ??= at;
    }
    return t;
  }

  failed(taskId: unknown, o: { force?: boolean; reason?: string; message?: string } = {}, at = this.clock.now()) {
    const t = this.task(taskId);
    if (t.status === 'queued') this.removeFromQueues(t.id, at);
    this.changeStatus(t, 'failed', o, at);
    return t;
  }

  /** An agent took the task (after popping it): in_progress, owned by the worker. */
  start(workerId: string, taskId: string, at = this.clock.now()): void {
    const w = this.worker(workerId);
    const t = this.task(taskId);
    if (t.status === 'queued') this.removeFromQueues(t.id, at);
    this.changeStatus(t, 'in_progress', { force: true, reason: 'started', message: '' }, at);
    t.started = at;
    t.completed = null;
    t.lastWorker = workerId;
    w.taskId = taskId;
    w.taskStartedAt = at;
  }

  /**
   * `workers.status_report` from a real agent: the worker is alive now, listens on `queueIds` (when given) and runs
   * `taskId` (null: idle). The server stamps the reported task with the worker, as ClearML's does.
   */
  statusReport(workerId: string, o: { queueIds?: string[]; taskId: string | null }, at = this.clock.now()): void {
    const w = this.workerById.get(workerId);
    if (!w) throw new WireError(400, 1001, `Invalid worker id (worker=${workerId})`);
    w.reportedAt = at;
    w.stoppedAt = null;
    if (o.queueIds?.length) w.queueIds = o.queueIds;
    if (o.taskId === null) {
      w.taskId = null;
      w.taskStartedAt = null;
      return;
    }
    const t = this.task(o.taskId);
    if (w.taskId !== t.id) w.taskStartedAt = at;
    w.taskId = t.id;
    t.lastWorker = workerId;
    t.lastUpdate = at;
  }

  /** `tasks.started`: the agent marks the task it pulled in progress (no worker is attached by this call). */
  started(taskId: unknown, o: { force?: boolean; reason?: string; message?: string } = {}, at = this.clock.now()) {
    const t = this.task(taskId);
    if (t.status === 'queued') this.removeFromQueues(t.id, at);
    this.changeStatus(t, 'in_progress', { ...o, allowSame: false }, at);
    t.started = at;
    t.completed = null;
    return t;
  }

  /** The agent finished the task. Returns false (and changes nothing on the task) unless it was in progress. */
  complete(taskId: string, at = this.clock.now()): boolean {
    const t = this.task(taskId);
    for (const w of this.workerById.values()) {
      if (w.taskId === taskId && w.stoppedAt === null) {
        w.taskId = null;
        w.taskStartedAt = null;
      }
    }
    if (t.status !== 'in_progress') return false;
    this.changeStatus(t, 'completed', { reason: 'completed', message: '' }, at);
    t.completed = at;
    return true;
  }

  /** The agent aborted its task after a "stopping" request, as clearml-agent does. */
  abort(taskId: string, at = this.clock.now()): void {
    const t = this.task(taskId);
    for (const w of this.workerById.values()) if (w.taskId === taskId && w.stoppedAt === null) w.taskId = null;
    if (t.status === 'in_progress') this.changeStatus(t, 'stopped', { reason: 'aborted', message: 'aborted' }, at);
  }

  // ------------------------------------------------------------ workers

  worker(id: string): EmuWorker {
    const w = this.workerById.get(id);
    if (!w) throw new WireError(400, 1004, `Worker not registered (worker=${id})`);
    return w;
  }

  register(id: string, queueIds: string[], at = this.clock.now(), overWire = false): EmuWorker {
    const w: EmuWorker = {
      id,
      queueIds,
      registeredAt: at,
      stoppedAt: null,
      taskId: null,
      taskStartedAt: null,
      ip: `10.0.${(this.workerById.size >> 8) & 255}.${(this.workerById.size & 255) + 1}`,
      reportedAt: overWire ? at : null,
    };
    this.workerById.set(id, w);
    return w;
  }

  /** The agent stopped reporting (its instance is gone): it stays listed until its register timeout. */
  dropWorker(id: string, at = this.clock.now()): void {
    const w = this.workerById.get(id);
    if (!w || w.stoppedAt !== null) return;
    w.stoppedAt = at;
    const t = w.taskId ? this.taskById.get(w.taskId) : undefined;
    if (t) t.lastUpdate = Math.max(t.lastUpdate, this.lastReport(w, at));
  }

  unregister(id: string): void {
    this.workerById.delete(id);
  }

  /** Agents report on registering and every 30 s after. */
  lastReport(w: EmuWorker, now = this.clock.now()): number {
    if (w.reportedAt !== null) return Math.min(w.reportedAt, now);
    const until = Math.max(w.registeredAt, w.stoppedAt === null ? now : Math.min(now, w.stoppedAt));
    const step = WORKER_REPORT_SEC * 1000;
    return w.registeredAt + Math.floor((until - w.registeredAt) / step) * step;
  }

  /** Workers the server still lists (their Redis entry has not expired); expired ones are forgotten. */
  visibleWorkers(now = this.clock.now()): EmuWorker[] {
    const out: EmuWorker[] = [];
    for (const w of [...this.workerById.values()]) {
      if (now - this.lastReport(w, now) >= WORKER_REGISTER_TIMEOUT_SEC * 1000) this.workerById.delete(w.id);
      else out.push(w);
    }
    return out;
  }
}
