/**
 * The engine world of test/engine/world.ts with moto's EC2 server in place of our EC2 emulator: the real engine
 * and clients, our ClearML emulator with its simulated agents, and moto reached through the real AWS SDK.
 *
 * The agent simulator needs a synchronous view of the instances (`Ec2Machines`); moto is only reachable over HTTP,
 * so `MotoEc2Machines` keeps a snapshot that `run()` refreshes (DescribeInstances and each new instance's user data)
 * before every agent step, and sends the power-offs the agents asked for right after it.
 *
 * Time: moto stamps LaunchTime with its own wall clock and cannot be told another time, so the virtual clock
 * starts at the wall clock's now. Every scenario here launches in its first ticks, so the instance ages the engine
 * computes from moto's LaunchTime stay within the few real seconds the run takes of the virtual ages.
 */
import {
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  EC2Client,
  TerminateInstancesCommand,
  type Instance,
  type Tag,
} from '@aws-sdk/client-ec2';
import type { Config } from '../../shared/config.js';
import { isLiveState } from '../../shared/domain.js';
import { createClearmlClient } from '../../electron/engine/clearml/client.js';
import { createEc2Provider, type Ec2Provider } from '../../electron/engine/ec2/provider.js';
import { Engine, type EngineDeps } from '../../electron/engine/engine.js';
import { AgentSimulator } from '../../electron/engine/emulators/agents.js';
import { startClearmlEmulator, type ClearmlEmulator } from '../../electron/engine/emulators/clearml-emulator.js';
import type { Ec2Machines, EmulatedInstance } from '../../electron/engine/emulators/seams.js';
import { toInstanceObs } from '../../electron/engine/ec2/instances.js';
import { createMainStore, type MainStore } from '../../electron/engine/store.js';
import { userDataBuilder } from '../../electron/engine/userdata/userdata.js';
import { VirtualClock } from '../../electron/engine/testkit/virtual-clock.js';
import { AWS, KEYS, flatPrices } from '../engine/world.js';
import type { Peer } from './peers.js';

/** One of the AMIs moto ships in us-east-1 (moto refuses a RunInstances for an image it does not know). */
export const MOTO_AMI = 'ami-03cf127a';

/** The raw SDK client on moto, for what the tests check beside the engine's own view. */
export function motoSdk(moto: Peer): EC2Client {
  return new EC2Client({ region: 'us-east-1', endpoint: moto.url, credentials: AWS, maxAttempts: 1 });
}

/** An EC2 tag list as a plain record. */
export function tagMap(tags: readonly Tag[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? '';
  return out;
}

export class MotoEc2Machines implements Ec2Machines {
  private snapshot: EmulatedInstance[] = [];
  private readonly known = new Map<string, { launchedAt: number; runningSince: number | null; userData: string }>();
  private readonly powerOffs: string[] = [];

  constructor(
    private readonly sdk: EC2Client,
    private readonly clock: VirtualClock,
  ) {}

  instances(): EmulatedInstance[] {
    return this.snapshot;
  }

  powerOff(instanceId: string): void {
    // The startup script's power-off on an instance launched with shutdown behaviour "terminate".
    this.powerOffs.push(instanceId);
  }

  interruptSpot(): void {
    throw new Error('moto cannot reclaim a spot instance: spot interruptions are tested on our EC2 emulator');
  }

  /** Every instance moto holds, terminated ones included. */
  async describeAll(): Promise<Instance[]> {
    const out = await this.sdk.send(new DescribeInstancesCommand({}));
    return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
  }

  async refresh(): Promise<void> {
    const now = this.clock.now();
    const next: EmulatedInstance[] = [];
    for (const raw of await this.describeAll()) {
      const obs = toInstanceObs(raw, () => now);
      if (!obs) continue;
      let k = this.known.get(obs.instanceId);
      if (!k) {
        const attr = await this.sdk.send(
          new DescribeInstanceAttributeCommand({ InstanceId: obs.instanceId, Attribute: 'userData' }),
        );
        const b64 = attr.UserData?.Value ?? '';
        // First seen = launched, in virtual time (moto's LaunchTime is wall-clock time).
        k = { launchedAt: now, runningSince: null, userData: Buffer.from(b64, 'base64').toString('utf8') };
        this.known.set(obs.instanceId, k);
      }
      if (k.runningSince === null && obs.state === 'running') k.runningSince = now;
      next.push({ ...obs, launchedAt: k.launchedAt, runningSince: k.runningSince, userData: k.userData });
    }
    this.snapshot = next;
  }

  async flushPowerOffs(): Promise<void> {
    const ids = this.powerOffs.splice(0);
    if (ids.length) await this.sdk.send(new TerminateInstancesCommand({ InstanceIds: ids }));
  }
}

export interface MotoWorld {
  clock: VirtualClock;
  clearml: ClearmlEmulator;
  ec2: MotoEc2Machines;
  sdk: EC2Client;
  agents: AgentSimulator;
  store: MainStore;
  newEngine(config: Config, extra?: Partial<EngineDeps>): Engine;
  /**
   * As test/engine/world.ts: advance virtual time in steps, agents stepping around each engine tick (several
   * engines on one world: each ticks in turn, in the order given).
   */
  run(engine: Engine | readonly Engine[], seconds: number, stepSec?: number): Promise<void>;
  /** Instances moto holds in pending or running. */
  live(): Promise<Instance[]>;
  close(): Promise<void>;
}

export async function startMotoWorld(moto: Peer, opts: { bootSec?: number } = {}): Promise<MotoWorld> {
  const clock = new VirtualClock(Date.now());
  const clearml = await startClearmlEmulator({ clock, ...KEYS });
  const sdk = motoSdk(moto);
  const ec2 = new MotoEc2Machines(sdk, clock);
  const boot = opts.bootSec ?? 60;
  const agents = new AgentSimulator({ ec2, clearml, clock, bootSec: { min: boot, max: boot } });
  const store = createMainStore();
  const providers: Ec2Provider[] = [];

  const stepAgents = async () => {
    await ec2.refresh();
    agents.step();
    await ec2.flushPowerOffs();
  };

  return {
    clock,
    clearml,
    ec2,
    sdk,
    agents,
    store,
    newEngine(config, extra = {}) {
      const provider = createEc2Provider({ region: config.aws.region, credentials: AWS, endpoint: moto.url, clock });
      // moto's Date header is the wall clock's, not this world's virtual time: it says nothing of AWS's time here.
      provider.awsClockOffsetMs = () => null;
      providers.push(provider);
      return new Engine({
        config,
        clearml: createClearmlClient({ apiHost: clearml.url, credentials: KEYS, clock }),
        ec2: provider,
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
        await stepAgents();
        for (const e of Array.isArray(engine) ? engine : [engine]) await (e as Engine).tick();
        await stepAgents();
      }
    },
    async live() {
      return (await ec2.describeAll()).filter((i) => isLiveState(i.State?.Name ?? ''));
    },
    async close() {
      for (const p of providers) p.close();
      sdk.destroy();
      await clearml.close();
    },
  };
}
