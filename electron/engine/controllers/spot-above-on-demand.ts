/**
 * A spot resource whose spot price is above the on-demand price of its type. Launched without a MaxPrice (as the
 * app launches), a spot request's maximum is the on-demand price, so AWS refuses such a launch or soon interrupts it:
 * worth saying once, with both prices, rather than leaving the user to read it from failures. The launch order is
 * left alone (a policy change); the warning names what to change.
 */
import type { Config } from '../../../shared/config.js';
import type { PriceLookup } from '../snapshot.js';

export interface SpotAbove {
  resource: string;
  instanceType: string;
  /** USD/h: the spot price, in the dearest zone known when the resource names none. */
  spot: number;
  onDemand: number;
  /** The zone the spot price is of, when the resource names zones. */
  zone?: string;
}

/**
 * Pure. Each spot resource whose spot price (in any zone it may launch in: its zones, else the dearest known)
 * is above its on-demand price; the dearest zone only, one entry per resource.
 */
export function spotAboveOnDemand(resources: Config['resources'], prices: PriceLookup): SpotAbove[] {
  const out: SpotAbove[] = [];
  for (const [resource, r] of Object.entries(resources)) {
    if (r.market !== 'spot') continue;
    const onDemand = prices(r.instanceType, 'on-demand').price;
    const zones: (string | undefined)[] = r.availabilityZones.length ? r.availabilityZones : [undefined];
    let worst: { spot: number; zone?: string } | null = null;
    for (const zone of zones) {
      const spot = prices(r.instanceType, 'spot', zone).price;
      if (spot > onDemand && (!worst || spot > worst.spot)) worst = { spot, ...(zone ? { zone } : {}) };
    }
    if (worst) out.push({ resource, instanceType: r.instanceType, onDemand, ...worst });
  }
  return out;
}

/** Its memory: each resource told once while it stays above; again only after it went below and came back. */
export class SpotAboveWatch {
  private told = new Set<string>();

  carryFrom(previous: SpotAboveWatch): void {
    for (const r of previous.told) this.told.add(r);
  }

  /** The resources to tell this tick. */
  observe(resources: Config['resources'], prices: PriceLookup): SpotAbove[] {
    const above = spotAboveOnDemand(resources, prices);
    const now = new Set(above.map((a) => a.resource));
    for (const r of this.told) if (!now.has(r)) this.told.delete(r);
    const fresh = above.filter((a) => !this.told.has(a.resource));
    for (const a of fresh) this.told.add(a.resource);
    return fresh;
  }
}
