// The real clearml-agent (the venv's, see requirements.txt) on an instance the engine launched: the engine launches
// on our EC2 emulator, the instance runs the generated startup script for real (test/conformance/instance-sandbox.ts)
// and the agent it starts talks to our ClearML emulator over HTTP on 127.0.0.1. Proves the worker id, the queue,
// idle → busy → idle as the engine sees them, and that the worker is gone once the engine terminates the instance;
// and that every endpoint the agent called was served (no 404 from the emulator).
//
// Time: the agent runs in real time, so the ClearML emulator does too. The engine and the EC2 emulator share a clock
// that is the wall clock plus a skew the test moves forward to pass the idle limit without waiting for it.
import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_DEFAULT_QUEUE_POLL_SEC } from '../../shared/config.js';
import { createClearmlClient } from '../../electron/engine/clearml/client.js';
import { startClearmlEmulator, type ClearmlEmulator } from '../../electron/engine/emulators/clearml-emulator.js';
import { startEc2Emulator, type Ec2Emulator } from '../../electron/engine/emulators/ec2-emulator.js';
import { createEc2Provider } from '../../electron/engine/ec2/provider.js';
import { Engine } from '../../electron/engine/engine.js';
import { systemClock, type Clock } from '../../electron/engine/ports.js';
import { createMainStore } from '../../electron/engine/store.js';
import { userDataBuilder } from '../../electron/engine/userdata/userdata.js';
import { makeConfig } from '../engine/fixtures.js';
import { AWS, KEYS, flatPrices } from '../engine/world.js';
import { runInstance, type InstanceSandbox } from './instance-sandbox.js';
import { venvBin } from './peers.js';

/** The version requirements.txt pins; the startup script must find it already installed in the venv. */
const AGENT_VERSION = '3.0.3';

/** What clearml-agent 3.0.3's daemon called in this run (and its `execute` child for a pulled task). */
const AGENT_ENDPOINTS = [
  'auth.login',
  'queues.get_all',
  'workers.register',
  'workers.get_runtime_properties',
  'queues.get_next_task',
  'workers.status_report',
  'tasks.started',
  'events.add_batch',
  'tasks.get_all',
  'tasks.edit',
  'tasks.get_by_id',
  'tasks.dequeue',
  'tasks.failed',
  'tasks.ping',
  'workers.unregister',
];

class SkewedClock implements Clock {
  skewMs = 0;
  now(): number {
    return Date.now() + this.skewMs;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return systemClock.sleep(ms, signal);
  }
}

let clearml: ClearmlEmulator | null = null;
let ec2: Ec2Emulator | null = null;
let sandbox: InstanceSandbox | null = null;
afterEach(async () => {
  await sandbox?.close();
  await clearml?.close();
  await ec2?.close();
  sandbox = clearml = ec2 = null;
});

async function until<T>(what: string, ms: number, probe: () => Promise<T | null | undefined | false>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const got = await probe();
    if (got) return got;
    if (Date.now() > deadline) {
      const agent = sandbox ? `\n--- instance output (last 6000 chars):\n${sandbox.output().slice(-6000)}` : '';
      throw new Error(`timed out after ${ms} ms waiting for ${what}${agent}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('the real clearml-agent, started by the generated startup script', () => {
  it('registers as prefix:resource:type:instance-id on its queue, is seen idle then busy, and is gone after termination', async () => {
    const venv = venvBin().replace(/\/bin$/, '');
    const clock = new SkewedClock();
    clearml = await startClearmlEmulator({ clock: systemClock, ...KEYS });
    ec2 = await startEc2Emulator({ clock, pendingSec: 1 });
    clearml.createQueue('cpu');
    const config = makeConfig({
      clearml: { apiHost: clearml.url },
      resources: { cpu: { instanceType: 'm5.large', amiId: 'ami-0123456789abcdef0' } },
      queues: { cpu: [{ resource: 'cpu', maxInstances: 1 }] },
      scaling: { workersPrefix: 'conf', maxIdleMin: 5, maxSpinUpMin: 30, maxTotalInstances: 2 },
      // Venv mode (no docker on the sandbox); a git user so the script writes a clearml.conf the agent must read.
      agent: { agentVersion: AGENT_VERSION, defaultDockerImage: '', gitUser: 'conformance-bot' },
    });
    const store = createMainStore();
    const provider = createEc2Provider({ region: 'us-east-1', credentials: AWS, endpoint: ec2.url, clock });
    const engine = new Engine({
      config,
      clearml: createClearmlClient({ apiHost: clearml.url, credentials: KEYS, clock: systemClock }),
      ec2: provider,
      clock,
      store,
      prices: flatPrices,
      userData: userDataBuilder(config, { clearml: KEYS }),
    });
    const view = () => store.getState().instances[0];

    try {
      // A task waits → the engine launches one instance; the instance boots the startup script.
      const first = clearml.addTask({ name: 'wakes the autoscaler', queue: 'cpu', durationSec: 0 });
      const r = await engine.tick();
      expect(r.launched).toHaveLength(1);
      const [inst] = ec2.instances();
      const workerId = `conf:cpu:m5.large:${inst!.instanceId}`;
      await until('the instance to run', 10_000, async () => ec2!.instances()[0]?.state === 'running');
      sandbox = await runInstance({ instanceId: inst!.instanceId, userData: inst!.userData, venv, ec2 });

      // The agent registers under the id the engine derives from the instance, on the configured queue.
      const worker = await until('the agent to register', 30_000, async () => {
        if (sandbox!.exited()) throw new Error(`the startup script exited early:\n${sandbox!.output().slice(-4000)}`);
        return clearml!.workers().find((w) => w.id === workerId);
      });
      expect(worker.queues).toEqual(['cpu']);
      expect(sandbox.output()).toContain(`clearml-agent ${AGENT_VERSION} already installed`);
      // The clearml.conf the script wrote is the one the agent loaded (it prints its configuration).
      expect(sandbox.output()).toContain('agent.git_user = conformance-bot');

      // It pulls the task that woke the autoscaler (it fails to run: no script; this tests the protocol only).
      await until('the first task to be pulled', 60_000, async () => clearml!.task(first)?.status !== 'queued');
      await until('the agent to be idle', 60_000, async () => {
        await engine.tick();
        return view()?.phase === 'idle' && view()?.workerId === workerId;
      });

      // A new task: the agent pulls it; the engine sees the worker busy with it.
      const second = clearml.addTask({ name: 'pulled by the real agent', queue: 'cpu', durationSec: 0 });
      await until('the engine to see the worker busy', 60_000, async () => {
        await engine.tick();
        return view()?.phase === 'busy' && view()?.task?.id === second;
      });
      expect(clearml.task(second)?.lastWorker).toBe(workerId);
      await until('the agent to be idle again', 60_000, async () => {
        await engine.tick();
        return view()?.phase === 'idle';
      });
      expect(r.launched).toHaveLength(1);
      expect(ec2.instances()).toHaveLength(1); // the engine never launched a second instance for it

      // Idle, it asks for a task every agent.queuePollSec (2 s) as the script tells it, not at its own 5 s default.
      const polls = () => clearml!.requests.filter((q) => q.endpoint === 'queues.get_next_task').map((q) => q.at);
      const before = polls().length;
      await until('four more idle polls', 30_000, async () => polls().length >= before + 4);
      const gaps = polls()
        .slice(-4)
        .map((at, i, all) => (i === 0 ? null : at - all[i - 1]!))
        .filter((g) => g !== null)
        .sort((a, b) => a - b);
      expect(config.agent.queuePollSec).toBe(2);
      expect(gaps[1]).toBeGreaterThanOrEqual(1_900);
      expect(gaps[1]).toBeLessThan(AGENT_DEFAULT_QUEUE_POLL_SEC * 1000 - 500);

      // Past the idle limit (engine time), the engine terminates the instance; its shutdown stops the agent.
      await engine.tick();
      clock.skewMs += (config.scaling.maxIdleMin + 1) * 60_000;
      const t = await engine.tick();
      expect(t.terminated).toEqual([inst!.instanceId]);
      await sandbox.waitExit(30_000);
      expect(sandbox.poweredOff()).toBe(true); // the script's exit trap ran
      const ours = createClearmlClient({ apiHost: clearml.url, credentials: KEYS, clock: systemClock });
      expect(await ours.listWorkers('conf')).toEqual([]);
      await new Promise((r) => setTimeout(r, 3_000)); // a surviving agent would report (and re-register) by now
      expect(await ours.listWorkers('conf')).toEqual([]);

      // Every call was served. The one refusal is the agent's "just in case" tasks.dequeue of the task it already
      // started (clearml-agent ignores its answer; ClearML's server refuses a task that is not queued too).
      const refused = clearml.requests.filter((q) => q.status !== 200).map((q) => `${q.endpoint} ${q.status}`);
      expect(new Set(refused)).toEqual(new Set(['tasks.dequeue 400']));
      const called = new Set(clearml.requests.map((q) => q.endpoint));
      for (const e of AGENT_ENDPOINTS) expect(called, e).toContain(e);
    } finally {
      provider.close();
    }
  });
});
