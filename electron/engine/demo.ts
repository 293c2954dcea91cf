/**
 * Demo mode: the real engine and the real clients against the in-process ClearML and EC2 emulators, with a
 * synthetic workload in real time and short boot times, so someone with no credentials sees queues fill,
 * instances launch, tasks run and instances terminate within a few minutes. Nothing here reaches AWS or ClearML.
 */
import { ConfigSchema, type Config } from '../../shared/config.js';
import type { ResolvedCredentials } from './controller.js';
import { AgentSimulator, startRealtimeDriver } from './emulators/agents.js';
import { startClearmlEmulator, type ClearmlEmulator } from './emulators/clearml-emulator.js';
import { startEc2Emulator, type Ec2Emulator } from './emulators/ec2-emulator.js';
import { launchClearmlAutoscalerInstances } from './emulators/clearml-autoscaler-instances.js';
import type { Clock } from './ports.js';

export interface DemoEmulation {
  config: Config;
  credentials: ResolvedCredentials;
  ec2Url: string;
  clearml: ClearmlEmulator;
  ec2: Ec2Emulator;
  close(): void;
}

const DEMO_KEYS = { accessKey: 'DEMOACCESSKEY', secretKey: 'demo-secret-not-a-real-key' };
const DEMO_AWS = { accessKeyId: 'AKIADEMO0000000000000', secretAccessKey: 'demo/secret/not/a/real/aws/key/000000000' };

/**
 * Two GPU instances "launched by ClearML's autoscaler" before the switch: same workers prefix, only the user's tags.
 * The dashboard offers to adopt them (README: Switching from ClearML's autoscaler).
 */
export const DEMO_CLEARML_INSTANCES = [1, 2].map((n) => ({
  prefix: 'demo',
  resource: 'gpu_t4',
  instanceType: 'g4dn.xlarge',
  queue: 'gpu',
  market: 'spot' as const,
  tags: { Name: `clearml-autoscaler-gpu-${n}`, team: 'ml' },
}));

export function demoConfig(apiHost: string): Config {
  return ConfigSchema.parse({
    clearml: { apiHost, webHost: apiHost },
    aws: { region: 'us-east-1' },
    resources: {
      gpu_t4: {
        instanceType: 'g4dn.xlarge',
        market: 'spot',
        amiId: 'ami-0de0de0de0de0de00',
        subnetIds: ['subnet-0de0a001', 'subnet-0de0b002'],
      },
      gpu_a10: {
        instanceType: 'g5.xlarge',
        market: 'on-demand',
        amiId: 'ami-0de0de0de0de0de00',
        availabilityZones: ['us-east-1a'],
      },
      cpu_m5: {
        instanceType: 'm5.large',
        market: 'on-demand',
        amiId: 'ami-0de0de0de0de0de00',
        availabilityZones: ['us-east-1b'],
      },
    },
    queues: {
      gpu: [
        { resource: 'gpu_t4', maxInstances: 3 },
        { resource: 'gpu_a10', maxInstances: 2 },
      ],
      cpu: [{ resource: 'cpu_m5', maxInstances: 3 }],
    },
    scaling: { pollingIntervalSec: 3, maxIdleMin: 0.5, maxSpinUpMin: 5, workersPrefix: 'demo', maxTotalInstances: 8 },
    // Warn mode: the caps show on the tray and dashboard without changing what the demo does.
    budgets: { mode: 'warn', global: { hourlyUsd: 5, monthlyUsd: 50 }, queues: { gpu: { hourlyUsd: 3 } } },
  });
}

/** Bursts on the GPU queue, a trickle on the CPU queue, then quiet, so a full up-and-down cycle shows. */
export function demoWorkload(cycleSec = 240): { atSec: number; queue: string; name: string; durationSec: number }[] {
  const out: { atSec: number; queue: string; name: string; durationSec: number }[] = [];
  const models = ['resnet50', 'bert-base', 'yolov8', 'llama-lora', 'vit-small', 'whisper-ft'];
  for (let i = 0; i < 4; i++)
    out.push({ atSec: 1, queue: 'gpu', name: `train-${models[i % models.length]}`, durationSec: 40 + i * 15 });
  for (let i = 0; i < 3; i++)
    out.push({ atSec: 2 + i * 10, queue: 'cpu', name: `preprocess-shard-${i}`, durationSec: 30 });
  out.push({ atSec: cycleSec / 3, queue: 'gpu', name: 'eval-sweep', durationSec: 45 });
  return out;
}

export async function startDemoEmulation(opts: {
  clock: Clock;
  cycleSec?: number;
  /** Seed DEMO_CLEARML_INSTANCES (default true). */
  clearmlAutoscalerInstances?: boolean;
}): Promise<DemoEmulation> {
  const { clock } = opts;
  const clearml = await startClearmlEmulator({ clock, ...DEMO_KEYS });
  const ec2 = await startEc2Emulator({ clock, pendingSec: 2, shuttingDownSec: 3 });
  for (const q of ['gpu', 'cpu']) clearml.createQueue(q);
  const agents = new AgentSimulator({ ec2, clearml, clock, bootSec: { min: 5, max: 10 } });
  const stopDriver = startRealtimeDriver(() => agents.step(), 500);
  if (opts.clearmlAutoscalerInstances ?? true) {
    await launchClearmlAutoscalerInstances({
      endpoint: ec2.url,
      region: 'us-east-1',
      credentials: DEMO_AWS,
      apiHost: clearml.url,
      instances: DEMO_CLEARML_INSTANCES,
    });
  }

  const cycleSec = opts.cycleSec ?? 240;
  let cycleStart = clock.now();
  let pending = demoWorkload(cycleSec);
  const feeder = setInterval(() => {
    const elapsed = (clock.now() - cycleStart) / 1000;
    const due = pending.filter((t) => t.atSec <= elapsed);
    pending = pending.filter((t) => t.atSec > elapsed);
    for (const t of due) clearml.addTask({ name: t.name, queue: t.queue, durationSec: t.durationSec });
    if (elapsed >= cycleSec) {
      cycleStart = clock.now();
      pending = demoWorkload(cycleSec);
    }
  }, 500);
  feeder.unref?.();

  return {
    config: demoConfig(clearml.url),
    credentials: {
      clearml: DEMO_KEYS,
      aws: DEMO_AWS,
    },
    ec2Url: ec2.url,
    clearml,
    ec2,
    close() {
      clearInterval(feeder);
      stopDriver();
      void clearml.close();
      void ec2.close();
    },
  };
}
