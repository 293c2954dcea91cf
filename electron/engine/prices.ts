/**
 * Adapts the price book to the engine's PriceLookup: a price and, in words, where it came from and how old it is.
 */
import type { Clock } from './ports.js';
import { systemClock } from './ports.js';
import { PriceBook } from './cost/price-book.js';
import type { PriceLookup } from './snapshot.js';

export function createPriceLookup(region: string, opts: { clock?: Clock; book?: PriceBook } = {}): PriceLookup {
  const clock = opts.clock ?? systemClock;
  const book = opts.book ?? new PriceBook({ region, clock });
  return (instanceType, market, zone) => {
    const q = book.hourly(instanceType, market, zone);
    return { price: q.price, source: book.describe(q.source, clock.now()) };
  };
}
