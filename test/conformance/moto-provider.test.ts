/**
 * Our EC2 provider (the real AWS SDK) against moto's EC2 server, a second EC2 implementation we did not write.
 */
import {
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  EC2Client,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfigText } from '../../electron/engine/config/index.js';
import { createEc2Provider, type Ec2Provider } from '../../electron/engine/ec2/provider.js';
import { systemClock, TAG, type LaunchSpec } from '../../electron/engine/ports.js';
import { startEc2Emulator } from '../../electron/engine/emulators/ec2-emulator.js';
import { motoPerFile, repoRoot } from './peers.js';

const moto = motoPerFile();
let ec2: Ec2Provider;

beforeAll(() => {
  ec2 = createEc2Provider({
    region: 'us-east-1',
    endpoint: moto().url,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
});
afterAll(() => {
  ec2?.close();
});

function spec(over: Partial<LaunchSpec> = {}): LaunchSpec {
  return {
    clientToken: `tok-${Math.random().toString(36).slice(2)}`,
    instanceType: 'm5.large',
    // moto ships a fixed set of AMIs; this id is one of them in us-east-1.
    imageId: 'ami-03cf127a',
    market: 'on-demand',
    securityGroupIds: [],
    enableMonitoring: false,
    metadataHopLimit: 1,
    userData: '#!/bin/bash\necho hello\n',
    tags: { Name: 'conformance', [TAG.prefix]: 'conf', [TAG.queue]: 'cpu', [TAG.resource]: 'cpu_small' },
    ebs: { deviceName: '/dev/sda1', volumeSizeGiB: 30, volumeType: 'gp3' },
    ...over,
  };
}

describe('EC2 provider against moto', () => {
  it("reads an instance's startup script back (adoption's evidence), null for one launched without any (emulator)", async () => {
    const script = '#!/bin/bash\nexport CLEARML_WORKER_ID=dyn:gpu_a:m5.large:$DYNAMIC_INSTANCE_ID\n';
    const { instanceId } = await ec2.runInstance(spec({ userData: script }));
    expect(await ec2.userData(instanceId)).toBe(script);
    // Our emulator answers the same call the same way.
    const emu = await startEc2Emulator({ clock: systemClock });
    const viaEmu = createEc2Provider({
      region: 'us-east-1',
      endpoint: emu.url,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    try {
      const { instanceId: id } = await viaEmu.runInstance(spec({ userData: script, imageId: 'ami-0c1ea4c1ea4c1ea40' }));
      expect(await viaEmu.userData(id)).toBe(script);
      const { instanceId: bare } = await viaEmu.runInstance(spec({ userData: '', imageId: 'ami-0c1ea4c1ea4c1ea40' }));
      expect(await viaEmu.userData(bare)).toBeNull();
    } finally {
      viaEmu.close();
      await emu.close();
    }
    await ec2.terminateInstances([instanceId]);
  });

  it('launches with our tags, lists the instance by prefix, and terminates it', async () => {
    const { instanceId } = await ec2.runInstance(spec());
    expect(instanceId).toMatch(/^i-[0-9a-f]+$/);
    const listed = await ec2.describeInstances('conf');
    expect(listed.map((i) => i.instanceId)).toEqual([instanceId]);
    expect(listed[0]?.tags[TAG.queue]).toBe('cpu');
    expect(listed[0]?.tags[TAG.resource]).toBe('cpu_small');
    expect(await ec2.describeInstances('other-prefix')).toEqual([]);
    await ec2.terminateInstances([instanceId]);
    const after = await ec2.describeInstances('conf');
    expect(after.every((i) => i.instanceId !== instanceId || i.state !== 'running')).toBe(true);
  });

  it("a volume from a snapshot with no size or type (as ClearML asks for it) is accepted and gets the snapshot's size", async () => {
    const raw = new EC2Client({
      region: 'us-east-1',
      endpoint: moto().url,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    try {
      const vol = await raw.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 120 }));
      const snap = await raw.send(new CreateSnapshotCommand({ VolumeId: vol.VolumeId! }));
      // ClearML's example file, whose on-demand resource names a snapshot and no size, imported as a user would.
      const file = readFileSync(path.join(repoRoot, 'test/fixtures/config/clearml-multi-queue.yaml'), 'utf8');
      const imported = loadConfigText(file.replace('snap-0123456789abcdef0', snap.SnapshotId!), {
        clearmlApiHost: 'https://api.clear.ml',
      });
      const ebs = imported.config!.resources['gpu_ondemand_a10']!.ebs!;
      expect(ebs.snapshotId).toBe(snap.SnapshotId);
      const { instanceId } = await ec2.runInstance(spec({ ebs }));
      const desc = await raw.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
      const mapping = desc.Reservations?.[0]?.Instances?.[0]?.BlockDeviceMappings ?? [];
      const volumeId = mapping.find((m) => m.DeviceName === '/dev/sda1')?.Ebs?.VolumeId;
      expect(volumeId).toBeDefined();
      const vols = await raw.send(new DescribeVolumesCommand({ VolumeIds: [volumeId!] }));
      expect(vols.Volumes?.[0]).toMatchObject({ Size: 120, SnapshotId: snap.SnapshotId });
      await ec2.terminateInstances([instanceId]);
    } finally {
      raw.destroy();
    }
  });

  it('an instance stopped by StopInstances is listed stopped, with when it stopped read from its reason', async () => {
    const raw = new EC2Client({
      region: 'us-east-1',
      endpoint: moto().url,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    try {
      const { instanceId } = await ec2.runInstance(spec());
      // StateTransitionReason has whole seconds: the stop is within these, rounded down.
      const before = Math.floor(Date.now() / 1000) * 1000;
      await raw.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
      const after = Date.now();
      const [listed] = await ec2.describeInstances('conf');
      expect(listed).toMatchObject({ instanceId, state: 'stopped', stateReasonCode: 'Client.UserInitiatedShutdown' });
      // moto words it "User initiated (2026-12-07 18:51:23 UTC)", where EC2 writes GMT.
      expect(listed!.stateChangedAt).toBeGreaterThanOrEqual(before);
      expect(listed!.stateChangedAt).toBeLessThanOrEqual(after);
    } finally {
      raw.destroy();
    }
  });

  it('lists every instance over several pages (NextToken), and a lookup by id of more than one page', async () => {
    // moto counts MaxResults in reservations (one instance each here, as the engine launches), EC2 in instances.
    const paged = createEc2Provider({
      region: 'us-east-1',
      endpoint: moto().url,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      pageSize: 5,
    });
    try {
      const ids: string[] = [];
      for (let k = 0; k < 12; k++) ids.push((await ec2.runInstance(spec())).instanceId);
      const listed = (await paged.describeInstances('conf')).map((i) => i.instanceId);
      expect(listed.sort()).toEqual([...ids].sort());
      const byId = ((await paged.describeInstancesById?.(ids)) ?? []).map((i) => i.instanceId);
      expect(byId.sort()).toEqual([...ids].sort());
      expect(paged.calls).toBe(2 * 3); // 12 in pages of 5: three pages each
    } finally {
      paged.close();
    }
  });
});
