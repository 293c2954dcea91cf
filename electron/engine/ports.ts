/**
 * The engine's view of the outside world. The reconcile loop and the policy depend only on these
 * interfaces; `clearml/client.ts` and `ec2/provider.ts` implement them over HTTP, and tests use the same
 * real clients against the emulators in `emulators/`.
 */
import type { Ec2State, LaunchFailureCause, Market } from '../../shared/domain.js';

/** Injected everywhere time matters, so the simulator can run a day in seconds. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * A clock that never steps (performance.now()): for throttles and intervals, and to tell a wall-clock step from
   * time passing (aws-clock.ts). Absent: `now()` stands in for it.
   */
  monotonic?(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
};

// ---------------------------------------------------------------- ClearML

export interface QueueEntryObs {
  taskId: string;
  /** ms epoch, when the task was enqueued. */
  addedAt: number;
}

export interface QueueObs {
  id: string;
  name: string;
  entries: QueueEntryObs[];
}

export interface WorkerObs {
  /** `<prefix>:<resource>:<instance type>:<instance id>` for ours. */
  id: string;
  /** null when idle. */
  task: { id: string; name?: string } | null;
  /** Names of the queues the worker listens on. */
  queues: string[];
  registeredAt: number | null;
  lastActivityAt: number | null;
  lastReportAt: number | null;
}

export type TaskStatus =
  | 'created'
  | 'queued'
  | 'in_progress'
  | 'stopped'
  | 'published'
  | 'publishing'
  | 'closed'
  | 'failed'
  | 'completed'
  | 'unknown';

export interface TaskObs {
  id: string;
  name: string;
  status: TaskStatus;
  queueId: string | null;
  lastWorker: string | null;
  /** When its status last changed (ClearML's `status_changed`, ms); absent or null when the server does not say. */
  statusChangedAt?: number | null;
}

export interface ServerInfoObs {
  version: string;
  apiVersion: string;
}

export interface ClearmlApi {
  /** One call for all configured queues (constant per tick, whatever their number). */
  listQueues(names: readonly string[]): Promise<QueueObs[]>;
  /** Workers whose id starts with `<prefix>:`. */
  listWorkers(prefix: string): Promise<WorkerObs[]>;
  /** Every worker, whatever its prefix (seldom: see `otherPrefixWorkers`); optional, fakes may leave it out. */
  listAllWorkers?(): Promise<WorkerObs[]>;
  unregisterWorker(workerId: string): Promise<void>;
  /** `queues.create`; optional so fakes without it simply never create queues. */
  createQueue?(name: string): Promise<{ id: string }>;
  getTasks(ids: readonly string[]): Promise<TaskObs[]>;
  /**
   * Every task in_progress (paged). Optional: without it, recovery finds stranded tasks only through the workers
   * ClearML still lists, so one whose worker was dropped after its register timeout stays in_progress.
   */
  inProgressTasks?(): Promise<TaskObs[]>;
  /**
   * Return a task stranded by a lost instance to its queue, through the server's state machine (a task whose worker
   * reported recently only gets "stopping" from tasks.stop, so the client may need tasks.failed before enqueue).
   */
  requeueTask(taskId: string, queueId: string, reason: string): Promise<void>;
  serverInfo(): Promise<ServerInfoObs>;
  /** Resolves when the credentials are accepted; throws ClearmlError('auth') otherwise. */
  checkAuth(): Promise<{ user: string }>;
}

export type ClearmlErrorKind = 'auth' | 'unreachable' | 'timeout' | 'server' | 'not-found' | 'invalid';

export interface ClearmlErrorDetail {
  /** The HTTP status of the server's answer. */
  status?: number;
  /** ClearML's result subcode (in the reply's `meta`). */
  subcode?: number;
  /**
   * The network or TLS error code (ECONNREFUSED, UNABLE_TO_VERIFY_LEAF_SIGNATURE …) when no answer came;
   * ERR_PROXY_TUNNEL when the proxy refused the connection or could not be reached.
   */
  networkCode?: string;
}

export class ClearmlError extends Error {
  // Declared, not initialised: a detail the failure did not have is absent, not an own property set to undefined.
  declare readonly status?: number;
  declare readonly subcode?: number;
  declare readonly networkCode?: string;
  constructor(
    readonly kind: ClearmlErrorKind,
    message: string,
    detail: ClearmlErrorDetail = {},
  ) {
    super(message);
    this.name = 'ClearmlError';
    if (detail.status !== undefined) this.status = detail.status;
    if (detail.subcode !== undefined) this.subcode = detail.subcode;
    if (detail.networkCode !== undefined) this.networkCode = detail.networkCode;
  }

  /** What an answer (or its absence) told about the failure, for a copy with another message. */
  get detail(): ClearmlErrorDetail {
    const { status, subcode, networkCode } = this;
    return {
      ...(status !== undefined ? { status } : {}),
      ...(subcode !== undefined ? { subcode } : {}),
      ...(networkCode !== undefined ? { networkCode } : {}),
    };
  }
}

// ---------------------------------------------------------------- EC2

export interface InstanceObs {
  instanceId: string;
  state: Ec2State;
  instanceType: string;
  market: Market;
  zone: string;
  subnetId: string | null;
  /** ms epoch */
  launchedAt: number;
  tags: Record<string, string>;
  clientToken: string | null;
  /** e.g. `Server.SpotInstanceTermination` when AWS took it back. */
  stateReasonCode: string | null;
  /**
   * When its state last changed, ms epoch, as EC2's StateTransitionReason says it ("User initiated (2026-12-07
   * 12:00:00 GMT)"); absent when it does not (a running instance, another wording).
   */
  stateChangedAt?: number;
}

export interface LaunchSpec {
  clientToken: string;
  instanceType: string;
  imageId: string;
  market: Market;
  subnetId?: string;
  availabilityZone?: string;
  securityGroupIds: string[];
  keyName?: string;
  iamInstanceProfile?: { arn?: string; name?: string };
  /** Left out (only with a snapshot): the snapshot's size, EC2's default type. */
  ebs?: { deviceName: string; volumeSizeGiB?: number; volumeType?: string; snapshotId?: string };
  enableMonitoring: boolean;
  /**
   * IMDS hop limit: 1 keeps instance metadata (user data, role credentials) on the host itself; 2 lets the agent's
   * docker task containers reach it too (see `metadataHopLimit` in launch-request.ts).
   */
  metadataHopLimit: 1 | 2;
  /** Plain text; the provider base64-encodes it. */
  userData: string;
  /** Applied at launch to the instance and its volumes. */
  tags: Record<string, string>;
  dryRun?: boolean;
}

export interface Ec2Api {
  /** Every instance carrying our prefix tag in any non-terminated state (all pages). */
  describeInstances(prefix: string): Promise<InstanceObs[]>;
  /**
   * These instances, whatever their tags, in any non-terminated state (absent when EC2 does not know them), or in
   * any state with `includeTerminated` (recovery: a launch that ended since is not in flight).
   * Workers of our prefix on instances without our tags (launched by ClearML's autoscaler) are looked up here.
   * Optional: without it, no worker whose instance is not ours is ever treated as a zombie.
   */
  describeInstancesById?(ids: readonly string[], opts?: { includeTerminated?: boolean }): Promise<InstanceObs[]>;
  /** Instances launched with this client token (crash recovery). */
  findByClientToken(clientToken: string): Promise<InstanceObs[]>;
  runInstance(spec: LaunchSpec): Promise<{ instanceId: string; zone: string | null }>;
  terminateInstances(ids: readonly string[]): Promise<void>;
  createTags(ids: readonly string[], tags: Record<string, string>): Promise<void>;
  /** Latest spot price per `${type}|${zone}`; may be empty when not allowed. */
  spotPrices(instanceTypes: readonly string[]): Promise<Map<string, number>>;
  /**
   * The instance's serial console as EC2 last captured it (GetConsoleOutput, decoded); `output` is null while EC2
   * has none yet. Needs `ec2:GetConsoleOutput`.
   */
  consoleOutput(instanceId: string): Promise<{ output: string | null; capturedAt: number | null }>;
  /**
   * The startup script the instance was launched with (DescribeInstanceAttribute `userData`, decoded); null when it
   * has none. Needs `ec2:DescribeInstanceAttribute`. Adoption reads it for evidence that an instance without our
   * tags was launched by an autoscaler (adoption.ts); without it, none is offered for adoption.
   */
  userData?(instanceId: string): Promise<string | null>;
  /**
   * AWS's time minus this machine's (ms; 0 when negligible), from the `Date` headers of EC2's answers since the
   * last clock step (aws-clock.ts); null before any. Absent: the local clock is taken as AWS's.
   */
  awsClockOffsetMs?(): number | null;
}

/**
 * The same list as the events' `cause`. `spot-role`: spot launches refused for want of the Spot service-linked role
 * (an IAM fix, neither capacity nor the credentials: on-demand launches work).
 */
export type Ec2ErrorKind = LaunchFailureCause;

export class Ec2Error extends Error {
  constructor(
    readonly kind: Ec2ErrorKind,
    readonly code: string,
    message: string,
    /** The network or TLS error code found on the SDK's error or its causes, when the request got no answer. */
    readonly networkCode?: string,
  ) {
    super(message);
    this.name = 'Ec2Error';
  }
}

/** Tag keys the engine owns (all under RESERVED_TAG_PREFIX, which the config schema refuses in user tags). */
export const TAG = {
  prefix: 'clearml-autoscaler:prefix',
  resource: 'clearml-autoscaler:resource',
  queue: 'clearml-autoscaler:queue',
  launchedBy: 'clearml-autoscaler:launched-by',
  lease: 'clearml-autoscaler:lease-until',
  orphanSince: 'clearml-autoscaler:orphan-since',
  /** Our name for the instance (`prefix:resource:queue`), kept here so a user's own `Name` tag can stay. */
  name: 'clearml-autoscaler:name',
  /** When an instance launched by ClearML's autoscaler was adopted (ms epoch), after the user confirmed. */
  adoptedAt: 'clearml-autoscaler:adopted-at',
  /**
   * The ClearML server its agent was set up for (the config's API host at launch): after the config moves to
   * another server, an instance whose worker is not on the new one is known to serve the old one, not to be stuck.
   */
  server: 'clearml-autoscaler:clearml-server',
  /** `<engine id> <epoch s> <host>` of the engine that last launched or renewed it (team mode's detection). */
  engine: 'clearml-autoscaler:engine',
} as const;
