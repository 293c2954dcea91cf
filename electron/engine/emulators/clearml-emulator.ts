/**
 * A ClearML API server on 127.0.0.1 speaking the ClearML server's wire format: any HTTP method, paths
 * `/<service>.<action>` and `/v<x.y>/<service>.<action>`, query parameters merged into the JSON body, the full
 * `{meta, data}` envelope (result_code = HTTP status, with subcodes), Basic and Bearer (JWT with `exp`) auth.
 * State and rules live in `clearml-model.ts`; this file is the HTTP edge, the endpoint table, the interceptors
 * test machinery injects faults through (`testkit/clearml-faults.ts`) and the in-process control surface used
 * by tests, the demo and the agent simulator.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock, TaskStatus } from '../ports.js';
import { compareApiVersions, formatClearmlDate, globToRegExp } from '../clearml/wire.js';
import {
  ClearmlModel,
  WORKER_REGISTER_TIMEOUT_SEC,
  WireError,
  invalidQueueId,
  validationError,
  type EmuQueue,
  type EmuTask,
  type EmuWorker,
} from './clearml-model.js';

export interface ClearmlEmulatorOptions {
  clock: Clock;
  accessKey?: string;
  secretKey?: string;
  /** The server's max API version (what server.info reports). Default 2.31 (the Jan 2025 OSS server). */
  apiVersion?: string;
  serverVersion?: string;
  /** Lifetime of tokens from auth.login. Default 30 days, as the real server. */
  tokenLifetimeSec?: number;
}

/**
 * Sees every call before the server handles it. The emulator itself installs none: test machinery (fault
 * injection, in `testkit/`) plugs in here, so none of it ships with the demo.
 */
export interface ClearmlInterceptor {
  /** Answer the call with this status and message instead, or never answer it (`'hang'`, for client timeouts). */
  request?(endpoint: string): { status: number; message: string } | 'hang' | null;
  /** False refuses the key pair (Basic → 401/22) and every token issued from it (→ 401/30). */
  credentialsAccepted?(): boolean;
}

export interface EmulatedTask {
  id: string;
  name: string;
  status: TaskStatus;
  statusReason: string;
  statusMessage: string;
  queueId: string | null;
  lastWorker: string | null;
  durationSec: number;
  created: number;
  started: number | null;
  completed: number | null;
  /** When a running agent was asked to stop it (status message "stopping"). */
  stoppingSince: number | null;
  /** Last status change (ms epoch). */
  statusChanged: number;
}

export interface EmulatedQueue {
  id: string;
  name: string;
  entries: { taskId: string; added: number }[];
}

export interface EmulatedWorker {
  id: string;
  queues: string[];
  taskId: string | null;
  registeredAt: number;
  lastReportAt: number;
  /** False once its agent stopped reporting (it stays listed until the register timeout). */
  reporting: boolean;
}

export interface RecordedRequest {
  endpoint: string;
  /** The version in the path, null without one. */
  version: string | null;
  body: Record<string, unknown>;
  auth: 'none' | 'basic' | 'bearer' | 'other';
  status: number;
}

export type CallCounts = { total: number } & Record<string, number>;

export interface ClearmlEmulator {
  readonly url: string;
  readonly accessKey: string;
  readonly secretKey: string;
  createQueue(name: string): string;
  /** Creates a task and enqueues it at clock.now(); the queue must exist. Returns the task id. */
  addTask(t: { id?: string; name: string; queue: string; durationSec: number }): string;
  tasks(): EmulatedTask[];
  task(id: string): EmulatedTask | null;
  queues(): EmulatedQueue[];
  hasQueue(name: string): boolean;
  /** The head entry of a queue (what the next poll would get), null when empty or unknown. */
  peekTask(queueName: string): { taskId: string; added: number } | null;
  /** Workers the server lists now (zombies included until their register timeout). */
  workers(): EmulatedWorker[];
  registerWorker(id: string, queues: readonly string[], at?: number): void;
  setWorkerTask(workerId: string, taskId: string | null, at?: number): void;
  /** Pops the head of the queue if it was enqueued by `at` (default now); what an agent's poll does. */
  popTask(queueName: string, at?: number): string | null;
  /** Marks an in-progress task completed and frees its worker; false if it was no longer in progress. */
  completeTask(id: string, at?: number): boolean;
  /** The agent aborts its task after a stop request ("stopping"): the task becomes stopped. */
  abortTask(id: string, at?: number): void;
  /** The agent stops reporting (instance lost): listed until its register timeout, its task left in_progress. */
  dropWorker(id: string, at?: number): void;
  /** Calls per endpoint name, and `total`. */
  readonly calls: Readonly<CallCounts>;
  /** Forgets the calls and requests recorded so far. */
  resetCalls(): void;
  /** The last 1000 requests, oldest first. */
  readonly requests: readonly RecordedRequest[];
  /** Asked in order on every call; the first answer wins. */
  readonly interceptors: ClearmlInterceptor[];
  /** Invalidates every issued token (the next Bearer call gets 401/30). */
  expireTokens(): void;
  close(): Promise<void>;
}

interface Endpoint {
  /** The oldest API version that has it. */
  min: string;
  auth: boolean;
  handle(req: Call): unknown;
}

interface Call {
  body: Record<string, unknown>;
  /** The version the endpoint runs at: requested, capped at the server's max. */
  version: string;
  authHeader: string | undefined;
}

const USER = { id: 'emulator-user', name: 'ClearML Emulator' };
const COMPANY = { id: 'emulator-company', name: 'Emulator Company' };
const DEFAULT_PAGE_SIZE = 500;

export async function startClearmlEmulator(opts: ClearmlEmulatorOptions): Promise<ClearmlEmulator> {
  const { clock } = opts;
  const accessKey = opts.accessKey ?? 'EMULATORACCESSKEY0001';
  const secretKey = opts.secretKey ?? 'emulator-secret-key-do-not-use-0123456789abcdefgh';
  const maxVersion = opts.apiVersion ?? '2.31';
  const serverVersion = opts.serverVersion ?? '1.17.0';
  const tokenLifetimeSec = opts.tokenLifetimeSec ?? 2_592_000;
  const model = new ClearmlModel(clock, USER.name);
  const signingKey = randomBytes(32);

  let tokenGeneration = 0;
  let calls: CallCounts = { total: 0 };
  const requests: RecordedRequest[] = [];
  const interceptors: ClearmlInterceptor[] = [];
  const keysRevoked = () => interceptors.some((i) => i.credentialsAccepted?.() === false);
  const hung = new Set<ServerResponse>();

  // ------------------------------------------------------------ auth

  function issueToken(expirationSec: number): string {
    const iat = Math.floor(clock.now() / 1000);
    const header = b64url({ alg: 'HS256', typ: 'JWT' });
    const payload = b64url({
      identity: { user: USER.id, company: COMPANY.id, role: 'user', user_name: USER.name, company_name: COMPANY.name },
      iat,
      exp: iat + expirationSec,
      session_id: model.newId('session'),
      env: 'emulator',
      api_version: maxVersion,
      server_version: serverVersion,
      feature_set: 'basic',
      gen: tokenGeneration,
    });
    const sig = createHmac('sha256', signingKey).update(`${header}.${payload}`).digest('base64url');
    return `${header}.${payload}.${sig}`;
  }

  function verifyToken(token: string): void {
    const [h, p, s] = token.split('.');
    const bad = new WireError(401, 30, 'Invalid token (token is invalid or has expired)');
    if (!h || !p || !s) throw bad;
    const sig = createHmac('sha256', signingKey).update(`${h}.${p}`).digest('base64url');
    if (sig !== s) throw bad;
    let claims: { exp?: unknown; gen?: unknown };
    try {
      claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as { exp?: unknown; gen?: unknown };
    } catch {
      throw bad;
    }
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= clock.now()) throw bad;
    if (claims.gen !== tokenGeneration || keysRevoked()) throw bad;
  }

  function authenticate(header: string | undefined): void {
    if (!header) throw new WireError(401, 20, 'Unauthorized (missing credentials)');
    const [scheme, value = ''] = header.trim().split(/\s+/, 2);
    if (scheme?.toLowerCase() === 'bearer') return verifyToken(value);
    if (scheme?.toLowerCase() !== 'basic') throw new WireError(401, 10, 'Unauthorized (bad authentication type)');
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 1) throw new WireError(401, 21, 'Unauthorized (malformed credentials)');
    const ok = decoded.slice(0, colon) === accessKey && decoded.slice(colon + 1) === secretKey && !keysRevoked();
    if (!ok) throw new WireError(401, 22, 'Unauthorized (invalid credentials) (failed to locate provided credentials)');
  }

  // ------------------------------------------------------------ wire rendering

  const date = (ms: number | null) => (ms === null ? null : formatClearmlDate(ms));

  function queueDoc(q: EmuQueue, maxEntries: number | null, expanded: boolean): Record<string, unknown> {
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

  function queueRef(q: EmuQueue): Record<string, unknown> {
    const head = q.entries[0];
    return {
      id: q.id,
      name: q.name,
      display_name: null,
      next_task: head ? { id: head.taskId, name: model.taskById.get(head.taskId)?.name ?? null } : null,
      num_tasks: q.entries.length,
    };
  }

  function workerDoc(w: EmuWorker, now: number): Record<string, unknown> {
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
      queue: queue ? queueRef(queue) : null,
      queues: w.queueIds.flatMap((id) => {
        const q = model.queueById.get(id);
        return q ? [queueRef(q)] : [];
      }),
      tags: [],
      system_tags: [],
    };
  }

  function taskDoc(t: EmuTask, now: number): Record<string, unknown> {
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

  function taskFields(t: EmuTask, extra: Record<string, unknown> = {}): Record<string, unknown> {
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

  // ------------------------------------------------------------ endpoints

  const endpoints: Record<string, Endpoint> = {
    'auth.login': {
      min: '2.1',
      auth: true,
      handle: ({ body }) => {
        const requested = typeof body['expiration_sec'] === 'number' ? body['expiration_sec'] : tokenLifetimeSec;
        return { token: issueToken(Math.min(Math.max(1, requested), 31_536_000)) };
      },
    },
    'debug.ping': { min: '1.0', auth: false, handle: () => ({}) },
    'server.info': {
      min: '1.0',
      auth: false,
      handle: () => ({
        version: serverVersion,
        build: 'emulator',
        commit: 'emulator',
        uid: 'emulator-server',
        api_version: maxVersion,
      }),
    },
    'users.get_current_user': {
      min: '1.5',
      auth: true,
      handle: () => ({
        user: { ...USER, company: COMPANY, role: 'user', given_name: 'ClearML', family_name: 'Emulator' },
        getting_started: null,
        settings: {},
      }),
    },
    'queues.get_all': { min: '2.4', auth: true, handle: (c) => getQueues(c, false) },
    'queues.get_all_ex': { min: '2.4', auth: true, handle: (c) => getQueues(c, true) },
    'queues.get_by_id': {
      min: '2.4',
      auth: true,
      handle: ({ body }) => {
        const q = typeof body['queue'] === 'string' ? model.queueById.get(body['queue']) : undefined;
        if (!q) throw invalidQueueId(body['queue']);
        return { queue: queueDoc(q, intOrNull(body['max_task_entries']), false) };
      },
    },
    'queues.create': {
      min: '2.4',
      auth: true,
      handle: ({ body }) => {
        if (typeof body['name'] !== 'string') throw validationError('name is required');
        const tags = Array.isArray(body['system_tags']) ? body['system_tags'].map(String) : [];
        return { id: model.createQueue(body['name'], clock.now(), tags).id };
      },
    },
    'workers.get_all': {
      min: '2.4',
      auth: true,
      handle: ({ body, version }) => {
        const now = clock.now();
        const lastSeen = intOrNull(body['last_seen']) ?? 3600;
        const pattern =
          compareApiVersions(version, '2.30') >= 0 && typeof body['worker_pattern'] === 'string'
            ? globToRegExp(body['worker_pattern'])
            : null;
        const workers = model
          .visibleWorkers(now)
          .filter((w) => lastSeen <= 0 || now - model.lastReport(w, now) <= lastSeen * 1000)
          .filter((w) => !pattern || pattern.test(w.id));
        return { workers: workers.map((w) => workerDoc(w, now)) };
      },
    },
    'workers.unregister': {
      min: '2.4',
      auth: true,
      handle: ({ body }) => {
        if (typeof body['worker'] !== 'string') throw validationError('worker is required');
        // auto_unregister (the server default): an unknown worker is not an error.
        model.unregister(body['worker']);
        return {};
      },
    },
    // What the real clearml-agent daemon calls, besides auth.login and queues.get_all: register, report every
    // few seconds (with the task it runs), read its runtime properties, pull from its queues, mark what it pulled
    // started, and unregister on exit.
    'workers.register': {
      min: '2.4',
      auth: true,
      handle: ({ body }) => {
        if (typeof body['worker'] !== 'string' || !body['worker']) throw validationError('worker is required');
        const timeout = body['timeout'] ?? WORKER_REGISTER_TIMEOUT_SEC;
        if (typeof timeout !== 'number' || timeout <= 0) {
          throw new WireError(400, 1002, `Worker registration failed (invalid timeout, worker=${body['worker']})`);
        }
        const queueIds = (listParam(body['queues']) ?? []).map(String);
        for (const id of queueIds) if (!model.queueById.has(id)) throw invalidQueueId(id);
        model.register(body['worker'], queueIds, clock.now(), true);
        return {};
      },
    },
    'workers.status_report': {
      min: '2.4',
      auth: true,
      handle: ({ body }) => {
        if (typeof body['worker'] !== 'string') throw validationError('worker is required');
        const queueIds = listParam(body['queues'])?.map(String);
        model.statusReport(
          body['worker'],
          {
            taskId: typeof body['task'] === 'string' && body['task'] ? body['task'] : null,
            ...(queueIds ? { queueIds } : {}),
          },
          clock.now(),
        );
        return {};
      },
    },
    'workers.get_runtime_properties': {
      min: '2.10',
      auth: true,
      handle: () => ({ runtime_properties: [] }),
    },
    'queues.get_next_task': {
      min: '2.4',
      auth: true,
      handle: ({ body }) => {
        const q = typeof body['queue'] === 'string' ? model.queueById.get(body['queue']) : undefined;
        if (!q) throw invalidQueueId(body['queue']);
        const head = q.entries[0];
        const taskId = model.popTask(q.id, clock.now());
        if (!taskId || !head) return {};
        const data: Record<string, unknown> = { entry: { task: taskId, added: date(head.added) } };
        if (body['get_task_info'] === true) data['task_info'] = { company: COMPANY.id, user: USER.id };
        return data;
      },
    },
    'tasks.started': {
      min: '1.5',
      auth: true,
      handle: ({ body }) => {
        const t = model.started(body['task'], {
          force: body['force'] === true,
          reason: str(body['status_reason']),
          message: str(body['status_message']),
        });
        return { started: 1, updated: 1, fields: taskFields(t, { started: date(t.started) }) };
      },
    },
    'tasks.ping': {
      min: '2.1',
      auth: true,
      handle: ({ body }) => {
        model.task(body['task']).lastUpdate = clock.now();
        return {};
      },
    },
    'tasks.edit': {
      min: '2.1',
      auth: true,
      handle: ({ body }) => {
        // The agent records runtime facts (its hostname) with force; the emulator keeps no such fields.
        const t = model.task(body['task']);
        if (body['force'] !== true && t.status !== 'created') {
          throw new WireError(400, 110, `Invalid task status (Task is not in created status, status=${t.status})`);
        }
        const fields = Object.fromEntries(Object.entries(body).filter(([k]) => k !== 'task' && k !== 'force'));
        t.lastUpdate = clock.now();
        return { updated: 1, fields };
      },
    },
    'events.add_batch': {
      min: '2.1',
      auth: true,
      handle: ({ body }) => {
        const events = body['events'] as Record<string, unknown>[];
        for (const e of events) if (typeof e['task'] === 'string') model.task(e['task']);
        return { added: events.length, errors: 0, errors_info: {} };
      },
    },
    'tasks.get_all': {
      min: '2.1',
      auth: true,
      handle: ({ body }) => {
        const now = clock.now();
        const ids = listParam(body['id']);
        const statuses = listParam(body['status']);
        const name = regexParam(body['name']);
        const tasks = [...model.taskById.values()].filter(
          (t) =>
            (!ids || ids.includes(t.id)) && (!statuses || statuses.includes(t.status)) && (!name || name.test(t.name)),
        );
        return page(body, 'tasks', tasks, (t) => taskDoc(t, now));
      },
    },
    'tasks.get_by_id': {
      min: '2.1',
      auth: true,
      handle: ({ body }) => ({ task: taskDoc(model.task(body['task']), clock.now()) }),
    },
    'tasks.stop': {
      min: '2.1',
      auth: true,
      handle: ({ body }) => {
        const t = model.stop(body['task'], { force: body['force'] === true, reason: str(body['status_reason']) });
        return { updated: 1, fields: taskFields(t) };
      },
    },
    'tasks.failed': {
      min: '2.1',
      auth: true,
      handle: ({ body }) => {
        const t = model.failed(body['task'], {
          force: body['force'] === true,
          reason: str(body['status_reason']),
          message: str(body['status_message']),
        });
        return { updated: 1, fields: taskFields(t) };
      },
    },
    'tasks.enqueue': {
      min: '1.5',
      auth: true,
      handle: ({ body, version }) => {
        let q: EmuQueue | undefined;
        if (typeof body['queue'] === 'string' && body['queue']) {
          q = model.queueById.get(body['queue']);
          if (!q) throw invalidQueueId(body['queue']);
        } else if (typeof body['queue_name'] === 'string' && compareApiVersions(version, '2.19') >= 0) {
          q = model.queueByName(body['queue_name']) ?? model.createQueue(body['queue_name']);
        } else {
          q = [...model.queueById.values()].find((x) => x.systemTags.includes('default'));
          if (!q) throw new WireError(400, 12, 'Validation error (no queue given and no default queue)');
        }
        const t = model.enqueue(body['task'], q, {
          reason: str(body['status_reason']),
          message: str(body['status_message']),
        });
        return { queued: 1, updated: 1, fields: taskFields(t, { 'execution.queue': q.id }) };
      },
    },
    'tasks.dequeue': {
      min: '1.5',
      auth: true,
      handle: ({ body }) => {
        const t = model.dequeue(body['task']);
        return { dequeued: 1, updated: 1, fields: taskFields(t) };
      },
    },
  };

  function getQueues({ body }: Call, ex: boolean): unknown {
    const ids = listParam(body['id']);
    const name = regexParam(body['name']);
    const maxEntries = intOrNull(body['max_task_entries']);
    const now = clock.now();
    const queues = [...model.queueById.values()].filter(
      (q) => (!ids || ids.includes(q.id)) && (!name || name.test(q.name)),
    );
    return page(body, 'queues', queues, (q) => {
      const doc = queueDoc(q, maxEntries, ex);
      if (ex) {
        doc['workers'] = model
          .visibleWorkers(now)
          .filter((w) => w.queueIds.includes(q.id))
          .map((w) => {
            const t = w.taskId ? model.taskById.get(w.taskId) : undefined;
            return {
              name: w.id,
              ip: w.ip,
              key: `worker_${USER.id}_${w.id}`,
              task: t ? { id: t.id, name: t.name } : null,
            };
          });
      }
      return doc;
    });
  }

  /** Paging (page/page_size, at most 500 a page, 500 without paging), scrolling (size/scroll_id), only_fields. */
  function page<T>(
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

  // ------------------------------------------------------------ HTTP

  function envelope(
    endpoint: string,
    requested: string | null,
    actual: string,
    status: number,
    subcode: number,
    msg: string,
    data: unknown,
  ) {
    const id = randomBytes(16).toString('hex');
    return {
      meta: {
        id,
        trx: id,
        endpoint: { name: endpoint, requested_version: requested ?? maxVersion, actual_version: actual },
        result_code: status,
        result_subcode: subcode,
        result_msg: msg,
        error_stack: null,
        error_data: {},
      },
      data,
    };
  }

  function send(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  }

  function intercept(endpoint: string): { status: number; message: string } | 'hang' | null {
    for (const i of interceptors) {
      const answer = i.request?.(endpoint);
      if (answer) return answer;
    }
    return null;
  }

  function record(r: RecordedRequest): void {
    requests.push(r);
    if (requests.length > 1000) requests.splice(0, requests.length - 1000);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Split by hand: `new URL('//x')` would read a leading double slash as a host.
    const [pathname = '/', query = ''] = (req.url ?? '/').split('?', 2);
    const m = /^\/*(?:v(\d+\.\d+)\/+)?([A-Za-z_]+\.[A-Za-z_]+)\/*$/.exec(pathname);
    const raw = await readBody(req);
    if (!m) {
      send(res, 400, envelope('', null, maxVersion, 400, 0, `Invalid request path ${pathname}`, null));
      return;
    }
    const requested = m[1] ?? null;
    const name = m[2]!;
    calls = { ...calls, total: calls.total + 1, [name]: (calls[name] ?? 0) + 1 };
    const authHeader = req.headers['authorization'];
    const authKind: RecordedRequest['auth'] = !authHeader
      ? 'none'
      : /^basic\s/i.test(authHeader)
        ? 'basic'
        : /^bearer\s/i.test(authHeader)
          ? 'bearer'
          : 'other';
    const version = requested && compareApiVersions(requested, maxVersion) < 0 ? requested : maxVersion;
    let body: Record<string, unknown> = {};
    const reply = (status: number, subcode: number, msg: string, data: unknown) => {
      record({ endpoint: name, version: requested, body, auth: authKind, status });
      send(res, status, envelope(name, requested, version, status, subcode, msg, data));
    };

    let bodyError: WireError | null = null;
    try {
      const enc = req.headers['content-encoding'];
      if (enc && enc !== 'identity') throw new WireError(415, 0, `Unsupported content encoding ${enc}`);
      body = name === 'events.add_batch' ? parseEventBatch(raw) : parseBody(raw);
      mergeQuery(body, new URLSearchParams(query));
    } catch (err) {
      bodyError = err instanceof WireError ? err : validationError(String(err));
    }

    const answer = intercept(name);
    if (answer === 'hang') {
      record({ endpoint: name, version: requested, body, auth: authKind, status: 0 });
      hung.add(res);
      res.on('close', () => hung.delete(res));
      return;
    }
    if (answer) {
      reply(answer.status, 0, answer.message, null);
      return;
    }
    try {
      if (bodyError) throw bodyError;
      const ep = endpoints[name];
      if (!ep || compareApiVersions(version, ep.min) < 0) {
        throw new WireError(404, 0, `Unable to find endpoint for name ${name} and version ${requested ?? maxVersion}`);
      }
      if (ep.auth) authenticate(authHeader);
      const data = ep.handle({ body, version, authHeader });
      reply(200, 0, 'OK', data);
    } catch (err) {
      if (err instanceof WireError) reply(err.status, err.subcode, err.message, null);
      else reply(500, 0, `Internal server error (${err instanceof Error ? err.message : String(err)})`, null);
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, envelope('', null, maxVersion, 500, 0, String(err), null));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  // ------------------------------------------------------------ control surface

  const queueId = (name: string) => {
    const q = model.queueByName(name);
    if (!q) throw new Error(`no queue named '${name}' in the ClearML emulator (createQueue it first)`);
    return q.id;
  };

  return {
    url: `http://127.0.0.1:${port}`,
    accessKey,
    secretKey,
    createQueue: (name) => model.createQueue(name).id,
    addTask(t) {
      const q = model.queueById.get(queueId(t.queue))!;
      const task = model.createTask(t);
      model.enqueue(task.id, q);
      return task.id;
    },
    tasks: () => [...model.taskById.values()].map(taskView),
    task(id) {
      const t = model.taskById.get(id);
      return t ? taskView(t) : null;
    },
    queues: () =>
      [...model.queueById.values()].map((q) => ({ id: q.id, name: q.name, entries: q.entries.map((e) => ({ ...e })) })),
    hasQueue: (name) => model.queueByName(name) !== undefined,
    peekTask(queueName) {
      const head = model.queueByName(queueName)?.entries[0];
      return head ? { ...head } : null;
    },
    workers() {
      const now = clock.now();
      return model.visibleWorkers(now).map((w) => ({
        id: w.id,
        queues: w.queueIds.map((id) => model.queueById.get(id)?.name ?? id),
        taskId: w.taskId,
        registeredAt: w.registeredAt,
        lastReportAt: model.lastReport(w, now),
        reporting: w.stoppedAt === null,
      }));
    },
    registerWorker: (id, queues, at) => void model.register(id, queues.map(queueId), at),
    setWorkerTask(workerId, taskId, at) {
      if (taskId) model.start(workerId, taskId, at);
      else {
        const w = model.worker(workerId);
        w.taskId = null;
        w.taskStartedAt = null;
      }
    },
    popTask: (queueName, at) => model.popTask(queueId(queueName), at),
    completeTask: (id, at) => model.complete(id, at),
    abortTask: (id, at) => model.abort(id, at),
    dropWorker: (id, at) => model.dropWorker(id, at),
    get calls() {
      return calls;
    },
    resetCalls() {
      calls = { total: 0 };
      requests.length = 0;
    },
    requests,
    interceptors,
    expireTokens: () => void tokenGeneration++,
    async close() {
      for (const res of hung) res.destroy();
      hung.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------- helpers

function taskView(t: EmuTask): EmulatedTask {
  return {
    id: t.id,
    name: t.name,
    status: t.status,
    statusReason: t.statusReason,
    statusMessage: t.statusMessage,
    queueId: t.queueId,
    lastWorker: t.lastWorker,
    durationSec: t.durationSec,
    created: t.created,
    started: t.started,
    completed: t.completed,
    stoppingSince: t.stoppingSince,
    statusChanged: t.statusChanged,
  };
}

function b64url(obj: unknown): string {
  return Buffer.from(JSON.stringify(obj)).toString('base64url');
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(raw: string): Record<string, unknown> {
  if (!raw.trim()) return {};
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new WireError(400, 12, 'Validation error (invalid JSON in request body)');
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    throw new WireError(400, 12, 'Validation error (request body must be a JSON object)');
  }
  return json as Record<string, unknown>;
}

/** `events.add_batch` takes newline-delimited JSON events (one object per line), not one JSON object. */
function parseEventBatch(raw: string): Record<string, unknown> {
  const events: Record<string, unknown>[] = [];
  for (const line of raw.split('\n')) if (line.trim()) events.push(parseBody(line));
  return { events };
}

/** Query parameters merge into the body: numbers and true/false coerced, dotted keys nested (as the server does). */
function mergeQuery(body: Record<string, unknown>, params: URLSearchParams): void {
  for (const [key, rawValue] of params) {
    const value: unknown =
      rawValue === 'true'
        ? true
        : rawValue === 'false'
          ? false
          : /^-?\d+(\.\d+)?$/.test(rawValue)
            ? Number(rawValue)
            : rawValue;
    const parts = key.split('.');
    let cur = body;
    for (const p of parts.slice(0, -1)) {
      const next = cur[p];
      if (!next || typeof next !== 'object' || Array.isArray(next)) cur[p] = {};
      cur = cur[p] as Record<string, unknown>;
    }
    cur[parts[parts.length - 1]!] = value;
  }
}

/** The server's pattern fields are regex searches (unanchored, case-sensitive). */
function regexParam(v: unknown): RegExp | null {
  if (typeof v !== 'string' || !v) return null;
  try {
    return new RegExp(v);
  } catch {
    throw validationError(`invalid regular expression: ${v}`);
  }
}

function intOrNull(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : null;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function listParam(v: unknown): string[] | null {
  if (v === undefined || v === null) return null;
  return (Array.isArray(v) ? v : [v]).map(String);
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
