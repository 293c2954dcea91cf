/**
 * An in-memory ClearML port (`ClearmlApi`) for controller tests: queues, workers and tasks in maps, every call
 * recorded, failures injected per method. Integration tests keep using the HTTP emulator through the real client.
 */
import type { ClearmlApi, QueueObs, ServerInfoObs, TaskObs, WorkerObs } from '../../electron/engine/ports.js';

type Method = keyof ClearmlApi;

export class FakeClearml implements ClearmlApi {
  readonly queues = new Map<string, QueueObs>();
  readonly workers = new Map<string, WorkerObs>();
  readonly tasks = new Map<string, TaskObs>();
  readonly calls: { method: Method; args: unknown[] }[] = [];
  private readonly failures = new Map<Method, Error[]>();

  /** The next call(s) of `method` throw these errors, one per call, in order. */
  failNext(method: Method, ...errors: Error[]): this {
    this.failures.set(method, [...(this.failures.get(method) ?? []), ...errors]);
    return this;
  }

  callsOf(method: Method): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  addQueue(q: QueueObs): this {
    this.queues.set(q.name, q);
    return this;
  }

  addWorker(w: WorkerObs): this {
    this.workers.set(w.id, w);
    return this;
  }

  addTask(t: TaskObs): this {
    this.tasks.set(t.id, t);
    return this;
  }

  private enter(method: Method, args: unknown[]): void {
    this.calls.push({ method, args });
    const err = this.failures.get(method)?.shift();
    if (err) throw err;
  }

  async listQueues(names: readonly string[]): Promise<QueueObs[]> {
    this.enter('listQueues', [[...names]]);
    return names.flatMap((n) => {
      const q = this.queues.get(n);
      return q ? [q] : [];
    });
  }

  async listWorkers(prefix: string): Promise<WorkerObs[]> {
    this.enter('listWorkers', [prefix]);
    return [...this.workers.values()].filter((w) => w.id.startsWith(`${prefix}:`));
  }

  async unregisterWorker(workerId: string): Promise<void> {
    this.enter('unregisterWorker', [workerId]);
    this.workers.delete(workerId);
  }

  async inProgressTasks(): Promise<TaskObs[]> {
    this.enter('inProgressTasks', []);
    return [...this.tasks.values()].filter((t) => t.status === 'in_progress');
  }

  async getTasks(ids: readonly string[]): Promise<TaskObs[]> {
    this.enter('getTasks', [[...ids]]);
    return ids.flatMap((id) => {
      const t = this.tasks.get(id);
      return t ? [t] : [];
    });
  }

  async requeueTask(taskId: string, queueId: string, reason: string): Promise<void> {
    this.enter('requeueTask', [taskId, queueId, reason]);
    const t = this.tasks.get(taskId);
    if (t) this.tasks.set(taskId, { ...t, status: 'queued', queueId });
    const q = [...this.queues.values()].find((x) => x.id === queueId);
    q?.entries.push({ taskId, addedAt: 0 });
  }

  async serverInfo(): Promise<ServerInfoObs> {
    this.enter('serverInfo', []);
    return { version: '2.0.0', apiVersion: '2.30' };
  }

  async checkAuth(): Promise<{ user: string }> {
    this.enter('checkAuth', []);
    return { user: 'fake' };
  }
}
