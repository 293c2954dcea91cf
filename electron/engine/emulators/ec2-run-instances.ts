/**
 * RunInstances: parameter checks in the order and with the codes AWS uses, ClientToken idempotency (the same
 * token and parameters return the same reservation; other parameters fail), and the new instances' records.
 */
import { Buffer } from 'node:buffer';
import { z } from 'zod';
import type { Market } from '../../../shared/domain.js';
import { indices, stringList, tagSpecifications, type QueryParams } from './ec2-query.js';
import { reservationsXml } from './ec2-instances.js';
import { checkTag, MAX_TAGS, tagLimit } from './ec2-tags.js';
import {
  boolParam,
  dryRunCheck,
  Ec2Fail,
  intParam,
  paramsHash,
  parseParams,
  type Ec2Store,
  type Rec,
} from './ec2-store.js';
import type { XmlObject } from './ec2-xml.js';

const RunInstancesParams = z.looseObject({
  ImageId: z.string().min(1),
  InstanceType: z
    .string()
    .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/)
    .optional(),
  MinCount: intParam(1, 1000),
  MaxCount: intParam(1, 1000),
  ClientToken: z.string().min(1).max(64).optional(),
  UserData: z.string().optional(),
  SubnetId: z.string().optional(),
  'Placement.AvailabilityZone': z.string().optional(),
  KeyName: z.string().min(1).optional(),
  'IamInstanceProfile.Arn': z.string().min(1).optional(),
  'IamInstanceProfile.Name': z.string().min(1).optional(),
  'Monitoring.Enabled': boolParam.optional(),
  'InstanceMarketOptions.MarketType': z
    .enum(['spot', 'capacity-block', 'interruptible-capacity-reservation'])
    .optional(),
  'InstanceMarketOptions.SpotOptions.SpotInstanceType': z.enum(['one-time', 'persistent']).optional(),
  'InstanceMarketOptions.SpotOptions.InstanceInterruptionBehavior': z
    .enum(['hibernate', 'stop', 'terminate'])
    .optional(),
  'MetadataOptions.HttpTokens': z.enum(['optional', 'required']).optional(),
  'MetadataOptions.HttpEndpoint': z.enum(['enabled', 'disabled']).optional(),
  'MetadataOptions.InstanceMetadataTags': z.enum(['enabled', 'disabled']).optional(),
  'MetadataOptions.HttpPutResponseHopLimit': intParam(1, 64).optional(),
  'MetadataOptions.HttpProtocolIpv6': z.enum(['enabled', 'disabled']).optional(),
  InstanceInitiatedShutdownBehavior: z.enum(['stop', 'terminate']).optional(),
});

export function runInstances(s: Ec2Store, p: QueryParams, now: number): XmlObject {
  const q = parseParams(RunInstancesParams, p);
  if (!/^ami-[0-9a-f]{8,17}$/.test(q.ImageId)) {
    throw new Ec2Fail('InvalidAMIID.Malformed', `Invalid id: "${q.ImageId}" (expecting "ami-...")`);
  }
  if (q.MinCount > q.MaxCount) {
    throw new Ec2Fail('InvalidParameterValue', 'MinCount must be less than or equal to MaxCount');
  }
  let userData = '';
  if (q.UserData !== undefined) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(q.UserData) || q.UserData.length % 4 !== 0) {
      throw new Ec2Fail('InvalidParameterValue', 'Invalid BASE64 encoding of user data.');
    }
    const raw = Buffer.from(q.UserData, 'base64');
    if (raw.byteLength > 16384) throw new Ec2Fail('InvalidParameterValue', 'User data is limited to 16384 bytes');
    userData = raw.toString('utf8');
  }
  let zone: string;
  let subnetId: string | null = null;
  if (q.SubnetId !== undefined) {
    if (!/^subnet-[0-9a-f]{8,17}$/.test(q.SubnetId)) {
      throw new Ec2Fail('InvalidSubnetID.Malformed', `Invalid id: "${q.SubnetId}"`);
    }
    subnetId = q.SubnetId;
    zone = s.zoneOfSubnet(q.SubnetId);
    const az = q['Placement.AvailabilityZone'];
    if (az && az !== zone) {
      throw new Ec2Fail('InvalidParameterValue', `Subnet ${subnetId} is in ${zone}, not in the requested ${az}.`);
    }
  } else if (q['Placement.AvailabilityZone'] !== undefined) {
    zone = q['Placement.AvailabilityZone'];
    if (!s.zones.includes(zone)) throw new Ec2Fail('InvalidParameterValue', `Invalid availability zone: [${zone}]`);
  } else {
    zone = s.zones[Math.floor(s.random() * s.zones.length)]!;
  }
  const groups = stringList(p, 'SecurityGroupId');
  const badGroup = groups.find((g) => !/^sg-[0-9a-f]{4,17}$/.test(g));
  if (badGroup) throw new Ec2Fail('InvalidGroupId.Malformed', `Invalid id: "${badGroup}"`);
  if (q['IamInstanceProfile.Arn'] && q['IamInstanceProfile.Name']) {
    throw new Ec2Fail(
      'InvalidParameterCombination',
      'The parameter iamInstanceProfile.name may not be used in combination with iamInstanceProfile.arn',
    );
  }
  const market: Market = q['InstanceMarketOptions.MarketType'] === 'spot' ? 'spot' : 'on-demand';
  const instanceTags: Record<string, string> = {};
  const volumeTags: Record<string, string> = {};
  for (const spec of tagSpecifications(p)) {
    const allowed = ['instance', 'volume', 'network-interface', 'spot-instances-request'];
    if (!allowed.includes(spec.resourceType)) {
      throw new Ec2Fail(
        'InvalidParameterValue',
        `'${spec.resourceType}' is not a valid taggable resource type for this operation.`,
      );
    }
    if (spec.resourceType === 'spot-instances-request' && market !== 'spot') {
      throw new Ec2Fail(
        'InvalidParameterValue',
        'Cannot specify tags for Spot instances requests if there are no Spot instances requests being created by the request.',
      );
    }
    for (const t of spec.tags) {
      checkTag(t);
      if (spec.resourceType === 'instance') instanceTags[t.key] = t.value;
      if (spec.resourceType === 'volume') volumeTags[t.key] = t.value;
    }
  }
  if (Object.keys(instanceTags).length > MAX_TAGS || Object.keys(volumeTags).length > MAX_TAGS) throw tagLimit();
  const mappings = indices(p, 'BlockDeviceMapping').map((n) => {
    const k = (s: string) => p[`BlockDeviceMapping.${n}.${s}`];
    const size = k('Ebs.VolumeSize');
    const snapshotId = k('Ebs.SnapshotId') ?? null;
    if (snapshotId !== null && !/^snap-[0-9a-f]{8,17}$/.test(snapshotId)) {
      throw new Ec2Fail('InvalidSnapshotID.Malformed', `Invalid id: "${snapshotId}"`);
    }
    const sizeGiB = size === undefined ? 8 : Number(size);
    if (!Number.isInteger(sizeGiB) || sizeGiB < 1 || sizeGiB > 65536) {
      throw new Ec2Fail('InvalidParameterValue', `Volume of size ${size} is not valid`);
    }
    const volumeType = k('Ebs.VolumeType') ?? 'gp3';
    if (!['gp2', 'gp3', 'io1', 'io2', 'st1', 'sc1', 'standard'].includes(volumeType)) {
      throw new Ec2Fail('InvalidParameterValue', `Value (${volumeType}) for parameter volumeType is invalid.`);
    }
    return {
      deviceName: k('DeviceName') ?? '/dev/xvda',
      sizeGiB,
      volumeType,
      snapshotId,
      deleteOnTermination: (k('Ebs.DeleteOnTermination') ?? 'true') === 'true',
    };
  });
  if (!mappings.length) {
    mappings.push({
      deviceName: '/dev/xvda',
      sizeGiB: 8,
      volumeType: 'gp3',
      snapshotId: null,
      deleteOnTermination: true,
    });
  }

  dryRunCheck(p);

  const token = q.ClientToken;
  const hash = paramsHash(p);
  if (token !== undefined) {
    const prior = s.tokens.get(token);
    if (prior && prior.hash !== hash) {
      throw new Ec2Fail(
        'IdempotentParameterMismatch',
        `Arguments on this idempotent request are inconsistent with arguments used in previous request(s) with client token '${token}'.`,
      );
    }
    if (prior?.reservationId) {
      const list = s.order.map((id) => s.recs.get(id)!).filter((r) => r.reservationId === prior.reservationId);
      return { ...reservationsXml(list)[0]! };
    }
  }

  const reservationId = s.newId('r', (id) => s.reservationIds.has(id));
  s.reservationIds.add(reservationId);
  const created: Rec[] = [];
  for (let i = 0; i < q.MaxCount; i++) {
    const instanceId = s.newId('i', (id) => s.recs.has(id));
    s.ipSeq += 1;
    const r: Rec = {
      instanceId,
      reservationId,
      launchIndex: i,
      state: 'pending',
      instanceType: q.InstanceType ?? 'm5.large',
      market,
      zone,
      subnetId,
      launchedAt: now,
      runningSince: null,
      userData,
      tags: { ...instanceTags },
      clientToken: token ?? null,
      stateReasonCode: null,
      imageId: q.ImageId,
      volumes: mappings.map((m) => {
        const volumeId = s.newId('vol', (id) => s.volumeIds.has(id));
        s.volumeIds.set(volumeId, instanceId);
        return { volumeId, ...m };
      }),
      volumeTags: { ...volumeTags },
      metadataOptions: {
        httpTokens: q['MetadataOptions.HttpTokens'] ?? 'optional',
        httpEndpoint: q['MetadataOptions.HttpEndpoint'] ?? 'enabled',
        instanceMetadataTags: q['MetadataOptions.InstanceMetadataTags'] ?? 'disabled',
        httpPutResponseHopLimit: q['MetadataOptions.HttpPutResponseHopLimit'] ?? 1,
        httpProtocolIpv6: q['MetadataOptions.HttpProtocolIpv6'] ?? 'disabled',
      },
      shutdownBehavior: q.InstanceInitiatedShutdownBehavior ?? 'stop',
      spotOptions:
        market === 'spot'
          ? {
              spotInstanceType: q['InstanceMarketOptions.SpotOptions.SpotInstanceType'] ?? 'one-time',
              interruptionBehavior: q['InstanceMarketOptions.SpotOptions.InstanceInterruptionBehavior'] ?? 'terminate',
            }
          : null,
      keyName: q.KeyName ?? null,
      securityGroupIds: groups,
      iamInstanceProfile:
        q['IamInstanceProfile.Arn'] || q['IamInstanceProfile.Name']
          ? {
              ...(q['IamInstanceProfile.Arn'] ? { arn: q['IamInstanceProfile.Arn'] } : {}),
              ...(q['IamInstanceProfile.Name'] ? { name: q['IamInstanceProfile.Name'] } : {}),
            }
          : null,
      monitoring: q['Monitoring.Enabled'] ?? false,
      terminatedAt: null,
      note: null,
      visibleAt: now + s.listingDelaySec * 1000,
      shuttingDownAt: null,
      stoppingAt: null,
      stateReasonMessage: null,
      stateTransitionReason: '',
      privateIp: `10.0.${Math.floor(s.ipSeq / 250) % 250}.${(s.ipSeq % 250) + 2}`,
      spotRequestId: market === 'spot' ? `sir-${s.hex(8)}` : null,
    };
    s.recs.set(instanceId, r);
    s.order.push(instanceId);
    created.push(r);
  }
  if (token !== undefined) s.tokens.set(token, { hash, reservationId });
  return { ...reservationsXml(created)[0]! };
}
