/**
 * Every request body our ClearML client sends is one ClearML's own API schema accepts: each call the engine makes
 * (reading queues, workers and tasks, the paged `in_progress` filter recovery uses, requeueing through stop /
 * failed / enqueue, creating a queue, unregistering a worker) is recorded on the emulator and validated against
 * the request schema the installed `clearml` package carries for that service, action and version, with no field
 * the schema does not define. Our emulator accepts what we send; this checks it against ClearML's definition.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { createClearmlClient } from '../../electron/engine/clearml/client.js';
import { systemClock } from '../../electron/engine/ports.js';
import { startClearmlEmulator, type ClearmlEmulator } from '../../electron/engine/testkit/clearml-faults.js';
import { venvBin } from './peers.js';

const run = promisify(execFile);
const KEYS = { accessKey: 'CONFORMANCEACCESS0001', secretKey: 'conformance-secret-not-real' };

/**
 * Reads [{endpoint, version, body}] on stdin; for each, the Request class of `clearml.backend_api.services` whose
 * service and action match, from the newest schema version not above the requested one, validated (Draft 7) with
 * additionalProperties false at the top. Prints [{endpoint, version, schema, errors}]; `schema` null when the
 * package has no such request.
 */
const CHECK = String.raw`
import importlib, inspect, json, pkgutil, sys, jsonschema
import clearml.backend_api.services as services
versions = sorted((tuple(int(x) for x in m.name[1:].split("_")), m.name) for m in pkgutil.iter_modules(services.__path__) if m.name.startswith("v2_"))
def request_class(endpoint, version):
    service, action = endpoint.split(".", 1)
    want = tuple(int(x) for x in version.split("."))
    for v, name in reversed(versions):
        if v > want:
            continue
        try:
            mod = importlib.import_module(f"clearml.backend_api.services.{name}.{service}")
        except ImportError:
            continue
        for _, cls in inspect.getmembers(mod, inspect.isclass):
            if getattr(cls, "_action", None) == action and getattr(cls, "_service", None) == service and hasattr(cls, "_schema"):
                return name, cls
    return None, None
out = []
for call in json.load(sys.stdin):
    name, cls = request_class(call["endpoint"], call["version"])
    if cls is None:
        out.append({**call, "schema": None, "errors": []})
        continue
    schema = dict(cls._schema, additionalProperties=False)
    errors = [f"{'/'.join(map(str, e.path)) or '(body)'}: {e.message}" for e in jsonschema.Draft7Validator(schema).iter_errors(call["body"])]
    out.append({**call, "schema": name, "errors": errors})
print(json.dumps(out))
`;

interface Checked {
  endpoint: string;
  version: string;
  body: Record<string, unknown>;
  schema: string | null;
  errors: string[];
}

async function check(calls: readonly { endpoint: string; version: string; body: unknown }[]): Promise<Checked[]> {
  const child = run(path.join(venvBin(), 'python'), ['-c', CHECK]);
  child.child.stdin!.end(JSON.stringify(calls));
  return JSON.parse((await child).stdout) as Checked[];
}

let emu: ClearmlEmulator | null = null;
afterEach(async () => {
  await emu?.close();
  emu = null;
});

/** Every call the engine's ClearML port makes, against an emulator that serves `apiVersion`. */
async function exercise(apiVersion: string) {
  emu = await startClearmlEmulator({ clock: systemClock, apiVersion, ...KEYS });
  const cpu = emu.createQueue('cpu');
  const waiting = emu.addTask({ name: 'waiting', queue: 'cpu', durationSec: 60 });
  const lost = emu.addTask({ name: 'lost', queue: 'cpu', durationSec: 600 });
  emu.registerWorker('conf:cpu:m5.large:i-0123456789abcdef0', ['cpu']);
  emu.setWorkerTask('conf:cpu:m5.large:i-0123456789abcdef0', emu.popTask('cpu'));
  expect(emu.task(waiting)!.status).toBe('in_progress');
  const client = createClearmlClient({ apiHost: emu.url, credentials: KEYS, clock: systemClock });
  emu.resetCalls();
  await client.serverInfo();
  await client.checkAuth();
  await client.listQueues(['cpu', 'gpu']);
  await client.listWorkers('conf');
  await client.getTasks([waiting, lost]);
  expect((await client.inProgressTasks!()).map((t) => t.id)).toEqual([waiting]);
  await client.createQueue!('gpu');
  // The worker is still listed, so stop leaves the task "stopping" and the client marks it failed, then enqueues.
  await client.requeueTask(waiting, cpu, 'instance lost');
  await client.unregisterWorker('conf:cpu:m5.large:i-0123456789abcdef0');
  return emu.requests.map((r) => ({ endpoint: r.endpoint, version: r.version ?? apiVersion, body: r.body }));
}

describe("our ClearML requests against ClearML's own request schemas", () => {
  it('the checker refuses a wrong type and a field the schema does not define (or passing proves nothing)', async () => {
    const [wrongType, unknownField, good] = await check([
      { endpoint: 'tasks.get_all', version: '2.20', body: { status: 'in_progress' } },
      { endpoint: 'tasks.get_all', version: '2.20', body: { statuz: ['in_progress'] } },
      { endpoint: 'tasks.get_all', version: '2.20', body: { status: ['in_progress'], page: 0, page_size: 500 } },
    ]);
    expect(wrongType!.schema).toBe('v2_20');
    expect(wrongType!.errors.join()).toContain("'in_progress' is not of type 'array'");
    expect(unknownField!.errors.join()).toContain("'statuz' was unexpected");
    expect(good!.errors).toEqual([]);
  });

  it('every body the client sends at API 2.20 (an older server) is valid for that version', async () => {
    const checked = await check(await exercise('2.20'));
    const endpoints = new Set(checked.map((c) => c.endpoint));
    for (const e of ['queues.get_all', 'workers.get_all', 'tasks.get_all', 'tasks.stop', 'tasks.failed'])
      expect(endpoints, e).toContain(e);
    for (const e of ['tasks.enqueue', 'queues.create', 'workers.unregister', 'auth.login'])
      expect(endpoints, e).toContain(e);
    // The paged status filter recovery sends.
    expect(checked.some((c) => c.endpoint === 'tasks.get_all' && Array.isArray(c.body['status']))).toBe(true);
    // server.info and users.get_current_user are server endpoints the SDK carries no request class for; both
    // take an empty body.
    const unschemed = checked.filter((c) => c.schema === null);
    expect([...new Set(unschemed.map((c) => c.endpoint))].sort()).toEqual(['server.info', 'users.get_current_user']);
    for (const c of unschemed) expect(c.body, c.endpoint).toEqual({});
    expect(
      checked.filter((c) => c.errors.length).map((c) => `${c.endpoint}@${c.version}: ${c.errors.join('; ')}`),
    ).toEqual([]);
  });

  it('at API 2.31 the worker listing adds worker_pattern (2.30 on), and the rest is valid for 2.23', async () => {
    const calls = await exercise('2.31');
    const workers = calls.filter((c) => c.endpoint === 'workers.get_all');
    expect(workers.length).toBeGreaterThan(0);
    for (const w of workers) {
      expect(w.version).toBe('2.30');
      expect(w.body['worker_pattern']).toBe('conf:*');
    }
    // The installed package's newest schemas are 2.23, which predate worker_pattern: the listing is checked there
    // without it; the other calls go at the client's own version (2.20) and are checked at theirs.
    const checked = await check(
      calls.map((c) => {
        const { worker_pattern: _pattern, ...body } = c.body;
        return { ...c, body };
      }),
    );
    expect(checked.filter((c) => c.endpoint === 'workers.get_all').map((c) => c.schema)).toEqual(
      workers.map(() => 'v2_23'),
    );
    expect(
      checked.filter((c) => c.errors.length).map((c) => `${c.endpoint}@${c.version}: ${c.errors.join('; ')}`),
    ).toEqual([]);
  });
});
