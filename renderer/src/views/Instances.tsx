/**
 * Instances: a virtualised table (only the visible rows are in the DOM, so 2,000 instances scroll smoothly),
 * with sort, filter, a link to each task in the ClearML web app, the instance's detail (lifecycle, spend, console
 * tail) behind its id, and terminate behind a confirmation that says what runs on the instance. Orphans get a second line with the reason, and a filter of their own.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useEffect, useMemo, useRef, useState } from 'react';
import { ConfirmDialog } from '../components/Dialog.js';
import { FilterSelect } from '../components/FilterSelect.js';
import { formatDuration, formatMoney, plural } from '../model/format.js';
import {
  EMPTY_FILTER,
  clearmlTaskUrl,
  ADOPTED_TITLE,
  costTitle,
  phaseAside,
  rowNote,
  clearmlWebHost,
  terminateConsequence,
  visibleInstances,
  type InstanceFilter,
  type SortDir,
  type SortKey,
} from '../model/instances.js';
import type { InstanceView } from '../../../shared/domain.js';
import { InstancePhaseSchema } from '../../../shared/domain.js';
import { roleLimit } from '../model/team.js';
import { unavailable } from '../components/busy.js';
import { useActions, useApp } from '../state/react.js';
import { InstanceDetailDialog } from './InstanceDetail.js';

const MARKETS = ['spot', 'on-demand'] as const;
const ROW_HEIGHT = 36;
/** An orphan row carries its reason on a second line, a stopped one when it is terminated. */
const NOTED_ROW_HEIGHT = 58;
const rowHeight = (row: InstanceView | undefined) =>
  row?.phase === 'orphan' || row?.phase === 'stopped' ? NOTED_ROW_HEIGHT : ROW_HEIGHT;

const COLUMNS: { key: SortKey; label: string }[] = [
  { key: 'instanceId', label: 'Instance' },
  { key: 'queue', label: 'Queue' },
  { key: 'resource', label: 'Resource' },
  { key: 'instanceType', label: 'Type' },
  { key: 'market', label: 'Market' },
  { key: 'zone', label: 'Zone' },
  { key: 'phase', label: 'State' },
  { key: 'uptimeSec', label: 'Uptime' },
  { key: 'idleSec', label: 'Idle' },
  { key: 'task', label: 'Task' },
  { key: 'costSoFar', label: 'Cost' },
];

/** The sort button's name says the column and its current order (the header's aria-sort says it too). */
function sortLabel(column: string, dir: SortDir | null): string {
  return dir === null ? `${column}, not sorted` : `${column}, sorted ${dir === 'asc' ? 'ascending' : 'descending'}`;
}

export function Instances() {
  const instances = useApp((s) => s.snapshot?.instances ?? []);
  const queues = useApp((s) => s.snapshot?.queues.map((q) => q.name) ?? []);
  const webHost = useApp((s) => clearmlWebHost(s.config?.config));
  const priceSource = useApp((s) => s.snapshot?.costs.priceSource ?? '');
  const focus = useApp((s) => s.focus);
  const actions = useActions();
  const [filter, setFilter] = useState<InstanceFilter>(() =>
    focus?.startsWith('i-') ? { ...EMPTY_FILTER, text: focus } : EMPTY_FILTER,
  );
  const [sort, setSort] = useState<{ key: SortKey; dir: SortDir }>({ key: 'uptimeSec', dir: 'desc' });
  const [confirm, setConfirm] = useState<InstanceView | null>(null);
  const terminateLimit = useApp((s) => roleLimit(s.snapshot?.remote, 'autoscaler:instances.terminate'));
  const [detail, setDetail] = useState<string | null>(null);
  const scrollRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (focus?.startsWith('i-')) setFilter({ ...EMPTY_FILTER, text: focus });
  }, [focus]);

  const rows = useMemo(() => visibleInstances(instances, filter, sort.key, sort.dir), [instances, filter, sort]);
  const countText = (shown: number) =>
    shown === instances.length
      ? plural(instances.length, 'instance')
      : `${shown} of ${plural(instances.length, 'instance')}`;
  // Said when the user changes the filter, never when the engine launches or terminates: a scaling engine would
  // otherwise read out a new count at every poll while the view is open (as the Events count).
  const [said, setSaid] = useState('');
  const applyFilter = (next: InstanceFilter) => {
    setFilter(next);
    setSaid(countText(visibleInstances(instances, next, sort.key, sort.dir).length));
  };
  const orphans = useMemo(() => instances.filter((i) => i.phase === 'orphan').length, [instances]);
  const orphansOnly = filter.phase === 'orphan';

  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: (index) => rowHeight(rows[index]),
    overscan: 12,
    getItemKey: (index) => rows[index]?.instanceId ?? index,
  });

  const onSort = (key: SortKey) =>
    setSort((s) => (s.key === key ? { key, dir: s.dir === 'asc' ? 'desc' : 'asc' } : { key, dir: 'asc' }));

  const openTask = (taskId: string) => {
    if (webHost) void actions.openExternal(clearmlTaskUrl(webHost, taskId));
  };

  return (
    <div className="view instances">
      <form className="filters" role="search" aria-label="Filter instances" onSubmit={(e) => e.preventDefault()}>
        <label>
          Search
          <input
            type="search"
            value={filter.text}
            placeholder="id, type, zone, task…"
            onChange={(e) => applyFilter({ ...filter, text: e.target.value })}
          />
        </label>
        <FilterSelect
          label="Queue"
          value={filter.queue}
          options={queues}
          onChange={(queue) => applyFilter({ ...filter, queue })}
        />
        <FilterSelect
          label="State"
          value={filter.phase}
          options={InstancePhaseSchema.options}
          onChange={(phase) => applyFilter({ ...filter, phase })}
        />
        <FilterSelect
          label="Market"
          value={filter.market}
          options={MARKETS}
          onChange={(market) => applyFilter({ ...filter, market })}
        />
        <button
          type="button"
          className={`small orphan-filter${orphans ? ' has-orphans' : ''}`}
          aria-pressed={orphansOnly}
          onClick={() => applyFilter({ ...filter, phase: orphansOnly ? '' : 'orphan' })}
        >
          Orphans ({orphans})
        </button>
        <span className="muted count">{countText(rows.length)}</span>
      </form>
      <p role="status" className="sr-only">
        {said}
      </p>
      {/* Said once above the table, not only as the disabled buttons' and the "adopted" marks' tooltips: a keyboard
          user cannot focus a disabled button nor hover a mark, and a screen reader does not read either title. */}
      {terminateLimit !== null && instances.length > 0 && (
        <p className="muted small" data-testid="instances-role-limit">
          Terminate is unavailable: {terminateLimit}
        </p>
      )}
      {rows.some((r) => r.adopted) && (
        <p className="muted small" data-testid="instances-adopted-note">
          adopted: {ADOPTED_TITLE}.
        </p>
      )}

      <div
        className="vtable"
        role="table"
        aria-label="Instances"
        aria-rowcount={Math.max(rows.length, 1) + 1}
        aria-colcount={COLUMNS.length + 1}
      >
        {/* A table owns only row groups and rows: the header row and the scrolled body are each a rowgroup, and the
            virtualiser's spacer is presentational, so assistive technology sees one table of rows. */}
        <div role="rowgroup">
          <div className="vrow vhead" role="row" aria-rowindex={1}>
            {COLUMNS.map((c) => (
              <div
                key={c.key}
                role="columnheader"
                className={`vcell col-${c.key}`}
                aria-sort={sort.key === c.key ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}
              >
                <button
                  type="button"
                  className="sort"
                  aria-label={sortLabel(c.label, sort.key === c.key ? sort.dir : null)}
                  onClick={() => onSort(c.key)}
                >
                  {c.label}
                  <span aria-hidden="true">{sort.key === c.key ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ''}</span>
                </button>
              </div>
            ))}
            <div role="columnheader" className="vcell col-actions">
              <span className="sr-only">Actions</span>
            </div>
          </div>
        </div>
        <div ref={scrollRef} className="vscroll" data-testid="instances-scroll" tabIndex={-1} role="rowgroup">
          {rows.length === 0 ? (
            <div role="row" aria-rowindex={2}>
              <p className="empty" role="cell" aria-colspan={COLUMNS.length + 1}>
                {instances.length === 0
                  ? 'No instances. They appear here when autoscaling launches them for queued tasks.'
                  : 'No instance matches the filter.'}
              </p>
            </div>
          ) : (
            <div className="vspacer" style={{ height: virtualizer.getTotalSize() }} role="presentation">
              {virtualizer.getVirtualItems().map((v) => {
                const row = rows[v.index];
                if (!row) return null;
                return (
                  <InstanceRow
                    key={row.instanceId}
                    row={row}
                    index={v.index}
                    top={v.start}
                    canLink={webHost !== null}
                    onTask={openTask}
                    onTerminate={setConfirm}
                    terminateLimit={terminateLimit}
                    onDetail={setDetail}
                  />
                );
              })}
            </div>
          )}
        </div>
      </div>

      <p className="muted small price-note">
        An orphan carries this app’s tags but does not fit the current configuration (its row says why); it costs money
        until the engine terminates it after a grace period, or you do. One launched for another ClearML server is left
        to finish its work there and stops by itself once idle after its lease ends. Costs:{' '}
        {priceSource || 'no prices yet'}.
      </p>

      {confirm && <TerminateDialog instance={confirm} onClose={() => setConfirm(null)} />}
      {detail && <InstanceDetailDialog instanceId={detail} onClose={() => setDetail(null)} />}
    </div>
  );
}

interface RowProps {
  row: InstanceView;
  index: number;
  top: number;
  canLink: boolean;
  onTask: (taskId: string) => void;
  onTerminate: (i: InstanceView) => void;
  /** Team mode: why this role may not terminate (the button is then disabled with this as its title). */
  terminateLimit: string | null;
  onDetail: (instanceId: string) => void;
}

const InstanceRow = memo(function InstanceRow({
  row,
  index,
  top,
  canLink,
  onTask,
  onTerminate,
  terminateLimit,
  onDetail,
}: RowProps) {
  const terminating = row.phase === 'terminating' || row.state === 'shutting-down' || row.state === 'terminated';
  const orphan = row.phase === 'orphan';
  const note = rowNote(row);
  return (
    <div
      className={`vrow${orphan ? ' vrow-orphan' : row.phase === 'stopped' ? ' vrow-stopped' : ''}`}
      role="row"
      aria-rowindex={index + 2}
      style={{ transform: `translateY(${top}px)`, height: rowHeight(row) }}
      data-instance-id={row.instanceId}
      data-phase={row.phase}
    >
      <div role="cell" className="vcell col-instanceId mono" title={row.note}>
        <button type="button" className="link mono id-link" onClick={() => onDetail(row.instanceId)}>
          {row.instanceId}
        </button>
      </div>
      <div role="cell" className="vcell col-queue">
        {row.queue}
      </div>
      <div role="cell" className="vcell col-resource">
        {row.resource}
      </div>
      <div role="cell" className="vcell col-instanceType">
        {row.instanceType}
      </div>
      <div role="cell" className="vcell col-market">
        <span className={`pill ${row.market === 'spot' ? 'tone-accent' : 'tone-muted'}`}>{row.market}</span>
      </div>
      <div role="cell" className="vcell col-zone">
        {row.zone}
      </div>
      <div role="cell" className="vcell col-phase">
        <span className={`pill phase-${row.phase}`}>{row.phase}</span>
        {phaseAside(row) && (
          <span className="muted small" title={row.adopted ? ADOPTED_TITLE : undefined}>
            {' '}
            {phaseAside(row)}
          </span>
        )}
      </div>
      <div role="cell" className="vcell col-uptimeSec num">
        {formatDuration(row.uptimeSec)}
      </div>
      <div role="cell" className="vcell col-idleSec num">
        {row.idleSec === null ? '—' : formatDuration(row.idleSec)}
      </div>
      <div role="cell" className="vcell col-task">
        {row.task ? (
          canLink ? (
            <button
              type="button"
              className="link"
              title={`Open task ${row.task.id} in the ClearML web app`}
              onClick={() => row.task && onTask(row.task.id)}
            >
              {row.task.name ?? row.task.id}
            </button>
          ) : (
            <span
              title={`Task ${row.task.id}. To open tasks from here, enter the ClearML web app address in Settings.`}
            >
              {row.task.name ?? row.task.id}
            </span>
          )
        ) : (
          <span className="muted">—</span>
        )}
      </div>
      <div role="cell" className="vcell col-costSoFar num" title={costTitle(row)}>
        {formatMoney(row.costSoFar)}
      </div>
      <div role="cell" className="vcell col-actions">
        <button
          type="button"
          className="danger small"
          disabled={terminateLimit !== null}
          {...unavailable(terminating)}
          title={terminateLimit ?? undefined}
          aria-label={`Terminate ${row.instanceId}`}
          onClick={() => onTerminate(row)}
        >
          {terminating ? 'Terminating' : 'Terminate'}
        </button>
      </div>
      {note && (
        <div role="cell" aria-colspan={COLUMNS.length + 1} className="vcell row-note" title={note}>
          <span aria-hidden="true">⚠ </span>
          {note}
        </div>
      )}
    </div>
  );
});

function TerminateDialog({ instance, onClose }: { instance: InstanceView; onClose: () => void }) {
  const actions = useActions();
  return (
    <ConfirmDialog
      title={`Terminate ${instance.instanceId}?`}
      confirmLabel="Terminate"
      onConfirm={() => void actions.terminate([instance.instanceId])}
      onClose={onClose}
    >
      <p>{terminateConsequence(instance)}</p>
    </ConfirmDialog>
  );
}
