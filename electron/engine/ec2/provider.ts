/**
 * `Ec2Api` over @aws-sdk/client-ec2. Every HTTP attempt, SDK retries included, first takes a token
 * from the app-wide `TokenBucket` and is counted in `calls`; a throttled attempt penalizes the bucket. Errors
 * leave this module only as `Ec2Error` (see errors.ts).
 *
 * Call budget per engine tick: `describeInstances` is ceil(n / 500) calls; launches, terminations and tag
 * writes are one call per 1000 ids. Nothing here loops on failure: the engine polls again at its next tick.
 *
 * Endpoint: with no `endpoint` option the SDK resolves it itself, so the standard `AWS_ENDPOINT_URL` and
 * `AWS_ENDPOINT_URL_EC2` variables keep working (the emulator tests rely on that).
 */
import {
  CreateTagsCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeSpotPriceHistoryCommand,
  GetConsoleOutputCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type EC2ClientConfig,
  type DescribeInstancesCommandInput,
  type DescribeInstancesCommandOutput,
  type Filter,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from '@aws-sdk/client-ec2';
// Types only (erased at build): the SDK's middleware signature, from the package the SDK itself depends on.
import type { DeserializeMiddleware, FinalizeRequestMiddleware } from '@smithy/types';
import { Buffer } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import type { Market } from '../../../shared/domain.js';
import { EC2_CALL_TIMEOUT_SEC } from '../../../shared/team.js';
import { Ec2Error, systemClock, TAG, type Clock, type Ec2Api, type InstanceObs, type LaunchSpec } from '../ports.js';
import { classifyEc2Error, readErrorFacts, kindOf, type Ec2ErrorContext } from './errors.js';
import type { Surface } from '../surface.js';
import { flattenReservations } from './instances.js';
import { buildRunInstancesInput, toTags } from './launch-input.js';
import { createEc2RetryStrategy } from './sdk-retry.js';
import { TokenBucket } from './throttle.js';
import { plural } from '../../../shared/words.js';
import { awsRequestHandler } from '../net/proxy.js';
import { AwsClock } from '../aws-clock.js';

type FinalizeMiddleware = FinalizeRequestMiddleware<ServiceInputTypes, ServiceOutputTypes>;

/** The `Date` header of an SDK HTTP response (header names arrive lower-cased), if any. */
function dateHeader(response: unknown): string | undefined {
  const headers = (response as { headers?: Record<string, string | undefined> } | null | undefined)?.headers;
  return headers?.['date'] ?? headers?.['Date'];
}

export interface Ec2ProviderOptions {
  region: string;
  /** null/absent: the SDK default chain (environment, profiles, SSO, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | null;
  endpoint?: string;
  /** HTTP attempts per call, SDK retries included. Default 2. */
  maxAttempts?: number;
  clock?: Clock;
  /** Share one bucket between every client of the app (one per region is what EC2 throttles). */
  limiter?: TokenBucket;
  /** DescribeInstances page size, 5–1000. Default 500. */
  pageSize?: number;
  /** Jitter source for the SDK-level retry delay and for the back-off of the limiter made here (without `limiter`). */
  random?: () => number;
  /**
   * Per HTTP attempt, enforced (a stalled call fails with TimeoutError); a RunInstances call, SDK retries included,
   * is aborted after this too. Default `EC2_CALL_TIMEOUT_SEC`, which the leader's launch margin counts on.
   */
  requestTimeoutMs?: number;
  /** Who reads the errors: they name where the keys are changed (default the app). */
  surface?: Surface;
}

export type PermissionProbe =
  | { action: 'RunInstances'; spec: LaunchSpec }
  | { action: 'CreateTags'; ids: readonly string[]; tags: Record<string, string> }
  | { action: 'TerminateInstances'; ids: readonly string[] }
  | { action: 'DescribeInstanceAttribute'; id: string };

export interface Ec2Provider extends Ec2Api {
  /** HTTP attempts sent so far (SDK retries included). */
  readonly calls: number;
  readonly region: string;
  userData(instanceId: string): Promise<string | null>;
  /** Sends the call with DryRun: resolves when EC2 says it would be allowed, throws the `Ec2Error` otherwise. */
  dryRun(probe: PermissionProbe): Promise<void>;
  /** Closes the SDK's sockets. */
  close(): void;
}

/** The states DescribeInstances lists ours in: every state that still costs money or may come back (wider than a live instance, `isLiveState`). */
export const LISTED_STATES = ['pending', 'running', 'shutting-down', 'stopping', 'stopped'] as const;
/** A bound on the pages one listing reads: a proxy that hands out a fresh NextToken forever must not loop forever. */
export const MAX_PAGES = 1000;
/** EC2's limit on instance ids per TerminateInstances / resource ids per CreateTags call. */
export const ID_BATCH = 1000;

/**
 * The pages of one listing: `NextToken` followed until there is none, one seen before (EC2 never repeats one, a
 * broken proxy might, and would loop us forever) or MAX_PAGES pages.
 */
async function eachPage<P extends { NextToken?: string | undefined }>(
  fetchPage: (token: string | undefined) => Promise<P>,
  onPage: (page: P) => void,
): Promise<void> {
  const seen = new Set<string>();
  let token: string | undefined;
  for (let pages = 0; pages < MAX_PAGES; pages++) {
    const page = await fetchPage(token);
    onPage(page);
    token = page.NextToken || undefined;
    if (!token || seen.has(token)) return;
    seen.add(token);
  }
}

export function createEc2Provider(opts: Ec2ProviderOptions): Ec2Provider {
  const clock = opts.clock ?? systemClock;
  const maxAttempts = Math.max(1, opts.maxAttempts ?? 2);
  const random = opts.random ?? Math.random;
  const limiter = opts.limiter ?? new TokenBucket({ ratePerSec: 5, burst: 10, clock, random });
  const pageSize = Math.min(1000, Math.max(5, opts.pageSize ?? 500));
  const requestTimeoutMs = opts.requestTimeoutMs ?? EC2_CALL_TIMEOUT_SEC * 1000;
  const config: EC2ClientConfig = {
    region: opts.region,
    maxAttempts,
    retryStrategy: createEc2RetryStrategy({ maxAttempts, clock, random }),
    requestHandler: awsRequestHandler({ requestTimeout: requestTimeoutMs, connectionTimeout: 5_000 }),
  };
  if (opts.credentials) config.credentials = { ...opts.credentials };
  if (opts.endpoint) config.endpoint = opts.endpoint;
  const client = new EC2Client(config);

  let calls = 0;
  const awsClock = new AwsClock(clock);
  // Right after the retry middleware: runs once per HTTP attempt, before signing (a wait for a token never
  // ages a signature) and around deserialization (it sees the parsed EC2 error code).
  const perAttempt: FinalizeMiddleware = (next) => async (args) => {
    await limiter.take();
    calls += 1;
    // Every answer, errors included, says AWS's time in its Date header (aws-clock.ts).
    const answered = awsClock.begin();
    try {
      const out = await next(args);
      answered(dateHeader(out.response));
      limiter.succeeded();
      return out;
    } catch (err) {
      answered(dateHeader((err as { $response?: unknown } | null)?.$response));
      if (kindOf(readErrorFacts(err)) === 'throttle') limiter.penalize();
      throw err;
    }
  };
  client.middlewareStack.addRelativeTo(perAttempt, {
    relation: 'after',
    toMiddleware: 'retryMiddleware',
    name: 'clearmlAutoscalerLimiter',
    override: true,
  });

  const ctxBase: Ec2ErrorContext = { region: opts.region, ...(opts.surface ? { surface: opts.surface } : {}) };
  async function call<T>(action: string, ctx: Ec2ErrorContext, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw classifyEc2Error(err, { ...ctxBase, action, ...ctx });
    }
  }

  // When this provider first listed each instance EC2 gave no launch time for (see `toInstanceObs`). Bounded: the
  // oldest entries go first, and an endpoint that leaves launch times out lists far fewer instances than this.
  const firstSeenAt = new Map<string, number>();
  const firstSeen = (id: string): number => {
    let at = firstSeenAt.get(id);
    if (at === undefined) {
      if (firstSeenAt.size >= 10_000) firstSeenAt.delete(firstSeenAt.keys().next().value!);
      firstSeenAt.set(id, (at = clock.now()));
    }
    return at;
  };

  async function listInstances(filters: Filter[]): Promise<InstanceObs[]> {
    // By instance id: a proxy that hands a page out twice must not make one instance count as two (twice the
    // spend, a cap reached early).
    const out = new Map<string, InstanceObs>();
    await eachPage(
      async (token) => {
        const cmd = new DescribeInstancesCommand({ Filters: filters, MaxResults: pageSize, NextToken: token });
        const reply: ReplySeen = {};
        cmd.middlewareStack.add(watchReply(reply), { step: 'deserialize', name: 'clearmlAutoscalerReplyCheck' });
        let page;
        try {
          page = await client.send(cmd);
        } catch (err) {
          throw notEc2Refusal(err, reply) ?? classifyEc2Error(err, { ...ctxBase, action: 'DescribeInstances' });
        }
        // EC2 always sends a reservationSet, empty or not. Without one, or as a web page, this is not EC2 saying
        // "none": read as an empty listing it would requeue every running task (requeue.ts).
        const notEc2 = notEc2Listing(page.Reservations !== undefined, reply);
        if (notEc2) throw notEc2;
        return page;
      },
      (page) => {
        for (const i of flattenReservations(page.Reservations, firstSeen)) out.set(i.instanceId, i);
      },
    );
    return [...out.values()];
  }

  function launchCtx(spec: LaunchSpec): Ec2ErrorContext {
    return { instanceType: spec.instanceType, market: spec.market, placement: spec.subnetId ?? spec.availabilityZone };
  }

  async function terminateBatch(ids: string[]): Promise<void> {
    try {
      await client.send(new TerminateInstancesCommand({ InstanceIds: ids }));
      return;
    } catch (err) {
      const code = readErrorFacts(err).code;
      if (code !== 'InvalidInstanceID.NotFound')
        throw classifyEc2Error(err, { ...ctxBase, action: 'TerminateInstances' });
      // The whole batch fails when one id is unknown (already gone, or not visible yet). EC2 names the unknown
      // ids; terminate the rest in one more call, and leave the unknown ones to the next reconcile.
      const unknown = new Set(readErrorFacts(err).message.match(/i-[0-9a-f]{8,17}/g) ?? []);
      const rest = ids.filter((id) => !unknown.has(id));
      if (unknown.size === 0 || rest.length === ids.length) {
        for (const id of ids) await terminateOne(id);
        return;
      }
      if (rest.length) await terminateBatch(rest);
    }
  }

  async function terminateOne(id: string): Promise<void> {
    try {
      await client.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    } catch (err) {
      if (readErrorFacts(err).code === 'InvalidInstanceID.NotFound') return;
      throw classifyEc2Error(err, { ...ctxBase, action: 'TerminateInstances' });
    }
  }

  return {
    get calls() {
      return calls;
    },
    region: opts.region,
    awsClockOffsetMs: () => awsClock.offsetMs(),

    describeInstances: (prefix) =>
      listInstances([
        { Name: `tag:${TAG.prefix}`, Values: [prefix] },
        { Name: 'instance-state-name', Values: [...LISTED_STATES] },
      ]),

    // A filter, not InstanceIds: an id EC2 no longer knows is simply absent instead of failing the whole call.
    describeInstancesById: async (ids, opts = {}) => {
      const states = opts.includeTerminated ? [...LISTED_STATES, 'terminated'] : [...LISTED_STATES];
      const out: InstanceObs[] = [];
      for (const batch of chunks(unique(ids), 200)) {
        out.push(
          ...(await listInstances([
            { Name: 'instance-id', Values: batch },
            { Name: 'instance-state-name', Values: states },
          ])),
        );
      }
      return out;
    },

    // Every state: crash recovery must learn that the launch happened even if the instance died since.
    findByClientToken: (clientToken) => listInstances([{ Name: 'client-token', Values: [clientToken] }]),

    async runInstance(spec) {
      const input = buildRunInstancesInput(spec);
      // The whole call, a retry after a timed-out attempt and a wait for the limiter included, is over within
      // the timeout: the leader sends a launch only when it would be over before a standby may take over.
      const deadline = AbortSignal.timeout(requestTimeoutMs);
      try {
        const out = await client.send(new RunInstancesCommand(input), { abortSignal: deadline });
        const inst = out.Instances?.[0];
        if (!inst?.InstanceId) {
          throw new Ec2Error('other', 'EmptyResponse', 'EC2 accepted the launch but returned no instance id.');
        }
        return { instanceId: inst.InstanceId, zone: inst.Placement?.AvailabilityZone ?? null };
      } catch (err) {
        // A dry run that would have succeeded: an empty id says "allowed, nothing launched".
        if (spec.dryRun && readErrorFacts(err).code === 'DryRunOperation') return { instanceId: '', zone: null };
        const late = deadline.aborted
          ? Object.assign(new Error(`RunInstances got no answer within ${requestTimeoutMs / 1000} s`), {
              name: 'TimeoutError',
              code: 'ETIMEDOUT',
            })
          : err;
        throw classifyEc2Error(late, { ...ctxBase, action: 'RunInstances', ...launchCtx(spec) });
      }
    },

    async terminateInstances(ids) {
      for (const batch of chunks(unique(ids), ID_BATCH)) await terminateBatch(batch);
    },

    async createTags(ids, tags) {
      const list = toTags(tags);
      if (!list.length) return;
      for (const batch of chunks(unique(ids), ID_BATCH)) {
        await call('CreateTags', {}, () => client.send(new CreateTagsCommand({ Resources: batch, Tags: list })));
      }
    },

    async consoleOutput(instanceId) {
      const out = await call('GetConsoleOutput', {}, () =>
        client.send(new GetConsoleOutputCommand({ InstanceId: instanceId })),
      );
      return {
        output: out.Output ? Buffer.from(out.Output, 'base64').toString('utf8') : null,
        capturedAt: out.Timestamp ? out.Timestamp.getTime() : null,
      };
    },

    async userData(instanceId) {
      const out = await call('DescribeInstanceAttribute', {}, () =>
        client.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'userData' })),
      );
      const value = out.UserData?.Value;
      return value ? Buffer.from(value, 'base64').toString('utf8') : null;
    },

    async spotPrices(instanceTypes) {
      const prices = new Map<string, { price: number; at: number }>();
      const types = unique(instanceTypes);
      if (!types.length) return new Map();
      try {
        await eachPage(
          (token) =>
            call('DescribeSpotPriceHistory', {}, () =>
              client.send(
                new DescribeSpotPriceHistoryCommand({
                  InstanceTypes: types as never[],
                  ProductDescriptions: ['Linux/UNIX', 'Linux/UNIX (Amazon VPC)'],
                  StartTime: new Date(clock.now()),
                  MaxResults: 1000,
                  NextToken: token,
                }),
              ),
            ),
          (page) => {
            for (const p of page.SpotPriceHistory ?? []) {
              const price = Number(p.SpotPrice);
              if (!p.InstanceType || !p.AvailabilityZone || !Number.isFinite(price)) continue;
              const key = `${p.InstanceType}|${p.AvailabilityZone}`;
              const at = p.Timestamp instanceof Date ? p.Timestamp.getTime() : 0;
              const prev = prices.get(key);
              if (!prev || at >= prev.at) prices.set(key, { price, at });
            }
          },
        );
      } catch (err) {
        // Prices are optional: without ec2:DescribeSpotPriceHistory the dashboard falls back to bundled prices.
        if (err instanceof Ec2Error && err.kind === 'auth' && isPermissionCode(err.code)) return new Map();
        throw err;
      }
      return new Map([...prices].map(([k, v]) => [k, v.price]));
    },

    async dryRun(probe) {
      try {
        if (probe.action === 'RunInstances') {
          await client.send(new RunInstancesCommand(buildRunInstancesInput({ ...probe.spec, dryRun: true })));
        } else if (probe.action === 'CreateTags') {
          await client.send(
            new CreateTagsCommand({ Resources: [...probe.ids], Tags: toTags(probe.tags), DryRun: true }),
          );
        } else if (probe.action === 'TerminateInstances') {
          await client.send(new TerminateInstancesCommand({ InstanceIds: [...probe.ids], DryRun: true }));
        } else {
          await client.send(
            new DescribeInstanceAttributeCommand({ InstanceId: probe.id, Attribute: 'userData', DryRun: true }),
          );
        }
      } catch (err) {
        if (readErrorFacts(err).code === 'DryRunOperation') return;
        const ctx = probe.action === 'RunInstances' ? launchCtx(probe.spec) : {};
        throw classifyEc2Error(err, { ...ctxBase, action: probe.action, ...ctx });
      }
    },

    close: () => client.destroy(),
  };
}

// ---------------------------------------------------------------- test connection

export interface PermissionReport {
  ok: boolean;
  /** IAM actions the credentials lack, e.g. `ec2:RunInstances`. */
  missing: string[];
  /** One line per check, in words. */
  details: string[];
}

/**
 * The "test connection" button: DescribeInstances for real, RunInstances and CreateTags (and TerminateInstances and
 * DescribeInstanceAttribute when one of our instances exists to aim at) as DryRun. DryRunOperation means allowed; UnauthorizedOperation
 * names the missing action. The encoded authorization message is not decoded (that needs sts permissions).
 */
export async function checkPermissions(
  ec2: Pick<Ec2Provider, 'describeInstances' | 'dryRun'>,
  spec: LaunchSpec,
  /**
   * Why a check could not be made, in the words of whoever reads it (default the classified message, which speaks
   * to the app; the command line passes its own, naming config fields and environment variables).
   */
  explain: (e: Ec2Error) => string = (e) => e.message,
): Promise<PermissionReport> {
  const missing: string[] = [];
  const details: string[] = [];
  let ok = true;

  const verdict = (action: string, err: unknown): void => {
    const e = classifyEc2Error(err, { action });
    ok = false;
    if (e.kind === 'auth' && isPermissionCode(e.code)) {
      missing.push(`ec2:${action}`);
      details.push(`ec2:${action}: not allowed — ${e.message}`);
    } else {
      details.push(`ec2:${action}: could not be checked — ${explain(e)}`);
    }
  };

  let ours: InstanceObs[] = [];
  try {
    ours = await ec2.describeInstances(spec.tags[TAG.prefix] ?? 'clearml-autoscaler');
    details.push(`ec2:DescribeInstances: allowed (${plural(ours.length, 'instance')} of ours found)`);
  } catch (err) {
    verdict('DescribeInstances', err);
    const e = classifyEc2Error(err);
    // Bad credentials or no network fail every other check the same way: say it once.
    if ((e.kind === 'auth' && !isPermissionCode(e.code)) || e.kind === 'unreachable') {
      return { ok: false, missing, details };
    }
  }

  try {
    await ec2.dryRun({ action: 'RunInstances', spec: { ...spec, clientToken: `dry-run-${randomUUID()}` } });
    details.push(`ec2:RunInstances: allowed for ${spec.instanceType} (${marketWord(spec.market)})`);
  } catch (err) {
    verdict('RunInstances', err);
  }

  const target = ours.find((i) => i.state !== 'terminated')?.instanceId;
  const tagIds = [target ?? 'i-0000000000000000f'];
  try {
    await ec2.dryRun({ action: 'CreateTags', ids: tagIds, tags: { [TAG.orphanSince]: 'dry-run' } });
    details.push('ec2:CreateTags: allowed');
  } catch (err) {
    if (!target && readErrorFacts(err).code.startsWith('InvalidInstanceID.')) {
      details.push('ec2:CreateTags: not checked (no instance of ours exists yet to aim the dry run at)');
    } else {
      verdict('CreateTags', err);
    }
  }

  if (target) {
    try {
      await ec2.dryRun({ action: 'TerminateInstances', ids: [target] });
      details.push('ec2:TerminateInstances: allowed');
    } catch (err) {
      verdict('TerminateInstances', err);
    }
  } else {
    details.push('ec2:TerminateInstances: not checked (no instance of ours exists yet to aim the dry run at)');
  }

  // Adoption reads the startup script of ClearML's instances with it; refused, none is ever offered for adoption.
  if (target) {
    try {
      await ec2.dryRun({ action: 'DescribeInstanceAttribute', id: target });
      details.push("ec2:DescribeInstanceAttribute: allowed (adoption reads ClearML's instances' startup scripts)");
    } catch (err) {
      verdict('DescribeInstanceAttribute', err);
    }
  } else {
    details.push('ec2:DescribeInstanceAttribute: not checked (no instance of ours exists yet to aim the dry run at)');
  }

  return { ok, missing, details };
}

// ---------------------------------------------------------------- replies that are not EC2's

/** Where a listing's reply came from and what it said it was (the parsed output keeps neither). */
interface ReplySeen {
  endpoint?: string;
  status?: number;
  contentType?: string;
}

type ReplyMiddleware = DeserializeMiddleware<DescribeInstancesCommandInput, DescribeInstancesCommandOutput>;

function watchReply(seen: ReplySeen): ReplyMiddleware {
  const read = (request: unknown, response: unknown) => {
    const req = request as { protocol?: string; hostname?: string; port?: number } | null | undefined;
    if (req?.hostname) seen.endpoint = `${req.protocol ?? 'https:'}//${req.hostname}${req.port ? `:${req.port}` : ''}`;
    const res = response as { statusCode?: number; headers?: Record<string, string | undefined> } | null | undefined;
    if (res?.statusCode !== undefined) seen.status = res.statusCode;
    const type = res?.headers?.['content-type'] ?? res?.headers?.['Content-Type'];
    if (type !== undefined) seen.contentType = type;
  };
  return (next) => async (args) => {
    try {
      const out = await next(args);
      read(args.request, out.response);
      return out;
    } catch (err) {
      read(args.request, (err as { $response?: unknown } | null)?.$response);
      throw err;
    }
  };
}

const NOT_EC2_ADVICE =
  'a captive portal, a proxy or a wrong AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL answers like this; instances are ' +
  'not read from it (nor taken for gone) until EC2 answers';

/** A 200 listing that is no EC2 answer: no reservationSet, or a content type that is not XML. */
function notEc2Listing(hasReservations: boolean, seen: ReplySeen): Ec2Error | null {
  const type = seen.contentType?.split(';')[0]?.trim() ?? '';
  const xml = !type || /xml/i.test(type);
  if (hasReservations && xml) return null;
  const what = [
    `HTTP ${seen.status ?? 200}`,
    type ? `content type ${type}` : 'no content type',
    hasReservations ? null : 'no reservationSet',
  ].filter(Boolean);
  return new Ec2Error(
    'unreachable',
    'NotEc2Reply',
    `the answer from ${seen.endpoint ?? 'the EC2 endpoint'} to DescribeInstances is not an EC2 reply (${what.join(', ')}): ${NOT_EC2_ADVICE}.`,
  );
}

/**
 * A 401/403 that names no EC2 error code: EC2 always names one (AuthFailure, UnauthorizedOperation …), so this came
 * from something else (an S3-style `<Error>`, a proxy's page), and "AWS rejected the credentials" would send the
 * user to keys that may be fine.
 */
function notEc2Refusal(err: unknown, seen: ReplySeen): Ec2Error | null {
  const f = readErrorFacts(err);
  if ((f.status !== 401 && f.status !== 403) || f.networkCode || f.proxyStatus !== null) return null;
  if (f.code !== 'Unknown' && f.code !== `HTTP${f.status}`) return null;
  const type = seen.contentType?.split(';')[0]?.trim();
  return new Ec2Error(
    'unreachable',
    'NotEc2Reply',
    `the answer from ${seen.endpoint ?? 'the EC2 endpoint'} to DescribeInstances is a refusal without an EC2 error ` +
      `code (HTTP ${f.status}${type ? `, content type ${type}` : ''}): ${NOT_EC2_ADVICE}.`,
  );
}

// ---------------------------------------------------------------- helpers

function isPermissionCode(code: string): boolean {
  return code === 'UnauthorizedOperation' || code === 'AccessDenied' || code === 'AccessDeniedException';
}

function marketWord(m: Market): string {
  return m === 'spot' ? 'spot' : 'on-demand';
}

function unique(ids: readonly string[]): string[] {
  return [...new Set(ids)];
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
