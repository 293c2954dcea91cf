/**
 * The autoscaler configuration: one zod schema used by the engine (validation before anything launches),
 * the settings store, the IPC contract and the dashboard's inline field messages.
 * Times are in minutes where ClearML users think in minutes (fractions allowed), seconds for the poll.
 */
import { z } from 'zod';
import { REGION_PATTERN } from './aws-region.js';
import { BudgetsSchema } from './budget.js';
import { dataRecord, hasEntry } from './data-record.js';
import { queueNameProblem } from './queue-name.js';
import { graceIssue, TeamSchema, teamIssue } from './team.js';

/** Resource names and the workers prefix become segments of `<prefix>:<resource>:<type>:<instance id>`. */
export const NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;
const name = (what: string) =>
  z
    .string()
    .min(1, `${what} must not be empty`)
    .max(64, `${what} must be at most 64 characters`)
    .regex(NAME_PATTERN, `${what} may contain only letters, digits, '_', '-' and '.' (no ':' or '/')`);

/** An availability zone: its region, then a letter (us-east-1b) or a Local or Wavelength Zone's suffix. */
export const ZONE_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d([a-z]|(-[a-z0-9]+)+)$/;
/** Queue names follow ClearML's rule (`shared/queue-name.ts`), not NAME_PATTERN: they are no worker-id segment. */
const queueName = z.string().superRefine((v, ctx) => {
  const problem = queueNameProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/**
 * Why a git user or password cannot reach clearml-agent, or null. clearml.conf carries them as HOCON strings, and
 * the agent's HOCON reader decodes no `\uXXXX` escape: a control character JSON writes as one would arrive as six
 * literal characters and every private clone would fail authentication (and git refuses a newline in a credential).
 */
export function gitCredentialProblem(value: string, what: 'git user' | 'git password'): string | null {
  return /\p{Cc}/u.test(value)
    ? `${what} must not contain control characters (a newline, a tab, …): clearml-agent cannot read them from clearml.conf`
    : null;
}

export const INSTANCE_TYPE_PATTERN = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;
export const AMI_PATTERN = /^ami-[0-9a-f]{8,17}$/;

/** Tag keys EC2 accepts on instances whose tags are readable from instance metadata. */
export function isMetadataTagKey(key: string): boolean {
  return /^[A-Za-z0-9+\-=.,_:@]+$/.test(key) && !['.', '..', '_index'].includes(key);
}

/** EC2's smallest volume of each type, in GiB. */
const MIN_VOLUME_GIB: Record<string, number> = { gp2: 1, gp3: 1, standard: 1, io1: 4, io2: 4, st1: 125, sc1: 125 };

export const EbsSchema = z
  .object({
    deviceName: z
      .string()
      .regex(/^\/dev\/[a-z0-9]+$/, 'device name must look like /dev/sda1')
      .default('/dev/sda1'),
    // EC2's own bounds: 1 GiB for gp2/gp3/standard (a small data volume is fine), more for the types below. A root
    // volume must also hold the AMI's snapshot, which only EC2 knows: it refuses the launch and says so.
    volumeSizeGiB: z.number().int('volume size must be a whole number of GiB').min(1).max(16384).optional(),
    volumeType: z.enum(['gp2', 'gp3', 'io1', 'io2', 'st1', 'sc1', 'standard']).optional(),
    snapshotId: z
      .string()
      .regex(/^snap-[0-9a-f]{8,17}$/, 'snapshot id must look like snap-0123456789abcdef0')
      .optional(),
  })
  .strict()
  .superRefine((e, ctx) => {
    const min = (e.volumeType && MIN_VOLUME_GIB[e.volumeType]) || 1;
    if (e.volumeSizeGiB !== undefined && e.volumeSizeGiB < min) {
      ctx.addIssue({
        code: 'custom',
        path: ['volumeSizeGiB'],
        message: `must be at least ${min} GiB for a ${e.volumeType} volume (EC2's minimum)`,
      });
    }
  })
  // A volume from a snapshot left without a size or type is the snapshot's size, of EC2's default type (what
  // ClearML's autoscaler asks for, sending only the snapshot id): a default size smaller than the snapshot would
  // fail every launch. A new empty volume needs both, so they default.
  .transform((e) =>
    e.snapshotId !== undefined ? e : { ...e, volumeSizeGiB: e.volumeSizeGiB ?? 100, volumeType: e.volumeType ?? 'gp3' },
  );

/** Our own tags (ownership, lease, orphan mark) start with this; a user tag with it would be overwritten. */
export const RESERVED_TAG_PREFIX = 'clearml-autoscaler:';

/**
 * EC2 allows 50 tags on an instance and refuses the launch past that. The autoscaler sets up to 9 of its own (our
 * name, prefix, resource, queue, launched-by, lease, engine stamp, ClearML server, and Name unless the user gives
 * one), so a user gets 41 besides Name.
 */
export const MAX_USER_TAGS = 41;

export const TagsSchema = z
  .record(z.string().min(1).max(128), z.string().max(256))
  .refine((t) => Object.keys(t).filter((k) => k !== 'Name').length <= MAX_USER_TAGS, {
    message: `at most ${MAX_USER_TAGS} tags besides Name: EC2 allows 50 on an instance and the autoscaler sets up to 9 of its own`,
  })
  .refine((t) => Object.keys(t).every((k) => !k.toLowerCase().startsWith('aws:')), {
    message: "tag keys starting with 'aws:' are reserved by AWS",
  })
  .refine((t) => Object.keys(t).every((k) => !k.toLowerCase().startsWith(RESERVED_TAG_PREFIX)), {
    message: `tag keys starting with '${RESERVED_TAG_PREFIX}' are reserved for the autoscaler's own tags; choose another key`,
  })
  // Instances are launched with tags readable from instance metadata (the lease watchdog needs it), and EC2 then
  // refuses tag keys with other characters.
  .refine((t) => Object.keys(t).every(isMetadataTagKey), {
    message: "tag keys may contain only letters, digits and + - = . , _ : @ (no spaces or '/')",
  });

export const ResourceSchema = z
  .object({
    instanceType: z
      .string()
      .regex(INSTANCE_TYPE_PATTERN, 'instance type must look like g4dn.xlarge (family.size, lower case)'),
    market: z.enum(['spot', 'on-demand']).default('on-demand'),
    /** On a spot capacity error, retry the same placement as on-demand. */
    spotFallbackToOnDemand: z.boolean().default(true),
    amiId: z.string().regex(AMI_PATTERN, 'AMI id must look like ami-0123456789abcdef0'),
    /** Tried in order; a capacity error moves to the next. */
    subnetIds: z
      .array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, 'subnet id must look like subnet-0123abcd'))
      .default([]),
    /**
     * Used when no subnet is given (EC2 picks the default subnet of each zone), tried in order. Local Zones
     * (us-west-2-lax-1a) and Wavelength Zones (us-east-1-wl1-bos-wlz-1) are zones too.
     */
    availabilityZones: z.array(z.string().regex(ZONE_PATTERN, 'zone must look like us-east-1b')).default([]),
    securityGroupIds: z
      .array(z.string().regex(/^sg-[0-9a-f]{4,17}$/, 'security group id must look like sg-0123abcd'))
      .default([]),
    keyName: z.string().min(1).optional(),
    iamInstanceProfile: z
      .object({
        arn: z
          .string()
          .regex(/^arn:aws[a-z-]*:iam::\d{12}:instance-profile\/.+$/, 'must be an instance-profile ARN')
          .optional(),
        name: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    ebs: EbsSchema.optional(),
    tags: TagsSchema.default({}),
    cpuOnly: z.boolean().default(false),
    /** Overrides the global default docker image for this resource; '' means venv mode. */
    dockerImage: z.string().optional(),
    enableMonitoring: z.boolean().default(false),
  })
  .strict();

export const QueueResourceSchema = z
  .object({
    resource: name('resource name'),
    // As high as scaling.maxTotalInstances goes: a per-queue cap above it could never be reached.
    maxInstances: z.number().int('max instances must be a whole number').min(0).max(10000),
  })
  .strict();

/** Launches and terminations are decided at each poll: a queued task waits up to one interval. */
export const MAX_POLLING_INTERVAL_SEC = 3600;

/** `scaling.preference`'s values, from lowest cost to shortest waits. */
export const PREFERENCES = ['cost', 'balanced', 'latency'] as const;
export type Preference = (typeof PREFERENCES)[number];

export const ScalingSchema = z
  .object({
    pollingIntervalSec: z
      .number()
      .min(2, 'polling interval must be at least 2 s')
      .max(MAX_POLLING_INTERVAL_SEC)
      .default(15),
    maxIdleMin: z.number().min(0).max(10080).default(15),
    /** Idle workers beyond pending tasks and recent demand go after this (never later than maxIdleMin). */
    surplusIdleMin: z.number().min(0).max(10080).default(2),
    /**
     * How an idle worker's cost is weighed against a task waiting for a boot when deciding to keep it warm:
     * `cost` keeps one only when the next task is due sooner than a boot takes (and, once it forecasts, lets the
     * others go at once, not after surplusIdleMin); `latency` keeps it whenever a task is likely within
     * maxIdleMin; `balanced` in between, keeps a busy queue (load of 4+ workers) staffed at its
     * load plus the load's square root, and on a periodic queue stops it after each task and starts one a boot
     * ahead of the next (`latency` starts one too, and keeps its idle workers). `cost` and `balanced` leave a
     * waiting task to a busy worker likely to finish within a boot. maxIdleMin stays the hard ceiling either way.
     */
    preference: z.enum(PREFERENCES).default('balanced'),
    maxSpinUpMin: z.number().positive().max(1440).default(30),
    workersPrefix: name('workers prefix').default('dynamic_aws'),
    maxTotalInstances: z.number().int('max instances in total must be a whole number').min(0).max(10000).default(20),
    dryRun: z.boolean().default(false),
  })
  .strict();

/**
 * The clearml-agent release instances install by default (the current one; its daemon command line is checked
 * against the real agent's CLI in the conformance suite). Pinned, and configurable per config.
 */
export const AGENT_VERSION_DEFAULT = '3.0.3';

/** clearml-agent's own queue poll in seconds, when nothing sets CLEARML_AGENT_QUEUE_POLL_FREQ_SEC. */
export const AGENT_DEFAULT_QUEUE_POLL_SEC = 5;

export const AgentSchema = z
  .object({
    defaultDockerImage: z.string().default(''),
    extraClearmlConf: z.string().default(''),
    initScript: z.string().default(''),
    /** Pinned: an unpinned agent broke every ClearML autoscaler at once (clearml-agent 2.0.0). */
    agentVersion: z
      .string()
      .regex(/^\d+\.\d+(\.\d+)?([a-z0-9.]*)?$/, 'agent version must be a version like 3.0.3')
      .default(AGENT_VERSION_DEFAULT),
    gitUser: z
      .string()
      .superRefine((v, ctx) => {
        const problem = gitCredentialProblem(v, 'git user');
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .default(''),
    /**
     * How often an idle agent asks its queue for a task, in seconds (the startup script exports
     * CLEARML_AGENT_QUEUE_POLL_FREQ_SEC). With clearml-agent's own default, 5 s, which ClearML's autoscaler leaves,
     * a task that finds an idle worker waits 2.5 s on average for it; 2 s makes that 1 s. Each poll of clearml-agent
     * 3.0.3 is three requests to the ClearML server (queues.get_all, workers.get_runtime_properties,
     * queues.get_next_task), and only idle agents poll: 5 restores the agent's default where requests are counted.
     */
    queuePollSec: z
      .number()
      .min(1, 'the agent queue poll must be at least 1 second')
      .max(60, 'the agent queue poll must be at most 60 seconds')
      .default(2),
    /**
     * Where instances get the ClearML agent credentials: embedded in user data (as ClearML does; never traced),
     * or fetched at boot from SSM Parameter Store SecureStrings `<ssmPrefix>/access_key` and `/secret_key`
     * through the instance profile, so they never appear in user data.
     */
    clearmlCredentialsFrom: z.enum(['user-data', 'ssm']).default('user-data'),
    ssmPrefix: z
      .string()
      .regex(/^\/[A-Za-z0-9_./-]+$/, "SSM prefix must be a parameter path like '/clearml-autoscaler'")
      .default('/clearml-autoscaler'),
    /**
     * Write `extraClearmlConf` through the instance's shell, as ClearML's autoscaler does (`$VAR` and `$(cmd)` are
     * expanded on the instance; so is a HOCON `${...}`). Off: written verbatim. Imports of ClearML files turn it on.
     */
    extraClearmlConfShellExpand: z.boolean().default(false),
  })
  .strict();

/**
 * Dead-man switch: every instance carries a lease tag the engine renews; the on-instance watchdog powers an idle
 * instance off once the lease is `graceMin` past expiry, so spend stays bounded when the app is gone.
 */
export const LeaseSchema = z
  .object({
    enabled: z.boolean().default(true),
    leaseMin: z.number().min(5, 'lease must be at least 5 minutes').max(1440).default(20),
    graceMin: z.number().min(0).max(1440).default(10),
    /** Hard cap on an instance's life, applied even when busy; 0 disables it. */
    maxLifetimeHours: z.number().min(0).max(8760).default(0),
  })
  .strict();

export const ConfigSchema = z
  .object({
    version: z.literal(1).default(1),
    clearml: z
      .object({
        apiHost: z.url({ protocol: /^https?$/, error: 'API host must be an http(s) URL like https://api.clear.ml' }),
        webHost: z.url({ protocol: /^https?$/ }).optional(),
        filesHost: z.url({ protocol: /^https?$/ }).optional(),
      })
      .strict(),
    aws: z.object({ region: z.string().regex(REGION_PATTERN, 'region must look like us-east-1') }).strict(),
    resources: dataRecord(name('resource name'), ResourceSchema),
    queues: dataRecord(queueName, z.array(QueueResourceSchema).min(1, 'a queue needs at least one resource')),
    scaling: ScalingSchema.default(ScalingSchema.parse({})),
    agent: AgentSchema.default(AgentSchema.parse({})),
    lease: LeaseSchema.default(LeaseSchema.parse({})),
    budgets: BudgetsSchema.default(BudgetsSchema.parse({})),
    team: TeamSchema.default(TeamSchema.parse({})),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const team = teamIssue(cfg.team, cfg.scaling.pollingIntervalSec);
    if (team) ctx.addIssue({ code: 'custom', path: ['team', 'leaseSec'], message: team });
    const grace = graceIssue(cfg.team);
    if (grace) ctx.addIssue({ code: 'custom', path: ['team', 'graceSec'], message: grace });
    for (const queue of Object.keys(cfg.budgets.queues)) {
      if (!hasEntry(cfg.queues, queue)) {
        ctx.addIssue({
          code: 'custom',
          path: ['budgets', 'queues', queue],
          message: `queue '${queue}' is not configured (configured: ${Object.keys(cfg.queues).join(', ') || 'none'}); remove this cap or add the queue`,
        });
      }
    }
    for (const [queue, entries] of Object.entries(cfg.queues)) {
      const seen = new Set<string>();
      entries.forEach((e, i) => {
        if (!hasEntry(cfg.resources, e.resource)) {
          ctx.addIssue({
            code: 'custom',
            path: ['queues', queue, i, 'resource'],
            message: `unknown resource '${e.resource}'; defined resources: ${Object.keys(cfg.resources).join(', ') || 'none'}`,
          });
        }
        if (seen.has(e.resource)) {
          ctx.addIssue({
            code: 'custom',
            path: ['queues', queue, i, 'resource'],
            message: `resource '${e.resource}' is listed twice for this queue`,
          });
        }
        seen.add(e.resource);
      });
    }
  });

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;
export type Resource = z.infer<typeof ResourceSchema>;
export type Scaling = z.infer<typeof ScalingSchema>;
export type AgentSettings = z.infer<typeof AgentSchema>;
export type Lease = z.infer<typeof LeaseSchema>;
export type QueueResource = z.infer<typeof QueueResourceSchema>;

export interface FieldIssue {
  /** Dotted path, e.g. `resources.gpu.instanceType`. */
  path: string;
  message: string;
}

/** The first configured queue (in config order) that lists `resource` among its resources; null when none does. */
export function firstQueueServedBy(queues: Config['queues'], resource: string): string | null {
  return Object.entries(queues).find(([, entries]) => entries.some((e) => e.resource === resource))?.[0] ?? null;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; issues: FieldIssue[] };

export function toFieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((i) => ({
    path: i.path.map(String).join('.') || '(root)',
    message: i.message,
  }));
}

export function parseConfig(input: unknown): ParseResult<Config> {
  const r = ConfigSchema.safeParse(input);
  return r.success ? { ok: true, value: r.data } : { ok: false, issues: toFieldIssues(r.error) };
}

/**
 * The lease the engine gives instances: `lease.leaseMin`, but always a minute longer than two polls. Leases are
 * renewed at a poll once half has run out, so a shorter one would run out between polls and idle instances would
 * power themselves off while the engine is running well (a 30 min poll with the default 20 min lease did). Applied
 * where leases are written and read, not to the saved setting, which stays what the user wrote.
 */
export function effectiveLease(c: Pick<Config, 'lease' | 'scaling'>): Config['lease'] {
  const leastMin = Math.ceil((2 * c.scaling.pollingIntervalSec) / 60) + 1;
  return c.lease.leaseMin >= leastMin ? c.lease : { ...c.lease, leaseMin: leastMin };
}
