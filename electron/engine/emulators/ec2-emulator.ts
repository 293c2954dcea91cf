/**
 * An in-process EC2 that speaks the real Query protocol on 127.0.0.1, so the app's provider is exercised through
 * the real @aws-sdk/client-ec2 (pointed here with `AWS_ENDPOINT_URL_EC2` or `endpoint`), serialization, signing,
 * XML parsing and error mapping included. It implements `Ec2Machines` for the agent simulator.
 *
 * What it models, because the engine must cope with it on real AWS:
 * - lifecycle in virtual time, evaluated lazily from the injected clock: pending → running after `pendingSec`;
 *   shutting-down → terminated after `shuttingDownSec` (stopping → stopped for shutdown behaviour "stop");
 *   terminated instances stay listed for `terminatedRetentionSec` (an hour on AWS);
 * - ClientToken idempotency: the same token and parameters return the same reservation (any time later, an
 *   engine restart included, and whatever capacity is left by then); the same token with other parameters fails
 *   with IdempotentParameterMismatch;
 * - eventual consistency: for `listingDelaySec` after launch an instance is invisible to DescribeInstances,
 *   CreateTags and TerminateInstances (InvalidInstanceID.NotFound), while RunInstances with its token returns it;
 * - DryRun (412 DryRunOperation), the error XML and HTTP statuses AWS uses, and `interceptors` through which
 *   test machinery (`testkit/ec2-faults.ts`) refuses requests.
 * Signatures are not verified, but a request without an Authorization header is refused (401 AuthFailure).
 */
import { Buffer } from 'node:buffer';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeInstanceAttribute, describeInstances, getConsoleOutput, terminateInstances } from './ec2-instances.js';
import { describeInstanceTypes } from './ec2-instance-types.js';
import type { Ec2CallLogEntry, Ec2Emulator, Ec2EmulatorOptions } from './ec2-model.js';
import { parseQuery, type QueryParams } from './ec2-query.js';
import { runInstances } from './ec2-run-instances.js';
import { describeSpotInstanceRequests, describeSpotPriceHistory, requestSpotInstances } from './ec2-spot.js';
import { CAPACITY_CODES, Ec2Fail, Ec2Store, paramsHash } from './ec2-store.js';
import { createTags } from './ec2-tags.js';
import { errorXml, responseXml, type XmlObject } from './ec2-xml.js';

export type {
  Ec2CallLogEntry,
  Ec2Emulator,
  Ec2EmulatorOptions,
  Ec2Interceptor,
  Ec2Refusal,
  EmulatedInstanceDetail,
  EmulatedVolume,
} from './ec2-model.js';
export { OWNER_ID } from './ec2-store.js';

const MAX_BODY = 1024 * 1024;
const MAX_LOG = 100_000;
const ACTIONS = [
  'RunInstances',
  'DescribeInstances',
  'TerminateInstances',
  'CreateTags',
  'DescribeSpotPriceHistory',
  'DescribeInstanceTypes',
  'RequestSpotInstances',
  'DescribeSpotInstanceRequests',
  'GetConsoleOutput',
  'DescribeInstanceAttribute',
] as const;
type Action = (typeof ACTIONS)[number];

export async function startEc2Emulator(opts: Ec2EmulatorOptions): Promise<Ec2Emulator> {
  const region = opts.region ?? 'us-east-1';
  const s = new Ec2Store(opts, region);
  // AWS keeps each region apart (moto too): an instance launched in eu-west-1 is not listed in us-east-1. The store
  // is picked by the region the request is signed for; the emulator's own region's is `s`, which the test seams
  // (listing delay, the instance views) address, and whose faults and boot failures hold in every region.
  const stores = new Map<string, Ec2Store>([[region, s]]);
  const storeOf = (signed: string | null): Ec2Store => {
    const r = signed ?? region;
    let st = stores.get(r);
    if (!st) {
      st = new Ec2Store(opts, r, s);
      st.listingDelaySec = s.listingDelaySec;
      stores.set(r, st);
    }
    return st;
  };
  const stepAll = (): number => {
    let now = 0;
    for (const st of stores.values()) now = st.stepAll();
    return now;
  };
  /** Every store's record of an instance id (ids are unique across regions, as in AWS). */
  const recOf = (instanceId: string) => {
    for (const st of stores.values()) {
      const r = st.recs.get(instanceId);
      if (r) return { st, r };
    }
    return undefined;
  };
  const log: Ec2CallLogEntry[] = [];
  const calls = { total: 0, byAction: {} as Record<string, number> };
  let requestSeq = 0;

  function handle(s: Ec2Store, action: Action, p: QueryParams, now: number): XmlObject {
    switch (action) {
      case 'RunInstances':
        return runInstances(s, p, now);
      case 'DescribeInstances':
        return describeInstances(s, p, now);
      case 'TerminateInstances':
        return terminateInstances(s, p, now);
      case 'CreateTags':
        return createTags(s, p, now);
      case 'DescribeSpotPriceHistory':
        return describeSpotPriceHistory(s, p, now);
      case 'DescribeInstanceTypes':
        return describeInstanceTypes(s, p);
      case 'RequestSpotInstances':
        return requestSpotInstances(s, p, now);
      case 'DescribeSpotInstanceRequests':
        return describeSpotInstanceRequests(s, p, now);
      case 'GetConsoleOutput':
        return getConsoleOutput(s, p, now);
      case 'DescribeInstanceAttribute':
        return describeInstanceAttribute(s, p, now);
    }
  }

  // ------------------------------------------------------------ HTTP

  function record(at: number, action: string, status: number, code: string | null): void {
    log.push({ at, action, status, code });
    if (log.length > MAX_LOG) log.splice(0, log.length - MAX_LOG);
  }

  function respond(res: http.ServerResponse, status: number, xml: string, requestId: string, now: number): void {
    res.writeHead(status, {
      // As AWS does, on the emulator's (virtual) clock: the engine reads AWS's time from it (aws-clock.ts).
      date: new Date(now).toUTCString(),
      'content-type': 'text/xml;charset=UTF-8',
      'x-amzn-requestid': requestId,
      'content-length': Buffer.byteLength(xml),
    });
    res.end(xml);
  }

  function serve(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
    const requestId = `00000000-0000-4000-8000-${(++requestSeq).toString(16).padStart(12, '0')}`;
    const now = stepAll();
    const s = storeOf(signingRegion(req.headers.authorization));
    const url = new URL(req.url ?? '/', 'http://localhost');
    const p = parseQuery(body, url.search);
    const action = p['Action'] ?? '';
    calls.total += 1;
    calls.byAction[action] = (calls.byAction[action] ?? 0) + 1;

    const fail = (e: Ec2Fail) => {
      record(now, action, e.status, e.code);
      respond(res, e.status, errorXml(e.code, e.message, requestId), requestId, now);
    };
    try {
      if (!req.headers.authorization) {
        throw new Ec2Fail('AuthFailure', 'AWS was not able to validate the provided access credentials', 401);
      }
      if (!(ACTIONS as readonly string[]).includes(action)) {
        throw new Ec2Fail('InvalidAction', `The action ${action || '(none)'} is not valid for this web service.`);
      }
      const refusal = s.intercept(action, p);
      // ClientToken idempotency comes before capacity: a repeat of a launch that succeeded returns that launch
      // however short capacity has run since, and a repeat with other parameters fails with
      // IdempotentParameterMismatch (RunInstances answers both). Refusals of the request itself (auth,
      // throttling, server errors) still reach either.
      const token = action === 'RunInstances' ? p['ClientToken'] : undefined;
      const bound = token ? s.tokens.get(token) : undefined;
      const decided =
        !!bound && CAPACITY_CODES.has(refusal?.code ?? '') && (!!bound.reservationId || bound.hash !== paramsHash(p));
      if (refusal && !decided) {
        // A launch refused for capacity still binds its token to its parameters (runs-on#251).
        if (token && CAPACITY_CODES.has(refusal.code) && !s.tokens.has(token)) {
          s.tokens.set(token, { hash: paramsHash(p), reservationId: null });
        }
        throw new Ec2Fail(refusal.code, refusal.message, refusal.status);
      }
      const out = handle(s, action as Action, p, now);
      record(now, action, 200, null);
      respond(res, 200, responseXml(action, requestId, out), requestId, now);
    } catch (err) {
      if (err instanceof Ec2Fail) return fail(err);
      fail(new Ec2Fail('InternalError', `An internal error has occurred (${String(err)})`, 500));
    }
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.byteLength;
      if (size > MAX_BODY) {
        res.writeHead(413).end();
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!res.headersSent) serve(req, res, Buffer.concat(chunks).toString('utf8'));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  const emulator: Ec2Emulator = {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    region,
    zones: s.zones,
    interceptors: s.interceptors,
    get listingDelaySec() {
      return s.listingDelaySec;
    },
    set listingDelaySec(v: number) {
      for (const st of stores.values()) st.listingDelaySec = v;
    },
    bootFailures: s.bootFailures,
    bootFailureOf(instanceId) {
      const r = recOf(instanceId)?.r;
      return r ? s.bootFailureOf(r) : null;
    },
    calls,
    log,
    instances() {
      const now = stepAll();
      return [...stores.values()]
        .flatMap((st) => st.order.map((id) => st.recs.get(id)!).filter((r) => !st.purged(r, now)))
        .map((r) => {
          const v = s.publicView(r);
          return {
            instanceId: v.instanceId,
            state: v.state,
            instanceType: v.instanceType,
            market: v.market,
            zone: v.zone,
            subnetId: v.subnetId,
            launchedAt: v.launchedAt,
            runningSince: v.runningSince,
            userData: v.userData,
            tags: v.tags,
            clientToken: v.clientToken,
            stateReasonCode: v.stateReasonCode,
          };
        });
    },
    instance(instanceId) {
      const now = stepAll();
      const found = recOf(instanceId);
      return found && !found.st.purged(found.r, now) ? found.st.publicView(found.r) : undefined;
    },
    powerOff(instanceId, reason) {
      const now = stepAll();
      const found = recOf(instanceId);
      const r = found?.r;
      const s = found?.st;
      if (!r || !s || r.state === 'terminated' || r.state === 'shutting-down' || r.state === 'stopped') return;
      r.note = reason;
      if (r.shutdownBehavior === 'terminate') {
        s.beginShutdown(
          r,
          now,
          'Client.InstanceInitiatedShutdown',
          'Client.InstanceInitiatedShutdown: Instance initiated shutdown',
        );
      } else {
        r.stoppingAt = now;
        r.state = 'stopping';
        r.stateReasonCode = 'Client.InstanceInitiatedShutdown';
        r.stateReasonMessage = 'Client.InstanceInitiatedShutdown: Instance initiated shutdown';
      }
    },
    stopOutside(instanceId) {
      const now = s.stepAll();
      const r = s.recs.get(instanceId);
      if (!r) throw new Error(`stopOutside: no instance ${instanceId}`);
      if (r.state !== 'running' && r.state !== 'pending') return;
      r.stoppingAt = now;
      r.state = 'stopping';
      r.stateReasonCode = 'Client.UserInitiatedShutdown';
      r.stateReasonMessage = 'Client.UserInitiatedShutdown: User initiated shutdown';
      r.stateTransitionReason = `User initiated (${new Date(now).toISOString().replace('T', ' ').slice(0, 19)} GMT)`;
    },
    interruptSpot(instanceId) {
      const now = stepAll();
      const found = recOf(instanceId);
      const r = found?.r;
      const s = found?.st;
      if (!r || !s) throw new Error(`interruptSpot: no instance ${instanceId}`);
      if (r.market !== 'spot') throw new Error(`interruptSpot: ${instanceId} is not a spot instance`);
      s.beginShutdown(
        r,
        now,
        'Server.SpotInstanceTermination',
        'Server.SpotInstanceTermination: Spot instance termination',
      );
    },
    step() {
      stepAll();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return emulator;
}

/** The region a SigV4 request is signed for (`Credential=<key>/<date>/<region>/ec2/aws4_request`), if any. */
export function signingRegion(authorization: string | undefined): string | null {
  return /Credential=[^/,\s]+\/\d{8}\/([a-z0-9-]+)\/ec2\//.exec(authorization ?? '')?.[1] ?? null;
}
