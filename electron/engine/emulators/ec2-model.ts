/**
 * The EC2 emulator's public shapes: its options, the interceptor seam test machinery plugs into, and what tests
 * and the simulator may read about an emulated instance.
 */
import type { Clock } from '../ports.js';
import type { QueryParams } from './ec2-query.js';
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
  /** The address to listen on (default 127.0.0.1); another loopback address is not in a default NO_PROXY. */
  host?: string;
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
  /**
   * Someone stops the instance outside the app (the console, a script, a scheduled stop): stopping, then stopped,
   * with EC2's state reason for a user-initiated stop. Its volumes stay (and bill) until it is terminated.
   */
  stopOutside(instanceId: string): void;
  /** Applies the lifecycle up to `clock.now()` (requests and `instances()` do it too). */
  step(): void;
  close(): Promise<void>;
}
