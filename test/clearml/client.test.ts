// The real client against the real emulator, over HTTP on 127.0.0.1.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createClearmlClient,
  MAX_REPLY_BYTES,
  type ClearmlClientOptions,
} from '../../electron/engine/clearml/client.js';
import { startClearmlEmulator, type ClearmlEmulator } from '../../electron/engine/testkit/clearml-faults.js';
import { ClearmlError } from '../../electron/engine/ports.js';
import { manualClock, type ManualClock } from './helpers.js';
import { CLEARML_T0 as T0 } from '../fixtures/index.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(
  o: { apiVersion?: string; tokenLifetimeSec?: number; client?: Partial<ClearmlClientOptions> } = {},
): Promise<{ emu: ClearmlEmulator; clock: ManualClock; client: ReturnType<typeof createClearmlClient> }> {
  const clock = manualClock();
  const emu = await startClearmlEmulator({
    clock,
    accessKey: 'AKTEST123456',
    secretKey: 'SKTEST-very-secret-value',
    ...(o.apiVersion ? { apiVersion: o.apiVersion } : {}),
    ...(o.tokenLifetimeSec ? { tokenLifetimeSec: o.tokenLifetimeSec } : {}),
  });
  cleanups.push(() => emu.close());
  const client = createClearmlClient({
    apiHost: emu.url,
    credentials: { accessKey: emu.accessKey, secretKey: emu.secretKey },
    clock,
    ...o.client,
  });
  return { emu, clock, client };
}

async function failure(p: Promise<unknown>): Promise<ClearmlError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ClearmlError) return err;
    throw err;
  }
  throw new Error('expected a ClearmlError, the call succeeded');
}

/** A fetch that rewrites one path, like a front proxy that does not route an endpoint. */
function rewrite(from: string, to: string): typeof fetch {
  return (input, init) => fetch(typeof input === 'string' ? input.replace(from, to) : input, init);
}

const SECRET = 'SKTEST-very-secret-value';

function expectNoSecret(err: ClearmlError, secret: string, accessKey: string): void {
  const basic = Buffer.from(`${accessKey}:${secret}`).toString('base64');
  for (const forbidden of [secret, basic, 'Basic ', 'Bearer ', 'authorization']) {
    expect(err.message).not.toContain(forbidden);
  }
}

describe('auth', () => {
  it('logs in once and sends the Bearer token on later calls', async () => {
    const { emu, client } = await setup();
    expect(await client.checkAuth()).toEqual({ user: 'ClearML Emulator' });
    await client.listQueues(['nope']);
    expect(emu.calls['auth.login']).toBe(1);
    const after = emu.requests.filter((r) => r.endpoint !== 'auth.login');
    expect(after.map((r) => r.auth)).toEqual(['bearer', 'bearer']);
    expect(emu.requests.find((r) => r.endpoint === 'auth.login')?.auth).toBe('basic');
    expect(client.calls).toBe(emu.calls.total);
  });

  it('concurrent first calls share one login', async () => {
    const { emu, client } = await setup();
    await Promise.all([client.checkAuth(), client.listQueues(['a']), client.getTasks(['x'])]);
    expect(emu.calls['auth.login']).toBe(1);
  });

  it('refreshes the token shortly before it expires (read from the JWT exp), not earlier', async () => {
    const { emu, clock, client } = await setup({ tokenLifetimeSec: 3600 });
    await client.checkAuth();
    clock.advance(1800_000);
    await client.checkAuth();
    expect(emu.calls['auth.login']).toBe(1);
    clock.advance(1770_000); // 30 s of validity left: under the 60 s margin
    await client.checkAuth();
    expect(emu.calls['auth.login']).toBe(2);
    expect(emu.requests.at(-1)).toMatchObject({ endpoint: 'users.get_current_user', auth: 'bearer', status: 200 });
  });

  it('on 401/30 logs in again once and retries the call', async () => {
    const { emu, client } = await setup();
    await client.checkAuth();
    emu.expireTokens();
    await client.checkAuth();
    expect(emu.calls['auth.login']).toBe(2);
    expect(emu.requests.slice(-3).map((r) => [r.endpoint, r.status])).toEqual([
      ['users.get_current_user', 401],
      ['auth.login', 200],
      ['users.get_current_user', 200],
    ]);
  });

  it('wrong keys: an auth error that says what to do and carries no secret', async () => {
    const { emu } = await setup();
    const secret = 'wrong-secret-XYZ-123';
    const client = createClearmlClient({
      apiHost: emu.url,
      credentials: { accessKey: 'WRONGKEY99', secretKey: secret },
    });
    const err = await failure(client.checkAuth());
    expect(err).toMatchObject({ kind: 'auth', status: 401, subcode: 22 });
    expect(err.message).toMatch(/rejected the access key "WRONGK…".*check the key pair in the Credentials tab/);
    expectNoSecret(err, secret, 'WRONGKEY99');
  });

  it('a secret that reaches an error message (here in the API host) is masked, and the codes of the answer are kept', async () => {
    const { emu } = await setup();
    // Pasted into the host by mistake: the server's own path, under which nothing answers.
    const client = createClearmlClient({
      apiHost: `${emu.url}/${emu.secretKey}`,
      credentials: { accessKey: emu.accessKey, secretKey: emu.secretKey },
    });
    const err = await failure(client.listQueues(['a']));
    expect(err.message).toContain(`${emu.url}/***`);
    expectNoSecret(err, emu.secretKey, emu.accessKey);
    expect(err.message).toMatch(/refused queues\.get_all \(HTTP 400\/0: Invalid request path \/\*\*\*\/v2\.20/);
    expect(err.detail).toEqual({ status: 400, subcode: 0 });

    // No answer at all: what the network said is kept too (it decides what the app offers to fix).
    const closed = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as AddressInfo;
        srv.close(() => resolve(port));
      });
    });
    const nobody = createClearmlClient({
      apiHost: `http://127.0.0.1:${closed}/${emu.secretKey}`,
      credentials: { accessKey: emu.accessKey, secretKey: emu.secretKey },
    });
    const refused = await failure(nobody.listQueues(['a']));
    expectNoSecret(refused, emu.secretKey, emu.accessKey);
    expect(refused.detail).toEqual({ networkCode: 'ECONNREFUSED' });
  });

  it.each([
    ['quotes the Authorization header', (auth: string) => `Invalid authorization header: ${auth}`],
    ['quotes the header without its scheme', (auth: string) => `bad credentials ${auth.split(' ')[1]} (rejected)`],
    // A cut at 200 characters before masking would have left the secret's first characters in the message.
    ['names the secret where the message is cut', () => `${'Invalid credentials; '.padEnd(186, '.')} ${SECRET}`],
    ['quotes any other Bearer credential', () => 'token Bearer eyJhbGciOiJIUzI1NiJ9.e30.abcdefgh expired'],
  ])('a server whose error %s: no part of a credential reaches the message', async (_, say) => {
    const echo: typeof fetch = async (_input, init) => {
      const auth = new Headers(init?.headers).get('authorization') ?? '';
      const meta = { result_code: 401, result_subcode: 21, result_msg: say(auth) };
      return new Response(JSON.stringify({ meta, data: {} }), { status: 401 });
    };
    const client = createClearmlClient({
      apiHost: 'http://clearml.example:8008',
      credentials: { accessKey: 'AKTEST123456', secretKey: SECRET },
      fetchImpl: echo,
    });
    const err = await failure(client.checkAuth());
    expect(err.kind).toBe('auth');
    const basic = Buffer.from(`AKTEST123456:${SECRET}`).toString('base64');
    for (const part of [SECRET.slice(0, 8), basic.slice(0, 12), 'eyJhbGciOiJIUzI1NiJ9'])
      expect(err.message).not.toContain(part);
    expect(err.message).toContain('***');
  });

  it('keys revoked after login: the token is refused, the re-login fails, the error is auth', async () => {
    const { emu, client } = await setup();
    await client.checkAuth();
    emu.faults.inject({ revokeKeys: true });
    const err = await failure(client.listQueues(['a']));
    expect(err).toMatchObject({ kind: 'auth', subcode: 22 });
    expectNoSecret(err, emu.secretKey, emu.accessKey);
    emu.faults.inject({ revokeKeys: false });
    expect(await client.listQueues(['a'])).toEqual([]);
  });

  it('no credentials: an auth error before any HTTP call', async () => {
    const { emu } = await setup();
    const client = createClearmlClient({ apiHost: emu.url, credentials: null });
    const err = await failure(client.listWorkers('dyn'));
    expect(err.kind).toBe('auth');
    expect(err.message).toMatch(/the Credentials tab/);
    expect(client.calls).toBe(0);
    // server.info needs no credentials.
    expect(await client.serverInfo()).toEqual({ version: '1.17.0', apiVersion: '2.31' });
    // Keys withheld from this host: the error says why instead.
    const withheld = createClearmlClient({
      apiHost: emu.url,
      credentials: null,
      missingCredentials: 'not for this host',
    });
    expect((await failure(withheld.listWorkers('dyn'))).message).toBe('not for this host');
    expect(withheld.calls).toBe(0);
  });

  it('falls back to per-request Basic auth when auth.login is unavailable', async () => {
    const { emu } = await setup();
    // A front proxy that does not route auth.login: the emulator answers 404 for the unknown endpoint.
    const fetchImpl: typeof fetch = rewrite('/auth.login', '/auth.unavailable');
    const client = createClearmlClient({
      apiHost: emu.url,
      credentials: { accessKey: emu.accessKey, secretKey: emu.secretKey },
      fetchImpl,
    });
    await client.checkAuth();
    await client.listQueues(['a']);
    expect(emu.calls['auth.unavailable']).toBe(1); // tried once, then never again
    const used = emu.requests.filter((r) => r.endpoint !== 'auth.unavailable');
    expect(used.map((r) => [r.endpoint, r.auth, r.status])).toEqual([
      ['users.get_current_user', 'basic', 200],
      ['queues.get_all', 'basic', 200],
    ]);
  });
});

describe('failures map to ClearmlError kinds', () => {
  it('a hung endpoint times out (AbortSignal on every call), and the next call works', async () => {
    const { emu, client } = await setup({ client: { timeoutMs: 250 } });
    emu.faults.inject({ hang: true, count: 1, endpoint: 'queues.get_all' });
    const err = await failure(client.listQueues(['a']));
    expect(err.kind).toBe('timeout');
    expect(err.message).toMatch(/did not answer queues\.get_all within 0\.25 s/);
    expect(await client.listQueues(['a'])).toEqual([]);
  });

  it.each([
    [500, /failed queues\.get_all \(HTTP 500\/0: Internal server error\): retrying at the next poll/],
    [503, /unavailable or in maintenance/],
  ] as const)('HTTP %d → server', async (status, message) => {
    const { emu, client } = await setup();
    await client.checkAuth();
    emu.faults.inject({ status, count: 1, endpoint: 'queues.get_all' });
    const err = await failure(client.listQueues(['a']));
    expect(err).toMatchObject({ kind: 'server', status });
    expect(err.message).toMatch(message);
    expect(await client.listQueues(['a'])).toEqual([]);
  });

  it('an endpoint the server does not have at the requested version → not-found', async () => {
    const { client } = await setup({ client: { apiVersion: '2.1' } });
    const err = await failure(client.listQueues(['a']));
    expect(err).toMatchObject({ kind: 'not-found', status: 404 });
    expect(err.message).toMatch(/does not provide queues\.get_all.*Unable to find endpoint/);
  });

  it('a 400 with a subcode → invalid, with the server message', async () => {
    const { emu, clock, client } = await setup();
    emu.createQueue('gpu');
    const id = emu.addTask({ name: 't', queue: 'gpu', durationSec: 1 });
    emu.registerWorker('w:1', ['gpu']);
    emu.setWorkerTask('w:1', emu.popTask('gpu'));
    emu.dropWorker('w:1');
    clock.advance(700_000);
    const err = await failure(client.requeueTask(id, 'no-such-queue-id', 'test'));
    expect(err).toMatchObject({ kind: 'invalid', status: 400, subcode: 701 });
    expect(err.message).toMatch(/refused tasks\.enqueue \(HTTP 400\/701: Invalid queue id/);
  });

  it('connection refused → unreachable, naming the host', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    const client = createClearmlClient({ apiHost: `http://127.0.0.1:${port}/`, credentials: null });
    const err = await failure(client.serverInfo());
    expect(err.kind).toBe('unreachable');
    expect(err.message).toContain(`http://127.0.0.1:${port} (ECONNREFUSED)`);
  });

  describe('a host that is not the API server', () => {
    let web: Server;
    afterEach(() => new Promise<void>((r) => web.close(() => r())));

    it.each([
      [200, 'not-found', /not a ClearML API reply: set the API host to the ClearML API server/],
      [502, 'server', /HTTP 502 .* a proxy or the server is failing/],
    ] as const)('HTML with HTTP %d → %s', async (status, kind, message) => {
      web = createServer((_req, res) => {
        res.writeHead(status, { 'content-type': 'text/html' });
        res.end('<html><body>ClearML web app</body></html>');
      });
      await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
      const url = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
      const client = createClearmlClient({ apiHost: url, credentials: null });
      const err = await failure(client.serverInfo());
      expect(err.kind).toBe(kind);
      expect(err.message).toMatch(message);
    });

    it('a host that sends an endless reply is cut off at the bound and named, not read into memory', async () => {
      let sent = 0;
      web = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(1 << 20, 0x20);
        const more = () => {
          while (!res.destroyed && sent < 1024 * chunk.length) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', more);
          }
        };
        more();
      });
      await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
      const url = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
      const err = await failure(createClearmlClient({ apiHost: url, credentials: null }).serverInfo());
      expect(err.kind).toBe('server');
      expect(err.message).toMatch(/sent more than 64 MB in reply to server\.info, far more than a ClearML API reply/);
      // It stopped reading soon after the bound, not at the end of the server's gigabyte.
      expect(sent).toBeLessThan(MAX_REPLY_BYTES * 2);
    });

    it.each([301, 302, 307, 308])(
      'a host that redirects (HTTP %d) is named with the host to use, not taken for missing keys',
      async (status) => {
        const { emu } = await setup();
        web = createServer((req, res) => {
          res.writeHead(status, { location: `${emu.url}${req.url ?? '/'}` });
          res.end();
        });
        await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
        const url = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
        const client = createClearmlClient({
          apiHost: url,
          credentials: { accessKey: emu.accessKey, secretKey: emu.secretKey },
        });
        const err = await failure(client.checkAuth());
        expect(err.kind).toBe('not-found');
        expect(err.message).toBe(
          `${url} redirects auth.login (HTTP ${status}) to ${emu.url}: set the API host to ${emu.url} ` +
            '(a redirect would drop the credentials)',
        );
        // Nothing reached the server the redirect points at: no request without its credentials.
        expect(emu.calls.total).toBe(0);
      },
    );
  });
});

describe('listQueues', () => {
  it('one call for many queues, exact names only (regex-escaped), entries with UTC enqueue times', async () => {
    const { emu, clock, client } = await setup();
    for (const n of ['gpu', 'cpu.large', 'x+y', 'gpux', 'cpuXlarge', 'xxy', 'other']) emu.createQueue(n);
    const t1 = emu.addTask({ name: 'a', queue: 'gpu', durationSec: 1 });
    clock.advance(90_000);
    const t2 = emu.addTask({ name: 'b', queue: 'gpu', durationSec: 1 });
    emu.addTask({ name: 'c', queue: 'gpux', durationSec: 1 });
    await client.checkAuth();
    emu.resetCalls();

    const queues = await client.listQueues(['gpu', 'cpu.large', 'x+y', 'missing']);
    expect(emu.calls).toEqual({ total: 1, 'queues.get_all': 1 });
    expect(queues.map((q) => q.name).sort()).toEqual(['cpu.large', 'gpu', 'x+y']);
    const gpu = queues.find((q) => q.name === 'gpu')!;
    expect(gpu.entries).toEqual([
      { taskId: t1, addedAt: T0 },
      { taskId: t2, addedAt: T0 + 90_000 },
    ]);
    const body = emu.requests.at(-1)!.body;
    expect(body).toMatchObject({ name: '^(gpu|cpu\\.large|x\\+y|missing)$', only_fields: ['id', 'name', 'entries'] });
  });

  it('pages through more than 500 queues (page_size 500)', async () => {
    const { emu, client } = await setup();
    const names = Array.from({ length: 1203 }, (_, i) => `queue-${String(i).padStart(4, '0')}`);
    for (const n of names) emu.createQueue(n);
    emu.createQueue('queue-extra'); // not asked for
    await client.checkAuth();
    emu.resetCalls();
    const queues = await client.listQueues(names);
    expect(queues).toHaveLength(1203);
    expect(new Set(queues.map((q) => q.name))).toEqual(new Set(names));
    expect(emu.calls['queues.get_all']).toBe(3);
    expect(emu.requests.slice(-3).map((r) => [r.body['page'], r.body['page_size']])).toEqual([
      [0, 500],
      [1, 500],
      [2, 500],
    ]);
  });

  it('a task listed several times in a queue, or a queue listed twice, counts once', async () => {
    // A reply as a broken proxy or a server bug could send it: every entry three times, the queue twice.
    const repeating: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      if (!url.endsWith('queues.get_all')) return res;
      const json = (await res.json()) as { data: { queues: { entries: unknown[] }[] } };
      const queues = json.data.queues.map((q) => ({ ...q, entries: [...q.entries, ...q.entries, ...q.entries] }));
      json.data.queues = [...queues, ...queues];
      return new Response(JSON.stringify(json), { status: res.status, headers: res.headers });
    };
    const { emu, client } = await setup({ client: { fetchImpl: repeating } });
    emu.createQueue('gpu');
    const t1 = emu.addTask({ name: 'a', queue: 'gpu', durationSec: 1 });
    const t2 = emu.addTask({ name: 'b', queue: 'gpu', durationSec: 1 });
    const queues = await client.listQueues(['gpu']);
    expect(queues).toHaveLength(1);
    expect(queues[0]!.entries.map((e) => e.taskId)).toEqual([t1, t2]);
  });

  it('no names → no call', async () => {
    const { emu, client } = await setup();
    expect(await client.listQueues([])).toEqual([]);
    expect(emu.calls.total).toBe(0);
  });
});

describe('inProgressTasks', () => {
  /** `n` tasks running on as many workers. */
  function running(emu: ClearmlEmulator, n: number): string[] {
    emu.createQueue('cpu');
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      ids.push(emu.addTask({ name: `t${i}`, queue: 'cpu', durationSec: 600 }));
      emu.registerWorker(`dyn:cpu:m5.large:i-${String(i).padStart(17, '0')}`, ['cpu']);
      emu.setWorkerTask(`dyn:cpu:m5.large:i-${String(i).padStart(17, '0')}`, emu.popTask('cpu'));
    }
    emu.addTask({ name: 'still queued', queue: 'cpu', durationSec: 60 });
    return ids;
  }

  it('pages through every in_progress task (status filter, page_size 500), and only those', async () => {
    const { emu, client } = await setup();
    const ids = running(emu, 1203);
    await client.checkAuth();
    emu.resetCalls();
    const tasks = await client.inProgressTasks!();
    expect(new Set(tasks.map((t) => t.id))).toEqual(new Set(ids));
    expect(tasks.every((t) => t.status === 'in_progress')).toBe(true);
    expect(emu.requests.map((r) => [r.body['status'], r.body['page']])).toEqual([
      [['in_progress'], 0],
      [['in_progress'], 1],
      [['in_progress'], 2],
    ]);
  });

  it('stops when a server ignores `page` (every page the same): no endless loop, no task twice', async () => {
    const firstPageOnly: typeof fetch = (input, init) => {
      const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as Record<string, unknown>) : null;
      if (body && 'page' in body) body['page'] = 0;
      return fetch(input, body ? { ...init, body: JSON.stringify(body) } : init);
    };
    const { emu, client } = await setup({ client: { fetchImpl: firstPageOnly } });
    running(emu, 600);
    await client.checkAuth();
    emu.resetCalls();
    const tasks = await client.inProgressTasks!();
    expect(tasks).toHaveLength(500);
    expect(new Set(tasks.map((t) => t.id)).size).toBe(500);
    expect(emu.calls['tasks.get_all']).toBe(2);
  });
});

describe('listWorkers', () => {
  async function withWorkers(apiVersion: string) {
    const s = await setup({ apiVersion });
    s.emu.createQueue('gpu');
    s.emu.registerWorker('dyn[1]:gpu:g4dn.xlarge:i-0001', ['gpu']);
    s.clock.advance(45_000);
    s.emu.registerWorker('dyn[1]:gpu:g4dn.xlarge:i-0002', ['gpu']);
    s.emu.registerWorker('dyn1:gpu:g4dn.xlarge:i-0003', ['gpu']); // glob-lookalike of the prefix
    s.emu.registerWorker('dyn[1]2:gpu:i-0004', ['gpu']);
    s.emu.registerWorker('laptop-alice', ['gpu']);
    const task = s.emu.addTask({ name: 'train', queue: 'gpu', durationSec: 60 });
    s.emu.setWorkerTask('dyn[1]:gpu:g4dn.xlarge:i-0001', s.emu.popTask('gpu'));
    return { ...s, task };
  }

  it('server ≥ 2.30: filters on the server with worker_pattern (request at v2.30), ids escaped', async () => {
    const { emu, client, task } = await withWorkers('2.31');
    await client.checkAuth();
    const workers = await client.listWorkers('dyn[1]');
    expect(workers.map((w) => w.id).sort()).toEqual(['dyn[1]:gpu:g4dn.xlarge:i-0001', 'dyn[1]:gpu:g4dn.xlarge:i-0002']);
    const req = emu.requests.at(-1)!;
    expect(req).toMatchObject({ endpoint: 'workers.get_all', version: '2.30' });
    expect(req.body).toEqual({ last_seen: 600, worker_pattern: 'dyn\\[1\\]:*' });
    // The server really filtered: the raw reply held only our two.
    expect(emu.calls['server.info']).toBeUndefined(); // the API version came from the token claims
    const busy = workers.find((w) => w.id.endsWith('i-0001'))!;
    expect(busy).toEqual({
      id: 'dyn[1]:gpu:g4dn.xlarge:i-0001',
      task: { id: task, name: 'train' },
      queues: ['gpu'],
      registeredAt: T0,
      lastActivityAt: T0 + 30_000,
      lastReportAt: T0 + 30_000,
    });
    expect(workers.find((w) => w.id.endsWith('i-0002'))).toMatchObject({ task: null, registeredAt: T0 + 45_000 });
  });

  it('server < 2.30: no worker_pattern, the client filters by prefix', async () => {
    const { emu, client } = await withWorkers('2.20');
    await client.checkAuth();
    const workers = await client.listWorkers('dyn[1]');
    expect(workers.map((w) => w.id).sort()).toEqual(['dyn[1]:gpu:g4dn.xlarge:i-0001', 'dyn[1]:gpu:g4dn.xlarge:i-0002']);
    const req = emu.requests.at(-1)!;
    expect(req).toMatchObject({ endpoint: 'workers.get_all', version: '2.20' });
    expect(req.body).toEqual({ last_seen: 600 });
  });

  it('without a token (Basic fallback) the server version comes from server.info, asked once', async () => {
    const { emu } = await withWorkers('2.31');
    const client = createClearmlClient({
      apiHost: emu.url,
      credentials: { accessKey: emu.accessKey, secretKey: emu.secretKey },
      fetchImpl: rewrite('/auth.login', '/auth.off'),
    });
    await client.listWorkers('dyn[1]');
    await client.listWorkers('dyn[1]');
    expect(emu.calls['server.info']).toBe(1);
    expect(emu.requests.filter((r) => r.endpoint === 'workers.get_all').every((r) => 'worker_pattern' in r.body)).toBe(
      true,
    );
  });

  it('a dead agent stays listed until its register timeout, then disappears', async () => {
    const { emu, clock, client } = await withWorkers('2.31');
    emu.dropWorker('dyn[1]:gpu:g4dn.xlarge:i-0002');
    clock.advance(500_000);
    expect((await client.listWorkers('dyn[1]')).map((w) => w.id)).toContain('dyn[1]:gpu:g4dn.xlarge:i-0002');
    clock.advance(200_000);
    expect((await client.listWorkers('dyn[1]')).map((w) => w.id)).toEqual(['dyn[1]:gpu:g4dn.xlarge:i-0001']);
  });

  it('unregisterWorker removes it; an unknown worker is fine', async () => {
    const { client } = await withWorkers('2.31');
    await client.unregisterWorker('dyn[1]:gpu:g4dn.xlarge:i-0002');
    await client.unregisterWorker('never-existed');
    expect((await client.listWorkers('dyn[1]')).map((w) => w.id)).toEqual(['dyn[1]:gpu:g4dn.xlarge:i-0001']);
  });
});

describe('tasks', () => {
  it('getTasks: chunks of 500 ids, fields mapped; no ids → no call', async () => {
    const { emu, client } = await setup();
    emu.createQueue('gpu');
    const ids = Array.from({ length: 620 }, (_, i) => emu.addTask({ name: `t${i}`, queue: 'gpu', durationSec: 1 }));
    await client.checkAuth();
    emu.resetCalls();
    expect(await client.getTasks([])).toEqual([]);
    expect(emu.calls.total).toBe(0);
    const tasks = await client.getTasks([...ids, 'unknown-id']);
    expect(emu.calls['tasks.get_all']).toBe(2);
    expect(tasks).toHaveLength(620);
    const q = emu.queues()[0]!;
    expect(tasks[0]).toEqual({
      id: ids[0],
      name: 't0',
      status: 'queued',
      queueId: q.id,
      lastWorker: null,
      statusChangedAt: emu.task(ids[0]!)!.statusChanged,
    });
    expect(emu.requests.at(-1)!.body).toMatchObject({
      only_fields: ['id', 'name', 'status', 'execution.queue', 'last_worker', 'status_changed'],
    });
  });

  describe('requeueTask through the state machine', () => {
    async function stranded() {
      const s = await setup();
      const qid = s.emu.createQueue('gpu');
      const id = s.emu.addTask({ name: 'train', queue: 'gpu', durationSec: 3600 });
      s.emu.registerWorker('dyn:gpu:i-1', ['gpu']);
      s.emu.setWorkerTask('dyn:gpu:i-1', s.emu.popTask('gpu'));
      s.clock.advance(120_000);
      s.emu.dropWorker('dyn:gpu:i-1'); // the spot instance is gone
      s.clock.advance(60_000);
      await s.client.checkAuth();
      s.emu.resetCalls();
      return { ...s, qid, id };
    }
    const sequence = (emu: ClearmlEmulator) =>
      emu.requests.filter((r) => r.endpoint.startsWith('tasks.')).map((r) => `${r.endpoint} ${r.status}`);

    it('recently lost worker: stop only flags "stopping", so the task is failed, then enqueued', async () => {
      const { emu, client, qid, id } = await stranded();
      await client.requeueTask(id, qid, 'spot instance i-1 reclaimed');
      expect(sequence(emu)).toEqual(['tasks.get_all 200', 'tasks.stop 200', 'tasks.failed 200', 'tasks.enqueue 200']);
      expect(emu.task(id)).toMatchObject({ status: 'queued', statusReason: 'spot instance i-1 reclaimed' });
      expect(emu.queues()[0]!.entries.map((e) => e.taskId)).toEqual([id]);
    });

    it('worker silent for over 10 minutes: stop stops it, then enqueue', async () => {
      const { emu, clock, client, qid, id } = await stranded();
      clock.advance(600_000);
      emu.resetCalls();
      await client.requeueTask(id, qid, 'lost');
      expect(sequence(emu)).toEqual(['tasks.get_all 200', 'tasks.stop 200', 'tasks.enqueue 200']);
      expect(emu.task(id)?.status).toBe('queued');
    });

    it('already queued again: nothing to do', async () => {
      const { emu, client, qid, id } = await stranded();
      await client.requeueTask(id, qid, 'first');
      emu.resetCalls();
      await client.requeueTask(id, qid, 'second');
      expect(sequence(emu)).toEqual(['tasks.get_all 200']);
    });

    it('already stopped: enqueue only', async () => {
      const { emu, clock, client, qid, id } = await stranded();
      clock.advance(600_000);
      const stop = await fetch(`${emu.url}/tasks.stop`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${emu.accessKey}:${emu.secretKey}`).toString('base64')}` },
        body: JSON.stringify({ task: id }),
      });
      expect(stop.status).toBe(200);
      emu.resetCalls();
      await client.requeueTask(id, qid, 'lost');
      expect(sequence(emu)).toEqual(['tasks.get_all 200', 'tasks.enqueue 200']);
    });

    it('completed in the meantime: left alone', async () => {
      const { emu, client, qid } = await stranded();
      const done = emu.addTask({ name: 'quick', queue: 'gpu', durationSec: 1 });
      emu.registerWorker('dyn:gpu:i-2', ['gpu']);
      emu.setWorkerTask('dyn:gpu:i-2', emu.popTask('gpu'));
      emu.completeTask(done);
      emu.resetCalls();
      await client.requeueTask(done, qid, 'x');
      expect(sequence(emu)).toEqual(['tasks.get_all 200']);
      expect(emu.task(done)?.status).toBe('completed');
    });

    it('a task that no longer exists → not-found', async () => {
      const { client, qid } = await stranded();
      expect(await failure(client.requeueTask('gone', qid, 'x'))).toMatchObject({ kind: 'not-found' });
    });
  });
});

describe('serverInfo', () => {
  it('reports the server and API versions', async () => {
    const { client } = await setup({ apiVersion: '2.34' });
    expect(await client.serverInfo()).toEqual({ version: '1.17.0', apiVersion: '2.34' });
  });
});
