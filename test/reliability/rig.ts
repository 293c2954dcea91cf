/**
 * A small world for the crash-safety tests: the real engine and real clients against the ClearML and EC2
 * emulators in virtual time, with the crash-safety hooks wired the way the host wires them, and seams to "kill"
 * the engine at a chosen step of a launch.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigSchema, type Config, type ConfigInput } from '../../shared/config.js';
import { createClearmlClient } from '../../electron/engine/clearml/client.js';
import { createEc2Provider, type Ec2Provider } from '../../electron/engine/ec2/provider.js';
import { Engine, type EngineDeps } from '../../electron/engine/engine.js';
import { AgentSimulator } from '../../electron/engine/emulators/agents.js';
import { startClearmlEmulator, type ClearmlEmulator } from '../../electron/engine/testkit/clearml-faults.js';
import { startEc2Emulator, type Ec2Emulator } from '../../electron/engine/testkit/ec2-faults.js';
import type { ClearmlApi, Ec2Api } from '../../electron/engine/ports.js';
import { createMainStore } from '../../electron/engine/store.js';
import { userDataBuilder } from '../../electron/engine/userdata/userdata.js';
import { VirtualClock } from '../../electron/engine/testkit/virtual-clock.js';

export const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
export const CLEARML_KEYS = { accessKey: 'RELIABILITYACCESS1', secretKey: 'reliability-secret-do-not-log-0001' };
export const AWS_KEYS = {
  accessKeyId: 'AKIARELIABILITY00001',
  secretAccessKey: 'reliabilitysecretreliabilitysecret000001',
};

export function makeConfig(patch: Partial<ConfigInput> = {}): Config {
  return ConfigSchema.parse({
    clearml: { apiHost: 'http://127.0.0.1:8008' },
    aws: { region: 'us-east-1' },
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

/** The user data exactly as the host builds it for the engine. */
export function userDataFor(config: Config, launch: { queue: string; resource: string }): string {
  return userDataBuilder(config, { clearml: CLEARML_KEYS })(launch);
}

export class Killed extends Error {
  constructor(where: string) {
    super(`killed ${where}`);
    this.name = 'Killed';
  }
}

export interface Rig {
  clock: VirtualClock;
  clearml: ClearmlEmulator;
  ec2: Ec2Emulator;
  agents: AgentSimulator;
  dir: string;
  clients(config: Config): { clearml: ClearmlApi; ec2: Ec2Provider };
  engine(config: Config, clients: { clearml: ClearmlApi; ec2: Ec2Api }, extra?: Partial<EngineDeps>): Engine;
  /** Step agents, tick, step agents — `seconds` of virtual time in `stepSec` steps. */
  run(engine: Engine, seconds: number, stepSec?: number): Promise<void>;
  live(): ReturnType<Ec2Emulator['instances']>;
  close(): Promise<void>;
}

export async function startRig(opts: { listingDelaySec?: number } = {}): Promise<Rig> {
  const clock = new VirtualClock(T0);
  const clearml = await startClearmlEmulator({ clock, ...CLEARML_KEYS });
  const ec2 = await startEc2Emulator({ clock, pendingSec: 5, listingDelaySec: opts.listingDelaySec ?? 0 });
  const agents = new AgentSimulator({ ec2, clearml, clock, bootSec: { min: 60, max: 60 } });
  const dir = await mkdtemp(path.join(tmpdir(), 'crash-safety-'));
  const providers: Ec2Provider[] = [];
  return {
    clock,
    clearml,
    ec2,
    agents,
    dir,
    clients(config) {
      const p = createEc2Provider({ region: config.aws.region, credentials: AWS_KEYS, endpoint: ec2.url, clock });
      providers.push(p);
      return {
        clearml: createClearmlClient({ apiHost: clearml.url, credentials: CLEARML_KEYS, clock }),
        ec2: p,
      };
    },
    engine(config, clients, extra = {}) {
      return new Engine({
        config,
        clearml: clients.clearml,
        ec2: clients.ec2,
        clock,
        store: createMainStore(),
        prices: () => ({ price: 0.5, source: 'test' }),
        userData: (l) => userDataFor(config, l),
        launchConcurrency: 1,
        ...extra,
      });
    },
    async run(engine, seconds, stepSec = 15) {
      const end = clock.now() + seconds * 1000;
      while (clock.now() < end) {
        clock.advance(stepSec * 1000);
        agents.step();
        await engine.tick();
        agents.step();
      }
    },
    live: () => ec2.instances().filter((i) => i.state === 'pending' || i.state === 'running'),
    async close() {
      for (const p of providers) p.close();
      await clearml.close();
      await ec2.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
