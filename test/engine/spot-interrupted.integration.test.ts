// A spot instance AWS takes back while idle had no line of its own, only "unregistered worker …: worker's instance
// … is gone", which reads like a fault of the app. The real engine against the emulators: one line per queue says
// it was AWS, whether it is charged and what happens next; a busy one is told by its requeue line alone.
import { afterEach, describe, expect, it } from 'vitest';
import { addTasks, baseConfig } from '../fixtures/index.js';
import { startWorld, type World } from '../fixtures/world.js';

let world: World | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

const told = (w: World, from: number) =>
  w.store
    .getState()
    .events.slice(from)
    .filter((e) => e.kind !== 'decision');

describe('spot instances AWS takes back', () => {
  it('idle ones: one line for the queue, said once, naming them and their free first hour', async () => {
    const w = (world = await startWorld({ queues: ['cpu', 'gpu'] }));
    const engine = w.newEngine(baseConfig());
    addTasks(w.clearml, 'gpu', 2, 60);
    await w.run(engine, 300);
    const idle = w.store.getState().instances;
    expect(idle.map((i) => [i.phase, i.market])).toEqual([
      ['idle', 'spot'],
      ['idle', 'spot'],
    ]);
    const seen = w.store.getState().events.length;
    for (const i of idle) w.ec2.interruptSpot(i.instanceId);
    await w.run(engine, 240);
    const ids = idle.map((i) => i.instanceId).sort();
    const lines = told(w, seen).filter((e) => e.code === 'spot-interrupted');
    expect(lines.map((e) => [e.queue, e.instanceIds, e.message])).toEqual([
      [
        'gpu',
        ids,
        `AWS took back 2 spot instances on 'gpu' (${ids.join(', ')}): a spot interruption, not the app; not charged: ` +
          `they were taken back within the first hour. Their workers are unregistered; a new instance is launched ` +
          `when a task waits on 'gpu'`,
      ],
    ]);
  });

  it('a busy one: its requeue line says it, and no second line', async () => {
    const w = (world = await startWorld({ queues: ['cpu', 'gpu'] }));
    const engine = w.newEngine(baseConfig());
    addTasks(w.clearml, 'gpu', 1, 3600);
    await w.run(engine, 300);
    const [busy] = w.store.getState().instances;
    expect(busy?.phase).toBe('busy');
    const seen = w.store.getState().events.length;
    w.ec2.interruptSpot(busy!.instanceId);
    await w.run(engine, 240);
    const said = told(w, seen);
    expect(said.filter((e) => e.kind === 'requeue').map((e) => e.message)).toEqual([
      expect.stringMatching(/: its spot instance was interrupted$/),
    ]);
    expect(said.filter((e) => e.code === 'spot-interrupted')).toEqual([]);
  });
});

describe('a spot price above on-demand', () => {
  it('is said once, naming the resource and both prices, and again only after it came back above', async () => {
    const w = (world = await startWorld({ queues: ['cpu', 'gpu'] }));
    let spot = 0.9;
    const engine = w.newEngine(baseConfig(), {
      prices: (_type, market) => ({ price: market === 'spot' ? spot : 0.526, source: 'test' }),
    });
    await w.run(engine, 120);
    const said = () =>
      w.store
        .getState()
        .events.filter((e) => e.message.startsWith('spot price of '))
        .map((e) => [e.level, e.resource, e.message.split(':')[0]]);
    const line = [
      'warn',
      'gpu_a',
      'spot price of gpu_a (g4dn.xlarge) is $0.90/h, above its on-demand price of $0.53/h',
    ];
    expect(said()).toEqual([line]);
    spot = 0.2;
    await w.run(engine, 30);
    spot = 0.9;
    await w.run(engine, 30);
    expect(said()).toEqual([line, line]);
  });
});
