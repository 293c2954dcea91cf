// The emulator's wire format, checked with raw fetch (no client), so the client tests rest on a faithful server.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startClearmlEmulator, type ClearmlEmulator } from '../../electron/engine/testkit/clearml-faults.js';
import { manualClock, type ManualClock } from './helpers.js';
import { CLEARML_T0 as T0 } from '../fixtures/index.js';

let emu: ClearmlEmulator;
let clock: ManualClock;
let basic: string;

beforeEach(async () => {
  clock = manualClock();
  emu = await startClearmlEmulator({ clock, accessKey: 'AK', secretKey: 'SK', tokenLifetimeSec: 3600 });
  basic = `Basic ${Buffer.from('AK:SK').toString('base64')}`;
});
afterEach(() => emu.close());

interface Reply {
  http: number;
  meta: {
    result_code: number;
    result_subcode: number;
    result_msg: string;
    endpoint: { name: string; requested_version: string; actual_version: string };
  };
  data: Record<string, unknown> & {
    queues?: Record<string, unknown>[];
    workers?: Record<string, unknown>[];
    tasks?: Record<string, unknown>[];
  };
}

async function api(path: string, body?: object, o: { method?: string; auth?: string | null } = {}): Promise<Reply> {
  const auth = o.auth === undefined ? basic : o.auth;
  const res = await fetch(`${emu.url}${path}`, {
    method: o.method ?? 'POST',
    headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json = (await res.json()) as Omit<Reply, 'http'>;
  return { http: res.status, ...json };
}

describe('paths, methods and the envelope', () => {
  it.each(['/queues.get_all', '/v2.20/queues.get_all', '/v2.31/queues.get_all/', '//queues.get_all'])(
    '%s works',
    async (path) => {
      const r = await api(path, {});
      expect(r.http).toBe(200);
      expect(r.meta).toMatchObject({ result_code: 200, result_subcode: 0, result_msg: 'OK' });
      expect(r.meta.endpoint.name).toBe('queues.get_all');
    },
  );

  it('reports requested and actual versions; a version above the max runs at the max', async () => {
    expect((await api('/v2.20/debug.ping')).meta.endpoint).toMatchObject({
      requested_version: '2.20',
      actual_version: '2.20',
    });
    expect((await api('/v9.99/debug.ping')).meta.endpoint).toMatchObject({
      requested_version: '9.99',
      actual_version: '2.31',
    });
  });

  it('any method; query parameters merge into the body with number coercion', async () => {
    emu.createQueue('gpu');
    emu.addTask({ name: 'a', queue: 'gpu', durationSec: 1 });
    emu.addTask({ name: 'b', queue: 'gpu', durationSec: 1 });
    const r = await api('/queues.get_all?name=%5Egpu%24&max_task_entries=1', undefined, { method: 'GET' });
    expect(r.http).toBe(200);
    expect(r.data.queues).toHaveLength(1);
    expect(r.data.queues![0]!['entries']).toHaveLength(1);
  });

  it.each([
    ['/queues.nope', 404, 0, /Unable to find endpoint for name queues\.nope/],
    ['/v2.1/queues.get_all', 404, 0, /Unable to find endpoint for name queues\.get_all and version 2\.1/],
    ['/not-a-path', 400, 0, /Invalid request path/],
  ])('%s → %d', async (path, status, subcode, msg) => {
    const r = await api(path, {});
    expect(r.http).toBe(status);
    expect(r.meta).toMatchObject({ result_code: status, result_subcode: subcode });
    expect(r.meta.result_msg).toMatch(msg);
  });

  it('invalid JSON → 400/12', async () => {
    const res = await fetch(`${emu.url}/queues.get_all`, {
      method: 'POST',
      headers: { authorization: basic },
      body: '{',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Reply).meta.result_subcode).toBe(12);
  });
});

describe('auth', () => {
  it.each([
    [null, 20],
    ['Digest abc', 10],
    [`Basic ${Buffer.from('no-colon').toString('base64')}`, 21],
    [`Basic ${Buffer.from('AK:wrong').toString('base64')}`, 22],
    ['Bearer not.a.token', 30],
  ])('%s → 401/%d', async (auth, subcode) => {
    const r = await api('/users.get_current_user', {}, { auth });
    expect(r.http).toBe(401);
    expect(r.meta).toMatchObject({ result_code: 401, result_subcode: subcode });
  });

  it('debug.ping and server.info need no auth', async () => {
    expect((await api('/debug.ping', {}, { auth: null })).http).toBe(200);
    expect((await api('/server.info', {}, { auth: null })).data).toMatchObject({ api_version: '2.31' });
  });

  it('auth.login returns a JWT whose payload has exp; it works until exp', async () => {
    const login = await api('/auth.login', {});
    const token = login.data['token'] as string;
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ exp: T0 / 1000 + 3600, iat: T0 / 1000, api_version: '2.31' });
    expect((await api('/users.get_current_user', {}, { auth: `Bearer ${token}` })).http).toBe(200);
    clock.advance(3600_000);
    const expired = await api('/users.get_current_user', {}, { auth: `Bearer ${token}` });
    expect(expired.meta).toMatchObject({ result_code: 401, result_subcode: 30 });
  });

  it('a tampered token is refused', async () => {
    const token = (await api('/auth.login', {})).data['token'] as string;
    const [h, p, s] = token.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, number>;
    const forged = Buffer.from(JSON.stringify({ ...claims, exp: claims['exp']! + 1e6 })).toString('base64url');
    expect((await api('/debug.ping', {}, { auth: `Bearer ${token}` })).http).toBe(200);
    expect((await api('/users.get_current_user', {}, { auth: `Bearer ${h}.${forged}.${s}` })).meta.result_subcode).toBe(
      30,
    );
  });
});

describe('queues', () => {
  it('get_all: regex name search, only_fields, paging; get_all_ex: workers and expanded entries', async () => {
    const gpu = emu.createQueue('aws_gpu');
    emu.createQueue('aws_cpu');
    const t = emu.addTask({ name: 'train', queue: 'aws_gpu', durationSec: 1 });
    emu.registerWorker('dyn:gpu:i-1', ['aws_gpu']);

    const all = await api('/queues.get_all', { name: 'gpu', only_fields: ['id', 'name', 'entries'] });
    expect(all.data.queues).toEqual([
      { id: gpu, name: 'aws_gpu', entries: [{ task: t, added: '2025-01-13T10:00:00.000000' }] },
    ]);
    const paged = await api('/queues.get_all', { page: 1, page_size: 1, only_fields: ['name'] });
    expect(paged.data.queues).toEqual([{ id: expect.any(String) as string, name: 'aws_cpu' }]);
    expect((await api('/queues.get_all', { page: 0 })).meta.result_code).toBe(400);

    const ex = await api('/queues.get_all_ex', { name: '^aws_gpu$' });
    expect(ex.data.queues![0]).toMatchObject({
      entries: [{ task: { id: t, name: 'train' } }],
      workers: [{ name: 'dyn:gpu:i-1', task: null }],
    });
  });

  it('get_by_id (400/701 when unknown) and create', async () => {
    const created = await api('/queues.create', { name: 'new_queue' });
    const id = created.data['id'] as string;
    expect((await api('/queues.get_by_id', { queue: id })).data['queue']).toMatchObject({ id, name: 'new_queue' });
    const bad = await api('/queues.get_by_id', { queue: 'nope' });
    expect(bad.meta).toMatchObject({ result_code: 400, result_subcode: 701 });
    expect((await api('/queues.create', { name: 'new_queue' })).http).toBe(400);
  });
});

describe('workers', () => {
  it('reports every 30 s while alive; a silent worker expires 600 s after its last report', async () => {
    emu.createQueue('gpu');
    emu.registerWorker('a:1', ['gpu']);
    emu.registerWorker('b:1', ['gpu']);
    clock.advance(95_000);
    emu.dropWorker('b:1');
    let r = await api('/workers.get_all', {});
    expect(r.data.workers!.map((w) => [w['id'], w['last_report_time']])).toEqual([
      ['a:1', '2025-01-13T10:01:30.000000+00:00'],
      ['b:1', '2025-01-13T10:01:30.000000+00:00'],
    ]);
    clock.advance(600_000);
    r = await api('/workers.get_all', {});
    expect(r.data.workers!.map((w) => w['id'])).toEqual(['a:1']);
    expect(emu.workers().map((w) => w.id)).toEqual(['a:1']);
  });

  it('last_seen drops quiet workers; worker_pattern applies from v2.30 only', async () => {
    emu.createQueue('gpu');
    emu.registerWorker('dyn:1', ['gpu']);
    emu.registerWorker('other:1', ['gpu']);
    emu.dropWorker('other:1');
    clock.advance(120_000);
    expect((await api('/workers.get_all', { last_seen: 60 })).data.workers!.map((w) => w['id'])).toEqual(['dyn:1']);
    const ids = async (path: string) =>
      (await api(path, { worker_pattern: 'dyn:*' })).data.workers!.map((w) => w['id']);
    expect(await ids('/v2.30/workers.get_all')).toEqual(['dyn:1']);
    expect(await ids('/v2.20/workers.get_all')).toEqual(['dyn:1', 'other:1']);
  });
});

describe('what a real clearml-agent daemon calls', () => {
  it('register (queues must exist), status_report with and without a task, runtime properties', async () => {
    const q = emu.createQueue('cpu');
    expect((await api('/workers.register', { worker: 'w1', queues: ['nope'] })).meta).toMatchObject({
      result_code: 400,
      result_subcode: 701,
    });
    expect((await api('/workers.register', { worker: 'w1', queues: [q], timeout: 0 })).meta.result_subcode).toBe(1002);
    expect((await api('/workers.register', { worker: 'w1', queues: [q] })).http).toBe(200);
    expect((await api('/workers.status_report', { worker: 'ghost', timestamp: T0 })).meta).toMatchObject({
      result_code: 400,
      result_subcode: 1001,
    });
    const task = emu.addTask({ name: 't', queue: 'cpu', durationSec: 60 });
    clock.advance(45_000); // a real agent's reports carry the time they were made, not a 30 s schedule
    expect((await api('/workers.status_report', { worker: 'w1', task, queue: q, queues: [q] })).http).toBe(200);
    const [w] = (await api('/workers.get_all', {})).data.workers!;
    expect(w).toMatchObject({ id: 'w1', task: { id: task, name: 't' } });
    expect(w!['last_report_time']).toBe('2025-01-13T10:00:45.000000+00:00');
    expect(emu.task(task)?.lastWorker).toBe('w1');
    await api('/workers.status_report', { worker: 'w1', queues: [q] });
    expect(emu.workers()[0]?.taskId).toBeNull();
    expect((await api('/workers.get_runtime_properties', { worker: 'w1' })).data).toEqual({ runtime_properties: [] });
    clock.advance(600_000); // silent for the register timeout: gone
    expect((await api('/workers.get_all', {})).data.workers).toEqual([]);
  });

  it('get_next_task pops the head ({} when empty); tasks.started, edit (force), ping, events.add_batch (NDJSON)', async () => {
    const q = emu.createQueue('cpu');
    expect((await api('/queues.get_next_task', { queue: 'nope' })).meta.result_subcode).toBe(701);
    expect((await api('/queues.get_next_task', { queue: q })).data).toEqual({});
    const task = emu.addTask({ name: 't', queue: 'cpu', durationSec: 60 });
    const next = await api('/v2.14/queues.get_next_task', { queue: q, get_task_info: true });
    expect(next.data).toMatchObject({ entry: { task }, task_info: { company: 'emulator-company' } });
    expect(emu.queues()[0]?.entries).toEqual([]);
    const started = await api('/tasks.started', { task, force: true, status_message: 'pulled by agent' });
    expect(started.data).toMatchObject({ started: 1, updated: 1, fields: { status: 'in_progress' } });
    expect((await api('/tasks.edit', { task, runtime: { host: 'x' } })).meta.result_subcode).toBe(110);
    expect((await api('/tasks.edit', { task, force: true, runtime: { host: 'x' } })).data).toEqual({
      updated: 1,
      fields: { runtime: { host: 'x' } },
    });
    expect((await api('/tasks.ping', { task })).http).toBe(200);
    const batch = [
      { type: 'log', task, msg: 'a' },
      { type: 'log', task, msg: 'b' },
    ].map((e) => JSON.stringify(e));
    const res = await fetch(`${emu.url}/events.add_batch`, {
      method: 'POST',
      headers: { authorization: basic },
      body: batch.join('\n'),
    });
    expect(((await res.json()) as Reply).data).toEqual({ added: 2, errors: 0, errors_info: {} });
  });
});

describe('tasks state machine', () => {
  let q: string;
  let t: string;
  beforeEach(() => {
    q = emu.createQueue('gpu');
    t = emu.addTask({ name: 'train', queue: 'gpu', durationSec: 600 });
  });
  const status = () => emu.task(t)!.status;

  it('stop on a queued task: stopped and out of the queue', async () => {
    const r = await api('/tasks.stop', { task: t });
    expect(r.data).toMatchObject({ updated: 1, fields: { status: 'stopped' } });
    expect(emu.queues()[0]!.entries).toEqual([]);
  });

  it('stop on a task run by a live worker: only "stopping", even with force', async () => {
    emu.registerWorker('w:1', ['gpu']);
    emu.setWorkerTask('w:1', emu.popTask('gpu'));
    const r = await api('/tasks.stop', { task: t, force: true });
    expect(r.data).toMatchObject({ fields: { status: 'in_progress', status_message: 'stopping' } });
    expect(emu.task(t)).toMatchObject({ status: 'in_progress', stoppingSince: T0 });
  });

  it('stop when the task has not been updated for 10 minutes: stopped (a stop request itself updates it)', async () => {
    emu.registerWorker('w:1', ['gpu']);
    emu.setWorkerTask('w:1', emu.popTask('gpu'));
    emu.dropWorker('w:1');
    clock.advance(599_000);
    expect((await api('/tasks.stop', { task: t })).data).toMatchObject({ fields: { status_message: 'stopping' } });
    clock.advance(599_000);
    expect((await api('/tasks.stop', { task: t })).data).toMatchObject({ fields: { status_message: 'stopping' } });
    clock.advance(600_000);
    expect((await api('/tasks.stop', { task: t })).data).toMatchObject({ fields: { status: 'stopped' } });
  });

  it('enqueue: refused from in_progress and queued (400/110), allowed from stopped and failed', async () => {
    expect((await api('/tasks.enqueue', { task: t, queue: q })).meta).toMatchObject({
      result_code: 400,
      result_subcode: 110,
    });
    emu.registerWorker('w:1', ['gpu']);
    emu.setWorkerTask('w:1', emu.popTask('gpu'));
    expect((await api('/tasks.enqueue', { task: t, queue: q })).meta.result_subcode).toBe(110);
    expect((await api('/tasks.failed', { task: t })).data).toMatchObject({ fields: { status: 'failed' } });
    const r = await api('/tasks.enqueue', { task: t, queue: q, status_reason: 'retry' });
    expect(r.data).toMatchObject({ queued: 1, fields: { status: 'queued', 'execution.queue': q } });
    expect((await api('/tasks.dequeue', { task: t })).data).toMatchObject({
      dequeued: 1,
      fields: { status: 'failed' },
    });
    expect(status()).toBe('failed');
  });

  it('enqueue by queue_name auto-creates the queue; unknown task → 400/101', async () => {
    await api('/tasks.stop', { task: t });
    expect((await api('/tasks.enqueue', { task: t, queue_name: 'fresh_queue' })).http).toBe(200);
    expect(emu.queues().map((x) => x.name)).toEqual(['gpu', 'fresh_queue']);
    expect((await api('/tasks.enqueue', { task: 'nope', queue: q })).meta).toMatchObject({ result_subcode: 101 });
  });

  it('get_all filters by id and status with only_fields; get_by_id', async () => {
    const other = emu.addTask({ name: 'other', queue: 'gpu', durationSec: 1 });
    const r = await api('/tasks.get_all', {
      id: [t, other],
      status: ['queued'],
      only_fields: ['name', 'execution.queue'],
    });
    expect(r.data.tasks).toEqual([
      { id: t, name: 'train', execution: { queue: q } },
      { id: other, name: 'other', execution: { queue: q } },
    ]);
    expect((await api('/tasks.get_all', { status: ['completed'] })).data.tasks).toEqual([]);
    expect((await api('/tasks.get_by_id', { task: t })).data['task']).toMatchObject({ id: t, status: 'queued' });
  });
});

describe('faults and counters', () => {
  it('status faults answer with the envelope, count down, and are counted as calls', async () => {
    emu.faults.inject({ status: 503, count: 2 });
    expect((await api('/debug.ping')).meta).toMatchObject({ result_code: 503 });
    expect((await api('/server.info')).http).toBe(503);
    expect((await api('/debug.ping')).http).toBe(200);
    expect(emu.calls).toEqual({ total: 3, 'debug.ping': 2, 'server.info': 1 });
  });

  it('revokeKeys refuses Basic with 401/22', async () => {
    emu.faults.inject({ revokeKeys: true });
    expect((await api('/users.get_current_user', {})).meta.result_subcode).toBe(22);
    emu.faults.clear();
    expect((await api('/users.get_current_user', {})).http).toBe(200);
  });

  it('a hung call never answers; close() still shuts down', async () => {
    emu.faults.inject({ hang: true, count: 1, endpoint: 'debug.ping' });
    const aborted = await fetch(`${emu.url}/debug.ping`, { signal: AbortSignal.timeout(150) }).then(
      () => 'answered',
      (err: Error) => err.name,
    );
    expect(aborted).toBe('TimeoutError');
    expect((await api('/debug.ping')).http).toBe(200);
  });
});
