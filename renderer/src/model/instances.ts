/** Instances table: filtering, sorting and the words of the terminate confirmation. Pure. */
import type { InstancePhase, InstanceView } from '../../../shared/domain.js';
import { formatDuration, formatMoney, formatRate } from './format.js';
import { stoppedNote } from '../../../shared/stopped.js';
import { webHostOf } from '../../../shared/clearml-hosts.js';
import { localTimeOfDay } from '../../../shared/words.js';

export const SORT_KEYS = [
  'instanceId',
  'queue',
  'resource',
  'instanceType',
  'market',
  'zone',
  'phase',
  'uptimeSec',
  'idleSec',
  'task',
  'costSoFar',
] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type SortDir = 'asc' | 'desc';

export interface InstanceFilter {
  /** Matches id, queue, resource, type, zone, task id/name and the note (an orphan's reason), case-insensitive. */
  text: string;
  queue: string;
  phase: InstancePhase | '';
  market: 'spot' | 'on-demand' | '';
}

export const EMPTY_FILTER: InstanceFilter = { text: '', queue: '', phase: '', market: '' };

const PHASE_ORDER: Record<InstancePhase, number> = {
  busy: 0,
  idle: 1,
  booting: 2,
  orphan: 3,
  stopped: 4,
  terminating: 5,
};

function sortValue(i: InstanceView, key: SortKey): string | number {
  switch (key) {
    case 'phase':
      return PHASE_ORDER[i.phase];
    case 'idleSec':
      return i.idleSec ?? -1;
    case 'task':
      return i.task ? (i.task.name ?? i.task.id) : '';
    default:
      return i[key];
  }
}

export function matchesFilter(i: InstanceView, f: InstanceFilter): boolean {
  if (f.queue && i.queue !== f.queue) return false;
  if (f.phase && i.phase !== f.phase) return false;
  if (f.market && i.market !== f.market) return false;
  const text = f.text.trim().toLowerCase();
  if (!text) return true;
  const hay = [
    i.instanceId,
    i.queue,
    i.resource,
    i.instanceType,
    i.zone,
    i.task?.id ?? '',
    i.task?.name ?? '',
    i.note ?? '',
  ]
    .join(' ')
    .toLowerCase();
  return text.split(/\s+/).every((t) => hay.includes(t));
}

/** Stable: ties keep the engine's order, then the instance id decides. */
export function sortInstances(rows: readonly InstanceView[], key: SortKey, dir: SortDir): InstanceView[] {
  const sign = dir === 'asc' ? 1 : -1;
  return rows
    .map((row, index) => ({ row, index }))
    .sort((a, b) => {
      const x = sortValue(a.row, key);
      const y = sortValue(b.row, key);
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), 'en');
      return c !== 0 ? sign * c : a.index - b.index;
    })
    .map((e) => e.row);
}

export function visibleInstances(
  rows: readonly InstanceView[],
  filter: InstanceFilter,
  key: SortKey,
  dir: SortDir,
): InstanceView[] {
  return sortInstances(
    rows.filter((r) => matchesFilter(r, filter)),
    key,
    dir,
  );
}

/** The orphan's second line in the table: the engine's reason, or that it gave none. */
export function orphanReason(i: InstanceView): string {
  const note = i.note?.trim();
  return note ? `Orphan: ${note}` : 'Orphan: the engine gave no reason; check the Events view.';
}

/**
 * The EC2 state beside the phase, when it says more than the phase: "pending" beside booting, "stopping" beside
 * stopped; null for a running one, and for a stopped one ("stopped stopped" said nothing twice, to screen readers too).
 */
export function stateAside(i: Pick<InstanceView, 'state' | 'phase'>): string | null {
  return i.state === 'running' || i.state === i.phase ? null : i.state;
}

/**
 * What a row's Cost figure is (its cell's title): the same figure as its detail, the month's spend and the caps, so
 * it says the price it is counted at, from when, and the billing rule, and for a stopped one that its disks still bill.
 */
export function costTitle(i: Pick<InstanceView, 'hourlyPrice' | 'adoptedAt' | 'phase' | 'market'>): string {
  const since = i.adoptedAt !== undefined ? "its adoption (before, it was ClearML's autoscaler's spend)" : 'its launch';
  const stopped =
    i.phase === 'stopped' ? ' Stopped: no compute since it stopped, but its disks bill until it is terminated.' : '';
  // A spot instance is billed at its zone's spot price as it moves: the price now is not the one since its launch.
  const rate =
    i.market === 'spot'
      ? `At its zone's spot price as it moves (now ${formatRate(i.hourlyPrice)})`
      : `At ${formatRate(i.hourlyPrice)}`;
  return `${rate} since ${since}, per second with a 60 s minimum: an estimate, your AWS bill is authoritative.${stopped}`;
}

/** Why an adopted instance is marked: what the quit question and the headless summary say of it. */
export const ADOPTED_TITLE =
  "Adopted from ClearML's autoscaler: it still runs that autoscaler's startup script, with no lease watchdog, so " +
  'it does not power itself off once this app stops';

/**
 * What the phase cell says beside the phase: the EC2 state when it says more (`stateAside`), and "adopted" for an
 * instance taken over from ClearML's autoscaler, which, unlike the app's own, never powers itself off; null when
 * neither.
 */
export function phaseAside(i: Pick<InstanceView, 'state' | 'phase' | 'adopted'>): string | null {
  const parts = [stateAside(i), i.adopted ? 'adopted' : null].filter((p): p is string => p !== null);
  return parts.length ? parts.join(' · ') : null;
}

/**
 * The row's second line: an orphan's reason, or when a stopped one is terminated and how to keep it (in this
 * browser's clock); null for the other rows.
 */
export function rowNote(i: InstanceView): string | null {
  if (i.phase === 'orphan') return orphanReason(i);
  if (i.phase === 'stopped') return stoppedNote(i, localTimeOfDay);
  return null;
}

/** What the confirmation dialog says runs on the instance, so nobody kills a 3-day training by accident. */
export function terminateConsequence(i: InstanceView): string {
  const what = `${i.instanceId} (${i.instanceType}, ${i.market}, queue ${i.queue}, up ${formatDuration(i.uptimeSec)}, ${formatMoney(i.costSoFar)} so far)`;
  if (i.task) {
    const task = i.task.name ? `“${i.task.name}” (${i.task.id})` : i.task.id;
    return `${what} is running task ${task}. Terminating it stops that task now; ClearML will show the task as aborted or failed and it will not be re-queued automatically.`;
  }
  if (i.phase === 'booting') return `${what} is still booting and has not picked up a task yet.`;
  if (i.phase === 'idle') return `${what} is idle: no task runs on it.`;
  return `${what} is in phase “${i.phase}”${i.note ? `: ${i.note}` : ''}. No task is known to run on it.`;
}

/** The ClearML web app's address for task links (`webHostOf`); null when there is none (names are then not links). */
export function clearmlWebHost(config: unknown): string | null {
  if (!config || typeof config !== 'object') return null;
  return webHostOf((config as { clearml?: { apiHost?: unknown; webHost?: unknown } }).clearml);
}

export function clearmlTaskUrl(webHost: string, taskId: string): string {
  return `${webHost}/projects/*/experiments/${encodeURIComponent(taskId)}/output/execution`;
}
