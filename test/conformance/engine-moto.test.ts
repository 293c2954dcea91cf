// The engine end to end against moto's EC2 server instead of our EC2 emulator: the scenarios of
// test/engine/loop.integration.test.ts that moto can produce, plus what moto records of our launches (tags on
// volumes, IMDSv2 and metadata tags). ClearML is our emulator with its simulated agents.
//
// Kept on our emulator, because moto cannot produce them: capacity errors and the subnet/on-demand fallback
// (moto never refuses capacity), throttling (moto never answers RequestLimitExceeded), spot interruptions (moto
// cannot reclaim an instance), and idempotent client tokens (moto 5.2.5 stores ClientToken but launches a new
// instance for a repeated token; crash recovery relies on EC2 answering the same instance, see
// test/reliability/recovery.test.ts).
import { GPU_OVER_TWO_RESOURCES, addTasks } from '../fixtures/index.js';
import {
  DescribeInstanceAttributeCommand,
  DescribeVolumesCommand,
  RunInstancesCommand,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../shared/config.js';
import { parseUserDataMarkers } from '../../electron/engine/emulators/seams.js';
import { TAG } from '../../electron/engine/ports.js';
import { launchClearmlAutoscalerInstances } from '../../electron/engine/emulators/clearml-autoscaler-instances.js';
import { CostHistory } from '../../electron/engine/cost/history.js';
import { PriceBook } from '../../electron/engine/cost/price-book.js';
import { CostTracker } from '../../electron/engine/cost/tracker.js';
import { createEc2Provider } from '../../electron/engine/ec2/provider.js';
import { AWS } from '../engine/world.js';
import { isPrefixListing, startEc2Proxy, withoutInstances } from '../fixtures/ec2-proxy.js';
import { makeConfig } from '../engine/fixtures.js';
import { MOTO_AMI, startMotoWorld, tagMap, type MotoWorld } from './moto-world.js';
import { motoPerFile } from './peers.js';

const moto = motoPerFile();
let world: MotoWorld | null = null;

afterEach(async () => {
  await world?.close();
  world = null;
});

/** test/engine/fixtures.ts's config, on an AMI moto knows. */
function motoConfig(patch: Partial<ConfigInput> = {}) {
  return makeConfig({
    resources: {
      gpu_a: { instanceType: 'g4dn.xlarge', amiId: MOTO_AMI, market: 'spot', tags: { team: 'ml' } },
      gpu_b: { instanceType: 'g5.xlarge', amiId: MOTO_AMI },
      cpu: { instanceType: 'm5.large', amiId: MOTO_AMI },
    },
    ...patch,
  });
}

const ids = (list: { InstanceId?: string }[]) => list.map((i) => i.InstanceId).sort();

describe('engine against moto (EC2 through the real SDK)', () => {
  it('3 tasks on a queue capped at 2 → exactly 2 tagged spot instances that run them, then scale to zero', async () => {
    world = await startMotoWorld(moto());
    const config = motoConfig({ scaling: { workersPrefix: 'dyn', maxIdleMin: 5, maxSpinUpMin: 30 } });
    world.clearml.createQueue('gpu');
    world.clearml.createQueue('cpu');
    for (let i = 0; i < 3; i++) world.clearml.addTask({ name: `train-${i}`, queue: 'gpu', durationSec: 300 });
    const engine = world.newEngine(config);

    await world.run(engine, 15);
    const launched = await world.ec2.describeAll();
    expect(launched).toHaveLength(2);
    for (const inst of launched) {
      const tags = tagMap(inst.Tags);
      expect(tags).toMatchObject({ [TAG.prefix]: 'dyn', [TAG.queue]: 'gpu', [TAG.resource]: 'gpu_a', team: 'ml' });
      expect(tags.Name).toBeTruthy();
      expect(inst.InstanceLifecycle).toBe('spot');
      expect(inst.InstanceType).toBe('g4dn.xlarge');
    }
    const seen = world.ec2.instances();
    expect(seen.map((i) => parseUserDataMarkers(i.userData))).toEqual([
      { workerIdPrefix: 'dyn:gpu_a:g4dn.xlarge', queue: 'gpu', queuePollSec: 2 },
      { workerIdPrefix: 'dyn:gpu_a:g4dn.xlarge', queue: 'gpu', queuePollSec: 2 },
    ]);

    await world.run(engine, 60 + 300 + 300 + 60);
    expect(world.clearml.tasks().filter((t) => t.status === 'completed')).toHaveLength(3);
    expect(await world.ec2.describeAll()).toHaveLength(2); // never a third launch

    await world.run(engine, 6 * 60 + 30);
    expect(await world.live()).toHaveLength(0);
    await world.run(engine, 30);
    expect(world.clearml.workers().filter((w) => w.id.startsWith('dyn:'))).toHaveLength(0);
  });

  it('a queue with two resources and need 3 gets exactly 3 launches, none more over 10 minutes', async () => {
    world = await startMotoWorld(moto());
    const config = motoConfig({
      queues: GPU_OVER_TWO_RESOURCES,
    });
    world.clearml.createQueue('gpu');
    addTasks(world.clearml, 'gpu', 3, 600);
    const engine = world.newEngine(config);
    await world.run(engine, 10 * 60);
    const all = await world.ec2.describeAll();
    const byResource = all.map((i) => i.Tags?.find((t) => t.Key === TAG.resource)?.Value).sort();
    expect(byResource).toEqual(['gpu_a', 'gpu_a', 'gpu_b']);
    expect(world.clearml.tasks().every((t) => t.status === 'in_progress')).toBe(true);
  });

  it('terminates an instance that never registers after the spin-up time', async () => {
    world = await startMotoWorld(moto(), { bootSec: 10_000 });
    const config = motoConfig({ scaling: { workersPrefix: 'dyn', maxSpinUpMin: 10 } });
    world.clearml.createQueue('gpu');
    world.clearml.addTask({ name: 't', queue: 'gpu', durationSec: 60 });
    const engine = world.newEngine(config);
    await world.run(engine, 9 * 60);
    const [first] = await world.live();
    expect(first).toBeDefined();
    await world.run(engine, 2 * 60);
    const after = (await world.ec2.describeAll()).find((i) => i.InstanceId === first!.InstanceId);
    expect(['shutting-down', 'terminated']).toContain(after?.State?.Name);
  });

  it('an engine killed and restarted mid-way adopts the instances: no duplicate launch, none forgotten', async () => {
    world = await startMotoWorld(moto());
    const config = motoConfig({ scaling: { workersPrefix: 'dyn', maxIdleMin: 2 } });
    world.clearml.createQueue('gpu');
    world.clearml.createQueue('cpu');
    addTasks(world.clearml, 'gpu', 2, 240);
    const first = world.newEngine(config);
    await world.run(first, 15); // launched, still booting
    const launched = ids(await world.ec2.describeAll());
    expect(launched).toHaveLength(2);

    const second = world.newEngine(config); // the first is gone with its memory
    await world.run(second, 45);
    expect(ids(await world.ec2.describeAll())).toEqual(launched);
    await world.run(second, 4 * 60 + 3 * 60);
    expect(world.clearml.tasks().every((t) => t.status === 'completed')).toBe(true);
    expect(await world.live()).toHaveLength(0); // the adopted instances were scaled down too
    expect(ids(await world.ec2.describeAll())).toEqual(launched);
  });

  it('an orphan (our prefix, a queue no longer configured) is marked first, terminated on a later tick', async () => {
    world = await startMotoWorld(moto());
    const config = motoConfig({ scaling: { workersPrefix: 'dyn' } });
    world.clearml.createQueue('gpu');
    world.clearml.createQueue('cpu');
    const run = await world.sdk.send(
      new RunInstancesCommand({
        ImageId: MOTO_AMI,
        InstanceType: 'm5.large',
        MinCount: 1,
        MaxCount: 1,
        TagSpecifications: [
          {
            ResourceType: 'instance',
            Tags: [
              { Key: TAG.prefix, Value: 'dyn' },
              { Key: TAG.queue, Value: 'old-queue' },
              { Key: TAG.resource, Value: 'gone' },
            ],
          },
        ],
      }),
    );
    const orphanId = run.Instances![0]!.InstanceId!;
    const engine = world.newEngine(config);

    await world.run(engine, 15);
    const marked = (await world.ec2.describeAll()).find((i) => i.InstanceId === orphanId)!;
    expect(marked.State?.Name).toBe('running'); // phase one: only marked
    const since = Number(marked.Tags?.find((t) => t.Key === TAG.orphanSince)?.Value);
    expect(since).toBe(world.clock.now());

    await world.run(engine, 6 * 60); // past the grace period
    const gone = (await world.ec2.describeAll()).find((i) => i.InstanceId === orphanId)!;
    expect(['shutting-down', 'terminated']).toContain(gone.State?.Name);
  });

  it('renews the lease tag in one batched CreateTags before it is half spent', async () => {
    world = await startMotoWorld(moto());
    const config = motoConfig({ scaling: { workersPrefix: 'dyn', maxIdleMin: 60 }, lease: { leaseMin: 20 } });
    world.clearml.createQueue('gpu');
    world.clearml.createQueue('cpu');
    addTasks(world.clearml, 'gpu', 2, 3600);
    const engine = world.newEngine(config);
    await world.run(engine, 15);
    const launchedAt = world.clock.now();
    const lease = async () =>
      (await world!.ec2.describeAll()).map((i) => Number(i.Tags?.find((t) => t.Key === TAG.lease)?.Value));
    expect(await lease()).toEqual([
      Math.floor((launchedAt + 20 * 60_000) / 1000),
      Math.floor((launchedAt + 20 * 60_000) / 1000),
    ]);

    await world.run(engine, 11 * 60); // the lease is renewed once less than half of it is left
    const renewed = await lease();
    expect(renewed).toHaveLength(2);
    for (const until of renewed) expect(until).toBeGreaterThanOrEqual(Math.floor((launchedAt + 30 * 60_000) / 1000));
    expect(new Set(renewed).size).toBe(1); // both in the same CreateTags
  });

  it('what moto records of a launch: tags on the volumes, IMDSv2 required with metadata tags, terminate on shutdown', async () => {
    world = await startMotoWorld(moto());
    const config = motoConfig({
      scaling: { workersPrefix: 'dyn' },
      resources: {
        gpu_a: {
          instanceType: 'g4dn.xlarge',
          amiId: MOTO_AMI,
          market: 'on-demand',
          tags: { team: 'ml' },
          ebs: { deviceName: '/dev/sda1', volumeSizeGiB: 120, volumeType: 'gp3' },
        },
        cpu: { instanceType: 'm5.large', amiId: MOTO_AMI },
      },
    });
    world.clearml.createQueue('gpu');
    world.clearml.createQueue('cpu');
    world.clearml.addTask({ name: 't', queue: 'gpu', durationSec: 600 });
    const engine = world.newEngine(config);
    await world.run(engine, 15);
    const [inst] = await world.ec2.describeAll();
    expect(inst).toBeDefined();
    expect(inst!.MetadataOptions).toMatchObject({
      HttpTokens: 'required',
      HttpEndpoint: 'enabled',
      InstanceMetadataTags: 'enabled',
    });
    const shutdown = await world.sdk.send(
      new DescribeInstanceAttributeCommand({
        InstanceId: inst!.InstanceId!,
        Attribute: 'instanceInitiatedShutdownBehavior',
      }),
    );
    // The startup script powers a broken instance off; that must end its billing, not leave it stopped.
    expect(shutdown.InstanceInitiatedShutdownBehavior?.Value).toBe('terminate');
    const instanceTags = tagMap(inst!.Tags);

    const vols = await world.sdk.send(
      new DescribeVolumesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [inst!.InstanceId!] }] }),
    );
    const root = vols.Volumes?.find((v) => v.Attachments?.some((a) => a.Device === '/dev/sda1'));
    expect(root?.Size).toBe(120);
    expect(root?.VolumeType).toBe('gp3');
    const volumeTags = tagMap(root?.Tags);
    expect(volumeTags).toMatchObject({ team: 'ml', [TAG.prefix]: 'dyn', [TAG.queue]: 'gpu', [TAG.resource]: 'gpu_a' });
    // Launch-time tags are the same on the instance and its volume (later lease renewals touch the instance only).
    expect(volumeTags).toEqual(instanceTags);
  });

  it('an idle instance left out of one listing is looked up by id: same idle time, one billing period', async () => {
    world = await startMotoWorld(moto());
    const w = world;
    const state = { hide: null as string | null, removed: false };
    // moto lists every instance it holds at once: the proxy plays EC2's eventually consistent listing.
    const proxy = await startEc2Proxy(moto().url, (params, reply) => {
      const hide = state.hide;
      if (!hide || !isPrefixListing(params) || reply.status !== 200) return null;
      state.hide = null;
      const body = withoutInstances(reply.body, new Set([hide]));
      state.removed = body !== reply.body;
      return { ...reply, body };
    });
    const dir = await mkdtemp(path.join(tmpdir(), 'cta-moto-unlisted-'));
    const history = await CostHistory.open({ file: path.join(dir, 'costs.jsonl'), clock: w.clock });
    const ec2 = createEc2Provider({ region: 'us-east-1', endpoint: proxy.url, credentials: AWS, clock: w.clock });
    ec2.awsClockOffsetMs = () => null; // moto's Date header is wall-clock time, not this world's
    try {
      const tracker = new CostTracker(history, new PriceBook({ region: 'us-east-1', clock: w.clock }));
      const engine = w.newEngine(motoConfig({ scaling: { workersPrefix: 'dyn' } }), { ec2, costs: tracker });
      w.clearml.createQueue('gpu');
      w.clearml.createQueue('cpu');
      w.clearml.addTask({ name: 't', queue: 'cpu', durationSec: 60 });
      await w.run(engine, 240);
      const [view] = w.store.getState().instances;
      expect(view?.phase).toBe('idle');
      const idleBefore = view!.idleSec!;

      state.hide = view!.instanceId;
      await w.run(engine, 15);
      expect(state.removed).toBe(true);
      await w.run(engine, 15);

      const after = w.store.getState().instances;
      expect(after.map((i) => [i.instanceId, i.phase, i.idleSec])).toEqual([
        [view!.instanceId, 'idle', idleBefore + 30],
      ]);
      expect(history.instances().map((r) => [r.instanceId, r.endedAt])).toEqual([[view!.instanceId, null]]);
    } finally {
      ec2.close();
      await history.close();
      await proxy.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("adopting ClearML's autoscaler's instances: tags written with CreateTags, read back, listed by our prefix", async () => {
    world = await startMotoWorld(moto());
    const w = world;
    const dir = await mkdtemp(path.join(tmpdir(), 'cta-moto-adopt-'));
    const history = await CostHistory.open({ file: path.join(dir, 'costs.jsonl'), clock: w.clock });
    try {
      const tracker = new CostTracker(history, new PriceBook({ region: 'us-east-1', clock: w.clock }));
      const config = motoConfig({ scaling: { workersPrefix: 'dyn', maxIdleMin: 5, surplusIdleMin: 5 } });
      const engine = w.newEngine(config, { costs: tracker });
      w.clearml.createQueue('gpu');
      w.clearml.createQueue('cpu');
      const ids = await launchClearmlAutoscalerInstances({
        endpoint: moto().url,
        region: 'us-east-1',
        credentials: AWS,
        apiHost: w.clearml.url,
        instances: [0, 1].map(() => ({
          prefix: 'dyn',
          resource: 'gpu_a',
          instanceType: 'g4dn.xlarge',
          queue: 'gpu',
          amiId: MOTO_AMI,
          tags: { Name: 'clearml-gpu-worker', team: 'ml' },
        })),
      });
      await w.run(engine, 120);
      expect((w.store.getState().adoptable ?? []).map((a) => a.instanceId).sort()).toEqual([...ids].sort());
      expect(w.store.getState().instances).toEqual([]);

      const r = await engine.adopt('all');
      const adoptedAt = w.clock.now();
      expect([...r.adopted].sort()).toEqual([...ids].sort());
      for (const inst of await w.ec2.describeAll()) {
        expect(tagMap(inst.Tags)).toMatchObject({
          Name: 'clearml-gpu-worker',
          team: 'ml',
          [TAG.prefix]: 'dyn',
          [TAG.queue]: 'gpu',
          [TAG.resource]: 'gpu_a',
          [TAG.adoptedAt]: String(adoptedAt),
        });
      }
      await w.run(engine, 15);
      // Listed by the prefix tag moto now filters on; each cost record starts at the adopted-at tag read back.
      expect(w.store.getState().adoptable).toEqual([]);
      expect(
        w.store
          .getState()
          .instances.map((i) => i.instanceId)
          .sort(),
      ).toEqual([...ids].sort());
      for (const id of ids) expect(history.get(id)).toMatchObject({ launchedAt: adoptedAt, registeredAt: adoptedAt });
      // Idle: they go as our own do, and nothing was launched.
      await w.run(engine, 6 * 60);
      expect(await w.live()).toHaveLength(0);
      expect(await w.ec2.describeAll()).toHaveLength(2);
    } finally {
      await history.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stopped with StopInstances: a restart 20 min into the grace keeps counting from the stop moto reports', async () => {
    world = await startMotoWorld(moto());
    const w = world;
    const config = motoConfig({ scaling: { workersPrefix: 'dyn' } });
    w.clearml.createQueue('gpu');
    w.clearml.createQueue('cpu');
    w.clearml.addTask({ name: 't', queue: 'cpu', durationSec: 7200 });
    const engine = w.newEngine(config);
    await w.run(engine, 120);
    const [inst] = await w.live();
    await w.sdk.send(new StopInstancesCommand({ InstanceIds: [inst!.InstanceId!] }));
    await w.run(engine, 20 * 60, 60);

    // A new engine, no memory of when the last one first saw the stop: only moto's StateTransitionReason says it.
    const said: string[] = [];
    const restarted = w.newEngine(config, { onEvent: (e) => void said.push(e.message) });
    await w.run(restarted, 60, 60);
    const warning = said.find((m) => m.includes('was stopped outside the app:'));
    // moto stamps the stop with its wall clock, a few real seconds after this world's start, so about 2 minutes of
    // virtual time earlier than the stop this world saw: what is left is under 10 min, never a fresh 30.
    const left = Number(/it will be terminated in (\d+) min unless started again$/.exec(warning ?? '')?.[1]);
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThanOrEqual(10);
  });
});
