// Moving the config to another ClearML server while instances run for the old one: their workers are not on the new
// server, which used to read as "never registered within the spin-up time" and terminate them, killing the tasks
// they ran there. Each instance names the server it was launched for (TAG.server), so the engine leaves it to
// finish: an orphan it never terminates, whose lease it no longer renews (its watchdog stops it once idle).
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createClearmlClient } from '../../electron/engine/clearml/client.js';
import { createEngineHost, type EngineHost } from '../../electron/engine/host.js';
import { launchBase } from '../../electron/engine/launch-request.js';
import { ev } from '../../electron/engine/events.js';
import { TAG } from '../../electron/engine/ports.js';
import { REGIONS_FILE } from '../../electron/engine/reliability/regions.js';
import { FakeEc2 } from '../fakes/ec2.js';
import { startClearmlEmulator, type ClearmlEmulator } from '../../electron/engine/testkit/clearml-faults.js';
import { AWS_KEYS, CLEARML_KEYS, baseConfig } from '../fixtures/index.js';
import { startWorld, type World } from '../fixtures/world.js';

let world: World | null = null;
let other: ClearmlEmulator | null = null;
let host: EngineHost | null = null;
afterEach(async () => {
  await host?.stop();
  await other?.close();
  await world?.close();
  [host, other, world] = [null, null, null];
});

async function step(w: World, h: EngineHost, ticks: number) {
  const results = [];
  for (let k = 0; k < ticks; k++) {
    w.clock.advance(15_000);
    w.agents.step();
    results.push(await h.tickNow());
    w.agents.step();
  }
  return results;
}

/** The world, a second ClearML server, and a host whose ClearML client goes where each config says. */
async function twoServers() {
  const w = (world = await startWorld({ queues: ['gpu'] }));
  const next = (other = await startClearmlEmulator({ clock: w.clock, ...CLEARML_KEYS }));
  next.createQueue('gpu');
  // (The world's own host would always use the world's server.)
  const h = (host = createEngineHost({
    clock: w.clock,
    makeClearml: (c) => createClearmlClient({ apiHost: c.clearml.apiHost, credentials: CLEARML_KEYS, clock: w.clock }),
    makeEc2: (c) => w.clients(c).ec2,
  }));
  const config = baseConfig({ clearml: { apiHost: w.clearml.url } });
  const creds = { clearml: CLEARML_KEYS, aws: AWS_KEYS };
  h.configure(config, creds);
  const moveTo = (apiHost: string) => h.configure({ ...config, clearml: { apiHost } }, creds);
  return { w, next, h, config, moveTo };
}

describe('a config moved to another ClearML server', () => {
  it('leaves an instance busy for the old server to finish, stops renewing its lease, and serves the new one', async () => {
    const { w, next, h, moveTo } = await twoServers();
    w.clearml.addTask({ name: 'train', queue: 'gpu', durationSec: 4 * 3600 });
    // Well past the 30 min spin-up time, the training still running on the old server.
    await step(w, h, 150);
    const [first] = w.live();
    expect(w.clearml.tasks()[0]!.status).toBe('in_progress');
    expect(first!.tags[TAG.server]).toBe(w.clearml.url);
    const leaseBefore = w.ec2.instances()[0]!.tags[TAG.lease];

    moveTo(next.url);
    next.addTask({ name: 'new-server', queue: 'gpu', durationSec: 600 });
    // Long enough for its lease (20 min) to have been renewed more than once had it been ours to keep.
    const results = await step(w, h, 100);
    expect(results.flatMap((r) => r?.terminated ?? [])).toEqual([]);
    expect(w.live().map((i) => i.instanceId)).toContain(first!.instanceId);
    expect(w.clearml.tasks()[0]!.status).toBe('in_progress');
    expect(w.ec2.instances().find((i) => i.instanceId === first!.instanceId)!.tags[TAG.lease]).toBe(leaseBefore);
    // The new server's task got an instance of its own, tagged for it (the world's agents register with the
    // world's server, so the test goes no further with it).
    const launched = w.ec2.instances().filter((i) => i.instanceId !== first!.instanceId);
    expect(launched.map((i) => i.tags[TAG.server])).toEqual([next.url]);
    const row = h.store.getState().instances.find((i) => i.instanceId === first!.instanceId);
    expect(row).toMatchObject({ phase: 'orphan' });
    expect(row!.note).toMatch(/^launched for ClearML server http:\/\/127\.0\.0\.1:\d+, not this config's/);
    const said = h.store.getState().events.filter((e) => e.kind === 'orphan');
    expect(said[0]!.instanceIds).toEqual([first!.instanceId]);
    expect(said[0]!.message).toMatch(
      /^1 instance launched for ClearML server http:\/\/127\.0\.0\.1:\d+, not this config's \(i-\w+\): its work there cannot be seen from here, so nothing is terminated; leases are not renewed/,
    );
  });

  it.each([
    ['tagged with its server while it runs, once its worker is seen there', false],
    // A dry run writes nothing, so the instance is still untagged when the config moves.
    ['still untagged at the move: tagged with the old server then', true],
  ])('an instance an earlier version launched (no server tag) is left to finish too: %s', async (_, dryRun) => {
    const { w, next, h, config, moveTo } = await twoServers();
    if (dryRun)
      h.configure(
        { ...config, scaling: { ...config.scaling, dryRun: true } },
        { clearml: CLEARML_KEYS, aws: AWS_KEYS },
      );
    // As an earlier version launched it: our tags, no server tag.
    const base = launchBase(
      config,
      { queue: 'gpu', resource: 'gpu_a', at: w.clock.now() },
      w.userDataFor(config, { queue: 'gpu', resource: 'gpu_a' }),
    )!;
    const { [TAG.server]: _server, ...older } = base.tags;
    const { instanceId } = await w
      .clients(config)
      .ec2.runInstance({ ...base, tags: older, clientToken: 'older-1', market: 'spot' });
    w.clearml.addTask({ name: 'train', queue: 'gpu', durationSec: 4 * 3600 });
    await step(w, h, 150);
    expect(w.clearml.tasks()[0]!.status).toBe('in_progress');
    expect(w.ec2.instances()).toHaveLength(1);
    expect(w.ec2.instance(instanceId)?.tags[TAG.server]).toBe(dryRun ? undefined : w.clearml.url);

    moveTo(next.url);
    const results = await step(w, h, 4);
    expect(results.flatMap((r) => r?.terminated ?? [])).toEqual([]);
    expect(w.ec2.instance(instanceId)?.tags[TAG.server]).toBe(w.clearml.url);
    expect(h.store.getState().instances.find((i) => i.instanceId === instanceId)).toMatchObject({ phase: 'orphan' });
  });
});

describe('a config moved to another workers prefix', () => {
  it('the log says what the old prefix left running, and "Stop everything" still finds it', async () => {
    const w = (world = await startWorld({ queues: ['gpu'], dataDir: true }));
    const h = (host = w.host({ dataDir: w.dir }));
    const config = baseConfig({ clearml: { apiHost: w.clearml.url } });
    const creds = { clearml: CLEARML_KEYS, aws: AWS_KEYS };
    h.configure(config, creds);
    w.clearml.addTask({ name: 'train', queue: 'gpu', durationSec: 3600 });
    await step(w, h, 2);
    const [old] = w.live();
    expect(old!.tags[TAG.prefix]).toBe('dyn');
    h.configure({ ...config, scaling: { ...config.scaling, workersPrefix: 'team_b' } }, creds);
    await step(w, h, 1);
    await expect
      .poll(() => h.store.getState().events.find((e) => e.kind === 'orphan')?.message)
      .toBe(
        `1 instance of the previous config still runs in us-east-1 under workers prefix 'dyn' (${old!.instanceId}): ` +
          'this config no longer sees it; it powers off once idle after its lease ends, and Stop everything ' +
          'terminates it now',
      );
    const report = await h.stopEverything();
    expect(report.regions.flatMap((r) => r.terminated)).toEqual([old!.instanceId]);
    expect(w.live()).toEqual([]);
  });
});

describe('an install upgraded from a version that remembered no workers prefix', () => {
  it.each([
    ['regions.json from before prefixes', '{"v":1,"regions":["us-east-1"]}\n'],
    ['no regions.json', null],
  ])(
    'the prefix its instances carry is remembered at the first tick, so Stop everything terminates them after a move (%s)',
    async (_, file) => {
      const w = (world = await startWorld({ queues: ['gpu'], dataDir: true }));
      const config = baseConfig({ clearml: { apiHost: w.clearml.url } });
      const creds = { clearml: CLEARML_KEYS, aws: AWS_KEYS };
      // What the older version left: its regions file, and its instance running under the configured prefix.
      if (file !== null) await writeFile(path.join(w.dir, REGIONS_FILE), file);
      const base = launchBase(
        config,
        { queue: 'gpu', resource: 'gpu_a', at: w.clock.now() },
        w.userDataFor(config, { queue: 'gpu', resource: 'gpu_a' }),
      )!;
      const { instanceId } = await w
        .clients(config)
        .ec2.runInstance({ ...base, clientToken: 'older-1', market: 'spot' });
      const h = (host = w.host({ dataDir: w.dir }));
      h.configure(config, creds);
      await step(w, h, 1);
      expect(JSON.parse(await readFile(path.join(w.dir, REGIONS_FILE), 'utf8'))).toEqual({
        v: 1,
        regions: ['us-east-1'],
        prefixes: ['dyn'],
      });

      h.configure({ ...config, scaling: { ...config.scaling, workersPrefix: 'team_b' } }, creds);
      await step(w, h, 1);
      const report = await h.stopEverything();
      expect(report.regions.flatMap((r) => r.terminated)).toEqual([instanceId]);
      expect(w.live()).toEqual([]);
    },
  );

  it('a regions.json from before prefixes gives the configured prefix even while EC2 cannot be listed', async () => {
    const w = (world = await startWorld({ queues: ['gpu'], dataDir: true }));
    const config = baseConfig({ clearml: { apiHost: w.clearml.url } });
    const creds = { clearml: CLEARML_KEYS, aws: AWS_KEYS };
    await writeFile(path.join(w.dir, REGIONS_FILE), '{"v":1,"regions":["us-east-1"]}\n');
    w.ec2.faults.push({ action: 'DescribeInstances', code: 'UnauthorizedOperation' });
    const h = (host = w.host({ dataDir: w.dir }));
    h.configure(config, creds);
    await step(w, h, 1);
    expect(JSON.parse(await readFile(path.join(w.dir, REGIONS_FILE), 'utf8'))).toMatchObject({ prefixes: ['dyn'] });
  });
});

describe('what a move to another region or prefix says of what it leaves behind', () => {
  it.each([
    [
      'two, leases off',
      { leases: false, instanceIds: ['i-1', 'i-2'] },
      "2 instances of the previous config still run in us-east-1 under workers prefix 'dyn' (i-1, i-2): this config no " +
        'longer sees them; leases are off, so each runs until terminated, and Stop everything terminates them now',
    ],
  ])('%s', (_, o, text) => {
    expect(ev.leftBehind({ region: 'us-east-1', prefix: 'dyn', ...o }).message).toBe(text);
  });

  it('an old region it cannot list is said, with where Stop everything still sweeps', async () => {
    const w = (world = await startWorld({ queues: ['gpu'] }));
    const config = baseConfig({ clearml: { apiHost: w.clearml.url } });
    const unreachable = new FakeEc2().failNext('describeInstances', new Error('connect ECONNREFUSED'));
    const before = w.newEngine(config, {}, { clearml: w.clearmlClient(), ec2: unreachable });
    const after = w.newEngine({ ...config, aws: { region: 'eu-west-1' } });
    await after.sayLeftBehind(before);
    // Published with the next tick.
    await after.tick();
    expect(w.store.getState().events.map((e) => e.message)).toContain(
      "could not list what the previous config left running in us-east-1 under workers prefix 'dyn' (connect " +
        'ECONNREFUSED); Stop everything still sweeps there',
    );
  });
});
