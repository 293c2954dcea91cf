// The client against a ClearML server whose replies are well-formed envelopes carrying odd or hostile data.
import { describe, expect, it } from 'vitest';
import { createClearmlClient, MAX_NAME_CHARS } from '../../electron/engine/clearml/client.js';

/** A fetch that answers like a ClearML server: login and server.info as usual, `reply(endpoint, body)` otherwise. */
function hostile(reply: (endpoint: string, body: Record<string, unknown>) => unknown): typeof fetch {
  return async (input, init) => {
    const endpoint = (typeof input === 'string' ? input : input instanceof URL ? input.href : input.url)
      .split('/')
      .pop()!;
    const body = JSON.parse(typeof init?.body === 'string' ? init.body : '{}') as Record<string, unknown>;
    const data =
      endpoint === 'auth.login'
        ? { token: 'no-claims-token' }
        : endpoint === 'server.info'
          ? { version: '1.16.0', api_version: '2.30' }
          : reply(endpoint, body);
    return new Response(JSON.stringify({ meta: { result_code: 200, result_subcode: 0, result_msg: 'OK' }, data }), {
      headers: { 'content-type': 'application/json' },
    });
  };
}

function client(reply: (endpoint: string, body: Record<string, unknown>) => unknown) {
  return createClearmlClient({
    apiHost: 'http://clearml.test:8008',
    credentials: { accessKey: 'AKTEST123456', secretKey: 'SKTEST-very-secret-value' },
    fetchImpl: hostile(reply),
  });
}

describe('getTasks', () => {
  it('keeps only the tasks asked for, each once, whatever else the reply lists', async () => {
    const c = client(() => ({
      tasks: [
        { id: 'other', status: 'in_progress' },
        { id: 't1', status: 'stopped' },
        { id: 't1', status: 'in_progress' },
      ],
    }));
    expect(await c.getTasks(['t1'])).toEqual([
      { id: 't1', name: '', status: 'stopped', queueId: null, lastWorker: null, statusChangedAt: null },
    ]);
  });

  it('a status change time that is no date reads as unknown, and the list is kept', async () => {
    const c = client(() => ({
      tasks: [
        { id: 't1', status: 'completed', status_changed: 'yesterday' },
        { id: 't2', status: 'completed', status_changed: 1_700_000_000 },
        { id: 't3', status: 'completed', status_changed: '2026-12-07T10:15:30.123000+00:00' },
      ],
    }));
    const tasks = await c.getTasks(['t1', 't2', 't3']);
    expect(tasks.map((t) => t.statusChangedAt)).toEqual([null, null, Date.UTC(2026, 11, 7, 10, 15, 30, 123)]);
  });

  it('a requeue reads the status of its own task, not of one listed before it', async () => {
    const calls: string[] = [];
    const c = client((endpoint) => {
      calls.push(endpoint);
      // A task that already went back to its queue needs nothing; the stranger listed first is in progress.
      if (endpoint === 'tasks.get_all')
        return {
          tasks: [
            { id: 'stranger', status: 'in_progress' },
            { id: 't1', status: 'queued' },
          ],
        };
      return { updated: 1, fields: { status: 'stopped' } };
    });
    await c.requeueTask('t1', 'q1', 'its instance was lost');
    expect(calls).toEqual(['tasks.get_all']);
  });
});

describe('workers', () => {
  it.each(['listWorkers', 'listAllWorkers'] as const)(
    '%s lists a worker id the reply repeats once, busy when any copy is',
    async (method) => {
      const c = client(() => ({
        workers: [
          { id: 'p:gpu:g4dn.xlarge:i-0abc', task: null },
          { id: 'p:gpu:g4dn.xlarge:i-0abc', task: { id: 't1', name: 'train' } },
          { id: 'p:gpu:g4dn.xlarge:i-0abc', task: null },
        ],
      }));
      const workers = await (method === 'listWorkers' ? c.listWorkers('p') : c.listAllWorkers!());
      expect(workers.map((w) => [w.id, w.task?.id ?? null])).toEqual([['p:gpu:g4dn.xlarge:i-0abc', 't1']]);
    },
  );
});

describe('very long task names', () => {
  const huge = 'x'.repeat(100_000);

  it.each(['getTasks', 'inProgressTasks'] as const)('%s keeps a bounded name, ending with "…"', async (method) => {
    const c = client(() => ({ tasks: [{ id: 't1', name: huge, status: 'in_progress', padding: huge }] }));
    const [task] = method === 'getTasks' ? await c.getTasks(['t1']) : await c.inProgressTasks!();
    expect(task!.name.length).toBeLessThanOrEqual(MAX_NAME_CHARS);
    expect(task!.name.endsWith('…')).toBe(true);
    // Only what the engine reads is kept, not the extra fields the server added.
    expect(Object.keys(task!).sort()).toEqual(['id', 'lastWorker', 'name', 'queueId', 'status', 'statusChangedAt']);
  });

  it("a worker's task name is bounded too", async () => {
    const c = client(() => ({ workers: [{ id: 'p:gpu:g4dn.xlarge:i-0abc', task: { id: 't1', name: huge } }] }));
    const [worker] = await c.listWorkers('p');
    expect(worker!.task!.name!.length).toBeLessThanOrEqual(MAX_NAME_CHARS);
  });
});

describe('the envelope', () => {
  /** A server whose every reply carries `result_code` as the string `code`. */
  const stringCode =
    (code: string): typeof fetch =>
    async (input) => {
      const endpoint = (typeof input === 'string' ? input : '').split('/').pop();
      const data = endpoint === 'auth.login' ? { token: 'no-claims-token' } : { queues: [{ id: 'q1', name: 'gpu' }] };
      return new Response(JSON.stringify({ meta: { result_code: code, result_subcode: 0, result_msg: 'msg' }, data }), {
        headers: { 'content-type': 'application/json' },
      });
    };
  const withCode = (code: string) =>
    createClearmlClient({
      apiHost: 'http://clearml.test:8008',
      credentials: { accessKey: 'AKTEST123456', secretKey: 'SKTEST-very-secret-value' },
      fetchImpl: stringCode(code),
    });

  it('reads a result_code written as a string ("200") as the number it is', async () => {
    expect((await withCode('200').listQueues(['gpu'])).map((q) => q.name)).toEqual(['gpu']);
  });

  it('a string "401" is refused credentials, not "the wrong API host"', async () => {
    await expect(withCode('401').listQueues(['gpu'])).rejects.toMatchObject({ kind: 'auth' });
  });
});
