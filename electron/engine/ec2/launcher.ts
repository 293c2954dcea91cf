/**
 * One launch with placement and market fallback: try each placement (subnets in
 * order, else zones in order, else none) in the configured market, skipping placements that recently ran out
 * of capacity; on a capacity error remember it and move on; when every spot placement failed and the resource
 * allows it, go through the placements again on-demand.
 *
 * Every RunInstances gets a NEW client token: a different subnet or market is a different request, and reusing
 * a token with other parameters fails with IdempotentParameterMismatch (runs-on#251). `beforeAttempt` runs
 * before each call so the caller can journal the token first (crash safety); if it throws, nothing is sent.
 *
 * Auth, invalid, throttle, unreachable and other errors end the launch at once: retrying them across
 * placements only multiplies failing calls; the engine tries again at a later tick.
 */
import type { Market } from '../../../shared/domain.js';
import { Ec2Error, type Ec2Api, type LaunchSpec } from '../ports.js';
import { capacityScope, classifyEc2Error, describeCapacity, SPOT_ROLE_MISSING } from './errors.js';

export interface CapacityKey {
  instanceType: string;
  /** Subnet id, zone, `default` (no placement given), or `*` for the whole market (a quota). */
  placement: string;
  market: Market;
}

export const DEFAULT_CAPACITY_COOLDOWN_MS = 10 * 60_000;
export const ANY_PLACEMENT = '*';

/** Where capacity recently ran out; in memory (a restart simply tries again, which is harmless). */
export class CapacityCooldowns {
  private readonly until = new Map<string, number>();
  /** Keys skipped because spot launches lack the Spot service-linked role, not for capacity: said as such. */
  private readonly spotRole = new Set<string>();
  private readonly cooldownMs: number;

  constructor(opts: { cooldownMs?: number } = {}) {
    this.cooldownMs = opts.cooldownMs ?? DEFAULT_CAPACITY_COOLDOWN_MS;
  }

  mark(key: CapacityKey, now: number, kind: 'capacity' | 'spot-role' = 'capacity'): void {
    this.until.set(keyOf(key), now + this.cooldownMs);
    if (kind === 'spot-role') this.spotRole.add(keyOf(key));
    else this.spotRole.delete(keyOf(key));
  }

  /** Why the key (or its whole market) is skipped, when it is. */
  kindOf(key: CapacityKey): 'capacity' | 'spot-role' {
    return this.spotRole.has(keyOf({ ...key, placement: ANY_PLACEMENT })) || this.spotRole.has(keyOf(key))
      ? 'spot-role'
      : 'capacity';
  }

  /**
   * A launch just succeeded there: it has capacity, whatever a launch of the same batch was told moments before
   * (left cooling, the next launches would skip it for nothing). A quota on the whole market stays: one more
   * instance under it says nothing about room for another.
   */
  launched(key: CapacityKey): void {
    this.until.delete(keyOf(key));
  }

  isCooling(key: CapacityKey, now: number): boolean {
    return this.coolingUntil(key, now) !== null;
  }

  /** When the key (or its whole market) may be tried again; null when it may be tried now. */
  coolingUntil(key: CapacityKey, now: number): number | null {
    const own = this.until.get(keyOf(key)) ?? 0;
    const market = this.until.get(keyOf({ ...key, placement: ANY_PLACEMENT })) ?? 0;
    const until = Math.max(own, market);
    return until > now ? until : null;
  }

  /** Another engine's cool-downs (the one a new config replaced): the shortages it met are still there. */
  carryFrom(other: CapacityCooldowns): void {
    for (const [key, until] of other.until) if (until > (this.until.get(key) ?? 0)) this.until.set(key, until);
    for (const key of other.spotRole) this.spotRole.add(key);
  }

  clear(): void {
    this.until.clear();
    this.spotRole.clear();
  }
}

function keyOf(k: CapacityKey): string {
  return `${k.instanceType}|${k.market}|${k.placement}`;
}

export interface LaunchAttempt {
  clientToken: string;
  market: Market;
  subnetId?: string;
  availabilityZone?: string;
}

export interface LaunchAttemptRecord {
  attempt: LaunchAttempt;
  /** null for the attempt that launched. */
  error: Ec2Error | null;
}

export interface SkippedPlacement {
  market: Market;
  placement: string;
  /** ms epoch when it may be tried again. */
  until: number;
  /** Skipped for a recent shortage, or because spot launches lack the Spot service-linked role. */
  kind: 'capacity' | 'spot-role';
}

export type LaunchOutcome =
  | {
      ok: true;
      instanceId: string;
      zone: string | null;
      attempt: LaunchAttempt;
      attempts: LaunchAttemptRecord[];
      skipped: SkippedPlacement[];
    }
  | { ok: false; error: Ec2Error; attempts: LaunchAttemptRecord[]; skipped: SkippedPlacement[] };

export interface LaunchRequest {
  base: Omit<LaunchSpec, 'clientToken' | 'market' | 'subnetId' | 'availabilityZone'>;
  market: Market;
  spotFallbackToOnDemand: boolean;
  subnetIds: string[];
  availabilityZones: string[];
  cooldowns: CapacityCooldowns;
  now: number;
  newClientToken: () => string;
  beforeAttempt?: (attempt: LaunchAttempt) => Promise<void>;
}

interface Placement {
  subnetId?: string;
  availabilityZone?: string;
}

function placementName(p: Placement): string {
  return p.subnetId ?? p.availabilityZone ?? 'default';
}

/** Where an attempt was made, as the cool-downs key it. */
export function capacityKeyOf(instanceType: string, attempt: LaunchAttempt): CapacityKey {
  return { instanceType, market: attempt.market, placement: placementName(attempt) };
}

/** The order of attempts, pure: placements of the configured market, then on-demand for spot with fallback. */
export function launchPlan(
  req: Pick<LaunchRequest, 'market' | 'spotFallbackToOnDemand' | 'subnetIds' | 'availabilityZones'>,
): {
  markets: Market[];
  placements: Placement[];
} {
  const placements: Placement[] = req.subnetIds.length
    ? req.subnetIds.map((subnetId) => ({ subnetId }))
    : req.availabilityZones.length
      ? req.availabilityZones.map((availabilityZone) => ({ availabilityZone }))
      : [{}];
  const markets: Market[] = req.market === 'spot' && req.spotFallbackToOnDemand ? ['spot', 'on-demand'] : [req.market];
  return { markets, placements };
}

export async function launchWithFallback(ec2: Ec2Api, req: LaunchRequest): Promise<LaunchOutcome> {
  const { markets, placements } = launchPlan(req);
  const type = req.base.instanceType;
  const attempts: LaunchAttemptRecord[] = [];
  const skipped: SkippedPlacement[] = [];
  /** The last capacity failure, with its facts to word the final error from what came after it. */
  let lastFailure: { told: Ec2Error; market: Market; placement: string; skippedBefore: number } | null = null;

  const keyFor = (market: Market, p: Placement): CapacityKey => ({
    instanceType: type,
    market,
    placement: placementName(p),
  });

  /** What happens after a capacity failure at (mi, pi), for the message. */
  const nextStep = (mi: number, pi: number, marketWide: boolean): string | undefined => {
    const market = markets[mi]!;
    if (!marketWide) {
      const next = placements.slice(pi + 1).find((p) => !req.cooldowns.isCooling(keyFor(market, p), req.now));
      if (next) return `trying ${next.subnetId ? 'the next subnet' : 'the next zone'} (${placementName(next)})`;
    }
    if (mi + 1 < markets.length) return 'trying on-demand instead';
    return undefined;
  };

  for (let mi = 0; mi < markets.length; mi++) {
    const market = markets[mi]!;
    for (let pi = 0; pi < placements.length; pi++) {
      const placement = placements[pi]!;
      const key = keyFor(market, placement);
      const until = req.cooldowns.coolingUntil(key, req.now);
      if (until !== null) {
        skipped.push({ market, placement: key.placement, until, kind: req.cooldowns.kindOf(key) });
        continue;
      }
      const attempt: LaunchAttempt = { clientToken: req.newClientToken(), market, ...placement };
      if (req.beforeAttempt) await req.beforeAttempt(attempt);
      try {
        const r = await ec2.runInstance({ ...req.base, ...attempt });
        attempts.push({ attempt, error: null });
        return { ok: true, instanceId: r.instanceId, zone: r.zone, attempt, attempts, skipped };
      } catch (raw) {
        const err = classifyEc2Error(raw, {
          action: 'RunInstances',
          instanceType: type,
          market,
          placement: key.placement,
        });
        // A missing Spot role refuses spot in every placement, like a quota, while on-demand still works: it moves
        // on to on-demand where the resource allows it, but keeps its own kind so the engine does not call it capacity.
        if (err.kind !== 'capacity' && err.kind !== 'spot-role') {
          attempts.push({ attempt, error: err });
          return { ok: false, error: err, attempts, skipped };
        }
        const marketWide = capacityScope(err.code) === 'market';
        req.cooldowns.mark(marketWide ? { ...key, placement: ANY_PLACEMENT } : key, req.now, err.kind);
        const told = new Ec2Error(
          err.kind,
          err.code,
          describeCapacity(err.code, {
            action: 'RunInstances',
            instanceType: type,
            market,
            placement: key.placement === 'default' ? undefined : key.placement,
            next: nextStep(mi, pi, marketWide),
          }),
        );
        attempts.push({ attempt, error: told });
        lastFailure = { told, market, placement: key.placement, skippedBefore: skipped.length };
        if (marketWide) break;
      }
    }
  }

  if (lastFailure) {
    // What the message said comes next may not have happened: a launch running alongside this one may have found
    // the rest out of capacity meanwhile (its cool-down then skipped them here). Say what was not tried, and why.
    const notTried = skipped.slice(lastFailure.skippedBefore);
    const error = notTried.length
      ? new Ec2Error(
          lastFailure.told.kind,
          lastFailure.told.code,
          describeCapacity(lastFailure.told.code, {
            action: 'RunInstances',
            instanceType: type,
            market: lastFailure.market,
            placement: lastFailure.placement === 'default' ? undefined : lastFailure.placement,
            next: `${notTried.map((s) => (s.placement === 'default' ? s.market : `${s.market} in ${s.placement}`)).join(', ')} not tried: out of capacity recently`,
          }),
        )
      : lastFailure.told;
    return { ok: false, error, attempts, skipped };
  }
  // Skipped only for the missing Spot role (another launch just met it): the same refusal, not a shortage.
  if (skipped.length && skipped.every((s) => s.kind === 'spot-role')) {
    const message = describeCapacity(SPOT_ROLE_MISSING, { action: 'RunInstances', instanceType: type, market: 'spot' });
    return { ok: false, error: new Ec2Error('spot-role', SPOT_ROLE_MISSING, message), attempts, skipped };
  }
  const soonest = Math.min(...skipped.map((s) => s.until));
  const minutes = Math.max(1, Math.ceil((soonest - req.now) / 60_000));
  return {
    ok: false,
    error: new Ec2Error(
      'capacity',
      'CapacityCooldown',
      `Every placement for ${type} (${markets.join(', then ')}) ran out of capacity recently: the next try is in ` +
        `${minutes} min. Add subnets or zones, or another instance type, to launch sooner.`,
    ),
    attempts,
    skipped,
  };
}

/**
 * A launch whose answer was lost (`mayHaveActed`) sent again as the very same request, client token included: EC2
 * answers with the instance the first one launched, or launches it now if the first never got through.
 */
export async function resendLaunch(
  ec2: Ec2Api,
  base: LaunchRequest['base'],
  attempt: LaunchAttempt,
  beforeAttempt?: (attempt: LaunchAttempt) => Promise<void>,
): Promise<LaunchOutcome> {
  if (beforeAttempt) await beforeAttempt(attempt);
  try {
    const r = await ec2.runInstance({ ...base, ...attempt });
    return {
      ok: true,
      instanceId: r.instanceId,
      zone: r.zone,
      attempt,
      attempts: [{ attempt, error: null }],
      skipped: [],
    };
  } catch (raw) {
    const error = classifyEc2Error(raw, {
      action: 'RunInstances',
      instanceType: base.instanceType,
      market: attempt.market,
    });
    return { ok: false, error, attempts: [{ attempt, error }], skipped: [] };
  }
}
