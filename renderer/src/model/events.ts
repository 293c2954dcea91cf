/** Events view: filtering and export (JSON and CSV). Pure. */
import type { EngineEvent } from '../../../shared/domain.js';
import { plural } from './format.js';

export interface EventFilter {
  kind: EngineEvent['kind'] | '';
  level: EngineEvent['level'] | '';
  queue: string;
  text: string;
}

export const EMPTY_EVENT_FILTER: EventFilter = { kind: '', level: '', queue: '', text: '' };

export function filterEvents(events: readonly EngineEvent[], f: EventFilter): EngineEvent[] {
  const text = f.text.trim().toLowerCase();
  return events
    .filter(
      (e) =>
        (!f.kind || e.kind === f.kind) &&
        (!f.level || e.level === f.level) &&
        (!f.queue || e.queue === f.queue) &&
        (!text || e.message.toLowerCase().includes(text) || (e.instanceIds ?? []).some((id) => id.includes(text))),
    )
    .sort((a, b) => b.at - a.at || b.id - a.id);
}

/**
 * "3 of 12 events", and once older events exist that the app no longer holds, "200 of the latest 200 events (older
 * ones are not shown)": without it a full log reads as the whole history. Events are numbered from 1 and the numbers
 * keep counting across restarts, so an oldest id above 1 means some came before.
 */
export function eventCountText(shown: number, events: readonly EngineEvent[]): string {
  const older = events.length > 0 && Math.min(...events.map((e) => e.id)) > 1;
  return older
    ? `${shown} of the latest ${plural(events.length, 'event')} (older ones are not shown)`
    : `${shown} of ${plural(events.length, 'event')}`;
}

export function eventsToJson(events: readonly EngineEvent[]): string {
  return `${JSON.stringify(events, null, 2)}\n`;
}

export const CSV_COLUMNS = ['id', 'time', 'level', 'kind', 'queue', 'resource', 'count', 'instanceIds', 'message'];

/** RFC 4180: fields with a comma, quote or line break are quoted, quotes doubled; CRLF line ends. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function eventsToCsv(events: readonly EngineEvent[]): string {
  const rows = events.map((e) =>
    [
      String(e.id),
      new Date(e.at).toISOString(),
      e.level,
      e.kind,
      e.queue ?? '',
      e.resource ?? '',
      e.count === undefined ? '' : String(e.count),
      (e.instanceIds ?? []).join(' '),
      e.message,
    ]
      .map(csvField)
      .join(','),
  );
  return [CSV_COLUMNS.join(','), ...rows].join('\r\n') + '\r\n';
}
