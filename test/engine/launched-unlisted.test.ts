// A launch is in the snapshot from the tick that made it, as booting, until EC2 lists it (at the next observation,
// or later: its listing is eventually consistent). Without this, for a polling interval or more after a launch the
// tray said "0 running" and Quit exited without asking while the new instances billed.
import { afterEach, describe, expect, it } from 'vitest';
import { runningInstances } from '../../electron/main/tray/tray-model.js';
import { addTasks, baseConfig } from '../fixtures/index.js';
import { startWorld, type World } from '../fixtures/world.js';

let world: World | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

/** Autoscaling on, two gpu tasks waiting; EC2 lists a launch only after `listingDelaySec`. */
async function launchedNotListed(listingDelaySec: number) {
  const w = (world = await startWorld({ queues: ['gpu', 'cpu'], listingDelaySec }));
  const host = w.host();
  host.configure(baseConfig({ clearml: { apiHost: w.clearml.url } }), { clearml: w.clearmlKeys, aws: w.awsKeys });
  addTasks(w.clearml, 'gpu', 2, 3600);
  await host.setEnabled(true);
  await host.tickNow();
  const ids = w.live().map((i) => i.instanceId);
  expect(ids).toHaveLength(2);
  return { w, host, ids };
}

describe("the engine's own launches, before EC2 lists them", () => {
  it('are in the snapshot as booting, priced, from the launching tick until EC2 lists them, never twice', async () => {
    const { w, host, ids } = await launchedNotListed(60);
    const s = host.store.getState();
    expect(s.instances.map((i) => [i.instanceId, i.state, i.phase, i.queue, i.instanceType])).toEqual(
      ids.map((id) => [id, 'pending', 'booting', 'gpu', 'g4dn.xlarge']),
    );
    expect(s.instances.every((i) => i.hourlyPrice > 0 && i.market === 'spot' && i.zone !== '')).toBe(true);
    expect(runningInstances(s)).toHaveLength(2);
    expect(s.costs.burnPerHour).toBeCloseTo(s.instances[0]!.hourlyPrice + s.instances[1]!.hourlyPrice);

    // Still unlisted at the next tick: still shown (and nothing launched again for the same tasks).
    w.clock.advance(15_000);
    expect((await host.tickNow())?.launched).toEqual([]);
    expect(host.store.getState().instances.map((i) => i.instanceId)).toEqual(ids);

    // Listed: shown once, as EC2 and ClearML describe it.
    w.clock.advance(60_000);
    await host.tickNow();
    const listed = host.store.getState().instances;
    expect(listed.map((i) => i.instanceId).sort()).toEqual([...ids].sort());
    expect(listed.every((i) => i.note !== 'just launched: EC2 does not list it yet')).toBe(true);
  });
});

describe('terminating launches EC2 does not list yet', () => {
  it('scale to zero says they could not be terminated yet (not a silent success) and ends them once EC2 knows them', async () => {
    const { w, host, ids } = await launchedNotListed(60);
    // EC2 answers TerminateInstances for an id it does not list yet as not found.
    await expect(host.scaleToZero()).rejects.toThrow(
      new RegExp(
        `2 instances launched moments ago \\(${ids.join(', ')}\\) could not be terminated yet: EC2 does not list them yet.*Try again in a few seconds\\.$`,
      ),
    );
    expect(w.live().map((i) => i.instanceId)).toEqual(ids);
    expect(host.store.getState().launchesPaused).toBe(true);

    // A few seconds on EC2 knows them: the same request ends both, as it would for listed instances.
    w.clock.advance(61_000);
    expect(await host.scaleToZero()).toBe(2);
    expect(w.live()).toEqual([]);
  });

  it('terminating one from the window ends it once EC2 knows it, and refuses an id that is not ours', async () => {
    const { w, host, ids } = await launchedNotListed(60);
    await expect(host.terminate([ids[0]!], 'user request')).rejects.toThrow(/could not be terminated yet/);
    w.clock.advance(61_000);
    expect(await host.terminate([ids[0]!, 'i-0123456789abcdef0'], 'user request')).toEqual([ids[0]]);
    expect(w.live().map((i) => i.instanceId)).toEqual([ids[1]]);
  });

  it('without a listing delay nothing changes: scale to zero right after the launch ends both', async () => {
    const { w, host } = await launchedNotListed(0);
    expect(await host.scaleToZero()).toBe(2);
    expect(w.live()).toEqual([]);
  });
});
