/**
 * Engine scale: (1) the pure planning step (`plan()` from policy.ts) timed at 10 / 100 / 1,000 queues ×
 * 100 / 2,000 / 10,000 instances with pending tasks, with the heap its input and output hold; (2) ClearML and
 * EC2 calls per steady tick through the real clients against the emulators at a few sizes, the ClearML
 * baseline's calls beside them.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ConfigSchema, type Config } from '../shared/config.js';
import { ClearmlBaseline } from '../electron/engine/sim/baseline.js';
import { engineLoop } from '../electron/engine/sim/ours.js';
import { makePriceFn } from '../electron/engine/sim/simulate.js';
import { TraceSchema } from '../electron/engine/sim/trace.js';
import { SIM_EPOCH, SimWorld } from '../electron/engine/sim/world.js';
import { plan, type PolicyInput } from '../electron/engine/policy.js';
import { TAG, type InstanceObs, type QueueObs, type WorkerObs } from '../electron/engine/ports.js';
import { Rng } from '../electron/engine/sim/prng.js';
import { percentile } from '../electron/engine/sim/metrics.js';

// ---------------------------------------------------------------- plan() timing

export interface PlanSample {
  queues: number;
  instances: number;
  /** Median and p95 of repeated plan() calls, ms. */
  medianMs: number;
  p95Ms: number;
  runs: number;
  /** Heap held by the observation (PolicyInput) and by the plan it produced, MB. */
  inputHeapMb: number | null;
  planHeapMb: number | null;
  launches: number;
  terminations: number;
}

const gc: (() => void) | null = (() => {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return null;
  }
})();

function heapUsed(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

function scaleConfig(queues: number, instances: number): Config {
  const resources: Record<string, unknown> = {};
  const queueMap: Record<string, unknown> = {};
  const perQueue = Math.ceil(instances / queues);
  for (let q = 0; q < queues; q++) {
    const name = `q${String(q).padStart(4, '0')}`;
    resources[`${name}_spot`] = { instanceType: 'g4dn.xlarge', market: 'spot', amiId: 'ami-0123456789abcdef0' };
    resources[`${name}_od`] = { instanceType: 'g5.xlarge', amiId: 'ami-0123456789abcdef0' };
    // Room above the current fleet, so pending tasks can launch and the launch path is exercised too.
    queueMap[name] = [
      { resource: `${name}_spot`, maxInstances: Math.min(1000, perQueue) },
      { resource: `${name}_od`, maxInstances: Math.min(1000, perQueue) },
    ];
  }
  return ConfigSchema.parse({
    clearml: { apiHost: 'https://clearml-api.example.com' },
    aws: { region: 'us-east-1' },
    resources,
    queues: queueMap,
    scaling: { maxTotalInstances: 10000, workersPrefix: 'dyn' },
  });
}

/** A fleet of `instances` spread over `queues`: 70 % busy, 20 % idle (some past the limit), 10 % booting. */
export function scaleInput(queues: number, instances: number, seed = 7): PolicyInput {
  const rng = new Rng(seed, `plan-${queues}x${instances}`);
  const config = scaleConfig(queues, instances);
  const now = SIM_EPOCH + 86_400_000;
  const names = Object.keys(config.queues);
  const inst: InstanceObs[] = [];
  const workers: WorkerObs[] = [];
  const idleSince = new Map<string, number>();
  for (let i = 0; i < instances; i++) {
    const queue = names[i % names.length]!;
    const resource = `${queue}_${i % 3 === 0 ? 'od' : 'spot'}`;
    const id = `i-${(0x10000000 + i).toString(16).padStart(17, '0')}`;
    const roll = rng.random();
    const launchedAt = now - Math.round(rng.uniform(5, 600)) * 60_000;
    inst.push({
      instanceId: id,
      state: roll < 0.9 ? 'running' : 'pending',
      instanceType: resource.endsWith('_od') ? 'g5.xlarge' : 'g4dn.xlarge',
      market: resource.endsWith('_od') ? 'on-demand' : 'spot',
      zone: 'us-east-1a',
      subnetId: null,
      launchedAt: roll < 0.9 ? launchedAt : now - 30_000,
      tags: { [TAG.prefix]: 'dyn', [TAG.queue]: queue, [TAG.resource]: resource },
      clientToken: null,
      stateReasonCode: null,
    });
    if (roll < 0.9) {
      const busy = roll < 0.7;
      workers.push({
        id: `dyn:${resource}:${resource.endsWith('_od') ? 'g5.xlarge' : 'g4dn.xlarge'}:${id}`,
        task: busy ? { id: `task-${i}` } : null,
        queues: [queue],
        registeredAt: launchedAt + 90_000,
        lastActivityAt: now,
        lastReportAt: now,
      });
      if (!busy) idleSince.set(id, now - Math.round(rng.uniform(0, 30)) * 60_000);
    }
  }
  const queueObs: QueueObs[] = names.map((name, qi) => ({
    id: `queue-${qi}`,
    name,
    // Pending work everywhere: 0–4 tasks per queue.
    entries: Array.from({ length: qi % 5 }, (_, k) => ({ taskId: `${name}-p${k}`, addedAt: now - (k + 1) * 20_000 })),
  }));
  return {
    now,
    config,
    clearmlOk: true,
    queues: queueObs,
    workers,
    instances: inst,
    inFlight: [],
    idleSince,
    launchesPaused: false,
    pausedQueues: new Set(),
    cooling: new Set(),
  };
}

export function measurePlan(queues: number, instances: number, budgetMs = 1500): PlanSample {
  const before = heapUsed();
  let input: PolicyInput | null = scaleInput(queues, instances);
  const afterInput = heapUsed();
  let result = plan(input); // warm-up (JIT), and the plan whose size is measured
  const afterPlan = heapUsed();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 5 || (performance.now() - start < budgetMs && times.length < 200)) {
    const t0 = performance.now();
    result = plan(input);
    times.push(performance.now() - t0);
  }
  const launches = result.actions
    .filter((a) => a.kind === 'launch')
    .reduce((n, a) => n + (a.kind === 'launch' ? a.count : 0), 0);
  const terminations = result.actions.filter((a) => a.kind === 'terminate').length;
  const sample: PlanSample = {
    queues,
    instances,
    medianMs: percentile(times, 50),
    p95Ms: percentile(times, 95),
    runs: times.length,
    inputHeapMb: gc ? (afterInput - before) / 1048576 : null,
    planHeapMb: gc ? (afterPlan - afterInput) / 1048576 : null,
    launches,
    terminations,
  };
  input = null;
  return sample;
}

export function planGrid(): PlanSample[] {
  const out: PlanSample[] = [];
  for (const q of [10, 100, 1000]) for (const n of [100, 2000, 10_000]) out.push(measurePlan(q, n));
  return out;
}

// ---------------------------------------------------------------- calls per tick through the real clients

export interface CallsSample {
  queues: number;
  instances: number;
  /** Median over steady ticks (nothing launched or terminated). */
  oursClearml: number;
  oursEc2: number;
  oursDescribeInstancesPages: number;
  baselineClearml: number;
  ticksToSteady: number;
  wallMs: number;
}

/** `instances` long tasks running on as many instances over `queues` queues, plus one pending task per queue. */
export async function measureCalls(queues: number, instances: number): Promise<CallsSample> {
  const started = performance.now();
  const perQueue = Math.ceil(instances / queues);
  if (perQueue > 1000) throw new Error('at most 1000 instances per queue (the config schema cap)');
  const resources: Record<string, unknown> = {};
  const queueMap: Record<string, unknown> = {};
  const tasks: { id: string; queue: string; enqueueAtSec: number; durationSec: number }[] = [];
  for (let q = 0; q < queues; q++) {
    const name = `q${String(q).padStart(4, '0')}`;
    resources[`${name}_r`] = { instanceType: 'm5.large', amiId: 'ami-0123456789abcdef0' };
    queueMap[name] = [{ resource: `${name}_r`, maxInstances: perQueue }];
    for (let k = 0; k < perQueue + 1; k++)
      tasks.push({ id: `${name}-t${k}`, queue: name, enqueueAtSec: 0, durationSec: 10 * 3600 });
  }
  const config = ConfigSchema.parse({
    clearml: { apiHost: 'https://clearml-api.example.com' },
    aws: { region: 'us-east-1' },
    resources,
    queues: queueMap,
    scaling: { maxTotalInstances: instances, workersPrefix: 'dyn' },
  });
  const trace = TraceSchema.parse({ name: `calls-${queues}x${instances}`, tasks, bootSec: { min: 60, max: 60 } });
  const price = makePriceFn(trace, config.aws.region);
  const world = await SimWorld.start({ trace, config, seed: 1, price });
  try {
    const loop = engineLoop(world, config, price);
    let ticksToSteady = 0;
    const tick = async () => {
      world.advanceTo(world.now + loop.pollMs);
      const c0 = world.clearmlClient.calls;
      const e0 = world.ec2Provider.calls;
      const d0 = world.ec2.calls.byAction['DescribeInstances'] ?? 0;
      const r = await loop.iterate();
      return {
        clearml: world.clearmlClient.calls - c0,
        ec2: world.ec2Provider.calls - e0,
        pages: (world.ec2.calls.byAction['DescribeInstances'] ?? 0) - d0,
        quiet: r.launched === 0 && r.terminated === 0,
      };
    };
    const busy = () => world.clearml.workers().filter((w) => w.taskId !== null).length;
    while (busy() < instances && ticksToSteady < 40) {
      await tick();
      ticksToSteady++;
    }
    const steady: { clearml: number; ec2: number; pages: number }[] = [];
    for (let i = 0; i < 4; i++) {
      const s = await tick();
      if (s.quiet) steady.push(s);
    }
    const baseline = new ClearmlBaseline(world, config, { pollSec: 300 });
    await baseline.iterate(); // the first iteration also runs ensure_queues
    world.advanceTo(world.now + 300_000);
    const b0 = world.clearmlClient.calls;
    await baseline.iterate();
    const baselineClearml = world.clearmlClient.calls - b0;
    return {
      queues,
      instances,
      oursClearml: percentile(
        steady.map((s) => s.clearml),
        50,
      ),
      oursEc2: percentile(
        steady.map((s) => s.ec2),
        50,
      ),
      oursDescribeInstancesPages: percentile(
        steady.map((s) => s.pages),
        50,
      ),
      baselineClearml,
      ticksToSteady,
      wallMs: Math.round(performance.now() - started),
    };
  } finally {
    await world.close();
  }
}

export const CALL_SIZES: readonly [number, number][] = [
  [1, 100],
  [10, 100],
  [100, 100],
  [10, 1000],
  [10, 2000],
];

export async function callsGrid(sizes = CALL_SIZES): Promise<CallsSample[]> {
  const out: CallsSample[] = [];
  for (const [q, n] of sizes) out.push(await measureCalls(q, n));
  return out;
}
