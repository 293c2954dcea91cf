/**
 * The engine's event log: numbers and times each event, keeps the last 500 for the snapshot, hands each to the
 * host as it happens, and logs a repeating decision once per 10 minutes instead of every tick.
 */
import type { EngineEvent } from '../../../shared/domain.js';
import type { NewEvent } from '../events.js';

const MAX_EVENTS = 500;
const REPEAT_AFTER_MS = 10 * 60_000;
const MAX_REMEMBERED_KEYS = 2000;

export class EventLog {
  private events: EngineEvent[] = [];
  private seq = 0;
  private readonly emitted = new Map<string, number>();

  constructor(
    private readonly now: () => number,
    private readonly onEvent?: (event: EngineEvent) => void,
  ) {}

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
