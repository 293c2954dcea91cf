/**
 * The audit line for a change someone asked for: "alice (operator): turned autoscaling off". Pure; the service
 * writes it to the event log with the actor, so the log says who did what whether it came from this machine
 * ("local") or from a teammate attached to a team engine.
 */
import type { InvokeChannel } from './contract.js';
import { actorLabel, CHANGING_CHANNELS, type Actor } from './roles.js';
import { plural } from '../words.js';

type Req = Record<string, unknown>;

const count = (ids: unknown) => (Array.isArray(ids) ? ids.length : 0);

/** What a successful call changed, in words; null for channels that change nothing. */
export function describeChange(channel: InvokeChannel, req: unknown): string | null {
  if (!CHANGING_CHANNELS.has(channel)) return null;
  const r = (req ?? {}) as Req;
  switch (channel) {
    case 'autoscaler:engine.setEnabled':
      return r.enabled ? 'turned autoscaling on' : 'turned autoscaling off';
    case 'autoscaler:engine.setLaunchesPaused':
      return r.paused ? 'paused launches' : 'resumed launches';
    case 'autoscaler:engine.scaleToZero':
      return 'scaled to zero (launches paused)';
    case 'autoscaler:engine.stopEverything':
      return 'stopped everything (autoscaling off, every instance terminated)';
    case 'autoscaler:queue.setPaused':
      return `${r.paused ? 'paused' : 'resumed'} queue ${String(r.queue)}`;
    case 'autoscaler:instances.terminate':
      return `asked to terminate ${plural(count(r.instanceIds), 'instance')}`;
    case 'autoscaler:instances.adopt':
      return `adopted ${plural(count(r.instanceIds), 'instance')}`;
    case 'autoscaler:config.save':
      return 'saved the configuration';
    case 'autoscaler:credentials.set':
      return `set the ${String(r.kind)} credentials`;
    case 'autoscaler:credentials.clear':
      return `cleared the ${String(r.kind)} credentials`;
    case 'autoscaler:credentials.importClearmlConf':
      return 'imported the ClearML credentials from clearml.conf';
    case 'autoscaler:demo.start':
      return 'started the demo';
    case 'autoscaler:demo.stop':
      return 'left the demo';
    case 'autoscaler:settings.patch':
      return 'changed the preferences';
    case 'autoscaler:leadership.decide':
      return r.decision === 'act'
        ? 'decided this engine acts (another engine was seen)'
        : r.decision === 'standby'
          ? 'decided this engine stands by'
          : 'cleared the team decision';
    case 'autoscaler:leadership.createLeaseTable':
      return 'created the lease table';
    default:
      return null;
  }
}

/** The switches as they were before a call: what `changesNothing` compares a request with. */
export interface SwitchState {
  enabled: boolean;
  launchesPaused: boolean;
  queues: readonly { name: string; paused: boolean }[];
}

/**
 * Whether a call asks for the state a switch is already in (resume launches that were not paused): the audit trail
 * records changes, so such a call writes no line.
 */
export function changesNothing(channel: InvokeChannel, req: unknown, before: SwitchState): boolean {
  const r = (req ?? {}) as Req;
  switch (channel) {
    case 'autoscaler:engine.setEnabled':
      return r.enabled === before.enabled;
    case 'autoscaler:engine.setLaunchesPaused':
      return r.paused === before.launchesPaused;
    case 'autoscaler:queue.setPaused':
      return before.queues.some((q) => q.name === r.queue && q.paused === r.paused);
    default:
      return false;
  }
}

export function auditLine(actor: Actor, what: string): string {
  return `${actorLabel(actor)}: ${what}`;
}
