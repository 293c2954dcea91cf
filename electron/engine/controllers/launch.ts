/**
 * Launching: the policy's launch actions carried out in batches of parallel RunInstances calls, each with
 * placement and market fallback (ec2/launcher.ts). Its memory, all of which only makes it more careful:
 * - launches EC2 does not list yet (in flight), which count as booting so the same demand is not launched twice;
 * - capacity cool-downs: a (queue, resource) whose every placement ran out is skipped for a while, so the queue
 *   moves on to its next resource;
 * - refusals of the resource's configuration (a wrong AMI, subnet, security group, key pair or parameter): the
 *   (queue, resource) is skipped longer (CONFIG_REFUSAL_COOLDOWN_MS) and named in the status meanwhile, so the
 *   queue moves on instead of sending the same bad request every tick, and a fix made in AWS (an AMI
 *   shared at last) still heals at a later try;
 * - spot launches refused for want of the Spot service-linked role: held and named the same way (only an IAM change
 *   heals it), after the launcher fell back to on-demand where the resource allows it;
 * - on-demand credits: after a spot loss, the replacement of each requeued task launches on-demand (where the
 *   resource allows fallback), one credit per lost task, valid 30 min, so the queue does not stay on on-demand.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../../../shared/config.js';
import type { EventCode, Market } from '../../../shared/domain.js';
import { errorText } from '../../../shared/error-text.js';
import { sentence } from '../../../shared/words.js';
import { credentialsCode, ev, type OnDemandLaunch } from '../events.js';
import { whyOnDemand } from '../ec2/why-on-demand.js';
import {
  CapacityCooldowns,
  capacityKeyOf,
  DEFAULT_CAPACITY_COOLDOWN_MS,
  launchWithFallback,
  resendLaunch,
  type LaunchAttempt,
} from '../ec2/launcher.js';
import { mayHaveActed } from '../ec2/errors.js';
import { launchBase, type LaunchBase } from '../launch-request.js';
import { renderActionReason } from '../reasons.js';
import { cooldownKey, type Action, type CoolingCause, type InFlightLaunch } from '../policy.js';
import type { Ec2Api, Ec2ErrorKind, InstanceObs } from '../ports.js';
import { authBlockSummary, type AuthGate } from './auth.js';
import type { ActContext } from './terminate.js';
import { entryOf } from '../../../shared/data-record.js';

/**
 * How long a launch EC2 does not list yet is remembered. Crash recovery's re-send window stays below it, so a
 * launch it seeds is still counted when EC2 finally lists it.
 */
export const IN_FLIGHT_TTL_MS = 10 * 60_000;
const ON_DEMAND_CREDIT_MS = 30 * 60_000;
/**
 * How long a (queue, resource) whose launch EC2 refused for its configuration is skipped: longer than a capacity
 * shortage, which passes by itself, while a bad AMI or subnet stays bad until someone fixes it (a settings change of
 * the resource ends it at once: `carryFrom` drops it).
 */
export const CONFIG_REFUSAL_COOLDOWN_MS = 30 * 60_000;

/** A (queue, resource) whose last launch EC2 refused for its configuration, for the status. */
export interface LaunchRefusal {
  queue: string;
  resource: string;
  /** Its settings (an AMI, a subnet, …), or the account's missing Spot service-linked role. */
  cause: Exclude<CoolingCause, 'capacity'>;
  /** What EC2 said, as `Ec2Error` words it (names the code and what to check). */
  message: string;
  /** When the resource is tried again. */
  retryAt: number;
}

export interface LaunchIntent extends LaunchAttempt {
  queue: string;
  resource: string;
  at: number;
  /** The engine stamp the request carries (`TAG.engine`), when it carries one. */
  stamp?: string;
}

/** A launch whose answer was lost, as it was sent: the request, its attempt (client token) and journaled intent. */
interface Unsure {
  base: LaunchBase;
  attempt: LaunchAttempt;
  intent: LaunchIntent;
}

export interface LaunchPorts {
  ec2: Ec2Api;
  /** The instance startup script for one launch (the host closes over credentials; the engine never sees them). */
  userData: (launch: { queue: string; resource: string }) => string;
  newClientToken?: () => string;
  /** Crash-safe launches: called (and awaited) before every RunInstances with the exact request's identity. */
  beforeLaunchAttempt?: (intent: LaunchIntent) => Promise<void>;
  afterLaunch?: (intent: LaunchIntent, result: { instanceId: string } | { error: string }) => Promise<void>;
  launchConcurrency?: number;
  /** How long a (queue, resource) is skipped after every placement ran out of capacity. */
  capacityCooldownMs?: number;
}

type LaunchAction = Extract<Action, { kind: 'launch' }>;

/** What happens after a configuration refusal, for the event and the status. */
export function refusalRetryText(queue: string, resource: string): string {
  return (
    `'${resource}' is tried again in ${Math.round(CONFIG_REFUSAL_COOLDOWN_MS / 60_000)} min, or at the next poll ` +
    `once its settings change; meanwhile '${queue}' uses its next resource, if it has one.`
  );
}

/** A refusal's notification fields for its failed-launch event: the short form, the code, the wait before a try. */
interface LaunchNotice {
  summary: string;
  code?: EventCode;
  retryInMs?: number;
}

export class LaunchController {
  private flying: InFlightLaunch[] = [];
  private readonly cooling = new Map<string, number>();
  /**
   * Per (queue, resource): launches whose answer was lost (`mayHaveActed`), each as it was sent. The next launch
   * there sends one again unchanged, so an instance EC2 launched but does not list yet is not launched twice.
   */
  private readonly unsure = new Map<string, Unsure[]>();
  /** By cool-down key: the resources whose launches EC2 refuses for their configuration. */
  private readonly refused = new Map<string, LaunchRefusal>();
  private readonly capacity = new CapacityCooldowns();
  private readonly credits = new Map<string, { count: number; until: number }>();

  constructor(
    private readonly ports: LaunchPorts,
    private readonly auth: AuthGate,
  ) {}

  get inFlight(): readonly InFlightLaunch[] {
    return this.flying;
  }

  /**
   * Launches made before this engine existed (recovered from the launch journal) that EC2 may not list yet; one
   * already counted (carried over from the engine before) is not counted twice.
   */
  seedInFlight(launches: readonly InFlightLaunch[]): void {
    const known = new Set(this.flying.flatMap((f) => (f.instanceId ? [f.instanceId] : [])));
    this.flying.push(...launches.filter((f) => !f.instanceId || !known.has(f.instanceId)));
  }

  /**
   * The memory of the engine before this one, when a new config of the same world replaced it: its launches in
   * flight (forgotten, their tasks would be launched for again), capacity cool-downs and on-demand credits. A
   * (queue, resource) cool-down is kept only while the resource is defined as before: a user who changed its
   * instance type or placements to get past the shortage wants it tried now.
   */
  carryFrom(previous: LaunchController, unchangedResource: (resource: string) => boolean): void {
    const mine = this.flying;
    this.flying = [];
    this.seedInFlight(previous.flying);
    this.seedInFlight(mine);
    for (const [key, until] of previous.cooling)
      if (unchangedResource(key.slice(key.indexOf('|') + 1)) && until > (this.cooling.get(key) ?? 0))
        this.cooling.set(key, until);
    for (const [key, refusal] of previous.refused)
      if (unchangedResource(refusal.resource) && !this.refused.has(key)) this.refused.set(key, refusal);
    this.capacity.carryFrom(previous.capacity);
    for (const [queue, credit] of previous.credits) if (!this.credits.has(queue)) this.credits.set(queue, credit);
  }

  /** `${queue}|${resource}` pairs cooling down at `now`, for the policy. */
  coolingAt(now: number): Set<string> {
    return new Set([...this.cooling].filter(([, until]) => until > now).map(([k]) => k));
  }

  /** Why each pair cooling at `now` cools, for the queue's decision: a refusal recorded for it, else capacity. */
  coolingCausesAt(now: number): Map<string, CoolingCause> {
    return new Map([...this.coolingAt(now)].map((k) => [k, this.refused.get(k)?.cause ?? 'capacity']));
  }

  /** The (queue, resource) pairs skipped because EC2 refused their configuration, for the status. */
  get refusals(): LaunchRefusal[] {
    return [...this.refused.values()];
  }

  /** A spot task of this queue was lost: its replacement launches on-demand. */
  grantOnDemandCredit(queue: string, now: number): void {
    const credit = this.credits.get(queue);
    const count = credit && credit.until > now ? credit.count + 1 : 1;
    this.credits.set(queue, { count, until: now + ON_DEMAND_CREDIT_MS });
  }

  /** Forget in-flight launches EC2 now lists (or that are too old) and expired cool-downs. */
  prune(instances: readonly InstanceObs[], now: number): void {
    const listed = new Set(instances.map((i) => i.instanceId));
    this.flying = this.flying.filter(
      (f) => !(f.instanceId && listed.has(f.instanceId)) && now - f.at < IN_FLIGHT_TTL_MS,
    );
    for (const [k, until] of this.cooling) if (until <= now) this.cooling.delete(k);
    // Past the time EC2 takes to list a launch: one that went through is listed by now, so none is sent again.
    for (const [k, list] of this.unsure) {
      const kept = list.filter((u) => now - u.intent.at < IN_FLIGHT_TTL_MS);
      if (kept.length) this.unsure.set(k, kept);
      else this.unsure.delete(k);
    }
    // Said while it is skipped: the try that ends the cool-down says it again if EC2 still refuses it.
    for (const [k, r] of this.refused) if (r.retryAt <= now) this.refused.delete(k);
  }

  /** The oldest launch of this (queue, resource) whose answer was lost, taken off the list to be sent again. */
  private takeUnsure(key: string, now: number): Unsure | null {
    const list = this.unsure.get(key) ?? [];
    const next = list.find((u) => now - u.intent.at < IN_FLIGHT_TTL_MS) ?? null;
    const rest = next ? list.filter((u) => u !== next) : [];
    if (rest.length) this.unsure.set(key, rest);
    else this.unsure.delete(key);
    return next;
  }

  /** Carry out the plan's launch actions in order; returns the instance ids launched. */
  async act(actions: readonly Action[], config: Config, ctx: ActContext): Promise<string[]> {
    const launched: string[] = [];
    for (const planned of actions) {
      if (planned.kind !== 'launch') continue;
      const gate = this.auth.launchGate(ctx.now);
      if (gate.code === 'blocked') break;
      // While credentials are refused, one launch finds out whether they still are; the rest wait for its answer.
      const trying = gate.code === 'retry';
      const a = trying ? { ...planned, count: 1 } : planned;
      const outcome = await this.launchMany(a, config, ctx);
      launched.push(...outcome.ids);
      if (outcome.ids.length) {
        ctx.emit(
          ev.launched({
            queue: a.queue,
            resource: a.resource,
            instanceType: entryOf(config.resources, a.resource)?.instanceType ?? a.resource,
            ids: outcome.ids,
            why: renderActionReason(a),
            prewarm: a.reason.demand.prewarm,
            ...(outcome.onDemand ? { onDemand: outcome.onDemand, now: ctx.now } : {}),
          }),
        );
      }
      if (outcome.error) {
        ctx.errors.push(outcome.error);
        ctx.emit(
          ev.launchFailed(a.queue, a.resource, outcome.error, a.reason.demand.prewarm, {
            ...(outcome.cause ? { cause: outcome.cause } : {}),
            ...outcome.notice,
          }),
        );
      }
      // A try that failed for another reason (capacity, a throttle) proves nothing either way: try again later.
      if (trying && this.auth.current && this.auth.current.retryAt <= ctx.now) this.auth.retryLater(ctx.now);
      if (outcome.stopAll || (trying && this.auth.current)) break;
    }
    return launched;
  }

  /**
   * A refusal that will not pass by itself (its settings, a missing Spot role): the (queue, resource) is skipped for
   * CONFIG_REFUSAL_COOLDOWN_MS, so the queue moves on to its next resource and the broken one is tried rarely, and
   * the status names it meanwhile.
   */
  private holdRefused(a: LaunchAction, cause: LaunchRefusal['cause'], message: string, now: number): void {
    const key = cooldownKey(a.queue, a.resource);
    const retryAt = now + CONFIG_REFUSAL_COOLDOWN_MS;
    this.cooling.set(key, retryAt);
    this.refused.set(key, { queue: a.queue, resource: a.resource, cause, message, retryAt });
  }

  private async launchMany(
    a: LaunchAction,
    config: Config,
    ctx: ActContext,
  ): Promise<{
    ids: string[];
    /** The launches of a spot resource that ran on-demand, and why. */
    onDemand?: OnDemandLaunch[];
    error: string | null;
    cause?: Ec2ErrorKind;
    stopAll: boolean;
    notice?: LaunchNotice;
  }> {
    const now = ctx.now;
    const stamp = ctx.stamp ?? null;
    const res = entryOf(config.resources, a.resource);
    if (!res) return { ids: [], error: `resource '${a.resource}' vanished from the config`, stopAll: false };
    const ids: string[] = [];
    const onDemand: OnDemandLaunch[] = [];
    const credit = this.credits.get(a.queue);
    let onDemandLeft =
      credit && credit.until > now && res.market === 'spot' && res.spotFallbackToOnDemand ? credit.count : 0;
    let userData: string;
    try {
      userData = this.ports.userData({ queue: a.queue, resource: a.resource });
    } catch (e) {
      return {
        ids: [],
        error: `the startup script for ${a.resource} could not be built: ${errorText(e)}`,
        stopAll: false,
      };
    }
    const key = cooldownKey(a.queue, a.resource);
    // The re-sent ones keep the intent they were first journaled with (its time is in the request: the lease tag).
    const resent = new Map<LaunchAttempt, Unsure>();
    const intentOf = (attempt: LaunchAttempt): LaunchIntent =>
      resent.get(attempt)?.intent ?? {
        ...attempt,
        queue: a.queue,
        resource: a.resource,
        at: now,
        ...(stamp ? { stamp } : {}),
      };
    const { beforeLaunchAttempt, afterLaunch } = this.ports;
    const base = launchBase(config, { queue: a.queue, resource: a.resource, at: now, stamp }, userData)!;
    const concurrency = Math.max(1, this.ports.launchConcurrency ?? 4);
    let error: string | null = null;
    // A refusal's short form for a notification, kept with the text it shortens (a later outcome may replace it).
    let summary: { of: string; notice: LaunchNotice } | null = null;
    /** The kind of EC2 error `error` words, for the event (the notifier decides from it, not from the words). */
    let cause: Ec2ErrorKind | undefined;
    let stopAll = false;
    let remaining = a.count;
    while (remaining > 0 && !stopAll && !error) {
      // The act phase may have run long since the lease was checked: a launch that could land after a standby
      // takes over would launch for the same tasks twice.
      const hold = ctx.launchHold?.() ?? null;
      if (hold) {
        ctx.emit(ev.launchHeldForLease(a.queue, a.resource, remaining, hold));
        return { ids, error: null, stopAll: true };
      }
      const batch = Math.min(concurrency, remaining);
      remaining -= batch;
      const viaCredit: boolean[] = [];
      const outcomes = await Promise.all(
        Array.from({ length: batch }, () => {
          const again = this.takeUnsure(key, now);
          if (again) {
            resent.set(again.attempt, again);
            return resendLaunch(
              this.ports.ec2,
              again.base,
              again.attempt,
              beforeLaunchAttempt ? (attempt) => beforeLaunchAttempt(intentOf(attempt)) : undefined,
            );
          }
          const market: Market = onDemandLeft > 0 ? 'on-demand' : res.market;
          viaCredit.push(onDemandLeft > 0);
          if (onDemandLeft > 0) onDemandLeft--;
          return launchWithFallback(this.ports.ec2, {
            base,
            market,
            spotFallbackToOnDemand: res.spotFallbackToOnDemand,
            subnetIds: res.subnetIds,
            availabilityZones: res.availabilityZones,
            cooldowns: this.capacity,
            now,
            newClientToken: this.ports.newClientToken ?? randomUUID,
            beforeAttempt: beforeLaunchAttempt ? (attempt) => beforeLaunchAttempt(intentOf(attempt)) : undefined,
          });
        }),
      );
      // Launches of one batch run side by side: one told "no capacity" moments before a sibling launched in the
      // same (type, market, placement) must not leave it cooling, nor the (queue, resource) while it launches.
      const launchedHere = outcomes.filter((o) => o.ok).length;
      for (const o of outcomes) if (o.ok) this.capacity.launched(capacityKeyOf(res.instanceType, o.attempt));
      const short = outcomes.filter((o) => !o.ok && o.error.kind === 'capacity').length;
      for (const [k, o] of outcomes.entries()) {
        if (o.ok) {
          const why = whyOnDemand(res.market, res.instanceType, o, viaCredit[k]!, this.capacity, now);
          if (why) onDemand.push({ instanceId: o.instanceId, why });
        }
        if (o.ok && o.attempt.market === 'on-demand' && res.market === 'spot') {
          const c = this.credits.get(a.queue);
          if (c) c.count = Math.max(0, c.count - 1);
        }
        // Attempts EC2 refused before the launch moved on (another placement or market): settled now with their
        // own refusal, not left open for a later tick, or a restart in between, to count as possibly booting.
        for (const t of o.attempts.slice(0, -1))
          if (t.error) await afterLaunch?.(intentOf(t.attempt), { error: t.error.code });
        if (o.ok) {
          const lifted = this.auth.passed('launch');
          if (lifted) ctx.emit(ev.authRecovered(lifted, 'launch', now));
          ids.push(o.instanceId);
          this.flying.push({
            queue: a.queue,
            resource: a.resource,
            instanceId: o.instanceId,
            at: now,
            market: o.attempt.market,
            ...(o.zone ? { zone: o.zone } : {}),
          });
          await afterLaunch?.(intentOf(o.attempt), { instanceId: o.instanceId });
          continue;
        }
        const last = o.attempts.at(-1);
        if (last) await afterLaunch?.(intentOf(last.attempt), { error: o.error.code });
        if (last && mayHaveActed(o.error)) {
          const sent = resent.get(last.attempt) ?? { base, attempt: last.attempt, intent: intentOf(last.attempt) };
          this.unsure.set(key, [...(this.unsure.get(key) ?? []), sent]);
        }
        cause = o.error.kind;
        if (o.error.kind === 'spot-role') {
          // Not a shortage that passes by itself: held like a refused configuration until someone adds the role.
          this.holdRefused(a, 'spot-role', o.error.message, now);
          error = `spot launches of ${res.instanceType} (${a.resource}) are refused: ${o.error.message} ${refusalRetryText(a.queue, a.resource)}`;
        } else if (o.error.kind === 'capacity' && launchedHere > 0) {
          error = `${short} of ${batch} launches of ${res.instanceType} (${a.resource}) found no capacity: ${sentence(o.error.message)} ${short === 1 ? 'It is' : 'They are'} tried again at the next poll.`;
        } else if (o.error.kind === 'capacity') {
          const ms = this.ports.capacityCooldownMs ?? DEFAULT_CAPACITY_COOLDOWN_MS;
          this.cooling.set(cooldownKey(a.queue, a.resource), now + ms);
          const markets = new Set(o.attempts.map((t) => t.attempt.market));
          const tried = markets.size > 1 ? ', spot or on-demand' : '';
          error = `no capacity for ${res.instanceType} (${a.resource}) in any configured placement${tried}: ${sentence(o.error.message)} '${a.queue}' will use its next resource for ${Math.round(ms / 60_000)} min`;
        } else if (o.error.kind === 'auth') {
          this.auth.note(o.error, now, 'RunInstances');
          error = this.auth.blockedAt(now);
          const b = this.auth.current;
          if (b && error) {
            const { notice, retryInMs } = authBlockSummary(b, now);
            summary = {
              of: error,
              notice: {
                summary: notice,
                ...credentialsCode(o.error),
                ...(retryInMs !== undefined ? { retryInMs } : {}),
              },
            };
          } else summary = null;
          stopAll = true;
        } else if (o.error.kind === 'throttle') {
          error = `EC2 is throttling requests (${o.error.code}): launches resume next tick`;
          stopAll = true;
        } else if (o.error.kind === 'invalid') {
          // The same request fails the same way at every tick: the queue moves on, and this one is tried rarely.
          this.holdRefused(a, 'config', o.error.message, now);
          error = `launch of ${res.instanceType} (${a.resource}) failed: ${o.error.message} ${refusalRetryText(a.queue, a.resource)}`;
        } else {
          error = `launch of ${res.instanceType} (${a.resource}) failed: ${o.error.message}`;
        }
      }
    }
    return {
      ids,
      ...(onDemand.length ? { onDemand } : {}),
      error,
      ...(cause ? { cause } : {}),
      stopAll,
      ...(summary && summary.of === error ? { notice: summary.notice } : {}),
    };
  }
}
