/**
 * The app's engine as a simulation loop: the real `Engine` (policy, launcher, requeue of interrupted tasks,
 * idle and spin-up rules, leases) with the world's clients and virtual clock injected. Nothing is stubbed but
 * the startup script's credentials (the emulated instance only reads its markers).
 */
import type { Config } from '../../../shared/config.js';
import type { EngineEvent } from '../../../shared/domain.js';
import { Engine } from '../engine.js';
import { createMainStore } from '../store.js';
import { SIMULATED_AGENT_KEYS, userDataBuilder } from '../userdata/userdata.js';
import type { SimLoop } from './driver.js';
import type { PriceFn } from './metrics.js';
import type { SimWorld } from './world.js';

export interface EngineLoop extends SimLoop {
  readonly engine: Engine;
  /** Events by kind (launch, terminate, requeue, launch-failed, …). */
  readonly eventCounts: Record<string, number>;
}

export function engineLoop(world: SimWorld, config: Config, price: PriceFn): EngineLoop {
  const eventCounts: Record<string, number> = {};
  let token = 0;
  const engine = new Engine({
    config,
    clearml: world.clearmlClient,
    ec2: world.ec2Provider,
    clock: world.clock,
    store: createMainStore(),
    prices: (type, market) => ({ price: price(type, market), source: 'simulation price table' }),
    userData: userDataBuilder(config, { clearml: SIMULATED_AGENT_KEYS }),
    newClientToken: () => `sim-${++token}`,
    // One RunInstances at a time. In virtual time concurrency changes nothing (the EC2 token bucket paces
    // launches either way) except the order in which concurrent requests reach the emulator while the bucket's
    // wait moves the clock, which would make runs irreproducible.
    launchConcurrency: 1,
    onEvent: (e: EngineEvent) => {
      eventCounts[e.kind] = (eventCounts[e.kind] ?? 0) + 1;
    },
  });
  return {
    engine,
    eventCounts,
    pollMs: config.scaling.pollingIntervalSec * 1000,
    wakeAt: () => engine.nextWakeAt,
    async iterate() {
      const r = await engine.tick();
      return { launched: r.launched.length, terminated: r.terminated.length };
    },
  };
}
