/**
 * The chaos harness: the real engine, hosted by the real `createEngineHost` with the crash-safety hooks and
 * recovery, driving the ClearML and EC2 emulators over HTTP in virtual time, under a seeded random workload
 * and seeded chaos:
 *
 * - kills: the engine process dies at a random point — between ticks, before or after the launch intent is
 *   journaled, with the intent line torn, after EC2 created an instance but before its response arrived, before
 *   the outcome is journaled, after a terminate / tag / requeue reached the server, or inside recovery — and a NEW
 *   process (fresh host and engine, fresh memory, the same journal directory) starts after 0–3 polls of downtime.
 *   A dead process sends nothing more: every hook and client call of it throws;
 * - EC2 faults: capacity (ICE, sometimes spot only), throttling (RequestLimitExceeded, 503), 5xx, and responses
 *   lost after EC2 acted (an ambiguous timeout); ClearML 5xx and hangs (client timeouts);
 * - clock jumps as after a laptop sleep (instances and agents go on, the engine does not tick);
 * - spot interruptions, and foreign leftovers (orphans) carrying our prefix tag.
 *
 * Then a quiet drain (no faults, kills or arrivals) and the invariants of `invariants.ts`, from the emulators'
 * ground truth. Everything random comes from the seed; the only other nondeterminism is the arrival order of
 * concurrent HTTP requests when launchConcurrency > 1, which the invariants do not depend on.
 */
import { appendFile, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigSchema, PREFERENCES, type Config, type Preference } from '../../shared/config.js';
import { isLiveState, type EngineEvent } from '../../shared/domain.js';
import type { Ec2Provider } from '../../electron/engine/ec2/provider.js';
import { TokenBucket } from '../../electron/engine/ec2/throttle.js';
import type { LaunchIntent } from '../../electron/engine/engine.js';
import { createEngineHost, type EngineHost } from '../../electron/engine/host.js';
import { Ec2Error, TAG, type ClearmlApi, type Ec2Api } from '../../electron/engine/ports.js';
import { encodeIntent, JOURNAL_FILE } from '../../electron/engine/reliability/intent-journal.js';
import {
  createCrashSafety,
  DEFAULT_RESEND_WITHIN_MS,
  type CrashSafety,
} from '../../electron/engine/reliability/recovery.js';
import { parseWorkerId } from '../../electron/engine/workers.js';
import { spotGpuWithFallback, T0 } from '../fixtures/index.js';
import { startWorld } from '../fixtures/world.js';
import {
  checkInvariants,
  violationCount,
  type History,
  type InstanceRecord,
  type Sample,
  type TaskEnd,
  type TerminationRecord,
  type Verdict,
  type WorkerState,
} from './invariants.js';
import { Rng } from './rng.js';
import { memoryTeamState } from '../../electron/engine/team/identity.js';

export const KILL_POINTS = [
  'between-ticks',
  'before-intent',
  'torn-intent',
  'after-intent',
  'launch-response',
  'before-outcome',
  'terminate-response',
  'tag-response',
  'requeue-response',
  'recovery',
] as const;
export type KillPoint = (typeof KILL_POINTS)[number];

export const FAULT_KINDS = [
  'ec2-capacity',
  'ec2-throttle',
  'ec2-5xx',
  'ec2-lost-response',
  'clearml-5xx',
  'clearml-hang',
  'sleep',
  'spot-interruption',
  'orphan',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export type ScriptedEvent =
  | { step: number; kind: 'tasks'; queue: 'gpu' | 'cpu'; count: number; durationSec: number }
  | { step: number; kind: 'kill'; point: KillPoint };

export interface ChaosOptions {
  seed: number;
  /** Virtual minutes with arrivals, faults and kills. Default 120. */
  chaosMin?: number;
  /** Quiet virtual minutes after that, before the invariants are checked. Default 60. */
  drainMin?: number;
  /** The crash-safety journal and recovery. Turning it off is how the tests prove the checker catches a double launch. */
  crashSafety?: boolean;
  /** Multiplies every random fault and kill probability; 0 leaves only the scripted events. Default 1. */
  intensity?: number;
  /** Random task arrivals. Default true. */
  workload?: boolean;
  /** ClearML hangs cost ~0.3 s of real time each (the client's timeout is real). Default true. */
  hangs?: boolean;
  /** Default: random among 0, 10, 30, 60 s. */
  listingDelaySec?: number;
  /** Default: random among 1, 2, 4. */
  launchConcurrency?: number;
  /** `scaling.preference`. Default: by seed (seed mod 3: cost, balanced, latency), so every preference is hunted. */
  preference?: Preference;
  script?: ScriptedEvent[];
  log?: (line: string) => void;
  /** Every engine event, with the number of the process that emitted it. */
  onEvent?: (process: number, event: EngineEvent) => void;
}

export interface ChaosResult {
  seed: number;
  verdict: Verdict;
  violations: number;
  kills: Record<KillPoint, number>;
  faults: Record<FaultKind, number>;
  stats: {
    ticks: number;
    restarts: number;
    launches: number;
    tasks: number;
    completed: number;
    listingDelaySec: number;
    launchConcurrency: number;
    preference: Preference;
    virtualMin: number;
    realMs: number;
  };
  history: History;
}

const POLL_SEC = 15;
const PREFIX = 'chaos';

export function chaosConfig(preference: Preference = 'balanced'): Config {
  return ConfigSchema.parse({
    clearml: { apiHost: 'http://127.0.0.1:8008' },
    aws: { region: 'us-east-1' },
    resources: {
      gpu_a: spotGpuWithFallback(),
      gpu_b: { instanceType: 'g5.xlarge', amiId: 'ami-0123456789abcdef0', market: 'on-demand' },
      cpu: {
        instanceType: 'm5.large',
        amiId: 'ami-0123456789abcdef0',
        market: 'spot',
        availabilityZones: ['us-east-1a', 'us-east-1b'],
      },
    },
    queues: {
      gpu: [
        { resource: 'gpu_a', maxInstances: 2 },
        { resource: 'gpu_b', maxInstances: 2 },
      ],
      cpu: [{ resource: 'cpu', maxInstances: 3 }],
    },
    // The global cap is below the sum of the per-resource caps so that it binds too.
    scaling: {
      workersPrefix: PREFIX,
      pollingIntervalSec: POLL_SEC,
      maxTotalInstances: 6,
      maxIdleMin: 4,
      maxSpinUpMin: 8,
      preference,
    },
  });
}

class Killed extends Error {
  constructor(where: string) {
    super(`engine process killed (${where})`);
    this.name = 'Killed';
  }
}

interface Proc {
  n: number;
  dead: boolean;
  inRecovery: boolean;
  host: EngineHost;
  crash: CrashSafety | null;
  providers: Ec2Provider[];
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosResult> {
  const started = Date.now();
  const rng = new Rng(opts.seed);
  // Every restarted process is the same install (its data folder would keep its engine id): one team identity.
  const teamState = memoryTeamState({ engineId: 'eng-c4a05c4a05c4', host: 'chaos' });
  const intensity = opts.intensity ?? 1;
  const crashSafe = opts.crashSafety ?? true;
  const workload = opts.workload ?? true;
  const hangs = opts.hangs ?? true;
  const listingDelaySec = opts.listingDelaySec ?? rng.pick([0, 10, 30, 60]);
  const launchConcurrency = opts.launchConcurrency ?? rng.pick([1, 2, 4]);
  const chaosSteps = Math.round(((opts.chaosMin ?? 120) * 60) / POLL_SEC);
  const totalSteps = chaosSteps + Math.round(((opts.drainMin ?? 60) * 60) / POLL_SEC);
  // Not drawn from the run's random stream, so a seed's other draws are the same at every preference.
  const preference = opts.preference ?? PREFERENCES[opts.seed % PREFERENCES.length]!;
  const config = chaosConfig(preference);
  const log = opts.log ?? (() => undefined);

  // The one test world. Shutting down takes about a minute on AWS; terminated instances drop out of our listing.
  const world = await startWorld({
    pendingSec: 5,
    shuttingDownSec: 60,
    listingDelaySec,
    bootSec: { min: 30, max: 120 },
    random: { ec2: rng.fork(), agents: rng.fork() },
    queues: ['gpu', 'cpu'],
    dataDir: true,
  });
  const { clock, clearml, ec2, agents, dir } = world;
  const journalFile = path.join(dir, JOURNAL_FILE);

  const kills = Object.fromEntries(KILL_POINTS.map((k) => [k, 0])) as Record<KillPoint, number>;
  const faults = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  const records = new Map<string, InstanceRecord>();
  const injected = new Set<string>();
  const samples: Sample[] = [];
  const terminations: TerminationRecord[] = [];
  const prewarms: History['prewarms'] = [];
  const durations = new Map<string, number>();
  let armed: KillPoint | null = null;
  /** A kill armed for 'recovery' lets this many EC2 answers of the recovery through first. */
  let recoverySkip = 0;
  let lostResponses = 0;
  let procSeq = 0;
  let restarts = 0;
  let ticks = 0;

  // ------------------------------------------------------------ ground truth

  function observe(): void {
    const now = clock.now();
    for (const i of ec2.instances()) {
      let r = records.get(i.instanceId);
      if (!r) {
        const queue = i.tags[TAG.queue] ?? '';
        const resource = i.tags[TAG.resource] ?? '';
        r = {
          id: i.instanceId,
          queue,
          resource,
          injected: injected.has(i.instanceId),
          explained: (config.queues[queue] ?? []).some((e) => e.resource === resource),
          launchedAt: i.launchedAt,
          endedAt: null,
          endReason: null,
          registeredAt: null,
        };
        records.set(i.instanceId, r);
      }
      if (r.endedAt === null && !isLiveState(i.state)) {
        r.endedAt = now;
        r.endReason = i.stateReasonCode;
      }
    }
    for (const w of clearml.workers()) {
      const p = parseWorkerId(w.id);
      const r = p ? records.get(p.instanceId) : undefined;
      if (r && r.registeredAt === null) r.registeredAt = w.registeredAt;
    }
  }

  /** Instance id → the task its worker runs (null when idle), for workers that report. */
  function workerTasks(): Map<string, string | null> {
    const m = new Map<string, string | null>();
    for (const w of clearml.workers()) {
      const p = parseWorkerId(w.id);
      if (p && w.reporting) m.set(p.instanceId, w.taskId);
    }
    return m;
  }

  function sample(): Sample {
    observe();
    const tasks = workerTasks();
    const pending: Record<string, number> = {};
    const busy: Record<string, number> = {};
    for (const q of clearml.queues()) pending[q.name] = q.entries.length;
    // A task stranded in_progress on an instance that has ended is demand too: recovery or the requeue controller
    // returns it to its queue inside the tick that may launch for it, after this sample was taken.
    for (const t of clearml.tasks()) {
      const p = t.status === 'in_progress' && t.lastWorker ? parseWorkerId(t.lastWorker) : null;
      const r = p ? records.get(p.instanceId) : undefined;
      if (r && r.endedAt !== null) pending[r.queue] = (pending[r.queue] ?? 0) + 1;
    }
    const workers: Record<string, WorkerState> = {};
    for (const r of records.values()) {
      if (r.endedAt !== null) continue;
      const t = tasks.get(r.id);
      const state: WorkerState = t ? 'busy' : t === null ? 'idle' : 'none';
      workers[r.id] = state;
      if (state === 'busy') busy[r.queue] = (busy[r.queue] ?? 0) + 1;
    }
    return { at: clock.now(), incarnation: 0, ticked: false, ok: false, healthy: false, pending, busy, workers };
  }

  // ------------------------------------------------------------ one engine process

  function fire(proc: Proc, point: KillPoint): void {
    if (proc.dead) throw new Killed('already dead');
    if (armed !== point) return;
    armed = null;
    kills[point] += 1;
    proc.dead = true;
    log(`  kill #${proc.n} at ${point} (t+${Math.round((clock.now() - T0) / 60_000)} min)`);
    throw new Killed(point);
  }
  /** Dies inside recovery, after the armed number of its EC2 answers arrived. */
  const inRecovery = (proc: Proc) => {
    if (proc.inRecovery && armed === 'recovery' && recoverySkip-- <= 0) fire(proc, 'recovery');
  };
  const alive = (proc: Proc) => {
    if (proc.dead) throw new Killed('already dead');
  };

  /** A call of a process: refused once it is dead, and its answer is lost if it died while waiting. */
  const guarded =
    (proc: Proc, after: () => void = () => undefined) =>
    <A extends unknown[], R>(fn: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      alive(proc);
      const r = await fn(...a);
      alive(proc);
      after();
      return r;
    };

  function wrapEc2(proc: Proc, real: Ec2Api): Ec2Api {
    const plain = guarded(proc, () => inRecovery(proc));
    return {
      describeInstances: plain((p: string) => real.describeInstances(p)),
      findByClientToken: plain((t: string) => real.findByClientToken(t)),
      spotPrices: plain((t: readonly string[]) => real.spotPrices(t)),
      consoleOutput: plain((id: string) => real.consoleOutput(id)),
      async runInstance(spec) {
        alive(proc);
        const r = await real.runInstance(spec);
        alive(proc);
        inRecovery(proc);
        fire(proc, 'launch-response');
        if (lostResponses > 0 && !proc.inRecovery) {
          lostResponses -= 1;
          faults['ec2-lost-response'] += 1;
          throw new Ec2Error('unreachable', 'TimeoutError', 'the RunInstances response was lost (chaos)');
        }
        return r;
      },
      async terminateInstances(ids) {
        alive(proc);
        const tasks = workerTasks();
        const before = new Set(
          ec2
            .instances()
            .filter((i) => isLiveState(i.state))
            .map((i) => i.instanceId),
        );
        try {
          await real.terminateInstances(ids);
        } finally {
          const at = clock.now();
          for (const i of ec2.instances()) {
            if (!ids.includes(i.instanceId) || !before.has(i.instanceId) || isLiveState(i.state)) continue;
            const taskId = tasks.get(i.instanceId) ?? null;
            terminations.push({ at, instanceId: i.instanceId, busy: taskId !== null, taskId });
          }
          observe();
        }
        alive(proc);
        fire(proc, 'terminate-response');
      },
      async createTags(ids, tags) {
        alive(proc);
        await real.createTags(ids, tags);
        alive(proc);
        fire(proc, 'tag-response');
      },
    };
  }

  function wrapClearml(proc: Proc, real: ClearmlApi): ClearmlApi {
    const plain = guarded(proc);
    return {
      listQueues: plain((n: readonly string[]) => real.listQueues(n)),
      listWorkers: plain((p: string) => real.listWorkers(p)),
      unregisterWorker: plain((w: string) => real.unregisterWorker(w)),
      getTasks: plain((ids: readonly string[]) => real.getTasks(ids)),
      ...(real.inProgressTasks ? { inProgressTasks: plain(() => real.inProgressTasks!()) } : {}),
      serverInfo: plain(() => real.serverInfo()),
      checkAuth: plain(() => real.checkAuth()),
      async requeueTask(taskId, queueId, reason) {
        alive(proc);
        await real.requeueTask(taskId, queueId, reason);
        alive(proc);
        fire(proc, 'requeue-response');
      },
    };
  }

  function startProcess(): Proc {
    const n = ++procSeq;
    const crash = crashSafe ? createCrashSafety({ dir, clock, userData: world.userDataFor, retryBaseMs: 2_000 }) : null;
    const proc: Proc = { n, dead: false, inRecovery: false, host: null as unknown as EngineHost, crash, providers: [] };
    const beforeLaunchAttempt = async (intent: LaunchIntent): Promise<void> => {
      alive(proc);
      fire(proc, 'before-intent');
      if (armed === 'torn-intent') {
        // The crash came in the middle of writing the intent line.
        const line = encodeIntent({
          token: intent.clientToken,
          queue: intent.queue,
          resource: intent.resource,
          market: intent.market,
          at: intent.at,
          session: 'torn',
        });
        if (crash) await appendFile(journalFile, line.slice(0, rng.int(1, line.length - 2)));
        fire(proc, 'torn-intent');
      }
      if (crash) await crash.engineExtras.beforeLaunchAttempt(intent);
      fire(proc, 'after-intent');
    };
    const afterLaunch = async (intent: LaunchIntent, r: { instanceId: string } | { error: string }) => {
      alive(proc);
      fire(proc, 'before-outcome');
      if (crash) await crash.engineExtras.afterLaunch(intent, r);
    };
    proc.host = createEngineHost({
      clock,
      teamState,
      onEvent: (e) => {
        // A failed launch counts: its instance may exist (a lost response) and be found later by its token. So
        // does the decision that planned a pre-warm: a launch cut short by a kill has no event of its own, and the
        // next process re-sends it.
        if ((e.kind === 'launch' || e.kind === 'launch-failed' || e.kind === 'decision') && e.prewarm && e.queue)
          prewarms.push({ at: e.at, queue: e.queue, count: e.prewarm });
        opts.onEvent?.(n, e);
      },
      makeClearml: () => wrapClearml(proc, world.clearmlClient({ timeoutMs: 300 })),
      makeEc2: (cfg) => {
        const p = world.clients(cfg, {
          random: rng.fork(),
          limiter: new TokenBucket({ ratePerSec: 5, burst: 10, clock, random: rng.fork() }),
        }).ec2;
        proc.providers.push(p);
        return wrapEc2(proc, p);
      },
      recover: crash
        ? async (engine, clients, cfg) => {
            proc.inRecovery = true;
            try {
              await crash.recover(engine, clients, cfg);
            } finally {
              proc.inRecovery = false;
            }
          }
        : undefined,
      engineExtras: { launchConcurrency, beforeLaunchAttempt, afterLaunch },
    });
    proc.host.configure(config, { clearml: world.clearmlKeys, aws: world.awsKeys });
    return proc;
  }

  async function retire(proc: Proc): Promise<void> {
    proc.dead = true;
    await proc.crash?.close().catch(() => undefined);
    for (const p of proc.providers) p.close();
  }

  // ------------------------------------------------------------ chaos

  const injector = world.clients(config, { maxAttempts: 1 }).ec2;
  let orphanSeq = 0;
  async function injectOrphan(): Promise<void> {
    // A leftover of ours the config cannot explain (a retired resource): it registers a worker on 'cpu' and may
    // even take tasks, but must be cleaned up once idle. Injected with no faults and no listing delay: it is not
    // the engine's launch, and the caps count it from the moment it exists.
    const saved = ec2.faults.splice(0);
    const delay = ec2.listingDelaySec;
    ec2.listingDelaySec = 0;
    try {
      const r = await injector.runInstance({
        clientToken: `orphan-${opts.seed}-${++orphanSeq}`,
        instanceType: 'm5.large',
        imageId: 'ami-0123456789abcdef0',
        metadataHopLimit: 1,
        market: 'on-demand',
        securityGroupIds: [],
        enableMonitoring: false,
        userData: `#!/bin/bash\nCLEARML_AUTOSCALER_WORKER_ID_PREFIX='${PREFIX}:retired:m5.large'\nCLEARML_AUTOSCALER_QUEUE='cpu'\n`,
        tags: { Name: `${PREFIX}:retired:cpu`, [TAG.prefix]: PREFIX, [TAG.queue]: 'cpu', [TAG.resource]: 'retired' },
      });
      injected.add(r.instanceId);
      faults.orphan += 1;
    } finally {
      ec2.faults.push(...saved);
      ec2.listingDelaySec = delay;
    }
  }

  function addTasks(queue: 'gpu' | 'cpu', count: number, durationSec: number): void {
    for (let i = 0; i < count; i++) {
      const id = clearml.addTask({ name: `${queue}-${clearml.tasks().length}`, queue, durationSec });
      durations.set(id, durationSec);
    }
  }

  function randomTasks(minutes: number): void {
    // Per queue ~5.4 bursts an hour of 1–3 tasks of 2–20 min: about two busy workers per queue on average, with
    // peaks above the caps.
    for (const queue of ['gpu', 'cpu'] as const) {
      const expected = 0.09 * minutes;
      for (let n = Math.floor(expected) + (rng.chance(expected % 1) ? 1 : 0); n > 0; n--) {
        addTasks(queue, rng.int(1, 3), rng.int(2, 20) * 60);
      }
    }
  }

  const p = (base: number) => base * intensity;

  async function chaosEvents(): Promise<void> {
    if (rng.chance(p(0.025))) {
      const kind = rng.weighted([
        ['capacity', 3],
        ['throttle', 3],
        ['5xx', 2],
        ['unavailable', 1],
      ] as const);
      if (kind === 'capacity') {
        const spotOnly = rng.chance(0.5);
        ec2.faults.push({
          action: 'RunInstances',
          code: spotOnly
            ? rng.pick(['InsufficientInstanceCapacity', 'MaxSpotInstanceCountExceeded'])
            : 'InsufficientInstanceCapacity',
          count: rng.int(1, 4),
          ...(spotOnly ? { when: (q) => q['InstanceMarketOptions.MarketType'] === 'spot' } : {}),
        });
        faults['ec2-capacity'] += 1;
      } else if (kind === 'throttle' || kind === 'unavailable') {
        ec2.faults.push({ code: kind === 'throttle' ? 'RequestLimitExceeded' : 'Unavailable', count: rng.int(1, 8) });
        faults['ec2-throttle'] += 1;
      } else {
        ec2.faults.push({
          ...(rng.chance(0.5) ? { action: 'RunInstances' } : {}),
          code: 'InternalError',
          status: 500,
          count: rng.int(1, 3),
        });
        faults['ec2-5xx'] += 1;
      }
    }
    if (rng.chance(p(0.006))) lostResponses += 1;
    if (rng.chance(p(0.02))) {
      clearml.faults.inject({ status: rng.pick([500, 503] as const), count: rng.int(1, 4) });
      faults['clearml-5xx'] += 1;
    }
    if (hangs && rng.chance(p(0.004))) {
      clearml.faults.inject({ hang: true, count: 1 });
      faults['clearml-hang'] += 1;
    }
    if (rng.chance(p(0.012))) {
      const spot = [...records.values()].filter((r) => r.endedAt === null && !r.injected && isSpot(r.id));
      if (spot.length) {
        ec2.interruptSpot(rng.pick(spot).id);
        faults['spot-interruption'] += 1;
        observe();
      }
    }
    if (rng.chance(p(0.004))) await injectOrphan();
    if (!armed && rng.chance(p(0.03))) {
      armed = rng.weighted([
        ['between-ticks', 3],
        ['before-intent', 1],
        ['torn-intent', 1],
        ['after-intent', 2],
        ['launch-response', 3],
        ['before-outcome', 2],
        ['terminate-response', 1],
        ['tag-response', 1],
        ['requeue-response', 1],
      ] as const);
    }
  }

  /** The laptop sleeps: virtual time jumps, instances and agents go on, the engine does not tick. */
  function sleepMs(): number {
    if (!rng.chance(p(0.004))) return 0;
    faults.sleep += 1;
    return rng.int(10, 90) * 60_000;
  }

  const isSpot = (id: string) => ec2.instance(id)?.market === 'spot';

  // ------------------------------------------------------------ the run

  let proc: Proc | null = startProcess();
  let downFor = 0;
  try {
    for (let step = 0; step < totalSteps; step++) {
      const inChaos = step < chaosSteps;
      // Time first, then what happens in it: nothing may share a timestamp with the previous tick's sample.
      clock.advance(POLL_SEC * 1000 + (inChaos ? sleepMs() : 0));
      if (inChaos && intensity > 0) await chaosEvents();
      if (step === chaosSteps) {
        ec2.faults.length = 0;
        clearml.faults.clear();
        lostResponses = 0;
        armed = null;
        log(`  drain from t+${Math.round((clock.now() - T0) / 60_000)} min`);
      }
      for (const e of opts.script ?? []) {
        if (e.step !== step) continue;
        if (e.kind === 'tasks') addTasks(e.queue, e.count, e.durationSec);
        else armed = e.point;
      }
      // Work arrives while the laptop sleeps too, but no more than one poll's worth: a backlog the caps cannot
      // clear within the drain would read as stuck tasks.
      if (inChaos && workload) randomTasks(POLL_SEC / 60);
      agents.step();

      if (!proc && downFor-- <= 0) {
        proc = startProcess();
        restarts += 1;
        // Sometimes the new process dies again while recovering.
        if (crashSafe && inChaos && !armed && rng.chance(p(0.3))) {
          armed = 'recovery';
          recoverySkip = rng.int(0, 2);
        }
      }
      const s = sample();
      samples.push(s);
      if (proc) {
        const current = proc;
        const r = await current.host.tickNow();
        ticks += 1;
        s.ticked = true;
        s.tickEndAt = clock.now();
        s.incarnation = current.n;
        s.ok = !!r?.ok && !current.dead;
        s.healthy = s.ok && r!.errors.length === 0;
        if (!current.dead && armed === 'between-ticks') {
          armed = null;
          kills['between-ticks'] += 1;
          current.dead = true;
        }
        if (armed === 'recovery' && !current.dead) armed = null; // its recovery is over
        if (current.dead) {
          await retire(current);
          proc = null;
          downFor = rng.int(0, 3);
        }
      }
      agents.step();
      observe();
    }
  } finally {
    if (proc) await retire(proc);
  }

  // ------------------------------------------------------------ verdict

  observe();
  const end = clock.now();
  const queueOf = new Map(clearml.queues().map((q) => [q.id, q.name]));
  const queuedIds = new Set(clearml.queues().flatMap((q) => q.entries.map((e) => e.taskId)));
  const liveWorkerTasks = new Set<string>();
  for (const [instanceId, taskId] of workerTasks()) {
    if (taskId && records.get(instanceId)?.endedAt === null) liveWorkerTasks.add(taskId);
  }
  const tasks: TaskEnd[] = clearml.tasks().map((t) => ({
    id: t.id,
    queue: (t.queueId && queueOf.get(t.queueId)) || t.name.split('-')[0] || '?',
    status: t.status,
    queued: queuedIds.has(t.id),
    onLiveWorker: liveWorkerTasks.has(t.id),
    dueAt: t.status === 'in_progress' && t.started !== null ? t.started + (durations.get(t.id) ?? 0) * 1000 : null,
    lastWorker: t.lastWorker,
  }));
  const history: History = {
    config,
    end,
    pollMs: POLL_SEC * 1000,
    resendWindowMs: DEFAULT_RESEND_WITHIN_MS,
    listingDelayMs: listingDelaySec * 1000,
    orphanGraceMs: Math.max(2 * POLL_SEC * 1000, 60_000),
    samples,
    instances: [...records.values()],
    terminations,
    prewarms,
    tasks,
  };
  const verdict = checkInvariants(history);

  // The journal must never hold user data, which carries the ClearML secret.
  for (const f of await readdir(dir)) {
    if ((await readFile(path.join(dir, f), 'utf8')).includes(world.clearmlKeys.secretKey))
      throw new Error(`the ClearML secret key was written to ${f}`);
  }
  await world.close();

  return {
    seed: opts.seed,
    verdict,
    violations: violationCount(verdict),
    kills,
    faults,
    stats: {
      ticks,
      restarts,
      launches: history.instances.filter((i) => !i.injected).length,
      tasks: tasks.length,
      completed: tasks.filter((t) => t.status === 'completed').length,
      listingDelaySec,
      launchConcurrency,
      preference,
      virtualMin: Math.round((end - T0) / 60_000),
      realMs: Date.now() - started,
    },
    history,
  };
}
