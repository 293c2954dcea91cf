/**
 * The reconcile loop: one tick at a time, observe (ClearML and EC2 in parallel) → plan (pure policy) → act →
 * publish a snapshot to the main store. State that matters is derived from EC2 tags and ClearML every tick, so a
 * restarted engine adopts what an earlier run launched; the little it remembers between ticks (idle timers, launches
 * not yet listed, capacity cool-downs, which instances were busy) only ever makes it more careful.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../../shared/config.js';
import type { EngineEvent, EngineStatus, Market } from '../../shared/domain.js';
import { CapacityCooldowns, launchWithFallback, type LaunchAttempt } from './ec2/launcher.js';
import type { CapStatus } from '../../shared/budget.js';
import type { CostTracker } from './cost/tracker.js';
import { cooldownKey, plan, type Action, type InFlightLaunch, type Plan } from './policy.js';
import {
  ClearmlError,
  Ec2Error,
  TAG,
  type ClearmlApi,
  type Clock,
  type Ec2Api,
  type InstanceObs,
  type QueueObs,
  type TaskObs,
  type WorkerObs,
} from './ports.js';
import { launchBase } from './launch-request.js';
import { keepWarmText, prewarmText, type KeepWarmVerdict } from './policy/keep-warm.js';
import { WarmMemory } from './policy/warm-memory.js';
import { findStranded } from './reliability/stranded.js';
import { buildSnapshotViews, type PriceLookup } from './snapshot.js';
import { publish, type MainStore } from './store.js';
import {
  ConnectionWatch,
  problemFrom,
  renderCleared,
  renderProblem,
  type Service,
  type Surface,
} from './connections.js';

export interface EngineDeps {
  config: Config;
  clearml: ClearmlApi;
  ec2: Ec2Api;
  clock: Clock;
  store: MainStore;
  prices: PriceLookup;
  /** The instance startup script for one launch (the host closes over credentials; the engine never sees them). */
  userData: (launch: { queue: string; resource: string }) => string;
  newClientToken?: () => string;
  /** Every event, as it happens (headless prints these). */
  onEvent?: (event: EngineEvent) => void;
  /** Crash-safe launches: called (and awaited) before every RunInstances with the exact request's identity. */
  beforeLaunchAttempt?: (intent: LaunchIntent) => Promise<void>;
  afterLaunch?: (intent: LaunchIntent, result: { instanceId: string } | { error: string }) => Promise<void>;
  /** Cost history, budgets and attributed spend; without it the snapshot estimates today's spend in memory. */
  costs?: CostTracker;
  launchConcurrency?: number;
  /** How long a (queue, resource) is skipped after every placement ran out of capacity. */
  capacityCooldownMs?: number;
  /**
   * How connection problems are worded: for the app (Settings) or a terminal (config fields and environment),
   * whether the host polls again, and the EC2 endpoint in use (default: the region's public one).
   */
  reporting?: { surface: Surface; retrying: boolean; ec2Endpoint?: string };
}

export interface LaunchIntent extends LaunchAttempt {
  queue: string;
  resource: string;
  at: number;
}

export interface TickResult {
  ok: boolean;
  plan: Plan | null;
  launched: string[];
  terminated: string[];
  errors: string[];
}

interface BusyInstance {
  taskId: string;
  queue: string;
  workerId: string;
  market: Market;
}

const MAX_EVENTS = 500;
const IN_FLIGHT_TTL_MS = 10 * 60_000;
const HISTORY_POINTS = 720;

export class Engine {
  private config: Config;
  private readonly idleSince = new Map<string, number>();
  private inFlight: InFlightLaunch[] = [];
  private readonly cooling = new Map<string, number>();
  private readonly capacity = new CapacityCooldowns();
  /** Busy instances of the previous tick: if one vanishes without us terminating it, its task is requeued. */
  private lastBusy = new Map<string, BusyInstance>();
  private readonly terminatedByUs = new Map<string, number>();
  /** After a spot loss, a queue's next launches use on-demand where the resource allows fallback. */
  /**
   * After a spot loss, the replacement for each requeued task is launched on-demand (where the resource allows
   * fallback): one credit per lost task, valid for 30 min, so the queue does not stay on on-demand for long.
   */
  private readonly onDemandCredits = new Map<string, { count: number; until: number }>();
  /** Arrivals and boot times the keep-warm rule learns from. */
  private readonly warm = new WarmMemory();
  private events: EngineEvent[] = [];
  private eventSeq = 0;
  private authBlocked: string | null = null;
  private launchesPaused = false;
  private readonly pausedQueues = new Set<string>();
  private history: { at: number; burnPerHour: number }[] = [];
  private spendToday = { day: '', amount: 0, accountedUntil: new Map<string, number>() };
  private lastTickOkAt: number | null = null;

  constructor(private readonly deps: EngineDeps) {
    this.config = deps.config;
  }

  setConfig(config: Config): void {
    this.config = config;
    this.authBlocked = null;
  }

  setLaunchesPaused(paused: boolean): void {
    this.launchesPaused = paused;
  }

  setQueuePaused(queue: string, paused: boolean): void {
    if (paused) this.pausedQueues.add(queue);
    else this.pausedQueues.delete(queue);
  }

  /**
   * Launches made before this engine existed (recovered from the intent journal after a crash) that EC2 may not
   * list yet: they count as booting, so the same demand is not launched for twice.
   */
  /** The host opens the cost history asynchronously and attaches it before the first tick. */
  attachCosts(tracker: CostTracker): void {
    this.deps.costs = tracker;
  }

  seedInFlight(launches: readonly InFlightLaunch[]): void {
    this.inFlight.push(...launches);
  }

  get paused(): { launches: boolean; queues: ReadonlySet<string> } {
    return { launches: this.launchesPaused, queues: this.pausedQueues };
  }

  /** Add an event to the log (and to the store at the next publish). */
  emit(e: Omit<EngineEvent, 'id' | 'at'>): EngineEvent {
    const event: EngineEvent = { id: ++this.eventSeq, at: this.deps.clock.now(), ...e };
    this.events.push(event);
    if (this.events.length > MAX_EVENTS) this.events = this.events.slice(-MAX_EVENTS);
    this.deps.onEvent?.(event);
    return event;
  }

  /**
   * One tick. With `act: false` (autoscaling off) it only observes, records costs and publishes what it sees, so
   * the tray and window stay true about what is still running and billing; nothing is launched, terminated,
   * tagged or requeued.
   */
  async tick(opts: { act?: boolean } = {}): Promise<TickResult> {
    const acting = opts.act ?? true;
    const { clearml, ec2, clock } = this.deps;
    const config = this.config;
    const now = clock.now();
    const prefix = config.scaling.workersPrefix;
    const result: TickResult = { ok: false, plan: null, launched: [], terminated: [], errors: [] };

    const [queuesR, workersR, instancesR] = await Promise.allSettled([
      clearml.listQueues(Object.keys(config.queues)),
      clearml.listWorkers(prefix),
      ec2.describeInstances(prefix),
    ]);
    const clearmlOk = queuesR.status === 'fulfilled' && workersR.status === 'fulfilled';
    const clearmlErr: unknown =
      queuesR.status === 'rejected' ? queuesR.reason : workersR.status === 'rejected' ? workersR.reason : null;
    // Both connections are judged every tick, each on its own: an EC2 failure does not hide a ClearML one.
    const messages = this.watchConnections(
      [
        ['clearml', clearmlOk ? null : clearmlErr],
        ['ec2', instancesR.status === 'rejected' ? instancesR.reason : null],
      ],
      now,
    );
    if (instancesR.status === 'rejected') {
      result.errors.push(...messages);
      this.publishState(now, null, 'error', messages.join('; '));
      return result;
    }
    const instances = instancesR.value;
    const queues: QueueObs[] = queuesR.status === 'fulfilled' ? queuesR.value : [];
    const workers: WorkerObs[] = workersR.status === 'fulfilled' ? workersR.value : [];
    if (!clearmlOk) result.errors.push(`${messages[0]}; holding: nothing is launched or terminated until it answers`);

    if (clearmlOk) this.trackIdle(instances, workers, now);
    if (acting) await this.handleLostInstances(instances, workers, queues, clearmlOk, now);
    this.pruneMemory(instances, now);
    const money = await this.observeCosts(instances, clearmlOk ? workers : null, now);
    const warm = clearmlOk ? this.keepWarmVerdicts(queues, instances, workers, now) : undefined;

    const cooling = new Set([...this.cooling].filter(([, until]) => until > now).map(([k]) => k));
    const p = plan({
      now,
      config,
      clearmlOk,
      queues,
      workers,
      instances,
      inFlight: this.inFlight,
      idleSince: this.idleSince,
      launchesPaused: this.launchesPaused || this.authBlocked !== null,
      pausedQueues: this.pausedQueues,
      cooling,
      budget: money?.check
        ? ({ queue, resource }) => {
            const res = config.resources[resource];
            const hourlyPrice = res ? this.deps.prices(res.instanceType, res.market).price : 0;
            return money.check({ queue, hourlyPrice });
          }
        : undefined,
      budgetIdle: money?.terminateIdle,
      expectedArrivals: warm && new Map([...warm].map(([q, v]) => [q, v.keep])),
      prewarm: warm && new Map([...warm].map(([q, v]) => [q, v.prewarm])),
      orphanGraceMs: Math.max(2 * config.scaling.pollingIntervalSec * 1000, 60_000),
    });
    result.plan = p;

    for (const d of acting ? p.decisions : []) {
      if (d.launched > 0 || (d.pending > 0 && d.text.includes('not launched'))) {
        this.emitOnce(`decision|${d.queue}|${d.text}`, {
          level: 'info',
          kind: 'decision',
          queue: d.queue,
          message: d.text,
        });
      }
    }

    if (!acting) {
      // Observing only.
    } else if (config.scaling.dryRun) {
      for (const a of p.actions)
        this.emit({ level: 'info', kind: 'decision', message: `dry run: would ${describeAction(a)}` });
    } else {
      await this.act(p.actions, result, now);
      await this.renewLeases(instances, now).catch((e: unknown) =>
        this.emit({ level: 'warn', kind: 'error', message: `lease renewal failed: ${errorText(e)}` }),
      );
    }

    result.ok = clearmlOk;
    if (clearmlOk) this.lastTickOkAt = now;
    const busyNow =
      p.instances.some((c) => c.phase === 'booting') || result.launched.length > 0 || result.terminated.length > 0;
    const status: EngineStatus = !acting
      ? 'off'
      : this.authBlocked
        ? 'error'
        : !clearmlOk
          ? 'error'
          : this.launchesPaused
            ? 'paused'
            : busyNow
              ? 'scaling'
              : 'watching';
    const reason = !acting
      ? 'Autoscaling is off: nothing is launched or terminated.'
      : (this.authBlocked ?? (clearmlOk ? null : (result.errors[0] ?? null)));
    this.publishState(now, p, status, reason, money?.caps ?? []);
    return result;
  }

  private readonly connections = new ConnectionWatch();

  /**
   * Feeds this tick's outcome per connection to the watch: a problem is emitted once when it starts and once when
   * it clears. Returns the current problems' text (for the status line and the tick's errors).
   */
  private watchConnections(outcomes: [Service, unknown][], now: number): string[] {
    const r = this.deps.reporting ?? { surface: 'app' as const, retrying: true };
    const endpoint = (s: Service) =>
      s === 'clearml'
        ? this.config.clearml.apiHost
        : (r.ec2Endpoint ?? `https://ec2.${this.config.aws.region}.amazonaws.com`);
    const current: string[] = [];
    for (const [service, err] of outcomes) {
      const problem = err === null ? null : problemFrom(service, err, endpoint(service));
      const t = this.connections.update(service, problem, now);
      if (t?.started) this.emit({ level: 'error', kind: 'error', message: renderProblem(t.started, r.surface, r) });
      if (t?.cleared) this.emit({ level: 'info', kind: 'engine', message: renderCleared(t.cleared, now) });
      if (problem) current.push(renderProblem(problem, r.surface, r));
    }
    return current;
  }

  /** The keep-warm rule's verdict per queue, its reasons in the event log (each distinct one once per 10 min). */
  private keepWarmVerdicts(
    queues: readonly QueueObs[],
    instances: readonly InstanceObs[],
    workers: readonly WorkerObs[],
    now: number,
  ): Map<string, KeepWarmVerdict> {
    this.warm.observe(queues, instances, workers, now);
    const listed = new Set(instances.map((i) => i.instanceId));
    const unlisted = new Map<string, number>();
    for (const f of this.inFlight)
      if (!f.instanceId || !listed.has(f.instanceId)) unlisted.set(f.queue, (unlisted.get(f.queue) ?? 0) + 1);
    const price = (type: string, market: Market) => this.deps.prices(type, market).price;
    const verdicts = this.warm.decide({
      config: this.config,
      now,
      queues,
      instances,
      workers,
      unlistedByQueue: unlisted,
      price,
    });
    for (const [queue, v] of verdicts) {
      if (v.reason.code === 'next-task-soon' || v.reason.code === 'next-task-far' || v.reason.code === 'no-history')
        this.emitOnce(`keep-warm|${queue}|${v.reason.code}|${v.keep}`, {
          level: 'info',
          kind: 'decision',
          queue,
          message: keepWarmText(queue, v.reason),
        });
      if (v.prewarmReason)
        this.emitOnce(`prewarm|${queue}`, {
          level: 'info',
          kind: 'decision',
          queue,
          message: prewarmText(queue, v.prewarmReason),
        });
    }
    return verdicts;
  }

  /** Record this tick's facts in the cost history and work out the budget picture for the plan. */
  private async observeCosts(instances: readonly InstanceObs[], workers: readonly WorkerObs[] | null, now: number) {
    const tracker = this.deps.costs;
    if (!tracker) return null;
    try {
      await tracker.observe(instances, workers, now);
    } catch (e) {
      this.emit({ level: 'warn', kind: 'error', message: `the cost history could not be written: ${errorText(e)}` });
    }
    const budgets = this.config.budgets;
    const hasCaps =
      budgets.global.hourlyUsd !== undefined ||
      budgets.global.monthlyUsd !== undefined ||
      Object.keys(budgets.queues).length > 0;
    if (!hasCaps) return { caps: [] as CapStatus[], check: null, terminateIdle: undefined };
    const state = tracker.budgetState(budgets, now);
    for (const c of state.crossings) {
      this.emit({
        level: c.level,
        kind: 'budget',
        message: c.message,
        ...(c.cap.startsWith('queues.') ? { queue: c.cap.split('.')[1] } : {}),
      });
    }
    const reached = state.caps.filter((c) => c.state === 'reached').map((c) => c.label);
    return {
      caps: state.caps,
      check: tracker.launchChecker(budgets, now),
      terminateIdle:
        state.terminateIdle.global || state.terminateIdle.queues.length
          ? {
              global: state.terminateIdle.global,
              queues: new Set(state.terminateIdle.queues),
              reason: `budget cap reached (${reached.join('; ')}) in terminate-idle mode`,
            }
          : undefined,
    };
  }

  private readonly emitted = new Map<string, number>();
  /** Decisions repeat every tick while nothing changes; log each distinct one once per 10 minutes. */
  private emitOnce(key: string, e: Omit<EngineEvent, 'id' | 'at'>): void {
    const now = this.deps.clock.now();
    const last = this.emitted.get(key);
    if (last !== undefined && now - last < 10 * 60_000) return;
    this.emitted.set(key, now);
    if (this.emitted.size > 2000) this.emitted.clear();
    this.emit(e);
  }

  private trackIdle(instances: readonly InstanceObs[], workers: readonly WorkerObs[], now: number): void {
    const byInstance = new Map(workers.map((w) => [w.id.split(':').at(-1) ?? '', w]));
    const seen = new Set<string>();
    for (const inst of instances) {
      const w = byInstance.get(inst.instanceId);
      if (!w) continue;
      seen.add(inst.instanceId);
      if (w.task) this.idleSince.delete(inst.instanceId);
      else if (!this.idleSince.has(inst.instanceId)) this.idleSince.set(inst.instanceId, now);
    }
    for (const id of [...this.idleSince.keys()]) if (!seen.has(id)) this.idleSince.delete(id);
  }

  /** A busy instance that vanished (spot loss, crash) leaves its task in_progress: return it to its queue. */
  private async handleLostInstances(
    instances: readonly InstanceObs[],
    workers: readonly WorkerObs[],
    queues: readonly QueueObs[],
    clearmlOk: boolean,
    now: number,
  ): Promise<void> {
    if (!clearmlOk) return;
    const live = new Map(
      instances.filter((i) => i.state === 'pending' || i.state === 'running').map((i) => [i.instanceId, i]),
    );
    const queueIds = new Map(queues.map((q) => [q.name, q.id]));
    const workerById = new Map(workers.map((w) => [w.id, w]));
    // Lost since the last tick (from memory) plus any worker of ours still holding a task whose instance is gone
    // (lost while this engine was not running: a restart, a long sleep). The remembered task can be stale (the
    // worker may have finished it and started another while EC2 could not be read), so the task to requeue is the
    // worker's current one, and only if ClearML says it is in_progress on that very worker.
    const candidates = new Map<string, { workerId: string; queue: string; market: Market | null; taskId: string }>();
    for (const [instanceId, was] of this.lastBusy) {
      if (live.has(instanceId) || this.terminatedByUs.has(instanceId)) continue;
      const current = workerById.get(was.workerId)?.task?.id ?? was.taskId;
      candidates.set(instanceId, { workerId: was.workerId, queue: was.queue, market: was.market, taskId: current });
    }
    const held = workers.filter((w) => w.task);
    if (held.length) {
      for (const s of findStranded({
        now,
        prefix: this.config.scaling.workersPrefix,
        workers: held,
        instances,
        tasks: held.map((w) => ({ id: w.task!.id, name: '', status: 'in_progress', queueId: null, lastWorker: w.id })),
      })) {
        if (candidates.has(s.instanceId) || this.terminatedByUs.has(s.instanceId)) continue;
        candidates.set(s.instanceId, { workerId: s.workerId, queue: s.queue, market: null, taskId: s.taskId });
      }
    }
    let verified: Map<string, TaskObs> | null = null;
    if (candidates.size) {
      try {
        const ids = [...new Set([...candidates.values()].map((c) => c.taskId))];
        verified = new Map((await this.deps.clearml.getTasks(ids)).map((t) => [t.id, t]));
      } catch (e) {
        this.emit({
          level: 'warn',
          kind: 'error',
          message: `lost instances' tasks could not be checked, retrying next tick: ${errorText(e)}`,
        });
      }
    }
    const retry = new Map<string, BusyInstance>();
    for (const [instanceId, was] of candidates) {
      if (!verified) {
        if (was.market) retry.set(instanceId, { ...was, market: was.market });
        continue;
      }
      const task = verified.get(was.taskId);
      if (!task || task.status !== 'in_progress' || task.lastWorker !== was.workerId) continue;
      const inst = instances.find((i) => i.instanceId === instanceId);
      // Gone from the listing entirely, or shutting down on AWS's initiative: the market it ran in tells.
      const spot =
        inst?.stateReasonCode === 'Server.SpotInstanceTermination' || (was.market ?? inst?.market) === 'spot';
      const queueId = queueIds.get(was.queue);
      const why = spot ? 'its spot instance was interrupted' : `its instance ${instanceId} disappeared`;
      if (!queueId) continue;
      try {
        await this.deps.clearml.requeueTask(was.taskId, queueId, `clearml-tray-autoscaler: ${why}`);
        this.emit({
          level: 'warn',
          kind: 'requeue',
          queue: was.queue,
          instanceIds: [instanceId],
          message: `task ${was.taskId} returned to '${was.queue}': ${why}`,
        });
        await this.deps.clearml.unregisterWorker(was.workerId).catch(() => undefined);
      } catch (e) {
        this.emit({
          level: 'error',
          kind: 'error',
          queue: was.queue,
          message: `could not requeue task ${was.taskId} (${why}): ${errorText(e)}`,
        });
      }
      if (spot) {
        const credit = this.onDemandCredits.get(was.queue);
        const count = credit && credit.until > now ? credit.count + 1 : 1;
        this.onDemandCredits.set(was.queue, { count, until: now + 30 * 60_000 });
      }
    }
    const busy = new Map<string, BusyInstance>();
    for (const w of workers) {
      const instanceId = w.id.split(':').at(-1) ?? '';
      const inst = live.get(instanceId);
      if (w.task && inst)
        busy.set(instanceId, {
          taskId: w.task.id,
          queue: inst.tags[TAG.queue] ?? '',
          workerId: w.id,
          market: inst.market,
        });
    }
    for (const [id, b] of retry) if (!busy.has(id)) busy.set(id, b);
    this.lastBusy = busy;
  }

  private pruneMemory(instances: readonly InstanceObs[], now: number): void {
    const listed = new Set(instances.map((i) => i.instanceId));
    this.inFlight = this.inFlight.filter(
      (f) => !(f.instanceId && listed.has(f.instanceId)) && now - f.at < IN_FLIGHT_TTL_MS,
    );
    for (const [id, at] of this.terminatedByUs)
      if (!listed.has(id) && now - at > 3600_000) this.terminatedByUs.delete(id);
    for (const [k, until] of this.cooling) if (until <= now) this.cooling.delete(k);
  }

  private async act(actions: Action[], result: TickResult, now: number) {
    const { ec2, clearml } = this.deps;

    const marks = actions.filter((a) => a.kind === 'mark-orphan');
    if (marks.length) {
      try {
        await ec2.createTags(
          marks.map((a) => a.instanceId),
          { [TAG.orphanSince]: String(now) },
        );
        for (const a of marks)
          this.emit({
            level: 'warn',
            kind: 'orphan',
            instanceIds: [a.instanceId],
            message: `${a.reason}; it will be terminated on a later tick if still unexplained`,
          });
      } catch (e) {
        result.errors.push(`marking orphans failed: ${errorText(e)}`);
      }
    }

    const terms = actions.filter((a) => a.kind === 'terminate');
    if (terms.length) {
      let confirmed = terms;
      if (terms.some((t) => t.recheckIdle)) {
        // A worker can pick up a task between observation and action: re-read right before terminating.
        try {
          const fresh = await clearml.listWorkers(this.config.scaling.workersPrefix);
          const busy = new Set(fresh.filter((w) => w.task).map((w) => w.id));
          confirmed = terms.filter((t) => !t.recheckIdle || !t.workerId || !busy.has(t.workerId));
          for (const t of terms) if (!confirmed.includes(t)) this.idleSince.delete(t.instanceId);
        } catch (e) {
          confirmed = terms.filter((t) => !t.recheckIdle);
          result.errors.push(`idle re-check failed, idle instances kept: ${errorText(e)}`);
        }
      }
      if (confirmed.length) {
        const ids = confirmed.map((t) => t.instanceId);
        try {
          await ec2.terminateInstances(ids);
          for (const t of confirmed) {
            this.terminatedByUs.set(t.instanceId, now);
            this.idleSince.delete(t.instanceId);
            result.terminated.push(t.instanceId);
          }
          for (const [reason, group] of groupBy(confirmed, (t) => `${t.queue}|${t.why}`)) {
            const [queue] = reason.split('|');
            this.emit({
              level: group[0]!.why === 'idle' ? 'info' : 'warn',
              kind: 'terminate',
              queue,
              count: group.length,
              instanceIds: group.map((t) => t.instanceId),
              message: `terminated ${group.length} instance${group.length > 1 ? 's' : ''} on '${queue}': ${group[0]!.reason}`,
            });
          }
          for (const t of confirmed) {
            if (t.workerId) await clearml.unregisterWorker(t.workerId).catch(() => undefined);
          }
        } catch (e) {
          const msg = `terminating ${ids.join(', ')} failed: ${errorText(e)}`;
          result.errors.push(msg);
          this.emit({ level: 'error', kind: 'error', message: msg, instanceIds: ids });
          this.noteAuth(e);
        }
      }
    }

    for (const a of actions) {
      if (a.kind !== 'unregister') continue;
      try {
        await clearml.unregisterWorker(a.workerId);
        this.emit({ level: 'info', kind: 'unregister', message: `unregistered worker ${a.workerId}: ${a.reason}` });
      } catch (e) {
        result.errors.push(`unregister ${a.workerId} failed: ${errorText(e)}`);
      }
    }

    const launches = actions.filter((a) => a.kind === 'launch');
    for (const a of launches) {
      if (this.authBlocked) break;
      const outcome = await this.launchMany(a, now);
      result.launched.push(...outcome.ids);
      if (outcome.ids.length) {
        const res = this.config.resources[a.resource];
        this.emit({
          level: 'info',
          kind: 'launch',
          queue: a.queue,
          resource: a.resource,
          count: outcome.ids.length,
          instanceIds: outcome.ids,
          message: `launched ${outcome.ids.length} × ${res?.instanceType ?? a.resource} on '${a.queue}' (${outcome.ids.join(', ')}): ${a.reason.split(': ').slice(1).join(': ')}`,
        });
      }
      if (outcome.error) {
        result.errors.push(outcome.error);
        this.emit({
          level: 'error',
          kind: 'launch-failed',
          queue: a.queue,
          resource: a.resource,
          message: outcome.error,
        });
      }
      if (outcome.stopAll) break;
    }
  }

  private async launchMany(
    a: Extract<Action, { kind: 'launch' }>,
    now: number,
  ): Promise<{ ids: string[]; error: string | null; stopAll: boolean }> {
    const res = this.config.resources[a.resource];
    if (!res) return { ids: [], error: `resource '${a.resource}' vanished from the config`, stopAll: false };
    const ids: string[] = [];
    const credit = this.onDemandCredits.get(a.queue);
    let onDemandLeft =
      credit && credit.until > now && res.market === 'spot' && res.spotFallbackToOnDemand ? credit.count : 0;
    let userData: string;
    try {
      userData = this.deps.userData({ queue: a.queue, resource: a.resource });
    } catch (e) {
      return {
        ids: [],
        error: `the startup script for ${a.resource} could not be built: ${errorText(e)}`,
        stopAll: false,
      };
    }
    const base = launchBase(this.config, { queue: a.queue, resource: a.resource, at: now }, userData)!;
    const concurrency = Math.max(1, this.deps.launchConcurrency ?? 4);
    let error: string | null = null;
    let stopAll = false;
    let remaining = a.count;
    while (remaining > 0 && !stopAll && !error) {
      const batch = Math.min(concurrency, remaining);
      remaining -= batch;
      const outcomes = await Promise.all(
        Array.from({ length: batch }, () => {
          const market: Market = onDemandLeft > 0 ? 'on-demand' : res.market;
          if (onDemandLeft > 0) onDemandLeft--;
          return launchWithFallback(this.deps.ec2, {
            base,
            market,
            spotFallbackToOnDemand: res.spotFallbackToOnDemand,
            subnetIds: res.subnetIds,
            availabilityZones: res.availabilityZones,
            cooldowns: this.capacity,
            now,
            newClientToken: this.deps.newClientToken ?? randomUUID,
            beforeAttempt: this.deps.beforeLaunchAttempt
              ? (attempt) =>
                  this.deps.beforeLaunchAttempt!({ ...attempt, queue: a.queue, resource: a.resource, at: now })
              : undefined,
          });
        }),
      );
      for (const o of outcomes) {
        if (o.ok && o.attempt.market === 'on-demand' && res.market === 'spot') {
          const c = this.onDemandCredits.get(a.queue);
          if (c) c.count = Math.max(0, c.count - 1);
        }
        if (o.ok) {
          ids.push(o.instanceId);
          this.inFlight.push({ queue: a.queue, resource: a.resource, instanceId: o.instanceId, at: now });
          await this.deps.afterLaunch?.(
            { ...o.attempt, queue: a.queue, resource: a.resource, at: now },
            { instanceId: o.instanceId },
          );
          continue;
        }
        const last = o.attempts.at(-1);
        if (last)
          await this.deps.afterLaunch?.(
            { ...last.attempt, queue: a.queue, resource: a.resource, at: now },
            { error: o.error.code },
          );
        if (o.error.kind === 'capacity') {
          const ms = this.deps.capacityCooldownMs ?? 10 * 60_000;
          this.cooling.set(cooldownKey(a.queue, a.resource), now + ms);
          error = `no capacity for ${res.instanceType} (${a.resource}) in any configured placement${res.market === 'spot' && res.spotFallbackToOnDemand ? ', spot or on-demand' : ''}: ${o.error.message}; '${a.queue}' will use its next resource for ${Math.round(ms / 60_000)} min`;
        } else if (o.error.kind === 'auth') {
          this.noteAuth(o.error);
          error = this.authBlocked;
          stopAll = true;
        } else if (o.error.kind === 'throttle') {
          error = `EC2 is throttling requests (${o.error.code}): launches resume next tick`;
          stopAll = true;
        } else {
          error = `launch of ${res.instanceType} (${a.resource}) failed: ${o.error.message}`;
        }
      }
    }
    return { ids, error, stopAll };
  }

  private noteAuth(e: unknown): void {
    if (e instanceof Ec2Error && e.kind === 'auth') {
      this.authBlocked = `AWS refused the request (${e.code}): ${e.message}. Launches are stopped until the AWS credentials or IAM policy are fixed (Settings → Credentials → Test).`;
    } else if (e instanceof ClearmlError && e.kind === 'auth') {
      this.authBlocked = `ClearML rejected the credentials: ${e.message}`;
    }
  }

  /** Dead-man switch: push each live instance's lease forward, in one batched CreateTags call per lease value. */
  private async renewLeases(instances: readonly InstanceObs[], now: number): Promise<void> {
    const lease = this.config.lease;
    if (!lease.enabled) return;
    const threshold = now + (lease.leaseMin * 60_000) / 2;
    const due = instances.filter((i) => {
      if (i.state !== 'pending' && i.state !== 'running') return false;
      const until = Number(i.tags[TAG.lease]) * 1000;
      return !Number.isFinite(until) || until < threshold;
    });
    if (!due.length) return;
    await this.deps.ec2.createTags(
      due.map((i) => i.instanceId),
      { [TAG.lease]: String(Math.floor((now + lease.leaseMin * 60_000) / 1000)) },
    );
  }

  private publishState(
    now: number,
    p: Plan | null,
    status: EngineStatus,
    statusReason: string | null,
    caps: CapStatus[] = [],
  ): void {
    const views = buildSnapshotViews({
      now,
      config: this.config,
      plan: p,
      pausedQueues: this.pausedQueues,
      prices: this.deps.prices,
      lastDecisions: this.lastDecisionText,
    });
    for (const d of p?.decisions ?? [])
      if (d.launched > 0 || !this.lastDecisionText.has(d.queue)) this.lastDecisionText.set(d.queue, d.text);
    const burn = views.costs.burnPerHour;
    this.history.push({ at: now, burnPerHour: burn });
    if (this.history.length > HISTORY_POINTS) this.history = this.history.slice(-HISTORY_POINTS);
    const extras = this.deps.costs?.extras(caps, now);
    if (!extras) this.accountSpend(now, views.instances);
    const spendToday = extras?.spendToday ?? this.spendToday.amount;
    const monthToDate = extras?.monthToDate ?? spendToday;
    publish(this.deps.store, {
      status,
      statusReason,
      dryRun: this.config.scaling.dryRun,
      launchesPaused: this.launchesPaused,
      lastTickAt: now,
      lastTickOkAt: this.lastTickOkAt,
      queues: views.queues,
      instances: views.instances,
      events: this.events.slice(-200),
      costs: {
        ...views.costs,
        ...extras,
        spendToday,
        // What is known to be spent this month plus the current burn for the rest of it.
        projectedMonth: monthToDate + burn * hoursLeftInMonth(now),
        history: this.history.filter((_, i, all) => all.length < 360 || i % 2 === 0 || i === all.length - 1),
      },
    });
  }
  private readonly lastDecisionText = new Map<string, string>();

  /** Spend today, accumulated per instance from its price and the time it ran since the last tick. */
  private accountSpend(
    now: number,
    instances: readonly { instanceId: string; hourlyPrice: number; launchedAt: number; state: string }[],
  ): void {
    const day = new Date(now).toISOString().slice(0, 10);
    if (this.spendToday.day !== day) this.spendToday = { day, amount: 0, accountedUntil: new Map() };
    const dayStart = Date.parse(`${day}T00:00:00Z`);
    for (const i of instances) {
      if (i.state !== 'pending' && i.state !== 'running') continue;
      const from = Math.max(this.spendToday.accountedUntil.get(i.instanceId) ?? i.launchedAt, dayStart);
      if (now > from) this.spendToday.amount += ((now - from) / 3600_000) * i.hourlyPrice;
      this.spendToday.accountedUntil.set(i.instanceId, now);
    }
  }

  /** Terminate instances on the user's request (ours only), unregistering their workers. */
  async terminateNow(ids: readonly string[], reason: string, instances: readonly InstanceObs[]): Promise<string[]> {
    const ours = new Map(instances.map((i) => [i.instanceId, i]));
    const targets = ids.filter((id) => ours.has(id));
    if (!targets.length) return [];
    await this.deps.ec2.terminateInstances(targets);
    const now = this.deps.clock.now();
    for (const id of targets) this.terminatedByUs.set(id, now);
    this.emit({
      level: 'info',
      kind: 'terminate',
      count: targets.length,
      instanceIds: targets,
      message: `terminated ${targets.length} instance${targets.length > 1 ? 's' : ''}: ${reason}`,
    });
    return targets;
  }
}

export function describeAction(a: Action): string {
  switch (a.kind) {
    case 'launch':
      return a.reason;
    case 'terminate':
      return `terminate ${a.instanceId}: ${a.reason}`;
    case 'mark-orphan':
      return `mark ${a.instanceId} as orphan: ${a.reason}`;
    case 'unregister':
      return `unregister ${a.workerId}: ${a.reason}`;
  }
}

export function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const i of items) {
    const k = key(i);
    const list = m.get(k);
    if (list) list.push(i);
    else m.set(k, [i]);
  }
  return m;
}

export function hoursLeftInMonth(now: number): number {
  const d = new Date(now);
  return (Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) - now) / 3600_000;
}
