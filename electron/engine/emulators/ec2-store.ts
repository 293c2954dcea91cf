/**
 * One region of the emulated account: every instance, spot request, client token and pagination token, and the
 * lifecycle rules they follow in virtual time (evaluated lazily from the clock). As in AWS, regions share nothing:
 * the emulator keeps one store per region a request is signed for (ec2-emulator.ts). The API areas (ec2-instances.ts,
 * ec2-run-instances.ts, ec2-spot.ts, ec2-tags.ts, ec2-instance-types.ts) act on one `Ec2Store`.
 */
import { z } from 'zod';
import type { Ec2State } from '../../../shared/domain.js';
import { defaultSpotPrice, type EmulatedInstanceType } from './ec2-catalog.js';
import type { Ec2EmulatorOptions, Ec2Interceptor, Ec2Refusal, EmulatedInstanceDetail } from './ec2-model.js';
import type { QueryParams } from './ec2-query.js';
import { statusForCode, type XmlObject } from './ec2-xml.js';
import { CAPACITY_CODES as ENGINE_CAPACITY_CODES } from '../ec2/errors.js';

export class Ec2Fail extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number = statusForCode(code),
  ) {
    super(message);
  }
}

export interface Rec extends EmulatedInstanceDetail {
  launchIndex: number;
  visibleAt: number;
  shuttingDownAt: number | null;
  stoppingAt: number | null;
  stateReasonMessage: string | null;
  stateTransitionReason: string;
  privateIp: string;
  spotRequestId: string | null;
}

/** A spot request (`RequestSpotInstances`): ClearML's own autoscaler launches spot capacity this way. */
export interface SpotRequest {
  id: string;
  createdAt: number;
  type: string;
  instanceType: string;
  zone: string | null;
  /** The instance launched for it; null while AWS has no capacity for it (the request stays open). */
  instanceId: string | null;
  cancelled: boolean;
}

export interface TokenRecord {
  hash: string;
  reservationId: string | null;
}

export const STATE_CODE: Record<Ec2State, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

/** The account every emulated resource belongs to. */
export const OWNER_ID = '123456789012';

/**
 * Refusals for capacity: the engine's list (`ec2/errors.ts`), plus `Unsupported` (the type not offered in the zone),
 * which the engine reads as capacity only when its message names the zone.
 */
export const CAPACITY_CODES: ReadonlySet<string> = new Set([...ENGINE_CAPACITY_CODES, 'Unsupported']);

export const intParam = (min: number, max: number) =>
  z
    .string()
    .regex(/^-?\d+$/)
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
export const boolParam = z.enum(['true', 'false']).transform((v) => v === 'true');

export function parseParams<S extends z.ZodType>(schema: S, p: QueryParams): z.output<S> {
  const r = schema.safeParse(p);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const name = String(issue.path[0] ?? 'parameter');
  if (p[name] === undefined) throw new Ec2Fail('MissingParameter', `The request must contain the parameter ${name}`);
  throw new Ec2Fail('InvalidParameterValue', `Value (${p[name]}) for parameter ${name} is invalid.`);
}

export function paramsHash(p: QueryParams): string {
  const skip = new Set(['Action', 'Version', 'ClientToken', 'DryRun']);
  return JSON.stringify(
    Object.entries(p)
      .filter(([k]) => !skip.has(k))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

export function dryRunCheck(p: QueryParams): void {
  if (p['DryRun'] === 'true') {
    throw new Ec2Fail('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.');
  }
}

export class Ec2Store {
  readonly zones: string[];
  readonly pendingMs: number;
  readonly shuttingDownMs: number;
  readonly retentionMs: number;
  readonly clock: Ec2EmulatorOptions['clock'];
  readonly random: () => number;
  readonly recs = new Map<string, Rec>();
  /** Instance ids in launch order (DescribeInstances lists them so). */
  readonly order: string[] = [];
  readonly tokens = new Map<string, TokenRecord>();
  readonly pageTokens = new Map<string, { ids: string[]; offset: number }>();
  readonly rowTokens = new Map<string, { rows: XmlObject[]; offset: number }>();
  readonly reservationIds = new Set<string>();
  /** volume id → instance id */
  readonly volumeIds = new Map<string, string>();
  readonly spotRequests = new Map<string, SpotRequest>();
  ipSeq = 10;
  /** Applies to instances launched from now on. */
  listingDelaySec: number;
  readonly bootFailures: Map<string, string>;
  readonly interceptors: Ec2Interceptor[];

  /** `home`: the store of the emulator's own region, whose test seams (faults, boot failures) apply here too. */
  constructor(
    readonly opts: Ec2EmulatorOptions,
    readonly region: string,
    home?: Ec2Store,
  ) {
    this.bootFailures = home?.bootFailures ?? new Map<string, string>();
    this.interceptors = home?.interceptors ?? [];
    this.zones = [`${region}a`, `${region}b`, `${region}c`];
    this.pendingMs = (opts.pendingSec ?? 5) * 1000;
    this.shuttingDownMs = (opts.shuttingDownSec ?? 5) * 1000;
    this.retentionMs = (opts.terminatedRetentionSec ?? 3600) * 1000;
    this.random = opts.random ?? Math.random;
    this.clock = opts.clock;
    this.listingDelaySec = opts.listingDelaySec ?? 0;
  }

  hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += Math.floor(this.random() * 16).toString(16);
    return s;
  }

  newId(prefix: string, taken: (id: string) => boolean): string {
    for (;;) {
      const id = `${prefix}-${this.hex(17)}`;
      if (!taken(id)) return id;
    }
  }

  advance(r: Rec, now: number): void {
    if (r.state === 'terminated' || r.state === 'stopped') return;
    if (r.shuttingDownAt !== null) {
      if (now >= r.shuttingDownAt + this.shuttingDownMs) {
        r.state = 'terminated';
        r.terminatedAt = r.shuttingDownAt + this.shuttingDownMs;
      } else r.state = 'shutting-down';
      return;
    }
    if (r.stoppingAt !== null) {
      r.state = now >= r.stoppingAt + this.shuttingDownMs ? 'stopped' : 'stopping';
      return;
    }
    if (now >= r.launchedAt + this.pendingMs) {
      r.state = 'running';
      r.runningSince ??= r.launchedAt + this.pendingMs;
    }
  }

  stepAll(): number {
    const now = this.clock.now();
    for (const r of this.recs.values()) this.advance(r, now);
    return now;
  }
  purged(r: Rec, now: number): boolean {
    return r.terminatedAt !== null && now >= r.terminatedAt + this.retentionMs;
  }

  visible(r: Rec, now: number): boolean {
    return now >= r.visibleAt && !this.purged(r, now);
  }

  beginShutdown(r: Rec, now: number, code: string, message: string): void {
    this.advance(r, now);
    if (r.state === 'terminated' || r.state === 'shutting-down') return;
    r.shuttingDownAt = now;
    r.stoppingAt = null;
    r.state = 'shutting-down';
    r.stateReasonCode = code;
    r.stateReasonMessage = message;
    r.stateTransitionReason = `${code === 'Server.SpotInstanceTermination' ? 'Service' : 'User'} initiated (${new Date(now).toISOString().replace('T', ' ').slice(0, 19)} GMT)`;
  }
  publicView(r: Rec): EmulatedInstanceDetail {
    return {
      instanceId: r.instanceId,
      state: r.state,
      instanceType: r.instanceType,
      market: r.market,
      zone: r.zone,
      subnetId: r.subnetId,
      launchedAt: r.launchedAt,
      runningSince: r.runningSince,
      userData: r.userData,
      tags: { ...r.tags },
      clientToken: r.clientToken,
      stateReasonCode: r.stateReasonCode,
      reservationId: r.reservationId,
      imageId: r.imageId,
      volumes: r.volumes.map((v) => ({ ...v })),
      volumeTags: { ...r.volumeTags },
      metadataOptions: { ...r.metadataOptions },
      shutdownBehavior: r.shutdownBehavior,
      spotOptions: r.spotOptions ? { ...r.spotOptions } : null,
      keyName: r.keyName,
      securityGroupIds: [...r.securityGroupIds],
      iamInstanceProfile: r.iamInstanceProfile ? { ...r.iamInstanceProfile } : null,
      monitoring: r.monitoring,
      terminatedAt: r.terminatedAt,
      note: r.note,
    };
  }
  knownInstances(ids: string[], now: number): Rec[] {
    const malformed = ids.find((id) => !/^i-[0-9a-f]{8,17}$/.test(id));
    if (malformed) throw new Ec2Fail('InvalidInstanceID.Malformed', `Invalid id: "${malformed}"`);
    const missing = ids.filter((id) => {
      const r = this.recs.get(id);
      return !r || !this.visible(r, now);
    });
    if (missing.length === 1)
      throw new Ec2Fail('InvalidInstanceID.NotFound', `The instance ID '${missing[0]}' does not exist`);
    if (missing.length > 1) {
      throw new Ec2Fail('InvalidInstanceID.NotFound', `The instance IDs '${missing.join(', ')}' do not exist`);
    }
    return ids.map((id) => this.recs.get(id)!);
  }

  zoneOfSubnet(subnetId: string): string {
    if (this.opts.subnets) {
      const z = this.opts.subnets[subnetId];
      if (!z) throw new Ec2Fail('InvalidSubnetID.NotFound', `The subnet ID '${subnetId}' does not exist`);
      return z;
    }
    let h = 0;
    for (const c of subnetId) h = (h * 31 + c.charCodeAt(0)) >>> 0;
    return this.zones[h % this.zones.length]!;
  }

  spotPriceFor(type: EmulatedInstanceType, zone: string): number {
    return (
      this.opts.spotPrices?.[`${type.instanceType}|${zone}`] ??
      this.opts.spotPrices?.[type.instanceType] ??
      defaultSpotPrice(type, zone)
    );
  }
  pageRows(rows: XmlObject[], setName: string, max: number | undefined, next: string | undefined): XmlObject {
    let src = { rows, offset: 0 };
    if (next !== undefined) {
      const prior = this.rowTokens.get(next);
      if (!prior) throw new Ec2Fail('InvalidNextToken', `The specified token ${next} is invalid`);
      this.rowTokens.delete(next);
      src = prior;
    }
    const size = max ?? 1000;
    const body: XmlObject = { [setName]: src.rows.slice(src.offset, src.offset + size) };
    if (src.offset + size < src.rows.length) {
      const token = `emu-${this.hex(24)}`;
      this.rowTokens.set(token, { rows: src.rows, offset: src.offset + size });
      body['nextToken'] = token;
    }
    return body;
  }
  intercept(action: string, p: QueryParams): Ec2Refusal | null {
    for (const i of this.interceptors) {
      const refusal = i(action, p);
      if (refusal) return refusal;
    }
    return null;
  }
  bootFailureOf(r: Rec): string | null {
    const f = this.bootFailures;
    return f.get(r.instanceId) ?? f.get(r.imageId) ?? f.get(r.instanceType) ?? null;
  }
}
