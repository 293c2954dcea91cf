/**
 * The ClearML REST client: POST + JSON to `<apiHost>/v<version>/<service>.<action>`, the
 * `{meta, data}` envelope validated with zod, Bearer-token auth obtained with `auth.login` (per-request Basic
 * auth when login is unavailable), and every failure mapped to a `ClearmlError` the user can act on.
 *
 * Call budget per engine tick: `listQueues` is one call whatever the number of queues, `listWorkers` one call;
 * `listAllWorkers` (every prefix) one call at most every 10 min, while tasks wait (adoption-controller.ts).
 * No call is retried here except once after an expired token: the engine polls again at its next tick anyway.
 */
import type { z } from 'zod';
import {
  ClearmlError,
  systemClock,
  type ClearmlApi,
  type Clock,
  type QueueObs,
  type ServerInfoObs,
  type TaskObs,
  type WorkerObs,
} from '../ports.js';
import {
  accessKeyHint,
  errorFromFetchFailure,
  errorFromNonEnvelope,
  errorFromOversizedReply,
  errorFromRedirect,
  errorFromResult,
  isRedirectStatus,
} from './errors.js';
import { proxyInUse } from '../net/proxy.js';
import type { Surface } from '../surface.js';
import { readBoundedBody } from '../untrusted/bounded-read.js';
import {
  CurrentUserDataSchema,
  EnvelopeSchema,
  LoginDataSchema,
  QueueCreateDataSchema,
  QueuesDataSchema,
  ServerInfoDataSchema,
  TaskUpdateDataSchema,
  TasksDataSchema,
  WorkersDataSchema,
  compareApiVersions,
  decodeJwtPayload,
  escapeGlob,
  exactNamesRegex,
  parseClearmlDate,
} from './wire.js';
import { clip } from '../../../shared/words.js';

export interface ClearmlClientOptions {
  apiHost: string;
  credentials: { accessKey: string; secretKey: string } | null;
  /** With no credentials: why, as the error every call reports (default: none are set, and where to set them). */
  missingCredentials?: string;
  /** A one-off check (a connection test), not the engine's polling: errors do not say "retrying at the next poll". */
  oneShot?: boolean;
  /** Who reads the errors: they name where the keys are changed (default the app). */
  surface?: Surface;
  /** Per call, covering connect, headers and body. Default 10 s. */
  timeoutMs?: number;
  /** Requested API version. 2.20 is the oldest that has everything we call (`max_task_entries`). */
  apiVersion?: string;
  fetchImpl?: typeof fetch;
  clock?: Clock;
}

export type ClearmlClient = ClearmlApi & { readonly calls: number };

export const DEFAULT_API_VERSION = '2.20';
/** `workers.get_all` accepts `worker_pattern` from this version on. */
export const WORKER_PATTERN_VERSION = '2.30';
export const PAGE_SIZE = 500;
/**
 * `workers.get_all` `last_seen`: agents report every 30 s and the server forgets a worker 600 s after its last
 * report (its register timeout), so 600 s drops nothing a default agent could still own, while hiding workers
 * registered with a longer timeout that have been silent for 20 missed reports (they are not functional).
 * The server default (3600) would keep such zombies for an hour.
 */
export const WORKERS_LAST_SEEN_SEC = 600;

function workerObs(w: z.infer<typeof WorkersDataSchema>['workers'][number]): WorkerObs {
  return {
    id: w.id,
    task: w.task ? { id: w.task.id, ...(w.task.name ? { name: keptName(w.task.name) } : {}) } : null,
    queues: (w.queues ?? []).map((q) => q.name ?? q.id ?? '').filter((n) => n !== ''),
    registeredAt: parseClearmlDate(w.register_time),
    lastActivityAt: parseClearmlDate(w.last_activity_time),
    lastReportAt: parseClearmlDate(w.last_report_time),
  };
}
/**
 * Each worker id once. A reply listing an id twice (a server or proxy fault) would count one agent as two; when
 * the copies disagree, the busy one wins, so no reading of the reply has its instance look idle.
 */
function oneWorkerPerId(workers: readonly WorkerObs[]): WorkerObs[] {
  const byId = new Map<string, WorkerObs>();
  for (const w of workers) {
    const seen = byId.get(w.id);
    if (!seen || (!seen.task && w.task)) byId.set(w.id, w);
  }
  return [...byId.values()];
}
/**
 * A task name is only shown (status line, event log, notifications): kept at most this long, so a server sending
 * megabyte names cannot fill memory across the pages of a listing, nor the screen.
 */
export const MAX_NAME_CHARS = 256;

/**
 * A name clipped to MAX_NAME_CHARS, copied: V8 makes a cut of a long string a view that keeps the whole original
 * alive, so the clip alone would keep every megabyte name in memory.
 */
function keptName(name: string): string {
  return name.length <= MAX_NAME_CHARS ? name : Buffer.from(clip(name, MAX_NAME_CHARS), 'utf8').toString('utf8');
}
/** Refresh the token when less than this much validity is left (what the ClearML SDK does). */
const TOKEN_REFRESH_MARGIN_MS = 60_000;
/** A token without a readable `exp` is used for this long, then renewed. */
const TOKEN_FALLBACK_LIFETIME_MS = 3_600_000;
const TASK_FIELDS = ['id', 'name', 'status', 'execution.queue', 'last_worker', 'status_changed'];
/** A bug or a server ignoring `page` must not loop forever. */
const MAX_PAGES = 200;
/**
 * The most one reply may carry. A page of 500 tasks or queues is well under a megabyte, and the workers of a large
 * deployment a few; a wrong host (a file server) or a hostile one must not fill memory with one reply.
 */
export const MAX_REPLY_BYTES = 64 * 2 ** 20;

interface CallOptions {
  auth?: boolean;
  /** Overrides the URL version for one call (e.g. 2.30 to use `worker_pattern`). */
  version?: string;
}

type Token = { value: string; expiresAt: number };

/**
 * A paged `get_all`: pages 0, 1, … until a short page, a page with nothing new (a server or proxy that ignores
 * `page` would otherwise be asked forever) or MAX_PAGES; each entry once, in the order first seen.
 */
async function readPages<T extends { id: string }>(fetchPage: (page: number) => Promise<readonly T[]>): Promise<T[]> {
  const byId = new Map<string, T>();
  for (let page = 0; page < MAX_PAGES; page++) {
    const items = await fetchPage(page);
    let fresh = 0;
    for (const item of items) {
      if (byId.has(item.id)) continue;
      fresh++;
      byId.set(item.id, item);
    }
    if (items.length < PAGE_SIZE || fresh === 0) break;
  }
  return [...byId.values()];
}

/** A `tasks.get_all` entry as the engine sees it. */
function taskObs(t: z.infer<typeof TasksDataSchema>['tasks'][number]): TaskObs {
  return {
    id: t.id,
    name: keptName(t.name ?? ''),
    status: t.status ?? 'unknown',
    queueId: t.execution?.queue ?? null,
    lastWorker: t.last_worker ?? null,
    statusChangedAt: parseClearmlDate(t.status_changed),
  };
}

export function createClearmlClient(opts: ClearmlClientOptions): ClearmlClient {
  const apiHost = opts.apiHost.trim().replace(/\/+$/, '');
  const version = opts.apiVersion ?? DEFAULT_API_VERSION;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const fetchImpl = opts.fetchImpl ?? globalThis.fetch;
  const clock = opts.clock ?? systemClock;
  const creds = opts.credentials;
  const basic = creds ? `Basic ${Buffer.from(`${creds.accessKey}:${creds.secretKey}`).toString('base64')}` : null;

  let calls = 0;
  let token: Token | null = null;
  let login: Promise<Token | null> | null = null;
  /** Set when the server has no usable `auth.login`: every call then carries Basic auth. */
  let loginUnavailable = false;
  /** The server's max API version, from the token claims or `server.info`; null until known. */
  let serverApiVersion: string | null = null;

  const ctx = (endpoint: string) => ({
    endpoint,
    apiHost,
    accessKeyHint: creds ? accessKeyHint(creds.accessKey) : null,
    proxyInUse: proxyInUse(),
    ...(opts.oneShot ? { retries: false } : {}),
    ...(opts.surface ? { surface: opts.surface } : {}),
  });

  /**
   * What a server (or a proxy in front of it) says is shown to the user, logged and sent to every window: it may
   * quote the request's Authorization header or the secret. Masked before anything cuts it to length, so no part
   * of a secret survives the cut: the secret, the header's credentials (the Basic pair, the session token), and any
   * other Basic or Bearer credential.
   */
  function maskSecrets(text: string): string {
    let out = text.replace(/\b(Basic|Bearer)\s+[A-Za-z0-9+/=._~-]{8,}/gi, '$1 ***');
    for (const secret of [creds?.secretKey, basic?.replace(/^Basic /, ''), token?.value])
      if (secret && secret.length >= 8) out = out.split(secret).join('***');
    return out;
  }

  /** Last line of defence: nothing the server echoes may carry the secret out in an error message. */
  function scrub(err: ClearmlError): ClearmlError {
    const message = maskSecrets(err.message);
    return message === err.message ? err : new ClearmlError(err.kind, message, err.detail);
  }

  /** One HTTP exchange; resolves to the envelope's data or throws a ClearmlError. */
  async function send(endpoint: string, body: object, authorization: string | null, v: string): Promise<unknown> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (authorization) headers['authorization'] = authorization;
    calls++;
    let res: Response;
    let text: string;
    const path = `/v${v}/${endpoint}`;
    try {
      res = await fetchImpl(`${apiHost}${path}`, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
        // Followed, a redirect to another origin drops the credentials and a 301/302 turns the POST into a GET: the
        // server would then say "no credentials" to a user whose keys are right. Said as what it is instead.
        redirect: 'manual',
      });
      const reply = await readBoundedBody(res, MAX_REPLY_BYTES);
      if (reply === null) throw scrub(errorFromOversizedReply(MAX_REPLY_BYTES, ctx(endpoint)));
      text = reply;
    } catch (err) {
      if (err instanceof ClearmlError) throw err;
      throw scrub(errorFromFetchFailure(err, timeoutMs, ctx(endpoint)));
    }
    if (isRedirectStatus(res.status))
      throw scrub(errorFromRedirect(res.status, res.headers.get('location'), path, ctx(endpoint)));
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const env = EnvelopeSchema.safeParse(json);
    if (!env.success)
      throw scrub(errorFromNonEnvelope(res.status, res.headers.get('content-type') ?? '', ctx(endpoint)));
    const { meta } = env.data;
    const status = meta.result_code || res.status;
    if (status >= 200 && status < 300) return env.data.data;
    throw scrub(errorFromResult(status, meta.result_subcode ?? 0, maskSecrets(meta.result_msg ?? ''), ctx(endpoint)));
  }

  function parse<S extends z.ZodType>(endpoint: string, schema: S, data: unknown): z.output<S> {
    const r = schema.safeParse(data);
    if (r.success) return r.data;
    const issue = r.error.issues[0];
    throw new ClearmlError(
      'invalid',
      `The ClearML server at ${apiHost} sent an unexpected ${endpoint} reply (${issue ? `${issue.path.join('.')}: ${issue.message}` : 'bad shape'}): ` +
        `this server version may be unsupported; please report it`,
    );
  }

  async function getToken(): Promise<Token | null> {
    if (loginUnavailable || !basic) return null;
    if (token && token.expiresAt - clock.now() > TOKEN_REFRESH_MARGIN_MS) return token;
    // Concurrent calls share one login.
    login ??= doLogin().finally(() => (login = null));
    return login;
  }

  async function doLogin(): Promise<Token | null> {
    let data: unknown;
    try {
      data = await send('auth.login', {}, basic, version);
    } catch (err) {
      // No login endpoint (a proxy or trimmed server): stay stateless, Basic on every call. A redirect is not that:
      // every endpoint redirects alike, and the user is told which host to use.
      if (
        err instanceof ClearmlError &&
        !isRedirectStatus(err.status) &&
        (err.kind === 'not-found' || (err.kind === 'invalid' && err.status !== 401))
      ) {
        loginUnavailable = true;
        token = null;
        return null;
      }
      throw err;
    }
    const { token: value } = parse('auth.login', LoginDataSchema, data);
    const claims = decodeJwtPayload(value);
    if (claims?.api_version != null) serverApiVersion = String(claims.api_version);
    const expiresAt = claims?.exp ? claims.exp * 1000 : clock.now() + TOKEN_FALLBACK_LIFETIME_MS;
    token = { value, expiresAt };
    return token;
  }

  function requireCredentials(): string {
    if (basic) return basic;
    throw new ClearmlError(
      'auth',
      opts.missingCredentials ??
        (opts.surface === 'cli'
          ? "No ClearML credentials are set on the engine's host: set CLEARML_API_ACCESS_KEY and " +
            'CLEARML_API_SECRET_KEY there, or run clearml-init there to create ~/clearml.conf'
          : 'No ClearML credentials are set: add an access key and secret key in the Credentials tab ' +
            '(or run clearml-init to create ~/clearml.conf)'),
    );
  }

  async function call(endpoint: string, body: object, o: CallOptions = {}): Promise<unknown> {
    const v = o.version ?? version;
    if (o.auth === false) return send(endpoint, body, null, v);
    const basicAuth = requireCredentials();
    const t = await getToken();
    if (!t) return send(endpoint, body, basicAuth, v);
    try {
      return await send(endpoint, body, `Bearer ${t.value}`, v);
    } catch (err) {
      // An expired or invalidated token: log in again once and retry this call once.
      if (!(err instanceof ClearmlError && err.status === 401 && err.subcode === 30)) throw err;
      if (token === t) token = null;
      const fresh = await getToken();
      return send(endpoint, body, fresh ? `Bearer ${fresh.value}` : basicAuth, v);
    }
  }

  async function fetchServerInfo(): Promise<ServerInfoObs> {
    const data = parse('server.info', ServerInfoDataSchema, await call('server.info', {}, { auth: false }));
    const info = { version: data.version ?? 'unknown', apiVersion: String(data.api_version ?? '') };
    if (info.apiVersion) serverApiVersion = info.apiVersion;
    return info;
  }

  async function supportsWorkerPattern(): Promise<boolean> {
    if (serverApiVersion === null) {
      try {
        await fetchServerInfo();
      } catch (err) {
        // A server without server.info is older than worker_pattern anyway.
        if (!(err instanceof ClearmlError && err.kind === 'not-found')) throw err;
        serverApiVersion = '0';
      }
    }
    return !!serverApiVersion && compareApiVersions(serverApiVersion, WORKER_PATTERN_VERSION) >= 0;
  }

  const api: ClearmlClient = {
    get calls() {
      return calls;
    },

    async listQueues(names) {
      if (names.length === 0) return [];
      const wanted = new Set(names);
      const queues = await readPages(async (page) => {
        const data = await call('queues.get_all', {
          name: exactNamesRegex([...wanted]),
          only_fields: ['id', 'name', 'entries'],
          page,
          page_size: PAGE_SIZE,
        });
        return parse('queues.get_all', QueuesDataSchema, data).queues;
      });
      const byId = new Map<string, QueueObs>();
      // The server's regex is authoritative only for us: keep exact matches (a proxy may ignore `name`). A queue
      // on two pages (a page handed out twice) is one queue.
      for (const q of queues) {
        if (!wanted.has(q.name) || byId.has(q.id)) continue;
        // A task is one task however often the reply lists it: counted per entry, it would get an instance per copy.
        const entries = new Map<string, QueueObs['entries'][number]>();
        for (const e of q.entries ?? [])
          if (!entries.has(e.task))
            // An entry without a date is treated as just enqueued rather than dropped.
            entries.set(e.task, { taskId: e.task, addedAt: parseClearmlDate(e.added) ?? clock.now() });
        byId.set(q.id, { id: q.id, name: q.name, entries: [...entries.values()] });
      }
      return [...byId.values()];
    },

    async listWorkers(prefix) {
      requireCredentials();
      const head = `${prefix}:`;
      const pattern = await supportsWorkerPattern();
      const body: Record<string, unknown> = { last_seen: WORKERS_LAST_SEEN_SEC };
      if (pattern) body['worker_pattern'] = `${escapeGlob(head)}*`;
      const data = await call('workers.get_all', body, pattern ? { version: maxVersion(version) } : {});
      const { workers } = parse('workers.get_all', WorkersDataSchema, data);
      // Always filter here too: older servers ignore worker_pattern.
      return oneWorkerPerId(workers.filter((w) => w.id.startsWith(head)).map(workerObs));
    },

    async listAllWorkers() {
      requireCredentials();
      const data = await call('workers.get_all', { last_seen: WORKERS_LAST_SEEN_SEC });
      return oneWorkerPerId(parse('workers.get_all', WorkersDataSchema, data).workers.map(workerObs));
    },

    async createQueue(name) {
      const data = parse('queues.create', QueueCreateDataSchema, await call('queues.create', { name }));
      return { id: data.id };
    },

    async unregisterWorker(workerId) {
      try {
        await call('workers.unregister', { worker: workerId });
      } catch (err) {
        // Already gone (expired, or unregistered by its agent): the goal is reached.
        if (err instanceof ClearmlError && err.status === 400 && (err.subcode === 1001 || err.subcode === 1004)) return;
        throw err;
      }
    },

    async inProgressTasks() {
      const tasks = await readPages(async (page) => {
        const data = await call('tasks.get_all', {
          status: ['in_progress'],
          only_fields: TASK_FIELDS,
          search_hidden: true,
          page,
          page_size: PAGE_SIZE,
        });
        // Read into what the engine keeps page by page: the parsed entries carry every extra field the server sent.
        return parse('tasks.get_all', TasksDataSchema, data).tasks.map(taskObs);
      });
      return tasks;
    },

    async getTasks(ids) {
      const unique = [...new Set(ids)];
      const out: TaskObs[] = [];
      for (let i = 0; i < unique.length; i += PAGE_SIZE) {
        const chunk = unique.slice(i, i + PAGE_SIZE);
        const data = await call('tasks.get_all', {
          id: chunk,
          only_fields: TASK_FIELDS,
          // Hidden tasks (pipeline steps, datasets) are still tasks a queue can hold.
          search_hidden: true,
          page: 0,
          page_size: PAGE_SIZE,
        });
        // Only the tasks asked for, each once: a server (or proxy) answering with other tasks would otherwise have
        // a requeue read another task's status as this one's.
        const asked = new Set(chunk);
        for (const t of parse('tasks.get_all', TasksDataSchema, data).tasks) {
          if (!asked.delete(t.id)) continue;
          out.push(taskObs(t));
        }
      }
      return out;
    },

    async requeueTask(taskId, queueId, reason) {
      const [task] = await api.getTasks([taskId]);
      if (!task) {
        throw new ClearmlError('not-found', `ClearML task ${taskId} no longer exists, so it cannot be requeued`);
      }
      let status: string = task.status;
      // Already back in a queue (another autoscaler or a user got there first), or it finished: nothing to do.
      if (status === 'queued' || !REQUEUE_FROM.has(status)) return;
      if (status !== 'created' && status !== 'stopped' && status !== 'failed') {
        status = await stopTask(taskId, reason);
        if (status === 'in_progress') {
          // The server still believes the lost worker is alive (it updated the task < 10 min ago), so stop only
          // flagged "stopping". Mark it failed instead: a lost instance is a failed attempt, and failed → queued is
          // a legal transition.
          status = await changeStatus('tasks.failed', taskId, reason);
        }
      }
      try {
        await call('tasks.enqueue', { task: taskId, queue: queueId, status_reason: reason });
      } catch (err) {
        // Raced with someone else's enqueue: 400/110 (queued → queued) or 400/706 (already in the queue).
        if (err instanceof ClearmlError && err.status === 400 && (err.subcode === 706 || err.subcode === 110)) {
          const [now] = await api.getTasks([taskId]);
          if (now?.status === 'queued') return;
        }
        throw err;
      }
    },

    serverInfo: fetchServerInfo,

    async checkAuth() {
      const data = parse('users.get_current_user', CurrentUserDataSchema, await call('users.get_current_user', {}));
      return { user: data.user.name ?? data.user.id };
    },
  };

  async function stopTask(taskId: string, reason: string): Promise<string> {
    try {
      return await changeStatus('tasks.stop', taskId, reason);
    } catch (err) {
      // Already stopped between our read and this call.
      if (err instanceof ClearmlError && err.status === 400 && err.subcode === 110) return 'stopped';
      throw err;
    }
  }

  async function changeStatus(endpoint: 'tasks.stop' | 'tasks.failed', taskId: string, reason: string) {
    const data = await call(endpoint, { task: taskId, force: true, status_reason: reason });
    const status = parse(endpoint, TaskUpdateDataSchema, data).fields?.status;
    if (status) return status;
    // Some servers omit `fields`: read the outcome instead of assuming it.
    const [task] = await api.getTasks([taskId]);
    return task?.status ?? 'unknown';
  }

  return api;
}

/** Statuses a stranded task can be in; anything else (completed, published, closed) finished and stays. */
const REQUEUE_FROM = new Set(['created', 'stopped', 'failed', 'in_progress', 'unknown']);

function maxVersion(v: string): string {
  return compareApiVersions(v, WORKER_PATTERN_VERSION) >= 0 ? v : WORKER_PATTERN_VERSION;
}
