/**
 * Overview: the on/off switch, status in words with what to do, the numbers that matter (money first), and a
 * danger area with the two ways to terminate: scale to zero (what this view shows) and stop everything (every
 * region, autoscaling off).
 */
import { useId, useState } from 'react';
import { AdoptPrompt } from '../components/AdoptPrompt.js';
import { LeadershipBanner } from '../components/LeadershipBanner.js';
import { ConfirmDialog, Dialog, DialogText } from '../components/Dialog.js';
import { CapCell, Stat, TableScroll, useNow } from '../components/misc.js';
import { spendTodaySince } from '../model/costs.js';
import { Switch } from '../components/Switch.js';
import { formatAgo, formatDuration, formatMoney, formatRate, plural } from '../model/format.js';
import {
  overviewModel,
  pauseStateText,
  scaleToZeroLine,
  queueFigure,
  scaleToZeroText,
  UNKNOWN,
  withClearml,
} from '../model/overview.js';
import {
  STOP_EVERYTHING_CONSEQUENCE,
  summarizeStopEverything,
  type StopEverythingSummary,
} from '../model/stop-everything.js';
import type { Snapshot, StatusFix } from '../../../shared/domain.js';
import { describeError } from '../state/app-store.js';
import { useActions, useApp, usePending } from '../state/react.js';
import { projection } from '../model/timeline.js';
import { roleLimit } from '../model/team.js';
import { TimelineCard, useChartRange } from './Timeline.js';

/** The button that opens the view where an error is fixed. */
const FIX_LABELS: Record<StatusFix, string> = { credentials: 'Open Credentials', settings: 'Open Settings' };

export function Overview() {
  const s = useApp((st) => st.snapshot) as Snapshot;
  const now = useNow(1000);
  const actions = useActions();
  const enabling = usePending('enabled');
  const pausing = usePending('launchesPaused');
  const scaling = usePending('scaleToZero');
  const [confirmZero, setConfirmZero] = useState(false);
  const [confirmStop, setConfirmStop] = useState(false);
  const [lastStop, setLastStop] = useState<StopEverythingSummary | null>(null);
  const reasonId = useId();
  const pauseId = useId();
  // Until the user picks a range: 15 min while the history is younger than that (a fresh start, the demo), else 1 h.
  const { hours, pick, timeline, error: timelineError } = useChartRange(1, now);
  const setup = useApp((st) => ({
    // The demo runs its own config; attached to a team engine, config.get answers the team's.
    configured: st.config === null ? null : st.config.config !== null || st.config.demo,
    draftUnsaved: st.settingsForm?.dirty ?? false,
  }));
  const m = overviewModel(s, now, setup);
  const known = m.queuesUnknown === null;
  const proj = projection(m.projectedMonth, timeline?.since ?? null, now);
  const capWarnings = (s.costs.budgets ?? []).filter((c) => c.state !== 'ok');
  const live = s.instances.filter((i) => i.phase !== 'terminating' && i.state !== 'terminated').length;
  // Attached to a team engine: what this token's role may not do, said beside the disabled control.
  const toggleLimit = roleLimit(s.remote, 'autoscaler:engine.setEnabled');
  const pauseLimit = roleLimit(s.remote, 'autoscaler:engine.setLaunchesPaused');
  const zeroLimit = roleLimit(s.remote, 'autoscaler:engine.scaleToZero');
  const stopLimit = roleLimit(s.remote, 'autoscaler:engine.stopEverything');

  return (
    <div className="view overview">
      <section className={`card status-card tone-${m.tone}`} aria-labelledby="status-heading">
        <div className="status-row">
          <Switch
            label="Autoscaling"
            checked={s.enabled}
            pending={enabling}
            onText="Autoscaling on"
            offText="Autoscaling off"
            describedBy={reasonId}
            keyShortcuts="Alt+A"
            disabled={toggleLimit !== null}
            onChange={(v) => void actions.setEnabled(v)}
          />
          <div className="status-text" id={reasonId}>
            <h2 id="status-heading">
              <span className={`pill tone-${m.tone}`}>{m.statusLabel}</span>
              {s.dryRun && <span className="pill tone-warn">Dry run</span>}
            </h2>
            <p className="status-reason">{m.reason}</p>
            {toggleLimit && (
              <p className="small muted" data-testid="role-limit">
                {toggleLimit}
              </p>
            )}
            {m.advice && <p className="status-advice">{m.advice}</p>}
            {m.fix.length > 0 && (
              <div className="toolbar status-fix">
                {m.fix.map((f) => (
                  <button key={f} type="button" className="small" onClick={() => actions.setView(f)}>
                    {FIX_LABELS[f]}
                  </button>
                ))}
              </div>
            )}
            {capWarnings.map((c) => (
              <p key={c.id} className={`status-advice tone-${c.state === 'reached' ? 'error' : 'warn'}`}>
                Budget: {c.label}
                {c.state === 'unknown'
                  ? ''
                  : ` ${c.state === 'reached' ? 'reached' : 'nearly reached'} (${Math.round(c.share * 100)}%)`}
                . See Costs.
              </p>
            ))}
          </div>
        </div>
        <p className={`tick-age${m.stale ? ' tone-warn' : ''}`}>
          Last successful poll: <strong>{formatAgo(s.lastTickOkAt, now)}</strong>
          {s.lastTickAt !== null && s.lastTickAt !== s.lastTickOkAt && (
            <> · last attempt {formatAgo(s.lastTickAt, now)}</>
          )}
        </p>
      </section>

      <LeadershipBanner view={s.leadership} />
      <AdoptPrompt adoptable={s.adoptable ?? []} />

      <section aria-label="Instances and tasks" className="stats">
        <Stat
          label="Running"
          value={m.running}
          sub={`${withClearml('EC2 instances', m.fromClearml.running)}${m.stopped ? `; ${m.stopped}` : ''}`}
        />
        <Stat
          label="Busy"
          value={m.busy}
          sub={withClearml('running a task', m.fromClearml.busy)}
          tone={m.busy ? 'ok' : undefined}
        />
        <Stat label="Booting" value={m.booting} sub="not yet a worker" tone={m.booting ? 'busy' : undefined} />
        <Stat label="Idle" value={m.idle} sub={withClearml('waiting for tasks', m.fromClearml.idle)} />
        <Stat
          label="Queued tasks"
          value={m.pendingTasks ?? UNKNOWN}
          sub={m.queuesUnknown ?? plural(s.queues.length, 'queue')}
        />
      </section>

      <section aria-label="Cost" className="stats stats-money">
        <Stat label="Burn rate" value={formatRate(m.burnPerHour)} sub="cost of what runs now" />
        <Stat label="Spend today" value={formatMoney(m.spendToday)} sub={spendTodaySince(now)} />
        <Stat label="Month projection" value={proj.value} sub={proj.sub} />
      </section>
      <p className="muted small price-source">Prices: {s.costs.priceSource}</p>

      <TimelineCard hours={hours} onHours={pick} timeline={timeline} error={timelineError} />

      {s.queues.length > 0 && (
        <section className="card" aria-labelledby="glance-heading">
          <h2 id="glance-heading">Queues at a glance</h2>
          <TableScroll label="Queues at a glance">
            <table className="mini-table glance">
              <thead>
                <tr>
                  <th scope="col">Queue</th>
                  <th scope="col">Queued</th>
                  <th scope="col">Oldest wait</th>
                  <th scope="col">Workers (busy · idle · booting)</th>
                  <th scope="col">Capacity</th>
                </tr>
              </thead>
              <tbody>
                {s.queues.map((q) => {
                  const cap = q.resources.reduce((n, r) => n + r.maxInstances, 0);
                  const used = q.resources.reduce((n, r) => n + r.running, 0);
                  return (
                    <tr key={q.name}>
                      <th scope="row">
                        {q.name}
                        {q.paused && <span className="pill tone-warn">paused</span>}
                      </th>
                      <td className={known && q.pending ? 'tone-busy strong' : ''}>{queueFigure(q.pending, known)}</td>
                      <td>{known ? formatDuration(q.oldestWaitSec) : UNKNOWN}</td>
                      <td>
                        <span className="tone-ok">{queueFigure(q.busy, known)}</span> · {queueFigure(q.idle, known)} ·{' '}
                        <span className="tone-busy">{queueFigure(q.booting, known)}</span>
                      </td>
                      <CapCell used={used} cap={cap} />
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </TableScroll>
        </section>
      )}

      <section className="card controls" aria-label="Controls">
        <Switch
          label="Pause new launches"
          checked={s.launchesPaused}
          pending={pausing}
          onText="Pause new launches"
          offText="Pause new launches"
          describedBy={pauseId}
          disabled={pauseLimit !== null}
          onChange={(v) => void actions.setLaunchesPaused(v)}
        />
        {pauseLimit && <p className="small muted">{pauseLimit}</p>}
        <p id={pauseId} className={`small${s.launchesPaused ? ' tone-warn' : ' muted'}`} data-testid="pause-state">
          {pauseStateText(s)}
        </p>
      </section>

      <section className="card danger-zone" aria-labelledby="danger-heading">
        <h2 id="danger-heading">Danger zone</h2>
        <div className="danger-row">
          <div>
            <strong>Scale to zero</strong>
            <p className="muted small">{scaleToZeroLine(s)}</p>
          </div>
          <button
            type="button"
            className="danger"
            disabled={scaling || live === 0 || zeroLimit !== null}
            title={zeroLimit ?? undefined}
            onClick={() => setConfirmZero(true)}
          >
            Scale to zero…
          </button>
        </div>
        <div className="danger-row">
          <div>
            <strong>Stop everything</strong>
            <p className="muted small">
              The kill switch: every instance this app launched in every region, busy ones included, and autoscaling
              off.
            </p>
          </div>
          <button
            type="button"
            className="danger"
            disabled={stopLimit !== null}
            title={stopLimit ?? undefined}
            onClick={() => setConfirmStop(true)}
          >
            Stop everything…
          </button>
        </div>
        {(zeroLimit ?? stopLimit) && <p className="small muted">{stopLimit ?? zeroLimit}</p>}
        {lastStop && !confirmStop && <StopResult summary={lastStop} />}
      </section>

      {confirmZero && (
        <ConfirmDialog
          title="Terminate every instance?"
          confirmLabel={`Terminate ${plural(live, 'instance')}`}
          onConfirm={() => void actions.scaleToZero()}
          onClose={() => setConfirmZero(false)}
        >
          <p>{scaleToZeroText(live, m.busy, formatRate(m.burnPerHour))}</p>
          <p>
            New launches are then paused (switch “Pause new launches” off to allow them again); autoscaling stays{' '}
            {s.enabled ? 'on' : 'off'}. Instances in other regions are not touched: use Stop everything for those.
          </p>
        </ConfirmDialog>
      )}

      {confirmStop && (
        <StopEverythingDialog live={live} busy={m.busy} onClose={() => setConfirmStop(false)} onDone={setLastStop} />
      )}
    </div>
  );
}

function StopResult({ summary }: { summary: StopEverythingSummary }) {
  return (
    <div className={`stop-result tone-${summary.tone}`} role="status">
      <p className="strong">{summary.headline}</p>
      {summary.regions.length > 0 && (
        <ul className="region-results" aria-label="Result by region">
          {summary.regions.map((r) => (
            <li key={r.region} className={r.ok ? '' : 'tone-error'}>
              <strong className="mono">{r.region}</strong>: {r.text}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function StopEverythingDialog({
  live,
  busy,
  onClose,
  onDone,
}: {
  live: number;
  busy: number;
  onClose: () => void;
  onDone: (s: StopEverythingSummary) => void;
}) {
  const actions = useActions();
  const running = usePending('stopEverything');
  const [result, setResult] = useState<StopEverythingSummary | null>(null);
  const [error, setError] = useState<string | null>(null);

  const run = async () => {
    setError(null);
    const r = await actions.stopEverything();
    if (!r.ok) {
      setError(`Nothing was confirmed as stopped: ${describeError(r.error)}`);
      return;
    }
    const summary = summarizeStopEverything(r.value);
    setResult(summary);
    onDone(summary);
  };

  return (
    <Dialog
      title={result ? 'Stop everything: result' : 'Stop everything?'}
      tone="danger"
      onClose={onClose}
      footer={
        result ? (
          <button type="button" autoFocus onClick={onClose}>
            Close
          </button>
        ) : (
          <>
            <button type="button" data-autofocus onClick={onClose}>
              Cancel
            </button>
            <button type="button" className="danger" disabled={running} onClick={() => void run()}>
              {running ? 'Stopping…' : 'Stop everything'}
            </button>
          </>
        )
      }
    >
      {result ? (
        <StopResult summary={result} />
      ) : (
        <>
          <DialogText>
            <p>{STOP_EVERYTHING_CONSEQUENCE}</p>
            <p className="muted">
              This view shows {plural(live, 'live instance')} ({plural(busy, 'busy one')}); the sweep also finds
              instances in regions this view does not show.
            </p>
          </DialogText>
          {error && (
            <p className="tone-error" role="alert">
              {error}
            </p>
          )}
        </>
      )}
    </Dialog>
  );
}
