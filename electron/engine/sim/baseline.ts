/**
 * A faithful model of ClearML's open-source AWS autoscaler loop (`clearml.automation.auto_scaler.AutoScaler`
 * with `AWSDriver`), run against the same world and the same HTTP clients as the engine, so the two can be
 * compared on the same trace. It is a second loop implementation on purpose: none of the engine's policy is
 * reused. Each modelled behaviour follows upstream `clearml/automation/auto_scaler.py`
 * (`AutoScaler.supervisor()`, one iteration per poll) and `clearml/automation/aws_driver.py`.
 *
 * Modelled:
 * - loop shape: iterate, then sleep `polling_interval_time_min`; ClearML's default
 *   is 5 min, and the poll only starts after the (blocking) iteration ends;
 * - calls: `queues.get_all` for the name↔id map, `workers.get_all` (sent
 *   through the app's client, so with `last_seen` 600 instead of the server default 3600: the same workers here,
 *   as the server forgets a silent worker 600 s after its last report), one
 *   `queues.get_by_id` per configured queue, a fresh `workers.get_all` per idle candidate:
 *   `2 + Q + candidates` per iteration. `queues.get_by_id` is sent as a
 *   one-queue `queues.get_all` through the app's client: same count, same payload;
 * - registration bookkeeping through `spun_workers`/`previous_workers`;
 * - stuck spin-ups: launched more than `max_spin_up_time_min` ago and not registered → terminated; failures only
 *   logged. The launch time is taken after the blocking launch returned;
 * - idle tracking from the first poll that sees a worker idle, `idleSince = max(register, last activity, last
 *   report)`; vanished workers stay tracked unless the list is empty;
 * - demand: `spin_up_count = entries − (idle workers + spun instances of the queue's resources)`; per resource
 *   `allowed = max − running (busy or idle, zombies included) − spun`, and it adds `min(spin_up_count,
 *   allowed)`, the FULL count, not the remaining need: a queue with two resources over-launches (a bug
 *   upstream);
 * - idle workers of every resource of a queue with pending tasks are protected;
 * - launches are sequential and blocking: on-demand
 *   `RunInstances` then `wait_until_running` (DescribeInstances every 15 s, up to 40 times); spot as a one-time
 *   request with no fallback whose fulfilment waiter polls every 15 s: the
 *   first poll right after the request finds it still being evaluated, so a fulfilled request costs one 15 s
 *   delay, and a capacity shortage keeps the request open until the waiter gives up after 10 min (40 × 15 s);
 *   the world keeps running while the loop is blocked. Resource `tags` go on with `CreateTags` after launch.
 *   A failed launch is logged and nothing is retried before the next poll;
 * - the console-log thread polls `GetConsoleOutput` every 60 s for `max_spin_up_time_min` per launch:
 *   counted as modelled EC2 calls (the emulator has no such action), as are the spot waiter's
 *   `DescribeSpotInstanceRequests` polls;
 * - idle spin-down after `max_idle_time_min` (strictly longer), re-checked with a fresh `workers.get_all`
 *   (missing counts as idle), one `TerminateInstances` per instance, and NO `workers.unregister`;
 * - no requeue of a task whose spot instance was reclaimed: it stays `in_progress`, and its zombie worker counts
 *   as running toward the resource's cap until the server forgets it 10 min later;
 * - an exception escaping the iteration (a configured queue missing on the server, a failed terminate) restarts
 *   `supervisor()` after 15 s with all in-memory state lost.
 *
 * Not modelled: an unfulfilled spot request being fulfilled later as an untracked instance;
 * the 7200 s server watchdog that marks a stranded task stopped (it never requeues it, so the task is lost
 * either way); a spot request erroring synchronously (the emulator answers every capacity shortage on the
 * RunInstances call; for spot the model treats that as the open request ClearML would wait on).
 *
 * A newer upstream revision (after the reference's snapshots) adds a capacity cool-down of two polling
 * intervals per resource after a synchronous InsufficientInstanceCapacity; `capacityCooldown: true` models it.
 */
import { AGENT_DEFAULT_QUEUE_POLL_SEC, type Config } from '../../../shared/config.js';
import { Ec2Error, type InstanceObs, type LaunchSpec, type WorkerObs } from '../ports.js';
import { SIMULATED_AGENT_KEYS, userDataBuilder } from '../userdata/userdata.js';
import type { IterationResult, SimLoop } from './driver.js';
import type { SimWorld } from './world.js';

export interface BaselineOptions {
  /** `polling_interval_time_min × 60`. */
  pollSec: number;
  /** Model the newer upstream capacity cool-down (off: the reference's behaviour). */
  capacityCooldown?: boolean;
}

/** boto3 waiters `instance_running` and `spot_instance_request_fulfilled`: 15 s delay, 40 attempts. */
export const WAITER_DELAY_MS = 15_000;
export const WAITER_MAX_ATTEMPTS = 40;
/** `start()` sleeps this long after an exception before calling `supervisor()` again. */
export const RESTART_DELAY_MS = 15_000;

interface Idle {
  since: number;
  resource: string;
}

interface Spun {
  resource: string;
  at: number;
}

/** ClearML's worker-id pattern: 3 or 4 colon-separated parts, the cloud id without '/'. */
const WORKER_PATTERN = /^([^:]+):([^:]+):([^:]+)(?::([^:/]+))?$/;

export function parseClearmlWorkerId(id: string): { prefix: string; name: string; cloudId: string } | null {
  const m = WORKER_PATTERN.exec(id);
  return m ? { prefix: m[1]!, name: m[2]!, cloudId: m[4] ?? '' } : null;
}

export interface BaselineLog {
  launchFailures: number;
  restarts: number;
  stuckTerminations: number;
  /** TerminateInstances calls for idle workers, repeats included: an un-unregistered worker comes back idle. */
  idleTerminateCalls: number;
  /** Instances launched beyond the remaining need of their queue in the same iteration (ClearML's over-launch bug). */
  overLaunched: number;
  messages: string[];
}

/**
 * The config the model's instances get their script from: ClearML's script has no lease watchdog, and leaves the
 * agent's queue poll at the agent's own default.
 */
export function clearmlScriptConfig(config: Config): Config {
  return {
    ...config,
    lease: { ...config.lease, enabled: false },
    agent: { ...config.agent, queuePollSec: AGENT_DEFAULT_QUEUE_POLL_SEC },
  };
}

export class ClearmlBaseline implements SimLoop {
  readonly pollMs: number;
  readonly log: BaselineLog = {
    launchFailures: 0,
    restarts: 0,
    stuckTerminations: 0,
    idleTerminateCalls: 0,
    overLaunched: 0,
    messages: [],
  };
  private idleWorkers = new Map<string, Idle>();
  private spunWorkers = new Map<string, Spun>();
  private previousWorkers = new Set<string>();
  private supervisorStarted = false;
  private readonly cooldownUntil = new Map<string, number>();
  /** Only the markers and the queue poll matter to an emulated instance; the rest is the app's script. */
  private readonly userData: (launch: { queue: string; resource: string }) => string;
  private token = 0;
  private iteration = { launched: 0, terminated: 0, modelled: 0 };

  constructor(
    private readonly world: SimWorld,
    private readonly config: Config,
    private readonly opts: BaselineOptions,
  ) {
    this.pollMs = opts.pollSec * 1000;
    this.userData = userDataBuilder(clearmlScriptConfig(config), { clearml: SIMULATED_AGENT_KEYS });
  }

  quiescent(): boolean {
    return this.spunWorkers.size === 0 && this.idleWorkers.size === 0;
  }

  async iterate(): Promise<IterationResult> {
    this.iteration = { launched: 0, terminated: 0, modelled: 0 };
    try {
      await this.supervisorIteration();
    } catch (e) {
      // start(): log, sleep 15 s, supervisor() again with empty state.
      this.note(`Error: ${e instanceof Error ? e.message : String(e)}, retrying in 15 seconds`);
      this.log.restarts++;
      this.restart();
      this.wait(RESTART_DELAY_MS);
      try {
        await this.supervisorIteration();
      } catch (again) {
        this.note(`Error: ${again instanceof Error ? again.message : String(again)} (again; next try after the poll)`);
        this.log.restarts++;
        this.restart();
      }
    }
    return {
      launched: this.iteration.launched,
      terminated: this.iteration.terminated,
      modelledEc2Calls: this.iteration.modelled,
    };
  }

  private restart(): void {
    this.idleWorkers = new Map();
    this.spunWorkers = new Map();
    this.previousWorkers = new Set();
    this.supervisorStarted = false;
  }

  private get now(): number {
    return this.world.now;
  }

  /** Blocking sleep of the Python loop: the world (agents, enqueues, interruptions) keeps going meanwhile. */
  private wait(ms: number): void {
    this.world.advanceTo(this.now + ms);
  }

  private note(message: string): void {
    if (this.log.messages.length < 200) this.log.messages.push(`${new Date(this.now).toISOString()} ${message}`);
  }

  private async supervisorIteration(): Promise<void> {
    const { clearmlClient: clearml } = this.world;
    const cfg = this.config;
    const prefix = cfg.scaling.workersPrefix;
    const queueNames = Object.keys(cfg.queues);

    // ensure_queues, once per supervisor(); the world created every queue.
    if (!this.supervisorStarted) {
      await clearml.listQueues(queueNames);
      this.supervisorStarted = true;
    }

    // Step 6: the queue name ↔ id map.
    const nameToId = new Map((await clearml.listQueues(queueNames)).map((q) => [q.name, q.id]));
    // Step 7: our workers (prefix-filtered).
    const allWorkers = (await clearml.listWorkers(prefix)).filter((w) => parseClearmlWorkerId(w.id)?.prefix === prefix);

    // Step 8: a worker seen for the first time leaves spun_workers.
    for (const w of allWorkers) {
      if (this.previousWorkers.has(w.id)) continue;
      if (this.spunWorkers.delete(w.id)) this.previousWorkers.add(w.id);
      else this.note(`Removed unknown worker from spun_workers: ${w.id}`);
    }

    // Step 9: stuck spin-ups.
    const spinUpMs = cfg.scaling.maxSpinUpMin * 60_000;
    for (const [workerId, s] of [...this.spunWorkers]) {
      if (this.now - s.at <= spinUpMs) continue;
      this.spunWorkers.delete(workerId);
      const cloudId = parseClearmlWorkerId(workerId)?.cloudId ?? '';
      try {
        await this.world.ec2Provider.terminateInstances([cloudId]);
        this.log.stuckTerminations++;
        this.iteration.terminated++;
      } catch (e) {
        this.note(`Cannot spin down ${workerId}: ${String(e)}`);
      }
    }

    // Step 10: idle tracking.
    this.updateIdleWorkers(allWorkers);

    // Steps 11–12: demand per queue, in config order.
    const requiredIdleResources: string[] = [];
    const allocate: { resource: string; queue: string }[] = [];
    for (const queue of queueNames) {
      const queueId = nameToId.get(queue);
      // `queue_name_to_id[queue]` raises KeyError for a queue missing on the server → restart.
      if (!queueId) throw new Error(`KeyError: '${queue}'`);
      const [q] = await clearml.listQueues([queue]);
      const entries = q?.entries ?? [];
      if (entries.length === 0) continue;
      const queueResources = cfg.queues[queue]!;
      const names = new Set(queueResources.map((r) => r.resource));
      const free: string[] = [];
      for (const i of this.idleWorkers.values()) if (names.has(i.resource)) free.push(i.resource);
      for (const s of this.spunWorkers.values()) if (names.has(s.resource)) free.push(s.resource);
      requiredIdleResources.push(...free);
      const spinUpCount = entries.length - free.length;
      const spinUp: string[] = [];
      for (const { resource, maxInstances } of queueResources) {
        if (spinUp.length >= spinUpCount) break;
        if (this.opts.capacityCooldown && (this.cooldownUntil.get(resource) ?? 0) > this.now) continue;
        const running = allWorkers.filter((w) => parseClearmlWorkerId(w.id)?.name === resource).length;
        const spun = [...this.spunWorkers.values()].filter((s) => s.resource === resource).length;
        const allowed = maxInstances - running - spun;
        // The bug, kept: min(spin_up_count, allowed), not min(spin_up_count − len(spin_up_resources), allowed).
        if (allowed > 0) spinUp.push(...Array<string>(Math.min(spinUpCount, allowed)).fill(resource));
      }
      this.log.overLaunched += Math.max(0, spinUp.length - Math.max(0, spinUpCount));
      for (const resource of spinUp) allocate.push({ resource, queue });
    }

    // Step 13: launch, one at a time, each blocking until the instance runs.
    for (const { resource, queue } of allocate) {
      try {
        const instanceId = await this.spinUpWorker(resource, queue);
        const res = cfg.resources[resource]!;
        // The console-log thread: GetConsoleOutput every 60 s while t <= max_spin_up_time_min.
        this.iteration.modelled += Math.floor(cfg.scaling.maxSpinUpMin) + 1;
        this.spunWorkers.set(`${prefix}:${resource}:${res.instanceType}:${instanceId}`, { resource, at: this.now });
        this.iteration.launched++;
      } catch (e) {
        this.log.launchFailures++;
        if (this.opts.capacityCooldown && e instanceof Ec2Error && e.kind === 'capacity')
          this.cooldownUntil.set(resource, this.now + 2 * this.pollMs);
        this.note(
          `Failed to start new instance (resource ${resource}), Error: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
    }

    // Step 14: idle spin-down (time() is read after the launches, which may have taken minutes).
    const maxIdleMs = cfg.scaling.maxIdleMin * 60_000;
    for (const [workerId, idle] of [...this.idleWorkers]) {
      if (requiredIdleResources.includes(idle.resource)) continue;
      if (!(this.now - idle.since > maxIdleMs)) continue;
      if (!(await this.isWorkerStillIdle(workerId))) continue;
      const cloudId = parseClearmlWorkerId(workerId)?.cloudId ?? '';
      // An exception here escapes to start(): restart with empty state.
      await this.world.ec2Provider.terminateInstances([cloudId]);
      this.log.idleTerminateCalls++;
      this.iteration.terminated++;
      this.idleWorkers.delete(workerId);
    }
  }

  private updateIdleWorkers(workers: readonly WorkerObs[]): void {
    if (workers.length === 0) {
      this.idleWorkers.clear();
      return;
    }
    for (const w of workers) {
      if (!w.task) {
        if (this.idleWorkers.has(w.id)) continue;
        const times = [w.registeredAt, w.lastActivityAt, w.lastReportAt].filter((t): t is number => t !== null);
        this.idleWorkers.set(w.id, {
          since: times.length ? Math.max(...times) : this.now,
          resource: parseClearmlWorkerId(w.id)?.name ?? '',
        });
      } else this.idleWorkers.delete(w.id);
    }
  }

  private async isWorkerStillIdle(workerId: string): Promise<boolean> {
    const fresh = await this.world.clearmlClient.listWorkers(this.config.scaling.workersPrefix);
    const w = fresh.find((x) => x.id === workerId);
    return w ? w.task === null : true;
  }

  /** `AWSDriver.spin_up_worker`: returns once the instance is running, or throws. */
  private async spinUpWorker(resource: string, queue: string): Promise<string> {
    const cfg = this.config;
    const res = cfg.resources[resource]!;
    const ec2 = this.world.ec2Provider;
    const clientToken = `clearml-baseline-${++this.token}`;
    const spec: LaunchSpec = {
      clientToken,
      instanceType: res.instanceType,
      imageId: res.amiId,
      // No on-demand fallback and a single placement: `subnet_id`, else `availability_zone`.
      market: res.market,
      ...(res.subnetIds[0]
        ? { subnetId: res.subnetIds[0] }
        : res.availabilityZones[0]
          ? { availabilityZone: res.availabilityZones[0] }
          : {}),
      securityGroupIds: res.securityGroupIds,
      ...(res.keyName ? { keyName: res.keyName } : {}),
      ...(res.iamInstanceProfile ? { iamInstanceProfile: res.iamInstanceProfile } : {}),
      ...(res.ebs ? { ebs: res.ebs } : {}),
      enableMonitoring: res.enableMonitoring,
      // As this app launched before the per-mode hop limit; the simulated EC2 does not act on it.
      metadataHopLimit: 2,
      userData: this.userData({ queue, resource }),
      // Nothing at launch: ClearML tags with CreateTags afterwards.
      tags: {},
    };
    let instanceId: string;
    try {
      instanceId = (await ec2.runInstance(spec)).instanceId;
    } catch (e) {
      if (res.market === 'spot' && e instanceof Ec2Error && e.kind === 'capacity') {
        // The request stays open; the fulfilment waiter polls until it gives up (10 min).
        this.iteration.modelled += WAITER_MAX_ATTEMPTS;
        this.wait(WAITER_DELAY_MS * WAITER_MAX_ATTEMPTS);
        throw new WaiterError(
          `Waiter SpotInstanceRequestFulfilled failed: Max attempts exceeded (${e.code}: ${e.message})`,
        );
      }
      throw e;
    }
    if (res.market === 'spot') {
      // Fulfilment waiter: the first poll comes right after the request, before AWS has fulfilled it; then
      // describe_spot_instance_requests for the instance id.
      this.iteration.modelled += 3;
      this.wait(WAITER_DELAY_MS);
    }
    if (Object.keys(res.tags).length) await ec2.createTags([instanceId], res.tags);
    await this.waitUntilRunning(clientToken);
    return instanceId;
  }

  /** `Instance.wait_until_running()`: DescribeInstances every 15 s, 40 attempts, fails on shutting-down. */
  private async waitUntilRunning(clientToken: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const found: InstanceObs[] = await this.world.ec2Provider.findByClientToken(clientToken);
      const state = found[0]?.state;
      if (state === 'running') return;
      if (state === 'shutting-down' || state === 'terminated')
        throw new WaiterError('Waiter InstanceRunning failed: the instance went to ' + state);
      if (attempt >= WAITER_MAX_ATTEMPTS) throw new WaiterError('Waiter InstanceRunning failed: Max attempts exceeded');
      this.wait(WAITER_DELAY_MS);
    }
  }
}

/** botocore's WaiterError: not an EC2 error code, so the newer upstream cool-down does not apply to it. */
export class WaiterError extends Error {
  override name = 'WaiterError';
}
