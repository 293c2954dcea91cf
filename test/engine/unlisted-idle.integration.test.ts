// An idle instance left out of one DescribeInstances reply (EC2's listing is eventually consistent; a flaky proxy, a
// truncated reply) still runs and bills: it must keep its idle time and its one billing period, not be taken for
// gone and come back as a new instance. The real engine and provider against the emulators, with a rewriting proxy
// in front of EC2 for the listing that leaves it out (test/conformance/engine-moto.test.ts runs it against moto).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEc2Provider, type Ec2Provider } from '../../electron/engine/ec2/provider.js';
import { addTasks, baseConfig } from '../fixtures/index.js';
import { isPrefixListing, startEc2Proxy, withoutInstances, type Ec2Proxy } from '../fixtures/ec2-proxy.js';
import { startWorld, type World } from '../fixtures/world.js';

let world: World | null = null;
let proxy: Ec2Proxy | null = null;
let ec2: Ec2Provider | null = null;
let dir: string | null = null;
afterEach(async () => {
  ec2?.close();
  await proxy?.close();
  await world?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  [world, proxy, ec2, dir] = [null, null, null, null];
});

describe('an idle instance missing from one listing', () => {
  it('is looked up by id: it keeps its idle time and its one billing period', async () => {
    const w = (world = await startWorld({ queues: ['cpu', 'gpu'] }));
    const state = { hide: null as string | null };
    proxy = await startEc2Proxy(w.ec2.url, (params, reply) => {
      const hide = state.hide;
      if (!hide || !isPrefixListing(params) || reply.status !== 200) return null;
      state.hide = null;
      return { ...reply, body: withoutInstances(reply.body, new Set([hide])) };
    });
    ec2 = createEc2Provider({ region: 'us-east-1', endpoint: proxy.url, credentials: w.awsKeys, clock: w.local });
    dir = await mkdtemp(path.join(tmpdir(), 'cta-unlisted-idle-'));
    const { history, tracker } = await w.costs(path.join(dir, 'costs.jsonl'));
    const engine = w.newEngine(baseConfig(), { costs: tracker }, { clearml: w.clearmlClient(), ec2 });
    addTasks(w.clearml, 'cpu', 1, 60);
    await w.run(engine, 240);
    const [view] = w.store.getState().instances;
    expect(view?.phase).toBe('idle');
    const idleBefore = view!.idleSec!;
    expect(idleBefore).toBeGreaterThan(0);

    state.hide = view!.instanceId;
    await w.run(engine, 15);
    expect(state.hide).toBeNull(); // the listing did leave it out
    await w.run(engine, 15);

    const after = w.store.getState().instances;
    expect(after.map((i) => [i.instanceId, i.phase])).toEqual([[view!.instanceId, 'idle']]);
    // Idle all along: 30 s more, not a timer started over when it came back.
    expect(after[0]!.idleSec).toBe(idleBefore + 30);
    // One record, still open, from its launch: no period ended at the gap and no second one opened after it.
    expect(history.instances().map((r) => [r.instanceId, r.launchedAt, r.endedAt])).toEqual([
      [view!.instanceId, view!.launchedAt, null],
    ]);
  });
});
