/** Events: what the engine did and why, filterable, with copy and export (JSON/CSV). */
import { useMemo, useState } from 'react';
import { FilterSelect } from '../components/FilterSelect.js';
import { copyText, downloadText } from '../components/misc.js';
import {
  EMPTY_EVENT_FILTER,
  eventCountText,
  eventsToCsv,
  eventsToJson,
  filterEvents,
  type EventFilter,
} from '../model/events.js';
import { formatDateInZone, formatTime, plural, zoneName } from '../model/format.js';
import { EventKindSchema } from '../../../shared/domain.js';
import { sentence } from '../../../shared/words.js';
import { useApp } from '../state/react.js';

const EVENT_LEVELS = ['info', 'warn', 'error'] as const;

export function Events() {
  const events = useApp((s) => s.snapshot?.events ?? []);
  const queues = useApp((s) => s.snapshot?.queues.map((q) => q.name) ?? []);
  const [filter, setFilter] = useState<EventFilter>(EMPTY_EVENT_FILTER);
  const [copied, setCopied] = useState<string | null>(null);
  const shown = useMemo(() => filterEvents(events, filter), [events, filter]);
  const count = (n: number) => eventCountText(n, events);
  // Said when the user changes the filter or copies, never when the engine adds an event: a busy engine would
  // otherwise read out a new count every few seconds while the view is open.
  const [said, setSaid] = useState('');
  const applyFilter = (next: EventFilter) => {
    setFilter(next);
    setCopied(null);
    setSaid(count(filterEvents(events, next).length));
  };
  const stamp = () => new Date().toISOString().replace(/[:.]/g, '-');

  return (
    <div className="view events">
      <form className="filters" role="search" aria-label="Filter events" onSubmit={(e) => e.preventDefault()}>
        <FilterSelect
          label="Kind"
          value={filter.kind}
          options={EventKindSchema.options}
          onChange={(kind) => applyFilter({ ...filter, kind })}
        />
        <FilterSelect
          label="Level"
          value={filter.level}
          options={EVENT_LEVELS}
          onChange={(level) => applyFilter({ ...filter, level })}
        />
        <FilterSelect
          label="Queue"
          value={filter.queue}
          options={queues}
          onChange={(queue) => applyFilter({ ...filter, queue })}
        />
        <label>
          Text
          <input type="search" value={filter.text} onChange={(e) => applyFilter({ ...filter, text: e.target.value })} />
        </label>
        <span className="toolbar">
          <button
            type="button"
            disabled={shown.length === 0}
            onClick={() =>
              void copyText(eventsToJson(shown)).then((ok) => {
                const text = ok
                  ? `Copied ${plural(shown.length, 'event')} as JSON.`
                  : 'The clipboard is not available; use Export instead.';
                setCopied(text);
                setSaid(text);
              })
            }
          >
            Copy
          </button>
          <button
            type="button"
            disabled={shown.length === 0}
            onClick={() => downloadText(`autoscaler-events-${stamp()}.json`, eventsToJson(shown), 'application/json')}
          >
            Export JSON
          </button>
          <button
            type="button"
            disabled={shown.length === 0}
            onClick={() => downloadText(`autoscaler-events-${stamp()}.csv`, eventsToCsv(shown), 'text/csv')}
          >
            Export CSV
          </button>
        </span>
      </form>
      <p className="muted small">
        {/* The exports and the headless log stamp UTC: these rows are this computer's clock, and say so. */}
        {shown.length > 0
          ? `${sentence(copied ?? count(shown.length))} Times in this computer's zone, ${zoneName(shown[0]!.at)}.`
          : (copied ?? count(shown.length))}
      </p>
      <p role="status" className="sr-only">
        {said}
      </p>
      {shown.length === 0 ? (
        <p className="empty">{events.length === 0 ? 'No events yet.' : 'No event matches the filter.'}</p>
      ) : (
        <ol className="event-list">
          {shown.map((e) => (
            <li key={e.id} className={`event level-${e.level}`}>
              <time dateTime={new Date(e.at).toISOString()} title={formatDateInZone(e.at)}>
                {formatTime(e.at)}
              </time>
              <span className={`pill level-${e.level}`}>{e.level}</span>
              {/* An "error" event at level error would read "error error": the kind adds nothing then. */}
              {e.kind !== e.level && <span className="pill tone-muted">{e.kind}</span>}
              {e.queue && <span className="event-queue">{e.queue}</span>}
              <span className="event-message">{e.message}</span>
              {e.instanceIds && e.instanceIds.length > 0 && (
                <span className="mono small muted">{e.instanceIds.join(', ')}</span>
              )}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
