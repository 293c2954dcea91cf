// Launch failures through the real engine, the EC2 emulator's faults and the real SDK provider: what a refused or
// short launch does to the queue's next ticks (its next resource, how often the failing request is sent again) and
// what the status says meanwhile.
import { afterEach, describe, expect, it } from 'vitest';
import { CONFIG_REFUSAL_COOLDOWN_MS } from '../../electron/engine/controllers/launch.js';
import type { QueryParams } from '../../electron/engine/emulators/ec2-query.js';
import type { Engine } from '../../electron/engine/engine.js';
import { Notifier } from '../../shared/notify/notifier.js';
import { defaultSettings } from '../../shared/settings.js';
import { renderDecision } from '../../electron/engine/reasons.js';
import { addTasks, BAD_AMI_FAULT, badAmiFirstConfig, baseConfig, spotGpuWithFallback } from '../fixtures/index.js';
import { startWorld, type World } from '../fixtures/world.js';

let world: World | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

/** The RunInstances requests EC2 received, as `instanceType/market`. */
function runRequests(w: World): string[] {
  const seen: string[] = [];
  w.ec2.interceptors.unshift((action: string, p: QueryParams) => {
    if (action === 'RunInstances')
      seen.push(`${p['InstanceType']}/${p['InstanceMarketOptions.MarketType'] ?? 'on-demand'}`);
    return null;
  });
  return seen;
}

/** One poll: the agents move, the engine ticks. */
async function tick(w: World, engine: Engine, sec = 15) {
  w.clock.advance(sec * 1000);
  w.agents.step();
  const r = await engine.tick();
  w.agents.step();
  return r;
}

describe('a launch EC2 refuses for the resource configuration', () => {
  // Queue gpu: gpu_a (g4dn, whose AMI EC2 does not know), then gpu_b (g5, fine) with room for one instance.
  const config = badAmiFirstConfig();
  const badAmi = BAD_AMI_FAULT;

  it('moves the queue on to its next resource, names the resource in the status, and tries it again rarely', async () => {
    const w = (world = await startWorld({ queues: ['gpu'] }));
    w.ec2.faults.push(badAmi);
    const asked = runRequests(w);
    const engine = w.newEngine(config);
    // Two long tasks: gpu_b holds one, so the queue keeps asking for more than gpu_b gives.
    addTasks(w.clearml, 'gpu', 2, 4 * 3600);

    const gpuA = () => asked.filter((a) => a.startsWith('g4dn')).length;
    // Both tasks ask gpu_a first; its two launches are refused.
    expect((await tick(w, engine)).launched).toEqual([]);
    expect(asked).toEqual(['g4dn.xlarge/on-demand', 'g4dn.xlarge/on-demand']);
    // The next poll goes to gpu_b.
    expect((await tick(w, engine)).launched).toHaveLength(1);
    expect(asked.slice(2)).toEqual(['g5.xlarge/on-demand']);
    const s = w.store.getState();
    // The queue's decision names the refusal, not a shortage that would pass by itself.
    const decision = s.queues.find((q) => q.name === 'gpu')?.lastDecision ?? '';
    expect(decision).toContain('EC2 refuses the settings of gpu_a');
    expect(decision).not.toContain('no capacity');
    expect(s.status).toBe('scaling');
    expect(s.statusReason).toMatch(
      /^Launches of 'gpu_a' for 'gpu' fail: EC2 rejected RunInstances \(InvalidAMIID\.NotFound: .*\): check the AMI id .* 'gpu_a' is tried again in 30 min, or at the next poll once its settings change; meanwhile 'gpu' uses its next resource, if it has one\.$/,
    );

    // Nearly 30 minutes of polls with a task still waiting: the bad request is not sent again.
    await w.run(engine, CONFIG_REFUSAL_COOLDOWN_MS / 1000 - 60, 60);
    expect(gpuA()).toBe(2);
    expect(w.store.getState().statusReason).toMatch(/^Launches of 'gpu_a' for 'gpu' fail/);
    // Once the cool-down is over it is tried again for the task still waiting, refused again and said again.
    await w.run(engine, 120, 60);
    expect(gpuA()).toBe(3);
    expect(w.store.getState().statusReason).toMatch(/^Launches of 'gpu_a' for 'gpu' fail/);

    // The AMI is shared at last: the next try launches, and the status has nothing more to say.
    w.ec2.faults.length = 0;
    await w.run(engine, CONFIG_REFUSAL_COOLDOWN_MS / 1000, 60);
    expect(gpuA()).toBe(4);
    expect(
      w
        .live()
        .map((i) => i.instanceType)
        .sort(),
    ).toEqual(['g4dn.xlarge', 'g5.xlarge']);
    expect(w.store.getState().statusReason).toBeNull();
  });

  it('sends no cap notice queued during its quiet time once the queue has launched', async () => {
    const w = (world = await startWorld({ queues: ['gpu'] }));
    w.ec2.faults.push(badAmi);
    const engine = w.newEngine(config);
    const notifier = new Notifier({ now: () => w.clock.now(), redact: (t) => t });
    const mutes = defaultSettings().notificationMutes;
    const notices: { kind: string; at: number }[] = [];
    const see = () => {
      for (const n of notifier.next(w.store.getState(), mutes)) notices.push({ kind: n.kind, at: w.clock.now() });
    };
    see();
    addTasks(w.clearml, 'gpu', 2, 4 * 3600);
    // 40 min held (gpu_b at its cap, gpu_a refused and tried again at 30 min), then the AMI is shared.
    for (let i = 0; i < 40; i++) {
      await tick(w, engine, 60);
      see();
    }
    w.ec2.faults.length = 0;
    let launchedAt: number | null = null;
    for (let i = 0; i < 35; i++) {
      await tick(w, engine, 60);
      if (launchedAt === null && w.live().some((x) => x.instanceType === 'g4dn.xlarge')) launchedAt = w.clock.now();
      see();
    }
    expect(launchedAt).not.toBeNull();
    // The cap was told while it held; nothing about it after the queue launched on gpu_a.
    expect(notices.filter((n) => n.kind === 'capReached' && n.at < launchedAt!).length).toBeGreaterThan(0);
    expect(notices.filter((n) => n.kind === 'capReached' && n.at >= launchedAt!)).toEqual([]);
  });

  it('is tried at the next poll once a settings save changes the resource, and not after one that does not', async () => {
    const w = (world = await startWorld({ queues: ['gpu'] }));
    w.ec2.faults.push(badAmi);
    const asked = runRequests(w);
    const host = w.host();
    host.configure(config, { clearml: w.clearmlKeys, aws: w.awsKeys });
    addTasks(w.clearml, 'gpu', 2, 4 * 3600);
    await host.setEnabled(true);
    w.clock.advance(15_000);
    await host.tickNow();
    const gpuA = () => asked.filter((a) => a.startsWith('g4dn')).length;
    expect(gpuA()).toBe(2);
    // A save that leaves gpu_a as it was: still skipped, still said.
    host.configure(baseConfig({ ...config, scaling: { ...config.scaling, maxIdleMin: 20 } }), {
      clearml: w.clearmlKeys,
      aws: w.awsKeys,
    });
    w.clock.advance(15_000);
    await host.tickNow();
    expect(gpuA()).toBe(2);
    expect(host.store.getState().statusReason).toMatch(/^Launches of 'gpu_a' for 'gpu' fail/);
    // A save that changes gpu_a: tried at the next poll.
    const fixed = baseConfig({
      ...config,
      resources: { ...config.resources, gpu_a: { ...config.resources.gpu_a!, amiId: 'ami-0123456789abcdef0' } },
    });
    host.configure(fixed, { clearml: w.clearmlKeys, aws: w.awsKeys });
    w.clock.advance(15_000);
    await host.tickNow();
    expect(gpuA()).toBe(3);
    expect(w.live().map((i) => i.instanceType)).toContain('g4dn.xlarge');
  });
});

describe('a spot launch refused for want of the Spot service-linked role', () => {
  const spotRoleMissing = {
    action: 'RunInstances',
    code: 'AuthFailure.ServiceLinkedRoleCreationNotPermitted',
    status: 403,
    message: 'The provided credentials do not have permission to create the service-linked role for EC2 Spot.',
    when: (p: QueryParams) => p['InstanceMarketOptions.MarketType'] === 'spot',
  };

  it('on a spot-only queue: named with its IAM fix in the status, the decision and the event, notified as a launch failure', async () => {
    const w = (world = await startWorld({ queues: ['gpu'] }));
    w.ec2.faults.push(spotRoleMissing);
    const asked = runRequests(w);
    const config = baseConfig({
      resources: { gpu_a: spotGpuWithFallback({ spotFallbackToOnDemand: false, subnetIds: undefined }) },
      queues: { gpu: [{ resource: 'gpu_a', maxInstances: 2 }] },
    });
    const engine = w.newEngine(config);
    const notifier = new Notifier({ now: () => w.clock.now(), redact: (t) => t });
    const mutes = defaultSettings().notificationMutes;
    const notices = [...notifier.next(w.store.getState(), mutes)];
    addTasks(w.clearml, 'gpu', 1, 3600);

    await tick(w, engine);
    notices.push(...notifier.next(w.store.getState(), mutes));
    // The next poll holds the queue's launches and says why.
    const held = (await tick(w, engine)).plan?.decisions.find((d) => d.queue === 'gpu');
    notices.push(...notifier.next(w.store.getState(), mutes));
    const s = w.store.getState();
    expect(asked).toEqual(['g4dn.xlarge/spot']);
    expect(s.statusReason).toMatch(/^Spot launches of 'gpu_a' for 'gpu' are refused: .*AWSServiceRoleForEC2Spot/);
    expect(s.statusReason).toContain('aws iam create-service-linked-role --aws-service-name spot.amazonaws.com');
    const failed = s.events.filter((e) => e.kind === 'launch-failed');
    expect(failed.map((e) => e.cause)).toEqual(['spot-role']);
    expect(failed[0]!.message).toMatch(/^spot launches of g4dn\.xlarge \(gpu_a\) are refused: /);
    expect(failed[0]!.message).not.toContain('no capacity');
    const decision = held ? renderDecision(held) : '';
    expect(decision).toContain('spot launches of gpu_a are refused');
    expect(decision).not.toContain('no capacity');
    expect(notices.map((n) => [n.kind, n.navigate.view])).toEqual([['launchFailed', 'events']]);
    expect(notices[0]!.body).not.toContain('Credentials tab');

    // Held like a refused configuration, not re-sent at every capacity cool-down: the role does not appear by itself.
    await w.run(engine, CONFIG_REFUSAL_COOLDOWN_MS / 1000 - 60, 60);
    expect(asked).toHaveLength(1);
    expect(w.store.getState().statusReason).toMatch(/^Spot launches of 'gpu_a' for 'gpu' are refused/);
  });
  it('a second queue on the same spot-only resource hears the same refusal, not "ran out of capacity"', async () => {
    const w = (world = await startWorld({ queues: ['gpu', 'gpu2'] }));
    w.ec2.faults.push(spotRoleMissing);
    const asked = runRequests(w);
    const config = baseConfig({
      resources: { gpu_a: spotGpuWithFallback({ spotFallbackToOnDemand: false, subnetIds: undefined }) },
      queues: {
        gpu: [{ resource: 'gpu_a', maxInstances: 2 }],
        gpu2: [{ resource: 'gpu_a', maxInstances: 2 }],
      },
    });
    const engine = w.newEngine(config);
    addTasks(w.clearml, 'gpu', 1, 3600);
    addTasks(w.clearml, 'gpu2', 1, 3600);
    await tick(w, engine);
    // One spot request: the refusal holds for the whole spot market of the type, so the other queue sends none.
    expect(asked).toEqual(['g4dn.xlarge/spot']);
    const failed = w.store.getState().events.filter((e) => e.kind === 'launch-failed');
    expect(failed.map((e) => [e.queue, e.cause])).toEqual([
      ['gpu', 'spot-role'],
      ['gpu2', 'spot-role'],
    ]);
    for (const e of failed) {
      expect(e.message).toContain('AWSServiceRoleForEC2Spot');
      expect(e.message).not.toMatch(/capacity/);
    }
  });
});

describe('a batch of launches that partly finds no capacity', () => {
  it('launches every task within two polls: a sibling that launched leaves neither its placement nor the queue cooling', async () => {
    const w = (world = await startWorld({ queues: ['gpu'] }));
    const config = baseConfig({
      resources: {
        gpu_a: spotGpuWithFallback({ subnetIds: ['subnet-0000aaaa'] }),
      },
      queues: { gpu: [{ resource: 'gpu_a', maxInstances: 4 }] },
    });
    // EC2 has no g4dn capacity for the first four requests of any market, then has it.
    w.ec2.faults.push({ action: 'RunInstances', code: 'InsufficientInstanceCapacity', count: 4 });
    const failures: string[] = [];
    const engine = w.newEngine(config, {
      onEvent: (e) => void (e.kind === 'launch-failed' && failures.push(e.message)),
    });
    addTasks(w.clearml, 'gpu', 4, 2 * 3600);

    // Whatever order the answers come in, one of the four launches gets capacity at the first poll (the four faults
    // go to the four spot requests sent together, or leave an on-demand one through), so the second poll finds a
    // placement that launched uncooled and the queue's resource still in use.
    const first = await tick(w, engine);
    const second = await tick(w, engine);
    expect(first.launched.length + second.launched.length).toBe(4);
    expect(w.live()).toHaveLength(4);
    // What failed in the batch is tried again at the next poll, not after a 10 min cool-down of the queue.
    for (const m of failures)
      expect(m).toMatch(
        /^\d of \d launches of g4dn\.xlarge \(gpu_a\) found no capacity: .*\. (It is|They are) tried again at the next poll\.$/,
      );
  });
});
