/** Queues: what waits, what serves it, its caps, the last decision and why; pause/resume per queue. */
import { useId } from 'react';
import { CapCell, TableScroll } from '../components/misc.js';
import { unavailable } from '../components/busy.js';
import { formatDuration } from '../model/format.js';
import { queueFigure, UNKNOWN } from '../model/overview.js';
import { roleLimit } from '../model/team.js';
import { queuesKnown, type QueueView } from '../../../shared/domain.js';
import { useActions, useApp, usePending } from '../state/react.js';

export function Queues() {
  const queues = useApp((s) => s.snapshot?.queues ?? []);
  const focus = useApp((s) => s.focus);
  const pauseLimit = useApp((s) => roleLimit(s.snapshot?.remote, 'autoscaler:queue.setPaused'));
  const { known, never } = useApp((s) => ({
    known: s.snapshot ? queuesKnown(s.snapshot) : false,
    never: s.snapshot?.lastTickOkAt == null,
  }));
  if (queues.length === 0)
    return (
      <div className="view">
        <p className="empty">No queues are configured. Add one under Settings → Queues.</p>
      </div>
    );
  return (
    <div className="view queues">
      {!known && (
        <p className="note tone-warn" role="note" aria-label="Queue figures unknown">
          {never ? 'ClearML has not been read yet' : 'The last poll failed (the Overview says why)'}: pending tasks and
          workers are unknown, shown as {UNKNOWN}, not zero.
        </p>
      )}
      {/* Said once above the cards, not only as the disabled buttons' tooltips: a keyboard user cannot focus a
          disabled button, and a screen reader does not read its title. */}
      {pauseLimit !== null && (
        <p className="muted small" data-testid="queues-role-limit">
          Pause and Resume are unavailable: {pauseLimit}
        </p>
      )}
      {queues.map((q) => (
        <QueueCard key={q.name} q={q} focused={focus === q.name} known={known} />
      ))}
    </div>
  );
}

/** `known`: the figures are ClearML's answer at the last poll; otherwise they show as unknown, not as zeros. */
function QueueCard({ q, focused, known }: { q: QueueView; focused: boolean; known: boolean }) {
  const actions = useActions();
  const pending = usePending(`queue:${q.name}`);
  const limit = useApp((s) => roleLimit(s.snapshot?.remote, 'autoscaler:queue.setPaused'));
  const total = q.busy + q.idle + q.booting;
  // Not derived from the name: a queue name may hold spaces, and aria-labelledby is a space-separated id list.
  const headingId = useId();
  return (
    <section className={`card queue-card${focused ? ' focused' : ''}`} aria-labelledby={headingId}>
      <header className="queue-head">
        <h2 id={headingId}>
          {q.name}
          {q.paused && <span className="pill tone-warn">paused</span>}
          {!q.exists && <span className="pill tone-error">not on server</span>}
        </h2>
        <button
          type="button"
          aria-label={`${q.paused ? 'Resume' : 'Pause'} queue ${q.name}`}
          disabled={limit !== null}
          {...unavailable(pending)}
          title={limit ?? undefined}
          aria-busy={pending}
          onClick={() => void actions.setQueuePaused(q.name, !q.paused)}
        >
          {pending ? 'Waiting…' : q.paused ? 'Resume' : 'Pause'}
        </button>
      </header>
      {!q.exists && (
        <p className="tone-error">
          The ClearML server has no queue named “{q.name}”. Create it in the ClearML web app (Orchestration → Queues) or
          fix the name under Settings.
        </p>
      )}
      <dl className="queue-stats">
        <div>
          <dt>Pending tasks</dt>
          <dd className={known && q.pending ? 'big tone-busy' : 'big'}>{queueFigure(q.pending, known)}</dd>
        </div>
        <div>
          <dt>Oldest wait</dt>
          <dd className="big">{known ? formatDuration(q.oldestWaitSec) : UNKNOWN}</dd>
        </div>
        <div>
          <dt>Workers</dt>
          <dd>
            {known ? (
              <>
                <span className="tone-ok">{q.busy} busy</span> · {q.idle} idle ·{' '}
                <span className="tone-busy">{q.booting} booting</span>
              </>
            ) : (
              'unknown'
            )}
          </dd>
        </div>
      </dl>
      <figure className="stacked-figure">
        <figcaption className="small muted">Workers by state</figcaption>
        <div
          className="stacked"
          role="img"
          aria-label={known ? `Workers: ${q.busy} busy, ${q.idle} idle, ${q.booting} booting` : 'Workers: unknown'}
        >
          {known && total > 0 ? (
            <>
              <span className="seg tone-ok" style={{ flexGrow: q.busy }} />
              <span className="seg tone-muted" style={{ flexGrow: q.idle }} />
              <span className="seg tone-busy" style={{ flexGrow: q.booting }} />
            </>
          ) : (
            <span className="seg seg-empty" style={{ flexGrow: 1 }} />
          )}
        </div>
        <p className="legend small" aria-hidden="true">
          {known ? (
            <>
              <span className="swatch tone-ok" /> busy {q.busy} <span className="swatch tone-muted" /> idle {q.idle}{' '}
              <span className="swatch tone-busy" /> booting {q.booting}
              {total === 0 && <span className="muted"> · no workers</span>}
            </>
          ) : (
            <span className="muted">unknown until ClearML is read</span>
          )}
        </p>
      </figure>
      <TableScroll label={`Resources serving ${q.name}`}>
        <table className="mini-table">
          <caption className="sr-only">Resources serving {q.name}</caption>
          <thead>
            <tr>
              <th scope="col">Resource</th>
              <th scope="col">Type</th>
              <th scope="col">Market</th>
              <th scope="col">Running / cap</th>
            </tr>
          </thead>
          <tbody>
            {q.resources.map((r) => (
              <tr key={r.resource}>
                <td>{r.resource}</td>
                <td>{r.instanceType}</td>
                <td>{r.market}</td>
                <CapCell used={r.running} cap={r.maxInstances} />
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      <p className="decision">
        <span className="muted">Last decision: </span>
        {q.lastDecision ?? 'none yet'}
      </p>
    </section>
  );
}
