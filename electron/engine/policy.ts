/**
 * The scaling decision, as one pure function: (what ClearML and EC2 say now, the config, a little memory the loop
 * keeps) → actions and per-queue decisions, each with a structured reason (a code and its data; reasons.ts turns
 * them into text). No I/O, no clock: everything arrives in `PolicyInput`, so every rule here is tested
 * table-driven in test/engine/policy.test.ts.
 *
 * Differences from ClearML's own autoscaler loop are deliberate:
 * - demand is spread over a queue's resources by *remaining* need, so two resources never over-launch;
 * - instances still booting (listed, or launched but not yet listed) count against demand and caps;
 * - nothing is terminated when ClearML could not be read (busy work cannot be told from idle);
 * - idle workers are kept while their queue has pending tasks, and the longest-idle go first;
 * - instances that never registered, orphans (two phases) and zombie workers are cleaned up.
 */
import type { Config } from '../../shared/config.js';
import type { InstancePhase, Market } from '../../shared/domain.js';
import { sameServer } from '../../shared/config-review.js';
import type { ForeignWorker } from './adoption.js';
import { isLiveState } from '../../shared/domain.js';
import { TAG, type InstanceObs, type QueueObs, type WorkerObs } from './ports.js';
import { parseWorkerId } from './workers.js';
import { OWN_TIME_FRESHEST } from './policy/keep-warm.js';
import { spinUpVerdict, type Outage, type SpinUpVerdict } from './policy/spin-up.js';
import { entryOf, hasEntry } from '../../shared/data-record.js';

/** A launch the loop made that DescribeInstances may not show yet (EC2 listing is eventually consistent). */
export interface InFlightLaunch {
  queue: string;
  resource: string;
  instanceId: string | null;
  at: number;
  /** Where it launched, when this engine launched it (not one recovered from the journal): the snapshot's price. */
  market?: Market;
  zone?: string;
}

/** `cap`: the refusing cap's id (`global.monthlyUsd`), for the surfaces that name it in short. */
export type BudgetVerdict = { allowed: true } | { allowed: false; reason: string; cap?: string };

/** Why the engine holds every launch on its own: credentials refused, or the launch journal not recovered. */
export type LaunchStop = 'credentials' | 'journal';

export interface PolicyInput {
  now: number;
  config: Config;
  /** False when the ClearML observation failed this tick: then nothing is launched or terminated. */
  clearmlOk: boolean;
  /** Configured queues as the server reports them (a configured queue missing here does not exist). */
  queues: readonly QueueObs[];
  /** Our workers (prefix-filtered). */
  workers: readonly WorkerObs[];
  /** Our instances in any non-terminated state. */
  instances: readonly InstanceObs[];
  inFlight: readonly InFlightLaunch[];
  /** instanceId → ms when the loop first saw its worker idle (consecutive observations). */
  idleSince: ReadonlyMap<string, number>;
  /** instanceId → ms when the engine first saw it stopped (or stopping) outside the app. */
  stoppedSince?: ReadonlyMap<string, number>;
  /**
   * Instances already idle when this engine run first read ClearML (a restart forgets idle timers) → the last
   * moment each is known to have been busy or registered (null: unknown). Their idle spell began before this run,
   * so they go after surplusIdleMin whatever the forecast keeps, and at once when that moment is maxIdleMin ago.
   */
  idleInherited?: ReadonlyMap<string, number | null>;
  launchesPaused: boolean;
  /** Launches held by the engine, not the user: refused credentials, or a launch journal not recovered. */
  launchStop?: LaunchStop | null;
  pausedQueues: ReadonlySet<string>;
  /** `${queue}|${resource}` pairs skipped for now: every placement hit a capacity error, or EC2 refused them. */
  cooling: ReadonlySet<string>;
  /** Why a cooling pair cools, when not for capacity (absent: capacity). */
  coolingCauses?: ReadonlyMap<string, CoolingCause>;
  /** Called once per instance about to be launched; a refusal stops launches for that queue this tick. */
  budget?: (launch: { queue: string; resource: string }) => BudgetVerdict;
  /** How long an unexplained instance stays marked before it is terminated. */
  orphanGraceMs?: number;
  /**
   * Tasks each queue is expected to receive within the next maxIdleMin (from its recent arrivals). Idle workers
   * beyond that and beyond the pending tasks go after surplusIdleMin. Absent: every idle worker waits maxIdleMin.
   */
  expectedArrivals?: ReadonlyMap<string, number>;
  /** Workers to start ahead of a task a queue's periodic pattern predicts (only while it has nothing pending). */
  prewarm?: ReadonlyMap<string, number>;
  /** Queues whose surplus idle workers go at once (no surplusIdleMin): a pre-warm will cover their next task. */
  releaseIdle?: ReadonlySet<string>;
  /**
   * Per queue: how long a worker kept by the forecast may stay idle, when shorter than maxIdleMin. The queue's
   * last candidate (the freshest idle worker) is spared: it keeps maxIdleMin.
   */
  keptIdleSec?: ReadonlyMap<string, number>;
  /**
   * Per queue, entry j: for how long (s) the queue has had at least j + 1 idle workers beyond its pending tasks.
   * Against the kept limit, the (j + 1)-th longest idle worker counts this time when it is longer than its own,
   * unless it is one of the queue's OWN_TIME_FRESHEST freshest: a task goes to whichever idle agent polls first,
   * so on a busy queue each worker's own idle spells stay short while the queue keeps that many idle all along.
   */
  idleRunSec?: ReadonlyMap<string, readonly number[]>;
  /** Per queue: busy workers likely to finish within a boot; pending tasks take them rather than a launch. */
  freeingSoon?: ReadonlyMap<string, number>;
  /** Budget mode `terminate-idle` with a reached cap: idle workers in scope go now, whatever the idle timer. */
  budgetIdle?: { global: boolean; queues: ReadonlySet<string>; reason: string };
  /** Workers of our prefix on live instances without our tags (ClearML's autoscaler launched them): capacity. */
  foreign?: readonly ForeignWorker[];
  /** When given, only these workers may be unregistered (their instance is confirmed gone). */
  zombieWorkers?: ReadonlySet<string>;
  /**
   * instanceId → the last time its worker was listed (or, after a restart, registered per the cost history): a
   * worker that went missing is waited for from then, not from the launch (`policy/spin-up.ts`).
   */
  workerSeenAt?: ReadonlyMap<string, number>;
  /** When ClearML could not be read: the spin-up time does not run meanwhile (`policy/spin-up.ts`). */
  clearmlOutages?: readonly Outage[];
}

/** What a queue's demand looks like this tick (the figures every scale-up reason quotes). */
export interface Demand {
  pending: number;
  idle: number;
  booting: number;
  /** Tasks a periodic queue is expected to get, started ahead (only while nothing is pending). */
  prewarm?: number;
  /** Busy workers likely to free up before a launched machine could boot (from the queue's task durations). */
  freeingSoon?: number;
  /** Workers on instances ClearML's autoscaler launched, serving this queue (and how many of them are idle). */
  foreign?: number;
  foreignIdle?: number;
}

/**
 * Why a (queue, resource) is skipped for a while: its placements ran out of capacity, EC2 refused its settings (a
 * wrong AMI, subnet, …), or the account lacks the Spot service-linked role its spot launches need.
 */
export type CoolingCause = 'capacity' | 'config' | 'spot-role';

/** Why part of a queue's demand was not launched. */
export type Blocker =
  | { code: 'cooling'; resource: string; cause: CoolingCause }
  | { code: 'resource-cap'; resource: string; max: number }
  | { code: 'global-cap'; max: number }
  /** A budget cap refused the launch; `detail` is the cost module's account of which cap and by how much. */
  | { code: 'budget'; detail: string; cap?: string };

/** A queue's decision this tick. */
export type DecisionReason =
  | { code: 'clearml-unreadable' }
  | { code: 'queue-missing'; queue: string }
  | { code: 'no-pending' }
  | { code: 'covered'; demand: Demand }
  /** `all`/`queue`: the user's pause; `credentials`, `journal`: launches held by the engine until that is fixed. */
  | { code: 'paused'; demand: Demand; need: number; scope: 'all' | 'queue' | LaunchStop }
  | {
      code: 'scale-up';
      demand: Demand;
      need: number;
      launched: { count: number; instanceType: string }[];
      notLaunched: number;
      blockers: Blocker[];
    };

export type TerminateReason =
  | { code: 'idle'; queue: string; idleSec: number; maxIdleSec: number }
  | {
      code: 'idle-surplus';
      queue: string;
      idleSec: number;
      maxIdleSec: number;
      expected: number;
      /** Idle workers of ClearML's autoscaler on the queue that covered the forecast first. */
      foreignIdle?: number;
    }
  | { code: 'idle-inherited'; queue: string; idleSec: number; surplusIdleSec: number }
  | {
      code: 'idle-unused';
      queue: string;
      idleSec: number;
      keptIdleSec: number;
      /** Set when idleSec is the queue's: how long it has had at least this many idle workers (idleRunSec). */
      queueIdleWorkers?: number;
    }
  | { code: 'idle-ceiling'; queue: string; sinceBusySec: number; maxIdleSec: number }
  | { code: 'budget'; detail: string }
  | SpinUpVerdict
  | { code: 'orphan'; forSec: number; note: string | null }
  | { code: 'stopped'; stoppedSec: number; graceSec: number };

export type Action =
  | {
      kind: 'launch';
      queue: string;
      resource: string;
      count: number;
      reason: { code: 'demand'; instanceType: string; demand: Demand };
    }
  | {
      kind: 'terminate';
      instanceId: string;
      workerId: string | null;
      queue: string;
      resource: string;
      why: 'idle' | 'spin-up' | 'orphan' | 'budget' | 'stopped';
      /** Terminate only if a fresh worker read still shows it idle (busy work is never killed). */
      recheckIdle: boolean;
      reason: TerminateReason;
    }
  | { kind: 'mark-orphan'; instanceId: string; reason: { code: 'orphan-found'; note: string | null } }
  | { kind: 'unregister'; workerId: string; reason: { code: 'worker-gone'; instanceId: string } };

export interface InstanceClass {
  instance: InstanceObs;
  queue: string;
  resource: string;
  phase: InstancePhase;
  worker: WorkerObs | null;
  idleSec: number | null;
  note?: string;
  /** A booting instance waited for longer than the spin-up time allows, and why (`policy/spin-up.ts`). */
  spinUp?: SpinUpVerdict;
  /**
   * The ClearML server it was launched for, when that is not the config's and its worker is not on the config's
   * server: its work there cannot be seen from here, so it is an orphan left to finish (never terminated by the
   * policy, its lease not renewed: its watchdog stops it once idle after the lease ends).
   */
  otherServer?: string;
}

export interface QueueDecision {
  queue: string;
  exists: boolean;
  pending: number;
  oldestWaitSec: number | null;
  idle: number;
  busy: number;
  booting: number;
  launched: number;
  reason: DecisionReason;
}

export interface Plan {
  actions: Action[];
  decisions: QueueDecision[];
  instances: InstanceClass[];
}

const DEFAULT_ORPHAN_GRACE_MS = 5 * 60_000;
/**
 * How long one of ours stopped outside the app is left to be started again before it is terminated: long enough
 * for someone stopping it on purpose to notice the warning, short next to the month its volumes would bill unseen.
 */
export const STOPPED_GRACE_MS = 30 * 60_000;

export const cooldownKey = (queue: string, resource: string) => `${queue}|${resource}`;

/** Classify each of our instances by joining it to its worker on the instance id. */
export function classifyInstances(input: PolicyInput): InstanceClass[] {
  const { config, now } = input;
  const workerByInstance = new Map<string, WorkerObs>();
  for (const w of input.workers) {
    const p = parseWorkerId(w.id);
    if (p && p.prefix === config.scaling.workersPrefix) workerByInstance.set(p.instanceId, w);
  }
  return input.instances.map((instance) => {
    const queue = instance.tags[TAG.queue] ?? '';
    const resource = instance.tags[TAG.resource] ?? '';
    const worker = workerByInstance.get(instance.instanceId) ?? null;
    const explained =
      (entryOf(config.queues, queue) ?? []).some((e) => e.resource === resource) &&
      hasEntry(config.resources, resource);
    let phase: InstancePhase;
    let note: string | undefined;
    let spinUp: SpinUpVerdict | undefined;
    let otherServer: string | undefined;
    const launchedFor = instance.tags[TAG.server] ?? null;
    if (instance.state === 'stopping' || instance.state === 'stopped') {
      phase = 'stopped';
    } else if (!isLiveState(instance.state)) {
      phase = 'terminating';
    } else if (worker?.task) {
      phase = 'busy';
    } else if (!worker && launchedFor !== null && !sameServer(launchedFor, config.clearml.apiHost)) {
      phase = 'orphan';
      otherServer = launchedFor;
      note = config.lease.enabled
        ? `launched for ClearML server ${launchedFor}, not this config's: its work there cannot be seen from here, so it is left to finish; its lease is not renewed, and its watchdog stops it once idle after the lease ends`
        : `launched for ClearML server ${launchedFor}, not this config's: its work there cannot be seen from here, so it is left running (leases are off): terminate it here once its work there is done`;
    } else if (!explained) {
      phase = 'orphan';
      note = !queue
        ? 'has our prefix tag but no queue tag'
        : `queue '${queue}' / resource '${resource}' is not in the current config`;
    } else if (worker) {
      phase = 'idle';
    } else {
      phase = 'booting';
      spinUp =
        spinUpVerdict({
          now,
          launchedAt: instance.launchedAt,
          workerSeenAt: input.workerSeenAt?.get(instance.instanceId) ?? null,
          outages: input.clearmlOutages ?? [],
          spinUpMin: config.scaling.maxSpinUpMin,
        }) ?? undefined;
      if (spinUp)
        note = spinUp.code === 'spin-up' ? 'never registered as a ClearML worker' : 'its ClearML worker went missing';
    }
    const since = input.idleSince.get(instance.instanceId);
    const idleSec =
      phase === 'idle' && since !== undefined ? Math.max(0, (now - since) / 1000) : phase === 'idle' ? 0 : null;
    return {
      instance,
      queue,
      resource,
      phase,
      worker,
      idleSec,
      note,
      ...(spinUp ? { spinUp } : {}),
      ...(otherServer ? { otherServer } : {}),
    };
  });
}

export function plan(input: PolicyInput): Plan {
  const { config, now } = input;
  const classes = classifyInstances(input);
  const actions: Action[] = [];
  const decisions: QueueDecision[] = [];
  const listed = new Set(input.instances.map((i) => i.instanceId));
  const unlisted = input.inFlight.filter((f) => !f.instanceId || !listed.has(f.instanceId));

  const live = classes.filter((c) => c.phase !== 'terminating' && c.phase !== 'stopped');
  // Grouped once, so planning stays linear in queues + instances.
  const liveByQueue = new Map<string, InstanceClass[]>();
  for (const c of live) {
    const list = liveByQueue.get(c.queue);
    if (list) list.push(c);
    else liveByQueue.set(c.queue, [c]);
  }
  const foreign = (input.foreign ?? []).filter((f) => f.live);
  let globalRoom = config.scaling.maxTotalInstances - live.length - unlisted.length - foreign.length;

  const queuesByName = new Map(input.queues.map((q) => [q.name, q]));

  for (const [queueName, entries] of Object.entries(config.queues)) {
    const q = queuesByName.get(queueName);
    const mine = liveByQueue.get(queueName) ?? [];
    const idle = mine.filter((c) => c.phase === 'idle');
    const busy = mine.filter((c) => c.phase === 'busy');
    const bootingListed = mine.filter((c) => c.phase === 'booting' && !c.spinUp);
    const bootingUnlisted = unlisted.filter((f) => f.queue === queueName);
    const booting = bootingListed.length + bootingUnlisted.length;
    const foreignHere = foreign.filter((f) => f.queue === queueName);
    const foreignIdle = foreignIdleOn(foreignHere, queueName);
    const pending = q?.entries.length ?? 0;
    const oldest = q?.entries.reduce((m, e) => Math.min(m, e.addedAt), Infinity) ?? Infinity;
    const decision: QueueDecision = {
      queue: queueName,
      // Unread is not missing: a failed read lists no queue, and "missing on server" would send the user to check
      // queue names while the keys or the host are what is wrong.
      exists: !!q || !input.clearmlOk,
      pending,
      oldestWaitSec: Number.isFinite(oldest) ? Math.max(0, (now - oldest) / 1000) : null,
      idle: idle.length + foreignIdle,
      busy: busy.length + foreignHere.length - foreignIdle,
      booting,
      launched: 0,
      reason: { code: 'no-pending' },
    };
    decisions.push(decision);

    if (!input.clearmlOk) {
      decision.reason = { code: 'clearml-unreadable' };
      continue;
    }
    if (!q) {
      decision.reason = { code: 'queue-missing', queue: queueName };
      continue;
    }

    // ---- scale up
    const prewarm = pending === 0 ? (input.prewarm?.get(queueName) ?? 0) : 0;
    const freeing = pending > 0 ? Math.min(pending, input.freeingSoon?.get(queueName) ?? 0) : 0;
    const need = pending + prewarm - idle.length - booting - foreignIdle - freeing;
    const demand: Demand = {
      pending,
      idle: idle.length,
      booting,
      ...(prewarm ? { prewarm } : {}),
      ...(freeing ? { freeingSoon: freeing } : {}),
      ...(foreignHere.length ? { foreign: foreignHere.length, foreignIdle } : {}),
    };
    if (pending + prewarm === 0) {
      decision.reason = { code: 'no-pending' };
    } else if (need <= 0) {
      decision.reason = { code: 'covered', demand };
    } else if (input.launchStop || input.launchesPaused || input.pausedQueues.has(queueName)) {
      const scope = input.launchStop ?? (input.launchesPaused ? 'all' : 'queue');
      decision.reason = { code: 'paused', demand, need, scope };
    } else {
      let remaining = need;
      const launchedParts: { count: number; instanceType: string }[] = [];
      const blocked: Blocker[] = [];
      for (const entry of entries) {
        if (remaining <= 0) break;
        const res = entryOf(config.resources, entry.resource);
        if (!res) continue;
        const coolKey = cooldownKey(queueName, entry.resource);
        if (input.cooling.has(coolKey)) {
          blocked.push({
            code: 'cooling',
            resource: entry.resource,
            cause: input.coolingCauses?.get(coolKey) ?? 'capacity',
          });
          continue;
        }
        const running =
          mine.filter((c) => c.resource === entry.resource).length +
          bootingUnlisted.filter((f) => f.resource === entry.resource).length +
          foreignHere.filter((f) => f.resource === entry.resource).length;
        const allowedByCap = entry.maxInstances - running;
        if (allowedByCap <= 0) {
          blocked.push({ code: 'resource-cap', resource: entry.resource, max: entry.maxInstances });
          continue;
        }
        if (globalRoom <= 0) {
          blocked.push({ code: 'global-cap', max: config.scaling.maxTotalInstances });
          break;
        }
        let take = Math.min(remaining, allowedByCap, globalRoom);
        let budgetStop: { reason: string; cap?: string } | null = null;
        if (input.budget) {
          let ok = 0;
          for (; ok < take; ok++) {
            const v = input.budget({ queue: queueName, resource: entry.resource });
            if (!v.allowed) {
              budgetStop = v;
              break;
            }
          }
          take = ok;
        }
        if (take > 0) {
          actions.push({
            kind: 'launch',
            queue: queueName,
            resource: entry.resource,
            count: take,
            reason: { code: 'demand', instanceType: res.instanceType, demand },
          });
          launchedParts.push({ count: take, instanceType: res.instanceType });
          remaining -= take;
          globalRoom -= take;
          decision.launched += take;
        }
        if (!budgetStop && remaining > 0) {
          if (take === allowedByCap)
            blocked.push({ code: 'resource-cap', resource: entry.resource, max: entry.maxInstances });
          else if (globalRoom <= 0) blocked.push({ code: 'global-cap', max: config.scaling.maxTotalInstances });
        }
        if (budgetStop) {
          blocked.push({
            code: 'budget',
            detail: budgetStop.reason,
            ...(budgetStop.cap ? { cap: budgetStop.cap } : {}),
          });
          break;
        }
      }
      decision.reason = {
        code: 'scale-up',
        demand,
        need,
        launched: launchedParts,
        notLaunched: remaining,
        blockers: blocked,
      };
    }

    // ---- budget cap reached in terminate-idle mode: every idle worker in scope goes now
    const budgetIdle = input.budgetIdle;
    if (budgetIdle && (budgetIdle.global || budgetIdle.queues.has(queueName))) {
      for (const c of idle) {
        actions.push(terminate(c, 'budget', true, { code: 'budget', detail: budgetIdle.reason }));
      }
      continue;
    }

    // ---- scale down idle workers. As many as there are pending tasks stay (they are about to take them). Of the
    // rest, as many as recent demand predicts for the next maxIdleMin wait up to maxIdleMin; the surplus goes after
    // the shorter surplusIdleMin, so a burst that is over does not leave a full idle tail on every instance.
    // On-demand goes before spot, then the longest idle.
    const maxIdleSec = config.scaling.maxIdleMin * 60;
    const surplusIdleSec = Math.min(config.scaling.surplusIdleMin * 60, maxIdleSec);
    const byPriority = [...idle].sort(
      (a, b) =>
        Number(b.instance.market === 'on-demand') - Number(a.instance.market === 'on-demand') ||
        (b.idleSec ?? 0) - (a.idleSec ?? 0),
    );
    const candidates = byPriority.slice(0, idle.length - Math.min(idle.length, pending));
    // Idle workers of ClearML's autoscaler here (those the pending tasks beyond ours do not take) take the queue's
    // next tasks as ours would, and this app cannot scale them down: they cover the forecast first, so a duplicate
    // of ours (both autoscalers launched for one task) is surplus rather than kept a whole maxIdleMin beside them.
    const spare = foreignSpare(foreignIdle, pending, idle.length);
    const expected = Math.max(0, Math.ceil(input.expectedArrivals?.get(queueName) ?? candidates.length) - spare);
    const surplus = Math.max(0, candidates.length - expected);
    const keptIdleSec = Math.min(maxIdleSec, input.keptIdleSec?.get(queueName) ?? maxIdleSec);
    const idleRunSec = input.idleRunSec?.get(queueName) ?? [];
    candidates.forEach((c, i) => {
      // Kept by the forecast, but idle since before this run began: keeping it up to maxIdleMin from now could
      // exceed maxIdleMin in all, so it gets the short limit; and once maxIdleMin has passed since the last moment
      // it is known to have been busy or registered, it goes now (maxIdleMin stays the ceiling across a restart).
      const busyAt = input.idleInherited?.get(c.instance.instanceId) ?? null;
      const sinceBusySec = busyAt === null ? 0 : (now - busyAt) / 1000;
      const overCeiling = busyAt !== null && sinceBusySec >= maxIdleSec;
      const inherited = i >= surplus && !!input.idleInherited?.has(c.instance.instanceId);
      // A release lets go at once only the workers the forecast does not keep: one it keeps that was idle before
      // this run began still gets the surplus limit.
      const surplusLimit = input.releaseIdle?.has(queueName) ? 0 : surplusIdleSec;
      // The forecast's own limit for a kept worker spares the last candidate, the freshest idle worker: the one
      // the next task finds.
      const keptLimit = i < candidates.length - 1 ? keptIdleSec : maxIdleSec;
      const limit = i < surplus ? surplusLimit : inherited ? surplusIdleSec : keptLimit;
      const ownIdleSec = c.idleSec ?? 0;
      // Against the kept limit, below the freshest few, the time the queue has had this many idle workers counts
      // (see idleRunSec).
      const byQueue = i >= surplus && !inherited && i < candidates.length - OWN_TIME_FRESHEST;
      const queueIdleSec = byQueue && keptLimit < maxIdleSec ? (idleRunSec[i] ?? 0) : 0;
      const idleSec = Math.max(ownIdleSec, queueIdleSec);
      if (idleSec < limit && !overCeiling) return;
      const reason: TerminateReason = overCeiling
        ? { code: 'idle-ceiling', queue: queueName, sinceBusySec, maxIdleSec }
        : i < surplus
          ? {
              code: 'idle-surplus',
              queue: queueName,
              idleSec,
              maxIdleSec,
              expected,
              ...(spare ? { foreignIdle: spare } : {}),
            }
          : inherited
            ? { code: 'idle-inherited', queue: queueName, idleSec, surplusIdleSec }
            : keptLimit < maxIdleSec
              ? {
                  code: 'idle-unused',
                  queue: queueName,
                  idleSec,
                  keptIdleSec,
                  ...(queueIdleSec > ownIdleSec ? { queueIdleWorkers: i + 1 } : {}),
                }
              : { code: 'idle', queue: queueName, idleSec, maxIdleSec };
      actions.push(terminate(c, 'idle', true, reason));
    });
  }

  // ---- stopped outside the app: no use to anyone while its volumes bill, and the app never stops its own
  for (const c of classes) {
    if (c.phase !== 'stopped') continue;
    const since = input.stoppedSince?.get(c.instance.instanceId);
    if (since !== undefined && now - since >= STOPPED_GRACE_MS) {
      const reason: TerminateReason = {
        code: 'stopped',
        stoppedSec: (now - since) / 1000,
        graceSec: STOPPED_GRACE_MS / 1000,
      };
      actions.push(terminate(c, 'stopped', false, reason));
    }
  }

  if (input.clearmlOk) {
    // ---- instances whose worker did not come (or went missing) within the spin-up time
    for (const c of classes) {
      if (c.phase === 'booting' && c.spinUp) actions.push(terminate(c, 'spin-up', false, c.spinUp));
    }

    // ---- orphans, in two phases: mark, then terminate on a later tick if still unexplained and not busy
    const grace = input.orphanGraceMs ?? DEFAULT_ORPHAN_GRACE_MS;
    for (const c of classes) {
      if (c.phase !== 'orphan' || c.otherServer) continue;
      const markedAt = Number(c.instance.tags[TAG.orphanSince]);
      if (!Number.isFinite(markedAt) || markedAt <= 0) {
        actions.push({
          kind: 'mark-orphan',
          instanceId: c.instance.instanceId,
          reason: { code: 'orphan-found', note: c.note ?? null },
        });
      } else if (now - markedAt >= grace) {
        const reason: TerminateReason = { code: 'orphan', forSec: (now - markedAt) / 1000, note: c.note ?? null };
        actions.push(terminate(c, 'orphan', !!c.worker, reason));
      }
    }

    // ---- zombie workers: ours, but their instance is gone and was not just launched
    const liveIds = new Set(live.map((c) => c.instance.instanceId));
    const inFlightIds = new Set(input.inFlight.map((f) => f.instanceId).filter(Boolean));
    for (const w of input.workers) {
      const p = parseWorkerId(w.id);
      if (!p || p.prefix !== config.scaling.workersPrefix) continue;
      if (liveIds.has(p.instanceId) || inFlightIds.has(p.instanceId) || w.task) continue;
      if (input.zombieWorkers && !input.zombieWorkers.has(w.id)) continue;
      actions.push({ kind: 'unregister', workerId: w.id, reason: { code: 'worker-gone', instanceId: p.instanceId } });
    }
  }

  return { actions, decisions, instances: classes };
}

type TerminateAction = Extract<Action, { kind: 'terminate' }>;

function terminate(
  c: InstanceClass,
  why: TerminateAction['why'],
  recheckIdle: boolean,
  reason: TerminateReason,
): TerminateAction {
  return {
    kind: 'terminate',
    instanceId: c.instance.instanceId,
    workerId: c.worker?.id ?? null,
    queue: c.queue,
    resource: c.resource,
    why,
    recheckIdle,
    reason,
  };
}

/** Idle workers of ClearML's autoscaler on a queue, pending or running (what its next tasks may go to). */
export function foreignIdleOn(
  foreign: readonly Pick<ForeignWorker, 'live' | 'busy' | 'queue'>[] | undefined,
  queue: string,
): number {
  return (foreign ?? []).filter((f) => f.live && f.queue === queue && !f.busy).length;
}

/**
 * Of a queue's idle workers of ClearML's autoscaler, those its pending tasks beyond ours do not take: they take the
 * queue's next tasks as ours would, and this app cannot scale them down, so they cover the forecast before ours. The
 * one rule the plan's surplus and the keep-warm line (`netOfForeign`) share.
 */
export function foreignSpare(foreignIdle: number, pending: number, ownIdle: number): number {
  return Math.max(0, foreignIdle - Math.max(0, pending - ownIdle));
}
