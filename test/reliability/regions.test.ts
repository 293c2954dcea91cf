// Remembered regions and "stop everything": two EC2 emulators stand for two regions, the real provider talks to
// each over HTTP, and only instances carrying our prefix tag are terminated.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEc2Provider, type Ec2Provider } from '../../electron/engine/ec2/provider.js';
import { startEc2Emulator, type Ec2Emulator } from '../../electron/engine/testkit/ec2-faults.js';
import { TAG, type LaunchSpec } from '../../electron/engine/ports.js';
import { REGIONS_FILE, RegionRegistry, stopEverything } from '../../electron/engine/reliability/regions.js';
import { VirtualClock } from '../../electron/engine/testkit/virtual-clock.js';
import { AWS_KEYS, T0 } from './rig.js';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'regions-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('RegionRegistry', () => {
  it('remembers each region once, sorted, across reopen', async () => {
    const r = await RegionRegistry.open(dir);
    expect(r.list()).toEqual([]);
    await Promise.all([r.remember('us-east-1'), r.remember('eu-west-1'), r.remember('us-east-1')]);
    expect(r.list()).toEqual(['eu-west-1', 'us-east-1']);
    const again = await RegionRegistry.open(dir);
    expect(again.list()).toEqual(['eu-west-1', 'us-east-1']);
    expect(JSON.parse(await readFile(path.join(dir, REGIONS_FILE), 'utf8'))).toEqual({
      v: 1,
      regions: ['eu-west-1', 'us-east-1'],
      prefixes: [],
    });
  });

  it('remembers every workers prefix launched under, across reopen; reads a file from before prefixes', async () => {
    await writeFile(path.join(dir, REGIONS_FILE), '{"v":1,"regions":["us-east-1"]}');
    const r = await RegionRegistry.open(dir);
    expect([r.list(), r.listPrefixes()]).toEqual([['us-east-1'], []]);
    await r.remember('us-east-1', 'dyn');
    await r.remember('us-east-1', 'team_b');
    await expect(r.remember('us-east-1', 'a b')).rejects.toThrow(/not a workers prefix/);
    const again = await RegionRegistry.open(dir);
    expect([again.list(), again.listPrefixes()]).toEqual([['us-east-1'], ['dyn', 'team_b']]);
  });

  it('refuses a name that is not a region', async () => {
    const r = await RegionRegistry.open(dir);
    await expect(r.remember('../etc')).rejects.toThrow(/not an AWS region/);
    expect(r.problem).toBeNull();
  });

  it.each([
    ['torn', '{"v":1,"regions":["eu-west-1","us-ea', 'not valid JSON', ['eu-west-1'], []],
    [
      'torn in the prefixes',
      '{"v":1,"regions":["eu-west-1","us-east-1"],"prefixes":["dyn","team_b',
      'not valid JSON',
      ['eu-west-1', 'us-east-1'],
      ['dyn'],
    ],
    [
      'a trailing comma',
      '{"v":1,"regions":["us-east-1",],"prefixes":["dyn"],"note":"x"}',
      'not valid JSON',
      ['us-east-1'],
      ['dyn'],
    ],
    [
      'written by a newer version',
      '{"v":2,"regions":["ap-south-1",7],"prefixes":["dyn"],"zones":["ap-south-1a"]}',
      'written by another version',
      ['ap-south-1'],
      ['dyn'],
    ],
    ['of another shape', '{"v":1,"regions":"us-east-1"}', 'not the expected shape', [], []],
  ])(
    'a file %s: kept aside, what is legible remembered, the problem said, and nothing lost at the next write',
    async (_, text, why, regions, prefixes) => {
      await writeFile(path.join(dir, REGIONS_FILE), text);
      const r = await RegionRegistry.open(dir);
      expect([r.list(), r.listPrefixes()]).toEqual([regions, prefixes]);
      expect(r.problem).toContain(`was ${why}; it was kept as ${REGIONS_FILE}.corrupt`);
      expect(await readFile(path.join(dir, `${REGIONS_FILE}.corrupt`), 'utf8')).toBe(text);
      await r.remember('sa-east-1', 'dyn');
      const again = await RegionRegistry.open(dir);
      expect(again.problem).toBeNull();
      expect(again.list()).toEqual([...regions, 'sa-east-1'].sort());
    },
  );
});

describe('stopEverything', () => {
  const clock = new VirtualClock(T0);
  const emus = new Map<string, Ec2Emulator>();
  const providers: Ec2Provider[] = [];
  afterEach(async () => {
    for (const p of providers.splice(0)) p.close();
    for (const e of emus.values()) await e.close();
    emus.clear();
  });

  const makeEc2 = (region: string) => {
    const emu = emus.get(region);
    const p = createEc2Provider({
      region,
      credentials: AWS_KEYS,
      // A region without an emulator is a closed port: "unreachable".
      endpoint: emu?.url ?? 'http://127.0.0.1:9',
      clock,
      maxAttempts: 1,
    });
    providers.push(p);
    return p;
  };

  const spec = (token: string, tags: Record<string, string>): LaunchSpec => ({
    clientToken: token,
    instanceType: 'm5.large',
    imageId: 'ami-0123456789abcdef0',
    market: 'on-demand',
    securityGroupIds: [],
    enableMonitoring: false,
    metadataHopLimit: 1,
    userData: '#!/bin/bash\ntrue\n',
    tags,
  });

  it('terminates our instances in every remembered region, leaves others alone, reports per region', async () => {
    for (const region of ['us-east-1', 'eu-west-1']) emus.set(region, await startEc2Emulator({ clock, region }));
    const east = makeEc2('us-east-1');
    const west = makeEc2('eu-west-1');
    const ours = { [TAG.prefix]: 'dyn' };
    const e1 = await east.runInstance(spec('e1', ours));
    const e2 = await east.runInstance(spec('e2', { ...ours, [TAG.queue]: 'gpu' }));
    const foreign = await east.runInstance(spec('f1', { team: 'web' }));
    const otherPrefix = await east.runInstance(spec('o1', { [TAG.prefix]: 'someone-else' }));
    const w1 = await west.runInstance(spec('w1', ours));
    const wDone = await west.runInstance(spec('w2', ours));
    await west.terminateInstances([wDone.instanceId]);

    const report = await stopEverything({ regions: ['us-east-1', 'eu-west-1'], makeEc2, prefix: 'dyn' });
    const byRegion = new Map(report.regions.map((r) => [r.region, r]));
    expect(new Set(byRegion.get('us-east-1')!.terminated)).toEqual(new Set([e1.instanceId, e2.instanceId]));
    expect(byRegion.get('eu-west-1')).toMatchObject({
      terminated: [w1.instanceId],
      alreadyStopping: [wDone.instanceId],
      error: null,
    });
    expect(report).toMatchObject({ terminated: 3, ok: true });

    const state = (region: string, id: string) => emus.get(region)!.instance(id)!.state;
    expect(state('us-east-1', e1.instanceId)).toBe('shutting-down');
    expect(state('us-east-1', foreign.instanceId)).not.toBe('shutting-down');
    expect(state('us-east-1', otherPrefix.instanceId)).not.toBe('shutting-down');
    expect(state('eu-west-1', w1.instanceId)).toBe('shutting-down');
  });

  it('sweeps every prefix the app used', async () => {
    emus.set('us-east-1', await startEc2Emulator({ clock }));
    const east = makeEc2('us-east-1');
    const a = await east.runInstance(spec('a', { [TAG.prefix]: 'old' }));
    const b = await east.runInstance(spec('b', { [TAG.prefix]: 'new' }));
    const r = await stopEverything({ regions: ['us-east-1'], makeEc2, prefix: ['old', 'new'] });
    expect(new Set(r.regions[0]!.terminated)).toEqual(new Set([a.instanceId, b.instanceId]));
  });

  it('one unreachable or throttled region does not stop the others, and says what to do', async () => {
    emus.set('us-east-1', await startEc2Emulator({ clock }));
    emus.set('ap-south-1', await startEc2Emulator({ clock, region: 'ap-south-1' }));
    const east = makeEc2('us-east-1');
    const e1 = await east.runInstance(spec('e1', { [TAG.prefix]: 'dyn' }));
    const south = makeEc2('ap-south-1');
    const s1 = await south.runInstance(spec('s1', { [TAG.prefix]: 'dyn' }));
    emus.get('ap-south-1')!.faults.push({ action: 'TerminateInstances', code: 'UnauthorizedOperation' });

    const r = await stopEverything({ regions: ['us-east-1', 'eu-north-1', 'ap-south-1'], makeEc2, prefix: 'dyn' });
    const byRegion = new Map(r.regions.map((x) => [x.region, x]));
    expect(byRegion.get('us-east-1')).toMatchObject({ terminated: [e1.instanceId], error: null });
    expect(byRegion.get('eu-north-1')!.error).toMatch(/could not list instances in eu-north-1.*Stop everything/);
    expect(byRegion.get('ap-south-1')).toMatchObject({ found: [s1.instanceId], terminated: [] });
    expect(byRegion.get('ap-south-1')!.error).toMatch(
      /found 1 instance in ap-south-1 but could not terminate it.*terminate it in the EC2 console of ap-south-1/,
    );
    // EC2's classified messages end with a full stop; the advice after them must not add a second one.
    for (const x of r.regions) expect(x.error ?? '').not.toMatch(/(?<!\.)\.\.(?!\.)/);
    expect(r.ok).toBe(false);
    expect(r.terminated).toBe(1);
  });
});
