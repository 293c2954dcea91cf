/**
 * Costs: what runs now costs, where the money goes (queue, resource, task, spot vs on-demand, boot and idle
 * overhead), spend against each budget cap with the month-end projection marked, and the recent burn rate.
 * Every card says where its prices come from.
 */
import { ChartData } from '../components/ChartData.js';
import { stepChanges } from '../model/chart-data.js';
import { useId, useMemo, useState, type ReactNode } from 'react';
import { Bar, Stat, useNow, useWidth } from '../components/misc.js';
import { capBar, costChart, shares, spotFraction, type Share } from '../model/costs.js';
import { formatMoney, formatMoneyFine, formatRate, formatTime } from '../model/format.js';
import type { CapStatus } from '../../../shared/budget.js';
import type { CostSummary } from '../../../shared/domain.js';
import { useActions, useApp } from '../state/react.js';

const RANGES = [1, 6, 24] as const;
const TOP_TASKS = 10;

export function Costs() {
  const costs = useApp((s) => s.snapshot?.costs) as CostSummary;
  const [hours, setHours] = useState<(typeof RANGES)[number]>(6);
  const spot = spotFraction(costs);
  const prices = <PriceNote source={costs.priceSource} />;
  return (
    <div className="view costs">
      <section className="stats stats-money" aria-label="Totals">
        <Stat label="Burn rate" value={formatRate(costs.burnPerHour)} sub="now" />
        <Stat label="Spend today" value={formatMoney(costs.spendToday)} />
        <Stat label="Month projection" value={formatMoney(costs.projectedMonth)} sub="at today's pattern" />
        {costs.monthToDate !== undefined && (
          <Stat
            label="This month"
            value={formatMoney(costs.monthToDate)}
            sub={costs.spotSavings ? `spot saved ${formatMoney(costs.spotSavings)}` : 'since the 1st (UTC)'}
          />
        )}
      </section>
      <p className="muted small price-source">
        Prices: {costs.priceSource}. Estimates; your AWS bill is authoritative.
      </p>

      <Budgets caps={costs.budgets ?? []} prices={prices} />

      <section className="card" aria-labelledby="burn-heading">
        <header className="card-head">
          <h2 id="burn-heading">Burn rate over time</h2>
          <div role="radiogroup" aria-label="Time range" className="segmented">
            {RANGES.map((h) => (
              <button
                key={h}
                type="button"
                role="radio"
                aria-checked={hours === h}
                className={hours === h ? 'active' : ''}
                onClick={() => setHours(h)}
              >
                {h} h
              </button>
            ))}
          </div>
        </header>
        <BurnChart history={costs.history} hours={hours} />
        {prices}
      </section>

      <div className="two-col">
        <Breakdown title="Burn by queue, now" items={shares(costs.byQueue)} prices={prices} />
        <Breakdown title="Burn by resource, now" items={shares(costs.byResource)} prices={prices} />
      </div>

      {(costs.spendByQueue || costs.overheadByQueue) && (
        <div className="two-col">
          {costs.spendByQueue && (
            <Breakdown
              title="Spend by queue this month"
              items={shares(costs.spendByQueue)}
              prices={prices}
              total
              empty="Nothing spent yet this month."
            />
          )}
          {costs.overheadByQueue && <Overhead overhead={costs.overheadByQueue} prices={prices} />}
        </div>
      )}

      {costs.byTask && <Tasks tasks={costs.byTask} prices={prices} />}

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
        {prices}
      </section>
    </div>
  );
}

/** The footnote on every card: which prices its figures were computed from. */
function PriceNote({ source }: { source: string }) {
  return <p className="muted small price-note">Prices: {source}</p>;
}

function Breakdown({
  title,
  items,
  prices,
  total = false,
  empty = 'Nothing is running.',
}: {
  title: string;
  items: Share[];
  prices: ReactNode;
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
      {prices}
    </section>
  );
}

const CAP_TONE: Record<CapStatus['state'], string> = { ok: 'accent', near: 'warn', reached: 'error' };
const CAP_STATE_TEXT: Record<CapStatus['state'], string> = { ok: 'ok', near: 'near', reached: 'reached' };
const pct = (f: number) => `${(f * 100).toFixed(2)}%`;

function Budgets({ caps, prices }: { caps: CapStatus[]; prices: ReactNode }) {
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
              <CapMeter key={c.id} cap={c} />
            ))}
          </ul>
          <p className="legend small muted" aria-hidden="true">
            <span className="key key-spent" /> spent <span className="key key-proj" /> projected by month end (monthly
            caps) <span className="key key-limit" /> the cap, when spend or the projection goes past it
          </p>
        </>
      )}
      {prices}
    </section>
  );
}

function CapMeter({ cap: c }: { cap: CapStatus }) {
  const b = capBar(c);
  const tone = CAP_TONE[c.state];
  return (
    <li className={`cap cap-${c.state}`} data-cap-id={c.id}>
      <div className="cap-head">
        <span className="cap-label">{c.label}</span>
        <span className={`pill tone-${tone}`}>{CAP_STATE_TEXT[c.state]}</span>
        <span className="bars-value">
          {c.kind === 'hourly' ? formatRate(c.spent) : formatMoney(c.spent)} of{' '}
          {c.kind === 'hourly' ? formatRate(c.limit) : formatMoney(c.limit)}
        </span>
      </div>
      <div className="cap-track" role="img" aria-label={`${c.label}: ${b.text}`}>
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

function Overhead({
  overhead,
  prices,
}: {
  overhead: Record<string, { boot: number; idle: number }>;
  prices: ReactNode;
}) {
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
      {prices}
    </section>
  );
}

function Tasks({ tasks, prices }: { tasks: NonNullable<CostSummary['byTask']>; prices: ReactNode }) {
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
      {prices}
    </section>
  );
}

function BurnChart({ history, hours }: { history: CostSummary['history']; hours: number }) {
  const now = useNow(10_000);
  const [ref, width] = useWidth<HTMLDivElement>(640);
  const g = useMemo(
    () => costChart(history, now, { width, height: 200, padLeft: 64, padBottom: 22, hours }),
    [history, now, hours, width],
  );
  const table = useMemo(
    () =>
      stepChanges(
        history.map((p) => ({ at: p.at, value: p.burnPerHour })),
        g.from,
      ),
    [history, g.from],
  );
  const last = history[history.length - 1];
  const label = last
    ? `Burn rate over the last ${hours} hours; now ${formatRate(last.burnPerHour)}, axis up to ${formatRate(g.maxY)}`
    : 'No cost history yet';
  return (
    <div ref={ref} className="chart-box">
      <svg
        className="chart"
        width={g.width}
        height={g.height}
        viewBox={`0 0 ${g.width} ${g.height}`}
        role="img"
        aria-label={label}
      >
        {g.yTicks.map((t) => (
          <g key={t.value}>
            <line className="grid" x1={64} x2={g.width} y1={t.y} y2={t.y} />
            <text className="axis" x={58} y={t.y + 4} textAnchor="end">
              {formatRate(t.value)}
            </text>
          </g>
        ))}
        {g.xTicks.map((t) => (
          <text key={t.at} className="axis" x={t.x} y={g.height - 6} textAnchor="middle">
            {formatTime(t.at).slice(0, 5)}
          </text>
        ))}
        {g.area && <path className="area" d={g.area} />}
        {g.line && <path className="line" d={g.line} />}
        {g.line === '' && (
          <text className="axis" x={g.width / 2} y={g.height / 2} textAnchor="middle">
            Not enough history yet: the chart fills in as the engine polls.
          </text>
        )}
      </svg>
      <ChartData
        caption="Burn rate changes"
        columns={['From', 'Burn rate']}
        rows={table.rows.map((r) => ({ key: r.at, label: formatTime(r.at), value: formatRate(r.value) }))}
        note={table.omitted ? `${table.omitted} earlier changes not listed.` : undefined}
      />
    </div>
  );
}
