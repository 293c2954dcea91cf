/**
 * Publish: turns one tick's plan into the snapshot the main store holds (queues, instances, events, costs), and
 * works out the engine status shown in the tray. It remembers each queue's last decision worth showing and the
 * burn-rate history the cost chart draws.
 */
import type { CapStatus } from '../../../shared/budget.js';
import type { Config } from '../../../shared/config.js';
import type { AdoptableView, EngineEvent, EngineStatus, StatusFix } from '../../../shared/domain.js';
import { leadershipText, type LeadershipView } from '../../../shared/team.js';
import { utcTimeOfDay } from '../../../shared/words.js';
import type { CostTracker } from '../cost/tracker.js';
import { refusalRetryText, type LaunchRefusal } from './launch.js';
import type { InFlightLaunch, Plan } from '../policy.js';
import { renderDecision, type LaunchHold } from '../reasons.js';
import { buildSnapshotViews, type PriceLookup } from '../snapshot.js';
import { publish, type MainStore } from '../store.js';
import { hoursLeftInMonth, SpendEstimate } from './costs.js';

const HISTORY_POINTS = 720;

/** HH:MM in the host's time zone (status text read on that host). */
const EVENTS_SHOWN = 200;

export interface PublishInput {
  /** The tick's time: AWS's (aws-clock.ts), what instance ages and spend are measured in. */
  now: number;
  /**
   * This machine's clock at the tick (default `now`): `lastTickAt`, which the window and the timeline compare with
   * this machine's clock ("last poll 5 s ago").
   */
  tickAt?: number;
  config: Config;
  plan: Plan | null;
  status: EngineStatus;
  statusReason: string | null;
  statusFix?: StatusFix[];
  /** The tray's one-line form of the reason, when the reason is too long for it. */
  statusSummary?: string | null;
  caps?: CapStatus[];
  launchesPaused: boolean;
  pausedQueues: ReadonlySet<string>;
  lastTickOkAt: number | null;
  events: EngineEvent[];
  costs: CostTracker | undefined;
  /** Instances ClearML's autoscaler launched that the user may adopt. */
  adoptable: AdoptableView[];
  /** Team mode: which engine acts (null: an engine without team mode). */
  leadership?: LeadershipView | null;
  /** Why the plan's launches were not carried out this tick (autoscaling off, dry run, standby); absent: they were. */
  held?: LaunchHold;
  /** This engine's launches EC2 may not list yet (shown as booting until it does). */
  launching?: readonly InFlightLaunch[];
  /** Instances stopped outside the app, since when (controllers/stopped.ts): their rows say when they end. */
  stoppedSince?: ReadonlyMap<string, number>;
}

export interface TickStatus {
  status: EngineStatus;
  statusReason: string | null;
  /** With an error: where the user fixes it (absent: nowhere to go). */
  statusFix?: StatusFix[];
  /** The tray's one-line form of the reason (absent: the reason is short enough). */
  statusSummary?: string;
}

/** The status of a tick that observed EC2 (a failed EC2 read publishes 'error' directly). */
export function tickStatus(t: {
  acting: boolean;
  /** Team mode: autoscaling is on but another engine acts (standby, or a conflict waiting for the user). */
  standby?: LeadershipView | null;
  authBlocked: string | null;
  /** The one-line form of `authBlocked`, for the tray. */
  authSummary?: string | null;
  clearmlOk: boolean;
  launchesPaused: boolean;
  busy: boolean;
  firstError: string | null;
  /** Resources whose launches EC2 refuses for their configuration (a wrong AMI, subnet, …): named in the status. */
  refusals?: readonly LaunchRefusal[];
  /** Where the connection problems of this tick are fixed (ClearML's first). */
  connectionFix?: readonly StatusFix[];
}): TickStatus {
  if (t.standby) {
    // In UTC, said: this one text reaches the headless log (whose rows are UTC) and team viewers in other zones, so
    // the engine host's own zone would be a third, unsaid one. The dashboard's banner words it in the viewer's.
    const text = leadershipText(t.standby, utcTimeOfDay);
    return {
      status: t.standby.role === 'conflict' || t.standby.role === 'unknown' ? 'error' : 'watching',
      statusReason: text,
    };
  }
  const status: EngineStatus = !t.acting
    ? 'off'
    : t.authBlocked
      ? 'error'
      : !t.clearmlOk
        ? 'error'
        : t.launchesPaused
          ? 'paused'
          : t.busy
            ? 'scaling'
            : 'watching';
  const statusReason = !t.acting
    ? 'Autoscaling is off: nothing is launched or terminated.'
    : (t.authBlocked ?? (t.clearmlOk ? refusalText(t.refusals ?? []) : t.firstError));
  // Launches refused for want of permission are fixed with the AWS keys (or their IAM policy).
  const statusFix: StatusFix[] =
    status !== 'error' ? [] : t.authBlocked ? ['credentials'] : (t.connectionFix ?? []).slice(0, 1);
  const statusSummary = t.acting && t.authBlocked && t.authSummary ? t.authSummary : null;
  return {
    status,
    statusReason,
    ...(statusFix.length ? { statusFix } : {}),
    ...(statusSummary ? { statusSummary } : {}),
  };
}

/**
 * The status while launches of a resource keep being refused for its configuration (or its spot launches for a
 * missing Spot service-linked role): otherwise the status says
 * "watching" with no reason while a queue cannot use its first resource, and only the event log tells why.
 */
function refusalText(refusals: readonly LaunchRefusal[]): string | null {
  const [first, ...more] = refusals;
  if (!first) return null;
  const others = more.length ? ` (and ${more.length} more: ${more.map((r) => `'${r.resource}'`).join(', ')})` : '';
  const what =
    first.cause === 'spot-role'
      ? `Spot launches of '${first.resource}' for '${first.queue}' are refused${others}`
      : `Launches of '${first.resource}' for '${first.queue}' fail${others}`;
  return `${what}: ${first.message} ${refusalRetryText(first.queue, first.resource)}`;
}

export class Publisher {
  private history: { at: number; burnPerHour: number }[] = [];
  private readonly lastDecisionText = new Map<string, string>();
  private spend = new SpendEstimate();

  constructor(
    private readonly store: MainStore,
    private readonly prices: PriceLookup,
  ) {}

  /**
   * What the publisher before this one showed (a new config of the same world replaced its engine): the burn
   * chart goes on instead of starting empty, each queue keeps its last decision, and today's estimated spend its
   * instances already gone.
   */
  carryFrom(previous: Publisher): void {
    this.history = [...previous.history, ...this.history].slice(-HISTORY_POINTS);
    for (const [queue, text] of previous.lastDecisionText)
      if (!this.lastDecisionText.has(queue)) this.lastDecisionText.set(queue, text);
    this.spend = previous.spend;
  }

  publish(p: PublishInput): void {
    const { now, costs } = p;
    const held = p.held ?? null;
    const views = buildSnapshotViews({
      now,
      config: p.config,
      plan: p.plan,
      pausedQueues: p.pausedQueues,
      prices: this.prices,
      lastDecisions: this.lastDecisionText,
      held,
      ...(p.launching ? { launching: p.launching } : {}),
      // Only a tick that acts terminates a stopped instance: otherwise no row promises when.
      ...(p.stoppedSince && held === null ? { stoppedSince: p.stoppedSince } : {}),
      ...(costs ? { recorded: (id: string) => costs.billed(id, now) } : {}),
    });
    // A launch the tick did not carry out is shown while it is planned, never kept as the queue's last decision:
    // kept, it would still say "autoscaling is off" after autoscaling was turned on.
    for (const d of p.plan?.decisions ?? []) {
      const keep = d.launched > 0 ? held === null : !this.lastDecisionText.has(d.queue);
      if (keep) this.lastDecisionText.set(d.queue, renderDecision(d, held));
    }
    const burn = views.costs.burnPerHour;
    this.history.push({ at: now, burnPerHour: burn });
    if (this.history.length > HISTORY_POINTS) this.history = this.history.slice(-HISTORY_POINTS);
    const extras = p.costs?.extras(p.caps ?? [], now);
    if (!extras) this.spend.account(now, views.instances);
    const spendToday = extras?.spendToday ?? this.spend.amount;
    const monthToDate = extras?.monthToDate ?? spendToday;
    publish(this.store, {
      status: p.status,
      statusReason: p.statusReason,
      statusFix: p.statusFix ?? [],
      statusSummary: p.statusSummary ?? null,
      dryRun: p.config.scaling.dryRun,
      launchesPaused: p.launchesPaused,
      lastTickAt: p.tickAt ?? now,
      lastTickOkAt: p.lastTickOkAt,
      queues: views.queues,
      instances: views.instances,
      events: p.events.slice(-EVENTS_SHOWN),
      costs: {
        ...views.costs,
        ...extras,
        // Without a history the caps are still judged (from what runs) and shown, not dropped from every view.
        ...(!extras && p.caps?.length ? { budgets: p.caps } : {}),
        spendToday,
        // What is known to be spent this month plus the current burn for the rest of it.
        projectedMonth: monthToDate + burn * hoursLeftInMonth(now),
        history: this.history.filter((_, i, all) => all.length < 360 || i % 2 === 0 || i === all.length - 1),
      },
    });
    publish(this.store, { adoptable: p.adoptable, leadership: p.leadership ?? null });
  }

  publishAdoptable(adoptable: AdoptableView[]): void {
    publish(this.store, { adoptable });
  }
}
