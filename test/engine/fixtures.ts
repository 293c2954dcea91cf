import { baseConfig, T0 } from '../fixtures/index.js';
import { TAG, type InstanceObs, type QueueObs, type WorkerObs } from '../../electron/engine/ports.js';
import type { PolicyInput } from '../../electron/engine/policy.js';

export { spotGpuWithFallback, T0 } from '../fixtures/index.js';
/** The base config of every engine suite. */
export { baseConfig as makeConfig } from '../fixtures/index.js';

let seq = 0;
export function instance(
  queue: string,
  resource: string,
  opts: Partial<InstanceObs> & { ageSec?: number } = {},
): InstanceObs {
  const id = opts.instanceId ?? `i-${(0xa000 + seq++).toString(16).padStart(8, '0')}`;
  return {
    instanceId: id,
    state: 'running',
    instanceType: 'g4dn.xlarge',
    market: 'on-demand',
    zone: 'us-east-1a',
    subnetId: null,
    launchedAt: T0 - (opts.ageSec ?? 120) * 1000,
    clientToken: null,
    stateReasonCode: null,
    ...opts,
    tags: { [TAG.prefix]: 'dyn', [TAG.queue]: queue, [TAG.resource]: resource, ...(opts.tags ?? {}) },
  };
}

export function workerFor(inst: InstanceObs, task: string | null = null): WorkerObs {
  return {
    id: `dyn:${inst.tags[TAG.resource]}:${inst.instanceType}:${inst.instanceId}`,
    task: task ? { id: task } : null,
    queues: [inst.tags[TAG.queue] ?? ''],
    registeredAt: inst.launchedAt + 60_000,
    lastActivityAt: T0,
    lastReportAt: T0,
  };
}

export function queue(name: string, pending: number, waitedSec = 30): QueueObs {
  return {
    id: `q-${name}`,
    name,
    entries: Array.from({ length: pending }, (_, i) => ({ taskId: `${name}-t${i}`, addedAt: T0 - waitedSec * 1000 })),
  };
}

export function policyInput(patch: Partial<PolicyInput> = {}): PolicyInput {
  return {
    now: T0,
    config: baseConfig(),
    clearmlOk: true,
    queues: [queue('gpu', 0), queue('cpu', 0)],
    workers: [],
    instances: [],
    inFlight: [],
    idleSince: new Map(),
    launchesPaused: false,
    pausedQueues: new Set(),
    cooling: new Set(),
    ...patch,
  };
}
