/** The task endpoints (status changes, listing, enqueue/dequeue) and `events.add_batch`. */
import { compareApiVersions } from '../clearml/wire.js';
import { WireError, invalidQueueId, type EmuQueue } from './clearml-model.js';
import { listParam, regexParam, str } from './clearml-request.js';
import { date, page, taskDoc, taskFields, type Endpoint, type EndpointContext } from './clearml-wire-docs.js';

export function taskEndpoints(c: EndpointContext): Record<string, Endpoint> {
  return {
    'tasks.started': {
      min: '1.5',
      auth: true,
      handle: ({ body }) => {
        const t = c.model.started(body['task'], {
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
        c.model.task(body['task']).lastUpdate = c.clock.now();
        return {};
      },
    },
    'tasks.edit': {
      min: '2.1',
      auth: true,
      handle: ({ body }) => {
        // The agent records runtime facts (its hostname) with force; the emulator keeps no such fields.
        const t = c.model.task(body['task']);
        if (body['force'] !== true && t.status !== 'created') {
          throw new WireError(400, 110, `Invalid task status (Task is not in created status, status=${t.status})`);
        }
        const fields = Object.fromEntries(Object.entries(body).filter(([k]) => k !== 'task' && k !== 'force'));
        t.lastUpdate = c.clock.now();
        return { updated: 1, fields };
      },
    },
    'tasks.get_all': {
      min: '2.1',
      auth: true,
      handle: ({ body }) => {
        const now = c.clock.now();
        const ids = listParam(body['id']);
        const statuses = listParam(body['status']);
        const name = regexParam(body['name']);
        const tasks = [...c.model.taskById.values()].filter(
          (t) =>
            (!ids || ids.includes(t.id)) && (!statuses || statuses.includes(t.status)) && (!name || name.test(t.name)),
        );
        return page(body, 'tasks', tasks, (t) => taskDoc(c.model, t, now));
      },
    },
    'tasks.get_by_id': {
      min: '2.1',
      auth: true,
      handle: ({ body }) => ({ task: taskDoc(c.model, c.model.task(body['task']), c.clock.now()) }),
    },
    'tasks.stop': {
      min: '2.1',
      auth: true,
      handle: ({ body }) => {
        const t = c.model.stop(body['task'], { force: body['force'] === true, reason: str(body['status_reason']) });
        return { updated: 1, fields: taskFields(t) };
      },
    },
    'tasks.failed': {
      min: '2.1',
      auth: true,
      handle: ({ body }) => {
        const t = c.model.failed(body['task'], {
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
          q = c.model.queueById.get(body['queue']);
          if (!q) throw invalidQueueId(body['queue']);
        } else if (typeof body['queue_name'] === 'string' && compareApiVersions(version, '2.19') >= 0) {
          q = c.model.queueByName(body['queue_name']) ?? c.model.createQueue(body['queue_name']);
        } else {
          q = [...c.model.queueById.values()].find((x) => x.systemTags.includes('default'));
          if (!q) throw new WireError(400, 12, 'Validation error (no queue given and no default queue)');
        }
        const t = c.model.enqueue(body['task'], q, {
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
        const t = c.model.dequeue(body['task']);
        return { dequeued: 1, updated: 1, fields: taskFields(t) };
      },
    },
    'events.add_batch': {
      min: '2.1',
      auth: true,
      handle: ({ body }) => {
        const events = body['events'] as Record<string, unknown>[];
        for (const e of events) if (typeof e['task'] === 'string') c.model.task(e['task']);
        return { added: events.length, errors: 0, errors_info: {} };
      },
    },
  };
}
