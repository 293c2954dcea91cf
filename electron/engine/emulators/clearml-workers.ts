/** The worker endpoints: what clearml-agent calls to register, report and unregister, and the listing we read. */
import { compareApiVersions, globToRegExp } from '../clearml/wire.js';
import { WORKER_REGISTER_TIMEOUT_SEC, WireError, invalidQueueId, validationError } from './clearml-model.js';
import { intOrNull, listParam } from './clearml-request.js';
import { workerDoc, type Endpoint, type EndpointContext } from './clearml-wire-docs.js';

export function workerEndpoints(c: EndpointContext): Record<string, Endpoint> {
  return {
    'workers.get_all': {
      min: '2.4',
      auth: true,
      handle: ({ body, version }) => {
        const now = c.clock.now();
        const lastSeen = intOrNull(body['last_seen']) ?? 3600;
        const pattern =
          compareApiVersions(version, '2.30') >= 0 && typeof body['worker_pattern'] === 'string'
            ? globToRegExp(body['worker_pattern'])
            : null;
        const workers = c.model
          .visibleWorkers(now)
          .filter((w) => lastSeen <= 0 || now - c.model.lastReport(w, now) <= lastSeen * 1000)
          .filter((w) => !pattern || pattern.test(w.id));
        return { workers: workers.map((w) => workerDoc(c.model, w, now)) };
      },
    },
    'workers.unregister': {
      min: '2.4',
      auth: true,
      handle: ({ body }) => {
        if (typeof body['worker'] !== 'string') throw validationError('worker is required');
        // auto_unregister (the server default): an unknown worker is not an error.
        c.model.unregister(body['worker']);
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
        for (const id of queueIds) if (!c.model.queueById.has(id)) throw invalidQueueId(id);
        c.model.register(body['worker'], queueIds, c.clock.now(), true);
        return {};
      },
    },
    'workers.status_report': {
      min: '2.4',
      auth: true,
      handle: ({ body }) => {
        if (typeof body['worker'] !== 'string') throw validationError('worker is required');
        const queueIds = listParam(body['queues'])?.map(String);
        c.model.statusReport(
          body['worker'],
          {
            taskId: typeof body['task'] === 'string' && body['task'] ? body['task'] : null,
            ...(queueIds ? { queueIds } : {}),
          },
          c.clock.now(),
        );
        return {};
      },
    },
    'workers.get_runtime_properties': {
      min: '2.10',
      auth: true,
      handle: () => ({ runtime_properties: [] }),
    },
  };
}
