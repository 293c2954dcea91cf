/**
 * The instance API: DescribeInstances (filters, pages), TerminateInstances and GetConsoleOutput, and the XML
 * every instance-returning call shares (RunInstances too).
 */
import { Buffer } from 'node:buffer';
import { findInstanceType } from './ec2-catalog.js';
import { filters as readFilters, stringList, wildcardMatch, type QueryParams } from './ec2-query.js';
import {
  dryRunCheck,
  Ec2Fail,
  intParam,
  OWNER_ID,
  parseParams,
  STATE_CODE,
  type Ec2Store,
  type Rec,
} from './ec2-store.js';
import type { XmlObject } from './ec2-xml.js';
import { consoleText } from './console-output.js';
import { z } from 'zod';

const INSTANCE_FILTERS = new Set([
  'tag-key',
  'tag-value',
  'instance-state-name',
  'instance-state-code',
  'instance-id',
  'client-token',
  'instance-type',
  'availability-zone',
  'subnet-id',
  'instance-lifecycle',
  'image-id',
  'reservation-id',
]);

const DescribeInstancesParams = z.looseObject({
  MaxResults: intParam(5, 1000).optional(),
  NextToken: z.string().optional(),
});

export function instanceXml(r: Rec): XmlObject {
  return {
    instanceId: r.instanceId,
    imageId: r.imageId,
    instanceState: { code: STATE_CODE[r.state], name: r.state },
    privateDnsName: `ip-${r.privateIp.replace(/\./g, '-')}.ec2.internal`,
    dnsName: '',
    reason: r.stateTransitionReason,
    keyName: r.keyName,
    amiLaunchIndex: r.launchIndex,
    productCodes: [],
    instanceType: r.instanceType,
    launchTime: new Date(r.launchedAt),
    placement: { availabilityZone: r.zone, groupName: '', tenancy: 'default' },
    monitoring: { state: r.monitoring ? 'enabled' : 'disabled' },
    subnetId: r.subnetId,
    vpcId: r.subnetId ? 'vpc-0e0e0e0e0e0e0e0e0' : null,
    privateIpAddress: r.state === 'terminated' ? null : r.privateIp,
    sourceDestCheck: true,
    groupSet: r.securityGroupIds.map((g) => ({ groupId: g, groupName: g })),
    stateReason: r.stateReasonCode
      ? { code: r.stateReasonCode, message: r.stateReasonMessage ?? r.stateReasonCode }
      : null,
    architecture: findInstanceType(r.instanceType)?.architectures[0] ?? 'x86_64',
    rootDeviceType: 'ebs',
    rootDeviceName: r.volumes[0]?.deviceName ?? '/dev/xvda',
    blockDeviceMapping:
      r.state === 'terminated'
        ? []
        : r.volumes.map((v) => ({
            deviceName: v.deviceName,
            ebs: {
              volumeId: v.volumeId,
              status: 'attached',
              attachTime: new Date(r.launchedAt),
              deleteOnTermination: v.deleteOnTermination,
            },
          })),
    virtualizationType: 'hvm',
    instanceLifecycle: r.market === 'spot' ? 'spot' : null,
    spotInstanceRequestId: r.spotRequestId,
    clientToken: r.clientToken ?? '',
    tagSet: Object.entries(r.tags).map(([key, value]) => ({ key, value })),
    iamInstanceProfile: r.iamInstanceProfile
      ? {
          arn: r.iamInstanceProfile.arn ?? `arn:aws:iam::${OWNER_ID}:instance-profile/${r.iamInstanceProfile.name}`,
          id: 'AIPAEMULATOR0000000001',
        }
      : null,
    hypervisor: 'xen',
    ebsOptimized: false,
    enaSupport: true,
    metadataOptions: {
      state: 'applied',
      httpTokens: r.metadataOptions.httpTokens,
      httpPutResponseHopLimit: r.metadataOptions.httpPutResponseHopLimit,
      httpEndpoint: r.metadataOptions.httpEndpoint,
      // Real EC2 always lists it (InstanceMetadataOptionsResponse, default disabled); moto does too.
      httpProtocolIpv6: r.metadataOptions.httpProtocolIpv6,
      instanceMetadataTags: r.metadataOptions.instanceMetadataTags,
    },
  };
}

export function reservationsXml(list: Rec[]): XmlObject[] {
  const groups = new Map<string, Rec[]>();
  for (const r of list) {
    const g = groups.get(r.reservationId) ?? [];
    g.push(r);
    groups.set(r.reservationId, g);
  }
  return [...groups].map(([reservationId, rs]) => ({
    reservationId,
    ownerId: OWNER_ID,
    groupSet: [],
    instancesSet: rs.map(instanceXml),
  }));
}

export function instanceMatches(r: Rec, f: { name: string; values: string[] }): boolean {
  const any = (v: string | null | undefined) =>
    v !== null && v !== undefined && f.values.some((x) => wildcardMatch(x, v));
  if (f.name.startsWith('tag:')) return any(r.tags[f.name.slice(4)]);
  switch (f.name) {
    case 'tag-key':
      return Object.keys(r.tags).some((k) => any(k));
    case 'tag-value':
      return Object.values(r.tags).some((v) => any(v));
    case 'instance-state-name':
      return any(r.state);
    case 'instance-state-code':
      return any(String(STATE_CODE[r.state]));
    case 'instance-id':
      return any(r.instanceId);
    case 'client-token':
      return any(r.clientToken);
    case 'instance-type':
      return any(r.instanceType);
    case 'availability-zone':
      return any(r.zone);
    case 'subnet-id':
      return any(r.subnetId);
    case 'instance-lifecycle':
      return any(r.market === 'spot' ? 'spot' : null);
    case 'image-id':
      return any(r.imageId);
    case 'reservation-id':
      return any(r.reservationId);
    default:
      throw new Ec2Fail('InvalidParameterValue', `The filter '${f.name}' is invalid`);
  }
}

export function describeInstances(s: Ec2Store, p: QueryParams, now: number): XmlObject {
  const q = parseParams(DescribeInstancesParams, p);
  const ids = stringList(p, 'InstanceId');
  if (ids.length && q.MaxResults !== undefined) {
    throw new Ec2Fail(
      'InvalidParameterCombination',
      'The parameter instancesSet cannot be used with the parameter maxResults',
    );
  }
  let page: { ids: string[]; offset: number };
  if (q.NextToken !== undefined) {
    const prior = s.pageTokens.get(q.NextToken);
    if (!prior) throw new Ec2Fail('InvalidPaginationToken', `Invalid pagination token: ${q.NextToken}`);
    s.pageTokens.delete(q.NextToken);
    page = prior;
  } else {
    const fs = readFilters(p);
    const unknown = fs.find((f) => !f.name.startsWith('tag:') && !INSTANCE_FILTERS.has(f.name));
    if (unknown) throw new Ec2Fail('InvalidParameterValue', `The filter '${unknown.name}' is invalid`);
    const base = ids.length
      ? s.knownInstances(ids, now)
      : s.order.map((id) => s.recs.get(id)!).filter((r) => s.visible(r, now));
    page = { ids: base.filter((r) => fs.every((f) => instanceMatches(r, f))).map((r) => r.instanceId), offset: 0 };
  }
  const size = q.MaxResults ?? Number.MAX_SAFE_INTEGER;
  const slice = page.ids
    .slice(page.offset, page.offset + size)
    .map((id) => s.recs.get(id))
    .filter((r): r is Rec => r !== undefined && !s.purged(r, now));
  const body: XmlObject = { reservationSet: reservationsXml(slice) };
  if (page.offset + size < page.ids.length) {
    const token = `emu-${s.hex(24)}`;
    s.pageTokens.set(token, { ids: page.ids, offset: page.offset + size });
    body['nextToken'] = token;
  }
  return body;
}

export function terminateInstances(s: Ec2Store, p: QueryParams, now: number): XmlObject {
  const ids = stringList(p, 'InstanceId');
  if (!ids.length) throw new Ec2Fail('MissingParameter', 'The request must contain the parameter InstanceId');
  const list = s.knownInstances(ids, now);
  dryRunCheck(p);
  return {
    instancesSet: list.map((r) => {
      s.advance(r, now);
      const previous = r.state;
      s.beginShutdown(r, now, 'Client.UserInitiatedShutdown', 'Client.UserInitiatedShutdown: User initiated shutdown');
      return {
        instanceId: r.instanceId,
        currentState: { code: STATE_CODE[r.state], name: r.state },
        previousState: { code: STATE_CODE[previous], name: previous },
      };
    }),
  };
}

/** Like EC2: no `output` element until the instance has a console capture (here: once it runs). */
export function getConsoleOutput(s: Ec2Store, p: QueryParams, now: number): XmlObject {
  const id = p['InstanceId'];
  if (!id) throw new Ec2Fail('MissingParameter', 'The request must contain the parameter InstanceId');
  const [r] = s.knownInstances([id], now);
  dryRunCheck(p);
  s.advance(r!, now);
  const text = consoleText({
    instanceId: r!.instanceId,
    instanceType: r!.instanceType,
    imageId: r!.imageId,
    privateIp: r!.privateIp,
    runningSince: r!.runningSince,
    // A terminated instance's capture stops where it was shut down.
    now: r!.shuttingDownAt ?? now,
    bootFailure: s.bootFailureOf(r!),
  });
  return {
    instanceId: r!.instanceId,
    timestamp: new Date(now).toISOString(),
    ...(text ? { output: Buffer.from(text, 'utf8').toString('base64') } : {}),
  };
}

/**
 * DescribeInstanceAttribute, the `userData` attribute only (what adoption reads: the startup script an instance was
 * launched with, base64 as AWS returns it; an empty `<userData/>` when it has none). Other attributes are refused
 * as AWS refuses an unknown one.
 */
export function describeInstanceAttribute(s: Ec2Store, p: QueryParams, now: number): XmlObject {
  const id = p['InstanceId'];
  if (!id) throw new Ec2Fail('MissingParameter', 'The request must contain the parameter InstanceId');
  const attribute = p['Attribute'];
  if (!attribute) throw new Ec2Fail('MissingParameter', 'The request must contain the parameter Attribute');
  if (attribute !== 'userData')
    throw new Ec2Fail('InvalidParameterValue', `Value (${attribute}) for parameter attribute is invalid.`);
  const [r] = s.knownInstances([id], now);
  dryRunCheck(p);
  return {
    instanceId: r!.instanceId,
    userData: r!.userData ? { value: Buffer.from(r!.userData, 'utf8').toString('base64') } : {},
  };
}
