/**
 * A small world for the crash-safety tests: the real engine and real clients against the ClearML and EC2
 * emulators in virtual time, with the crash-safety hooks wired the way the host wires them, and seams to "kill"
 * the engine at a chosen step of a launch.
 */
import type { Config, ConfigInput } from '../../shared/config.js';
import type { Engine, EngineDeps } from '../../electron/engine/engine.js';
import type { Ec2Api, ClearmlApi } from '../../electron/engine/ports.js';
import { createMainStore } from '../../electron/engine/store.js';
import { userDataBuilder } from '../../electron/engine/userdata/userdata.js';
import { baseConfig, T0 } from '../fixtures/index.js';
import { startWorld, type World } from '../fixtures/world.js';

export { T0 };
export const CLEARML_KEYS = { accessKey: 'RELIABILITYACCESS1', secretKey: 'reliability-secret-do-not-log-0001' };
export const AWS_KEYS = {
  accessKeyId: 'AKIARELIABILITY00001',
  secretAccessKey: 'reliabilitysecretreliabilitysecret000001',
};

/** The base config with two subnets and a user tag on the spot resource, prefix `rel`. */
export function makeConfig(patch: Partial<ConfigInput> = {}): Config {
  return baseConfig({
    resources: {
      gpu_a: {
        instanceType: 'g4dn.xlarge',
        amiId: 'ami-0123456789abcdef0',
        market: 'spot',
        subnetIds: ['subnet-0000aaaa', 'subnet-0000bbbb'],
        tags: { team: 'ml' },
      },
      cpu: { instanceType: 'm5.large', amiId: 'ami-0123456789abcdef0' },
    },
    queues: { gpu: [{ resource: 'gpu_a', maxInstances: 2 }], cpu: [{ resource: 'cpu', maxInstances: 3 }] },
    scaling: { workersPrefix: 'rel', maxTotalInstances: 10, maxIdleMin: 5, maxSpinUpMin: 20 },
    ...patch,
  });
}

export function userDataFor(config: Config, launch: { queue: string; resource: string }): string {
  return userDataBuilder(config, { clearml: CLEARML_KEYS })(launch);
}

export class Killed extends Error {
  constructor(where: string) {
    super(`killed ${where}`);
    this.name = 'Killed';
  }
}

/** The test world with the reliability keys, a data folder, and one store per engine (each is a new app run). */
export interface Rig extends World {
  engine(config: Config, clients: { clearml: ClearmlApi; ec2: Ec2Api }, extra?: Partial<EngineDeps>): Engine;
}

export async function startRig(opts: { listingDelaySec?: number } = {}): Promise<Rig> {
  const world = await startWorld({
    clearmlKeys: CLEARML_KEYS,
    awsKeys: AWS_KEYS,
    listingDelaySec: opts.listingDelaySec ?? 0,
    dataDir: true,
    engineDefaults: { prices: () => ({ price: 0.5, source: 'test' }), launchConcurrency: 1 },
  });
  return Object.assign(world, {
    engine: (config: Config, clients: { clearml: ClearmlApi; ec2: Ec2Api }, extra: Partial<EngineDeps> = {}) =>
      world.newEngine(config, { store: createMainStore(), ...extra }, clients),
  });
}
