// The agent simulator with a fake EC2 world and a manual clock, over the real ClearML emulator.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentSimulator, startRealtimeDriver } from '../../electron/engine/emulators/agents.js';
import { startClearmlEmulator, type ClearmlEmulator } from '../../electron/engine/testkit/clearml-faults.js';
import { FakeEc2World, manualClock, markers, seeded, type ManualClock } from './helpers.js';
import { CLEARML_T0 as T0 } from '../fixtures/index.js';
import { buildUserData } from '../../electron/engine/userdata/userdata.js';
import { userDataOptions } from '../userdata/helpers.js';

const PREFIX = 'dyn:gpu:g4dn.xlarge';
const USER_DATA = markers(PREFIX, 'aws_gpu');

let clock: ManualClock;
let emu: ClearmlEmulator;
let ec2: FakeEc2World;

beforeEach(async () => {
  clock = manualClock();
  emu = await startClearmlEmulator({ clock });
  emu.createQueue('aws_gpu');
  ec2 = new FakeEc2World(clock);
});
afterEach(() => emu.close());

/** random() = 0.5 → boot delay = 60 + 90 × 0.5 = 105 s. */
function sim(o: { random?: () => number; pollSec?: number } = {}) {
  return new AgentSimulator({ ec2, clearml: emu, clock, random: o.random ?? (() => 0.5), pollSec: o.pollSec });
}
const at = (sec: number) => T0 + sec * 1000;

describe('boot and registration', () => {
  it('registers <prefix>:<instance id> on the marker queue once the boot delay has passed, at that time', async () => {
    const agents = sim();
    ec2.launch({ instanceId: 'i-0001', userData: USER_DATA, runningAfterSec: 20 });
    clock.set(at(104));
    agents.step();
    expect(emu.workers()).toEqual([]);
    clock.set(at(400)); // a coarse step: the registration still happened at 105 s
    agents.step();
    expect(emu.workers()).toEqual([
      expect.objectContaining({ id: `${PREFIX}:i-0001`, queues: ['aws_gpu'], registeredAt: at(105), taskId: null }),
    ]);
  });

  it('an instance whose init script fails never registers (it stays booting until someone terminates it)', () => {
    const agents = sim();
    ec2.launch({ instanceId: 'i-0001', userData: USER_DATA, runningAfterSec: 20 });
    ec2.launch({ instanceId: 'i-0002', userData: USER_DATA, runningAfterSec: 20 });
    ec2.bootFailures.set('i-0001', 'pip install clearml-agent failed');
    clock.set(at(3600));
    agents.step();
    expect(emu.workers().map((w) => w.id)).toEqual([`${PREFIX}:i-0002`]);
    expect(ec2.powerOffs).toEqual([]);
  });

  it('an instance slower to reach running than its boot delay registers when it is running', () => {
    const agents = sim();
    ec2.launch({ instanceId: 'i-0001', userData: USER_DATA, runningAfterSec: 200 });
    clock.set(at(300));
    agents.step();
    expect(emu.workers()[0]?.registeredAt).toBe(at(200));
  });

  it('boot delays come from random within [min, max], deterministically in launch order', () => {
    const run = async (seed: number) => {
      const c = manualClock();
      const e = await startClearmlEmulator({ clock: c });
      e.createQueue('aws_gpu');
      const w = new FakeEc2World(c);
      const a = new AgentSimulator({
        ec2: w,
        clearml: e,
        clock: c,
        random: seeded(seed),
        bootSec: { min: 30, max: 90 },
      });
      for (const id of ['i-03', 'i-01', 'i-02']) w.launch({ instanceId: id, userData: USER_DATA, runningAfterSec: 0 });
      c.set(at(1000));
      a.step();
      const regs = e.workers().map((x) => [x.id, x.registeredAt - T0] as const);
      await e.close();
      return regs;
    };
    return Promise.all([run(7), run(7), run(8)]).then(([a, b, c]) => {
      expect(a).toEqual(b);
      expect(a).not.toEqual(c);
      for (const [, ms] of a) {
        expect(ms).toBeGreaterThanOrEqual(30_000);
        expect(ms).toBeLessThanOrEqual(90_000);
      }
    });
  });
});

describe('running tasks', () => {
  it('runs each task for its duration; a task ending at t frees the worker at t (coarse step)', () => {
    const agents = sim();
    const a = emu.addTask({ name: 'a', queue: 'aws_gpu', durationSec: 100 });
    const b = emu.addTask({ name: 'b', queue: 'aws_gpu', durationSec: 50 });
    ec2.launch({ instanceId: 'i-0001', userData: USER_DATA });
    clock.set(at(10_000)); // one big jump over everything
    agents.step();
    expect(emu.task(a)).toMatchObject({ status: 'completed', started: at(105), completed: at(205) });
    expect(emu.task(b)).toMatchObject({ status: 'completed', started: at(205), completed: at(255) });
    expect(emu.task(a)?.lastWorker).toBe(`${PREFIX}:i-0001`);
    expect(emu.workers()[0]?.taskId).toBeNull();
  });

  it('an idle agent picks up a new task at its next poll (every pollSec)', () => {
    const agents = sim({ pollSec: 5 });
    ec2.launch({ instanceId: 'i-0001', userData: USER_DATA });
    clock.set(at(200));
    agents.step(); // registered at 105, idle
    clock.set(at(212));
    const t = emu.addTask({ name: 't', queue: 'aws_gpu', durationSec: 30 });
    clock.set(at(1000));
    agents.step();
    expect(emu.task(t)).toMatchObject({ started: at(215), completed: at(245) }); // polls at 105 + 5k
  });

  it('an agent whose script sets CLEARML_AGENT_QUEUE_POLL_FREQ_SEC polls at that interval, beside one at pollSec', () => {
    const agents = sim({ pollSec: 5 });
    emu.createQueue('fast');
    ec2.launch({ instanceId: 'i-0001', userData: USER_DATA });
    const fast = `${markers(PREFIX, 'fast')}\nexport CLEARML_AGENT_QUEUE_POLL_FREQ_SEC=2\n`;
    ec2.launch({ instanceId: 'i-0002', userData: fast });
    clock.set(at(200));
    agents.step(); // both registered at 105, idle
    clock.set(at(212));
    const slow = emu.addTask({ name: 'slow', queue: 'aws_gpu', durationSec: 30 });
    const quick = emu.addTask({ name: 'quick', queue: 'fast', durationSec: 30 });
    clock.set(at(1000));
    agents.step();
    expect(emu.task(slow)?.started).toBe(at(215)); // polls at 105 + 5k
    expect(emu.task(quick)?.started).toBe(at(213)); // polls at 105 + 2k
  });

  it('stepping coarsely gives the same history as stepping every second', async () => {
    const history = async (stepSec: number) => {
      const c = manualClock();
      const e = await startClearmlEmulator({ clock: c });
      e.createQueue('aws_gpu');
      const w = new FakeEc2World(c);
      const a = new AgentSimulator({ ec2: w, clearml: e, clock: c, random: seeded(42) });
      for (const id of ['i-01', 'i-02', 'i-03']) w.launch({ instanceId: id, userData: USER_DATA });
      const durations = [70, 20, 300, 45, 5, 120, 60, 10, 200, 33];
      const ids: string[] = [];
      for (let s = 0; s <= 1200; s += stepSec) {
        c.set(at(s));
        // Tasks arrive over time, on whole 20 s marks (so both step sizes add them at the same instants).
        if (s % 20 === 0 && s / 20 < durations.length) {
          ids.push(e.addTask({ name: `t${s}`, queue: 'aws_gpu', durationSec: durations[s / 20]! }));
        }
        a.step();
      }
      const out = ids.map((id) => {
        const t = e.task(id)!;
        return [t.name, t.status, t.lastWorker, t.started, t.completed];
      });
      await e.close();
      return out;
    };
    const fine = await history(1);
    const coarse = await history(20);
    expect(coarse).toEqual(fine);
    expect(fine.every(([, status]) => status === 'completed')).toBe(true);
  });

  it('a task stopped by the server ("stopping") is aborted by its agent at the stop time', async () => {
    const agents = sim();
    const t = emu.addTask({ name: 't', queue: 'aws_gpu', durationSec: 1000 });
    ec2.launch({ instanceId: 'i-0001', userData: USER_DATA });
    clock.set(at(200));
    agents.step();
    const res = await fetch(`${emu.url}/tasks.stop`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${emu.accessKey}:${emu.secretKey}`).toString('base64')}` },
      body: JSON.stringify({ task: t }),
    });
    expect(res.status).toBe(200);
    expect(emu.task(t)?.statusMessage).toBe('stopping');
    clock.set(at(500));
    agents.step();
    expect(emu.task(t)).toMatchObject({ status: 'stopped', statusChanged: at(200) });
    expect(emu.workers()[0]?.taskId).toBeNull();
  });
});

describe('instance loss and failed starts', () => {
  it('a lost instance strands its task in_progress; its worker goes silent and expires after 600 s', () => {
    const agents = sim();
    const t = emu.addTask({ name: 't', queue: 'aws_gpu', durationSec: 3600 });
    ec2.launch({ instanceId: 'i-0001', userData: USER_DATA });
    clock.set(at(300));
    agents.step();
    ec2.interruptSpot('i-0001');
    clock.set(at(4000)); // long past the task's end: it must not complete
    agents.step();
    expect(emu.task(t)).toMatchObject({ status: 'in_progress', completed: null, lastWorker: `${PREFIX}:i-0001` });
    expect(emu.workers()).toEqual([]); // last report at 285 s: expired at 885 s
  });

  it('a lost worker stays listed (not reporting) until its register timeout', () => {
    const agents = sim();
    ec2.launch({ instanceId: 'i-0001', userData: USER_DATA });
    clock.set(at(300));
    agents.step();
    ec2.interruptSpot('i-0001');
    clock.set(at(400));
    agents.step();
    expect(emu.workers()).toEqual([expect.objectContaining({ reporting: false, lastReportAt: at(285) })]);
    clock.set(at(885));
    agents.step();
    expect(emu.workers()).toEqual([]);
  });

  it('no markers in the user data: powers itself off after the boot delay, not before', () => {
    const agents = sim();
    ec2.launch({ instanceId: 'i-0009', userData: '#!/bin/bash\necho hello\n' });
    clock.set(at(100));
    agents.step();
    expect(ec2.powerOffs).toEqual([]);
    clock.set(at(106));
    agents.step();
    expect(ec2.powerOffs).toEqual([
      { instanceId: 'i-0009', reason: expect.stringMatching(/no autoscaler markers/) as string, at: at(106) },
    ]);
    expect(ec2.list[0]?.state).toBe('terminated');
    expect(emu.workers()).toEqual([]);
  });

  it('a marker queue that does not exist: the agent cannot start, the instance powers off', () => {
    const agents = sim();
    ec2.launch({ instanceId: 'i-0010', userData: markers(PREFIX, 'no_such_queue') });
    clock.set(at(200));
    agents.step();
    expect(ec2.powerOffs.map((p) => p.reason)).toEqual([expect.stringMatching(/queue 'no_such_queue' does not exist/)]);
  });
});

describe('startRealtimeDriver', () => {
  it('steps on a timer until stopped, and reports a failing step instead of throwing', async () => {
    let steps = 0;
    const errors: unknown[] = [];
    await new Promise<void>((resolve) => {
      const stop = startRealtimeDriver(
        () => {
          steps++;
          if (steps === 2) throw new Error('boom');
          if (steps === 3) {
            stop();
            resolve();
          }
        },
        5,
        (err) => errors.push(err),
      );
    });
    const after = steps;
    await new Promise((r) => setTimeout(r, 30));
    expect(steps).toBe(after);
    expect(errors).toEqual([new Error('boom')]);
  });
});

describe('a queue name with spaces and quotes, from the real startup script', () => {
  it("the agent launched with buildUserData's script registers on queue gpu queue+a'b", async () => {
    const queue = "gpu queue+a'b";
    emu.createQueue(queue);
    const userData = buildUserData({ ...userDataOptions(), prefix: 'dyn', resource: 'gpu_t4', queue });
    const agents = sim();
    ec2.launch({ instanceId: 'i-0002', userData, runningAfterSec: 20 });
    clock.set(at(400));
    agents.step();
    expect(emu.workers()).toEqual([expect.objectContaining({ id: 'dyn:gpu_t4:g4dn.xlarge:i-0002', queues: [queue] })]);
  });
});
