// buildRunInstancesInput is the whole contract of a launch; table-driven over the spec's options.
import { describe, expect, it } from 'vitest';
import { buildRunInstancesInput, USER_DATA_MAX_BYTES } from '../../electron/engine/ec2/launch-input.js';
import { Ec2Error, type LaunchSpec } from '../../electron/engine/ports.js';
import { launchSpec } from './helpers.js';

describe('buildRunInstancesInput', () => {
  it('always asks for one instance, IMDSv2 with metadata tags, terminate on shutdown, tags on instance and volume', () => {
    const spec = launchSpec();
    const input = buildRunInstancesInput(spec);
    expect(input).toMatchObject({
      ImageId: spec.imageId,
      InstanceType: 'g4dn.xlarge',
      MinCount: 1,
      MaxCount: 1,
      ClientToken: 'token-0001',
      MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', InstanceMetadataTags: 'enabled' },
      InstanceInitiatedShutdownBehavior: 'terminate',
      Monitoring: { Enabled: false },
      SecurityGroupIds: ['sg-0a1b2c3d'],
    });
    const tags = Object.entries(spec.tags).map(([Key, Value]) => ({ Key, Value }));
    expect(input.TagSpecifications).toEqual([
      { ResourceType: 'instance', Tags: tags },
      { ResourceType: 'volume', Tags: tags },
    ]);
    expect(input.InstanceMarketOptions).toBeUndefined();
    expect(input.DryRun).toBeUndefined();
  });

  it('base64-encodes the user data (the SDK sends it as given), round-tripping unicode', () => {
    const userData = '#!/bin/bash\necho "héllo ✓"\n';
    const input = buildRunInstancesInput(launchSpec({ userData }));
    expect(input.UserData).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(input.UserData!, 'base64').toString('utf8')).toBe(userData);
  });

  const cases: [string, Partial<LaunchSpec>, (i: ReturnType<typeof buildRunInstancesInput>) => void][] = [
    [
      'spot: one-time, terminate on interruption, no max price',
      { market: 'spot' },
      (i) =>
        expect(i.InstanceMarketOptions).toEqual({
          MarketType: 'spot',
          SpotOptions: { SpotInstanceType: 'one-time', InstanceInterruptionBehavior: 'terminate' },
        }),
    ],
    [
      'subnet wins over zone',
      { subnetId: 'subnet-0aaa1111', availabilityZone: 'us-east-1b' },
      (i) => {
        expect(i.SubnetId).toBe('subnet-0aaa1111');
        expect(i.Placement).toBeUndefined();
      },
    ],
    [
      'zone when no subnet',
      { availabilityZone: 'us-east-1b' },
      (i) => {
        expect(i.SubnetId).toBeUndefined();
        expect(i.Placement).toEqual({ AvailabilityZone: 'us-east-1b' });
      },
    ],
    [
      'no placement at all',
      {},
      (i) => {
        expect(i.SubnetId).toBeUndefined();
        expect(i.Placement).toBeUndefined();
      },
    ],
    [
      'EBS by size and type, deleted with the instance',
      { ebs: { deviceName: '/dev/sda1', volumeSizeGiB: 200, volumeType: 'gp3' } },
      (i) =>
        expect(i.BlockDeviceMappings).toEqual([
          { DeviceName: '/dev/sda1', Ebs: { VolumeSize: 200, VolumeType: 'gp3', DeleteOnTermination: true } },
        ]),
    ],
    [
      'EBS from a snapshot',
      { ebs: { deviceName: '/dev/xvda', volumeSizeGiB: 100, volumeType: 'gp2', snapshotId: 'snap-0123456789abcdef0' } },
      (i) =>
        expect(i.BlockDeviceMappings?.[0]?.Ebs).toEqual({
          VolumeSize: 100,
          VolumeType: 'gp2',
          DeleteOnTermination: true,
          SnapshotId: 'snap-0123456789abcdef0',
        }),
    ],
    [
      "EBS from a snapshot with no size or type: only the snapshot id, so the volume is the snapshot's size",
      { ebs: { deviceName: '/dev/sda1', snapshotId: 'snap-0123456789abcdef0' } },
      // Strict: a key present as undefined is what this must not send.
      (i) =>
        expect(i.BlockDeviceMappings).toStrictEqual([
          { DeviceName: '/dev/sda1', Ebs: { DeleteOnTermination: true, SnapshotId: 'snap-0123456789abcdef0' } },
        ]),
    ],
    ['no EBS mapping unless configured', {}, (i) => expect(i.BlockDeviceMappings).toBeUndefined()],
    [
      'IAM profile ARN wins over name',
      { iamInstanceProfile: { arn: 'arn:aws:iam::1:instance-profile/a', name: 'b' } },
      (i) => expect(i.IamInstanceProfile).toEqual({ Arn: 'arn:aws:iam::1:instance-profile/a' }),
    ],
    [
      'IAM profile by name',
      { iamInstanceProfile: { name: 'b' } },
      (i) => expect(i.IamInstanceProfile).toEqual({ Name: 'b' }),
    ],
    ['no IAM profile', { iamInstanceProfile: {} }, (i) => expect(i.IamInstanceProfile).toBeUndefined()],
    ['key pair', { keyName: 'ops' }, (i) => expect(i.KeyName).toBe('ops')],
    [
      'no security groups: let EC2 use the default',
      { securityGroupIds: [] },
      (i) => expect(i.SecurityGroupIds).toBeUndefined(),
    ],
    ['monitoring', { enableMonitoring: true }, (i) => expect(i.Monitoring).toEqual({ Enabled: true })],
    ['dry run', { dryRun: true }, (i) => expect(i.DryRun).toBe(true)],
    ['no tags: no tag specifications', { tags: {} }, (i) => expect(i.TagSpecifications).toBeUndefined()],
  ];
  it.each(cases)('%s', (_name, over, check) => check(buildRunInstancesInput(launchSpec(over))));

  it('refuses user data over 16 KB and bad client tokens, as invalid configuration', () => {
    const big = () => buildRunInstancesInput(launchSpec({ userData: 'x'.repeat(USER_DATA_MAX_BYTES + 1) }));
    expect(big).toThrow(Ec2Error);
    expect(big).toThrow(/at most 16384/);
    expect(() => buildRunInstancesInput(launchSpec({ userData: 'x'.repeat(USER_DATA_MAX_BYTES) }))).not.toThrow();
    expect(() => buildRunInstancesInput(launchSpec({ clientToken: '' }))).toThrow(/client token/);
    expect(() => buildRunInstancesInput(launchSpec({ clientToken: 'x'.repeat(65) }))).toThrow(/client token/);
  });

  it('does not share tag objects between the instance and volume specifications', () => {
    const input = buildRunInstancesInput(launchSpec());
    const [inst, vol] = input.TagSpecifications!;
    expect(inst!.Tags![0]).not.toBe(vol!.Tags![0]);
  });
});
