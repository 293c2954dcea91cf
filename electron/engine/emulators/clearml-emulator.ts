/**
 * A ClearML API server on 127.0.0.1 speaking the ClearML server's wire format: any HTTP method, paths
 * `/<service>.<action>` and `/v<x.y>/<service>.<action>`, query parameters merged into the JSON body, the full
 * `{meta, data}` envelope (result_code = HTTP status, with subcodes), Basic and Bearer (JWT with `exp`) auth.
 * State and rules live in `clearml-model.ts`; the endpoints by area in `clearml-auth.ts`, `clearml-queues.ts`,
 * `clearml-workers.ts` and `clearml-tasks.ts`. This file is the HTTP edge, the interceptors test machinery
 * injects faults through (`testkit/clearml-faults.ts`) and the in-process control surface used by tests, the
 * demo and the agent simulator.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock, TaskStatus } from '../ports.js';
import { compareApiVersions } from '../clearml/wire.js';
import { authEndpoints, TokenAuth } from './clearml-auth.js';
import { ClearmlModel, WireError, validationError, type EmuTask } from './clearml-model.js';
import { queueEndpoints } from './clearml-queues.js';
import { mergeQuery, parseBody, parseEventBatch, readBody } from './clearml-request.js';
import { taskEndpoints } from './clearml-tasks.js';
import { USER, type Endpoint, type EndpointContext } from './clearml-wire-docs.js';
import { workerEndpoints } from './clearml-workers.js';
import { errorText } from '../../../shared/error-text.js';

export interface ClearmlEmulatorOptions {
  clock: Clock;
  accessKey?: string;
  secretKey?: string;
  /** The server's max API version (what server.info reports). Default 2.31 (the Jan 2025 OSS server). */
  apiVersion?: string;
  serverVersion?: string;
  /** Lifetime of tokens from auth.login. Default 30 days, as the real server. */
  tokenLifetimeSec?: number;
  /** The address to listen on (default 127.0.0.1); another loopback address is not in a default NO_PROXY. */
  host?: string;
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
  /** When the emulator answered it (or began to hang it), on the emulator's clock (ms epoch). */
  at: number;
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

export async function startClearmlEmulator(opts: ClearmlEmulatorOptions): Promise<ClearmlEmulator> {
  const { clock } = opts;
  const accessKey = opts.accessKey ?? 'EMULATORACCESSKEY0001';
  const secretKey = opts.secretKey ?? 'emulator-secret-key-do-not-use-0123456789abcdefgh';
  const maxVersion = opts.apiVersion ?? '2.31';
  const serverVersion = opts.serverVersion ?? '1.17.0';
  const tokenLifetimeSec = opts.tokenLifetimeSec ?? 2_592_000;
  const model = new ClearmlModel(clock, USER.name);

  let calls: CallCounts = { total: 0 };
  const requests: RecordedRequest[] = [];
  const interceptors: ClearmlInterceptor[] = [];
  const keysRevoked = () => interceptors.some((i) => i.credentialsAccepted?.() === false);
  const hung = new Set<ServerResponse>();
  const auth = new TokenAuth({ clock, model, accessKey, secretKey, maxVersion, serverVersion, keysRevoked });
  const ctx: EndpointContext = { model, clock, maxVersion, serverVersion, tokenLifetimeSec };
  const endpoints: Record<string, Endpoint> = {
    ...authEndpoints({ ...ctx, auth }),
    ...queueEndpoints(ctx),
    ...workerEndpoints(ctx),
    ...taskEndpoints(ctx),
  };

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

  function record(r: Omit<RecordedRequest, 'at'>): void {
    requests.push({ ...r, at: clock.now() });
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
      if (ep.auth) auth.authenticate(authHeader);
      const data = ep.handle({ body, version, authHeader });
      reply(200, 0, 'OK', data);
    } catch (err) {
      if (err instanceof WireError) reply(err.status, err.subcode, err.message, null);
      else reply(500, 0, `Internal server error (${errorText(err)})`, null);
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, envelope('', null, maxVersion, 500, 0, String(err), null));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  // ------------------------------------------------------------ control surface

  const queueId = (name: string) => {
    const q = model.queueByName(name);
    if (!q) throw new Error(`no queue named '${name}' in the ClearML emulator (createQueue it first)`);
    return q.id;
  };

  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
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
    expireTokens: () => auth.expire(),
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
