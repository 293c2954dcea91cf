/** The queue endpoints: list (with paging and the `_ex` worker lists), read one, create, pull the next task. */
import { invalidQueueId, validationError } from './clearml-model.js';
import { intOrNull, listParam, regexParam } from './clearml-request.js';
import {
  COMPANY,
  date,
  page,
  queueDoc,
  USER,
  type Call,
  type Endpoint,
  type EndpointContext,
} from './clearml-wire-docs.js';

export function queueEndpoints(c: EndpointContext): Record<string, Endpoint> {
  return {
    'queues.get_all': { min: '2.4', auth: true, handle: (call) => getQueues(c, call, false) },
    'queues.get_all_ex': { min: '2.4', auth: true, handle: (call) => getQueues(c, call, true) },
    'queues.get_by_id': {
      min: '2.4',
      auth: true,
      handle: ({ body }) => {
        const q = typeof body['queue'] === 'string' ? c.model.queueById.get(body['queue']) : undefined;
        if (!q) throw invalidQueueId(body['queue']);
        return { queue: queueDoc(c.model, q, intOrNull(body['max_task_entries']), false) };
      },
    },
    'queues.create': {
      min: '2.4',
      auth: true,
      handle: ({ body }) => {
        if (typeof body['name'] !== 'string') throw validationError('name is required');
        const tags = Array.isArray(body['system_tags']) ? body['system_tags'].map(String) : [];
        return { id: c.model.createQueue(body['name'], c.clock.now(), tags).id };
      },
    },
    'queues.get_next_task': {
      min: '2.4',
      auth: true,
      handle: ({ body }) => {
        const q = typeof body['queue'] === 'string' ? c.model.queueById.get(body['queue']) : undefined;
        if (!q) throw invalidQueueId(body['queue']);
        const head = q.entries[0];
        const taskId = c.model.popTask(q.id, c.clock.now());
        if (!taskId || !head) return {};
        const data: Record<string, unknown> = { entry: { task: taskId, added: date(head.added) } };
        if (body['get_task_info'] === true) data['task_info'] = { company: COMPANY.id, user: USER.id };
        return data;
      },
    },
  };
}

function getQueues(c: EndpointContext, { body }: Call, ex: boolean): unknown {
  const ids = listParam(body['id']);
  const name = regexParam(body['name']);
  const maxEntries = intOrNull(body['max_task_entries']);
  const now = c.clock.now();
  const queues = [...c.model.queueById.values()].filter(
    (q) => (!ids || ids.includes(q.id)) && (!name || name.test(q.name)),
  );
  return page(body, 'queues', queues, (q) => {
    const doc = queueDoc(c.model, q, maxEntries, ex);
    if (ex) {
      doc['workers'] = c.model
        .visibleWorkers(now)
        .filter((w) => w.queueIds.includes(q.id))
        .map((w) => {
          const t = w.taskId ? c.model.taskById.get(w.taskId) : undefined;
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
