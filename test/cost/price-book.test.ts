// The price book against the Pricing emulator through the real @aws-sdk/client-pricing client.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetProductsCommand, PricingClient } from '@aws-sdk/client-pricing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BUNDLED_ON_DEMAND, BUNDLED_PRICES_DATE } from '../../electron/engine/cost/bundled-prices.js';
import { PriceBook, formatAge } from '../../electron/engine/cost/price-book.js';
import { createPricingSource, type ClosablePricingSource } from '../../electron/engine/cost/pricing-client.js';
import { startPricingEmulator, type PricingEmulator } from '../../electron/engine/testkit/pricing-emulator.js';
import type { Clock } from '../../electron/engine/ports.js';

const MIN = 60_000;
const H = 3_600_000;
const credentials = { accessKeyId: 'AKIDEXAMPLETESTONLY', secretAccessKey: 'test-secret-not-real' };

function fakeClock(start = Date.UTC(2026, 10, 16, 9, 0)): Clock & { t: number } {
  const c = {
    t: start,
    now: () => c.t,
    sleep: async () => undefined,
  };
  return c;
}

let emu: PricingEmulator;
let dir: string;
const sources: ClosablePricingSource[] = [];

beforeAll(async () => {
  emu = await startPricingEmulator({ regions: ['us-east-1', 'us-west-2'] });
});
afterAll(async () => {
  await emu.close();
});
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'price-book-'));
  emu.accessDenied = false;
  emu.requests.length = 0;
});
afterEach(() => {
  for (const s of sources.splice(0)) s.close();
  rmSync(dir, { recursive: true, force: true });
});

function pricing(endpoint = emu.url, maxAttempts = 1): ClosablePricingSource {
  const s = createPricingSource({ endpoint, credentials, maxAttempts, requestTimeoutMs: 2000 });
  sources.push(s);
  return s;
}

describe('Pricing emulator', () => {
  it('offers several products per type, so only the full filter set names the Linux/shared/used price', async () => {
    const client = new PricingClient({ region: 'us-east-1', endpoint: emu.url, credentials });
    // g5.xlarge in us-east-1, unfiltered otherwise: several products, so the listing pages.
    const g5Products = (page: { MaxResults: number; NextToken?: string }) =>
      new GetProductsCommand({
        ServiceCode: 'AmazonEC2',
        Filters: [
          { Type: 'TERM_MATCH', Field: 'instanceType', Value: 'g5.xlarge' },
          { Type: 'TERM_MATCH', Field: 'regionCode', Value: 'us-east-1' },
        ],
        ...page,
      });
    try {
      const loose = await client.send(g5Products({ MaxResults: 3 }));
      expect(loose.PriceList).toHaveLength(3);
      expect(loose.NextToken).toBeTruthy();
      const page2 = await client.send(g5Products({ MaxResults: 100, NextToken: loose.NextToken }));
      const all = [...(loose.PriceList as unknown[]), ...(page2.PriceList as unknown[])].map(
        (p) => JSON.parse(String(p)) as { product: { attributes: Record<string, string> } },
      );
      const kinds = new Set(
        all.map((d) => `${d.product.attributes['operatingSystem']}/${d.product.attributes['tenancy']}`),
      );
      expect(kinds.size).toBeGreaterThan(2);
      expect(all.filter((d) => d.product.attributes['capacitystatus'] !== 'Used').length).toBeGreaterThan(0);
    } finally {
      client.destroy();
    }
  });
});

describe('PriceBook with the Pricing API', () => {
  it('fetches on-demand list prices with the Linux/shared filters from the us-east-1 endpoint', async () => {
    emu.setPrice('us-west-2', 'g5.xlarge', 1.0123);
    const clock = fakeClock();
    const book = new PriceBook({ region: 'us-west-2', clock, pricing: pricing() });
    await book.refresh(['g5.xlarge', 'm5.large']);

    const q = book.hourly('g5.xlarge', 'on-demand');
    expect(q.price).toBe(1.0123);
    expect(q.source).toEqual({ kind: 'pricing-api', fetchedAt: clock.t });
    expect(book.hourly('m5.large', 'on-demand').price).toBe(0.096);

    const req = emu.requests.find((r) => r.filters.some((f) => f.Value === 'g5.xlarge'))!;
    expect(req.serviceCode).toBe('AmazonEC2');
    expect(req.credentialScope).toMatch(/\/us-east-1\/pricing\/aws4_request$/);
    const filters = Object.fromEntries(req.filters.map((f) => [f.Field, f.Value]));
    expect(filters).toMatchObject({
      instanceType: 'g5.xlarge',
      regionCode: 'us-west-2',
      operatingSystem: 'Linux',
      tenancy: 'Shared',
      preInstalledSw: 'NA',
      capacitystatus: 'Used',
    });
    expect(req.filters.every((f) => f.Type === 'TERM_MATCH')).toBe(true);

    clock.t += 3 * H + 20 * MIN;
    expect(book.describe(q.source, clock.t)).toBe('on-demand list price, 3 h old');
  });

  it('caches on disk on refresh only, atomically, and a restarted book reads the cache with its age', async () => {
    const cacheFile = path.join(dir, 'prices.json');
    emu.setPrice('us-east-1', 'g4dn.xlarge', 0.5311);
    const clock = fakeClock();
    const fetchedAt = clock.t;
    const book = new PriceBook({ region: 'us-east-1', clock, pricing: pricing(), cacheFile });
    book.hourly('g4dn.xlarge', 'on-demand');
    expect(readdirSync(dir)).toEqual([]); // lookups never write

    await book.refresh(['g4dn.xlarge']);
    expect(readdirSync(dir)).toEqual(['prices.json']); // no temp file left behind
    const written = readFileSync(cacheFile, 'utf8');
    expect(JSON.parse(written)).toMatchObject({
      region: 'us-east-1',
      onDemand: { 'g4dn.xlarge': { price: 0.5311, fetchedAt } },
    });

    clock.t += 12 * MIN;
    const restarted = new PriceBook({ region: 'us-east-1', clock, cacheFile });
    const q = restarted.hourly('g4dn.xlarge', 'on-demand');
    expect(q.price).toBe(0.5311);
    expect(q.source.fetchedAt).toBe(fetchedAt);
    expect(restarted.describe(q.source, clock.t)).toMatch(/^on-demand list price, 12 min old/);

    // A refused refresh keeps the cached figure, says the refresh failed, and does not rewrite the cache.
    emu.accessDenied = true;
    const denied = new PriceBook({ region: 'us-east-1', clock, cacheFile, pricing: pricing() });
    await denied.refresh(['g4dn.xlarge']);
    const dq = denied.hourly('g4dn.xlarge', 'on-demand');
    expect(dq.price).toBe(0.5311);
    expect(dq.source.note).toMatch(/latest refresh failed: .*refused/);
    expect(readFileSync(cacheFile, 'utf8')).toBe(written);
  });

  it('falls back per type when the Pricing API does not list a type, without blaming the listed ones', async () => {
    emu.removeType('us-west-2', 'inf2.xlarge');
    const book = new PriceBook({ region: 'us-west-2', clock: fakeClock(), pricing: pricing() });
    await book.refresh(['inf2.xlarge', 'c5.large']);
    const missing = book.hourly('inf2.xlarge', 'on-demand');
    expect(missing).toMatchObject({ price: 0.7582, source: { kind: 'bundled' } });
    expect(missing.source.note).toBe(
      'us-east-1 price × 1.00 for us-west-2; not listed by the Pricing API for us-west-2',
    );
    expect(book.hourly('c5.large', 'on-demand').source).toEqual({
      kind: 'pricing-api',
      fetchedAt: expect.any(Number) as number,
    });
  });

  it('ignores a cache from another region or a damaged cache', () => {
    const cacheFile = path.join(dir, 'prices.json');
    const entry = { price: 9.99, fetchedAt: 1 };
    writeFileSync(
      cacheFile,
      JSON.stringify({ version: 1, region: 'eu-west-1', onDemand: { 'm5.large': entry }, spot: {} }),
    );
    const other = new PriceBook({ region: 'us-east-1', clock: fakeClock(), cacheFile });
    expect(other.hourly('m5.large', 'on-demand').source.kind).toBe('bundled');
    writeFileSync(cacheFile, '{"version":1,"region":"us-east-1","onDem');
    const damaged = new PriceBook({ region: 'us-east-1', clock: fakeClock(), cacheFile });
    expect(damaged.hourly('m5.large', 'on-demand')).toMatchObject({ price: 0.096, source: { kind: 'bundled' } });
  });
});

describe('fallback to the bundled table', () => {
  it('uses the bundled table when the Pricing API is refused, and says so', async () => {
    emu.accessDenied = true;
    const clock = fakeClock();
    const book = new PriceBook({ region: 'us-east-1', clock, pricing: pricing() });
    await book.refresh(['g5.xlarge']);
    const q = book.hourly('g5.xlarge', 'on-demand');
    expect(q.price).toBe(BUNDLED_ON_DEMAND['g5.xlarge']);
    expect(q.source.kind).toBe('bundled');
    expect(q.source.fetchedAt).toBeNull();
    expect(q.source.note).toMatch(/refused the request \(AccessDeniedException\)/);
    expect(q.source.note).toMatch(/allow pricing:GetProducts/);
    const text = book.describe(q.source, clock.t);
    expect(text).toMatch(new RegExp(`^bundled table from ${BUNDLED_PRICES_DATE} \\(.*refused`));
    expect(text).not.toContain(credentials.secretAccessKey);
    expect(book.summary(clock.t)).toMatch(/bundled table.*refused/);
  });

  it('uses the bundled table when the Pricing API is unreachable, and says so', async () => {
    const closed = await startPricingEmulator();
    const url = closed.url;
    await closed.close();
    const book = new PriceBook({ region: 'us-east-1', clock: fakeClock(), pricing: pricing(url) });
    await book.refresh(['m5.large']);
    const q = book.hourly('m5.large', 'on-demand');
    expect(q).toMatchObject({ price: 0.096, source: { kind: 'bundled' } });
    expect(q.source.note).toMatch(/unreachable/);
  });

  it('plain bundled text when no Pricing API was tried to reach is the bare date', () => {
    const book = new PriceBook({ region: 'us-east-1', clock: fakeClock() });
    const q = book.hourly('t3.micro', 'on-demand');
    expect(q.price).toBe(0.0104);
    expect(book.describe({ kind: 'bundled', fetchedAt: null }, 0)).toBe(`bundled table from ${BUNDLED_PRICES_DATE}`);
  });

  it('scales the us-east-1 table for other regions and labels it', () => {
    const book = new PriceBook({ region: 'eu-central-1', clock: fakeClock() });
    const q = book.hourly('m5.large', 'on-demand');
    expect(q.price).toBeCloseTo(0.096 * 1.2, 6);
    expect(q.source.note).toBe('us-east-1 price × 1.20 for eu-central-1');
  });

  it('estimates an unknown size from its family and an unknown type conservatively, labelled as estimates', () => {
    const book = new PriceBook({ region: 'us-east-1', clock: fakeClock() });
    const sized = book.hourly('g5.96xlarge', 'on-demand');
    expect(sized.source).toMatchObject({ kind: 'estimate', note: 'scaled from g5.xlarge' });
    expect(sized.price).toBeCloseTo(1.006 * 96, 6);
    const unknown = book.hourly('zz9.xlarge', 'on-demand');
    expect(unknown.source.kind).toBe('estimate');
    expect(book.describe(unknown.source, 0)).toBe('estimate (unknown type)');
  });
});

describe('bare-metal sizes offline', () => {
  it.each([
    // [type, at least (the family's largest bundled size, or AWS's list price where the table has the whole host), note]
    ['m5.metal', 4.608, 'priced as m5.24xlarge, the largest bundled m5 size; a metal size costs at least that'],
    ['c5.metal', 3.06, 'priced as c5.18xlarge, the largest bundled c5 size; a metal size costs at least that'],
    ['g4dn.metal', 4.352, 'priced as g4dn.16xlarge, the largest bundled g4dn size; a metal size costs at least that'],
    ['m5.metal-24xl', 4.608, 'scaled from m5.large'],
    ['zz9.metal', 0.25 * 24, 'unknown type'],
  ])('%s is at least $%f/h, as an estimate that says from what', (type, atLeast, note) => {
    const book = new PriceBook({ region: 'us-east-1', clock: fakeClock() });
    const q = book.hourly(type, 'on-demand');
    expect(q.price).toBeGreaterThanOrEqual(atLeast - 1e-9);
    expect(q.source).toMatchObject({ kind: 'estimate', note });
  });
});

describe('spot prices', () => {
  it('uses the injected spot price history per zone, with its age', async () => {
    const clock = fakeClock();
    const asked: string[][] = [];
    const book = new PriceBook({
      region: 'us-east-1',
      clock,
      spot: async (types) => {
        asked.push(types);
        return new Map([
          ['g5.xlarge|us-east-1b', 0.42],
          ['g5.xlarge|us-east-1c', 0.47],
        ]);
      },
    });
    await book.refresh(['g5.xlarge', 'g5.xlarge']);
    expect(asked).toEqual([['g5.xlarge']]);
    const q = book.hourly('g5.xlarge', 'spot', 'us-east-1b');
    expect(q).toEqual({ price: 0.42, source: { kind: 'spot-history', fetchedAt: clock.t, zone: 'us-east-1b' } });
    clock.t += 12 * MIN;
    expect(book.describe(q.source, clock.t)).toBe('spot price in us-east-1b, 12 min old');
    // No zone chosen yet: the dearest known zone, so budgets are not optimistic.
    const any = book.hourly('g5.xlarge', 'spot');
    expect(any.price).toBe(0.47);
    expect(any.source.note).toBe('highest of 2 zones');
  });

  it('estimates spot from a typical family discount when no spot history is available', async () => {
    const book = new PriceBook({
      region: 'us-east-1',
      clock: fakeClock(),
      spot: async () => {
        throw new Error('UnauthorizedOperation');
      },
    });
    await book.refresh(['g5.xlarge']);
    const q = book.hourly('g5.xlarge', 'spot', 'us-east-1a');
    expect(q.price).toBeCloseTo(1.006 * 0.4, 6);
    expect(q.source.kind).toBe('estimate');
    expect(book.describe(q.source, 0)).toMatch(/^estimate \(typical g5 spot discount 60 % off the bundled/);
    expect(q.source.note).toMatch(/spot price history unavailable: UnauthorizedOperation/);
  });
});

describe('formatAge', () => {
  it.each([
    [45_000, '45 s'],
    [12 * MIN + 59_000, '12 min'],
    [3 * H + 59 * MIN, '3 h'],
    [72 * H, '3 d'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatAge(ms)).toBe(text);
  });
});
