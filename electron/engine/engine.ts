/**
 * The reconcile loop: one tick at a time, observe (ClearML and EC2 in parallel) → plan (pure policy) → act →
 * publish a snapshot to the main store. State that matters is derived from EC2 tags and ClearML every tick, so a
 * restarted engine adopts what an earlier run launched; the little it remembers between ticks lives in the
 * controllers under controllers/, each owning its own, and only ever makes it more careful.
 *
 * This file is the composition and the order of a tick, nothing more: what each step does is in its controller.
 */
import type { CapStatus } from '../../shared/budget.js';
import { effectiveLease, type Config } from '../../shared/config.js';
import type { EngineEvent } from '../../shared/domain.js';
import type { CostTracker } from './cost/tracker.js';
import { ev, type NewEvent } from './events.js';
import { plan, type InFlightLaunch, type Plan } from './policy.js';
import { TAG, type ClearmlApi, type Clock, type Ec2Api, type InstanceObs } from './ports.js';
import { isLiveState } from '../../shared/domain.js';
import { normalizeApiHost, worldChanges, worldOf } from '../../shared/config-review.js';
import { renderAction, type LaunchHold } from './reasons.js';
import { serverTagValue } from './launch-request.js';
import type { PriceLookup } from './snapshot.js';
import type { MainStore } from './store.js';
import type { KeptWarm, Resumed } from './policy/warm-memory.js';
import { AdoptionController, type AdoptionResult } from './adoption-controller.js';
import { createMissingQueues } from './queue-setup.js';
import { AuthGate, authBlockSummary, authBlockText, type AuthPass } from './controllers/auth.js';
import { WARN_MS } from './aws-clock.js';
import { ConnectionsController, type Reporting } from './controllers/connections.js';
import { budgetCheck, HistorylessBudgets, historylessText, observeCosts } from './controllers/costs.js';
import { EventLog, logDecisions, SNAPSHOT_EVENTS } from './controllers/event-log.js';
import { IdleTracker } from './controllers/idle.js';
import { WorkerSightings } from './controllers/worker-sightings.js';
import { KeepWarmController } from './controllers/keep-warm.js';
import { gateTick, LeadershipController, type LeadershipPorts } from './controllers/leadership.js';
import { LaunchController, type LaunchPorts } from './controllers/launch.js';
import { renewLeases } from './controllers/lease.js';
import { observe, type Observation } from './controllers/observe.js';
import { instanceIdOfWorker } from './workers.js';
import { Pauses } from './controllers/pauses.js';
import { Publisher, tickStatus, type TickStatus } from './controllers/publish.js';
import { RequeueController } from './controllers/requeue.js';
import { UnlistedLookup } from './controllers/unlisted.js';
import { SpotInterruptions } from './controllers/spot-interrupted.js';
import { SpotAboveWatch } from './controllers/spot-above-on-demand.js';
import { StoppedTracker } from './controllers/stopped.js';
import { TerminateController, type ActContext } from './controllers/terminate.js';

export type { LaunchIntent } from './controllers/launch.js';

export interface EngineDeps extends LaunchPorts {
  config: Config;
  clearml: ClearmlApi;
  ec2: Ec2Api;
  clock: Clock;
  store: MainStore;
  prices: PriceLookup;
  /** Every event, as it happens (headless prints these); with `log`, that log's own listener is told instead. */
  onEvent?: (event: EngineEvent) => void;
  /** The log to write to (the host keeps one across the engines of successive configs); default: a new one. */
  log?: EventLog;
  /** Cost history, budgets and attributed spend; without it the snapshot estimates today's spend in memory. */
  costs?: CostTracker;
  /** How connection problems are worded (app or terminal) and whether the host polls again. */
  reporting?: Reporting;
  /** Team mode (controllers/leadership.ts): the leader lease or, without a table, detection of other engines. */
  team?: LeadershipPorts;
}

export interface TickResult {
  ok: boolean;
  plan: Plan | null;
  /** Why the plan's launches were not carried out (reasons.ts: off, dry run, standby); absent or null: they were. */
  held?: LaunchHold;
  launched: string[];
  terminated: string[];
  errors: string[];
}

export class Engine {
  private readonly config: Config;
  /**
   * Set when this engine replaced one of the same region and prefix that watched another ClearML server: live
   * instances without `TAG.server` (launched before launches named their server) are tagged with that server at
   * the next acting tick, and read as tagged until then, so their workers' absence here does not read as never
   * registered (which would end the tasks they run there).
   */
  private untaggedServer: string | null = null;
  /** What the user paused (the host sets it, and carries it over to the engine of a new config). */
  readonly pauses = new Pauses();
  private lastTickOkAt: number | null = null;
  /** Why the cost history could not be opened, while it cannot (the host retries it). */
  private historyProblem: string | null = null;
  private readonly historyless = new HistorylessBudgets();
  /** This machine's clock at the start of the last tick (`tick`'s `now` is AWS's). */
  private tickAt = 0;

  private readonly log: EventLog;
  private readonly auth = new AuthGate();
  private readonly connections: ConnectionsController;
  private readonly idle = new IdleTracker();
  /** When each worker was last listed and when ClearML could not be read, for the spin-up rule. */
  private readonly sightings = new WorkerSightings();
  private readonly stopped = new StoppedTracker();
  private readonly interruptions = new SpotInterruptions();
  private readonly spotAbove = new SpotAboveWatch();
  private readonly keepWarm: KeepWarmController;
  private readonly launcher: LaunchController;
  private readonly remover: TerminateController;
  private readonly requeue: RequeueController;
  private readonly unlisted: UnlistedLookup;
  private readonly publisher: Publisher;
  private readonly adoption: AdoptionController;
  /** Team mode: the leader lease or detection; the host releases the lease through it. Null outside team mode. */
  readonly leadership: LeadershipController | null;

  constructor(private readonly deps: EngineDeps) {
    this.config = deps.config;
    this.log = deps.log ?? new EventLog(() => deps.clock.now(), deps.onEvent);
    this.connections = new ConnectionsController(deps.reporting);
    this.launcher = new LaunchController(deps, this.auth);
    this.remover = new TerminateController(deps, this.idle, this.auth);
    this.requeue = new RequeueController(deps.clearml, deps.ec2);
    this.unlisted = new UnlistedLookup(deps.ec2);
    this.publisher = new Publisher(deps.store, deps.prices);
    this.keepWarm = new KeepWarmController(deps.prices);
    this.adoption = new AdoptionController({
      ec2: deps.ec2,
      clearml: deps.clearml,
      clock: deps.clock,
      log: this.log,
    });
    this.leadership = deps.team ? new LeadershipController(deps.team, deps.clock) : null;
  }

  /**
   * Takes over what the engine of the previous config learnt by watching, when both watch the same world (the
   * same ClearML server, AWS region and workers prefix): its launches EC2 does not list yet, idle timers, keep-warm
   * memory, capacity cool-downs, what it terminated and saw busy, and its burn chart. Without this a settings save
   * would launch again for a task whose instance EC2 does not list yet, and let a warm idle worker go after the
   * short limit as if idle since an unknown time. The host calls it before this engine's first tick, once the
   * previous engine's last tick is over. Another world's memory is not this one's: false, nothing taken.
   */
  carryFrom(previous: Engine): boolean {
    const [was, now] = [previous.config, this.config];
    const moved = worldChanges(worldOf(was), worldOf(now));
    if (moved.length) {
      // Only the server moved: what runs here was launched for the old one, tagged or not (see tagServers).
      if (moved.length === 1 && moved[0] === 'server') this.untaggedServer = normalizeApiHost(was.clearml.apiHost);
      return false;
    }
    this.idle.carryFrom(previous.idle);
    this.sightings.carryFrom(previous.sightings);
    this.stopped.carryFrom(previous.stopped);
    this.keepWarm.carryFrom(previous.keepWarm);
    this.launcher.carryFrom(
      previous.launcher,
      (r) => JSON.stringify(was.resources[r]) === JSON.stringify(now.resources[r]),
    );
    this.remover.carryFrom(previous.remover);
    this.requeue.carryFrom(previous.requeue);
    this.unlisted.carryFrom(previous.unlisted);
    this.interruptions.carryFrom(previous.interruptions);
    this.spotAbove.carryFrom(previous.spotAbove);
    this.publisher.carryFrom(previous.publisher);
    return true;
  }

  /**
   * After a move to another AWS region or workers prefix, what the engine before left running there, listed once
   * through its own EC2 client and said in the log: this engine no longer sees those instances, so the log keeps
   * the record of what still bills and how it ends. Nothing is said when nothing runs there or the world is the same.
   */
  async sayLeftBehind(previous: Engine): Promise<void> {
    const was = previous.config;
    if (worldChanges(worldOf(was), worldOf(this.config)).every((part) => part === 'server')) return;
    const where = { region: was.aws.region, prefix: was.scaling.workersPrefix, leases: was.lease.enabled };
    try {
      const live = (await previous.deps.ec2.describeInstances(where.prefix)).filter((i) => isLiveState(i.state));
      if (live.length) this.log.emit(ev.leftBehind({ ...where, instanceIds: live.map((i) => i.instanceId) }));
    } catch (e) {
      this.log.emit(ev.leftBehindUnknown(where, e));
    }
  }

  /** What the keep-warm rule learnt, as kept in the data folder across a restart. */
  keptMemory(): KeptWarm {
    return this.keepWarm.kept(worldOf(this.config), this.deps.clock.now());
  }

  /**
   * Takes back what the keep-warm rule learnt before a restart (`keptMemory` of the run before), before this
   * engine's first tick; says what it took in the log.
   */
  resumeMemory(k: KeptWarm): Resumed {
    const r = this.keepWarm.resume(k, worldOf(this.config), this.deps.clock.now());
    if (r.taken === 'all' || (r.taken === 'times' && r.boots + r.durations > 0))
      this.log.emit(ev.warmMemoryResumed({ ...r, taken: r.taken }));
    return r;
  }

  /** The host opens the cost history asynchronously and attaches it before the first tick. */
  attachCosts(tracker: CostTracker): void {
    this.deps.costs = tracker;
    this.historyProblem = null;
  }

  /** Why the host could not open the cost history (which file, what error): the budgets go on without it. */
  costsUnavailable(problem: string): void {
    if (!this.deps.costs) this.historyProblem = problem;
  }

  get hasCosts(): boolean {
    return this.deps.costs !== undefined;
  }

  /**
   * Launches made before this engine existed (recovered from the intent journal after a crash) that EC2 may not
   * list yet: they count as booting, so the same demand is not launched for twice.
   */
  seedInFlight(launches: readonly InFlightLaunch[]): void {
    this.launcher.seedInFlight(launches);
  }

  /** When the engine must tick even with nothing queued or running (a pre-warm is due), else null. */
  get nextWakeAt(): number | null {
    return this.keepWarm.nextPrewarmAt;
  }

  /**
   * AWS's time now: this machine's clock plus the offset read from EC2's answers (aws-clock.ts), as a tick's `now`.
   * Time that passed is measured on it, so a clock step here does not read as hours gone by.
   */
  awsNow(): number {
    return this.deps.clock.now() + (this.deps.ec2.awsClockOffsetMs?.() ?? 0);
  }

  /** Add an event to the log (and to the store at the next publish). */
  emit(e: NewEvent): EngineEvent {
    return this.log.emit(e);
  }

  /**
   * One tick. With `act: false` (autoscaling off) it only observes, records costs and publishes what it sees, so
   * the tray and window stay true about what is still running and billing; nothing is launched, terminated,
   * tagged or requeued.
   */
  async tick(opts: { act?: boolean; launches?: boolean } = {}): Promise<TickResult> {
    const wantsToAct = opts.act ?? true;
    const config = this.config;
    const prefix = config.scaling.workersPrefix;
    const local = (this.tickAt = this.deps.clock.now());
    const result: TickResult = { ok: false, plan: null, launched: [], terminated: [], errors: [] };
    const emit = (e: NewEvent) => void this.log.emit(e);
    const emitOnce = (key: string, e: NewEvent) => this.log.emitOnce(key, e);

    // 1. Observe, once, for every controller.
    const seen = await observe(this.deps, config, local);
    // The tick's time is AWS's (aws-clock.ts): spin-up ages, leases and cost facts are judged by the clock they are
    // written in; a wrong or stepped clock here must not launch, kill or bill.
    const offset = this.deps.ec2.awsClockOffsetMs?.() ?? null;
    const now = local + (offset ?? 0);
    if (seen.ok) seen.obs.now = now;
    this.sayClockSkew(offset, emit);
    const down = this.connections.report(config, { clearml: seen.clearmlFailure, ec2: seen.ec2Failure }, now, emit);
    this.sightings.observe(
      now,
      seen.ok ? seen.obs.clearmlOk : seen.clearmlFailure === null,
      seen.ok ? seen.obs.workers : [],
      seen.ok ? seen.obs.instances : null,
      prefix,
    );
    if (!seen.ok) {
      result.errors.push(...down.problems);
      this.publish(now, null, { status: 'error', statusReason: down.problems.join('; '), statusFix: down.fix });
      return result;
    }
    const obs = seen.obs;
    // EC2 answered a signed call: a refused session or signature (expired, a clock step) may have healed.
    this.authPassed('ec2-read', now);
    const { acting, stamp, standby } = await gateTick(this.leadership, config, obs, wantsToAct, emit);
    const held: LaunchHold = !acting ? (wantsToAct ? 'standby' : 'off') : config.scaling.dryRun ? 'dry-run' : null;
    result.held = held;
    if (down.clearml)
      result.errors.push(`${down.clearml}; holding: nothing is launched or terminated until it answers`);

    await this.tagServers(obs, acting && !config.scaling.dryRun, emitOnce);

    // A configured queue missing on the server is created (as ClearML's autoscaler does), not silently skipped.
    if (obs.clearmlOk && acting && !config.scaling.dryRun)
      obs.queues.push(...(await createMissingQueues(this.deps.clearml, config, obs.queues, emitOnce)));

    // Live last tick, left out of this listing: looked up by id before any memory takes them for gone (unlisted.ts).
    // A busy one is the requeue step's on the ticks it runs.
    const requeueRuns = acting && obs.clearmlOk;
    // Why the instances found ended by id ended (EC2's state reason), for the cost history.
    const endReasons = new Map<string, string>();
    obs.instances.push(
      ...(await this.unlisted.find(
        obs.instances,
        prefix,
        (id) => this.remover.terminatedByUs.has(id) || (requeueRuns && this.requeue.wasBusy(id)),
      )),
    );

    // 2. Memory that follows the observation: idle timers, stranded tasks, expiring launches, costs, keep-warm.
    if (obs.clearmlOk) this.idle.observe(obs, prefix, (id) => this.deps.costs?.lastBusyAt(id) ?? null);
    for (const i of this.unlisted.ended) if (i.stateReasonCode) endReasons.set(i.instanceId, i.stateReasonCode);
    // Ended ones EC2 described this tick, for the interruptions told below (a listing leaves terminated ones out).
    const endedSeen = [...this.unlisted.ended];
    if (requeueRuns) {
      const { spotLosses, unlisted, ended, requeuedFrom } = await this.requeue.run(
        obs,
        prefix,
        this.remover.terminatedByUs,
        emit,
        config.queues,
      );
      for (const queue of spotLosses) this.launcher.grantOnDemandCredit(queue, now);
      for (const i of ended) if (i.stateReasonCode) endReasons.set(i.instanceId, i.stateReasonCode);
      endedSeen.push(...ended);
      // A requeue line already says why its instance was lost.
      this.interruptions.toldElsewhere(requeuedFrom);
      // Left out of this listing yet running by id: what the listing should have said (not a stranger's, not gone).
      obs.instances.push(...unlisted);
    }
    this.unlisted.remember(obs.instances);
    // AWS taking spot capacity back, told once per instance (an idle one had no line of its own).
    for (const g of this.interruptions.observe([...obs.instances, ...endedSeen], now)) emit(ev.spotInterrupted(g));
    // A spot price above on-demand: AWS refuses or soon interrupts such a launch (no MaxPrice is set).
    for (const a of this.spotAbove.observe(config.resources, this.deps.prices)) emit(ev.spotAboveOnDemand(a));
    // Only while acting: the warning promises a termination, which only an acting tick makes.
    if (acting) this.stopped.observe(obs.instances, now, emit);
    this.launcher.prune(obs.instances, now);
    this.remover.prune(obs.instances, now);
    const inFlight = this.launcher.inFlight;
    const money = await observeCosts(this.deps.costs, config, obs, emit, emitOnce, inFlight, {
      budgets: this.historyless,
      problem: this.historyProblem,
      prices: this.deps.prices,
      terminatedAt: this.remover.terminatedByUs,
      readTasks: (ids) => this.deps.clearml.getTasks(ids),
      endReasons,
    });
    // Workers of our prefix on instances ClearML's autoscaler launched: capacity, never zombies (adoption.ts).
    const triage = obs.clearmlOk
      ? await this.adoption.observe(
          config,
          obs.workers,
          obs.instances,
          inFlight,
          // Only while acting: a standby team engine sees the leader end idle instances, which no call of its own did.
          acting ? { now, terminatedByUs: this.remover.terminatedByUs } : undefined,
        )
      : null;
    if (triage) this.idle.observeForeign(triage.foreign, now);
    if (obs.clearmlOk) await this.adoption.watchOtherPrefixes(config, obs.queues);
    // After the triage: ClearML's idle workers cover the forecast first, and the keep-warm line says so.
    const warm = obs.clearmlOk
      ? this.keepWarm.plan({ ...obs, config, inFlight, foreign: triage?.foreign }, emitOnce, acting)
      : undefined;

    // 3. Plan: the pure policy.
    const p = plan({
      ...obs,
      config,
      inFlight,
      idleSince: this.idle.idleSince,
      stoppedSince: this.stopped.stoppedSince,
      idleInherited: this.idle.inherited,
      launchesPaused: this.pauses.launches,
      launchStop:
        this.auth.launchGate(now).code === 'blocked' ? 'credentials' : opts.launches === false ? 'journal' : null,
      pausedQueues: this.pauses.queues,
      cooling: this.launcher.coolingAt(now),
      coolingCauses: this.launcher.coolingCausesAt(now),
      budget: budgetCheck(money, config, this.deps.prices),
      budgetIdle: money?.terminateIdle,
      ...warm,
      orphanGraceMs: Math.max(2 * config.scaling.pollingIntervalSec * 1000, 60_000),
      foreign: triage?.foreign,
      zombieWorkers: triage?.zombies,
      workerSeenAt: this.workerSeenAt(obs.instances),
      clearmlOutages: this.sightings.outages,
    });
    result.plan = p;
    if (acting) logDecisions(this.log, p, config.lease.enabled, held);

    // 4. Act: remove, then launch, then renew the leases of what stays.
    if (acting && config.scaling.dryRun) {
      for (const a of p.actions) emit(ev.dryRun(renderAction(a)));
    } else if (acting && (this.leadership?.stillActs(config) ?? true)) {
      const leadership = this.leadership;
      const ctx: ActContext = { now, emit, emitOnce, errors: result.errors, stamp };
      if (leadership) ctx.launchHold = () => leadership.launchHold(config);
      result.terminated.push(...(await this.remover.act(p.actions, config, ctx)));
      result.launched.push(...(await this.launcher.act(p.actions, config, ctx)));
      // One left to finish work for another ClearML server is not kept alive: its watchdog stops it once idle.
      const elsewhere = new Set(p.instances.flatMap((c) => (c.otherServer ? [c.instance.instanceId] : [])));
      const renew = obs.instances.filter((i) => !elsewhere.has(i.instanceId));
      await renewLeases(this.deps.ec2, effectiveLease(config), renew, now, emit, stamp);
    }

    // 5. Publish.
    result.ok = obs.clearmlOk;
    // This machine's time, as the window and the timeline compare it with this machine's clock.
    if (obs.clearmlOk) this.lastTickOkAt = local;
    const status = tickStatus({
      acting,
      standby,
      authBlocked: this.auth.current && authBlockText(this.auth.current, now),
      authSummary: this.auth.current && authBlockSummary(this.auth.current, now).line,
      clearmlOk: obs.clearmlOk,
      launchesPaused: this.pauses.launches,
      busy: p.instances.some((c) => c.phase === 'booting') || result.launched.length + result.terminated.length > 0,
      firstError: result.errors[0] ?? null,
      refusals: this.launcher.refusals,
      connectionFix: down.fix,
    });
    // Said in the status too, not only in the log: the budgets are not what the settings promise meanwhile.
    if (this.historyProblem && !status.statusReason) status.statusReason = historylessText(this.historyProblem);
    // ClearML's autoscaler still running doubles the fleet while each tick looks fine: said while its signs hold.
    if (!status.statusReason) status.statusReason = this.adoption.otherAutoscalerWarning();
    this.publish(now, p, status, money?.caps, held);
    return result;
  }

  /**
   * A call went through that may prove a credentials refusal over (Test connection passing with the stored
   * credentials, or a signed EC2 call): launches resume, and the log says so. True when it lifted a refusal.
   */
  authPassed(pass: AuthPass, now = this.deps.clock.now()): boolean {
    const lifted = this.auth.passed(pass);
    if (lifted) this.log.emit(ev.authRecovered(lifted, pass, now));
    return lifted !== null;
  }

  /**
   * When each listed instance's worker was last seen: this engine's sightings, else (after a restart) the last
   * moment the cost history knows it registered or busy.
   */
  private workerSeenAt(instances: readonly InstanceObs[]): Map<string, number> {
    const out = new Map(this.sightings.seenAt);
    for (const i of instances) {
      const known = out.has(i.instanceId) ? null : (this.deps.costs?.lastBusyAt(i.instanceId) ?? null);
      if (known !== null) out.set(i.instanceId, known);
    }
    return out;
  }

  /** The offset last said (aws-clock.ts): said once when it passes a minute, and again only when it moves by one. */
  private skewSaid: number | null = null;
  private sayClockSkew(offset: number | null, emit: (e: NewEvent) => void): void {
    if (offset === null) return;
    if (Math.abs(offset) <= WARN_MS) {
      this.skewSaid = null;
      return;
    }
    if (this.skewSaid !== null && Math.abs(offset - this.skewSaid) <= WARN_MS) return;
    this.skewSaid = offset;
    emit(ev.clockSkew(offset));
  }

  /**
   * Every live instance of ours names the ClearML server it works for (`TAG.server`), so a later move to another
   * server leaves it to finish rather than reading its absent worker as never registered. Launches carry the tag;
   * one an earlier version launched gets it here: the old server's after a move (`untaggedServer`: this tick
   * reads it so even before the tag is written), else this server's once its worker is seen here. The tag is
   * written only when the tick may act; a failed write is said once in 10 min and tried again next tick.
   */
  private async tagServers(obs: Observation, write: boolean, emitOnce: (key: string, e: NewEvent) => void) {
    const moved = this.untaggedServer;
    const untagged = obs.instances.filter((i) => isLiveState(i.state) && !i.tags[TAG.server]);
    if (moved) for (const i of untagged) i.tags = { ...i.tags, [TAG.server]: moved };
    const registered = new Set(obs.workers.map((w) => instanceIdOfWorker(w.id, this.config.scaling.workersPrefix)));
    const ids = (moved ? untagged : untagged.filter((i) => registered.has(i.instanceId))).map((i) => i.instanceId);
    if (!ids.length) this.untaggedServer = null;
    const server = moved ?? normalizeApiHost(this.config.clearml.apiHost);
    if (!ids.length || !write || serverTagValue(server) === null) return;
    try {
      await this.deps.ec2.createTags(ids, { [TAG.server]: server });
      this.untaggedServer = null;
    } catch (e) {
      emitOnce(`server-tag|${server}`, ev.serverTagFailed(server, ids.length, e));
    }
  }

  private publish(now: number, p: Plan | null, s: TickStatus, caps?: CapStatus[], held: LaunchHold = null): void {
    const { lastTickOkAt, config } = this;
    const { launches: launchesPaused, queues: pausedQueues } = this.pauses;
    const events = this.log.recent(SNAPSHOT_EVENTS);
    const view = { now, config, plan: p, ...s, caps, launchesPaused, pausedQueues, lastTickOkAt, events, held };
    const leadership = this.leadership?.view ?? null;
    // What this engine launched and EC2 does not list yet bills already: the snapshot shows it as booting.
    const launching = this.launcher.inFlight;
    this.publisher.publish({
      ...view,
      tickAt: this.tickAt,
      costs: this.deps.costs,
      adoptable: this.adoptableViews(),
      leadership,
      launching,
      stoppedSince: this.stopped.stoppedSince,
    });
  }

  private adoptableViews() {
    return this.adoption.views((i) => this.deps.prices(i.instanceType, i.market, i.zone).price);
  }

  /** Team mode without a lease table: the user's decision when another engine acts on the prefix. */
  async decideTeam(decision: 'act' | 'standby' | null): Promise<void> {
    if (!this.leadership) throw new Error('team mode is not available in this engine');
    await this.leadership.decide(decision, this.config);
  }

  /** Tags instances ClearML's autoscaler launched as ours, after the user confirmed (see adoption.ts). */
  async adopt(requested: readonly string[] | 'all'): Promise<AdoptionResult> {
    const lead = this.leadership?.view;
    if (lead && !lead.acts) throw new Error('this engine stands by (another engine acts for the team): adopt there');
    const r = await this.adoption.adopt(this.config, requested);
    this.idle.handOver(r.adopted);
    if (r.adopted.length) this.publisher.publishAdoptable(this.adoptableViews());
    return r;
  }

  /** This engine's launches with an instance id, listed by EC2 or not yet: ours to terminate on request. */
  get launchingIds(): string[] {
    return this.launcher.inFlight.flatMap((f) => (f.instanceId ? [f.instanceId] : []));
  }

  /** Terminate instances on the user's request (ours only, its launches EC2 does not list yet included). */
  async terminateNow(ids: readonly string[], reason: string, instances: readonly InstanceObs[]): Promise<string[]> {
    return this.remover.terminateNow(
      ids,
      reason,
      instances,
      () => this.deps.clock.now(),
      (e) => this.log.emit(e),
      this.launchingIds,
    );
  }
}
