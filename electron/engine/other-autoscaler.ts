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
import type { InstanceObs, WorkerObs } from './ports.js';
import { instanceIdOfWorker } from './workers.js';

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

function hhmm(at: number): string {
  return new Date(at).toISOString().slice(11, 16);
}

/** The warning, in plain words, from the sign that raised it. */
export function otherAutoscalerText(sign: OtherAutoscalerSign): string {
  const what =
    sign.code === 'foreign-launched-after-start'
      ? `instance ${sign.instanceId} was launched by it at ${hhmm(sign.launchedAt)} UTC, after this app started (${hhmm(sign.startedAt)} UTC)`
      : `an idle instance of ours, ${sign.instanceId}, was terminated outside this app`;
  return (
    `ClearML's autoscaler seems to be still running: ${what}; stop its service task (README: switching from ` +
    `ClearML's autoscaler), or both launch for the same tasks and end each other's idle instances`
  );
}
