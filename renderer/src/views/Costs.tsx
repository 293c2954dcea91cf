/**
 * Costs: what runs now costs, where the money goes (queue, resource, task, spot vs on-demand, boot and idle
 * overhead), spend against each budget cap with the month-end projection marked, and the recent burn rate.
 * Where the prices come from is said once, under the totals: every figure on the page uses the same prices.
 */
import { useId, useMemo, useState } from 'react';
import { Bar, Stat, useNow } from '../components/misc.js';
import { capDisplay, monthToDateSince, shares, spendTodaySince, spotFraction, type Share } from '../model/costs.js';
import { formatMoney, formatMoneyFine, formatRate } from '../model/format.js';
import { projection } from '../model/timeline.js';
import { rangeLabel } from '../../../shared/timeline.js';
import { RangeButtons, SpendChart, useChartRange } from './Timeline.js';
import type { CapStatus } from '../../../shared/budget.js';
import type { CostSummary } from '../../../shared/domain.js';
import { useActions, useApp } from '../state/react.js';

const TOP_TASKS = 10;

export function Costs() {
  const costs = useApp((s) => s.snapshot?.costs) as CostSummary;
  const now = useNow(10_000);
  // Until the user picks a range: the shortest that holds a young history, else 6 h.
  const { hours, pick, timeline, error } = useChartRange(6, now);
  const proj = projection(costs.projectedMonth, timeline?.since ?? null, now);
  const spot = spotFraction(costs);
  return (
    <div className="view costs">
      <section className="stats stats-money" aria-label="Totals">
        <Stat label="Burn rate" value={formatRate(costs.burnPerHour)} sub="now" />
        <Stat label="Spend today" value={formatMoney(costs.spendToday)} sub={spendTodaySince(now)} />
        <Stat label="Month projection" value={proj.value} sub={proj.sub} />
        {costs.monthToDate !== undefined && (
          <Stat
            label="This month"
            value={formatMoney(costs.monthToDate)}
            sub={monthToDateSince(now, costs.spotSavings)}
          />
        )}
      </section>
      <p className="muted small price-source">
        Prices: {costs.priceSource}. Estimates; your AWS bill is authoritative.
      </p>

      <Budgets caps={costs.budgets ?? []} projectionReady={proj.ready} />

      <section className="card" aria-labelledby="burn-heading">
        <header className="card-head">
          <h2 id="burn-heading">Burn rate and spend over time</h2>
          <RangeButtons hours={hours} onChange={pick} />
        </header>
        {timeline ? (
          <>
            <p className="chart-summary small" id="burn-summary">
              Last {rangeLabel(hours)}: {formatMoney(timeline.spend)} spent, burning {formatRate(costs.burnPerHour)}{' '}
              now.
            </p>
            <div role="img" aria-labelledby="burn-summary" className="chart-frame" data-hours={hours}>
              <SpendChart timeline={timeline} />
            </div>
          </>
        ) : (
          <p className="empty">{error ? `The history could not be loaded: ${error}` : 'Loading the history…'}</p>
        )}
      </section>

      <div className="two-col">
        <Breakdown title="Burn by queue, now" items={shares(costs.byQueue)} />
        <Breakdown title="Burn by resource, now" items={shares(costs.byResource)} />
      </div>

      {(costs.spendByQueue || costs.overheadByQueue) && (
        <div className="two-col">
          {costs.spendByQueue && (
            <Breakdown
              title="Spend by queue this month"
              items={shares(costs.spendByQueue)}

              total
              empty="Nothing spent yet this month."
            />
          )}
          {costs.overheadByQueue && <Overhead overhead={costs.overheadByQueue} />}
        </div>
      )}

      {costs.byTask && <Tasks tasks={costs.byTask} />}

      <section className="card" aria-labelledby="market-heading">
        <h2 id="market-heading">Spot vs on-demand</h2>
        {spot === null ? (
          <p className="empty">Nothing is running.</p>
        ) : (
          <>
            <div
              className="stacked tall"
              role="img"
              aria-label={`spot ${formatRate(costs.spotPerHour)}, on-demand ${formatRate(costs.onDemandPerHour)}`}
            >
              <span className="seg tone-accent" style={{ flexGrow: costs.spotPerHour }} />
              <span className="seg tone-warn" style={{ flexGrow: costs.onDemandPerHour }} />
            </div>
            <p className="legend">
              <span className="swatch tone-accent" /> Spot {formatRate(costs.spotPerHour)} ({Math.round(spot * 100)}%)
              <span className="swatch tone-warn" /> On-demand {formatRate(costs.onDemandPerHour)}
            </p>
          </>
        )}
      </section>
    </div>
  );
}

function Breakdown({
  title,
  items,
  total = false,
  empty = 'Nothing is running.',
}: {
  title: string;
  items: Share[];
  total?: boolean;
  empty?: string;
}) {
  const id = useId();
  return (
    <section className="card" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {items.length === 0 ? (
        <p className="empty">{empty}</p>
      ) : (
        <ul className="bars" aria-labelledby={id}>
          {items.map((s) => (
            <li key={s.label}>
              <span className="bars-label">{s.label}</span>
              <Bar fraction={s.fraction} />
              <span className="bars-value">{total ? formatMoneyFine(s.perHour) : formatRate(s.perHour)}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

const pct = (f: number) => `${(f * 100).toFixed(2)}%`;

function Budgets({ caps, projectionReady }: { caps: CapStatus[]; projectionReady: boolean }) {
  const actions = useActions();
  return (
    <section className="card" aria-labelledby="budget-heading">
      <h2 id="budget-heading">Budget caps</h2>
      {caps.length === 0 ? (
        <p className="empty">
          No budget cap is set.{' '}
          <button type="button" className="link" onClick={() => actions.setView('settings')}>
            Set caps in Settings
          </button>
        </p>
      ) : (
        <>
          <ul className="caps">
            {caps.map((c) => (
              <CapMeter key={c.id} cap={c} projectionReady={projectionReady} />
            ))}
          </ul>
          <p className="legend small muted" aria-hidden="true">
            <span className="key key-spent" /> spent <span className="key key-proj" /> projected by month end (monthly
            caps) <span className="key key-limit" /> the cap, when spend or the projection goes past it
          </p>
        </>
      )}
    </section>
  );
}

function CapMeter({ cap: c, projectionReady }: { cap: CapStatus; projectionReady: boolean }) {
  const b = capDisplay(c, projectionReady);
  const tone = b.tone;
  return (
    <li className={`cap cap-${b.state}`} data-cap-id={c.id} data-cap-state={b.state}>
      <div className="cap-head">
        <span className="cap-label">{b.label}</span>
        <span className={`pill tone-${tone}`}>{b.badge}</span>
        <span className="bars-value">{b.figure}</span>
      </div>
      <div className="cap-track" role="img" aria-label={`${b.label}: ${b.text}`}>
        <span className={`cap-fill tone-${tone}`} style={{ width: pct(b.spent) }} />
        {b.limit < 1 && <span className="cap-limit" style={{ left: pct(b.limit) }} />}
        {b.projected !== null && (
          <span
            className={`cap-proj${b.projectedOffScale ? ' off-scale' : ''}`}
            style={{ left: `min(${pct(b.projected)}, calc(100% - 2px))` }}
          />
        )}
      </div>
      <p className="cap-text small muted">{b.text}</p>
    </li>
  );
}

function Overhead({ overhead }: { overhead: Record<string, { boot: number; idle: number }> }) {
  const rows = Object.entries(overhead).sort((a, b) => b[1].boot + b[1].idle - (a[1].boot + a[1].idle));
  return (
    <section className="card" aria-labelledby="overhead-heading">
      <h2 id="overhead-heading">Idle and boot overhead this month</h2>
      <p className="muted small">What keeping each queue served costs beyond task time: booting and idle waiting.</p>
      {rows.length === 0 ? (
        <p className="empty">No overhead yet this month.</p>
      ) : (
        <table className="mini-table" aria-labelledby="overhead-heading">
          <thead>
            <tr>
              <th scope="col">Queue</th>
              <th scope="col" className="num">
                Booting
              </th>
              <th scope="col" className="num">
                Idle
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map(([queue, o]) => (
              <tr key={queue}>
                <th scope="row">{queue}</th>
                <td className="num">{formatMoneyFine(o.boot)}</td>
                <td className="num">{formatMoneyFine(o.idle)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Tasks({ tasks }: { tasks: NonNullable<CostSummary['byTask']> }) {
  const [all, setAll] = useState(false);
  const sorted = useMemo(() => [...tasks].sort((a, b) => b.cost - a.cost), [tasks]);
  const shown = all ? sorted : sorted.slice(0, TOP_TASKS);
  return (
    <section className="card" aria-labelledby="tasks-heading">
      <header className="card-head">
        <h2 id="tasks-heading">Spend by ClearML task this month</h2>
        {sorted.length > TOP_TASKS && (
          <button type="button" className="small" onClick={() => setAll(!all)}>
            {all ? `Show the top ${TOP_TASKS}` : `Show all ${sorted.length}`}
          </button>
        )}
      </header>
      <p className="muted small">
        Each task’s running time on an instance of this app, at that instance’s price. Boot and idle time are in the
        overhead.
      </p>
      {sorted.length === 0 ? (
        <p className="empty">No task has run on an instance of this app this month yet.</p>
      ) : (
        <table className="mini-table tasks-table" aria-labelledby="tasks-heading">
          <thead>
            <tr>
              <th scope="col">Task</th>
              <th scope="col">Queue</th>
              <th scope="col" className="num">
                Cost
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((t) => (
              <tr key={t.taskId}>
                <th scope="row" title={`task id ${t.taskId}`}>
                  {t.name ?? <span className="mono">{t.taskId}</span>}
                </th>
                <td>{t.queue}</td>
                <td className="num">{formatMoneyFine(t.cost)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
