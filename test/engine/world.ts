/**
 * A world for engine integration tests: the real engine with the real ClearML and EC2 clients, talking HTTP to the
 * ClearML and EC2 emulators, agents simulated on the instances, all in virtual time.
 */
import type { Config } from '../../shared/config.js';
import { createClearmlClient } from '../../electron/engine/clearml/client.js';
import { createEc2Provider } from '../../electron/engine/ec2/provider.js';
import { Engine, type EngineDeps } from '../../electron/engine/engine.js';
import { AgentSimulator } from '../../electron/engine/emulators/agents.js';
import { startClearmlEmulator, type ClearmlEmulator } from '../../electron/engine/testkit/clearml-faults.js';
import { startEc2Emulator, type Ec2Emulator } from '../../electron/engine/testkit/ec2-faults.js';
import { createMainStore, type MainStore } from '../../electron/engine/store.js';
import { userDataBuilder } from '../../electron/engine/userdata/userdata.js';
import { VirtualClock } from '../../electron/engine/testkit/virtual-clock.js';
import type { PriceLookup } from '../../electron/engine/snapshot.js';
import { T0 } from './fixtures.js';

export const KEYS = { accessKey: 'TESTACCESSKEY123', secretKey: 'test-secret-key-0123456789' };
export const AWS = { accessKeyId: 'AKIATESTTESTTESTTEST', secretAccessKey: 'testsecretkeytestsecretkeytestsecretkey0' };

export const flatPrices: PriceLookup = (type, market) => ({
  price: market === 'spot' ? 0.2 : 0.5,
  source: `test price for ${type}`,
});

export interface World {
  clock: VirtualClock;
  clearml: ClearmlEmulator;
  ec2: Ec2Emulator;
  agents: AgentSimulator;
  store: MainStore;
  newEngine(config: Config, extra?: Partial<EngineDeps>): Engine;
  /** Advance virtual time in steps, stepping the agents and ticking the engine after each step. */
  run(engine: Engine, seconds: number, stepSec?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startWorld(opts: { bootSec?: number; pendingSec?: number } = {}): Promise<World> {
  const clock = new VirtualClock(T0);
  const clearml = await startClearmlEmulator({ clock, ...KEYS });
  const ec2 = await startEc2Emulator({ clock, pendingSec: opts.pendingSec ?? 5 });
  const boot = opts.bootSec ?? 60;
  const agents = new AgentSimulator({ ec2, clearml, clock, bootSec: { min: boot, max: boot } });
  const store = createMainStore();

  const world: World = {
    clock,
    clearml,
    ec2,
    agents,
    store,
    newEngine(config, extra = {}) {
      return new Engine({
        config,
        clearml: createClearmlClient({ apiHost: clearml.url, credentials: KEYS, clock }),
        ec2: createEc2Provider({ region: config.aws.region, credentials: AWS, endpoint: ec2.url, clock }),
        clock,
        store,
        prices: flatPrices,
        userData: userDataBuilder(config, { clearml: KEYS }),
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
    async close() {
      await clearml.close();
      await ec2.close();
    },
  };
  return world;
}
