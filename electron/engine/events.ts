/**
 * Every event the engine logs, as a typed constructor: a code and its data in, the fields of an `EngineEvent`
 * out (the shape the UI, the notifier and the CLI consume). The human text of each event is written here and
 * only here, so a wording change is one edit and a controller never formats a message itself.
 */
import type { EngineEvent, EventCode, LaunchFailureCause } from '../../shared/domain.js';
import { errorText } from '../../shared/error-text.js';
import { formatUsd } from '../../shared/budget.js';
import { clip, plural, sentence } from '../../shared/words.js';
import { ClearmlError, Ec2Error } from './ports.js';
import type { Resumed } from './policy/warm-memory.js';
import { formatMinutes } from './reasons.js';
import type { AwayReport } from './away.js';
import type { AuthBlock, AuthPass } from './controllers/auth.js';
import type { LaunchMarginHold } from './team/lease-decision.js';
import type { OnDemandReason } from './ec2/why-on-demand.js';
import type { InterruptionGroup } from './controllers/spot-interrupted.js';
import type { SpotAbove } from './controllers/spot-above-on-demand.js';
import { STOPPED_GRACE_MS } from './policy.js';

/** An event before the log gives it an id and a time. */
export type NewEvent = Omit<EngineEvent, 'id' | 'at'>;

const AUTH_PASS_TEXT: Record<AuthPass, string> = {
  'ec2-read': 'EC2 answered a signed call',
  launch: 'a launch went through',
  terminate: 'a termination went through',
  'aws-test': 'Test connection passed',
  'clearml-test': 'Test connection passed',
};

/** A clock offset in words: '3 min', '2 h 5 min', '1 d 0 h'. */
function formatSkew(ms: number): string {
  const min = Math.round(ms / 60_000);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return `${h} h ${min % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/**
 * The code of an event about a failed call, from the error: keys refused or absent are told as such (a permission
 * refused on one call, such as ec2:CreateTags, is a credentials problem though every other call works).
 */
export function credentialsCode(e: unknown): { code?: EventCode } {
  if (e instanceof Ec2Error && e.kind === 'auth')
    return {
      code:
        e.code === 'CredentialsProviderError' || e.code === 'TokenProviderError'
          ? 'credentials-missing'
          : 'credentials-refused',
    };
  if (e instanceof ClearmlError && e.kind === 'auth')
    // No status: none were set, so none were sent (client.ts); 401/20: the server received none.
    return {
      code:
        e.status === undefined || (e.status === 401 && e.subcode === 20)
          ? 'credentials-missing'
          : 'credentials-refused',
    };
  return {};
}

/** About four lines of some 50 characters: what a Windows toast or a macOS alert shows before it cuts a body. */
const NOTICE_CHARS = 200;

/** A launch of a spot resource that ran on-demand (`whyOnDemand`). */
export interface OnDemandLaunch {
  instanceId: string;
  why: OnDemandReason;
}

/** Why the reason's launches are on-demand and when spot comes back, in words. */
function onDemandCause(r: OnDemandReason, now: number): string {
  if (r.code === 'spot-lost') return 'replacing a task lost to a spot interruption (later launches are spot again)';
  const again =
    r.spotAgainAt === null || r.spotAgainAt <= now
      ? 'spot is tried again at the next launch'
      : `spot is tried again in ${formatMinutes((r.spotAgainAt - now) / 1000)}`;
  return r.kind === 'spot-role'
    ? `spot launches are refused (the account lacks the AWSServiceRoleForEC2Spot role); ${again}`
    : `no spot capacity in any configured placement; ${again}`;
}

/** "; on-demand, not spot: …" for the launches of a spot resource that ran on-demand, grouped by cause; "" for none. */
export function onDemandText(launches: readonly OnDemandLaunch[], launched: number, now: number): string {
  const byCause = new Map<string, string[]>();
  for (const l of launches) {
    const cause = onDemandCause(l.why, now);
    byCause.set(cause, [...(byCause.get(cause) ?? []), l.instanceId]);
  }
  return [...byCause]
    .map(
      ([cause, ids]) =>
        `; ${ids.length === launched ? 'on-demand' : `${ids.join(', ')} on-demand`}, not spot: ${cause}`,
    )
    .join('');
}

export const ev = {
  /** A poll far later than asked (awayReport): how long, and what ended meanwhile. */
  away: (r: AwayReport, lease: { leaseMin: number; graceMin: number } | null): NewEvent => {
    const span = `${new Date(r.from).toISOString()} to ${new Date(r.to).toISOString()}`;
    const head =
      `the engine did not poll for ${formatMinutes((r.to - r.from) / 1000)} (${span}): this computer slept, ` +
      'the process was paused, or the clock jumped; nothing was launched, terminated or renewed meanwhile';
    if (!r.ended.length) return { level: 'info', kind: 'engine', message: `${head}.` };
    const ids = r.ended.map((e) => e.instanceId);
    const shown = ids.length > 5 ? `${ids.slice(0, 5).join(', ')} and ${ids.length - 5} more` : ids.join(', ');
    const idle = r.ended.filter((e) => e.wasIdle).length;
    const why =
      idle && lease
        ? `: an idle instance powers itself off once its lease has run out (${lease.leaseMin} min + ${lease.graceMin} min grace)`
        : '';
    return {
      level: 'warn',
      kind: 'engine',
      instanceIds: ids,
      message: `${head}. Meanwhile ${plural(ids.length, 'instance')} ended without this engine (${shown})${why}.`,
    };
  },
  // The run state restored at start (service/run-state.ts).
  resumedAtStart: (s: { launchesPaused: boolean; pausedQueues: readonly string[] }): NewEvent => ({
    level: 'info',
    kind: 'engine',
    message:
      'autoscaling on again at start: it was on when the app last stopped' +
      (s.launchesPaused ? '; new launches stay paused' : '') +
      (s.pausedQueues.length === 1 ? `; queue '${s.pausedQueues[0]}' stays paused` : '') +
      (s.pausedQueues.length > 1 ? `; queues ${s.pausedQueues.map((q) => `'${q}'`).join(', ')} stay paused` : ''),
  }),
  // What the keep-warm rule learnt before a restart, taken back (policy/warm-memory.ts).
  warmMemoryResumed: (r: Resumed & { taken: 'all' | 'times' }): NewEvent => {
    const times = `${plural(r.boots, 'boot time')}, ${plural(r.durations, 'task duration')}`;
    return {
      level: 'info',
      kind: 'engine',
      message:
        r.taken === 'all'
          ? `the keep-warm rule goes on with what it learnt before the restart (${plural(r.queues, 'queue')}; ${times})`
          : `the keep-warm rule takes back the ${times} it learnt before; the app was off for ${formatMinutes(r.gapSec)}, so when tasks arrive is learnt again`,
    };
  },
  offAtStart: (): NewEvent => ({
    level: 'info',
    kind: 'engine',
    message:
      'autoscaling stays off at start, as set in App preferences ("When the app starts"), though it was on when the app last stopped',
  }),
  // Team mode (controllers/leadership.ts).
  leadershipGained: (table: string): NewEvent => ({
    level: 'warn',
    kind: 'team',
    message: `this engine now leads (lease in '${table}'): it launches, terminates and renews for the team`,
  }),
  leadershipLost: (to: { engineId: string; host: string } | null, leaseMs: number): NewEvent => ({
    level: 'warn',
    kind: 'team',
    message: to
      ? `leadership lost to ${to.host} (${to.engineId}): this engine now stands by and only observes`
      : `leadership lost: the lease could not be renewed for ${Math.round(leaseMs / 1000)} s, so this engine stops acting until it holds it again`,
  }),
  standingBy: (leader: { engineId: string; host: string }, takeoverSec: number): NewEvent => ({
    level: 'info',
    kind: 'team',
    message: `standing by: ${leader.host} (${leader.engineId}) leads; this engine takes over if it stops renewing for ${takeoverSec} s`,
  }),
  leaseUnavailable: (table: string, why: string): NewEvent => ({
    level: 'error',
    kind: 'team',
    message: `leader lease in '${table}' unavailable: ${why}`,
  }),
  leaseBack: (table: string): NewEvent => ({
    level: 'info',
    kind: 'team',
    message: `leader lease in '${table}' reachable again`,
  }),
  otherEngine: (
    others: readonly { engineId: string; host: string }[],
    identityReset: 'unreadable' | 'missing' | null = null,
  ): NewEvent => ({
    level: 'error',
    kind: 'team',
    code: 'other-engine',
    message:
      `another engine acts on this workers prefix (${others.map((o) => `${o.host}, ${o.engineId}`).join('; ')}): this engine holds (nothing launched, terminated or renewed) until you decide: "this engine acts" or "stand by" (a lease table, team.leaseTable, decides this automatically)` +
      (identityReset
        ? `. This data folder's identity was reset at start (team.json ${identityReset === 'missing' ? 'was missing' : 'could not be read'}): if no other autoscaler runs on this host with this workers prefix, that engine is this one before the reset, so answer "this engine acts"`
        : ''),
  }),
  teamIdentity: (message: string): NewEvent => ({ level: 'warn', kind: 'team', message }),
  standingByDecided: (other: { engineId: string; host: string } | null): NewEvent => ({
    level: 'info',
    kind: 'team',
    message: `standing by as you decided${other ? ` (${other.host} acts)` : ''}: this engine only observes`,
  }),
  actingAgain: (why: 'alone' | 'decided-act'): NewEvent => ({
    level: 'info',
    kind: 'team',
    message:
      why === 'alone' ? 'no other engine seen any more: this engine acts again' : 'this engine acts, as you decided',
  }),
  /** `failure`: what the call threw, for the event's code. */
  connectionDown: (message: string, failure: unknown): NewEvent => ({
    level: 'error',
    kind: 'error',
    message,
    ...credentialsCode(failure),
  }),
  connectionBack: (message: string): NewEvent => ({ level: 'info', kind: 'engine', message }),
  /** `instanceCap`: an instance cap left tasks unlaunched (told as a reached cap, from the code, not the words). */
  decision: (queue: string, text: string, instanceCap = false): NewEvent => ({
    level: 'info',
    kind: 'decision',
    queue,
    message: text,
    ...(instanceCap ? { code: 'instance-cap' as const } : {}),
  }),
  dryRun: (action: string): NewEvent => ({ level: 'info', kind: 'decision', message: `dry run: would ${action}` }),
  // This machine's clock against AWS's (aws-clock.ts); offsetMs is AWS's minus ours.
  clockSkew: (offsetMs: number): NewEvent => ({
    level: 'warn',
    kind: 'engine',
    message: `this computer's clock is ${formatSkew(Math.abs(offsetMs))} ${offsetMs < 0 ? 'ahead of' : 'behind'} AWS's; instance ages, leases and costs are corrected by it; fix the clock (turn on automatic time, NTP)`,
  }),
  leaseRenewalFailed: (e: unknown): NewEvent => ({
    level: 'warn',
    kind: 'error',
    message: `lease renewal failed: ${errorText(e)}`,
    ...credentialsCode(e),
  }),
  costHistoryUnwritable: (e: unknown, waiting: number): NewEvent => ({
    level: 'warn',
    kind: 'error',
    message:
      `the cost history could not be written: ${errorText(e)}; ` +
      `${waiting === 1 ? '1 record waits' : `${waiting} records wait`} in memory and will be written once it can be ` +
      '(check the free disk space in the data folder)',
  }),
  costHistoryWrittenAgain: (): NewEvent => ({
    level: 'info',
    kind: 'engine',
    message: 'the cost history is written again: the records that waited are on disk',
  }),
  budgetCrossing: (c: { level: EngineEvent['level']; message: string; cap: string }): NewEvent => ({
    level: c.level,
    kind: 'budget',
    message: c.message,
    ...(c.cap.startsWith('queues.') ? { queue: c.cap.split('.')[1] } : {}),
  }),
  lostTasksUncheckable: (e: unknown): NewEvent => ({
    level: 'warn',
    kind: 'error',
    message: `lost instances' tasks could not be checked, retrying next tick: ${errorText(e)}`,
    ...credentialsCode(e),
  }),
  lostInstancesUnconfirmed: (ids: readonly string[], e: unknown): NewEvent => ({
    level: 'warn',
    kind: 'error',
    instanceIds: [...ids],
    message: `busy instances missing from EC2's listing (${ids.join(', ')}) could not be looked up by id, so their tasks are left alone; retrying next tick: ${errorText(e)}`,
    ...credentialsCode(e),
  }),
  listingLostEveryBusy: (count: number): NewEvent => ({
    level: 'warn',
    kind: 'engine',
    message: `EC2's listing left out every busy instance of ours (${count}) at once: suspect (a proxy, a truncated reply, a changed prefix tag); each is looked up by id before its task is requeued`,
  }),
  unlistedStillRunning: (ids: readonly string[]): NewEvent => ({
    level: 'warn',
    kind: 'engine',
    instanceIds: [...ids],
    message: `${plural(ids.length, 'busy instance')} missing from EC2's listing ${ids.length === 1 ? 'is' : 'are'} still running by id (${ids.join(', ')}): ${ids.length === 1 ? 'its task was' : 'their tasks were'} left alone`,
  }),
  droppedTasksUncheckable: (e: unknown, retryInSec: number): NewEvent => ({
    level: 'warn',
    kind: 'error',
    message: `running tasks could not be checked for workers ClearML no longer lists, retrying in ${Math.round(retryInSec)} s: ${errorText(e)}`,
    ...credentialsCode(e),
  }),
  stoppedOutside: (s: { instanceId: string; queue: string; graceSec: number }): NewEvent => ({
    level: 'warn',
    kind: 'engine',
    code: 'stopped-outside',
    ...(s.queue ? { queue: s.queue } : {}),
    instanceIds: [s.instanceId],
    message:
      `instance ${s.instanceId}${s.queue ? ` on '${s.queue}'` : ''} was stopped outside the app: its disks are still billed; ` +
      (s.graceSec > 0
        ? `it will be terminated in ${formatMinutes(s.graceSec)} unless started again`
        : `it was stopped over ${formatMinutes(STOPPED_GRACE_MS / 1000)} ago, so it is terminated now`),
  }),
  spotAboveOnDemand: (a: SpotAbove): NewEvent => ({
    level: 'warn',
    kind: 'engine',
    resource: a.resource,
    message:
      `spot price of ${a.resource} (${a.instanceType}) is ${formatUsd(a.spot)}/h${a.zone ? ` in ${a.zone}` : ''}, ` +
      `above its on-demand price of ${formatUsd(a.onDemand)}/h: with no maximum price set, AWS's maximum is the ` +
      `on-demand price, so its spot launches may be refused or interrupted soon; set its market to on-demand, or ` +
      `another instance type or zone`,
  }),
  spotInterrupted: (g: InterruptionGroup): NewEvent => {
    const n = g.instanceIds.length;
    const on = g.queue ? ` on '${g.queue}'` : '';
    const allFree = g.freeIds.length === n;
    const free = !g.freeIds.length
      ? ''
      : allFree
        ? `; not charged: ${n === 1 ? 'it was' : 'they were'} taken back within the first hour`
        : `; not charged for ${g.freeIds.join(', ')}: taken back within the first hour`;
    return {
      level: 'warn',
      kind: 'engine',
      code: 'spot-interrupted',
      ...(g.queue ? { queue: g.queue } : {}),
      instanceIds: [...g.instanceIds],
      message:
        `AWS took back ${plural(n, 'spot instance')}${on} (${g.instanceIds.join(', ')}): a spot interruption, ` +
        `not the app${free}. ${n === 1 ? 'Its worker is' : 'Their workers are'} unregistered` +
        (g.queue ? `; a new instance is launched when a task waits on '${g.queue}'` : ''),
    };
  },
  requeued: (r: { queue: string; instanceId: string; taskId: string; why: string }): NewEvent => ({
    level: 'warn',
    kind: 'requeue',
    queue: r.queue,
    instanceIds: [r.instanceId],
    message: `task ${r.taskId} returned to '${r.queue}': ${r.why}`,
  }),
  requeueFailed: (r: { queue: string; taskId: string; why: string }, e: unknown): NewEvent => ({
    level: 'error',
    kind: 'error',
    queue: r.queue,
    message: `could not requeue task ${r.taskId} (${r.why}): ${errorText(e)}`,
    ...credentialsCode(e),
  }),
  leftToFinish: (o: { server: string; instanceIds: string[]; leases: boolean }): NewEvent => ({
    level: 'warn',
    kind: 'orphan',
    instanceIds: o.instanceIds,
    message:
      `${plural(o.instanceIds.length, 'instance')} launched for ClearML server ${o.server}, not this config's ` +
      `(${o.instanceIds.join(', ')}): ${o.instanceIds.length === 1 ? 'its' : 'their'} work there cannot be seen from here, so ` +
      (o.leases
        ? 'nothing is terminated; leases are not renewed, so each stops once idle after its lease ends (terminate one in Instances to stop it sooner)'
        : 'nothing is terminated and leases are off: terminate them in Instances once their work there is done'),
  }),
  leftBehind: (o: { region: string; prefix: string; leases: boolean; instanceIds: string[] }): NewEvent => {
    const one = o.instanceIds.length === 1;
    const [it, each, runs] = one ? ['it', 'it', 'runs'] : ['them', 'each', 'run'];
    return {
      level: 'warn',
      kind: 'orphan',
      instanceIds: o.instanceIds,
      message:
        `${plural(o.instanceIds.length, 'instance')} of the previous config still ${runs} in ${o.region} under workers ` +
        `prefix '${o.prefix}' (${o.instanceIds.join(', ')}): this config no longer sees ${it}; ` +
        (o.leases
          ? `${each} powers off once idle after its lease ends`
          : `leases are off, so ${each} runs until terminated`) +
        `, and Stop everything terminates ${it} now`,
    };
  },
  leftBehindUnknown: (o: { region: string; prefix: string }, e: unknown): NewEvent => ({
    level: 'warn',
    kind: 'error',
    message: `could not list what the previous config left running in ${o.region} under workers prefix '${o.prefix}' (${errorText(e)}); Stop everything still sweeps there`,
    ...credentialsCode(e),
  }),
  serverTagFailed: (server: string, count: number, e: unknown): NewEvent => ({
    level: 'warn',
    kind: 'error',
    message: `could not tag ${plural(count, 'instance')} as working for ClearML server ${server} (${errorText(e)}); the next tick tries again`,
    ...credentialsCode(e),
  }),
  orphanMarked: (instanceId: string, reason: string): NewEvent => ({
    level: 'warn',
    kind: 'orphan',
    instanceIds: [instanceId],
    message: `${reason}; it will be terminated on a later tick if still unexplained`,
  }),
  terminated: (t: { queue: string; idle: boolean; instanceIds: string[]; reason: string }): NewEvent => ({
    level: t.idle ? 'info' : 'warn',
    kind: 'terminate',
    queue: t.queue,
    count: t.instanceIds.length,
    instanceIds: t.instanceIds,
    message: `terminated ${plural(t.instanceIds.length, 'instance')} on '${t.queue}': ${t.reason}`,
  }),
  terminatedOnRequest: (instanceIds: string[], reason: string): NewEvent => ({
    level: 'info',
    kind: 'terminate',
    count: instanceIds.length,
    instanceIds,
    message: `terminated ${plural(instanceIds.length, 'instance')}: ${reason}`,
  }),
  /**
   * EC2 refused TerminateInstances. The log keeps the whole answer; a notification shows about four lines, so the
   * event's `summary` says which instances still bill and why in under 200 characters.
   */
  terminateFailed: (instanceIds: string[], e: unknown): NewEvent => {
    const more = instanceIds.length > 1 ? ` and ${instanceIds.length - 1} more` : '';
    const head = `EC2 refused to terminate ${instanceIds[0] ?? ''}${more} (still billing): `;
    return {
      level: 'error',
      kind: 'error',
      message: `terminating ${instanceIds.join(', ')} failed: ${errorText(e)}`,
      instanceIds,
      code: credentialsCode(e).code ?? 'terminate-failed',
      summary: sentence(head + clip(errorText(e), NOTICE_CHARS - 1 - head.length)),
    };
  },
  unregistered: (workerId: string, reason: string): NewEvent => ({
    level: 'info',
    kind: 'unregister',
    message: `unregistered worker ${workerId}: ${reason}`,
  }),
  launched: (l: {
    queue: string;
    resource: string;
    instanceType: string;
    ids: string[];
    why: string;
    prewarm?: number;
    /** Launches of a spot resource that ran on-demand, and why (said, with when spot comes back). */
    onDemand?: readonly OnDemandLaunch[];
    now?: number;
  }): NewEvent => ({
    level: 'info',
    kind: 'launch',
    queue: l.queue,
    resource: l.resource,
    count: l.ids.length,
    instanceIds: l.ids,
    ...(l.prewarm ? { prewarm: l.prewarm } : {}),
    message:
      `launched ${l.ids.length} × ${l.instanceType} on '${l.queue}' (${l.ids.join(', ')}): ${l.why}` +
      onDemandText(l.onDemand ?? [], l.ids.length, l.now ?? 0),
  }),
  launchHeldForLease: (queue: string, resource: string, count: number, hold: LaunchMarginHold): NewEvent => ({
    level: 'warn',
    kind: 'team',
    queue,
    resource,
    message: `${plural(count, 'launch', 'launches')} for '${queue}' wait for the next tick: one sent now may take up to ${Math.round(hold.callMs / 1000)} s to be answered, and a standby may take the leader lease over before then (this engine renews it first)`,
  }),
  /** The notifier tells this one as "credentials accepted again" (by its code). */
  authRecovered: (b: AuthBlock, pass: AuthPass, now: number): NewEvent => ({
    level: 'info',
    kind: 'engine',
    code: 'credentials-back',
    message: `${b.service === 'aws' ? 'AWS' : 'ClearML'} accepts the credentials again (${b.code} no longer): ${AUTH_PASS_TEXT[pass]} after ${formatMinutes((now - b.since) / 1000)} refused; launches resume`,
  }),
  launchFailed: (
    queue: string,
    resource: string,
    message: string,
    prewarm?: number,
    more: { cause?: LaunchFailureCause; code?: EventCode; summary?: string; retryInMs?: number } = {},
  ): NewEvent => ({
    level: 'error',
    kind: 'launch-failed',
    queue,
    resource,
    ...(prewarm ? { prewarm } : {}),
    ...(more.cause ? { cause: more.cause } : {}),
    message,
    ...(more.code ? { code: more.code } : {}),
    ...(more.summary ? { summary: more.summary } : {}),
    ...(more.retryInMs !== undefined ? { retryInMs: more.retryInMs } : {}),
  }),
};
