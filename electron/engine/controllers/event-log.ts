/**
 * The engine's event log: numbers and times each event, keeps the last 500 for the snapshot, hands each to the
 * host as it happens, and logs a repeating decision once per 10 minutes instead of every tick. The host keeps one
 * log for the engines of successive configs and across restarts, so a settings change or a restart keeps the
 * history (the audit lines of who changed what among it) and ids keep counting up.
 */
import type { EngineEvent } from '../../../shared/domain.js';
import { ev, type NewEvent } from '../events.js';
import type { Plan } from '../policy.js';
import { leftUnlaunched, renderDecision, type LaunchHold } from '../reasons.js';

/** How many events the log keeps (and the host keeps across restarts). */
export const MAX_EVENTS = 500;
/** How many of the latest events a snapshot carries to the windows. */
export const SNAPSHOT_EVENTS = 200;
const REPEAT_AFTER_MS = 10 * 60_000;
const MAX_REMEMBERED_KEYS = 2000;

export class EventLog {
  private events: EngineEvent[] = [];
  private seq = 0;
  private readonly emitted = new Map<string, number>();

  /** `history`: events kept from an earlier run, oldest first; the ids of new events follow theirs. */
  constructor(
    private readonly now: () => number,
    private readonly onEvent?: (event: EngineEvent) => void,
    history: readonly EngineEvent[] = [],
  ) {
    this.events = history.slice(-MAX_EVENTS);
    this.seq = this.events.reduce((m, e) => Math.max(m, e.id), 0);
  }

  /**
   * Starts over from `history` (the demo's events dropped for the ones kept before it). Ids go on counting up from
   * the highest ever given, so a window never takes an earlier id for a new event.
   */
  restart(history: readonly EngineEvent[]): void {
    this.events = history.slice(-MAX_EVENTS);
    this.seq = this.events.reduce((m, e) => Math.max(m, e.id), this.seq);
    this.emitted.clear();
  }

  emit(e: NewEvent): EngineEvent {
    const event: EngineEvent = { id: ++this.seq, at: this.now(), ...e };
    this.events.push(event);
    if (this.events.length > MAX_EVENTS) this.events = this.events.slice(-MAX_EVENTS);
    this.onEvent?.(event);
    return event;
  }

  /** Emit unless the same key was emitted within the last 10 minutes. */
  emitOnce(key: string, e: NewEvent): void {
    const now = this.now();
    const last = this.emitted.get(key);
    if (last !== undefined && now - last < REPEAT_AFTER_MS) return;
    this.emitted.set(key, now);
    if (this.emitted.size > MAX_REMEMBERED_KEYS) this.emitted.clear();
    this.emit(e);
  }

  recent(n: number): EngineEvent[] {
    return this.events.slice(-n);
  }
}

/** A queue's decision is logged when it launched, or when pending work could not be launched. */
export function logDecisions(log: EventLog, p: Plan, leases: boolean, held: LaunchHold = null): void {
  for (const d of p.decisions) {
    if (d.launched === 0 && !(d.pending > 0 && leftUnlaunched(d))) continue;
    const text = renderDecision(d, held);
    const capped =
      leftUnlaunched(d) &&
      d.reason.code === 'scale-up' &&
      d.reason.blockers.some((b) => b.code === 'resource-cap' || b.code === 'global-cap');
    log.emitOnce(`decision|${d.queue}|${text}`, ev.decision(d.queue, text, capped));
  }
  // Instances left to finish work for another ClearML server, per server: said again every 10 min while they bill.
  const elsewhere = new Map<string, string[]>();
  for (const c of p.instances)
    if (c.otherServer) elsewhere.set(c.otherServer, [...(elsewhere.get(c.otherServer) ?? []), c.instance.instanceId]);
  for (const [server, instanceIds] of elsewhere)
    log.emitOnce(`elsewhere|${server}|${instanceIds.join(',')}`, ev.leftToFinish({ server, instanceIds, leases }));
}
