/**
 * An in-process EC2 that speaks the real Query protocol on 127.0.0.1, so the app's provider is exercised through
 * the real @aws-sdk/client-ec2 (pointed here with `AWS_ENDPOINT_URL_EC2` or `endpoint`), serialization, signing,
 * XML parsing and error mapping included. It implements `Ec2Machines` for the agent simulator.
 *
 * What it models, because the engine must cope with it on real AWS:
 * - lifecycle in virtual time, evaluated lazily from the injected clock: pending → running after `pendingSec`;
 *   shutting-down → terminated after `shuttingDownSec` (stopping → stopped for shutdown behaviour "stop");
 *   terminated instances stay listed for `terminatedRetentionSec` (an hour on AWS);
 * - ClientToken idempotency: the same token and parameters return the same reservation (any time later, an
 *   engine restart included); the same token with other parameters fails with IdempotentParameterMismatch;
 * - eventual consistency: for `listingDelaySec` after launch an instance is invisible to DescribeInstances,
 *   CreateTags and TerminateInstances (InvalidInstanceID.NotFound), while RunInstances with its token returns it;
 * - DryRun (412 DryRunOperation), the error XML and HTTP statuses AWS uses, and `interceptors` through which
 *   test machinery (`testkit/ec2-faults.ts`) refuses requests.
 * Signatures are not verified, but a request without an Authorization header is refused (401 AuthFailure).
 */
import { Buffer } from 'node:buffer';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { Ec2State, Market } from '../../../shared/domain.js';
import type { Clock } from '../ports.js';
import {
  defaultSpotPrice,
  EMULATED_INSTANCE_TYPES,
  findInstanceType,
  type EmulatedInstanceType,
} from './ec2-catalog.js';
import {
  filters as readFilters,
  parseQuery,
  stringList,
  tagList,
  tagSpecifications,
  wildcardMatch,
  indices,
  type QueryParams,
} from './ec2-query.js';
import { errorXml, responseXml, statusForCode, type XmlObject } from './ec2-xml.js';
import { consoleText } from './console-output.js';
import type { Ec2Machines, EmulatedInstance } from './seams.js';

/** What an interceptor answers a request with instead of the emulator handling it. */
export interface Ec2Refusal {
  code: string;
  message: string;
  /** Defaults to the status AWS uses for the code. */
  status?: number;
}

/**
 * Sees every authenticated request for a known action before it is handled. The emulator itself installs none:
 * test machinery (fault injection, in `testkit/`) plugs in here, so none of it ships with the demo.
 */
export type Ec2Interceptor = (action: string, params: QueryParams) => Ec2Refusal | null;

export interface Ec2EmulatorOptions {
  clock: Clock;
  region?: string;
  /** pending → running. Default 5 s. */
  pendingSec?: number;
  /** shutting-down → terminated (and stopping → stopped). Default 5 s. */
  shuttingDownSec?: number;
  random?: () => number;
  /** Eventual consistency window after launch. Default 0. Changeable later through `listingDelaySec`. */
  listingDelaySec?: number;
  /** How long terminated instances stay listed. Default 3600 s. */
  terminatedRetentionSec?: number;
  /** Known subnets and their zones; when given, other subnet ids are InvalidSubnetID.NotFound. */
  subnets?: Record<string, string>;
  /** Spot prices by `${type}|${zone}` or by type; otherwise a stable fraction of the catalog's on-demand price. */
  spotPrices?: Record<string, number>;
}

export interface EmulatedVolume {
  volumeId: string;
  deviceName: string;
  sizeGiB: number;
  volumeType: string;
  snapshotId: string | null;
  deleteOnTermination: boolean;
}

/** Everything the emulator knows about an instance, for tests and the simulator. */
export interface EmulatedInstanceDetail extends EmulatedInstance {
  reservationId: string;
  imageId: string;
  volumes: EmulatedVolume[];
  volumeTags: Record<string, string>;
  metadataOptions: {
    httpTokens: string;
    httpEndpoint: string;
    instanceMetadataTags: string;
    httpPutResponseHopLimit: number;
    httpProtocolIpv6: string;
  };
  shutdownBehavior: 'stop' | 'terminate';
  spotOptions: { spotInstanceType: string; interruptionBehavior: string } | null;
  keyName: string | null;
  securityGroupIds: string[];
  iamInstanceProfile: { arn?: string; name?: string } | null;
  monitoring: boolean;
  terminatedAt: number | null;
  /** Why it powered itself off (powerOff's reason), for debugging. */
  note: string | null;
}

export interface Ec2CallLogEntry {
  /** Emulator clock, ms epoch. */
  at: number;
  action: string;
  status: number;
  code: string | null;
}

export interface Ec2Emulator extends Ec2Machines {
  readonly url: string;
  readonly region: string;
  readonly zones: readonly string[];
  /** Asked in order; the first refusal answers the request. */
  readonly interceptors: Ec2Interceptor[];
  /** Applies to instances launched from now on. */
  listingDelaySec: number;
  /**
   * Instance id, AMI id or instance type → the line its init script dies with: it shows in the console output
   * (GetConsoleOutput) and, through `bootFailureOf`, the simulated agent never starts.
   */
  bootFailures: Map<string, string>;
  /** Every request received, faulted and refused ones included. */
  readonly calls: { total: number; byAction: Record<string, number> };
  readonly log: readonly Ec2CallLogEntry[];
  instance(instanceId: string): EmulatedInstanceDetail | undefined;
  /** Applies the lifecycle up to `clock.now()` (requests and `instances()` do it too). */
  step(): void;
  close(): Promise<void>;
}

// ---------------------------------------------------------------- internals

class Ec2Fail extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number = statusForCode(code),
  ) {
    super(message);
  }
}

interface Rec extends EmulatedInstanceDetail {
  launchIndex: number;
  visibleAt: number;
  shuttingDownAt: number | null;
  stoppingAt: number | null;
  stateReasonMessage: string | null;
  stateTransitionReason: string;
  privateIp: string;
  spotRequestId: string | null;
}

/** A spot request (`RequestSpotInstances`): ClearML's own autoscaler launches spot capacity this way. */
interface SpotRequest {
  id: string;
  createdAt: number;
  type: string;
  instanceType: string;
  zone: string | null;
  /** The instance launched for it; null while AWS has no capacity for it (the request stays open). */
  instanceId: string | null;
  cancelled: boolean;
}

/** A fulfilled spot request shows `pending-evaluation` this long before `fulfilled` (AWS evaluates first). */
const SPOT_EVALUATION_MS = 2000;

interface TokenRecord {
  hash: string;
  reservationId: string | null;
}

const STATE_CODE: Record<Ec2State, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

/** The account every emulated resource belongs to. */
export const OWNER_ID = '123456789012';
const MAX_BODY = 1024 * 1024;
const MAX_LOG = 100_000;
const ACTIONS = [
  'RunInstances',
  'DescribeInstances',
  'TerminateInstances',
  'CreateTags',
  'DescribeSpotPriceHistory',
  'DescribeInstanceTypes',
  'RequestSpotInstances',
  'DescribeSpotInstanceRequests',
  'GetConsoleOutput',
] as const;
type Action = (typeof ACTIONS)[number];

const CAPACITY_CODES = new Set([
  'InsufficientInstanceCapacity',
  'InsufficientHostCapacity',
  'InsufficientReservedInstanceCapacity',
  'InsufficientCapacity',
  'InsufficientFreeAddressesInSubnet',
  'MaxSpotInstanceCountExceeded',
  'VcpuLimitExceeded',
  'SpotMaxPriceTooLow',
  'Unsupported',
]);

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

// ---------------------------------------------------------------- request schemas

const intParam = (min: number, max: number) =>
  z
    .string()
    .regex(/^-?\d+$/)
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
const boolParam = z.enum(['true', 'false']).transform((v) => v === 'true');

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

const DescribeInstancesParams = z.looseObject({
  MaxResults: intParam(5, 1000).optional(),
  NextToken: z.string().optional(),
});

const DescribeSpotPriceHistoryParams = z.looseObject({
  MaxResults: intParam(1, 10000).optional(),
  NextToken: z.string().optional(),
  StartTime: z.iso.datetime({ offset: true }).optional(),
  AvailabilityZone: z.string().optional(),
});

const DescribeInstanceTypesParams = z.looseObject({
  MaxResults: intParam(5, 100).optional(),
  NextToken: z.string().optional(),
});

function parseParams<S extends z.ZodType>(schema: S, p: QueryParams): z.output<S> {
  const r = schema.safeParse(p);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const name = String(issue.path[0] ?? 'parameter');
  if (p[name] === undefined) throw new Ec2Fail('MissingParameter', `The request must contain the parameter ${name}`);
  throw new Ec2Fail('InvalidParameterValue', `Value (${p[name]}) for parameter ${name} is invalid.`);
}

// ---------------------------------------------------------------- emulator

export async function startEc2Emulator(opts: Ec2EmulatorOptions): Promise<Ec2Emulator> {
  const clock = opts.clock;
  const region = opts.region ?? 'us-east-1';
  const zones = [`${region}a`, `${region}b`, `${region}c`];
  const pendingMs = (opts.pendingSec ?? 5) * 1000;
  const shuttingDownMs = (opts.shuttingDownSec ?? 5) * 1000;
  const retentionMs = (opts.terminatedRetentionSec ?? 3600) * 1000;
  const random = opts.random ?? Math.random;

  const recs = new Map<string, Rec>();
  const order: string[] = [];
  const tokens = new Map<string, TokenRecord>();
  const pageTokens = new Map<string, { ids: string[]; offset: number }>();
  const log: Ec2CallLogEntry[] = [];
  const calls = { total: 0, byAction: {} as Record<string, number> };
  let requestSeq = 0;
  let ipSeq = 10;

  const hex = (n: number) => {
    let s = '';
    for (let i = 0; i < n; i++) s += Math.floor(random() * 16).toString(16);
    return s;
  };
  const newId = (prefix: string, taken: (id: string) => boolean) => {
    for (;;) {
      const id = `${prefix}-${hex(17)}`;
      if (!taken(id)) return id;
    }
  };
  const reservationIds = new Set<string>();
  const volumeIds = new Map<string, string>(); // volume id → instance id

  // ------------------------------------------------------------ lifecycle

  function advance(r: Rec, now: number): void {
    if (r.state === 'terminated' || r.state === 'stopped') return;
    if (r.shuttingDownAt !== null) {
      if (now >= r.shuttingDownAt + shuttingDownMs) {
        r.state = 'terminated';
        r.terminatedAt = r.shuttingDownAt + shuttingDownMs;
      } else r.state = 'shutting-down';
      return;
    }
    if (r.stoppingAt !== null) {
      r.state = now >= r.stoppingAt + shuttingDownMs ? 'stopped' : 'stopping';
      return;
    }
    if (now >= r.launchedAt + pendingMs) {
      r.state = 'running';
      r.runningSince ??= r.launchedAt + pendingMs;
    }
  }

  function stepAll(): number {
    const now = clock.now();
    for (const r of recs.values()) advance(r, now);
    return now;
  }

  const purged = (r: Rec, now: number) => r.terminatedAt !== null && now >= r.terminatedAt + retentionMs;
  const visible = (r: Rec, now: number) => now >= r.visibleAt && !purged(r, now);

  function beginShutdown(r: Rec, now: number, code: string, message: string): void {
    advance(r, now);
    if (r.state === 'terminated' || r.state === 'shutting-down') return;
    r.shuttingDownAt = now;
    r.stoppingAt = null;
    r.state = 'shutting-down';
    r.stateReasonCode = code;
    r.stateReasonMessage = message;
    r.stateTransitionReason = `${code === 'Server.SpotInstanceTermination' ? 'Service' : 'User'} initiated (${new Date(now).toISOString().replace('T', ' ').slice(0, 19)} GMT)`;
  }

  // ------------------------------------------------------------ views

  function publicView(r: Rec): EmulatedInstanceDetail {
    return {
      instanceId: r.instanceId,
      state: r.state,
      instanceType: r.instanceType,
      market: r.market,
      zone: r.zone,
      subnetId: r.subnetId,
      launchedAt: r.launchedAt,
      runningSince: r.runningSince,
      userData: r.userData,
      tags: { ...r.tags },
      clientToken: r.clientToken,
      stateReasonCode: r.stateReasonCode,
      reservationId: r.reservationId,
      imageId: r.imageId,
      volumes: r.volumes.map((v) => ({ ...v })),
      volumeTags: { ...r.volumeTags },
      metadataOptions: { ...r.metadataOptions },
      shutdownBehavior: r.shutdownBehavior,
      spotOptions: r.spotOptions ? { ...r.spotOptions } : null,
      keyName: r.keyName,
      securityGroupIds: [...r.securityGroupIds],
      iamInstanceProfile: r.iamInstanceProfile ? { ...r.iamInstanceProfile } : null,
      monitoring: r.monitoring,
      terminatedAt: r.terminatedAt,
      note: r.note,
    };
  }

  function instanceXml(r: Rec): XmlObject {
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

  function reservationsXml(list: Rec[]): XmlObject[] {
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

  // ------------------------------------------------------------ lookups

  function knownInstances(ids: string[], now: number): Rec[] {
    const malformed = ids.find((id) => !/^i-[0-9a-f]{8,17}$/.test(id));
    if (malformed) throw new Ec2Fail('InvalidInstanceID.Malformed', `Invalid id: "${malformed}"`);
    const missing = ids.filter((id) => {
      const r = recs.get(id);
      return !r || !visible(r, now);
    });
    if (missing.length === 1)
      throw new Ec2Fail('InvalidInstanceID.NotFound', `The instance ID '${missing[0]}' does not exist`);
    if (missing.length > 1) {
      throw new Ec2Fail('InvalidInstanceID.NotFound', `The instance IDs '${missing.join(', ')}' do not exist`);
    }
    return ids.map((id) => recs.get(id)!);
  }

  function zoneOfSubnet(subnetId: string): string {
    if (opts.subnets) {
      const z = opts.subnets[subnetId];
      if (!z) throw new Ec2Fail('InvalidSubnetID.NotFound', `The subnet ID '${subnetId}' does not exist`);
      return z;
    }
    let h = 0;
    for (const c of subnetId) h = (h * 31 + c.charCodeAt(0)) >>> 0;
    return zones[h % zones.length]!;
  }

  function spotPriceFor(type: EmulatedInstanceType, zone: string): number {
    return (
      opts.spotPrices?.[`${type.instanceType}|${zone}`] ??
      opts.spotPrices?.[type.instanceType] ??
      defaultSpotPrice(type, zone)
    );
  }

  function paramsHash(p: QueryParams): string {
    const skip = new Set(['Action', 'Version', 'ClientToken', 'DryRun']);
    return JSON.stringify(
      Object.entries(p)
        .filter(([k]) => !skip.has(k))
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    );
  }

  function dryRunCheck(p: QueryParams): void {
    if (p['DryRun'] === 'true') {
      throw new Ec2Fail('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.');
    }
  }

  // ------------------------------------------------------------ actions

  function runInstances(p: QueryParams, now: number): XmlObject {
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
      zone = zoneOfSubnet(q.SubnetId);
      const az = q['Placement.AvailabilityZone'];
      if (az && az !== zone) {
        throw new Ec2Fail('InvalidParameterValue', `Subnet ${subnetId} is in ${zone}, not in the requested ${az}.`);
      }
    } else if (q['Placement.AvailabilityZone'] !== undefined) {
      zone = q['Placement.AvailabilityZone'];
      if (!zones.includes(zone)) throw new Ec2Fail('InvalidParameterValue', `Invalid availability zone: [${zone}]`);
    } else {
      zone = zones[Math.floor(random() * zones.length)]!;
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
        if (t.key.toLowerCase().startsWith('aws:')) {
          throw new Ec2Fail('InvalidParameterValue', `Tag keys starting with 'aws:' are reserved for internal use`);
        }
        if (spec.resourceType === 'instance') instanceTags[t.key] = t.value;
        if (spec.resourceType === 'volume') volumeTags[t.key] = t.value;
      }
    }
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
      const prior = tokens.get(token);
      if (prior && prior.hash !== hash) {
        throw new Ec2Fail(
          'IdempotentParameterMismatch',
          `Arguments on this idempotent request are inconsistent with arguments used in previous request(s) with client token '${token}'.`,
        );
      }
      if (prior?.reservationId) {
        const list = order.map((id) => recs.get(id)!).filter((r) => r.reservationId === prior.reservationId);
        return { ...reservationsXml(list)[0]! };
      }
    }

    const reservationId = newId('r', (id) => reservationIds.has(id));
    reservationIds.add(reservationId);
    const created: Rec[] = [];
    for (let i = 0; i < q.MaxCount; i++) {
      const instanceId = newId('i', (id) => recs.has(id));
      ipSeq += 1;
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
          const volumeId = newId('vol', (id) => volumeIds.has(id));
          volumeIds.set(volumeId, instanceId);
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
                interruptionBehavior:
                  q['InstanceMarketOptions.SpotOptions.InstanceInterruptionBehavior'] ?? 'terminate',
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
        visibleAt: now + emulator.listingDelaySec * 1000,
        shuttingDownAt: null,
        stoppingAt: null,
        stateReasonMessage: null,
        stateTransitionReason: '',
        privateIp: `10.0.${Math.floor(ipSeq / 250) % 250}.${(ipSeq % 250) + 2}`,
        spotRequestId: market === 'spot' ? `sir-${hex(8)}` : null,
      };
      recs.set(instanceId, r);
      order.push(instanceId);
      created.push(r);
    }
    if (token !== undefined) tokens.set(token, { hash, reservationId });
    return { ...reservationsXml(created)[0]! };
  }

  function instanceMatches(r: Rec, f: { name: string; values: string[] }): boolean {
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

  function describeInstances(p: QueryParams, now: number): XmlObject {
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
      const prior = pageTokens.get(q.NextToken);
      if (!prior) throw new Ec2Fail('InvalidPaginationToken', `Invalid pagination token: ${q.NextToken}`);
      pageTokens.delete(q.NextToken);
      page = prior;
    } else {
      const fs = readFilters(p);
      const unknown = fs.find((f) => !f.name.startsWith('tag:') && !INSTANCE_FILTERS.has(f.name));
      if (unknown) throw new Ec2Fail('InvalidParameterValue', `The filter '${unknown.name}' is invalid`);
      const base = ids.length
        ? knownInstances(ids, now)
        : order.map((id) => recs.get(id)!).filter((r) => visible(r, now));
      page = { ids: base.filter((r) => fs.every((f) => instanceMatches(r, f))).map((r) => r.instanceId), offset: 0 };
    }
    const size = q.MaxResults ?? Number.MAX_SAFE_INTEGER;
    const slice = page.ids
      .slice(page.offset, page.offset + size)
      .map((id) => recs.get(id))
      .filter((r): r is Rec => r !== undefined && !purged(r, now));
    const body: XmlObject = { reservationSet: reservationsXml(slice) };
    if (page.offset + size < page.ids.length) {
      const token = `emu-${hex(24)}`;
      pageTokens.set(token, { ids: page.ids, offset: page.offset + size });
      body['nextToken'] = token;
    }
    return body;
  }

  function terminateInstances(p: QueryParams, now: number): XmlObject {
    const ids = stringList(p, 'InstanceId');
    if (!ids.length) throw new Ec2Fail('MissingParameter', 'The request must contain the parameter InstanceId');
    const list = knownInstances(ids, now);
    dryRunCheck(p);
    return {
      instancesSet: list.map((r) => {
        advance(r, now);
        const previous = r.state;
        beginShutdown(r, now, 'Client.UserInitiatedShutdown', 'Client.UserInitiatedShutdown: User initiated shutdown');
        return {
          instanceId: r.instanceId,
          currentState: { code: STATE_CODE[r.state], name: r.state },
          previousState: { code: STATE_CODE[previous], name: previous },
        };
      }),
    };
  }

  function bootFailureOf(r: Rec): string | null {
    const f = emulator.bootFailures;
    return f.get(r.instanceId) ?? f.get(r.imageId) ?? f.get(r.instanceType) ?? null;
  }

  /** Like EC2: no `output` element until the instance has a console capture (here: once it runs). */
  function getConsoleOutput(p: QueryParams, now: number): XmlObject {
    const id = p['InstanceId'];
    if (!id) throw new Ec2Fail('MissingParameter', 'The request must contain the parameter InstanceId');
    const [r] = knownInstances([id], now);
    dryRunCheck(p);
    advance(r!, now);
    const text = consoleText({
      instanceId: r!.instanceId,
      instanceType: r!.instanceType,
      imageId: r!.imageId,
      privateIp: r!.privateIp,
      runningSince: r!.runningSince,
      // A terminated instance's capture stops where it was shut down.
      now: r!.shuttingDownAt ?? now,
      bootFailure: bootFailureOf(r!),
    });
    return {
      instanceId: r!.instanceId,
      timestamp: new Date(now).toISOString(),
      ...(text ? { output: Buffer.from(text, 'utf8').toString('base64') } : {}),
    };
  }

  function createTags(p: QueryParams, now: number): XmlObject {
    const ids = stringList(p, 'ResourceId');
    if (!ids.length) throw new Ec2Fail('MissingParameter', 'The request must contain the parameter ResourceId');
    const tags = tagList(p, 'Tag');
    if (!tags.length) throw new Ec2Fail('MissingParameter', 'The request must contain the parameter Tag');
    if (tags.some((t) => t.key.toLowerCase().startsWith('aws:'))) {
      throw new Ec2Fail('InvalidParameterValue', `Tag keys starting with 'aws:' are reserved for internal use`);
    }
    const instanceIds = ids.filter((id) => !id.startsWith('vol-'));
    const volumes = ids.filter((id) => id.startsWith('vol-'));
    const unknownVolume = volumes.find((v) => !volumeIds.has(v));
    if (unknownVolume) throw new Ec2Fail('InvalidVolume.NotFound', `The volume '${unknownVolume}' does not exist.`);
    const list = knownInstances(instanceIds, now);
    dryRunCheck(p);
    for (const r of list) for (const t of tags) r.tags[t.key] = t.value;
    for (const v of volumes) {
      const owner = recs.get(volumeIds.get(v)!);
      if (owner) for (const t of tags) owner.volumeTags[t.key] = t.value;
    }
    return { return: true };
  }

  function describeSpotPriceHistory(p: QueryParams, now: number): XmlObject {
    const q = parseParams(DescribeSpotPriceHistoryParams, p);
    const fs = readFilters(p);
    const wantTypes = stringList(p, 'InstanceType');
    const wantProducts = stringList(p, 'ProductDescription');
    const at = q.StartTime ? Math.min(now, Date.parse(q.StartTime)) : now;
    const stamp = new Date(Math.floor(at / 3_600_000) * 3_600_000);
    const rows: XmlObject[] = [];
    for (const type of EMULATED_INSTANCE_TYPES) {
      if (wantTypes.length && !wantTypes.includes(type.instanceType)) continue;
      for (const zone of zones) {
        if (q.AvailabilityZone && q.AvailabilityZone !== zone) continue;
        const product = 'Linux/UNIX';
        if (wantProducts.length && !wantProducts.includes(product)) continue;
        const row = { instanceType: type.instanceType, productDescription: product, availabilityZone: zone };
        const ok = fs.every((f) => {
          const v =
            f.name === 'instance-type'
              ? row.instanceType
              : f.name === 'availability-zone'
                ? row.availabilityZone
                : f.name === 'product-description'
                  ? row.productDescription
                  : null;
          if (v === null) throw new Ec2Fail('InvalidParameterValue', `The filter '${f.name}' is invalid`);
          return f.values.some((x) => wildcardMatch(x, v));
        });
        if (!ok) continue;
        rows.push({ ...row, spotPrice: spotPriceFor(type, zone).toFixed(6), timestamp: stamp });
      }
    }
    return pageRows(rows, 'spotPriceHistorySet', q.MaxResults, q.NextToken);
  }

  function describeInstanceTypes(p: QueryParams): XmlObject {
    const q = parseParams(DescribeInstanceTypesParams, p);
    const wanted = stringList(p, 'InstanceType');
    const unknown = wanted.filter((w) => !findInstanceType(w));
    if (unknown.length) {
      throw new Ec2Fail(
        'InvalidInstanceType',
        `The following supplied instance types do not exist: [${unknown.join(', ')}]`,
      );
    }
    const fs = readFilters(p);
    const rows = EMULATED_INSTANCE_TYPES.filter((t) => !wanted.length || wanted.includes(t.instanceType))
      .filter((t) =>
        fs.every((f) => {
          if (f.name === 'instance-type') return f.values.some((x) => wildcardMatch(x, t.instanceType));
          if (f.name === 'current-generation') return f.values.includes('true');
          if (f.name === 'processor-info.supported-architecture') {
            return t.architectures.some((a) => f.values.includes(a));
          }
          throw new Ec2Fail('InvalidParameterValue', `The filter '${f.name}' is invalid`);
        }),
      )
      .map((t) => ({
        instanceType: t.instanceType,
        currentGeneration: true,
        freeTierEligible: t.instanceType === 't3.micro',
        supportedUsageClasses: ['on-demand', 'spot'],
        supportedRootDeviceTypes: ['ebs'],
        supportedVirtualizationTypes: ['hvm'],
        bareMetal: false,
        hypervisor: 'nitro',
        processorInfo: { supportedArchitectures: t.architectures },
        vCpuInfo: { defaultVCpus: t.vcpus },
        memoryInfo: { sizeInMiB: t.memoryMiB },
        instanceStorageSupported: false,
        gpuInfo: t.gpus
          ? {
              gpus: [
                {
                  name: t.gpus.name,
                  manufacturer: t.gpus.manufacturer,
                  count: t.gpus.count,
                  memoryInfo: { sizeInMiB: t.gpus.memoryMiB },
                },
              ],
              totalGpuMemoryInMiB: t.gpus.count * t.gpus.memoryMiB,
            }
          : null,
        burstablePerformanceSupported: t.instanceType.startsWith('t'),
      }));
    return pageRows(rows, 'instanceTypeSet', q.MaxResults, q.NextToken);
  }

  const rowTokens = new Map<string, { rows: XmlObject[]; offset: number }>();
  function pageRows(rows: XmlObject[], setName: string, max: number | undefined, next: string | undefined): XmlObject {
    let src = { rows, offset: 0 };
    if (next !== undefined) {
      const prior = rowTokens.get(next);
      if (!prior) throw new Ec2Fail('InvalidNextToken', `The specified token ${next} is invalid`);
      rowTokens.delete(next);
      src = prior;
    }
    const size = max ?? 1000;
    const body: XmlObject = { [setName]: src.rows.slice(src.offset, src.offset + size) };
    if (src.offset + size < src.rows.length) {
      const token = `emu-${hex(24)}`;
      rowTokens.set(token, { rows: src.rows, offset: src.offset + size });
      body['nextToken'] = token;
    }
    return body;
  }

  // ------------------------------------------------------------ spot requests

  const spotRequests = new Map<string, SpotRequest>();

  /**
   * `RequestSpotInstances` (one-time, count 1): the launch specification is a RunInstances request without the
   * market options, so it is launched through the same path, as a spot instance tied to the request. A capacity
   * shortage is not an error here: AWS keeps the request open with status `capacity-not-available`.
   */
  function requestSpotInstances(p: QueryParams, now: number): XmlObject {
    const count = p['InstanceCount'] === undefined ? 1 : Number(p['InstanceCount']);
    if (count !== 1) throw new Ec2Fail('Unsupported', 'The emulator serves spot requests for one instance');
    const type = p['Type'] ?? 'one-time';
    if (type !== 'one-time' && type !== 'persistent') {
      throw new Ec2Fail('InvalidParameterValue', `Value (${type}) for parameter type is invalid.`);
    }
    const launch: Record<string, string> = {};
    for (const [k, v] of Object.entries(p)) {
      if (k.startsWith('LaunchSpecification.')) launch[k.slice('LaunchSpecification.'.length)] = v;
    }
    if (launch['ImageId'] === undefined) {
      throw new Ec2Fail('MissingParameter', 'The request must contain the parameter LaunchSpecification.ImageId');
    }
    const run: QueryParams = {
      ...launch,
      Action: 'RunInstances',
      MinCount: '1',
      MaxCount: '1',
      'InstanceMarketOptions.MarketType': 'spot',
      'InstanceMarketOptions.SpotOptions.SpotInstanceType': type,
      InstanceInitiatedShutdownBehavior: 'terminate',
      ...(p['DryRun'] === 'true' ? { DryRun: 'true' } : {}),
    };
    const id = `sir-${hex(8)}`;
    const req: SpotRequest = {
      id,
      createdAt: now,
      type,
      instanceType: launch['InstanceType'] ?? 'm5.large',
      zone: launch['Placement.AvailabilityZone'] ?? null,
      instanceId: null,
      cancelled: false,
    };
    // A refusal aimed at the launch itself (a capacity shortage, say) applies to the launch the request makes:
    // capacity leaves the request open; anything else is the caller's error.
    const fault = intercept('RunInstances', run);
    if (fault && !CAPACITY_CODES.has(fault.code)) throw new Ec2Fail(fault.code, fault.message, fault.status);
    if (!fault) {
      const reservation = runInstances(run, now);
      req.instanceId = (reservation['instancesSet'] as { instanceId: string }[])[0]!.instanceId;
      const rec = recs.get(req.instanceId)!;
      rec.spotRequestId = id;
      req.zone = rec.zone;
    } else dryRunCheck(p);
    spotRequests.set(id, req);
    return { spotInstanceRequestSet: [spotRequestXml(req, now)] };
  }

  function spotRequestXml(req: SpotRequest, now: number): XmlObject {
    const rec = req.instanceId ? recs.get(req.instanceId) : undefined;
    if (rec) advance(rec, now);
    let state: string;
    let code: string;
    let message: string;
    if (!req.instanceId) {
      state = 'open';
      code = 'capacity-not-available';
      message = 'There is no capacity available that matches your request.';
    } else if (now < req.createdAt + SPOT_EVALUATION_MS) {
      state = 'open';
      code = 'pending-evaluation';
      message = 'Your Spot request has been submitted for review, and is pending evaluation.';
    } else if (rec?.stateReasonCode === 'Server.SpotInstanceTermination') {
      state = 'closed';
      code = 'instance-terminated-no-capacity';
      message = 'Spot Instance terminated due to no available capacity.';
    } else if (rec && (rec.state === 'terminated' || rec.state === 'shutting-down')) {
      state = 'closed';
      code = 'instance-terminated-by-user';
      message = 'Spot Instance terminated by user.';
    } else {
      state = 'active';
      code = 'fulfilled';
      message = 'Your spot request is fulfilled.';
    }
    const type = findInstanceType(req.instanceType);
    return {
      spotInstanceRequestId: req.id,
      spotPrice: type ? spotPriceFor(type, req.zone ?? zones[0]!).toFixed(6) : null,
      type: req.type,
      state,
      status: { code, updateTime: new Date(now), message },
      launchSpecification: { imageId: rec?.imageId ?? null, instanceType: req.instanceType },
      instanceId: code === 'pending-evaluation' ? null : req.instanceId,
      createTime: new Date(req.createdAt),
      productDescription: 'Linux/UNIX',
      launchedAvailabilityZone: code === 'pending-evaluation' ? null : (rec?.zone ?? null),
      instanceInterruptionBehavior: 'terminate',
    };
  }

  function describeSpotInstanceRequests(p: QueryParams, now: number): XmlObject {
    const ids = stringList(p, 'SpotInstanceRequestId');
    const missing = ids.find((id) => !spotRequests.has(id));
    if (missing) {
      throw new Ec2Fail(
        'InvalidSpotInstanceRequestID.NotFound',
        `The spot instance request ID '${missing}' does not exist`,
      );
    }
    const list = ids.length ? ids.map((id) => spotRequests.get(id)!) : [...spotRequests.values()];
    return { spotInstanceRequestSet: list.map((r) => spotRequestXml(r, now)) };
  }

  function handle(action: Action, p: QueryParams, now: number): XmlObject {
    switch (action) {
      case 'RunInstances':
        return runInstances(p, now);
      case 'DescribeInstances':
        return describeInstances(p, now);
      case 'TerminateInstances':
        return terminateInstances(p, now);
      case 'CreateTags':
        return createTags(p, now);
      case 'DescribeSpotPriceHistory':
        return describeSpotPriceHistory(p, now);
      case 'DescribeInstanceTypes':
        return describeInstanceTypes(p);
      case 'RequestSpotInstances':
        return requestSpotInstances(p, now);
      case 'DescribeSpotInstanceRequests':
        return describeSpotInstanceRequests(p, now);
      case 'GetConsoleOutput':
        return getConsoleOutput(p, now);
    }
  }

  // ------------------------------------------------------------ HTTP

  function intercept(action: string, p: QueryParams): Ec2Refusal | null {
    for (const i of emulator.interceptors) {
      const refusal = i(action, p);
      if (refusal) return refusal;
    }
    return null;
  }

  function record(at: number, action: string, status: number, code: string | null): void {
    log.push({ at, action, status, code });
    if (log.length > MAX_LOG) log.splice(0, log.length - MAX_LOG);
  }

  function respond(res: http.ServerResponse, status: number, xml: string, requestId: string): void {
    res.writeHead(status, {
      'content-type': 'text/xml;charset=UTF-8',
      'x-amzn-requestid': requestId,
      'content-length': Buffer.byteLength(xml),
    });
    res.end(xml);
  }

  function serve(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
    const requestId = `00000000-0000-4000-8000-${(++requestSeq).toString(16).padStart(12, '0')}`;
    const now = stepAll();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const p = parseQuery(body, url.search);
    const action = p['Action'] ?? '';
    calls.total += 1;
    calls.byAction[action] = (calls.byAction[action] ?? 0) + 1;

    const fail = (e: Ec2Fail) => {
      record(now, action, e.status, e.code);
      respond(res, e.status, errorXml(e.code, e.message, requestId), requestId);
    };
    try {
      if (!req.headers.authorization) {
        throw new Ec2Fail('AuthFailure', 'AWS was not able to validate the provided access credentials', 401);
      }
      if (!(ACTIONS as readonly string[]).includes(action)) {
        throw new Ec2Fail('InvalidAction', `The action ${action || '(none)'} is not valid for this web service.`);
      }
      const refusal = intercept(action, p);
      if (refusal) {
        // A launch refused for capacity still binds its token to its parameters (runs-on#251).
        const token = p['ClientToken'];
        if (action === 'RunInstances' && token && CAPACITY_CODES.has(refusal.code) && !tokens.has(token)) {
          tokens.set(token, { hash: paramsHash(p), reservationId: null });
        }
        throw new Ec2Fail(refusal.code, refusal.message, refusal.status);
      }
      const out = handle(action as Action, p, now);
      record(now, action, 200, null);
      respond(res, 200, responseXml(action, requestId, out), requestId);
    } catch (err) {
      if (err instanceof Ec2Fail) return fail(err);
      fail(new Ec2Fail('InternalError', `An internal error has occurred (${String(err)})`, 500));
    }
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.byteLength;
      if (size > MAX_BODY) {
        res.writeHead(413).end();
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!res.headersSent) serve(req, res, Buffer.concat(chunks).toString('utf8'));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  const emulator: Ec2Emulator = {
    url: `http://127.0.0.1:${port}`,
    region,
    zones,
    interceptors: [],
    listingDelaySec: opts.listingDelaySec ?? 0,
    bootFailures: new Map(),
    bootFailureOf(instanceId) {
      const r = recs.get(instanceId);
      return r ? bootFailureOf(r) : null;
    },
    calls,
    log,
    instances() {
      const now = stepAll();
      return order
        .map((id) => recs.get(id)!)
        .filter((r) => !purged(r, now))
        .map((r) => {
          const v = publicView(r);
          return {
            instanceId: v.instanceId,
            state: v.state,
            instanceType: v.instanceType,
            market: v.market,
            zone: v.zone,
            subnetId: v.subnetId,
            launchedAt: v.launchedAt,
            runningSince: v.runningSince,
            userData: v.userData,
            tags: v.tags,
            clientToken: v.clientToken,
            stateReasonCode: v.stateReasonCode,
          };
        });
    },
    instance(instanceId) {
      const now = stepAll();
      const r = recs.get(instanceId);
      return r && !purged(r, now) ? publicView(r) : undefined;
    },
    powerOff(instanceId, reason) {
      const now = stepAll();
      const r = recs.get(instanceId);
      if (!r || r.state === 'terminated' || r.state === 'shutting-down' || r.state === 'stopped') return;
      r.note = reason;
      if (r.shutdownBehavior === 'terminate') {
        beginShutdown(
          r,
          now,
          'Client.InstanceInitiatedShutdown',
          'Client.InstanceInitiatedShutdown: Instance initiated shutdown',
        );
      } else {
        r.stoppingAt = now;
        r.state = 'stopping';
        r.stateReasonCode = 'Client.InstanceInitiatedShutdown';
        r.stateReasonMessage = 'Client.InstanceInitiatedShutdown: Instance initiated shutdown';
      }
    },
    interruptSpot(instanceId) {
      const now = stepAll();
      const r = recs.get(instanceId);
      if (!r) throw new Error(`interruptSpot: no instance ${instanceId}`);
      if (r.market !== 'spot') throw new Error(`interruptSpot: ${instanceId} is not a spot instance`);
      beginShutdown(
        r,
        now,
        'Server.SpotInstanceTermination',
        'Server.SpotInstanceTermination: Spot instance termination',
      );
    },
    step() {
      stepAll();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return emulator;
}
