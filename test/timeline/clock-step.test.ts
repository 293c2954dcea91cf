// This computer's clock stepped back an hour under a running host (the world's emulators keep true time): the
// timeline goes on from the latest observation, and the data folder's files are still rewritten.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineHost } from '../../electron/engine/host.js';
import { AWS_KEYS, CLEARML_KEYS, addTasks, baseConfig } from '../fixtures/index.js';
import { startWorld, type World } from '../fixtures/world.js';

const HOUR = 3_600_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let world: World | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

async function ticks(w: World, host: EngineHost, n: number): Promise<void> {
  for (let k = 0; k < n; k++) {
    w.clock.advance(15_000);
    w.agents.step();
    await host.tickNow();
    w.agents.step();
  }
}

describe('a clock step back under a running host', () => {
  it('the chart ends at the latest poll, and events.json has the events logged since the step', async () => {
    const w = (world = await startWorld({ queues: ['gpu'], dataDir: true }));
    const host = w.host({ dataDir: w.dir });
    host.configure(baseConfig({ clearml: { apiHost: w.clearml.url } }), { clearml: CLEARML_KEYS, aws: AWS_KEYS });
    await ticks(w, host, 8);
    w.local.shiftMs = -HOUR;
    addTasks(w.clearml, 'gpu', 1, 600);
    await ticks(w, host, 4);

    const chart = await host.timeline(1);
    const last = chart.points.at(-1)!;
    expect(last.at).toBe(host.store.getState().lastTickOkAt);
    expect(last.queues['gpu']!.booting + last.queues['gpu']!.busy).toBe(1);

    const launch = host.store.getState().events.findLast((e) => e.kind === 'launch');
    expect(launch).toBeDefined();
    // The file is rewritten at an event at least 5 s after the last write: a second task's launch, a minute on.
    addTasks(w.clearml, 'gpu', 1, 600);
    await ticks(w, host, 2);
    // Written by the throttle while running (a stop would write it anyway): the write after the last touch is
    // under way, so it is waited for, up to a few seconds of real time.
    const onDisk = () =>
      (JSON.parse(readFileSync(path.join(w.dir, 'events.json'), 'utf8')) as { events: { id: number }[] }).events;
    for (let k = 0; k < 50 && !onDisk().some((e) => e.id === launch!.id); k++) await sleep(100);
    expect(onDisk().some((e) => e.id === launch!.id)).toBe(true);
  });
});
