/**
 * LaunchSpec → RunInstances input, pure.
 * What it always does, and why:
 * - one instance per call with the caller's ClientToken, so a crash-then-retry can never launch twice;
 * - tags on the instance AND its volumes at creation (no untagged window, no orphaned EBS cost attribution);
 * - IMDSv2 only, with instance tags readable from metadata (the instance learns its own identity from them);
 *   the hop limit from the spec (1 without docker, 2 so docker task containers can reach IMDSv2);
 * - shutdown from inside the guest terminates (a failed boot or a watchdog never leaves a stopped, billed disk);
 * - spot through RunInstances' market options (one code path, failures come back synchronously), one-time,
 *   interruption = terminate, no max price (AWS advises against it; it caps at the on-demand price);
 * - user data base64-encoded here: @aws-sdk/client-ec2 sends the string as given, and EC2 rejects raw text.
 */
import type { RunInstancesCommandInput, Tag } from '@aws-sdk/client-ec2';
import { Buffer } from 'node:buffer';
import { Ec2Error, type LaunchSpec } from '../ports.js';

/** EC2's limit on user data before base64 encoding. */
export const USER_DATA_MAX_BYTES = 16 * 1024;

export function buildRunInstancesInput(spec: LaunchSpec): RunInstancesCommandInput {
  const raw = Buffer.from(spec.userData, 'utf8');
  if (raw.byteLength > USER_DATA_MAX_BYTES) {
    throw new Ec2Error(
      'invalid',
      'UserDataTooLarge',
      `The instance start-up script is ${raw.byteLength} bytes; EC2 accepts at most ${USER_DATA_MAX_BYTES}: ` +
        'shorten the init script or the extra clearml.conf.',
    );
  }
  if (!spec.clientToken || spec.clientToken.length > 64 || !/^[\x20-\x7e]+$/.test(spec.clientToken)) {
    throw new Ec2Error(
      'invalid',
      'InvalidClientToken',
      'A launch client token must be 1–64 printable ASCII characters.',
    );
  }

  const tags = toTags(spec.tags);
  const input: RunInstancesCommandInput = {
    ImageId: spec.imageId,
    InstanceType: spec.instanceType as RunInstancesCommandInput['InstanceType'],
    MinCount: 1,
    MaxCount: 1,
    ClientToken: spec.clientToken,
    MetadataOptions: {
      HttpTokens: 'required',
      HttpEndpoint: 'enabled',
      InstanceMetadataTags: 'enabled',
      HttpPutResponseHopLimit: spec.metadataHopLimit,
    },
    InstanceInitiatedShutdownBehavior: 'terminate',
    Monitoring: { Enabled: spec.enableMonitoring },
    UserData: raw.toString('base64'),
  };
  if (tags.length) {
    input.TagSpecifications = [
      { ResourceType: 'instance', Tags: tags },
      { ResourceType: 'volume', Tags: tags.map((t) => ({ ...t })) },
    ];
  }
  if (spec.market === 'spot') {
    input.InstanceMarketOptions = {
      MarketType: 'spot',
      SpotOptions: { SpotInstanceType: 'one-time', InstanceInterruptionBehavior: 'terminate' },
    };
  }
  // A subnet pins the zone already; sending both is legal but redundant, and a mismatch would fail the launch.
  if (spec.subnetId) input.SubnetId = spec.subnetId;
  else if (spec.availabilityZone) input.Placement = { AvailabilityZone: spec.availabilityZone };
  if (spec.ebs) {
    input.BlockDeviceMappings = [
      {
        DeviceName: spec.ebs.deviceName,
        // Size and type only when given: left out beside a snapshot, EC2 uses the snapshot's size and its default type.
        Ebs: {
          ...(spec.ebs.volumeSizeGiB !== undefined ? { VolumeSize: spec.ebs.volumeSizeGiB } : {}),
          ...(spec.ebs.volumeType !== undefined
            ? {
                VolumeType: spec.ebs.volumeType as NonNullable<
                  NonNullable<RunInstancesCommandInput['BlockDeviceMappings']>[number]['Ebs']
                >['VolumeType'],
              }
            : {}),
          DeleteOnTermination: true,
          ...(spec.ebs.snapshotId ? { SnapshotId: spec.ebs.snapshotId } : {}),
        },
      },
    ];
  }
  if (spec.keyName) input.KeyName = spec.keyName;
  if (spec.securityGroupIds.length) input.SecurityGroupIds = [...spec.securityGroupIds];
  // EC2 refuses Arn and Name together; the ARN is unambiguous across paths, so it wins.
  if (spec.iamInstanceProfile?.arn) input.IamInstanceProfile = { Arn: spec.iamInstanceProfile.arn };
  else if (spec.iamInstanceProfile?.name) input.IamInstanceProfile = { Name: spec.iamInstanceProfile.name };
  if (spec.dryRun) input.DryRun = true;
  return input;
}

export function toTags(tags: Record<string, string>): Tag[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}
