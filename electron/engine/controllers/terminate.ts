/**
 * Removal: the policy's mark-orphan, terminate and unregister actions, in that order. Idle terminations are
 * re-checked against a fresh worker read first (a worker can pick up a task between observation and action, and
 * busy work is never killed). It remembers what it terminated, so a vanished instance of ours is not mistaken for
 * a lost one whose task needs requeueing.
 */
import type { LaunchMarginHold } from '../team/lease-decision.js';
import type { Config } from '../../../shared/config.js';
import { errorText } from '../../../shared/error-text.js';
import { ev, type NewEvent } from '../events.js';
import type { Action } from '../policy.js';
import { renderActionReason } from '../reasons.js';
import { Ec2Error, TAG, type ClearmlApi, type Ec2Api, type InstanceObs } from '../ports.js';
import { plural } from '../../../shared/words.js';
import type { AuthGate } from './auth.js';
import type { IdleTracker } from './idle.js';

type TerminateAction = Extract<Action, { kind: 'terminate' }>;

export interface ActContext {
  now: number;
  emit: (e: NewEvent) => void;
  /**
   * Emits unless the same key was emitted lately (the event log's `emitOnce`): for a failure retried every tick,
   * which would otherwise log one identical event per poll. Absent: `emit`.
   */
  emitOnce?: (key: string, e: NewEvent) => void;
  /** This tick's error lines (the tick result and the status text). */
  errors: string[];
  /** Team mode: this engine's stamp (`TAG.engine`) for what it launches and renews; null/absent: none. */
  stamp?: string | null;
  /** Team mode (lease): asked before each batch of launches; a hold ends this tick's launches. */
  launchHold?: () => LaunchMarginHold | null;
}

/** How long an instance we terminated is remembered after EC2 stops listing it. */
const REMEMBER_TERMINATED_MS = 3600_000;
/**
 * Workers unregistered in one tick at most, those of the instances it terminated included; the rest wait for the
 * next ticks (a worker whose instance is gone is unregistered then) or ClearML's own timeout. One call each, one
 * after the other: a tick that terminates 1,000 idle instances must not make 1,000 more ClearML calls.
 */
export const MAX_UNREGISTER_PER_TICK = 20;

export class TerminateController {
  private readonly terminated = new Map<string, number>();

  constructor(
    private readonly ports: { ec2: Ec2Api; clearml: ClearmlApi },
    private readonly idle: IdleTracker,
    private readonly auth: AuthGate,
  ) {}

  /** instanceId → when we terminated it. */
  get terminatedByUs(): ReadonlyMap<string, number> {
    return this.terminated;
  }

  /** What the engine before this one terminated (a new config replaced it): not lost spot work to requeue. */
  carryFrom(previous: TerminateController): void {
    for (const [id, at] of previous.terminated) if (!this.terminated.has(id)) this.terminated.set(id, at);
  }

  prune(instances: readonly InstanceObs[], now: number): void {
    const listed = new Set(instances.map((i) => i.instanceId));
    for (const [id, at] of this.terminated)
      if (!listed.has(id) && now - at > REMEMBER_TERMINATED_MS) this.terminated.delete(id);
  }

  /** Carry out the removal actions of a plan; returns the instance ids terminated. */
  async act(actions: readonly Action[], config: Config, ctx: ActContext): Promise<string[]> {
    await this.markOrphans(actions, ctx);
    const { ids, workerIds } = await this.terminate(
      actions.filter((a): a is TerminateAction => a.kind === 'terminate'),
      config,
      ctx,
    );
    // The workers of what was just terminated first (their agents may still report), then those of gone instances.
    const budget = MAX_UNREGISTER_PER_TICK - workerIds.length;
    for (const id of workerIds.slice(0, MAX_UNREGISTER_PER_TICK))
      await this.ports.clearml.unregisterWorker(id).catch(() => undefined);
    if (budget > 0) await this.unregister(actions, ctx, budget);
    return ids;
  }

  private async markOrphans(actions: readonly Action[], ctx: ActContext): Promise<void> {
    const marks = actions.filter((a) => a.kind === 'mark-orphan');
    if (!marks.length) return;
    try {
      await this.ports.ec2.createTags(
        marks.map((a) => a.instanceId),
        { [TAG.orphanSince]: String(ctx.now) },
      );
      for (const a of marks) ctx.emit(ev.orphanMarked(a.instanceId, renderActionReason(a)));
    } catch (e) {
      ctx.errors.push(`marking orphans failed: ${errorText(e)}`);
    }
  }

  /** Terminates what the re-check confirms; returns the instance ids terminated and their worker ids. */
  private async terminate(
    terms: TerminateAction[],
    config: Config,
    ctx: ActContext,
  ): Promise<{ ids: string[]; workerIds: string[] }> {
    const none = { ids: [], workerIds: [] };
    if (!terms.length) return none;
    const { ec2, clearml } = this.ports;
    let confirmed = terms;
    if (terms.some((t) => t.recheckIdle)) {
      try {
        const fresh = await clearml.listWorkers(config.scaling.workersPrefix);
        const busy = new Set(fresh.filter((w) => w.task).map((w) => w.id));
        confirmed = terms.filter((t) => !t.recheckIdle || !t.workerId || !busy.has(t.workerId));
        for (const t of terms) if (!confirmed.includes(t)) this.idle.forget(t.instanceId);
      } catch (e) {
        confirmed = terms.filter((t) => !t.recheckIdle);
        ctx.errors.push(`idle re-check failed, idle instances kept: ${errorText(e)}`);
      }
    }
    if (!confirmed.length) return none;
    const ids = confirmed.map((t) => t.instanceId);
    try {
      await ec2.terminateInstances(ids);
    } catch (e) {
      const failed = ev.terminateFailed(ids, e);
      ctx.errors.push(failed.message);
      // Retried at every tick while EC2 refuses (the status says so each time): the log says it once in a while.
      if (ctx.emitOnce) ctx.emitOnce(`terminate-failed|${failed.message}`, failed);
      else ctx.emit(failed);
      this.auth.note(e, ctx.now, 'TerminateInstances');
      return none;
    }
    const lifted = this.auth.passed('terminate');
    if (lifted) ctx.emit(ev.authRecovered(lifted, 'terminate', ctx.now));
    for (const t of confirmed) {
      this.terminated.set(t.instanceId, ctx.now);
      this.idle.forget(t.instanceId);
    }
    for (const group of groupBy(confirmed, (t) => `${t.queue}|${t.why}`).values()) {
      const first = group[0]!;
      ctx.emit(
        ev.terminated({
          queue: first.queue,
          idle: first.why === 'idle',
          instanceIds: group.map((t) => t.instanceId),
          reason: renderActionReason(first),
        }),
      );
    }
    return { ids, workerIds: confirmed.flatMap((t) => (t.workerId ? [t.workerId] : [])) };
  }

  private async unregister(actions: readonly Action[], ctx: ActContext, budget: number): Promise<void> {
    // A tidy-up, not a safety step (ClearML drops a silent worker on its own within minutes): bounded per tick, so
    // a server listing thousands of dead workers of our prefix cannot make each tick thousands of calls long.
    const some = actions.flatMap((a) => (a.kind === 'unregister' ? [a] : [])).slice(0, budget);
    for (const a of some) {
      try {
        await this.ports.clearml.unregisterWorker(a.workerId);
        ctx.emit(ev.unregistered(a.workerId, renderActionReason(a)));
      } catch (e) {
        ctx.errors.push(`unregister ${a.workerId} failed: ${errorText(e)}`);
      }
    }
  }

  /**
   * Terminate instances on the user's request (ours only); returns those terminated. Ours are those EC2 lists with
   * our prefix, and `launching`: this engine's launches EC2 does not list yet (its listing is eventually consistent,
   * and the dashboard, the tray and the quit question already show them). EC2 answers an id it does not know yet as
   * not found, which the provider skips like an instance already gone; for those launches that would be a silent
   * "done" while they bill, so they are looked up afterwards, and any not terminating makes this throw with the
   * ones that were, so the caller can say so and try again.
   */
  async terminateNow(
    ids: readonly string[],
    reason: string,
    instances: readonly InstanceObs[],
    now: () => number,
    emit: (e: NewEvent) => void,
    launching: readonly string[] = [],
  ): Promise<string[]> {
    const listed = new Set(instances.map((i) => i.instanceId));
    const unlisted = new Set(launching.filter((id) => !listed.has(id)));
    const targets = ids.filter((id) => listed.has(id) || unlisted.has(id));
    if (!targets.length) return [];
    await this.ports.ec2.terminateInstances(targets);
    const missed = await this.notEnding(targets.filter((id) => unlisted.has(id)));
    const done = targets.filter((id) => !missed.includes(id));
    const at = now();
    for (const id of done) this.terminated.set(id, at);
    if (done.length) emit(ev.terminatedOnRequest(done, reason));
    if (missed.length) {
      throw new Ec2Error(
        'other',
        'InvalidInstanceID.NotFound',
        `${plural(missed.length, 'instance')} launched moments ago (${missed.join(', ')}) could not be terminated yet: ` +
          `EC2 does not list ${missed.length === 1 ? 'it' : 'them'} yet (its listing lags a launch by a few seconds)` +
          `${done.length ? `; ${plural(done.length, 'other')} ${done.length === 1 ? 'is' : 'are'} terminating` : ''}. ` +
          'Try again in a few seconds.',
      );
    }
    return done;
  }

  /** Of `ids`, those EC2 does not show shutting down or terminated (unknown to it yet, or still running). */
  private async notEnding(ids: readonly string[]): Promise<string[]> {
    const ec2 = this.ports.ec2;
    if (!ids.length || !ec2.describeInstancesById) return [];
    const seen = await ec2.describeInstancesById(ids, { includeTerminated: true });
    const ending = new Set(
      seen.filter((i) => i.state === 'shutting-down' || i.state === 'terminated').map((i) => i.instanceId),
    );
    return ids.filter((id) => !ending.has(id));
  }
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
