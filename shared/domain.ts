/**
 * What the engine publishes after every tick: the single snapshot that the main store holds and that the tray,
 * the notifier and the dashboard all read. zod schemas because it crosses IPC and the preview WebSocket.
 */
import { z } from 'zod';
import { CapStatusSchema } from './budget.js';
import { LeadershipViewSchema } from './team.js';

export const EngineStatusSchema = z.enum(['off', 'starting', 'watching', 'scaling', 'paused', 'error']);
export type EngineStatus = z.infer<typeof EngineStatusSchema>;

/** Where the user changes what an error status is about: the keys (and IAM policy) or the hosts and region. */
export const StatusFixSchema = z.enum(['credentials', 'settings']);
export type StatusFix = z.infer<typeof StatusFixSchema>;

export const MarketSchema = z.enum(['spot', 'on-demand']);
export type Market = z.infer<typeof MarketSchema>;

/** EC2 lifecycle states as DescribeInstances reports them. */
export const Ec2StateSchema = z.enum(['pending', 'running', 'shutting-down', 'terminated', 'stopping', 'stopped']);
export type Ec2State = z.infer<typeof Ec2StateSchema>;

/**
 * A live instance: one that runs or is about to (pending, running), so it bills, counts against caps and holds a
 * lease. Every other state is on its way out. The one definition the engine, the snapshot and the tray share.
 */
export function isLiveState(state: string): boolean {
  return state === 'pending' || state === 'running';
}

/**
 * What the instance is doing for us, joined from EC2 and ClearML. `stopped`: stopped (or stopping) outside the app,
 * which never stops instances itself: no capacity, but its volumes still bill until it is terminated.
 */
export const InstancePhaseSchema = z.enum(['booting', 'idle', 'busy', 'orphan', 'stopped', 'terminating']);
export type InstancePhase = z.infer<typeof InstancePhaseSchema>;

export const TaskRefSchema = z.object({ id: z.string(), name: z.string().optional() });
export type TaskRef = z.infer<typeof TaskRefSchema>;

export const InstanceViewSchema = z.object({
  instanceId: z.string(),
  queue: z.string(),
  resource: z.string(),
  instanceType: z.string(),
  market: MarketSchema,
  zone: z.string(),
  state: Ec2StateSchema,
  phase: InstancePhaseSchema,
  launchedAt: z.number(),
  uptimeSec: z.number(),
  /** Seconds since its worker was last seen busy; null while booting or busy. */
  idleSec: z.number().nullable(),
  workerId: z.string().nullable(),
  task: TaskRefSchema.nullable(),
  hourlyPrice: z.number(),
  costSoFar: z.number(),
  /** Why it is an orphan, why it is being terminated, etc. */
  note: z.string().optional(),
  /**
   * Stopped outside the app (`stopped`): when the engine terminates it unless it is started again (ms, the engine's
   * clock). A time, not text: each surface words it in its own clock. Absent while the engine does not act.
   */
  terminatesAt: z.number().optional(),
  /**
   * Adopted from ClearML's autoscaler: it still runs that autoscaler's startup script, which has no lease watchdog,
   * so nothing powers it off once this app stops (what the exit summary and the quit question must say).
   */
  adopted: z.boolean().optional(),
  /**
   * When this app adopted it (ms), if that was during the EC2 period running now: its `costSoFar` counts from here
   * (before, it was ClearML's autoscaler's spend), not from `launchedAt`.
   */
  adoptedAt: z.number().optional(),
});
export type InstanceView = z.infer<typeof InstanceViewSchema>;

export const QueueResourceViewSchema = z.object({
  resource: z.string(),
  instanceType: z.string(),
  market: MarketSchema,
  maxInstances: z.number(),
  running: z.number(),
});

/** What stopped a queue's launches this tick (the policy's blockers, as data: each surface words them). */
export const HoldCauseSchema = z.discriminatedUnion('code', [
  /** A budget cap refused the launch; `cap` is its id (`global.monthlyUsd`), null when not known. */
  z.object({ code: z.literal('budget'), cap: z.string().nullable() }),
  z.object({ code: z.literal('resource-cap'), resource: z.string(), max: z.number() }),
  z.object({ code: z.literal('global-cap'), max: z.number() }),
  /**
   * The resource waits out a cool-down after a failed launch: for want of capacity, because EC2 refused its settings,
   * or because spot launches lack the account's Spot service-linked role (absent: not known, said as a failed launch).
   */
  z.object({
    code: z.literal('cooling'),
    resource: z.string(),
    cause: z.enum(['capacity', 'config', 'spot-role']).optional(),
  }),
]);
export type HoldCause = z.infer<typeof HoldCauseSchema>;

/** The distinct causes among `causes`, first seen first: several blockers (or queues) often name the same one. */
export function distinctCauses(causes: Iterable<HoldCause>): HoldCause[] {
  const seen = new Map<string, HoldCause>();
  for (const c of causes) if (!seen.has(JSON.stringify(c))) seen.set(JSON.stringify(c), c);
  return [...seen.values()];
}

export const QueueViewSchema = z.object({
  name: z.string(),
  /** False when the queue is configured but the ClearML server, read at the last poll, does not list it (never a guess while unread). */
  exists: z.boolean(),
  pending: z.number(),
  oldestWaitSec: z.number().nullable(),
  busy: z.number(),
  idle: z.number(),
  booting: z.number(),
  resources: z.array(QueueResourceViewSchema),
  paused: z.boolean(),
  lastDecision: z.string().nullable(),
  /**
   * This tick: tasks the queue needed launched that were not, and why (the blockers, most telling first). Absent
   * when nothing was held back. The tray, the headless status and the Overview say it in short while tasks wait.
   */
  held: z.object({ tasks: z.number(), causes: z.array(HoldCauseSchema) }).optional(),
});
export type QueueView = z.infer<typeof QueueViewSchema>;

export const EventKindSchema = z.enum([
  'decision',
  'launch',
  'launch-failed',
  'terminate',
  'unregister',
  'requeue',
  'orphan',
  'error',
  'engine',
  'budget',
  /** Team mode: leadership gained or lost, another engine on the prefix, the lease table unreachable. */
  'team',
]);
export type EventKind = z.infer<typeof EventKindSchema>;

/** Team mode roles (see shared/ipc/roles.ts for what each may call). */
export const TeamRoleSchema = z.enum(['viewer', 'operator', 'admin']);
/** Who made a change: "local" (this machine) or a teammate's token name and role. */
export const ActorSchema = z.union([z.literal('local'), z.object({ name: z.string(), role: TeamRoleSchema })]);

/**
 * The kind of EC2 error a failed launch met (the engine's `Ec2ErrorKind`): what readers of the event (the notifier)
 * decide from, instead of matching its words. `spot-role`: the account lacks the Spot service-linked role.
 */
export const LaunchFailureCauseSchema = z.enum([
  'capacity',
  'spot-role',
  'throttle',
  'auth',
  'invalid',
  'unreachable',
  'other',
]);
export type LaunchFailureCause = z.infer<typeof LaunchFailureCauseSchema>;

/**
 * What an event is, where its kind is too broad to decide from (an `error` or `engine` event of many sorts): set by
 * the constructor that emits it (electron/engine/events.ts), read by the notifier instead of the event's words
 * (`NOTICE_OF_CODE` in shared/notify/notifier.ts: each code's notification category, or none).
 * `credentials-refused`, `credentials-missing`: AWS or ClearML refused the keys, or found none (any call: a
 * connection, a termination, a lookup); `credentials-back`: refused keys work again; `stopped-outside`: one of ours
 * was stopped outside the app; `terminate-failed`: EC2 refused a termination for another reason than the keys;
 * `instance-cap`: a decision left tasks unlaunched at a resource's or the global instance cap; `other-engine`:
 * another engine acts on this workers prefix and this one holds until someone decides (the headless run adds how).
 */
export const EventCodeSchema = z.enum([
  'credentials-refused',
  'credentials-missing',
  'credentials-back',
  'stopped-outside',
  'terminate-failed',
  'instance-cap',
  /** AWS took spot instances back (one event per queue and tick); busy ones are told by their requeue line. */
  'spot-interrupted',
  'other-engine',
]);
export type EventCode = z.infer<typeof EventCodeSchema>;

export const EngineEventSchema = z.object({
  id: z.number(),
  at: z.number(),
  level: z.enum(['info', 'warn', 'error']),
  kind: EventKindSchema,
  message: z.string(),
  queue: z.string().optional(),
  resource: z.string().optional(),
  instanceIds: z.array(z.string()).optional(),
  count: z.number().optional(),
  /**
   * On a launch (or a failed one) with no task pending, and on the decision that plans it: the tasks a periodic
   * queue is expected to enqueue soon, which the launch starts machines ahead of (a pre-warm).
   */
  prewarm: z.number().optional(),
  /** On a failed launch that EC2 refused: the kind of error (absent: no EC2 answer to classify, e.g. no script). */
  cause: LaunchFailureCauseSchema.optional(),
  /** Set on changes someone asked for (the audit trail); absent on the engine's own decisions. */
  actor: ActorSchema.optional(),
  /**
   * A short form of `message` for a desktop notification, when the message is too long for one (a credentials
   * refusal): the cause, what to do and what happens next. The event log shows `message`.
   */
  summary: z.string().optional(),
  /** See `EventCodeSchema`; absent: the kind says all a reader decides from. */
  code: EventCodeSchema.optional(),
  /**
   * On a refusal that stops launches: how long after the event one launch is tried again. Its `summary` leaves the
   * wait out, so a notification shown later (after a quiet time) counts it from when it is shown.
   */
  retryInMs: z.number().optional(),
});
export type EngineEvent = z.infer<typeof EngineEventSchema>;

export const CostPointSchema = z.object({ at: z.number(), burnPerHour: z.number() });

export const CostSummarySchema = z.object({
  burnPerHour: z.number(),
  spendToday: z.number(),
  projectedMonth: z.number(),
  byQueue: z.record(z.string(), z.number()),
  byResource: z.record(z.string(), z.number()),
  spotPerHour: z.number(),
  onDemandPerHour: z.number(),
  /** Where the prices come from, in words: "bundled table from 2026-11-01". */
  priceSource: z.string(),
  history: z.array(CostPointSchema),
  // From the cost history (present when the host keeps one): spend this UTC month, attributed.
  monthToDate: z.number().optional(),
  spendByQueue: z.record(z.string(), z.number()).optional(),
  spendByResource: z.record(z.string(), z.number()).optional(),
  byTask: z
    .array(z.object({ taskId: z.string(), name: z.string().optional(), queue: z.string(), cost: z.number() }))
    .optional(),
  /** Boot and idle time, the price of keeping a queue served, shown apart from task cost. */
  overheadByQueue: z.record(z.string(), z.object({ boot: z.number(), idle: z.number() })).optional(),
  spotSavings: z.number().optional(),
  budgets: z.array(CapStatusSchema).optional(),
});
export type CostSummary = z.infer<typeof CostSummarySchema>;

/** A worker of our prefix on an instance without our tags (launched by ClearML's autoscaler): adoptable. */
export const AdoptableViewSchema = z.object({
  instanceId: z.string(),
  workerId: z.string(),
  resource: z.string(),
  instanceType: z.string(),
  queue: z.string().nullable(),
  busy: z.boolean(),
  /** The instance's own Name tag. */
  name: z.string().nullable(),
  /** Why it cannot be adopted as it is; null when it can. */
  blocker: z.string().nullable(),
  /**
   * True: the instance is shown not to be an autoscaler's (its type or startup script says its worker does not run
   * there: a stranger's host whose id a worker name carries). Never counted or billed as ClearML's. Absent: false, or
   * an engine from before the field, which does not say.
   */
  notAutoscalers: z.boolean().optional(),
  /** Pending or running: billed, and nothing of this app's terminates it until adopted. */
  live: z.boolean().optional(),
  /** Its price per hour (as this app's instances are priced), for what keeps running unadopted. */
  hourlyPrice: z.number().optional(),
});
export type AdoptableView = z.infer<typeof AdoptableViewSchema>;

type ForeignPrice = Pick<AdoptableView, 'live' | 'hourlyPrice'>;
type ForeignRow = ForeignPrice & Pick<AdoptableView, 'notAutoscalers'>;

/** The rows of instances that may be ClearML's autoscaler's: all but those shown to be a stranger's. */
export function fromAutoscaler<T extends ForeignRow>(adoptable: readonly T[] | undefined): T[] {
  return (adoptable ?? []).filter((a) => a.notAutoscalers !== true);
}

/**
 * ClearML's autoscaler's instances not adopted that still bill (pending or running; an engine that does not say
 * counts as running): left out of this app's counts and burn, and terminated by nothing until adopted. The one
 * filter the headless line and summary, the quit question and the Overview's adoption card share. A stranger's
 * instance is not among them: it bills its owner, not this switch-over, and adopting would never end it.
 */
export function foreignRunning<T extends ForeignRow>(adoptable: readonly T[] | undefined): T[] {
  return fromAutoscaler(adoptable).filter((a) => a.live !== false);
}

/** What those bill an hour together, and whether every price was known (an unknown one adds nothing). */
export function foreignBurn(foreign: readonly ForeignPrice[]): { perHour: number; allPriced: boolean } {
  return {
    perHour: foreign.reduce((sum, a) => sum + (a.hourlyPrice ?? 0), 0),
    allPriced: foreign.every((a) => a.hourlyPrice !== undefined),
  };
}

export const SnapshotSchema = z.object({
  rev: z.number(),
  enabled: z.boolean(),
  status: EngineStatusSchema,
  /** Human text for the status; for `error` it says what to do. */
  statusReason: z.string().nullable(),
  /** With an `error` status: where the user fixes it, in the order the reason names them (empty: nowhere to go). */
  statusFix: z.array(StatusFixSchema).optional(),
  /**
   * A one-line form of `statusReason` for the tray, when the reason is too long for a tooltip (a credentials
   * refusal); absent or null: the reason is short enough, or has none.
   */
  statusSummary: z.string().nullable().optional(),
  dryRun: z.boolean(),
  demo: z.boolean(),
  launchesPaused: z.boolean(),
  lastTickAt: z.number().nullable(),
  lastTickOkAt: z.number().nullable(),
  queues: z.array(QueueViewSchema),
  instances: z.array(InstanceViewSchema),
  events: z.array(EngineEventSchema),
  costs: CostSummarySchema,
  /** Instances from ClearML's autoscaler whose workers count as capacity, offered for adoption. */
  adoptable: z.array(AdoptableViewSchema).optional(),
  /** Team mode: which engine acts for this account, region and prefix (absent: an engine without team mode). */
  leadership: LeadershipViewSchema.nullable().optional(),
  /**
   * Set only by an app attached to a team engine (never by an engine): where the snapshot comes from, who this
   * app is there, and the connection as the user should see it.
   */
  remote: z
    .object({
      url: z.string(),
      /** Known once connected (the server says who the token belongs to). */
      actor: z.object({ name: z.string(), role: TeamRoleSchema }).nullable(),
      state: z.enum(['connecting', 'connected', 'disconnected']),
      /** ms epoch the state began. */
      since: z.number(),
      /** ms epoch of the next attempt while disconnected; null when not retrying (refused for good). */
      retryAt: z.number().nullable(),
      lastError: z.string().nullable(),
    })
    .optional(),
});
export type Snapshot = z.infer<typeof SnapshotSchema>;

/** Tasks waiting in the configured queues, all queues together. */
export function pendingTasks(s: Pick<Snapshot, 'queues'>): number {
  return s.queues.reduce((n, q) => n + q.pending, 0);
}

/**
 * Whether the snapshot's queue figures (pending tasks, oldest wait, workers) are ClearML's answer at the last
 * poll. They are not when ClearML was never read or the last poll failed (ClearML or EC2 unreadable: the engine
 * stamps `lastTickOkAt` only on a poll that read ClearML), and then the snapshot holds zeros that are not counts:
 * every surface (window, tray, terminal) shows them as unknown rather than as "nothing waits".
 */
export function queuesKnown(s: Pick<Snapshot, 'lastTickAt' | 'lastTickOkAt'>): boolean {
  return s.lastTickOkAt !== null && (s.lastTickAt === null || s.lastTickAt <= s.lastTickOkAt);
}

export function emptyCosts(priceSource = 'no prices yet'): CostSummary {
  return {
    burnPerHour: 0,
    spendToday: 0,
    projectedMonth: 0,
    byQueue: {},
    byResource: {},
    spotPerHour: 0,
    onDemandPerHour: 0,
    priceSource,
    history: [],
  };
}

export function emptySnapshot(): Snapshot {
  return {
    rev: 0,
    enabled: false,
    status: 'off',
    statusReason: null,
    dryRun: false,
    demo: false,
    launchesPaused: false,
    lastTickAt: null,
    lastTickOkAt: null,
    queues: [],
    instances: [],
    events: [],
    costs: emptyCosts(),
  };
}
