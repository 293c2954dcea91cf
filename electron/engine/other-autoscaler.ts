/**
 * Whether ClearML's autoscaler still runs next to this app (the switch-over's "stop its service task" skipped): both
 * then launch for the same queue and each terminates the other's idle instances as its own, doubling the fleet
 * while each seems to work. Two signs are visible from here, and either is enough:
 *  - an instance of ClearML's (a worker of our prefix on an instance without our tags) launched after this engine's
 *    first tick: nothing but a running autoscaler launches those;
 *  - an idle instance of ours ended by a TerminateInstances call this app did not make: ClearML's autoscaler reads
 *    our workers as its own (same prefix and id shape) and ends them once idle.
 *
 * Pure decisions with structured reasons; `adoption-controller.ts` keeps the memory across ticks and says them.
 */
import { isLiveState } from '../../shared/domain.js';
import { utcTimeOfDay } from '../../shared/words.js';
import type { InstanceObs, WorkerObs } from './ports.js';
import { instanceIdOfWorker, parseWorkerId } from './workers.js';

export type OtherAutoscalerSign =
  | { code: 'foreign-launched-after-start'; instanceId: string; launchedAt: number; startedAt: number }
  | { code: 'idle-ours-terminated-outside'; instanceId: string; seenAt: number };

/** How long an outside termination keeps the warning up (a foreign launch keeps it up while that instance lives). */
export const OUTSIDE_TERMINATION_HOLD_MS = 30 * 60_000;

/** Our instances that are live and whose worker is registered without a task: what ClearML's autoscaler ends. */
export function idleOurs(ours: readonly InstanceObs[], workers: readonly WorkerObs[], prefix: string): Set<string> {
  const live = new Set(ours.filter((i) => isLiveState(i.state)).map((i) => i.instanceId));
  const out = new Set<string>();
  for (const w of workers) {
    const id = instanceIdOfWorker(w.id, prefix);
    if (id && live.has(id) && !w.task) out.add(id);
  }
  return out;
}

/**
 * The signs seen this tick. `idleBefore`: our instances idle at the previous tick (`idleOurs`); `terminatedByUs`:
 * what this app terminated. Only a user-initiated end counts: spot interruptions and the lease watchdog's power-off
 * carry other state reasons, and a stop is the stopped-outside rule's (controllers/stopped.ts).
 */
export function otherAutoscalerSigns(input: {
  now: number;
  /** This engine's first tick. */
  startedAt: number;
  foreign: readonly { instanceId: string; live: boolean; instance: Pick<InstanceObs, 'launchedAt'> }[];
  ours: readonly InstanceObs[];
  idleBefore: ReadonlySet<string>;
  terminatedByUs: ReadonlyMap<string, number>;
}): OtherAutoscalerSign[] {
  const signs: OtherAutoscalerSign[] = [];
  for (const f of input.foreign)
    if (f.live && f.instance.launchedAt > input.startedAt)
      signs.push({
        code: 'foreign-launched-after-start',
        instanceId: f.instanceId,
        launchedAt: f.instance.launchedAt,
        startedAt: input.startedAt,
      });
  for (const i of input.ours)
    if (
      (i.state === 'shutting-down' || i.state === 'terminated') &&
      i.stateReasonCode === 'Client.UserInitiatedShutdown' &&
      input.idleBefore.has(i.instanceId) &&
      !input.terminatedByUs.has(i.instanceId)
    )
      signs.push({ code: 'idle-ours-terminated-outside', instanceId: i.instanceId, seenAt: input.now });
  return signs;
}

/** The warning, in plain words, from the sign that raised it. */
export function otherAutoscalerText(sign: OtherAutoscalerSign): string {
  const what =
    sign.code === 'foreign-launched-after-start'
      ? `instance ${sign.instanceId} was launched by it at ${utcTimeOfDay(sign.launchedAt)}, after this app started (${utcTimeOfDay(sign.startedAt)})`
      : `an idle instance of ours, ${sign.instanceId}, was terminated outside this app (by it, unless someone did so by hand)`;
  return (
    `ClearML's autoscaler seems to be still running: ${what}; stop its service task (README: switching from ` +
    `ClearML's autoscaler), or both launch for the same tasks and end each other's idle instances (meanwhile a ` +
    `duplicate of this app's, idle beside an idle one of it, goes after the surplus idle time)`
  );
}

/** Workers named as ClearML's autoscaler names them, on a configured queue, but under another prefix. */
export interface OtherPrefix {
  prefix: string;
  /** The configured queues they listen on. */
  queues: string[];
  workerIds: string[];
  idle: number;
}

/**
 * Workers of another prefix are none of this app's business, so they are not counted as capacity: tasks on their
 * queue get launches of this app's while they idle or are about to be. When they follow ClearML's autoscaler's id shape
 * (`<prefix>:<resource>:<type>:<instance id>`) and listen on a configured queue, the likely cause is a workers
 * prefix set differently here than in ClearML's config: said once, with the setting to change.
 */
export function otherPrefixWorkers(
  workers: readonly WorkerObs[],
  prefix: string,
  configuredQueues: ReadonlySet<string>,
): OtherPrefix[] {
  const byPrefix = new Map<string, OtherPrefix>();
  for (const w of workers) {
    const p = parseWorkerId(w.id);
    if (!p || p.prefix === prefix) continue;
    const queues = w.queues.filter((q) => configuredQueues.has(q));
    if (!queues.length) continue;
    const o = byPrefix.get(p.prefix) ?? { prefix: p.prefix, queues: [], workerIds: [], idle: 0 };
    o.workerIds.push(w.id);
    if (!w.task) o.idle += 1;
    for (const q of queues) if (!o.queues.includes(q)) o.queues.push(q);
    byPrefix.set(p.prefix, o);
  }
  return [...byPrefix.values()];
}

export function otherPrefixText(o: OtherPrefix, ours: string): string {
  const n = o.workerIds.length;
  const queues = o.queues.map((q) => `'${q}'`).join(', ');
  return (
    `${n === 1 ? '1 worker' : `${n} workers`} (${o.idle} idle) named as ClearML's autoscaler names its workers ` +
    `${n === 1 ? 'listens' : 'listen'} on ${queues} with prefix '${o.prefix}', not this app's '${ours}': ignored ` +
    `(not counted as capacity, not offered for adoption), so tasks there get launches of this app's; if ClearML's ` +
    `autoscaler launched ${n === 1 ? 'it' : 'them'}, set scaling.workersPrefix to '${o.prefix}'`
  );
}
