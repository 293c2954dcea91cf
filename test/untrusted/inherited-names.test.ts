// Queue and resource names are anyone's on the ClearML server and in EC2 tags: `__proto__`, `constructor` and
// `toString` are names like any other. A configured queue of that name scales; an unconfigured one read from a
// worker, a queue listing or a tag is an unknown name, never a function found on Object.prototype.
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../shared/config.js';
import { loadConfigText } from '../../electron/engine/config/index.js';
import { triageWorkers } from '../../electron/engine/adoption.js';
import { clearmlAutoscalerUserData } from '../../electron/engine/emulators/clearml-autoscaler-instances.js';
import { plan } from '../../electron/engine/policy.js';
import { TAG, type InstanceObs, type WorkerObs } from '../../electron/engine/ports.js';
import { T0, instance, makeConfig, policyInput, queue } from '../engine/fixtures.js';
import { startWorld, type World } from '../engine/world.js';

const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'] as const;

const yamlWith = (queueName: string, resourceName = 'gpu') =>
  [
    "clearml: {apiHost: 'https://api.example.com'}",
    'aws: {region: us-east-1}',
    'resources:',
    `  ${resourceName}: {instanceType: g4dn.xlarge, amiId: ami-0123456789abcdef0}`,
    'queues:',
    `  ${queueName}: [{resource: ${resourceName}, maxInstances: 1}]`,
    `budgets: {queues: {${queueName}: {monthlyUsd: 5}}}`,
  ].join('\n');

describe('names that Object.prototype also has', () => {
  it.each(NAMES)('a config with queue and resource %j keeps both as its own entries', (name) => {
    const r = loadConfigText(yamlWith(name, name), {});
    expect(r.issues).toEqual([]);
    expect(Object.entries(r.config!.queues)).toEqual([[name, [{ resource: name, maxInstances: 1 }]]]);
    expect(Object.keys(r.config!.resources)).toEqual([name]);
    expect(Object.keys(r.config!.budgets.queues)).toEqual([name]);
  });

  const base = {
    clearml: { apiHost: 'https://api.example.com' },
    aws: { region: 'us-east-1' },
    resources: { gpu: { instanceType: 'g4dn.xlarge', amiId: 'ami-0123456789abcdef0' } },
    queues: { gpu: [{ resource: 'gpu', maxInstances: 1 }] },
  };

  it.each(NAMES)('a budget cap or an entry naming unconfigured %j is refused, not found on the prototype', (name) => {
    const capped = ConfigSchema.safeParse({ ...base, budgets: { queues: { [name]: { monthlyUsd: 5 } } } });
    expect(capped.error?.issues.map((i) => [i.path, i.message])).toEqual([
      [['budgets', 'queues', name], expect.stringMatching(/is not configured/)],
    ]);
    const entry = ConfigSchema.safeParse({ ...base, queues: { gpu: [{ resource: name, maxInstances: 1 }] } });
    expect(entry.error?.issues.map((i) => [i.path, i.message])).toEqual([
      [['queues', 'gpu', 0, 'resource'], expect.stringMatching(/unknown resource/)],
    ]);
  });

  it('a bad value under `__proto__` is reported at its path like any other key', () => {
    const r = ConfigSchema.safeParse({ ...base, queues: JSON.parse('{"__proto__": []}') as unknown });
    expect(r.error?.issues.map((i) => [i.path, i.message])).toEqual([
      [['queues', '__proto__'], 'a queue needs at least one resource'],
    ]);
  });

  function worker(queues: string[]): WorkerObs {
    return {
      id: 'dyn:gpu_a:g4dn.xlarge:i-00000000000000f01',
      task: null,
      queues,
      registeredAt: T0 - 600_000,
      lastActivityAt: T0,
      lastReportAt: T0,
    };
  }
  const clearmlScript = clearmlAutoscalerUserData(
    { prefix: 'dyn', resource: 'gpu_a', instanceType: 'g4dn.xlarge', queue: 'gpu' },
    'http://clearml:8008',
  );
  const clearmlInstance: InstanceObs = {
    ...instance('gpu', 'gpu_a', { instanceId: 'i-00000000000000f01' }),
    tags: { Name: 'clearml-gpu-worker' },
  };

  it.each(NAMES)('a ClearML worker listening only on unconfigured %j counts for the queue serving it', (name) => {
    const t = triageWorkers({
      config: makeConfig(),
      workers: [worker([name])],
      ours: [],
      inFlightIds: new Set(),
      looked: new Map([[clearmlInstance.instanceId, clearmlInstance]]),
      scripts: new Map([[clearmlInstance.instanceId, { text: clearmlScript }]]),
    });
    expect(t.foreign.map((f) => [f.queue, f.blocker])).toEqual([['gpu', null]]);
  });

  it.each(NAMES)(
    'an instance tagged with unconfigured queue and resource %j is an orphan; gpu still scales',
    (name) => {
      const tagged = instance(name, name, { instanceId: 'i-0000000000000bad1' });
      expect(tagged.tags[TAG.queue]).toBe(name);
      const p = plan(policyInput({ instances: [tagged], queues: [queue('gpu', 1), queue(name, 2)] }));
      expect(p.actions).toEqual([
        expect.objectContaining({ kind: 'launch', queue: 'gpu', count: 1 }),
        expect.objectContaining({ kind: 'mark-orphan', instanceId: 'i-0000000000000bad1' }),
      ]);
    },
  );
});

describe('a queue named __proto__ against the emulators', () => {
  let world: World | null = null;
  afterEach(async () => {
    await world?.close();
    world = null;
  });

  it('its tasks get instances, run, and its burn is counted under its name', async () => {
    world = await startWorld();
    const config = makeConfig({
      queues: JSON.parse('{"__proto__": [{"resource": "gpu_a", "maxInstances": 2}]}') as never,
    });
    world.clearml.createQueue('__proto__');
    for (let i = 0; i < 2; i++) world.clearml.addTask({ name: `t${i}`, queue: '__proto__', durationSec: 300 });
    const engine = world.newEngine(config);
    await world.run(engine, 120);
    expect(world.ec2.instances().map((i) => i.tags[TAG.queue])).toEqual(['__proto__', '__proto__']);
    const costs = world.store.getState().costs;
    expect(Object.keys(costs.byQueue)).toEqual(['__proto__']);
    expect(costs.byQueue['__proto__']).toBeGreaterThan(0);
    await world.run(engine, 600);
    expect(world.clearml.tasks().map((t) => t.status)).toEqual(['completed', 'completed']);
  });
});
