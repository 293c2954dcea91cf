/**
 * What the ClearML emulator's endpoint tables share: the model, the clock, the versions it answers as, token
 * auth, and the documents (queues, workers, tasks) rendered the way the server renders them, with its paging.
 */
import type { Clock } from '../ports.js';
import { formatClearmlDate } from '../clearml/wire.js';
import {
  WORKER_REGISTER_TIMEOUT_SEC,
  WireError,
  validationError,
  type ClearmlModel,
  type EmuQueue,
  type EmuTask,
  type EmuWorker,
} from './clearml-model.js';
import { intOrNull } from './clearml-request.js';

export interface Endpoint {
  /** The oldest API version that has it. */
  min: string;
  auth: boolean;
  handle(req: Call): unknown;
}

export interface Call {
  body: Record<string, unknown>;
  /** The version the endpoint runs at: requested, capped at the server's max. */
  version: string;
  authHeader: string | undefined;
}

export interface EndpointContext {
  model: ClearmlModel;
  clock: Clock;
  maxVersion: string;
  serverVersion: string;
  tokenLifetimeSec: number;
}

export const USER = { id: 'emulator-user', name: 'ClearML Emulator' };
export const COMPANY = { id: 'emulator-company', name: 'Emulator Company' };
const DEFAULT_PAGE_SIZE = 500;

export const date = (ms: number | null) => (ms === null ? null : formatClearmlDate(ms));

export function queueDoc(
  model: ClearmlModel,
  q: EmuQueue,
  maxEntries: number | null,
  expanded: boolean,
): Record<string, unknown> {
  const entries = maxEntries === null ? q.entries : q.entries.slice(0, maxEntries);
  return {
    id: q.id,
    name: q.name,
    display_name: null,
    user: USER.id,
    company: COMPANY.id,
    created: date(q.created),
    last_update: date(q.lastUpdate),
    tags: [],
    system_tags: q.systemTags,
    metadata: {},
    entries: entries.map((e) => ({
      task: expanded ? { id: e.taskId, name: model.taskById.get(e.taskId)?.name ?? null } : e.taskId,
      // Naive on purpose: the server emits some dates without an offset, and clients must read them as UTC.
      added: formatClearmlDate(e.added, true),
    })),
  };
}

export function queueRef(model: ClearmlModel, q: EmuQueue): Record<string, unknown> {
  const head = q.entries[0];
  return {
    id: q.id,
    name: q.name,
    display_name: null,
    next_task: head ? { id: head.taskId, name: model.taskById.get(head.taskId)?.name ?? null } : null,
    num_tasks: q.entries.length,
  };
}

export function workerDoc(model: ClearmlModel, w: EmuWorker, now: number): Record<string, unknown> {
  const task = w.taskId ? model.taskById.get(w.taskId) : undefined;
  const queue = task?.queueId ? model.queueById.get(task.queueId) : undefined;
  const last = model.lastReport(w, now);
  return {
    id: w.id,
    key: `worker_${USER.id}_${w.id}`,
    user: USER,
    company: COMPANY,
    ip: w.ip,
    register_time: date(w.registeredAt),
    last_activity_time: date(last),
    last_report_time: date(last),
    register_timeout: WORKER_REGISTER_TIMEOUT_SEC,
    task: task
      ? {
          id: task.id,
          name: task.name,
          running_time: w.taskStartedAt === null ? 0 : Math.max(0, last - w.taskStartedAt),
          last_iteration: 0,
        }
      : null,
    project: task ? { id: 'emulator-project', name: 'Emulated' } : null,
    queue: queue ? queueRef(model, queue) : null,
    queues: w.queueIds.flatMap((id) => {
      const q = model.queueById.get(id);
      return q ? [queueRef(model, q)] : [];
    }),
    tags: [],
    system_tags: [],
  };
}

export function taskDoc(model: ClearmlModel, t: EmuTask, now: number): Record<string, unknown> {
  return {
    id: t.id,
    name: t.name,
    type: 'training',
    user: USER.id,
    company: COMPANY.id,
    project: 'emulator-project',
    status: t.status,
    status_reason: t.statusReason,
    status_message: t.statusMessage,
    status_changed: date(t.statusChanged),
    created: date(t.created),
    started: date(t.started),
    completed: date(t.completed),
    last_update: date(model.taskLastUpdate(t, now)),
    last_change: date(t.lastUpdate),
    last_worker: t.lastWorker,
    last_worker_report: t.lastWorker ? date(model.taskLastUpdate(t, now)) : null,
    active_duration: t.started === null ? null : Math.round(((t.completed ?? now) - t.started) / 1000),
    execution: { queue: t.queueId },
    enqueue_status: t.enqueueStatus,
    tags: [],
    system_tags: [],
  };
}

export function taskFields(t: EmuTask, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    status: t.status,
    status_reason: t.statusReason,
    status_message: t.statusMessage,
    status_changed: date(t.statusChanged),
    last_update: date(t.lastUpdate),
    last_change: date(t.lastUpdate),
    ...extra,
  };
}

/** Paging (page/page_size, at most 500 a page, 500 without paging), scrolling (size/scroll_id), only_fields. */
export function page<T>(
  body: Record<string, unknown>,
  key: string,
  items: T[],
  render: (item: T) => Record<string, unknown>,
): Record<string, unknown> {
  const p = intOrNull(body['page']);
  const size = intOrNull(body['page_size']);
  let slice: T[];
  const out: Record<string, unknown> = {};
  if ('scroll_id' in body || 'size' in body) {
    const offset =
      typeof body['scroll_id'] === 'string' && body['refresh_scroll'] !== true ? scrollOffset(body['scroll_id']) : 0;
    const n = Math.min(intOrNull(body['size']) ?? DEFAULT_PAGE_SIZE, DEFAULT_PAGE_SIZE);
    slice = items.slice(offset, offset + n);
    out['scroll_id'] = `scroll-${offset + slice.length}`;
  } else if (p !== null) {
    if (size === null)
      throw new WireError(400, 11, 'Missing required fields (page_size is required when page is requested)');
    if (p < 0 || size < 1) throw validationError('page must be >= 0 and page_size > 0');
    const n = Math.min(size, DEFAULT_PAGE_SIZE);
    slice = items.slice(p * n, p * n + n);
  } else slice = items.slice(0, Math.min(size ?? DEFAULT_PAGE_SIZE, DEFAULT_PAGE_SIZE));
  const fields = Array.isArray(body['only_fields']) ? body['only_fields'].map(String) : null;
  out[key] = slice.map((item) => project(render(item), fields));
  return out;
}

function scrollOffset(id: string): number {
  const m = /^scroll-(\d+)$/.exec(id);
  return m ? Number(m[1]) : 0;
}

/** Mongo-style projection with dotted paths; `id` always comes back. */
function project(doc: Record<string, unknown>, fields: string[] | null): Record<string, unknown> {
  if (!fields || fields.length === 0) return doc;
  const out: Record<string, unknown> = { id: doc['id'] };
  for (const f of fields) {
    if (f.startsWith('-')) continue;
    const parts = f.split('.');
    let src: unknown = doc;
    for (const p of parts) src = src && typeof src === 'object' ? (src as Record<string, unknown>)[p] : undefined;
    if (src === undefined) continue;
    let dst = out;
    for (const p of parts.slice(0, -1)) {
      if (!dst[p] || typeof dst[p] !== 'object') dst[p] = {};
      dst = dst[p] as Record<string, unknown>;
    }
    dst[parts[parts.length - 1]!] = src;
  }
  return out;
}
