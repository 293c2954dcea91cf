import { ConfigSchema, type Config, type ConfigInput } from '../../shared/config.js';
import { TAG, type InstanceObs, type QueueObs, type WorkerObs } from '../../electron/engine/ports.js';
import type { PolicyInput } from '../../electron/engine/policy.js';

export const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);

export function makeConfig(patch: Partial<ConfigInput> = {}): Config {
  return ConfigSchema.parse({
    clearml: { apiHost: 'http://127.0.0.1:8008' },
    aws: { region: 'us-east-1' },
    resources: {
      gpu_a: { instanceType: 'g4dn.xlarge', amiId: 'ami-0123456789abcdef0', market: 'spot' },
      gpu_b: { instanceType: 'g5.xlarge', amiId: 'ami-0123456789abcdef0' },
      cpu: { instanceType: 'm5.large', amiId: 'ami-0123456789abcdef0' },
    },
    queues: { gpu: [{ resource: 'gpu_a', maxInstances: 2 }], cpu: [{ resource: 'cpu', maxInstances: 5 }] },
    scaling: { workersPrefix: 'dyn', maxTotalInstances: 20, maxIdleMin: 15, maxSpinUpMin: 30 },
    ...patch,
  });
}

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
    config: makeConfig(),
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
