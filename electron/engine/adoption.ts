/**
 * Workers of our prefix whose instance carries none of our tags: a team switching from ClearML's autoscaler runs
 * instances that autoscaler launched (same prefix, same worker id shape, only the user's tags). Such a worker is
 * alive capacity, never a zombie: its instance id is the last part of its worker id, and EC2 is asked whether that
 * instance exists, whatever its tags. Only a worker whose instance EC2 confirms gone is a zombie. If EC2 could not
 * be asked, nobody is.
 *
 * Adopting hands the instance to this app's scale-down, so it needs evidence that an autoscaler launched it: a worker
 * name is only text any agent can register (a typo'd `CLEARML_WORKER_ID`, a teammate's test), and the instance id in
 * it may be a stranger's (a database, a build host) that must never be tagged and terminated as ours. The evidence is
 * the instance's own startup script starting an agent as that worker (`autoscalerEvidence`), and its type matching
 * the worker's; without it the instance stays capacity but is not offered, with the reason.
 *
 * Pure decisions; `adoption-controller.ts` makes the EC2 calls around them.
 */
import { effectiveLease, firstQueueServedBy, type Config } from '../../shared/config.js';
import { isLiveState, type AdoptableView } from '../../shared/domain.js';
import { TAG, type InstanceObs, type WorkerObs } from './ports.js';
import { parseWorkerId } from './workers.js';
import { ourNameTag } from './launch-request.js';
import { entryOf, hasEntry } from '../../shared/data-record.js';
import { shellQuote } from './userdata/shellQuote.js';
import { escapeRegex } from './clearml/wire.js';

export interface ForeignWorker {
  workerId: string;
  instanceId: string;
  resource: string;
  instanceType: string;
  /** The configured queue it serves: one of its queues that is configured, else the queue listing its resource. */
  queue: string | null;
  busy: boolean;
  /** Counted as capacity only while pending or running. */
  live: boolean;
  instance: InstanceObs;
  /** Why it cannot be adopted; null when it can. */
  blocker: AdoptBlocker | null;
}

export type AdoptBlocker =
  | { code: 'resource-not-configured'; resource: string }
  | { code: 'no-configured-queue'; queues: string[] }
  | { code: 'resource-not-in-queue'; resource: string; queue: string }
  | { code: 'not-running'; state: string }
  | { code: 'type-mismatch'; workerType: string; instanceType: string }
  /** `error` null: not read yet (read at the next poll). */
  | { code: 'script-unread'; error: string | null }
  | { code: 'not-an-autoscaler-script'; workerPrefix: string; hasScript: boolean };

/** What was read of an instance's startup script: its text (null when it has none), or why it could not be read. */
export type ScriptRead = { text: string | null } | { error: string };

/**
 * Whether the instance shows it was launched by an autoscaler for this worker (null), or why not. The worker's
 * `<prefix>:<resource>:<type>` must be the one its startup script gives the agent: ClearML's autoscaler writes
 * `export CLEARML_WORKER_ID=<that>:$DYNAMIC_INSTANCE_ID` (clearml/automation/cloud_driver.py), this app's script
 * `CLEARML_AUTOSCALER_WORKER_ID_PREFIX='<that>'` (one of ours whose tags were removed). The type is checked first:
 * ClearML names the worker after the type it launched, so another type means the worker does not run there.
 */
export function autoscalerEvidence(
  worker: { prefix: string; resource: string; instanceType: string },
  instanceType: string,
  script: ScriptRead | undefined,
): AdoptBlocker | null {
  if (worker.instanceType !== instanceType)
    return { code: 'type-mismatch', workerType: worker.instanceType, instanceType };
  if (!script) return { code: 'script-unread', error: null };
  if ('error' in script) return { code: 'script-unread', error: script.error };
  const workerPrefix = `${worker.prefix}:${worker.resource}:${worker.instanceType}`;
  const text = script.text ?? '';
  const clearml = new RegExp(
    `^\\s*export\\s+CLEARML_WORKER_ID=(["']?)${escapeRegex(workerPrefix)}:\\$\\{?DYNAMIC_INSTANCE_ID\\}?\\1\\s*$`,
    'm',
  );
  const ours = `CLEARML_AUTOSCALER_WORKER_ID_PREFIX=${shellQuote(workerPrefix)}`;
  if (clearml.test(text) || text.includes(ours)) return null;
  return { code: 'not-an-autoscaler-script', workerPrefix, hasScript: !!script.text };
}

export interface WorkerTriage {
  foreign: ForeignWorker[];
  /** Worker ids whose instance EC2 confirmed gone: the only workers that may be unregistered. */
  zombies: Set<string>;
}

/** Instance ids of our-prefix workers that are not on one of our instances nor on a launch still in flight. */
export function foreignCandidates(
  workers: readonly WorkerObs[],
  prefix: string,
  ourInstanceIds: ReadonlySet<string>,
  inFlightIds: ReadonlySet<string>,
): string[] {
  const out: string[] = [];
  for (const w of workers) {
    const p = parseWorkerId(w.id);
    if (!p || p.prefix !== prefix) continue;
    if (ourInstanceIds.has(p.instanceId) || inFlightIds.has(p.instanceId)) continue;
    out.push(p.instanceId);
  }
  return [...new Set(out)];
}

/**
 * The most candidates EC2 is asked about in one tick (5 DescribeInstances calls). A real switch-over has a few
 * dozen; a server listing thousands of workers of our prefix on unknown instances must not spend the EC2 call
 * budget that launches and terminations share.
 */
export const MAX_LOOKUPS_PER_TICK = 1000;

/**
 * Which candidates to ask about this tick, within `limit`: first those EC2 did not answer absent for last time
 * (foreign capacity must be seen every tick, or it would not be counted), then those answered absent, the
 * longest ago first, so every one is asked again in turn.
 */
export function lookupsThisTick(
  candidates: readonly string[],
  absentSince: ReadonlyMap<string, number>,
  limit = MAX_LOOKUPS_PER_TICK,
): string[] {
  const fresh = candidates.filter((id) => !absentSince.has(id));
  const absent = candidates
    .filter((id) => absentSince.has(id))
    .sort((a, b) => absentSince.get(a)! - absentSince.get(b)!);
  return [...fresh, ...absent].slice(0, limit);
}

/**
 * `looked`: what EC2 said about the candidates (only those that exist are in it), or null when it could not be asked.
 * `asked`: the candidates EC2 was asked about, when not all were (`lookupsThisTick`); a worker on an instance not
 * asked about this tick is neither capacity nor a zombie until it is.
 * Busy workers are never zombies (their task is handled by the stranded-task recovery).
 */
export function triageWorkers(input: {
  config: Config;
  workers: readonly WorkerObs[];
  /** Our instances as listed this tick (any state). */
  ours: readonly InstanceObs[];
  inFlightIds: ReadonlySet<string>;
  looked: ReadonlyMap<string, InstanceObs> | null;
  asked?: ReadonlySet<string>;
  /** The startup scripts read so far, by instance id (`autoscalerEvidence`); one not in it is not adoptable yet. */
  scripts?: ReadonlyMap<string, ScriptRead>;
}): WorkerTriage {
  const ours = new Map(input.ours.map((i) => [i.instanceId, i]));
  const { config } = input;
  const prefix = config.scaling.workersPrefix;
  const foreign: ForeignWorker[] = [];
  const zombies = new Set<string>();
  for (const w of input.workers) {
    const p = parseWorkerId(w.id);
    if (!p || p.prefix !== prefix) continue;
    const own = ours.get(p.instanceId);
    if (own) {
      // Ours and no longer running (we terminated it, or it powered off): its worker is a zombie.
      if (!isLiveState(own.state) && !w.task) zombies.add(w.id);
      continue;
    }
    if (input.inFlightIds.has(p.instanceId)) continue;
    if (input.asked && !input.asked.has(p.instanceId)) continue;
    const instance = input.looked?.get(p.instanceId);
    if (!instance) {
      if (input.looked && !w.task) zombies.add(w.id);
      continue;
    }
    // Our prefix tag: ours, left out of this tick's listing (a flaky proxy, a truncated reply), not ClearML's.
    if (instance.tags[TAG.prefix] === prefix) continue;
    const live = isLiveState(instance.state);
    const queue = queueFor(config, p.resource, w.queues);
    foreign.push({
      workerId: w.id,
      instanceId: p.instanceId,
      resource: p.resource,
      instanceType: p.instanceType,
      queue,
      busy: !!w.task,
      live,
      instance,
      blocker:
        notRunning(instance.state) ??
        autoscalerEvidence(p, instance.instanceType, input.scripts?.get(p.instanceId)) ??
        blockerFor(config, p.resource, queue, w.queues),
    });
  }
  return { foreign, zombies };
}

function queueFor(config: Config, resource: string, listening: readonly string[]): string | null {
  const configured = listening.filter((q) => hasEntry(config.queues, q));
  const serving = configured.find((q) => entryOf(config.queues, q)!.some((e) => e.resource === resource));
  if (serving) return serving;
  if (configured[0]) return configured[0];
  return firstQueueServedBy(config.queues, resource);
}

function notRunning(state: string): AdoptBlocker | null {
  return state !== 'pending' && state !== 'running' ? { code: 'not-running', state } : null;
}

function blockerFor(
  config: Config,
  resource: string,
  queue: string | null,
  listening: readonly string[],
): AdoptBlocker | null {
  if (!hasEntry(config.resources, resource)) return { code: 'resource-not-configured', resource };
  if (!queue) return { code: 'no-configured-queue', queues: [...listening] };
  if (!entryOf(config.queues, queue)!.some((e) => e.resource === resource))
    return { code: 'resource-not-in-queue', resource, queue };
  return null;
}

export function blockerText(b: AdoptBlocker): string {
  switch (b.code) {
    case 'resource-not-configured':
      return `resource '${b.resource}' is not in the config: add it (same name as in ClearML's config) to adopt this instance`;
    case 'no-configured-queue':
      return `it listens on ${b.queues.length ? b.queues.map((q) => `'${q}'`).join(', ') : 'no queue'}, none of which is configured`;
    case 'resource-not-in-queue':
      return `queue '${b.queue}' does not list resource '${b.resource}'`;
    case 'not-running':
      return `the instance is ${b.state}`;
    case 'type-mismatch':
      return `its worker is named for a ${b.workerType} but the instance is a ${b.instanceType}: the worker does not run on it, so nothing shows an autoscaler launched it (left alone)`;
    case 'script-unread':
      return b.error === null
        ? 'its startup script is not read yet (the evidence that an autoscaler launched it): offered once read'
        : `its startup script could not be read (${b.error}), the evidence that an autoscaler launched it: allow ec2:DescribeInstanceAttribute (README: IAM policy)`;
    case 'not-an-autoscaler-script':
      return `its startup script ${b.hasScript ? 'does not start' : 'is empty: nothing starts'} a ClearML agent as worker '${b.workerPrefix}:<instance id>', so nothing shows an autoscaler launched it: not a ClearML autoscaler's instance (left alone)`;
  }
}

/** The tags that make an adopted instance ours: from then on it is scaled, leased and terminated like our own. */
export function adoptionTags(config: Config, f: ForeignWorker, now: number): Record<string, string> {
  const prefix = config.scaling.workersPrefix;
  const tags: Record<string, string> = {
    [TAG.prefix]: prefix,
    [TAG.resource]: f.resource,
    [TAG.queue]: f.queue ?? '',
    [TAG.name]: ourNameTag(prefix, f.resource, f.queue ?? ''),
    [TAG.launchedBy]: 'clearml-autoscaler (adopted)',
    [TAG.adoptedAt]: String(now),
  };
  if (config.lease.enabled)
    tags[TAG.lease] = String(Math.floor((now + effectiveLease(config).leaseMin * 60_000) / 1000));
  return tags;
}

/** Which of the requested instances can be adopted now ('all': every adoptable one), and why the others cannot. */
export function adoptionPlan(
  foreign: readonly ForeignWorker[],
  requested: readonly string[] | 'all',
): { adopt: ForeignWorker[]; refused: { instanceId: string; reason: string }[] } {
  const byId = new Map(foreign.map((f) => [f.instanceId, f]));
  const ids = requested === 'all' ? [...byId.keys()] : [...new Set(requested)];
  const adopt: ForeignWorker[] = [];
  const refused: { instanceId: string; reason: string }[] = [];
  for (const id of ids) {
    const f = byId.get(id);
    if (!f)
      refused.push({ instanceId: id, reason: 'no worker of ours runs on it without our tags (already ours, or gone)' });
    else if (f.blocker) refused.push({ instanceId: id, reason: blockerText(f.blocker) });
    else adopt.push(f);
  }
  return { adopt, refused };
}

/** Whether its instance shows it was not launched by an autoscaler (not merely not read yet). */
export function notAnAutoscalers(f: Pick<ForeignWorker, 'blocker'>): boolean {
  return f.blocker?.code === 'type-mismatch' || f.blocker?.code === 'not-an-autoscaler-script';
}

export function adoptableViews(foreign: readonly ForeignWorker[]): AdoptableView[] {
  return foreign.map((f) => ({
    instanceId: f.instanceId,
    workerId: f.workerId,
    resource: f.resource,
    instanceType: f.instanceType,
    queue: f.queue,
    busy: f.busy,
    name: f.instance.tags['Name'] ?? null,
    blocker: f.blocker ? blockerText(f.blocker) : null,
    notAutoscalers: notAnAutoscalers(f),
  }));
}
