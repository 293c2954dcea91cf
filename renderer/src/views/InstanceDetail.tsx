/**
 * One instance's story in a dialog: lifecycle (launched, registered, tasks, idle since, lease), price and spend,
 * the events that named it, and for an instance still booting or terminated before it registered, the tail of its
 * EC2 console output, which is where a broken AMI or init script shows itself.
 */
import { useEffect, useRef, useState } from 'react';
import { consoleUnavailableText, type InstanceDetail as Detail } from '../../../shared/instance-detail.js';
import { Dialog } from '../components/Dialog.js';
import { formatDateInZone, formatDuration, formatMoneyFine, formatRate, formatTime, plural } from '../model/format.js';
import { MARKER_TEXT } from '../model/timeline.js';
import { useActions } from '../state/react.js';

const REFRESH_MS = 3000;

export function InstanceDetailDialog({ instanceId, onClose }: { instanceId: string; onClose: () => void }) {
  const actions = useActions();
  const [detail, setDetail] = useState<Detail | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    const load = () =>
      void actions.instanceDetail(instanceId).then((r) => {
        if (!live) return;
        if (r.ok) {
          setDetail(r.value);
          setError(null);
        } else setError(r.error.message);
      });
    load();
    const t = setInterval(load, REFRESH_MS);
    return () => {
      live = false;
      clearInterval(t);
    };
  }, [actions, instanceId]);

  return (
    <Dialog
      title={`Instance ${instanceId}`}
      onClose={onClose}
      footer={
        <button type="button" data-autofocus onClick={onClose}>
          Close
        </button>
      }
    >
      {error && <p className="tone-error">The details could not be loaded: {error}</p>}
      {!detail && !error && <p className="muted">Loading…</p>}
      {detail && <DetailBody d={detail} />}
    </Dialog>
  );
}

const at = (t: number | null) => (t === null ? '—' : formatDateInZone(t));

function DetailBody({ d }: { d: Detail }) {
  const now = Date.now();
  if (!d.known)
    return <p className="empty">Neither EC2 nor the cost history knows this instance (it may be older than a year).</p>;
  return (
    <div className="instance-detail" data-testid="instance-detail">
      <p className="small muted">
        {d.queue ?? '?'} · {d.resource ?? '?'} · {d.instanceType ?? '?'} · {d.market ?? '?'} · {d.zone ?? '?'}
        {d.phase && (
          <>
            {' '}
            · <span className={`pill phase-${d.phase}`}>{d.phase}</span>
          </>
        )}
        {!d.phase && d.endedAt !== null && <span className="pill tone-muted">terminated</span>}
      </p>
      <h3>Lifecycle</h3>
      <dl className="detail-list">
        <dt>Launched</dt>
        <dd>{at(d.launchedAt)}</dd>
        {d.adoptedAt !== null && (
          <>
            <dt>Adopted from ClearML&apos;s autoscaler</dt>
            <dd>{at(d.adoptedAt)} (its spend counts from here; before, it was that autoscaler&apos;s)</dd>
          </>
        )}
        <dt>Registered as a ClearML worker</dt>
        <dd>
          {d.registeredAt !== null && d.adoptedAt !== null
            ? `${at(d.registeredAt)} (already a worker when adopted)`
            : d.registeredAt !== null
              ? `${at(d.registeredAt)} (${formatDuration((d.registeredAt - (d.launchedAt ?? d.registeredAt)) / 1000)} after launch)`
              : d.endedAt !== null
                ? 'never'
                : 'not yet'}
        </dd>
        <dt>Tasks run</dt>
        <dd>
          {d.tasks.length === 0 ? (
            'none'
          ) : (
            <ul className="plain-list">
              {d.tasks.map((t) => (
                <li key={`${t.taskId}-${t.startedAt}`}>
                  {t.name ?? <span className="mono">{t.taskId}</span>}: {formatTime(t.startedAt)} →{' '}
                  {t.endedAt === null ? 'running' : formatTime(t.endedAt)}
                </li>
              ))}
            </ul>
          )}
        </dd>
        <dt>Idle since</dt>
        <dd>
          {d.idleSince === null ? '—' : `${formatTime(d.idleSince)} (${formatDuration((now - d.idleSince) / 1000)})`}
        </dd>
        <dt>Lease</dt>
        <dd>
          {d.leaseUntil === null
            ? '—'
            : `until ${formatTime(d.leaseUntil)}; the instance's watchdog powers it off if the app stops renewing it`}
        </dd>
        {d.endedAt !== null && (
          <>
            <dt>Terminated</dt>
            <dd>
              {at(d.endedAt)}
              {d.endReason && `: ${d.endReason}`}
            </dd>
          </>
        )}
      </dl>
      <h3>Price and spend</h3>
      <dl className="detail-list">
        <dt>Price</dt>
        <dd>
          {d.hourlyPrice === null ? '—' : formatRate(d.hourlyPrice)}
          {d.priceSource && <span className="muted small"> ({d.priceSource})</span>}
        </dd>
        <dt>Spend so far</dt>
        <dd data-testid="instance-spend">{d.spend === null ? '—' : formatMoneyFine(d.spend)}</dd>
      </dl>
      {d.events.length > 0 && (
        <>
          <h3>Events</h3>
          <ul className="plain-list small">
            {d.events.map((e, i) => (
              <li key={`${e.at}-${i}`}>
                {formatTime(e.at)} · {MARKER_TEXT[e.kind].one}: {e.message}
              </li>
            ))}
          </ul>
        </>
      )}
      <ConsoleTail d={d} />
    </div>
  );
}

function ConsoleTail({ d }: { d: Detail }) {
  const c = d.console;
  const pre = useRef<HTMLPreElement>(null);
  const last = c.state === 'shown' ? c.lines[c.lines.length - 1] : null;
  // The last lines are the ones that matter (where the script stopped): keep them in view.
  useEffect(() => {
    if (pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [last]);
  if (c.state === 'not-needed') return null;
  return (
    <section aria-labelledby="console-heading" className="console-tail">
      <h3 id="console-heading">EC2 console output</h3>
      {c.state === 'shown' && (
        <>
          <p className="small muted">
            The last {plural(c.lines.length, 'line')}
            {c.capturedAt !== null ? `, captured ${formatTime(c.capturedAt)}` : ''}. A broken AMI or startup script
            shows here.
          </p>
          <pre ref={pre} className="console" tabIndex={0} data-testid="console-tail">
            {c.lines.join('\n')}
          </pre>
        </>
      )}
      {c.state === 'empty' && (
        <p className="muted">EC2 has no console output for it yet; it appears a little after the instance starts.</p>
      )}
      {c.state === 'unavailable' && <p className="tone-warn">{consoleUnavailableText(c.message)}</p>}
    </section>
  );
}
