/**
 * The one observation of a tick: ClearML (queues, workers) and EC2 (instances) read in parallel. Every controller
 * reads this same object; none keeps its own copy of the outside world. Each side's failure is kept as thrown, so
 * the connections controller can judge the two independently.
 */
import type { Config } from '../../../shared/config.js';
import type { ClearmlApi, Ec2Api, InstanceObs, QueueObs, WorkerObs } from '../ports.js';

export interface Observation {
  now: number;
  /** False when ClearML could not be read: then `queues` and `workers` are empty and nothing may be acted on. */
  clearmlOk: boolean;
  queues: QueueObs[];
  workers: WorkerObs[];
  instances: InstanceObs[];
}

export type ObserveResult =
  | { ok: true; obs: Observation; clearmlFailure: unknown; ec2Failure: null }
  /** EC2 could not be read: without the fleet nothing can be decided. */
  | { ok: false; ec2Failure: unknown; clearmlFailure: unknown };

export async function observe(
  ports: { clearml: ClearmlApi; ec2: Ec2Api },
  config: Config,
  now: number,
): Promise<ObserveResult> {
  const prefix = config.scaling.workersPrefix;
  const [queuesR, workersR, instancesR] = await Promise.allSettled([
    ports.clearml.listQueues(Object.keys(config.queues)),
    ports.clearml.listWorkers(prefix),
    ports.ec2.describeInstances(prefix),
  ]);
  const clearmlOk = queuesR.status === 'fulfilled' && workersR.status === 'fulfilled';
  // null when ClearML answered both calls; the first rejection otherwise.
  const clearmlFailure: unknown = clearmlOk
    ? null
    : queuesR.status === 'rejected'
      ? (queuesR.reason ?? 'unknown error')
      : workersR.status === 'rejected'
        ? (workersR.reason ?? 'unknown error')
        : null;
  if (instancesR.status === 'rejected')
    return { ok: false, ec2Failure: instancesR.reason ?? 'unknown error', clearmlFailure };
  return {
    ok: true,
    ec2Failure: null,
    clearmlFailure,
    obs: {
      now,
      clearmlOk,
      queues: queuesR.status === 'fulfilled' ? queuesR.value : [],
      workers: workersR.status === 'fulfilled' ? workersR.value : [],
      instances: instancesR.value,
    },
  };
}
