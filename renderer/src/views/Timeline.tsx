/**
 * The scaling timeline (Overview) and the spend chart (Overview and Costs), both read from the engine's history
 * (`autoscaler:timeline.get`). Each chart comes with its text alternative: a one-paragraph summary the chart is
 * labelled by, and the numbers behind it as tables under a disclosure.
 */
import { TableScroll } from '../components/misc.js';
import {
  useCallback,
  useEffect,
  useId,
  useMemo,
  useRef,
  useState,
  type KeyboardEvent as ReactKeyboardEvent,
} from 'react';
import uPlot from 'uplot';
import {
  applyTimeline,
  openingRange,
  rangeLabel,
  TIMELINE_RANGES,
  timelineAfter,
  type Timeline,
  type TimelineRange,
} from '../../../shared/timeline.js';
import {
  markerColor,
  markersPlugin,
  timeAxisValues,
  UPlot,
  usePalette,
  type Palette,
} from '../components/TimeChart.js';
import { formatMoney, formatMoneyFine, formatRate, formatTime } from '../model/format.js';
import {
  MARKER_TEXT,
  markersFor,
  stacked,
  summarize,
  tableRows,
  timelineSeries,
  type TimelineSeries,
} from '../model/timeline.js';
import { useActions, useApp } from '../state/react.js';
import { InstanceDetailDialog } from './InstanceDetail.js';

/** How often an open chart asks for new history: about every poll of the demo, cheap for the engine. */
const REFRESH_MS = 3000;

/**
 * The timeline for `hours`, refreshed while mounted and whenever a new snapshot arrives (at most every 3 s). A
 * refresh asks only for what is new after the last point held (a delta of a point or two, `applyTimeline`); the
 * whole range is asked for when the range changes or a delta does not fit what is held.
 */
export function useTimeline(hours: TimelineRange): { timeline: Timeline | null; error: string | null } {
  const actions = useActions();
  const rev = useApp((s) => s.snapshot?.lastTickOkAt ?? null);
  const [state, setState] = useState<{ timeline: Timeline | null; error: string | null }>({
    timeline: null,
    error: null,
  });
  const held = useRef<Timeline | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => setTick((n) => n + 1), REFRESH_MS);
    return () => clearInterval(t);
  }, []);
  useEffect(() => {
    let live = true;
    const ask = async (after: number | undefined) => {
      const r = await actions.timeline(hours, after);
      if (!live) return;
      if (!r.ok) return setState((s) => ({ timeline: s.timeline, error: r.error.message }));
      const next = applyTimeline(held.current, r.value);
      if (!next) return void ask(undefined);
      held.current = next;
      setState({ timeline: next, error: null });
    };
    void ask(timelineAfter(held.current, hours));
    return () => {
      live = false;
    };
  }, [actions, hours, rev, tick]);
  return state;
}

/**
 * A chart's range and its timeline: the range the user picked, and until then `openingRange` over the history seen
 * so far (so a fresh start opens on 15 min, and the chart widens to `preferred` as the history grows).
 */
export function useChartRange(
  preferred: TimelineRange,
  now: number,
): { hours: TimelineRange; pick: (h: TimelineRange) => void; timeline: Timeline | null; error: string | null } {
  const [picked, setPicked] = useState<TimelineRange | null>(null);
  const [since, setSince] = useState<number | null>(null);
  const hours = picked ?? openingRange(since === null ? null : now - since, preferred);
  const { timeline, error } = useTimeline(hours);
  // The history's start is the same whatever the range asked for: kept to choose the next render's range.
  if (timeline && timeline.since !== since) setSince(timeline.since);
  return { hours, pick: setPicked, timeline, error };
}

/**
 * The ARIA radio group pattern on buttons (styled as a segmented control): one tab stop, the checked range; the
 * arrow keys move the choice and the focus together, Home and End go to the ends.
 */
export function RangeButtons({ hours, onChange }: { hours: TimelineRange; onChange: (h: TimelineRange) => void }) {
  const refs = useRef(new Map<TimelineRange, HTMLButtonElement>());
  const onKeyDown = (e: ReactKeyboardEvent) => {
    const i = TIMELINE_RANGES.indexOf(hours);
    const n = TIMELINE_RANGES.length;
    const to =
      e.key === 'ArrowRight' || e.key === 'ArrowDown'
        ? (i + 1) % n
        : e.key === 'ArrowLeft' || e.key === 'ArrowUp'
          ? (i - 1 + n) % n
          : e.key === 'Home'
            ? 0
            : e.key === 'End'
              ? n - 1
              : null;
    if (to === null) return;
    e.preventDefault();
    const h = TIMELINE_RANGES[to]!;
    onChange(h);
    refs.current.get(h)?.focus();
  };
  return (
    <div role="radiogroup" aria-label="Time range" className="segmented" onKeyDown={onKeyDown}>
      {TIMELINE_RANGES.map((h) => (
        <button
          key={h}
          ref={(el) => {
            if (el) refs.current.set(h, el);
            else refs.current.delete(h);
          }}
          type="button"
          role="radio"
          aria-checked={hours === h}
          tabIndex={hours === h ? 0 : -1}
          className={hours === h ? 'active' : ''}
          onClick={() => onChange(h)}
        >
          {rangeLabel(h)}
        </button>
      ))}
    </div>
  );
}

const HEIGHT = 220;

function axisBase(p: Palette): uPlot.Axis {
  return {
    stroke: p.muted,
    grid: { stroke: p.grid, width: 1 },
    ticks: { stroke: p.grid, width: 1 },
    font: '12px system-ui, sans-serif',
  };
}

/** The x axis always spans the chosen range, however little history there is. */
function xScale(t: () => Timeline): uPlot.Scale {
  return { time: true, range: () => [t().from / 1000, t().to / 1000] };
}

/**
 * The latest value, for option callbacks: the plot is created once per palette and fed new data every few
 * seconds, so its callbacks read the current timeline instead of being rebuilt with it.
 */
function useLatest<T>(value: T): () => T {
  const ref = useRef(value);
  ref.current = value;
  return useCallback(() => ref.current, []);
}

/** Counts and rates hold between two polls: drawn as steps, not slopes. */
const uPlotStepped = (): uPlot.Series.PathBuilder => uPlot.paths.stepped!({ align: 1 });

/** Instances per queue stacked as busy, idle and booting, tasks waiting on top, events as markers. */
export function ScalingChart({ timeline, queue }: { timeline: Timeline; queue: string | null }) {
  const p = usePalette();
  const s = useMemo(() => timelineSeries(timeline, queue), [timeline, queue]);
  const markers = useMemo(() => markersFor(timeline, queue), [timeline, queue]);
  const data = useMemo<uPlot.AlignedData>(() => {
    const st = stacked(s);
    return [s.xs, st.booting, st.idle, st.busy, s.pending] as uPlot.AlignedData;
  }, [s]);
  const raw = useLatest([s.booting, s.idle, s.busy, s.pending]);
  const current = useLatest(timeline);
  const currentMarkers = useLatest(markers);
  const make = useCallback(
    (width: number, height: number): uPlot.Options => {
      const step = { paths: uPlotStepped() };
      const count = (i: number) => (_u: uPlot, _v: number, _si: number, idx: number | null) =>
        idx === null ? '—' : String(raw()[i]![idx] ?? '—');
      return {
        width,
        height,
        scales: { x: xScale(current), y: { range: (_u, _min, max) => [0, Math.max(4, Math.ceil(max * 1.15))] } },
        axes: [
          { ...axisBase(p), values: timeAxisValues },
          { ...axisBase(p), label: 'instances · tasks', labelSize: 18, size: 44 },
        ],
        cursor: { drag: { x: false, y: false }, points: { show: false } },
        legend: { show: true, live: true },
        series: [
          { value: (_u, v) => (v === null ? '—' : formatTime(v * 1000)) },
          { label: 'Booting', stroke: p.busy, fill: p.busySoft, width: 1, ...step, value: count(0) },
          { label: 'Idle', stroke: p.accent, fill: p.accentSoft, width: 1, ...step, value: count(1) },
          { label: 'Busy', stroke: p.ok, fill: p.okSoft, width: 1, ...step, value: count(2) },
          { label: 'Tasks waiting', stroke: p.error, width: 2, dash: [6, 4], ...step, value: count(3) },
        ],
        plugins: [markersPlugin(currentMarkers, p)],
      };
    },
    [p, current, currentMarkers, raw],
  );
  return <UPlot make={make} data={data} height={HEIGHT} className="scaling-chart" />;
}

/** Burn rate ($/h, filled) and the spend accumulated over the window (line, right axis). */
export function SpendChart({ timeline }: { timeline: Timeline }) {
  const p = usePalette();
  const s: TimelineSeries = useMemo(() => timelineSeries(timeline, null), [timeline]);
  const data = useMemo<uPlot.AlignedData>(() => [s.xs, s.burn, s.spend] as uPlot.AlignedData, [s]);
  const current = useLatest(timeline);
  const make = useCallback(
    (width: number, height: number): uPlot.Options => ({
      width,
      height,
      scales: {
        x: xScale(current),
        rate: { range: (_u, _min, max) => [0, Math.max(0.1, max * 1.15)] },
        usd: { range: (_u, _min, max) => [0, Math.max(0.01, max * 1.15)] },
      },
      axes: [
        { ...axisBase(p), values: timeAxisValues },
        { ...axisBase(p), scale: 'rate', size: 64, values: (_u, vals) => vals.map((v) => formatRate(v)) },
        {
          ...axisBase(p),
          scale: 'usd',
          side: 1,
          size: 64,
          grid: { show: false },
          values: (_u, vals) => vals.map((v) => formatMoney(v)),
        },
      ],
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      series: [
        { value: (_u, v) => (v === null ? '—' : formatTime(v * 1000)) },
        {
          label: 'Burn rate',
          scale: 'rate',
          stroke: p.accent,
          fill: p.accentSoft,
          width: 1.5,
          paths: uPlotStepped(),
          value: (_u, v) => (v === null ? '—' : formatRate(v)),
        },
        {
          label: 'Spent in the window',
          scale: 'usd',
          stroke: p.warn,
          width: 2,
          value: (_u, v) => (v === null ? '—' : formatMoneyFine(v)),
        },
      ],
    }),
    [p, current],
  );
  return <UPlot make={make} data={data} height={180} className="spend-chart" />;
}

/** The Overview card: range, queue filter, the two charts, and their text alternative. */
export function TimelineCard({
  hours,
  onHours: setHours,
  timeline,
  error,
}: {
  hours: TimelineRange;
  onHours: (h: TimelineRange) => void;
  timeline: Timeline | null;
  error: string | null;
}) {
  const [queue, setQueue] = useState<string | null>(null);
  const headingId = useId();
  const summaryId = useId();
  const summary = timeline ? summarize(timeline, queue) : null;
  return (
    <section className="card timeline-card" aria-labelledby={headingId} data-testid="timeline">
      <header className="card-head">
        <h2 id={headingId}>Scaling over time</h2>
        <div className="card-tools">
          {timeline && timeline.queues.length > 1 && (
            <label className="inline-field">
              Queue{' '}
              <select value={queue ?? ''} onChange={(e) => setQueue(e.target.value || null)}>
                <option value="">All queues</option>
                {timeline.queues.map((q) => (
                  <option key={q} value={q}>
                    {q}
                  </option>
                ))}
              </select>
            </label>
          )}
          <RangeButtons hours={hours} onChange={setHours} />
        </div>
      </header>
      {error && !timeline && <p className="tone-error">The history could not be loaded: {error}</p>}
      {timeline && summary && (
        <>
          <p
            id={summaryId}
            className="chart-summary small"
            data-now={summary.now}
            data-peak={summary.peak}
            data-launches={summary.counts.launch}
            data-terminations={summary.counts.terminate}
          >
            {summary.text}
          </p>
          <div role="img" aria-labelledby={summaryId} className="chart-frame">
            <ScalingChart timeline={timeline} queue={queue} />
          </div>
          <MarkerLegend />
          <h3 className="chart-subhead">Spend over the same window: {formatMoney(timeline.spend)}</h3>
          <div role="img" aria-label={`Burn rate and spend over the last ${rangeLabel(hours)}`} className="chart-frame">
            <SpendChart timeline={timeline} />
          </div>
          <TimelineTables timeline={timeline} queue={queue} />
        </>
      )}
    </section>
  );
}

export function MarkerLegend() {
  const p = usePalette();
  return (
    <p className="legend small marker-legend">
      Markers (hover for the event):
      {(Object.keys(MARKER_TEXT) as (keyof typeof MARKER_TEXT)[]).map((k) => (
        <span key={k} className="marker-key">
          <span className="swatch" style={{ background: markerColor(k, p) }} /> {MARKER_TEXT[k].many}
        </span>
      ))}
    </p>
  );
}

/** The numbers behind the charts, for screen readers and anyone who prefers a table. */
export function TimelineTables({ timeline, queue }: { timeline: Timeline; queue: string | null }) {
  const rows = tableRows(timeline, queue);
  const markers = markersFor(timeline, queue).slice(-30).reverse();
  const [detail, setDetail] = useState<string | null>(null);
  return (
    <details className="chart-data">
      {detail && <InstanceDetailDialog instanceId={detail} onClose={() => setDetail(null)} />}
      <summary>Show the numbers behind the chart</summary>
      <TableScroll label="Instances, tasks waiting and burn rate over time">
        <table className="mini-table" aria-label="Instances, tasks waiting and burn rate over time">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col" className="num">
                Busy
              </th>
              <th scope="col" className="num">
                Idle
              </th>
              <th scope="col" className="num">
                Booting
              </th>
              <th scope="col" className="num">
                Tasks waiting
              </th>
              <th scope="col" className="num">
                Burn rate
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.at}>
                <th scope="row">{formatTime(r.at)}</th>
                <td className="num">{r.busy}</td>
                <td className="num">{r.idle}</td>
                <td className="num">{r.booting}</td>
                <td className="num">{r.pending}</td>
                <td className="num">{formatRate(r.burnPerHour)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      <TableScroll label="Events on the chart, newest first">
        <table className="mini-table" aria-label="Events on the chart, newest first">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Event</th>
              <th scope="col">What happened</th>
              <th scope="col">Instances</th>
            </tr>
          </thead>
          <tbody>
            {markers.map((m, i) => (
              <tr key={`${m.at}-${i}`} data-marker-kind={m.kind} data-at={m.at}>
                <th scope="row">{formatTime(m.at)}</th>
                <td>{MARKER_TEXT[m.kind].one}</td>
                <td>{m.message}</td>
                <td>
                  {(m.instanceIds ?? []).slice(0, 5).map((id) => (
                    <button key={id} type="button" className="link mono" onClick={() => setDetail(id)}>
                      {id}
                    </button>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
    </details>
  );
}
