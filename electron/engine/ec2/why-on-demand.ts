/**
 * Why a launch for a spot resource ran on-demand, pure: the launch event says it, with when spot comes back, so a
 * user who chose spot is not left to find the dearer instances in the Instances view.
 */
import type { Market } from '../../../shared/domain.js';
import { capacityKeyOf, type CapacityCooldowns, type LaunchOutcome } from './launcher.js';

export type OnDemandReason =
  /** The replacement of a task a spot interruption lost (an on-demand credit): later launches are spot again. */
  | { code: 'spot-lost' }
  /**
   * Every spot placement was out of capacity (told now, or recently and still cooling down), or spot launches are
   * refused for the missing Spot service-linked role; `spotAgainAt` is when the first spot placement is tried again.
   */
  | { code: 'spot-short'; kind: 'capacity' | 'spot-role'; spotAgainAt: number | null };

type Launched = Extract<LaunchOutcome, { ok: true }>;

/** Null when the launch ran on the resource's own market (or the resource is on-demand). */
export function whyOnDemand(
  resourceMarket: Market,
  instanceType: string,
  launched: Pick<Launched, 'attempt' | 'attempts' | 'skipped'>,
  viaCredit: boolean,
  cooldowns: Pick<CapacityCooldowns, 'coolingUntil'>,
  now: number,
): OnDemandReason | null {
  if (resourceMarket !== 'spot' || launched.attempt.market !== 'on-demand') return null;
  if (viaCredit) return { code: 'spot-lost' };
  const refused =
    launched.attempts.some((t) => t.attempt.market === 'spot' && t.error?.kind === 'spot-role') ||
    launched.skipped.some((s) => s.market === 'spot' && s.kind === 'spot-role');
  const untils = [
    ...launched.attempts.filter((t) => t.attempt.market === 'spot').map((t) => capacityKeyOf(instanceType, t.attempt)),
    ...launched.skipped
      .filter((s) => s.market === 'spot')
      .map((s) => ({ instanceType, market: 'spot' as const, placement: s.placement })),
  ].map((key) => cooldowns.coolingUntil(key, now) ?? now);
  return {
    code: 'spot-short',
    kind: refused ? 'spot-role' : 'capacity',
    spotAgainAt: untils.length ? Math.min(...untils) : null,
  };
}
