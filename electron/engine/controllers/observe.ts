/**
 * The one observation of a tick: ClearML (queues, workers) and EC2 (instances) read in parallel. Every controller
 * reads this same object; none keeps its own copy of the outside world.
 */
import type { Config } from '../../../shared/config.js';
import { errorText } from '../error-text.js';
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
  | { ok: true; obs: Observation; clearmlError: string | null }
  /** EC2 could not be read: without the fleet nothing can be decided. */
  | { ok: false; ec2Error: string };

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
  if (instancesR.status === 'rejected')
    return { ok: false, ec2Error: `EC2 could not be read: ${errorText(instancesR.reason)}` };
  const clearmlOk = queuesR.status === 'fulfilled' && workersR.status === 'fulfilled';
  let clearmlError: string | null = null;
  if (!clearmlOk) {
    const reason: unknown =
      queuesR.status === 'rejected' ? queuesR.reason : workersR.status === 'rejected' ? workersR.reason : null;
    clearmlError = `ClearML could not be read (${errorText(reason)}): holding, nothing is launched or terminated until it answers`;
  }
  return {
    ok: true,
    clearmlError,
    obs: {
      now,
      clearmlOk,
      queues: queuesR.status === 'fulfilled' ? queuesR.value : [],
      workers: workersR.status === 'fulfilled' ? workersR.value : [],
      instances: instancesR.value,
    },
  };
}
