/**
 * Shared test fixtures for the EC2 suites: a manual clock (sleeping advances it, so back-off and token waits
 * cost no real time), an emulator + provider pair wired through the real SDK, and a launch spec.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import {
  startEc2Emulator,
  type Ec2Emulator,
  type Ec2EmulatorOptions,
} from '../../electron/engine/testkit/ec2-faults.js';
import { createEc2Provider, type Ec2Provider, type Ec2ProviderOptions } from '../../electron/engine/ec2/provider.js';
import { TAG, type Clock, type LaunchSpec } from '../../electron/engine/ports.js';
import { mulberry32 } from '../../electron/engine/sim/prng.js';

export const FAKE_CREDENTIALS = { accessKeyId: 'AKIDEMULATOR00000001', secretAccessKey: 'emulator-secret-not-real' };

export class ManualClock implements Clock {
  constructor(private t = Date.UTC(2026, 0, 5, 9, 0, 0)) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
  async sleep(ms: number): Promise<void> {
    this.t += Math.max(0, ms);
    await Promise.resolve();
  }
}

/** A deterministic [0, 1) sequence (mulberry32). */
export function seededRandom(seed = 42): () => number {
  return mulberry32(seed);
}

export interface Rig {
  clock: ManualClock;
  emu: Ec2Emulator;
  ec2: Ec2Provider;
  /** A raw SDK client on the same emulator, for setting up foreign instances and checking wire details. */
  raw: EC2Client;
  close(): Promise<void>;
}

export async function startRig(
  opts: { emulator?: Partial<Ec2EmulatorOptions>; provider?: Partial<Ec2ProviderOptions> } = {},
): Promise<Rig> {
  const clock = new ManualClock();
  const emu = await startEc2Emulator({ clock, random: seededRandom(7), ...opts.emulator });
  const ec2 = createEc2Provider({
    region: 'us-east-1',
    credentials: FAKE_CREDENTIALS,
    endpoint: emu.url,
    clock,
    random: () => 0,
    ...opts.provider,
  });
  const raw = new EC2Client({ region: 'us-east-1', credentials: FAKE_CREDENTIALS, endpoint: emu.url, maxAttempts: 1 });
  return {
    clock,
    emu,
    ec2,
    raw,
    async close() {
      ec2.close();
      raw.destroy();
      await emu.close();
    },
  };
}

export function launchSpec(over: Partial<LaunchSpec> = {}): LaunchSpec {
  return {
    clientToken: 'token-0001',
    instanceType: 'g4dn.xlarge',
    imageId: 'ami-0123456789abcdef0',
    market: 'on-demand',
    securityGroupIds: ['sg-0a1b2c3d'],
    enableMonitoring: false,
    metadataHopLimit: 1,
    userData:
      "#!/bin/bash\nCLEARML_AUTOSCALER_WORKER_ID_PREFIX='dyn:gpu:g4dn.xlarge'\nCLEARML_AUTOSCALER_QUEUE='gpu'\necho ok\n",
    tags: { [TAG.prefix]: 'dyn', [TAG.resource]: 'gpu', [TAG.queue]: 'gpu', Name: 'clearml-worker' },
    ...over,
  };
}
