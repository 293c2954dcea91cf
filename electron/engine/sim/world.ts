/**
 * One simulated world for one run: a virtual clock, the ClearML and EC2 emulators (real HTTP on 127.0.0.1),
 * clearml-agent simulated on every instance, and the trace fed in at its own times. Whatever autoscaler loop
 * runs against it (the engine, or the ClearML baseline) only ever sees the two HTTP APIs through the app's real
 * clients, and time only moves when the driver or a waiting loop says so.
 *
 * The world also keeps the record the figures come from: when each worker registered, which task ran on which
 * instance from when to when (read off the agent simulator's calls, exact to the millisecond), when each task
 * first started. Randomness (boot times, instance ids, zones, interruptions) comes from named seeded streams.
 */
import type { Config } from '../../../shared/config.js';
import { isLiveState } from '../../../shared/domain.js';
import { createClearmlClient, type ClearmlClient } from '../clearml/client.js';
import type { InstanceCostInput, TaskSpan } from '../cost/accounting.js';
import { createEc2Provider, type Ec2Provider } from '../ec2/provider.js';
import { TokenBucket } from '../ec2/throttle.js';
import { AgentSimulator } from '../emulators/agents.js';
import { startClearmlEmulator, type ClearmlEmulator } from '../testkit/clearml-faults.js';
import { startEc2Emulator, type Ec2Emulator } from '../testkit/ec2-faults.js';
import { parseUserDataMarkers } from '../emulators/seams.js';
import type { QueryParams } from '../emulators/ec2-query.js';
import { VirtualClock } from '../testkit/virtual-clock.js';
import { parseWorkerId } from '../workers.js';
import type { PriceFn } from './metrics.js';
import { Rng } from './prng.js';
import { DEFAULT_BOOT_SEC, DEFAULT_EC2_PENDING_SEC, type CapacityErrorWindow, type Trace } from './trace.js';

/** Monday 2026-01-05 00:00 UTC: trace second 0 is midnight, so a "working day" trace reads naturally. */
export const SIM_EPOCH = Date.UTC(2026, 0, 5, 0, 0, 0);

/** Placeholder keys the simulated world's emulators accept (exported for loops run out of process). */
export const CLEARML_KEYS = { accessKey: 'SIMACCESSKEY000001', secretKey: 'sim-secret-key-not-a-real-one-000000' };
export const AWS_KEYS = {
  accessKeyId: 'AKIASIMULATORSIM0000',
  secretAccessKey: 'simulator/secret/not/a/real/key/00000000',
};
/** Terminated instances stay readable for the final cost figures (EC2 forgets them after an hour). */
const RETENTION_SEC = 60 * 86_400;
const SHUTTING_DOWN_SEC = 5;

export interface TaskRecord {
  id: string;
  queue: string;
  enqueueAt: number;
  durationSec: number;
  enqueued: boolean;
  firstStartAt: number | null;
  /** Times an agent started it (more than 1 after an interruption and a requeue). */
  starts: number;
  completedAt: number | null;
}

interface InstanceRecord {
  instanceId: string;
  registeredAt: number | null;
  spans: TaskSpan[];
  interruptAt: number | null;
}

export interface SimWorldOptions {
  trace: Trace;
  config: Config;
  seed: number;
  price: PriceFn;
}

export class SimWorld {
  readonly clock: VirtualClock;
  readonly tasks = new Map<string, TaskRecord>();
  private readonly instances = new Map<string, InstanceRecord>();
  private readonly openSpanByWorker = new Map<string, { instanceId: string; span: TaskSpan }>();
  private readonly feed: Trace['tasks'];
  private feedIndex = 0;
  private readonly spotRate: number;
  /** Per kind of draw and queue: see queueRng. */
  private readonly queueRngs = new Map<string, Rng>();
  /** Spot instances with a scheduled interruption, soonest first. */
  private interruptions: { at: number; instanceId: string }[] = [];
  interruptionsApplied = 0;
  agents!: AgentSimulator;
  clearmlClient!: ClearmlClient;
  ec2Provider!: Ec2Provider;

  private constructor(
    readonly opts: SimWorldOptions,
    readonly clearml: ClearmlEmulator,
    readonly ec2: Ec2Emulator,
    clock: VirtualClock,
    readonly rng: Rng,
  ) {
    this.clock = clock;
    this.feed = [...opts.trace.tasks].sort((a, b) => a.enqueueAtSec - b.enqueueAtSec || (a.id < b.id ? -1 : 1));
    for (const t of this.feed) {
      this.tasks.set(t.id, {
        id: t.id,
        queue: t.queue,
        enqueueAt: SIM_EPOCH + t.enqueueAtSec * 1000,
        durationSec: t.durationSec,
        enqueued: false,
        firstStartAt: null,
        starts: 0,
        completedAt: null,
      });
    }
    this.spotRate = opts.trace.spotInterruptionsPerHour ?? 0;
  }

  static async start(opts: SimWorldOptions): Promise<SimWorld> {
    const { trace, config } = opts;
    for (const t of trace.tasks) {
      if (!config.queues[t.queue]) {
        throw new Error(
          `trace task '${t.id}' uses queue '${t.queue}', which the config does not scale (configured: ${Object.keys(config.queues).join(', ')})`,
        );
      }
    }
    const rng = new Rng(opts.seed, 'world');
    const clock = new VirtualClock(SIM_EPOCH);
    const boot = trace.bootSec ?? DEFAULT_BOOT_SEC;
    const pendingSec = Math.min(trace.ec2PendingSec ?? DEFAULT_EC2_PENDING_SEC, boot.min);
    const clearml = await startClearmlEmulator({ clock, ...CLEARML_KEYS });
    const ec2 = await startEc2Emulator({
      clock,
      region: config.aws.region,
      pendingSec,
      shuttingDownSec: SHUTTING_DOWN_SEC,
      terminatedRetentionSec: RETENTION_SEC,
      random: rng.fork('ec2').fn,
      spotPrices: spotPriceTable(config, opts.price),
    });
    const world = new SimWorld(opts, clearml, ec2, clock, rng);
    for (const q of Object.keys(config.queues)) clearml.createQueue(q);
    for (const w of trace.capacityErrors ?? []) ec2.faults.push(capacityFault(w, clock));
    world.agents = new AgentSimulator({
      ec2,
      clearml: world.recordingClearml(),
      clock,
      bootSec: { min: boot.min, max: boot.max },
      random: rng.fork('boot').fn,
      randomForQueue: (queue) => world.queueRng('boot', queue).fn,
    });
    world.clearmlClient = createClearmlClient({ apiHost: clearml.url, credentials: CLEARML_KEYS, clock });
    const limiterRng = rng.fork('ec2-limiter');
    world.ec2Provider = createEc2Provider({
      region: config.aws.region,
      credentials: AWS_KEYS,
      endpoint: ec2.url,
      clock,
      random: rng.fork('sdk-retry').fn,
      limiter: new TokenBucket({ ratePerSec: 5, burst: 10, clock, random: limiterRng.fn }),
    });
    return world;
  }

  /**
   * The stream one kind of per-instance draw (boot delays, spot reclaims) comes from for one queue's instances. One
   * stream for all queues would tie a queue's draws to other queues' launches: a policy change on a CPU queue would
   * re-draw which GPU instances boot slowly or are reclaimed (and a reclaimed task's replacement may run on-demand
   * at three times the price), so a comparison of two policies would measure the draw rather than the policies.
   */
  queueRng(kind: string, queue: string): Rng {
    const key = `${kind}/${queue}`;
    let r = this.queueRngs.get(key);
    if (!r) this.queueRngs.set(key, (r = this.rng.fork(key)));
    return r;
  }

  get now(): number {
    return this.clock.now();
  }

  /** Trace second 0 as an epoch; everything the world records is in epoch ms. */
  get epoch(): number {
    return SIM_EPOCH;
  }

  /**
   * Moves time to `t` (never backwards), replaying in order every trace enqueue and spot interruption due by
   * then, with the agents stepped right before and after each change, so each happens at its exact time.
   */
  advanceTo(t: number): void {
    for (;;) {
      const nextEnqueue = this.feedIndex < this.feed.length ? this.enqueueTime(this.feedIndex) : Infinity;
      const nextInterrupt = this.interruptions[0]?.at ?? Infinity;
      const next = Math.min(nextEnqueue, nextInterrupt);
      if (next > t) break;
      this.clock.set(next);
      this.agents.step();
      if (nextEnqueue <= nextInterrupt) this.enqueueDue(next);
      else this.interruptDue(next);
      this.agents.step();
    }
    this.clock.set(t);
    this.agents.step();
  }

  private enqueueTime(i: number): number {
    return SIM_EPOCH + this.feed[i]!.enqueueAtSec * 1000;
  }

  private enqueueDue(at: number): void {
    while (this.feedIndex < this.feed.length && this.enqueueTime(this.feedIndex) <= at) {
      const t = this.feed[this.feedIndex++]!;
      this.clearml.addTask({ id: t.id, name: t.name ?? t.id, queue: t.queue, durationSec: t.durationSec });
      this.tasks.get(t.id)!.enqueued = true;
    }
  }

  private interruptDue(at: number): void {
    while (this.interruptions.length && this.interruptions[0]!.at <= at) {
      const { instanceId } = this.interruptions.shift()!;
      const inst = this.ec2.instance(instanceId);
      if (!inst || !isLiveState(inst.state)) continue;
      this.ec2.interruptSpot(instanceId);
      this.interruptionsApplied++;
    }
  }

  get allEnqueued(): boolean {
    return this.feedIndex >= this.feed.length;
  }

  get allCompleted(): boolean {
    for (const t of this.tasks.values()) if (t.completedAt === null) return false;
    return true;
  }

  /** When the next trace task is enqueued; null when all are. */
  nextEnqueueAt(): number | null {
    return this.feedIndex < this.feed.length ? this.enqueueTime(this.feedIndex) : null;
  }

  /**
   * Nothing exists that an autoscaler tick could observe or act on: no instance in any state but terminated,
   * no worker listed (zombies included), no queued task, no task started and not completed.
   */
  isEmpty(): boolean {
    if (this.ec2.instances().some((i) => i.state !== 'terminated')) return false;
    if (this.clearml.workers().length > 0 || this.queuedCount() > 0) return false;
    for (const t of this.tasks.values()) if (t.enqueued && t.completedAt === null) return false;
    return true;
  }

  liveInstanceCount(): number {
    return this.ec2.instances().filter((i) => isLiveState(i.state)).length;
  }

  queuedCount(): number {
    return this.clearml.queues().reduce((n, q) => n + q.entries.length, 0);
  }

  /** The instances of the run, priced and attributed, for the cost figures. */
  costInputs(): InstanceCostInput[] {
    const out: InstanceCostInput[] = [];
    for (const view of this.ec2.instances()) {
      const detail = this.ec2.instance(view.instanceId);
      if (!detail) continue;
      const markers = parseUserDataMarkers(detail.userData);
      const rec = this.instances.get(view.instanceId);
      // Billing stops when the instance starts shutting down.
      const endedAt = detail.terminatedAt === null ? null : detail.terminatedAt - SHUTTING_DOWN_SEC * 1000;
      out.push({
        instanceId: view.instanceId,
        queue: markers?.queue ?? '',
        resource: markers?.workerIdPrefix.split(':')[1] ?? '',
        market: detail.market,
        hourlyPrice: this.opts.price(detail.instanceType, detail.market),
        launchedAt: detail.launchedAt,
        endedAt,
        registeredAt: rec?.registeredAt ?? null,
        tasks: rec?.spans.map((s) => ({ ...s })) ?? [],
      });
    }
    return out;
  }

  async close(): Promise<void> {
    this.ec2Provider.close();
    await this.clearml.close();
    await this.ec2.close();
  }

  // ------------------------------------------------------------ the record, read off the agents' calls

  private instanceRecord(workerId: string): InstanceRecord {
    const instanceId = parseWorkerId(workerId)?.instanceId ?? workerId;
    let rec = this.instances.get(instanceId);
    if (!rec) this.instances.set(instanceId, (rec = { instanceId, registeredAt: null, spans: [], interruptAt: null }));
    return rec;
  }

  private closeSpan(workerId: string, at: number): void {
    const open = this.openSpanByWorker.get(workerId);
    if (!open) return;
    open.span.endedAt = Math.max(open.span.startedAt, at);
    this.openSpanByWorker.delete(workerId);
  }

  private onRegister(workerId: string, queue: string, at: number): void {
    const rec = this.instanceRecord(workerId);
    rec.registeredAt ??= at;
    if (this.spotRate <= 0 || rec.interruptAt !== null) return;
    const inst = this.ec2.instance(rec.instanceId);
    if (inst?.market !== 'spot') return;
    // AWS may reclaim a spot instance at any moment: exponential lifetimes, drawn in registration order.
    const lifetimeHours = this.queueRng('spot-interruptions', queue).exponential(this.spotRate);
    rec.interruptAt = at + Math.round(lifetimeHours * 3_600_000);
    if (!Number.isFinite(rec.interruptAt)) return;
    this.interruptions.push({ at: rec.interruptAt, instanceId: rec.instanceId });
    this.interruptions.sort((a, b) => a.at - b.at || (a.instanceId < b.instanceId ? -1 : 1));
  }

  private onStart(workerId: string, taskId: string, at: number): void {
    this.closeSpan(workerId, at);
    const rec = this.instanceRecord(workerId);
    const span: TaskSpan = { taskId, startedAt: at, endedAt: null };
    rec.spans.push(span);
    this.openSpanByWorker.set(workerId, { instanceId: rec.instanceId, span });
    const t = this.tasks.get(taskId);
    if (t) {
      t.firstStartAt ??= at;
      t.starts++;
    }
  }

  private onTaskEnd(taskId: string, at: number, completed: boolean): void {
    for (const [workerId, open] of this.openSpanByWorker) if (open.span.taskId === taskId) this.closeSpan(workerId, at);
    const t = this.tasks.get(taskId);
    if (t && completed) t.completedAt ??= at;
  }

  /** The ClearML emulator as the agents see it, with every state change they make recorded on the way. */
  private recordingClearml(): ClearmlEmulator {
    const inner = this.clearml;
    const now = () => this.clock.now();
    const hooks: Partial<ClearmlEmulator> = {
      registerWorker: (id, queues, at) => {
        inner.registerWorker(id, queues, at);
        this.onRegister(id, queues[0] ?? '', at ?? now());
      },
      setWorkerTask: (workerId, taskId, at) => {
        inner.setWorkerTask(workerId, taskId, at);
        if (taskId) this.onStart(workerId, taskId, at ?? now());
        else this.closeSpan(workerId, at ?? now());
      },
      completeTask: (id, at) => {
        const ok = inner.completeTask(id, at);
        this.onTaskEnd(id, at ?? now(), ok);
        return ok;
      },
      abortTask: (id, at) => {
        inner.abortTask(id, at);
        this.onTaskEnd(id, at ?? now(), false);
      },
      dropWorker: (id, at) => {
        inner.dropWorker(id, at);
        this.closeSpan(id, at ?? now());
      },
    };
    return new Proxy(inner, {
      get: (target, prop, receiver) =>
        prop in hooks ? hooks[prop as keyof ClearmlEmulator] : (Reflect.get(target, prop, receiver) as unknown),
    });
  }
}

/** The emulator's spot prices follow the simulation's price table, so what the engine reads is what is billed. */
function spotPriceTable(config: Config, price: PriceFn): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of Object.values(config.resources)) out[r.instanceType] = price(r.instanceType, 'spot');
  return out;
}

function capacityFault(w: CapacityErrorWindow, clock: VirtualClock) {
  const from = SIM_EPOCH + w.fromSec * 1000;
  const to = SIM_EPOCH + w.toSec * 1000;
  return {
    action: 'RunInstances',
    code: w.code,
    when: (p: QueryParams) => {
      const now = clock.now();
      if (now < from || now >= to) return false;
      if (w.instanceType && p['InstanceType'] !== w.instanceType) return false;
      const market = p['InstanceMarketOptions.MarketType'] === 'spot' ? 'spot' : 'on-demand';
      if (w.market && market !== w.market) return false;
      if (w.subnetId && p['SubnetId'] !== w.subnetId) return false;
      if (w.zone && p['Placement.AvailabilityZone'] !== w.zone) return false;
      return true;
    },
  };
}
