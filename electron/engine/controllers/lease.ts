/**
 * Lease renewal, the dead-man switch: each live instance's lease tag is pushed forward once half of it has run
 * out, in one batched CreateTags call per lease value. An instance whose lease expires (the app is gone) powers
 * itself off.
 */
import type { Config } from '../../../shared/config.js';
import { isLiveState } from '../../../shared/domain.js';
import { ev, type NewEvent } from '../events.js';
import { TAG, type Ec2Api, type InstanceObs } from '../ports.js';

/** How far past a full lease a tag may be before it reads as written by a clock that was ahead. */
const AHEAD_SLACK_MS = 2 * 60_000;

/**
 * The live instances whose lease is due for renewal at `now` (AWS's time: the watchdog reads the tag on the
 * instance's clock): half of it run out, or further ahead than a full lease, which only a clock that was ahead
 * writes, and which would keep the dead-man switch off for that long.
 */
export function leasesDue(lease: Config['lease'], instances: readonly InstanceObs[], now: number): InstanceObs[] {
  if (!lease.enabled) return [];
  const threshold = now + (lease.leaseMin * 60_000) / 2;
  const tooFar = now + lease.leaseMin * 60_000 + AHEAD_SLACK_MS;
  return instances.filter((i) => {
    if (!isLiveState(i.state)) return false;
    const until = Number(i.tags[TAG.lease]) * 1000;
    return !Number.isFinite(until) || until < threshold || until > tooFar;
  });
}

export async function renewLeases(
  ec2: Ec2Api,
  lease: Config['lease'],
  instances: readonly InstanceObs[],
  now: number,
  emit?: (e: NewEvent) => void,
  /** Team mode: this engine's stamp, written with the lease so other engines on the prefix see it acts. */
  stamp?: string | null,
): Promise<void> {
  const due = leasesDue(lease, instances, now);
  if (!due.length) return;
  try {
    await ec2.createTags(
      due.map((i) => i.instanceId),
      {
        [TAG.lease]: String(Math.floor((now + lease.leaseMin * 60_000) / 1000)),
        ...(stamp ? { [TAG.engine]: stamp } : {}),
      },
    );
  } catch (e) {
    // A failed renewal is reported, not fatal: the lease still has half its time, the next tick tries again.
    if (!emit) throw e;
    emit(ev.leaseRenewalFailed(e));
  }
}
