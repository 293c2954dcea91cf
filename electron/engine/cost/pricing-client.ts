/**
 * On-demand list prices from the AWS Price List Query API (`GetProducts`). The API is served from us-east-1
 * whatever region is being priced; the region is a product filter. One call per instance type keeps each
 * answer to a handful of products, and every filter narrows to the single SKU we actually pay for: Linux,
 * shared tenancy, no pre-installed software, capacity actually used (not reservations), on-demand.
 */
import { GetProductsCommand, PricingClient, type PricingClientConfig } from '@aws-sdk/client-pricing';
import { z } from 'zod';
import { PricingError, type PricingSource } from './price-book.js';
import { awsRequestHandler } from '../net/proxy.js';

export const PRICING_API_REGION = 'us-east-1';

export interface PricingSourceOptions {
  /** Override for tests (the Pricing emulator) or a VPC endpoint. */
  endpoint?: string;
  credentials?: PricingClientConfig['credentials'];
  /** SDK attempts per call, retries included (default 3). */
  maxAttempts?: number;
  /** Per-request socket timeout (default 10 s), so an unreachable API fails in bounded time. */
  requestTimeoutMs?: number;
}

export interface ClosablePricingSource extends PricingSource {
  close(): void;
}

/** Our filters, as the API expects them: exact TERM_MATCH on product attributes. */
export function productFilters(
  region: string,
  instanceType: string,
): { Type: 'TERM_MATCH'; Field: string; Value: string }[] {
  const f = (Field: string, Value: string) => ({ Type: 'TERM_MATCH' as const, Field, Value });
  return [
    f('instanceType', instanceType),
    f('regionCode', region),
    f('operatingSystem', 'Linux'),
    f('tenancy', 'Shared'),
    f('preInstalledSw', 'NA'),
    f('capacitystatus', 'Used'),
    f('marketoption', 'OnDemand'),
  ];
}

const MAX_PAGES = 10;

export function createPricingSource(opts: PricingSourceOptions = {}): ClosablePricingSource {
  const client = new PricingClient({
    region: PRICING_API_REGION,
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    maxAttempts: opts.maxAttempts ?? 3,
    requestHandler: awsRequestHandler({ requestTimeout: opts.requestTimeoutMs ?? 10_000, connectionTimeout: 5_000 }),
  });

  async function priceOf(region: string, instanceType: string): Promise<number | null> {
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const out = await client.send(
        new GetProductsCommand({
          ServiceCode: 'AmazonEC2',
          FormatVersion: 'aws_v1',
          Filters: productFilters(region, instanceType),
          MaxResults: 100,
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
      );
      for (const item of priceListItems(out.PriceList)) {
        const price = hourlyUsd(item, instanceType);
        if (price !== null) return price;
      }
      nextToken = out.NextToken;
      if (!nextToken) break;
    }
    return null;
  }

  return {
    async onDemandPrices(region, instanceTypes) {
      const prices = new Map<string, number>();
      try {
        for (const type of instanceTypes) {
          const price = await priceOf(region, type);
          if (price !== null) prices.set(type, price);
        }
      } catch (err) {
        throw toPricingError(err);
      }
      return prices;
    },
    close: () => client.destroy(),
  };
}

/** The SDK hands PriceList items back as JSON text: a string, or a String wrapper (its LazyJsonString). */
function priceListItems(list: unknown): unknown[] {
  if (!Array.isArray(list)) return [];
  return list.map((item: unknown) => {
    if (typeof item === 'string') return safeJson(item);
    if (item instanceof String) return safeJson(item.toString());
    return item;
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

const PriceDimensionSchema = z.object({
  unit: z.string().optional(),
  pricePerUnit: z.record(z.string(), z.string()),
});
const PriceDocSchema = z.object({
  product: z.object({ attributes: z.record(z.string(), z.string()) }),
  terms: z.object({
    OnDemand: z
      .record(z.string(), z.object({ priceDimensions: z.record(z.string(), PriceDimensionSchema) }))
      .optional(),
  }),
});

/** USD/hour of the first on-demand price dimension in hours with a non-zero price; null if there is none. */
export function hourlyUsd(doc: unknown, instanceType: string): number | null {
  const parsed = PriceDocSchema.safeParse(doc);
  if (!parsed.success) return null;
  if (parsed.data.product.attributes['instanceType'] !== instanceType) return null;
  for (const term of Object.values(parsed.data.terms.OnDemand ?? {})) {
    for (const dim of Object.values(term.priceDimensions)) {
      if (dim.unit !== undefined && dim.unit !== 'Hrs') continue;
      const usd = Number(dim.pricePerUnit['USD']);
      if (Number.isFinite(usd) && usd > 0) return usd;
    }
  }
  return null;
}

const DENIED = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'CredentialsProviderError',
]);
const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

export function toPricingError(err: unknown): PricingError {
  if (err instanceof PricingError) return err;
  const e = (err ?? {}) as { name?: unknown; code?: unknown; message?: unknown };
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const code = typeof e.code === 'string' ? e.code : name;
  const detail = redact(typeof e.message === 'string' ? e.message : String(err));
  if (DENIED.has(name) || DENIED.has(code)) {
    return new PricingError(
      'denied',
      code,
      `AWS Pricing API refused the request (${name}): allow pricing:GetProducts for these credentials to see current list prices`,
    );
  }
  if (name === 'ThrottlingException') {
    return new PricingError('throttled', code, 'AWS Pricing API is throttling requests; prices will be retried later');
  }
  if (NETWORK.has(code) || name === 'TimeoutError' || name === 'RequestTimeout') {
    return new PricingError(
      'unreachable',
      code,
      `AWS Pricing API is unreachable (${code}): check the network or proxy to api.pricing.us-east-1.amazonaws.com`,
    );
  }
  return new PricingError('failed', code, `AWS Pricing API call failed (${name}: ${detail})`);
}

/** Access key ids are not secret, but they identify the user; nothing credential-shaped goes into a message. */
function redact(text: string): string {
  return text.replace(/\b(AKIA|ASIA)[0-9A-Z]{12,}\b/g, '$1…').slice(0, 300);
}
