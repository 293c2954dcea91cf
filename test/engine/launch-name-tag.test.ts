// The longest names the config allows (a 64-character workers prefix and resource, a 128-character queue) make a
// Name of 258 characters, two more than an EC2 tag value holds: the launch still happens, its Name cut at 256
// Unicode characters, and its identity tags whole.
import { afterEach, describe, expect, it } from 'vitest';
import { TAG } from '../../electron/engine/ports.js';
import { ourNameTag } from '../../electron/engine/launch-request.js';
import { makeConfig } from './fixtures.js';
import { startWorld, type World } from './world.js';

let world: World | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

describe('the Name tag of the longest names', () => {
  it.each([
    ['short names are whole', 'dyn', 'gpu_a', 'gpu', 'dyn:gpu_a:gpu'],
    [
      'exactly 256 is whole',
      'p'.repeat(64),
      'r'.repeat(64),
      'q'.repeat(126),
      `${'p'.repeat(64)}:${'r'.repeat(64)}:${'q'.repeat(126)}`,
    ],
    [
      '258 is cut to 256',
      'p'.repeat(64),
      'r'.repeat(64),
      'q'.repeat(128),
      `${'p'.repeat(64)}:${'r'.repeat(64)}:${'q'.repeat(126)}`,
    ],
    [
      'emoji count as one character each',
      'p'.repeat(64),
      'r'.repeat(64),
      '🚀'.repeat(128),
      `${'p'.repeat(64)}:${'r'.repeat(64)}:${'🚀'.repeat(126)}`,
    ],
  ])('%s', (_, prefix, resource, queue, name) => {
    expect(ourNameTag(prefix, resource, queue)).toBe(name);
  });

  it('a 64-character prefix and resource and a 128-character queue launch, with their tags whole', async () => {
    world = await startWorld();
    const prefix = 'p'.repeat(64);
    const resource = 'r'.repeat(64);
    const queue = `${'队'.repeat(100)}${'q'.repeat(28)}`;
    const config = makeConfig({
      resources: { [resource]: { instanceType: 'g4dn.xlarge', amiId: 'ami-0123456789abcdef0' } },
      queues: { [queue]: [{ resource, maxInstances: 1 }] },
      scaling: { workersPrefix: prefix, maxTotalInstances: 5, maxIdleMin: 15, maxSpinUpMin: 30 },
    });
    world.clearml.createQueue(queue);
    world.clearml.addTask({ name: 't', queue, durationSec: 300 });
    const engine = world.newEngine(config);
    await world.run(engine, 120);
    const launched = world.ec2.instances();
    expect(launched).toHaveLength(1);
    expect(launched[0]!.tags).toMatchObject({ [TAG.prefix]: prefix, [TAG.resource]: resource, [TAG.queue]: queue });
    expect([...launched[0]!.tags.Name!]).toHaveLength(256);
    await world.run(engine, 600);
    expect(world.clearml.tasks().map((t) => t.status)).toEqual(['completed']);
  });
});
