/**
 * A local AWS Price List Query API: a real HTTP server speaking the JSON 1.1 protocol
 * (`X-Amz-Target: AWSPriceListService.GetProducts`, `application/x-amz-json-1.1`), so the real
 * `@aws-sdk/client-pricing` client (signing, serialisation, error parsing) is what tests exercise.
 *
 * Every instance type is offered in several products, as in the real catalogue: the Linux/shared/used SKU we
 * want plus capacity-reservation, dedicated, Windows, RHEL and SQL variants at other prices, each with
 * on-demand and reserved terms. A client that forgets a filter gets a wrong price, and a test sees it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import {
  BUNDLED_ON_DEMAND,
  REGION_MULTIPLIERS,
  REGION_NAMES,
  sizeUnits,
  splitInstanceType,
} from '../cost/bundled-prices.js';

export interface PricingEmulatorOptions {
  /** Linux on-demand USD/hour per region and type; default: the bundled table scaled for each region. */
  prices?: Record<string, Record<string, number>>;
  /** Regions offered when `prices` is not given. */
  regions?: string[];
  /** `publicationDate` of every document. */
  publicationDate?: string;
}

export interface GetProductsLog {
  serviceCode: string;
  filters: { Type: string; Field: string; Value: string }[];
  maxResults: number | undefined;
  nextToken: string | undefined;
  /** The SigV4 credential scope the client signed with, e.g. `20261101/us-east-1/pricing/aws4_request`. */
  credentialScope: string | null;
}

export interface PricingEmulator {
  /** `http://127.0.0.1:<port>`, for the client's `endpoint`. */
  readonly url: string;
  /** When true every call fails with AccessDeniedException, as for credentials without pricing:GetProducts. */
  accessDenied: boolean;
  /** Every GetProducts call received, in order. */
  readonly requests: GetProductsLog[];
  setPrice(region: string, instanceType: string, usdPerHour: number): void;
  removeType(region: string, instanceType: string): void;
  close(): Promise<void>;
}

const TARGET_PREFIX = 'AWSPriceListService.';
const JSON_11 = 'application/x-amz-json-1.1';

const FilterSchema = z.object({
  Type: z.enum(['TERM_MATCH', 'EQUALS', 'CONTAINS', 'ANY_OF', 'NONE_OF']),
  Field: z.string().min(1),
  Value: z.string(),
});
const GetProductsSchema = z.object({
  ServiceCode: z.string().min(1),
  Filters: z.array(FilterSchema).max(50).optional(),
  FormatVersion: z.string().optional(),
  NextToken: z.string().optional(),
  MaxResults: z.number().int().min(1).max(100).optional(),
});

type Doc = {
  product: { productFamily: string; attributes: Record<string, string>; sku: string };
  serviceCode: string;
  terms: Record<string, unknown>;
  version: string;
  publicationDate: string;
};

interface Variant {
  key: string;
  operatingSystem: string;
  tenancy: string;
  preInstalledSw: string;
  capacitystatus: string;
  operation: string;
  usage: string;
  /** Price of this variant from the Linux/shared price and the size in xlarge units. */
  price: (linux: number, units: number) => number;
  label: string;
}

const VARIANTS: Variant[] = [
  {
    key: 'lx',
    operatingSystem: 'Linux',
    tenancy: 'Shared',
    preInstalledSw: 'NA',
    capacitystatus: 'Used',
    operation: 'RunInstances',
    usage: 'BoxUsage',
    price: (p) => p,
    label: 'Linux',
  },
  {
    key: 'lxa',
    operatingSystem: 'Linux',
    tenancy: 'Shared',
    preInstalledSw: 'NA',
    capacitystatus: 'AllocatedCapacityReservation',
    operation: 'RunInstances',
    usage: 'Reservation',
    price: (p) => p,
    label: 'Linux Reservation',
  },
  {
    key: 'lxu',
    operatingSystem: 'Linux',
    tenancy: 'Shared',
    preInstalledSw: 'NA',
    capacitystatus: 'UnusedCapacityReservation',
    operation: 'RunInstances',
    usage: 'UnusedBox',
    price: (p) => p,
    label: 'Unused Reservation Linux',
  },
  {
    key: 'lxd',
    operatingSystem: 'Linux',
    tenancy: 'Dedicated',
    preInstalledSw: 'NA',
    capacitystatus: 'Used',
    operation: 'RunInstances',
    usage: 'DedicatedUsage',
    price: (p) => p * 1.1,
    label: 'Dedicated Linux',
  },
  {
    key: 'win',
    operatingSystem: 'Windows',
    tenancy: 'Shared',
    preInstalledSw: 'NA',
    capacitystatus: 'Used',
    operation: 'RunInstances:0002',
    usage: 'BoxUsage',
    price: (p, u) => p + 0.184 * u,
    label: 'Windows',
  },
  {
    key: 'rhel',
    operatingSystem: 'RHEL',
    tenancy: 'Shared',
    preInstalledSw: 'NA',
    capacitystatus: 'Used',
    operation: 'RunInstances:0010',
    usage: 'BoxUsage',
    price: (p, u) => p + 0.0325 * Math.max(u, 0.25),
    label: 'RHEL',
  },
  {
    key: 'sql',
    operatingSystem: 'Linux',
    tenancy: 'Shared',
    preInstalledSw: 'SQL Std',
    capacitystatus: 'Used',
    operation: 'RunInstances:0004',
    usage: 'BoxUsage',
    price: (p, u) => p + 0.48 * Math.max(u, 1),
    label: 'Linux with SQL Std',
  },
];

const USAGE_PREFIX: Record<string, string> = {
  'us-east-1': '',
  'us-east-2': 'USE2-',
  'us-west-1': 'USW1-',
  'us-west-2': 'USW2-',
  'ca-central-1': 'CAN1-',
  'eu-west-1': 'EU-',
  'eu-west-2': 'EUW2-',
  'eu-west-3': 'EUW3-',
  'eu-central-1': 'EUC1-',
  'eu-north-1': 'EUN1-',
  'ap-south-1': 'APS3-',
  'ap-northeast-1': 'APN1-',
  'ap-northeast-2': 'APN2-',
  'ap-southeast-1': 'APS1-',
  'ap-southeast-2': 'APS2-',
  'sa-east-1': 'SAE1-',
};

/** A stable 16-character SKU, shaped like the real ones. */
function sku(...parts: string[]): string {
  let h = 2166136261;
  let out = '';
  const alphabet = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
  const text = parts.join('|');
  for (let round = 0; out.length < 16; round++) {
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
    h = Math.imul(h ^ round, 16777619) >>> 0;
    out += alphabet[h % alphabet.length];
  }
  return out;
}

function buildDoc(region: string, type: string, linux: number, v: Variant, publicationDate: string): Doc {
  const parts = splitInstanceType(type);
  const units = (parts && sizeUnits(parts.size)) ?? 1;
  const id = sku(region, type, v.key);
  const price = Math.round(v.price(linux, units) * 1e6) / 1e6;
  const usagetype = `${USAGE_PREFIX[region] ?? `${region.toUpperCase()}-`}${v.usage}:${type}`;
  const od = `${id}.JRTCKXETXF`;
  const ri = `${id}.38NPMPTW36`;
  const gpu = /^(g|p)\d/.test(type);
  return {
    product: {
      productFamily: 'Compute Instance',
      attributes: {
        servicecode: 'AmazonEC2',
        servicename: 'Amazon Elastic Compute Cloud',
        location: REGION_NAMES[region] ?? region,
        locationType: 'AWS Region',
        regionCode: region,
        instanceType: type,
        instanceFamily: gpu ? 'GPU instance' : 'General purpose',
        currentGeneration: 'Yes',
        vcpu: String(Math.max(2, Math.round(units * 4))),
        memory: `${Math.max(0.5, units * 16)} GiB`,
        ...(gpu ? { gpu: String(Math.max(1, Math.round(units / 8))) } : {}),
        processorArchitecture: '64-bit',
        operatingSystem: v.operatingSystem,
        tenancy: v.tenancy,
        preInstalledSw: v.preInstalledSw,
        capacitystatus: v.capacitystatus,
        licenseModel: 'No License required',
        marketoption: 'OnDemand',
        usagetype,
        operation: v.operation,
        instancesku: sku(region, type, 'instance'),
      },
      sku: id,
    },
    serviceCode: 'AmazonEC2',
    terms: {
      OnDemand: {
        [od]: {
          offerTermCode: 'JRTCKXETXF',
          sku: id,
          effectiveDate: `${publicationDate.slice(0, 10)}T00:00:00Z`,
          priceDimensions: {
            [`${od}.6YS6EN2CT7`]: {
              rateCode: `${od}.6YS6EN2CT7`,
              description: `$${price} per On Demand ${v.label} ${type} Instance Hour`,
              beginRange: '0',
              endRange: 'Inf',
              unit: 'Hrs',
              pricePerUnit: { USD: price.toFixed(10) },
              appliesTo: [],
            },
          },
          termAttributes: {},
        },
      },
      Reserved: {
        [ri]: {
          offerTermCode: '38NPMPTW36',
          sku: id,
          effectiveDate: `${publicationDate.slice(0, 10)}T00:00:00Z`,
          priceDimensions: {
            [`${ri}.2TG2D8R56U`]: {
              rateCode: `${ri}.2TG2D8R56U`,
              description: 'Upfront Fee',
              unit: 'Quantity',
              pricePerUnit: { USD: String(Math.round(price * 8760 * 0.38)) },
              appliesTo: [],
            },
            [`${ri}.6YS6EN2CT7`]: {
              rateCode: `${ri}.6YS6EN2CT7`,
              description: `${v.label} ${type} reserved instance applied`,
              beginRange: '0',
              endRange: 'Inf',
              unit: 'Hrs',
              pricePerUnit: { USD: (price * 0.3).toFixed(10) },
              appliesTo: [],
            },
          },
          termAttributes: { LeaseContractLength: '3yr', OfferingClass: 'standard', PurchaseOption: 'Partial Upfront' },
        },
      },
    },
    version: publicationDate.replace(/\D/g, '').slice(0, 14),
    publicationDate,
  };
}

function fieldValue(doc: Doc, field: string): string | undefined {
  const f = field.toLowerCase();
  if (f === 'productfamily') return doc.product.productFamily;
  if (f === 'sku') return doc.product.sku;
  if (f === 'servicecode') return doc.serviceCode;
  for (const [k, v] of Object.entries(doc.product.attributes)) if (k.toLowerCase() === f) return v;
  return undefined;
}

function matches(doc: Doc, filter: z.infer<typeof FilterSchema>): boolean {
  const actual = fieldValue(doc, filter.Field)?.toLowerCase();
  const wanted = filter.Value.toLowerCase();
  switch (filter.Type) {
    case 'TERM_MATCH':
    case 'EQUALS':
      return actual === wanted;
    case 'CONTAINS':
      return actual !== undefined && actual.includes(wanted);
    case 'ANY_OF':
      return actual !== undefined && wanted.split(',').some((w) => w.trim() === actual);
    case 'NONE_OF':
      return actual === undefined || !wanted.split(',').some((w) => w.trim() === actual);
  }
}

function defaultPrices(regions: string[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const region of regions) {
    const mult = REGION_MULTIPLIERS[region] ?? 1;
    out[region] = Object.fromEntries(
      Object.entries(BUNDLED_ON_DEMAND).map(([t, p]) => [t, Math.round(p * mult * 1e4) / 1e4]),
    );
  }
  return out;
}

export async function startPricingEmulator(opts: PricingEmulatorOptions = {}): Promise<PricingEmulator> {
  const prices = opts.prices
    ? Object.fromEntries(Object.entries(opts.prices).map(([r, t]) => [r, { ...t }]))
    : defaultPrices(opts.regions ?? ['us-east-1', 'us-west-2', 'eu-central-1']);
  const publicationDate = opts.publicationDate ?? '2026-11-01T00:00:00Z';
  const requests: GetProductsLog[] = [];
  let requestSeq = 0;

  function catalogue(): Doc[] {
    const docs: Doc[] = [];
    for (const [region, types] of Object.entries(prices)) {
      for (const [type, linux] of Object.entries(types)) {
        for (const v of VARIANTS) docs.push(buildDoc(region, type, linux, v, publicationDate));
      }
    }
    return docs;
  }

  function send(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': JSON_11,
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': `00000000-0000-4000-8000-${String(++requestSeq).padStart(12, '0')}`,
      ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
    });
    res.end(text);
  }
  const fail = (res: ServerResponse, status: number, type: string, message: string) =>
    send(res, status, { __type: type, Message: message }, type);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');

    if (req.method !== 'POST') return fail(res, 404, 'UnknownOperationException', 'Only POST is supported');
    const target = String(req.headers['x-amz-target'] ?? '');
    const contentType = String(req.headers['content-type'] ?? '');
    if (!contentType.startsWith(JSON_11)) {
      return fail(res, 400, 'SerializationException', `Expected ${JSON_11}, got '${contentType}'`);
    }
    const auth = String(req.headers['authorization'] ?? '');
    const scope = /Credential=[^/]+\/([^,]+)/.exec(auth)?.[1] ?? null;
    if (!auth.startsWith('AWS4-HMAC-SHA256 ') || !scope) {
      return fail(res, 400, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    }
    if (!/\/us-east-1\/pricing\/aws4_request$/.test(scope)) {
      return fail(
        res,
        400,
        'InvalidSignatureException',
        `Credential should be scoped to us-east-1/pricing, not '${scope}'`,
      );
    }
    if (!target.startsWith(TARGET_PREFIX))
      return fail(res, 400, 'UnknownOperationException', `Unknown target '${target}'`);
    const op = target.slice(TARGET_PREFIX.length);
    if (op !== 'GetProducts') return fail(res, 400, 'UnknownOperationException', `Operation ${op} is not emulated`);

    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : {};
    } catch {
      return fail(res, 400, 'SerializationException', 'Request body is not valid JSON');
    }
    const parsed = GetProductsSchema.safeParse(body);
    if (!parsed.success) {
      return fail(res, 400, 'InvalidParameterException', parsed.error.issues.map((i) => i.message).join('; '));
    }
    const input = parsed.data;
    requests.push({
      serviceCode: input.ServiceCode,
      filters: input.Filters ?? [],
      maxResults: input.MaxResults,
      nextToken: input.NextToken,
      credentialScope: scope,
    });
    if (emulator.accessDenied) {
      return fail(
        res,
        400,
        'AccessDeniedException',
        'User: arn:aws:iam::123456789012:user/tray-app is not authorized to perform: pricing:GetProducts because no identity-based policy allows the pricing:GetProducts action',
      );
    }
    if (input.ServiceCode !== 'AmazonEC2') {
      return fail(res, 400, 'NotFoundException', `Service code '${input.ServiceCode}' is not emulated`);
    }
    let offset = 0;
    if (input.NextToken !== undefined) {
      const m = /^page:(\d+)$/.exec(Buffer.from(input.NextToken, 'base64').toString('utf8'));
      if (!m) return fail(res, 400, 'InvalidNextTokenException', 'The pagination token is invalid');
      offset = Number(m[1]);
    }
    const filters = input.Filters ?? [];
    const hits = catalogue().filter((d) => filters.every((f) => matches(d, f)));
    const limit = input.MaxResults ?? 100;
    const page = hits.slice(offset, offset + limit);
    const next = offset + limit < hits.length ? Buffer.from(`page:${offset + limit}`).toString('base64') : undefined;
    send(res, 200, {
      FormatVersion: 'aws_v1',
      PriceList: page.map((d) => JSON.stringify(d)),
      ...(next ? { NextToken: next } : {}),
    });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) fail(res, 500, 'InternalErrorException', err instanceof Error ? err.message : 'internal');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const emulator: PricingEmulator = {
    url: `http://127.0.0.1:${port}`,
    accessDenied: false,
    requests,
    setPrice(region, instanceType, usdPerHour) {
      (prices[region] ??= {})[instanceType] = usdPerHour;
    },
    removeType(region, instanceType) {
      delete prices[region]?.[instanceType];
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
  return emulator;
}
