// The ClearML server down for an hour, for the app and for the agents alike: when it answers again, every worker has
// dropped out of its listing (the agents could not report) until each agent reports again. The real engine and
// clients against the emulators: busy instances must not be taken for ones that never registered.
import { afterEach, expect, it } from 'vitest';
import type { EngineEvent } from '../../shared/domain.js';
import { addTasks, baseConfig } from '../fixtures/index.js';
import { startWorld, type World } from '../fixtures/world.js';

let world: World | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

async function busyThenOutage(): Promise<{ w: World; events: EngineEvent[]; run: (sec: number) => Promise<void> }> {
  const w = (world = await startWorld({ queues: ['cpu', 'gpu'] }));
  const events: EngineEvent[] = [];
  const engine = w.newEngine(baseConfig(), { onEvent: (e) => events.push(e) });
  addTasks(w.clearml, 'cpu', 2, 6 * 3600);
  await w.run(engine, 180);
  expect(w.clearml.tasks().filter((t) => t.status === 'in_progress')).toHaveLength(2);
  // The server goes down: every call answers 503 and no agent's report arrives.
  w.clearml.faults.inject({ status: 503, count: 1e6 });
  for (const worker of w.clearml.workers()) w.clearml.dropWorker(worker.id);
  await w.run(engine, 3600);
  w.clearml.faults.clear();
  return { w, events, run: (sec) => w.run(engine, sec) };
}

it('busy instances whose workers have not reported yet after an hour-long outage keep running', async () => {
  const { w, events, run } = await busyThenOutage();
  expect(w.clearml.workers()).toEqual([]);
  const live = w.live().map((i) => i.instanceId);
  const from = events.length;
  await run(60);
  expect(w.live().map((i) => i.instanceId)).toEqual(live);
  expect(events.slice(from).filter((e) => e.kind === 'terminate')).toEqual([]);
  expect(w.ec2.calls.byAction['RunInstances']).toBe(2);
});

it('a worker that never comes back goes after the spin-up time of readable ClearML, told as gone missing', async () => {
  const { w, events, run } = await busyThenOutage();
  const from = events.length;
  await run(29 * 60);
  expect(w.live()).toHaveLength(2);
  await run(2 * 60);
  expect(w.live()).toHaveLength(0);
  const said = events.slice(from).filter((e) => e.kind === 'terminate');
  expect(said.map((e) => e.message)).toEqual([
    "terminated 2 instances on 'cpu': no ClearML worker listed for 1.5 h after it had registered (more than the 30 " +
      'min spin-up time while ClearML could be read): the agent stopped or cannot reach the server; check the ' +
      "instance's console log",
  ]);
});
