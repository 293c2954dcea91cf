// A busy instance left out of one DescribeInstances reply (a flaky proxy, a truncated reply) is still running: its
// task must not be requeued nor its worker unregistered (hours of training would restart). The real engine and
// provider against the emulators, with a rewriting proxy in front of EC2 for the listing that leaves it out.
import { afterEach, describe, expect, it } from 'vitest';
import { createEc2Provider, type Ec2Provider } from '../../electron/engine/ec2/provider.js';
import type { Engine } from '../../electron/engine/engine.js';
import type { EngineEvent } from '../../shared/domain.js';
import { addTasks, baseConfig } from '../fixtures/index.js';
import { isPrefixListing, startEc2Proxy, withoutInstances, type Ec2Proxy } from '../fixtures/ec2-proxy.js';
import { startWorld, type World } from '../fixtures/world.js';

let world: World | null = null;
let proxy: Ec2Proxy | null = null;
let ec2: Ec2Provider | null = null;
afterEach(async () => {
  ec2?.close();
  await proxy?.close();
  await world?.close();
  [world, proxy, ec2] = [null, null, null];
});

/** Three cpu tasks running on three instances; `hide` instances are left out of the next listing only. */
async function threeBusy(
  durationSec = 7200,
): Promise<{ w: World; engine: Engine; events: EngineEvent[]; hide: Set<string> | 'all' }> {
  const w = (world = await startWorld({ queues: ['cpu', 'gpu'] }));
  const state = { hide: new Set<string>() as Set<string> | 'all' | null };
  proxy = await startEc2Proxy(w.ec2.url, (params, reply) => {
    const hide = state.hide;
    if (!hide || !isPrefixListing(params) || reply.status !== 200) return null;
    state.hide = null;
    const all = new Set(w.ec2.instances().map((i) => i.instanceId));
    return { ...reply, body: withoutInstances(reply.body, hide === 'all' ? all : hide) };
  });
  ec2 = createEc2Provider({ region: 'us-east-1', endpoint: proxy.url, credentials: w.awsKeys, clock: w.local });
  const events: EngineEvent[] = [];
  const engine = w.newEngine(baseConfig(), { onEvent: (e) => events.push(e) }, { clearml: w.clearmlClient(), ec2 });
  addTasks(w.clearml, 'cpu', 3, durationSec);
  await w.run(engine, 120);
  expect(w.clearml.tasks().filter((t) => t.status === 'in_progress')).toHaveLength(3);
  if (durationSec < 7200) await w.run(engine, durationSec);
  return {
    w,
    engine,
    events,
    get hide() {
      return state.hide ?? new Set<string>();
    },
    set hide(v) {
      state.hide = v;
    },
  };
}

const running = (w: World) =>
  new Map(w.clearml.tasks().flatMap((t) => (t.status === 'in_progress' ? [[t.id, t.lastWorker]] : [])));

describe('a busy instance missing from one listing', () => {
  it('keeps its task in progress and its worker registered, and is not taken for one of ClearML’s', async () => {
    const r = await threeBusy();
    const before = running(r.w);
    const workers = r.w.clearml.workers().map((x) => x.id);
    const [one] = r.w.live().map((i) => i.instanceId);
    const seen = r.events.length;
    r.hide = new Set([one!]);
    await r.w.run(r.engine, 15);
    await r.w.run(r.engine, 60);
    expect(running(r.w)).toEqual(before);
    expect(r.w.clearml.workers().map((x) => x.id)).toEqual(workers);
    const said = r.events.slice(seen).filter((e) => e.kind !== 'decision');
    expect(said.map((e) => e.message)).toEqual([
      `1 busy instance missing from EC2's listing is still running by id (${one}): its task was left alone`,
    ]);
    expect(r.w.store.getState().instances.map((i) => i.phase)).toEqual(['busy', 'busy', 'busy']);
    expect(r.w.ec2.calls.byAction['RunInstances']).toBe(3);
  });

  it('an empty listing that loses every busy instance at once is said to be suspect, and nothing is requeued', async () => {
    const r = await threeBusy();
    const before = running(r.w);
    const seen = r.events.length;
    r.hide = 'all';
    await r.w.run(r.engine, 15);
    expect(running(r.w)).toEqual(before);
    const said = r.events
      .slice(seen)
      .filter((e) => e.kind !== 'decision')
      .map((e) => e.message);
    expect(said[0]).toMatch(/^EC2's listing left out every busy instance of ours \(3\) at once: suspect/);
    expect(said[1]).toMatch(/^3 busy instances missing from EC2's listing are still running by id/);
    expect(said).toHaveLength(2);
  });

  it('one that really ended (terminated outside the app) still has its task requeued at once', async () => {
    const r = await threeBusy();
    const [one] = r.w.live().map((i) => i.instanceId);
    const task = r.w.clearml.tasks().find((t) => t.lastWorker?.endsWith(one!))!;
    r.w.ec2.powerOff(one!, 'terminated in the console');
    const seen = r.events.length;
    await r.w.run(r.engine, 15);
    expect(r.events.slice(seen).map((e) => e.message)).toContain(
      `task ${task.id} returned to 'cpu': its instance ${one} shut itself down (EC2: Client.InstanceInitiatedShutdown)`,
    );
    expect(r.w.clearml.workers().some((x) => x.id.endsWith(one!))).toBe(false);
  });

  it('an idle one left out is not taken for an instance of ClearML’s autoscaler either', async () => {
    const r = await threeBusy(60);
    expect(r.w.store.getState().instances.map((i) => i.phase)).toEqual(['idle', 'idle', 'idle']);
    const [one] = r.w.live().map((i) => i.instanceId);
    const seen = r.events.length;
    r.hide = new Set([one!]);
    await r.w.run(r.engine, 15);
    await r.w.run(r.engine, 15);
    expect(r.events.slice(seen).filter((e) => /ClearML's autoscaler/.test(e.message))).toEqual([]);
    expect(r.w.clearml.workers()).toHaveLength(3);
  });
});
