// The engine as the user left it comes back at the next start: on or off, paused or not, pauses first. The second
// part runs the real service composition over a real engine host against the emulators.
import { afterEach, describe, expect, it } from 'vitest';
import type { NewEvent } from '../../electron/engine/events.js';
import { composeService } from '../../electron/engine/service/compose.js';
import { createEnvironmentFallback } from '../../electron/engine/service/fallback.js';
import { resumeRunState } from '../../electron/engine/service/run-state.js';
import { MemorySecretStore } from '../../electron/engine/service/secret-store.js';
import { MemorySettingsRepo } from '../../electron/engine/service/settings-repo.js';
import type { AtStart, RunState } from '../../shared/settings.js';
import { addTasks, baseConfig } from '../fixtures/index.js';
import { startWorld, type World } from '../fixtures/world.js';
import { until } from '../fixtures/team.js';
import { FakeController } from './fixtures.js';

describe('resumeRunState', () => {
  it.each<[string, RunState, string[], string | null]>([
    ['off, nothing paused', { on: false, launchesPaused: false, pausedQueues: [] }, [], null],
    [
      'off, paused: the pauses come back, autoscaling stays off',
      { on: false, launchesPaused: true, pausedQueues: ['gpu'] },
      ['setLaunchesPaused true', 'setQueuePaused gpu,true'],
      null,
    ],
    [
      'on',
      { on: true, launchesPaused: false, pausedQueues: [] },
      ['setEnabled true'],
      'autoscaling on again at start: it was on when the app last stopped',
    ],
    [
      'on with pauses: the pauses first',
      { on: true, launchesPaused: true, pausedQueues: ['gpu', 'cpu'] },
      ['setLaunchesPaused true', 'setQueuePaused gpu,true', 'setQueuePaused cpu,true', 'setEnabled true'],
      "autoscaling on again at start: it was on when the app last stopped; new launches stay paused; queues 'gpu', " +
        "'cpu' stay paused",
    ],
  ])('%s', async (_name, state, calls, line) => {
    const controller = new FakeController();
    const events: NewEvent[] = [];
    await resumeRunState(controller, state, (e) => events.push(e));
    expect(controller.calls.map((c) => `${c.method} ${c.args.join(',')}`)).toEqual(calls);
    expect(events.map((e) => e.message)).toEqual(line ? [line] : []);
  });

  it.each<[string, RunState, string[], string | null]>([
    [
      'it was on: it stays off, and the log says why',
      { on: true, launchesPaused: false, pausedQueues: [] },
      [],
      'autoscaling stays off at start, as set in App preferences ("When the app starts"), though it was on when the ' +
        'app last stopped',
    ],
    [
      'it was on with pauses: the pauses come back all the same',
      { on: true, launchesPaused: true, pausedQueues: ['gpu'] },
      ['setLaunchesPaused true', 'setQueuePaused gpu,true'],
      'autoscaling stays off at start, as set in App preferences ("When the app starts"), though it was on when the ' +
        'app last stopped',
    ],
    ['it was off: nothing to say', { on: false, launchesPaused: false, pausedQueues: [] }, [], null],
  ])('set to start off: %s', async (_name, state, calls, line) => {
    const controller = new FakeController();
    const events: NewEvent[] = [];
    await resumeRunState(controller, state, (e) => events.push(e), 'off');
    expect(controller.calls.map((c) => `${c.method} ${c.args.join(',')}`)).toEqual(calls);
    expect(events.map((e) => e.message)).toEqual(line ? [line] : []);
  });
});

let world: World | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

/** The desktop app's start: the saved config and run state, the service composed over a real engine host. */
async function start(state: RunState, autoscalingAtStart: AtStart = 'as-left') {
  const w = (world = await startWorld({ queues: ['gpu', 'cpu'] }));
  const h = w.host();
  const settings = new MemorySettingsRepo();
  settings.patch({
    config: baseConfig({ clearml: { apiHost: w.clearml.url } }),
    autoscaling: state,
    autoscalingAtStart,
  });
  const service = composeService({
    host: h,
    settings,
    secrets: new MemorySecretStore({ backendName: 'test' }),
    // Nothing from this machine's environment or home folder.
    fallback: createEnvironmentFallback({ env: {}, homeDir: '/nonexistent/run-state-home' }),
    openUrl: async () => false,
    log: () => undefined,
  });
  addTasks(w.clearml, 'gpu', 2, 600);
  expect(await service.configure()).toBe(true);
  return { w, h };
}

describe('the app starts its engine as it was left', () => {
  it('on, with new launches paused: autoscaling runs, the log says why, and nothing is launched', async () => {
    const { w, h } = await start({ on: true, launchesPaused: true, pausedQueues: ['cpu'] });
    await until('autoscaling on', () => h.store.getState().enabled);
    expect(h.store.getState().launchesPaused).toBe(true);
    expect([...h.engine!.pauses.queues]).toEqual(['cpu']);
    await h.tickNow();
    expect(h.store.getState().events.map((e) => e.message)).toContain(
      "autoscaling on again at start: it was on when the app last stopped; new launches stay paused; queue 'cpu' " +
        'stays paused',
    );
    expect(w.live()).toEqual([]);
  });

  it('on, but App preferences say to start off: it stays off, and the log says why', async () => {
    const { h } = await start({ on: true, launchesPaused: false, pausedQueues: [] }, 'off');
    await h.refresh();
    await h.tickNow();
    expect(h.store.getState().enabled).toBe(false);
    expect(h.store.getState().events.map((e) => e.message)).toContain(
      'autoscaling stays off at start, as set in App preferences ("When the app starts"), though it was on when the ' +
        'app last stopped',
    );
  });

  it('off: it stays off', async () => {
    const { h } = await start({ on: false, launchesPaused: false, pausedQueues: [] });
    await h.refresh();
    expect(h.store.getState().enabled).toBe(false);
    expect(h.store.getState().queues.find((q) => q.name === 'gpu')?.pending).toBe(2);
  });
});
