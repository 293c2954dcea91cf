/**
 * Instances of ours that the last tick listed live and this tick's listing leaves out. EC2's listing is eventually
 * consistent (and a proxy or a truncated reply can drop a reservation): absence from one reply is not proof that an
 * instance is gone. Taken as gone, an idle one would have its idle timer start over when it comes back (kept up to
 * a whole `maxIdleMin` more) and its cost record ended and a second billing period opened. So each is looked up by
 * id first; what EC2 says of it by id (running, or stopping, shutting-down: the states the listing reads), with our
 * prefix tag still on it, is what the listing should have said, and the tick counts it as listed. One EC2 says is
 * terminated is gone, and why (`ended`) goes to the cost history: a spot instance EC2 took back in its first hour is
 * free, which a poll that never saw it shutting down could not tell.
 *
 * Busy instances are the requeue controller's (it looks its own up, and says so) on the ticks it runs; this covers
 * the rest: idle and booting ones, and every one on a tick that only observes.
 */
import { isLiveState } from '../../../shared/domain.js';
import { TAG, type Ec2Api, type InstanceObs } from '../ports.js';

/** Pure: live last tick, not listed now, and not skipped (ended by this app, or another controller's to look up). */
export function unlistedSinceLastTick(
  lastLive: ReadonlySet<string>,
  listed: readonly InstanceObs[],
  skip: (instanceId: string) => boolean,
): string[] {
  const now = new Set(listed.map((i) => i.instanceId));
  return [...lastLive].filter((id) => !now.has(id) && !skip(id));
}

export class UnlistedLookup {
  private lastLive = new Set<string>();
  /**
   * Those the last `find` saw terminated by id, with our prefix tag: EC2's state reason (a spot interruption) is
   * what the cost history bills them by, and a listing never shows a terminated one.
   */
  ended: InstanceObs[] = [];

  /** Without `describeInstancesById`, one the listing left out counts as gone (as before this lookup existed). */
  constructor(private readonly ec2: Pick<Ec2Api, 'describeInstancesById'> = {}) {}

  /** The engine before this one (a new config of the same world) listed these last. */
  carryFrom(previous: UnlistedLookup): void {
    if (this.lastLive.size === 0) this.lastLive = new Set(previous.lastLive);
  }

  /**
   * Those EC2, asked by id, still knows in a listed state (not terminated) with our prefix tag. A failed lookup hands
   * back none: the tick goes on as the listing says, as before this lookup existed.
   */
  async find(
    listed: readonly InstanceObs[],
    prefix: string,
    skip: (instanceId: string) => boolean,
  ): Promise<InstanceObs[]> {
    this.ended = [];
    const ids = unlistedSinceLastTick(this.lastLive, listed, skip);
    if (!ids.length || !this.ec2.describeInstancesById) return [];
    try {
      const seen = (await this.ec2.describeInstancesById(ids, { includeTerminated: true })).filter(
        (i) => i.tags[TAG.prefix] === prefix,
      );
      this.ended = seen.filter((i) => i.state === 'terminated');
      return seen.filter((i) => i.state !== 'terminated');
    } catch {
      return [];
    }
  }

  /** The tick's live instances, as counted once the lookups are in. */
  remember(instances: readonly InstanceObs[]): void {
    this.lastLive = new Set(instances.filter((i) => isLiveState(i.state)).map((i) => i.instanceId));
  }
}
