/**
 * Pure: what the timeline records from what the engine already publishes. A sample from a snapshot, a marker from
 * an event. Nothing here looks inside the tick, so the engine can be reorganised freely.
 */
import type { EngineEvent, Market, Snapshot } from '../../../shared/domain.js';
import type { MarkerKind, TimelineMarker, TimelineSample } from '../../../shared/timeline.js';
import { dataRecordOf } from '../../../shared/data-record.js';

export function sampleOf(s: Snapshot, at: number): TimelineSample {
  const queues: TimelineSample['queues'] = dataRecordOf([]);
  for (const q of s.queues) queues[q.name] = { busy: q.busy, idle: q.idle, booting: q.booting, pending: q.pending };
  return { at, queues, burnPerHour: s.costs.burnPerHour };
}

/**
 * The marker an event makes, or null for events the chart does not show (decisions, budgets, engine on/off).
 * A task requeued from a spot instance is how the engine reports a spot interruption; `marketOf` says what the
 * instance was, from the last snapshot that listed it.
 */
export function markerOf(e: EngineEvent, marketOf: (instanceId: string) => Market | undefined): TimelineMarker | null {
  let kind: MarkerKind | null = null;
  switch (e.kind) {
    case 'launch':
      kind = 'launch';
      break;
    case 'terminate':
      kind = 'terminate';
      break;
    case 'launch-failed':
    case 'error':
      kind = 'error';
      break;
    case 'requeue':
      kind = (e.instanceIds ?? []).some((id) => marketOf(id) === 'spot') ? 'interruption' : 'error';
      break;
    default:
      return null;
  }
  return {
    at: e.at,
    kind,
    message: e.message,
    ...(e.queue ? { queue: e.queue } : {}),
    ...(e.instanceIds?.length ? { instanceIds: e.instanceIds.slice(0, 50) } : {}),
  };
}
