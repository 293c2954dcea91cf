/**
 * Crash-safe launches: the engine host's two launch hooks write every RunInstances
 * attempt to the intent journal before it is sent, and `recover` restores, before the new engine plans anything,
 * what the previous process knew and the crash erased:
 *
 * - an open intent found by its client token (one filtered listing, then the `client-token` filter for the
 *   rest) → adopted: resolved as launched and, while alive, seeded into the engine as in flight;
 * - not found and recent → the SAME request is re-sent with the SAME token: EC2 returns the instance if the first
 *   request got through (listing is eventually consistent, so "not found" proves nothing a second after a
 *   launch), or launches it if it never arrived — either way one instance for that launch, never two;
 * - not found and older than `resendWithinMs` → abandoned (an instance that old would be listed);
 * - launches that succeeded in the last minutes but are not listed yet → seeded as in flight, as the previous
 *   engine had them (otherwise the new one launches the same demand again while they are unlisted);
 * - tasks of busy instances lost while the app was down → requeued (`stranded.ts`).
 *
 * Why some intents are not re-sent even when recent. The engine's launcher moves to the next subnet or market
 * after a capacity error with a new token; the engine reports each refused attempt to `afterLaunch` once the launch
 * has its outcome, so a process that dies before that (or a journal write that fails) leaves unresolved intents
 * that are failed intermediate attempts of a launch that went on. An intent followed by
 * a later intent of the same batch (queue, resource, tick, process) further down the fallback order
 * (`planPosition`) may be one of those; re-sending it could add a second instance for one launch, so it is only
 * counted as booting (seeded with no instance id) until it could no longer be unlisted, then abandoned. The
 * parallel first attempts of a batch share a position, so they never make each other ambiguous. Within one
 * process the hooks know more: once a later tick starts launching, every attempt of the earlier ticks has settled
 * (ticks run one at a time), so leftovers are resolved as failed right away — except after an ambiguous error
 * (5xx, timeout: EC2 may have launched it), which is counted as booting in the live engine and left for recovery.
 *
 * Re-sending rebuilds the request from the config (`rebuildSpec`) because the journal never holds user data.
 * The re-send window must stay below the engine's 10 min in-flight memory (`IN_FLIGHT_TTL_MS`), so a seeded
 * unknown launch is remembered for as long as its intent could still be re-sent.
 */
import { isLiveState } from '../../../shared/domain.js';
import { IN_FLIGHT_TTL_MS } from '../controllers/launch.js';
import { errorText } from '../../../shared/error-text.js';
import type { Config } from '../../../shared/config.js';
import type { Engine, EngineDeps, LaunchIntent } from '../engine.js';
import type { InFlightLaunch } from '../policy.js';
import { ClearmlError, Ec2Error, TAG, type ClearmlApi, type Clock, type Ec2Api, type InstanceObs } from '../ports.js';
import {
  batchOf,
  IntentJournal,
  type JournalEntry,
  type JournalIntent,
  type JournalResolution,
} from './intent-journal.js';
import { RegionRegistry } from './regions.js';
import { requeueStranded, type StrandedTask } from './stranded.js';

import {
  decideRecovery,
  isDefiniteRefusal,
  planPosition,
  rebuildSpec,
  type RecoveryVerdict,
} from './recovery-decision.js';
import { plural } from '../../../shared/words.js';
import { entryOf } from '../../../shared/data-record.js';

export { decideRecovery, isDefiniteRefusal, planPosition, rebuildSpec } from './recovery-decision.js';
export type { RebuiltSpec, RecoveryFacts, RecoveryVerdict } from './recovery-decision.js';

export const DEFAULT_RESEND_WITHIN_MS = 5 * 60_000;

// ---------------------------------------------------------------- wiring

export interface CrashSafetyOptions {
  /** Where the journal and the region list live (the host's data dir). */
  dir: string;
  clock: Clock;
  /**
   * The startup script of a re-sent launch, built exactly as the host builds it for the engine (it closes over the
   * ClearML credentials). Without it (and without the 4th argument of `recover`), recent unresolved launches are
   * not re-sent but counted as booting until they can no longer be unlisted.
   */
  userData?: (config: Config, launch: { queue: string; resource: string }) => string;
  /** Default 5 min; capped at the engine's in-flight memory (10 min). */
  resendWithinMs?: number;
  /** EC2 calls of the recovery are retried this many times on throttling and transient errors. Default 3. */
  retryAttempts?: number;
  retryBaseMs?: number;
}

export interface RecoveryReport {
  at: number;
  /** Unresolved intents found in the journal. */
  checked: number;
  adopted: { token: string; instanceId: string }[];
  resent: { token: string; instanceId: string }[];
  failed: { token: string; code: string }[];
  abandoned: { token: string; reason: string }[];
  /** Left unresolved for the next start, with why. */
  waiting: { token: string; reason: string }[];
  /** Given to `engine.seedInFlight`. */
  seeded: InFlightLaunch[];
  /** Tasks of busy instances lost while the app was down, returned to their queues. */
  requeued: StrandedTask[];
  /** What recovery could not check, in words. */
  warnings: string[];
  /** What opening the journal had to repair. */
  repaired: { tornBytes: number; badLines: number };
}

export interface CrashSafety {
  /** Pass to `createEngineHost({ engineExtras })`. */
  readonly engineExtras: Required<Pick<EngineDeps, 'beforeLaunchAttempt' | 'afterLaunch'>>;
  /** Pass to `createEngineHost({ recover })`; also usable with the host's user-data builder as 4th argument. */
  recover(
    engine: Engine,
    clients: { clearml: ClearmlApi; ec2: Ec2Api },
    config: Config,
    extras?: { userData?: (launch: { queue: string; resource: string }) => string },
  ): Promise<void>;
  readonly lastRecovery: RecoveryReport | null;
  /** Every region the app launched in (for `stopEverything`). */
  regions(): Promise<string[]>;
  /** Every workers prefix the app launched under (for `stopEverything`). */
  prefixes(): Promise<string[]>;
  journalPath(): Promise<string>;
  close(): Promise<void>;
}

export function createCrashSafety(opts: CrashSafetyOptions): CrashSafety {
  const { clock } = opts;
  const resendWithinMs = Math.min(opts.resendWithinMs ?? DEFAULT_RESEND_WITHIN_MS, IN_FLIGHT_TTL_MS);
  const attempts = Math.max(1, opts.retryAttempts ?? 3);
  const baseMs = opts.retryBaseMs ?? 1000;
  // Opened on first use: the hooks and recover are all async, the constructor is not.
  let journalP: Promise<IntentJournal> | null = null;
  let registryP: Promise<RegionRegistry> | null = null;
  const journal = () =>
    (journalP ??= IntentJournal.open({
      dir: opts.dir,
      now: () => clock.now(),
      keepLaunchedForMs: IN_FLIGHT_TTL_MS,
      onRewritten: (file) =>
        engine?.emit({
          level: 'warn',
          kind: 'engine',
          message:
            `the launch journal ${file} was deleted or replaced while the engine ran (was the data folder ` +
            'removed?); it was written again from memory, with the launches still open',
        }),
    }).catch((e: unknown) => {
      journalP = null; // the next launch or start tries again (the disk may have been freed)
      throw new Error(
        `the launch journal in ${opts.dir} cannot be opened (${errorText(e)}): launches stay stopped until it can; ` +
          'check free disk space and the folder permissions',
      );
    }));
  const registry = () => (registryP ??= RegionRegistry.open(opts.dir));

  let registryProblemSaid = false;
  let engine: Engine | null = null;
  let region: string | undefined;
  let prefix: string | undefined;
  let lastRecovery: RecoveryReport | null = null;
  /** Tick time of the latest intent this process wrote. */
  let latestAt = -Infinity;
  /** Our attempts whose error leaves open whether EC2 launched (5xx, timeout). */
  const ambiguous = new Set<string>();
  /** A hook failed: a launch may still be running in the background, so "settled by a later tick" no longer holds. */
  let hookFailed = false;

  async function withRetries<T>(fn: () => Promise<T>): Promise<T> {
    for (let i = 1; ; i++) {
      try {
        return await fn();
      } catch (e) {
        const retryable =
          (e instanceof Ec2Error && (e.kind === 'throttle' || e.kind === 'unreachable' || e.kind === 'other')) ||
          (e instanceof ClearmlError && (e.kind === 'server' || e.kind === 'timeout' || e.kind === 'unreachable'));
        if (!retryable || i >= attempts) throw e;
        await clock.sleep(baseMs * 2 ** (i - 1));
      }
    }
  }

  /** Our own attempts of earlier ticks that never got a word: failed intermediate attempts. */
  function settledLeftovers(j: IntentJournal, before: number): { token: string; resolution: JournalResolution }[] {
    if (hookFailed) return [];
    const at = clock.now();
    return j
      .unresolved()
      .filter((e) => e.intent.session === j.session && e.intent.at < before && !ambiguous.has(e.intent.token))
      .map((e) => ({
        token: e.intent.token,
        resolution: {
          outcome: 'failed' as const,
          code: 'Superseded',
          reason: 'the launch moved on to another placement or market, or ended, before a later tick',
          at,
        },
      }));
  }

  const beforeLaunchAttempt = async (intent: LaunchIntent): Promise<void> => {
    try {
      const j = await journal();
      if (intent.at > latestAt) {
        const done = settledLeftovers(j, intent.at);
        if (done.length) await j.resolveMany(done);
        latestAt = intent.at;
      }
      if (region !== undefined) await (await registry()).remember(region, prefix);
      await j.recordIntent({
        token: intent.clientToken,
        queue: intent.queue,
        resource: intent.resource,
        market: intent.market,
        ...(intent.subnetId !== undefined ? { subnetId: intent.subnetId } : {}),
        ...(intent.availabilityZone !== undefined ? { availabilityZone: intent.availabilityZone } : {}),
        at: intent.at,
        ...(region !== undefined ? { region } : {}),
        ...(intent.stamp !== undefined ? { stamp: intent.stamp } : {}),
      });
    } catch (e) {
      hookFailed = true;
      throw new Error(
        `the launch journal in ${opts.dir} could not be written (${errorText(e)}), so the launch was not sent ` +
          '(an unrecorded launch could be repeated after a crash): check free disk space and the folder permissions',
      );
    }
  };

  const afterLaunch = async (
    intent: LaunchIntent,
    result: { instanceId: string } | { error: string },
  ): Promise<void> => {
    const at = clock.now();
    try {
      const j = await journal();
      if ('instanceId' in result) {
        await j.resolve(intent.clientToken, { outcome: 'launched', instanceId: result.instanceId, at });
      } else if (isDefiniteRefusal(result.error)) {
        await j.resolve(intent.clientToken, { outcome: 'failed', code: result.error, at });
      } else {
        // EC2 may have launched it: the live engine counts it as booting; recovery settles it by its token.
        ambiguous.add(intent.clientToken);
        engine?.seedInFlight([{ queue: intent.queue, resource: intent.resource, instanceId: null, at }]);
      }
    } catch (e) {
      // Not fatal: the intent stays unresolved and the next recovery settles it through its client token
      // (never as "settled by a later tick": it may be the one that launched).
      ambiguous.add(intent.clientToken);
      engine?.emit({
        level: 'warn',
        kind: 'error',
        message: `the launch journal could not record the outcome of a launch (${errorText(e)}); it will be checked at the next start`,
      });
    }
  };

  async function recover(
    eng: Engine,
    clients: { clearml: ClearmlApi; ec2: Ec2Api },
    config: Config,
    extras?: { userData?: (launch: { queue: string; resource: string }) => string },
  ): Promise<void> {
    engine = eng;
    region = config.aws.region;
    prefix = config.scaling.workersPrefix;
    const ec2 = clients.ec2;
    const j = await journal();
    const now = clock.now();
    const report: RecoveryReport = {
      at: now,
      checked: 0,
      adopted: [],
      resent: [],
      failed: [],
      abandoned: [],
      waiting: [],
      seeded: [],
      requeued: [],
      warnings: [],
      repaired: j.repaired,
    };
    lastRecovery = report;

    // Said once per process: the registry is opened once, and a later config's recovery has nothing new to say.
    const registryProblem = await registry().then(
      (r) => r.problem,
      (e: unknown) => `the remembered regions could not be opened (${errorText(e)})`,
    );
    if (registryProblem && !registryProblemSaid) report.warnings.push(registryProblem);
    registryProblemSaid = true;

    // This process's own leftovers (a reconfigure, not a crash): no tick is running, so all of them have settled.
    const own = settledLeftovers(j, Infinity);
    if (own.length) await j.resolveMany(own);

    const open = j.unresolved();
    report.checked = open.length;

    // One filtered listing finds most open launches (the client-token filter covers the rest: terminated ones,
    // another prefix) and shows which busy instances were lost while the app was down.
    let listing: InstanceObs[] | null = null;
    try {
      listing = await withRetries(() => ec2.describeInstances(config.scaling.workersPrefix));
    } catch (e) {
      if (!(e instanceof Ec2Error)) throw e;
      // The cause is reported once by the engine's own EC2 check; here only what it means for recovery.
      report.warnings.push(`EC2 could not be listed (${e.code}): recovery of open launches waits until it can`);
    }
    // Launched just before the crash: the previous engine counted these as in flight until EC2 listed them; the
    // new one must too, or it launches the same demand again while they are unlisted. An unlisted one may also
    // have ended since (scaled down, reclaimed, failed at boot): the listing leaves terminated instances out, and
    // counting those as booting would hold their queue's demand for the rest of the in-flight memory.
    // Live instances under the configured prefix are the app's to sweep, whoever launched them: an older version's
    // regions.json names no prefixes, and only a launch of this one would add it, so a later move to another
    // prefix would leave them out of "Stop everything" while the move's notice says it terminates them. Such a
    // file is taken to mean the configured prefix even when EC2 cannot be listed now.
    try {
      const reg = await registry();
      const upgraded = reg.fromBeforePrefixes && reg.list().length > 0 && reg.listPrefixes().length === 0;
      if (upgraded || listing?.some((i) => isLiveState(i.state)))
        await reg.remember(config.aws.region, config.scaling.workersPrefix);
    } catch (e) {
      report.warnings.push(
        `the workers prefix '${config.scaling.workersPrefix}' could not be remembered for "Stop everything" ` +
          `(${errorText(e)}); if the config moves to another prefix, terminate its instances in the EC2 console`,
      );
    }
    const listed = new Set((listing ?? []).map((i) => i.instanceId));
    const unlisted = j.entries().flatMap((e) => {
      const r = e.resolution;
      if (r?.outcome !== 'launched' || !r.instanceId || listed.has(r.instanceId)) return [];
      if (now - r.at >= IN_FLIGHT_TTL_MS || (e.intent.region ?? config.aws.region) !== config.aws.region) return [];
      return [
        {
          entry: e,
          launch: { queue: e.intent.queue, resource: e.intent.resource, instanceId: r.instanceId, at: r.at },
        },
      ];
    });
    const ended = listing && unlisted.length ? await endedAmong(ec2, unlisted, report) : new Set<string>();
    for (const u of unlisted) if (!ended.has(u.launch.instanceId)) report.seeded.push(u.launch);
    if (open.length) await settleLaunches(open, listing);
    else {
      if (report.seeded.length) eng.seedInFlight(report.seeded);
      if (j.entries().length) await j.compact();
    }

    if (listing && !config.scaling.dryRun) {
      try {
        const r = await withRetries(() =>
          requeueStranded({ clearml: clients.clearml, config, instances: listing, now: clock.now() }),
        );
        report.requeued = r.requeued;
        report.warnings.push(...r.errors);
      } catch (e) {
        if (!(e instanceof ClearmlError)) throw e;
        report.warnings.push(`tasks of instances lost while the app was down could not be checked (${e.message})`);
      }
    }
    announce(eng, report);

    async function settleLaunches(open: JournalEntry[], listing: InstanceObs[] | null): Promise<void> {
      const byToken = new Map((listing ?? []).filter((i) => i.clientToken).map((i) => [i.clientToken!, i]));

      const userData =
        extras?.userData ??
        (opts.userData ? (l: { queue: string; resource: string }) => opts.userData!(config, l) : null);
      const live = (listing ?? []).filter((i) => isLiveState(i.state));
      const perResource = new Map<string, number>();
      for (const i of live) {
        const k = `${i.tags[TAG.queue] ?? ''}|${i.tags[TAG.resource] ?? ''}`;
        perResource.set(k, (perResource.get(k) ?? 0) + 1);
      }
      let total = live.length + report.seeded.length;
      for (const s of report.seeded) {
        const k = `${s.queue}|${s.resource}`;
        perResource.set(k, (perResource.get(k) ?? 0) + 1);
      }
      const batches = new Map<string, JournalEntry[]>();
      for (const e of j.entries()) {
        const list = batches.get(batchOf(e.intent));
        if (list) list.push(e);
        else batches.set(batchOf(e.intent), [e]);
      }
      const pos = (i: JournalIntent) => planPosition(config, i);
      const superseded = (e: JournalEntry) => {
        const p = pos(e.intent);
        return (batches.get(batchOf(e.intent)) ?? []).some((v) => {
          if (v.seq <= e.seq) return false;
          const q = pos(v.intent);
          return p === null || q === null || q > p;
        });
      };

      const blockedWhy = (i: JournalIntent): string | null => {
        if (!userData) return 'the startup script cannot be rebuilt here (no user-data builder given to recovery)';
        if (config.scaling.dryRun) return 'dry run is on';
        if (eng.pauses.launches) return 'launches are paused';
        if (eng.pauses.queues.has(i.queue)) return `launches for '${i.queue}' are paused`;
        if (!listing) return 'EC2 could not be listed to count instances against the caps';
        const entry = entryOf(config.queues, i.queue)?.find((q) => q.resource === i.resource);
        if (!entry || !entryOf(config.resources, i.resource))
          return `'${i.queue}' no longer uses resource '${i.resource}'`;
        if ((perResource.get(`${i.queue}|${i.resource}`) ?? 0) + 1 > entry.maxInstances)
          return `${i.resource} is at its cap of ${entry.maxInstances}`;
        if (total + 1 > config.scaling.maxTotalInstances)
          return `the global cap of ${plural(config.scaling.maxTotalInstances, 'instance')} is reached`;
        return null;
      };

      const seed = (s: InFlightLaunch) => {
        report.seeded.push(s);
        total += 1;
        const k = `${s.queue}|${s.resource}`;
        perResource.set(k, (perResource.get(k) ?? 0) + 1);
      };

      for (const e of open) {
        const i = e.intent;
        const found = await lookUp(ec2, i, byToken, config.aws.region, withRetries);
        const verdict = decideRecovery({
          now,
          intent: i,
          found,
          superseded: superseded(e),
          region: config.aws.region,
          resendWithinMs,
          resendBlocked: blockedWhy(i),
        });
        await apply(e, verdict);
      }

      async function apply(e: JournalEntry, v: RecoveryVerdict): Promise<void> {
        const i = e.intent;
        const t = clock.now();
        switch (v.action) {
          case 'adopt': {
            await j.resolve(i.token, { outcome: 'launched', instanceId: v.instance.instanceId, at: t });
            report.adopted.push({ token: i.token, instanceId: v.instance.instanceId });
            // A listed instance is counted already; seeding it anyway covers one found only by its token.
            if (isLiveState(v.instance.state) && !live.some((l) => l.instanceId === v.instance.instanceId)) {
              seed({ queue: i.queue, resource: i.resource, instanceId: v.instance.instanceId, at: t });
            }
            return;
          }
          case 'abandon':
            await j.resolve(i.token, { outcome: 'abandoned', reason: v.reason, at: t });
            report.abandoned.push({ token: i.token, reason: v.reason });
            return;
          case 'wait':
            report.waiting.push({ token: i.token, reason: v.reason });
            if (v.seed) seed({ queue: i.queue, resource: i.resource, instanceId: null, at: i.at });
            return;
          case 'resend':
            return resend(e);
        }
      }

      async function resend(e: JournalEntry): Promise<void> {
        const i = e.intent;
        const rebuilt = rebuildSpec(config, i, userData!({ queue: i.queue, resource: i.resource }));
        if (!rebuilt.ok) return apply(e, { action: 'wait', seed: true, reason: rebuilt.reason });
        try {
          const r = await withRetries(() => ec2.runInstance(rebuilt.spec));
          await j.resolve(i.token, { outcome: 'launched', instanceId: r.instanceId, at: clock.now() });
          report.resent.push({ token: i.token, instanceId: r.instanceId });
          seed({ queue: i.queue, resource: i.resource, instanceId: r.instanceId, at: clock.now() });
        } catch (err) {
          if (!(err instanceof Ec2Error)) throw err;
          if (err.code !== 'IdempotentParameterMismatch' && isDefiniteRefusal(err.code) && err.kind !== 'auth') {
            await j.resolve(i.token, { outcome: 'failed', code: err.code, reason: err.message, at: clock.now() });
            report.failed.push({ token: i.token, code: err.code });
            return;
          }
          // A mismatch means the first request reached EC2 with other parameters (the config changed since):
          // whether it launched is unknown, so it is counted as booting and asked about again at the next start.
          return apply(e, { action: 'wait', seed: true, reason: `re-sending it failed (${err.code})` });
        }
      }

      if (report.seeded.length) eng.seedInFlight(report.seeded);
      await j.compact();
    }
  }

  return {
    engineExtras: { beforeLaunchAttempt, afterLaunch },
    recover,
    get lastRecovery() {
      return lastRecovery;
    },
    regions: async () => (await registry()).list(),
    prefixes: async () => (await registry()).listPrefixes(),
    journalPath: async () => (await journal()).path,
    async close() {
      if (journalP) await (await journalP).close();
    },
  };
}

async function lookUp(
  ec2: Ec2Api,
  i: JournalIntent,
  byToken: ReadonlyMap<string, InstanceObs>,
  region: string,
  withRetries: <T>(fn: () => Promise<T>) => Promise<T>,
): Promise<InstanceObs | null | 'unknown'> {
  if (i.region !== undefined && i.region !== region) return 'unknown';
  const listed = byToken.get(i.token);
  if (listed) return listed;
  try {
    const hits = await withRetries(() => ec2.findByClientToken(i.token));
    return hits.find((h) => isLiveState(h.state)) ?? hits[0] ?? null;
  } catch (e) {
    if (!(e instanceof Ec2Error)) throw e;
    return 'unknown';
  }
}

function announce(engine: Engine, r: RecoveryReport): void {
  for (const s of r.requeued)
    engine.emit({
      level: 'warn',
      kind: 'requeue',
      queue: s.queue,
      instanceIds: [s.instanceId],
      message: `task ${s.taskId} returned to '${s.queue}': ${s.why}`,
    });
  for (const w of r.warnings) engine.emit({ level: 'warn', kind: 'error', message: `recovery: ${w}` });
  const parts: string[] = [];
  if (r.adopted.length)
    parts.push(`${r.adopted.length} found by client token (${r.adopted.map((a) => a.instanceId).join(', ')})`);
  if (r.resent.length)
    parts.push(`${r.resent.length} re-sent with the same token (${r.resent.map((a) => a.instanceId).join(', ')})`);
  if (r.failed.length) parts.push(`${r.failed.length} had failed`);
  if (r.abandoned.length) parts.push(`${r.abandoned.length} abandoned (never reached EC2)`);
  if (r.waiting.length) parts.push(`${r.waiting.length} still open (${r.waiting[0]!.reason}), counted as booting`);
  if (r.repaired.tornBytes || r.repaired.badLines) parts.push(`the journal had a torn or unreadable line (repaired)`);
  if (!parts.length) return;
  const ids = [...r.adopted, ...r.resent].map((a) => a.instanceId);
  engine.emit({
    level: r.waiting.length ? 'warn' : 'info',
    kind: 'engine',
    message: `recovered ${r.checked} launch${r.checked === 1 ? '' : 'es'} left open by the previous run: ${parts.join('; ')}`,
    ...(ids.length ? { instanceIds: ids } : {}),
  });
}

/** Lookups by client token at most per recovery where EC2 cannot be asked for the ids in one call. */
const MAX_TOKEN_LOOKUPS = 20;

/**
 * Which of these launches, recorded as launched but not in the listing, EC2 shows as ended (terminated, or on the
 * way there): those are not in flight. An id EC2 does not show at all is still unlisted (EC2's listing lags a
 * launch by seconds), so it stays counted as booting. One call by instance id where the provider can make it
 * (terminated instances included); otherwise one by client token each, up to MAX_TOKEN_LOOKUPS. A failed lookup
 * ends none: counting a launch as booting a while longer is the safe side.
 */
export async function endedAmong(
  ec2: Ec2Api,
  unlisted: readonly { entry: JournalEntry; launch: { instanceId: string | null } }[],
  report: Pick<RecoveryReport, 'warnings'>,
): Promise<Set<string>> {
  const ids = unlisted.flatMap((u) => (u.launch.instanceId ? [u.launch.instanceId] : []));
  const ended = new Set<string>();
  const isEnded = (i: InstanceObs) => !isLiveState(i.state);
  try {
    if (ec2.describeInstancesById) {
      for (const i of await ec2.describeInstancesById(ids, { includeTerminated: true }))
        if (isEnded(i)) ended.add(i.instanceId);
      return ended;
    }
    for (const u of unlisted.slice(0, MAX_TOKEN_LOOKUPS)) {
      for (const i of await ec2.findByClientToken(u.entry.intent.token))
        if (i.instanceId === u.launch.instanceId && isEnded(i)) ended.add(i.instanceId);
    }
  } catch (e) {
    if (!(e instanceof Ec2Error)) throw e;
    report.warnings.push(
      `recent launches could not be looked up (${e.code}): the unlisted ones count as booting until EC2 lists them or 10 min pass`,
    );
  }
  return ended;
}
