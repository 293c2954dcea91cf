/**
 * Workers of our prefix whose instance carries none of our tags: a team switching from ClearML's autoscaler runs
 * instances that autoscaler launched (same prefix, same worker id shape, only the user's tags). Such a worker is
 * alive capacity, never a zombie: its instance id is the last part of its worker id, and EC2 is asked whether that
 * instance exists, whatever its tags. Only a worker whose instance EC2 confirms gone is a zombie. If EC2 could not
 * be asked, nobody is.
 *
 * Pure decisions; `adoption-controller.ts` makes the EC2 calls around them.
 */
import { effectiveLease, firstQueueServedBy, type Config } from '../../shared/config.js';
import { isLiveState, type AdoptableView } from '../../shared/domain.js';
import { TAG, type InstanceObs, type WorkerObs } from './ports.js';
import { parseWorkerId } from './workers.js';
import { ourNameTag } from './launch-request.js';
import { entryOf, hasEntry } from '../../shared/data-record.js';

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
  | { code: 'not-running'; state: string };

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
      blocker: blockerFor(config, p.resource, queue, w.queues, instance.state),
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

function blockerFor(
  config: Config,
  resource: string,
  queue: string | null,
  listening: readonly string[],
  state: string,
): AdoptBlocker | null {
  if (state !== 'pending' && state !== 'running') return { code: 'not-running', state };
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
  }));
}
