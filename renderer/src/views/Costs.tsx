/** Costs: what runs now costs, where the money goes (queue, resource, spot vs on-demand), and its recent history. */
import { useId, useMemo, useState } from 'react';
import { Bar, Stat, useNow, useWidth } from '../components/misc.js';
import { costChart, shares, spotFraction, type Share } from '../model/costs.js';
import { formatMoney, formatRate, formatTime } from '../model/format.js';
import type { CapStatus } from '../../../shared/budget.js';
import type { CostSummary } from '../../../shared/domain.js';
import { useApp } from '../state/react.js';

const RANGES = [1, 6, 24] as const;

export function Costs() {
  const costs = useApp((s) => s.snapshot?.costs) as CostSummary;
  const [hours, setHours] = useState<(typeof RANGES)[number]>(6);
  const spot = spotFraction(costs);
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

      {costs.budgets && costs.budgets.length > 0 && <Budgets caps={costs.budgets} />}

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
      </section>

      <div className="two-col">
        <Breakdown title="By queue" items={shares(costs.byQueue)} />
        <Breakdown title="By resource" items={shares(costs.byResource)} />
      </div>

      {(costs.spendByQueue || costs.overheadByQueue) && (
        <div className="two-col">
          {costs.spendByQueue && <Breakdown title="This month by queue" items={shares(costs.spendByQueue)} total />}
          {costs.overheadByQueue && <Overhead overhead={costs.overheadByQueue} />}
        </div>
      )}

      {costs.byTask && costs.byTask.length > 0 && <TopTasks tasks={costs.byTask} />}

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
        <p className="muted small">Prices: {costs.priceSource}. Estimates; your AWS bill is authoritative.</p>
      </section>
    </div>
  );
}

function Breakdown({ title, items, total = false }: { title: string; items: Share[]; total?: boolean }) {
  const id = useId();
  return (
    <section className="card" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {items.length === 0 ? (
        <p className="empty">Nothing is running.</p>
      ) : (
        <ul className="bars">
          {items.map((s) => (
            <li key={s.label}>
              <span className="bars-label">{s.label}</span>
              <Bar fraction={s.fraction} />
              <span className="bars-value">{total ? formatMoney(s.perHour) : formatRate(s.perHour)}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

const CAP_TONE: Record<CapStatus['state'], string> = { ok: 'accent', near: 'warn', reached: 'error' };

function Budgets({ caps }: { caps: CapStatus[] }) {
  return (
    <section className="card" aria-labelledby="budget-heading">
      <h2 id="budget-heading">Budget caps</h2>
      <ul className="bars budgets">
        {caps.map((c) => (
          <li key={c.id}>
            <span className="bars-label">
              {c.label}
              {c.state !== 'ok' && <span className={`pill tone-${CAP_TONE[c.state]}`}>{c.state}</span>}
            </span>
            <Bar fraction={c.share} tone={CAP_TONE[c.state]} />
            <span className="bars-value">
              {c.kind === 'hourly' ? formatRate(c.spent) : formatMoney(c.spent)} of{' '}
              {c.kind === 'hourly' ? formatRate(c.limit) : formatMoney(c.limit)}
              {c.kind === 'monthly' && (
                <span className="muted small"> · projected {formatMoney(c.projectedMonth)}</span>
              )}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Overhead({ overhead }: { overhead: Record<string, { boot: number; idle: number }> }) {
  const rows = Object.entries(overhead).sort((a, b) => b[1].boot + b[1].idle - (a[1].boot + a[1].idle));
  return (
    <section className="card" aria-labelledby="overhead-heading">
      <h2 id="overhead-heading">Overhead this month</h2>
      <p className="muted small">What keeping each queue served costs beyond task time: booting and idle waiting.</p>
      <table className="mini-table">
        <thead>
          <tr>
            <th scope="col">Queue</th>
            <th scope="col">Booting</th>
            <th scope="col">Idle</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([queue, o]) => (
            <tr key={queue}>
              <th scope="row">{queue}</th>
              <td>{formatMoney(o.boot)}</td>
              <td>{formatMoney(o.idle)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function TopTasks({ tasks }: { tasks: NonNullable<CostSummary['byTask']> }) {
  const top = [...tasks].sort((a, b) => b.cost - a.cost).slice(0, 10);
  return (
    <section className="card" aria-labelledby="tasks-heading">
      <h2 id="tasks-heading">Most expensive tasks this month</h2>
      <table className="mini-table">
        <thead>
          <tr>
            <th scope="col">Task</th>
            <th scope="col">Queue</th>
            <th scope="col">Cost</th>
          </tr>
        </thead>
        <tbody>
          {top.map((t) => (
            <tr key={t.taskId}>
              <th scope="row" title={t.taskId}>
                {t.name ?? t.taskId}
              </th>
              <td>{t.queue}</td>
              <td>{formatMoney(t.cost)}</td>
            </tr>
          ))}
        </tbody>
      </table>
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
    </div>
  );
}
