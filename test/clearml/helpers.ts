// Shared test fixtures: a manual clock and an in-memory EC2 world for the agent simulator.
import type { Clock } from '../../electron/engine/ports.js';
import type { Ec2Machines, EmulatedInstance } from '../../electron/engine/emulators/seams.js';
import { mulberry32 } from '../../electron/engine/sim/prng.js';
import { CLEARML_T0 } from '../fixtures/index.js';

/** 2025-01-13T10:00:00Z: a fixed start so dates in assertions are readable. */

export interface ManualClock extends Clock {
  advance(ms: number): void;
  set(ms: number): void;
}

export function manualClock(start = CLEARML_T0): ManualClock {
  let t = start;
  return {
    now: () => t,
    sleep: async () => {},
    advance: (ms) => void (t += ms),
    set: (ms) => void (t = ms),
  };
}

export function markers(workerIdPrefix: string, queue: string): string {
  return [
    '#!/bin/bash',
    `CLEARML_AUTOSCALER_WORKER_ID_PREFIX='${workerIdPrefix}'`,
    `CLEARML_AUTOSCALER_QUEUE='${queue}'`,
    'python -m clearml_agent daemon --queue "$CLEARML_AUTOSCALER_QUEUE"',
  ].join('\n');
}

/** Instances go pending → running `runningAfterSec` after launch; powerOff and spot loss terminate them. */
export class FakeEc2World implements Ec2Machines {
  readonly list: EmulatedInstance[] = [];
  readonly powerOffs: { instanceId: string; reason: string; at: number }[] = [];
  /** Instance id → the line its init script dies with. */
  readonly bootFailures = new Map<string, string>();
  bootFailureOf(instanceId: string): string | null {
    return this.bootFailures.get(instanceId) ?? null;
  }
  private readonly runningAfterMs = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  launch(o: { instanceId: string; userData: string; runningAfterSec?: number; at?: number }): EmulatedInstance {
    const launchedAt = o.at ?? this.clock.now();
    const inst: EmulatedInstance = {
      instanceId: o.instanceId,
      state: 'pending',
      instanceType: 'g4dn.xlarge',
      market: 'spot',
      zone: 'us-east-1a',
      subnetId: null,
      launchedAt,
      runningSince: null,
      userData: o.userData,
      tags: {},
      clientToken: null,
      stateReasonCode: null,
    };
    this.runningAfterMs.set(o.instanceId, (o.runningAfterSec ?? 20) * 1000);
    this.list.push(inst);
    return inst;
  }

  instances(): EmulatedInstance[] {
    const now = this.clock.now();
    for (const i of this.list) {
      const after = this.runningAfterMs.get(i.instanceId) ?? 0;
      if (i.state === 'pending' && now >= i.launchedAt + after) {
        i.state = 'running';
        i.runningSince = i.launchedAt + after;
      }
    }
    return this.list.map((i) => ({ ...i }));
  }

  powerOff(instanceId: string, reason: string): void {
    this.powerOffs.push({ instanceId, reason, at: this.clock.now() });
    this.terminate(instanceId, 'Client.InstanceInitiatedShutdown');
  }

  interruptSpot(instanceId: string): void {
    this.terminate(instanceId, 'Server.SpotInstanceTermination');
  }

  terminate(instanceId: string, reason = 'Client.UserInitiatedShutdown'): void {
    const i = this.list.find((x) => x.instanceId === instanceId);
    if (!i) throw new Error(`no instance ${instanceId}`);
    i.state = 'terminated';
    i.stateReasonCode = reason;
  }
}

/** A deterministic PRNG (mulberry32) for reproducible boot delays. */
export const seeded = mulberry32;
