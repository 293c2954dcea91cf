/**
 * Hourly prices for the instance types we run, with where each figure came from. Lookups are synchronous and
 * never fail (the loop prices every decision); `refresh` is the only thing that talks to AWS, and a refused or
 * unreachable Pricing API degrades to the bundled table with the reason in the source note, never to silence.
 *
 * Preference for on-demand: Pricing API value (cached on disk, any age) > bundled table > estimate.
 * Preference for spot: spot price history for the zone > highest known zone for the type > typical family
 * discount off the on-demand figure (an estimate).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Market } from '../../../shared/domain.js';
import type { Clock } from '../ports.js';
import {
  BUNDLED_ON_DEMAND,
  BUNDLED_PRICES_DATE,
  BUNDLED_REGION,
  DEFAULT_REGION_MULTIPLIER,
  DEFAULT_SPOT_DISCOUNT,
  REGION_MULTIPLIERS,
  SPOT_DISCOUNTS,
  sizeUnits,
  UNKNOWN_METAL_UNITS,
  splitInstanceType,
} from './bundled-prices.js';
import { errorText } from '../../../shared/error-text.js';
import { writeFileDurably } from '../durable-file.js';
import { plural } from '../../../shared/words.js';

export type PriceSourceKind = 'pricing-api' | 'spot-history' | 'bundled' | 'estimate';

export interface PriceSource {
  kind: PriceSourceKind;
  /** ms epoch of the AWS answer the figure comes from; null for the bundled table and estimates. */
  fetchedAt: number | null;
  note?: string;
  /** The availability zone a spot price applies to. */
  zone?: string;
}

export interface PriceQuote {
  price: number;
  source: PriceSource;
}

export type PricingErrorKind = 'denied' | 'unreachable' | 'throttled' | 'failed';

/** Raised by a PricingSource; `message` is fit to show (what happened and what to do), free of secrets. */
export class PricingError extends Error {
  constructor(
    readonly kind: PricingErrorKind,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'PricingError';
  }
}

/** On-demand list prices; implemented over the AWS Pricing API by `pricing-client.ts`. */
export interface PricingSource {
  /** Linux, shared tenancy, USD/hour per instance type in `region`; types the API does not list are absent. */
  onDemandPrices(region: string, instanceTypes: readonly string[]): Promise<Map<string, number>>;
}

/** Latest spot price per `${instanceType}|${zone}` (the EC2 provider's `spotPrices`). */
export type SpotPriceFn = (instanceTypes: string[]) => Promise<Map<string, number>>;

export interface PriceBookOptions {
  region: string;
  /** JSON cache of the last answers, loaded at start and rewritten (atomically) after each refresh. */
  cacheFile?: string;
  clock: Clock;
  pricing?: PricingSource;
  spot?: SpotPriceFn;
}

const CachedPriceSchema = z.object({ price: z.number().nonnegative(), fetchedAt: z.number() });
const CacheFileSchema = z.object({
  version: z.literal(1),
  region: z.string(),
  onDemand: z.record(z.string(), CachedPriceSchema),
  spot: z.record(z.string(), CachedPriceSchema),
});
type CachedPrice = z.infer<typeof CachedPriceSchema>;
type CacheFile = z.infer<typeof CacheFileSchema>;

/** GPU and accelerator families: an unknown one is priced like one, so a budget is not underestimated. */
const ACCELERATED_FAMILY = /^(g|p|inf|trn|dl|vt|f)\d/;
const UNKNOWN_PER_XLARGE = { accelerated: 1.2, general: 0.25 } as const;

export class PriceBook {
  readonly region: string;
  private readonly clock: Clock;
  private readonly cacheFile: string | undefined;
  private readonly pricing: PricingSource | undefined;
  private readonly spot: SpotPriceFn | undefined;
  private readonly onDemand = new Map<string, CachedPrice>();
  private readonly spotPrices = new Map<string, CachedPrice>();
  /** Why on-demand figures are not fresh from the Pricing API; null when the latest refresh worked. */
  private onDemandProblem: string | null = null;
  private spotProblem: string | null = null;
  /** Types the latest successful Pricing API answer did not list (typo, or too new for the catalogue). */
  private readonly unlisted = new Set<string>();
  private inFlight: Promise<void> | null = null;
  private lastRefreshAt: number | null = null;

  constructor(opts: PriceBookOptions) {
    this.region = opts.region;
    this.clock = opts.clock;
    this.cacheFile = opts.cacheFile;
    this.pricing = opts.pricing;
    this.spot = opts.spot;
    this.loadCache();
  }

  /** Hourly USD for one instance of `instanceType` in this book's region. Never throws. */
  hourly(instanceType: string, market: Market, zone?: string): PriceQuote {
    return market === 'spot' ? this.spotQuote(instanceType, zone) : this.onDemandQuote(instanceType);
  }

  /** Asks AWS for current prices of these types (on-demand and spot together); failures are kept as notes. */
  refresh(types: string[]): Promise<void> {
    // One refresh at a time: a slow Pricing API must not stack up calls from successive ticks.
    this.inFlight ??= this.doRefresh([...new Set(types)]).finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  /** When `refresh` last finished, for the caller's refresh schedule. */
  refreshedAt(): number | null {
    return this.lastRefreshAt;
  }

  /** The source in words for the UI: "on-demand list price, 3 h old", "bundled table from 2026-11-01". */
  describe(source: PriceSource, now: number): string {
    const age = source.fetchedAt === null ? '' : `, ${formatAge(now - source.fetchedAt)} old`;
    const note = source.note ? ` (${source.note})` : '';
    switch (source.kind) {
      case 'pricing-api':
        return `on-demand list price${age}${note}`;
      case 'spot-history':
        return `spot price ${source.zone ? `in ${source.zone}` : 'in this region'}${age}${note}`;
      case 'bundled':
        return `bundled table from ${BUNDLED_PRICES_DATE}${note}`;
      case 'estimate':
        return `estimate (${source.note ?? 'unknown type'})`;
    }
  }

  /** One line about the whole book for the snapshot's `costs.priceSource`. */
  summary(now: number): string {
    const parts: string[] = [];
    const apiAges = [...this.onDemand.values()].map((p) => p.fetchedAt);
    if (apiAges.length) parts.push(`on-demand list prices, ${formatAge(now - Math.min(...apiAges))} old`);
    else parts.push(`on-demand from the bundled table from ${BUNDLED_PRICES_DATE}`);
    if (this.onDemandProblem) parts.push(this.onDemandProblem);
    const spotAges = [...this.spotPrices.values()].map((p) => p.fetchedAt);
    if (spotAges.length) parts.push(`spot prices ${formatAge(now - Math.min(...spotAges))} old`);
    else if (this.spot) parts.push(this.spotProblem ?? 'spot prices not fetched yet (typical discounts used)');
    return parts.join('; ');
  }

  // ---------------------------------------------------------------- lookups

  private onDemandQuote(instanceType: string): PriceQuote {
    const cached = this.onDemand.get(instanceType);
    if (cached) {
      const note = this.onDemandProblem ? `latest refresh failed: ${this.onDemandProblem}` : undefined;
      return { price: cached.price, source: withNote({ kind: 'pricing-api', fetchedAt: cached.fetchedAt }, note) };
    }
    const { price, derivation, estimated } = this.offlineOnDemand(instanceType);
    const unlisted = this.unlisted.has(instanceType) ? `not listed by the Pricing API for ${this.region}` : null;
    const notes = [derivation, unlisted, this.onDemandProblem].filter((n): n is string => !!n);
    if (estimated) return { price, source: { kind: 'estimate', fetchedAt: null, note: notes.join('; ') } };
    return { price, source: withNote({ kind: 'bundled', fetchedAt: null }, notes.join('; ') || undefined) };
  }

  private spotQuote(instanceType: string, zone: string | undefined): PriceQuote {
    if (zone) {
      const exact = this.spotPrices.get(`${instanceType}|${zone}`);
      if (exact) return { price: exact.price, source: { kind: 'spot-history', fetchedAt: exact.fetchedAt, zone } };
    }
    // No zone asked (or none known for it): the dearest known zone, so a budget check is not optimistic.
    let worst: CachedPrice | null = null;
    let zones = 0;
    for (const [key, p] of this.spotPrices) {
      if (key.slice(0, key.indexOf('|')) !== instanceType) continue;
      zones++;
      if (!worst || p.price > worst.price) worst = p;
    }
    if (worst) {
      const note = zone
        ? `no price for ${zone}; highest of ${plural(zones, 'zone')}`
        : `highest of ${plural(zones, 'zone')}`;
      return { price: worst.price, source: { kind: 'spot-history', fetchedAt: worst.fetchedAt, note } };
    }
    const od = this.onDemandQuote(instanceType);
    const family = splitInstanceType(instanceType)?.family ?? instanceType;
    const discount = SPOT_DISCOUNTS[family] ?? DEFAULT_SPOT_DISCOUNT;
    const base = od.source.kind === 'pricing-api' ? 'on-demand list price' : 'bundled on-demand price';
    const why = this.spotProblem ? `; ${this.spotProblem}` : '';
    const note =
      od.source.kind === 'estimate'
        ? `${od.source.note ?? 'unknown type'}; typical spot discount ${pct(discount)}${why}`
        : `typical ${family} spot discount ${pct(discount)} off the ${base}${why}`;
    return { price: round6(od.price * (1 - discount)), source: { kind: 'estimate', fetchedAt: null, note } };
  }

  private offlineOnDemand(instanceType: string): { price: number; derivation: string | null; estimated: boolean } {
    const known = this.region in REGION_MULTIPLIERS;
    const mult = REGION_MULTIPLIERS[this.region] ?? DEFAULT_REGION_MULTIPLIER;
    const scaled =
      this.region === BUNDLED_REGION
        ? null
        : known
          ? `${BUNDLED_REGION} price × ${mult.toFixed(2)} for ${this.region}`
          : `${BUNDLED_REGION} price × ${mult.toFixed(2)} (no figure for ${this.region})`;
    const listed = BUNDLED_ON_DEMAND[instanceType];
    if (listed !== undefined) return { price: round6(listed * mult), derivation: scaled, estimated: false };

    const parts = splitInstanceType(instanceType);
    const units = parts ? sizeUnits(parts.size) : null;
    if (parts?.size === 'metal') {
      // A bare-metal size is the whole host: at least the family's largest virtual size, never one xlarge (an
      // estimate that low would let a budget pass what it cannot afford).
      const largest = Object.keys(BUNDLED_ON_DEMAND)
        .filter((t) => splitInstanceType(t)?.family === parts.family)
        .sort((a, b) => BUNDLED_ON_DEMAND[b]! - BUNDLED_ON_DEMAND[a]!)[0];
      if (largest) {
        return {
          price: round6(BUNDLED_ON_DEMAND[largest]! * mult),
          derivation: `priced as ${largest}, the largest bundled ${parts.family} size; a metal size costs at least that`,
          estimated: true,
        };
      }
    }
    if (parts && units !== null) {
      const sibling = Object.keys(BUNDLED_ON_DEMAND).find((t) => {
        const p = splitInstanceType(t);
        return p?.family === parts.family && sizeUnits(p.size) !== null;
      });
      if (sibling) {
        const siblingUnits = sizeUnits(splitInstanceType(sibling)!.size)!;
        const price = (BUNDLED_ON_DEMAND[sibling]! * units * mult) / siblingUnits;
        return { price: round6(price), derivation: `scaled from ${sibling}`, estimated: true };
      }
    }
    const perXlarge = ACCELERATED_FAMILY.test(instanceType)
      ? UNKNOWN_PER_XLARGE.accelerated
      : UNKNOWN_PER_XLARGE.general;
    const assumed = units ?? (parts?.size === 'metal' ? UNKNOWN_METAL_UNITS : 1);
    return { price: round6(perXlarge * assumed * mult), derivation: 'unknown type', estimated: true };
  }

  // ---------------------------------------------------------------- refresh and cache

  private async doRefresh(types: string[]): Promise<void> {
    let changed = false;
    if (this.pricing && types.length) {
      try {
        const prices = await this.pricing.onDemandPrices(this.region, types);
        const at = this.clock.now();
        for (const [type, price] of prices) this.onDemand.set(type, { price, fetchedAt: at });
        for (const t of types) {
          if (prices.has(t)) this.unlisted.delete(t);
          else this.unlisted.add(t);
        }
        this.onDemandProblem = null;
        changed = prices.size > 0;
      } catch (err) {
        this.onDemandProblem = describePricingFailure(err);
      }
    }
    if (this.spot && types.length) {
      try {
        const prices = await this.spot(types);
        const at = this.clock.now();
        for (const [key, price] of prices) this.spotPrices.set(key, { price, fetchedAt: at });
        this.spotProblem = prices.size ? null : 'EC2 returned no spot price history (typical discounts used)';
        changed ||= prices.size > 0;
      } catch (err) {
        const msg = errorText(err);
        this.spotProblem = `spot price history unavailable: ${msg} (typical discounts used)`;
      }
    }
    this.lastRefreshAt = this.clock.now();
    if (changed) await this.writeCache();
  }

  private loadCache(): void {
    if (!this.cacheFile) return;
    let text: string;
    try {
      text = readFileSync(this.cacheFile, 'utf8');
    } catch {
      return; // first start: nothing cached yet
    }
    let parsed: CacheFile;
    try {
      parsed = CacheFileSchema.parse(JSON.parse(text));
    } catch {
      // A damaged cache only costs freshness: the next refresh rewrites it.
      return;
    }
    if (parsed.region !== this.region) return;
    for (const [k, v] of Object.entries(parsed.onDemand)) this.onDemand.set(k, v);
    for (const [k, v] of Object.entries(parsed.spot)) this.spotPrices.set(k, v);
  }

  private async writeCache(): Promise<void> {
    if (!this.cacheFile) return;
    const body: CacheFile = {
      version: 1,
      region: this.region,
      onDemand: Object.fromEntries(this.onDemand),
      spot: Object.fromEntries(this.spotPrices),
    };
    try {
      await writeFileDurably(this.cacheFile, JSON.stringify(body, null, 1));
    } catch {
      // The cache is an optimisation; prices in memory stay correct, and the next refresh tries again.
    }
  }
}

function describePricingFailure(err: unknown): string {
  const fallback = `using the bundled table from ${BUNDLED_PRICES_DATE}`;
  if (err instanceof PricingError) return `${err.message}; ${fallback}`;
  const msg = errorText(err);
  return `Pricing API call failed (${msg}); ${fallback}`;
}

function withNote(source: PriceSource, note: string | undefined): PriceSource {
  return note ? { ...source, note } : source;
}

/** "45 s", "12 min", "3 h", "2 d": coarse on purpose, it labels a price. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h`;
  return `${Math.floor(h / 24)} d`;
}

function pct(x: number): string {
  return `${Math.round(x * 100)} %`;
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
