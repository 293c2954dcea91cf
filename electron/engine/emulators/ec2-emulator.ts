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
import { describeInstances, getConsoleOutput, terminateInstances } from './ec2-instances.js';
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
] as const;
type Action = (typeof ACTIONS)[number];

export async function startEc2Emulator(opts: Ec2EmulatorOptions): Promise<Ec2Emulator> {
  const region = opts.region ?? 'us-east-1';
  const s = new Ec2Store(opts, region);
  const log: Ec2CallLogEntry[] = [];
  const calls = { total: 0, byAction: {} as Record<string, number> };
  let requestSeq = 0;

  function handle(action: Action, p: QueryParams, now: number): XmlObject {
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
    const now = s.stepAll();
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
      const out = handle(action as Action, p, now);
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
      s.listingDelaySec = v;
    },
    bootFailures: s.bootFailures,
    bootFailureOf(instanceId) {
      const r = s.recs.get(instanceId);
      return r ? s.bootFailureOf(r) : null;
    },
    calls,
    log,
    instances() {
      const now = s.stepAll();
      return s.order
        .map((id) => s.recs.get(id)!)
        .filter((r) => !s.purged(r, now))
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
      const now = s.stepAll();
      const r = s.recs.get(instanceId);
      return r && !s.purged(r, now) ? s.publicView(r) : undefined;
    },
    powerOff(instanceId, reason) {
      const now = s.stepAll();
      const r = s.recs.get(instanceId);
      if (!r || r.state === 'terminated' || r.state === 'shutting-down' || r.state === 'stopped') return;
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
    interruptSpot(instanceId) {
      const now = s.stepAll();
      const r = s.recs.get(instanceId);
      if (!r) throw new Error(`interruptSpot: no instance ${instanceId}`);
      if (r.market !== 'spot') throw new Error(`interruptSpot: ${instanceId} is not a spot instance`);
      s.beginShutdown(
        r,
        now,
        'Server.SpotInstanceTermination',
        'Server.SpotInstanceTermination: Spot instance termination',
      );
    },
    step() {
      s.stepAll();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return emulator;
}
