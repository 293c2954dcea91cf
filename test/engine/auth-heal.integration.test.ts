// Credentials refused once, then fine again (an IAM policy fixed, an SSO/STS session refreshed, a clock step): the
// engine in the test world, the EC2 emulator answering the refusal from its fault list, virtual time, no configure.
import { afterEach, describe, expect, it } from 'vitest';
import { addTasks, baseConfig, spotGpuWithFallback } from '../fixtures/index.js';
import { startWorld, type World } from '../fixtures/world.js';
import { Notifier } from '../../shared/notify/notifier.js';
import { defaultSettings } from '../../shared/settings.js';
import { buildTrayModel } from '../../electron/main/tray/tray-model.js';
import { publish } from '../../electron/engine/store.js';

let world: World | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

const cpuOnly = () =>
  baseConfig({
    scaling: { workersPrefix: 'dyn', maxTotalInstances: 20, maxIdleMin: 1, surplusIdleMin: 1, maxSpinUpMin: 30 },
  });

const runCalls = (w: World) => w.ec2.calls.byAction['RunInstances'] ?? 0;
const said = (w: World, re: RegExp) => w.store.getState().events.filter((e) => re.test(e.message));

/**
 * One cpu instance that has worked and gone idle, then every TerminateInstances refused as `fault` says (its message
 * from the instance id) for `seconds` of 15 s polls; the notices a desktop notifier gave meanwhile.
 */
async function terminationsRefused(
  fault: { code: string; status: number; message: (instanceId: string) => string },
  seconds: number,
) {
  const w = (world = await startWorld({ queues: ['cpu', 'gpu'] }));
  const engine = w.newEngine(cpuOnly());
  addTasks(w.clearml, 'cpu', 1, 30);
  await w.run(engine, 120, 30);
  const [instance] = w.live();
  const mutes = defaultSettings().notificationMutes;
  const notifier = new Notifier({ now: () => w.clock.now(), redact: (t) => t });
  notifier.next(w.store.getState(), mutes);
  const calls = () => w.ec2.calls.byAction['TerminateInstances'] ?? 0;
  const before = calls();
  w.ec2.faults.push({
    action: 'TerminateInstances',
    code: fault.code,
    status: fault.status,
    message: fault.message(instance!.instanceId),
    count: 1_000,
  });
  const notices = [];
  for (let t = 0; t < seconds; t += 15) {
    await w.run(engine, 15);
    notices.push(...notifier.next(w.store.getState(), mutes));
  }
  return { w, instanceId: instance!.instanceId, notices, terminateCalls: calls() - before };
}

describe('an auth refusal heals without a settings save', () => {
  it('UnauthorizedOperation on one RunInstances: one launch is tried again after 1 min, the task launches', async () => {
    const w = (world = await startWorld({ queues: ['cpu', 'gpu'] }));
    const engine = w.newEngine(cpuOnly());
    w.ec2.faults.push({
      action: 'RunInstances',
      code: 'UnauthorizedOperation',
      message: 'You are not authorized to perform this operation.',
      status: 403,
      count: 1,
    });
    addTasks(w.clearml, 'cpu', 1, 3600);

    await w.run(engine, 15);
    expect(w.live()).toHaveLength(0);
    const blocked = w.store.getState();
    expect(blocked.status).toBe('error');
    expect(blocked.statusReason).toMatch(/UnauthorizedOperation.*Launches are stopped: one is tried again in 1 min/);

    // The refused permission is not proved back by a listing: nothing is sent before the back-off is over.
    await w.run(engine, 30);
    expect(runCalls(w)).toBe(1);

    await w.run(engine, 30);
    expect(w.live()).toHaveLength(1);
    const healed = w.store.getState();
    expect(healed.status).not.toBe('error');
    expect(healed.statusFix ?? []).not.toContain('credentials');
    expect(
      said(w, /^AWS accepts the credentials again \(UnauthorizedOperation no longer\): a launch went through/),
    ).toHaveLength(1);
    expect(runCalls(w)).toBe(2);
  });

  it('a refusal that holds backs off 1, 2, 5, 10 min and says when it tries next', async () => {
    const w = (world = await startWorld({ queues: ['cpu', 'gpu'] }));
    const engine = w.newEngine(cpuOnly());
    w.ec2.faults.push({ action: 'RunInstances', code: 'UnauthorizedOperation', status: 403, count: 1_000 });
    addTasks(w.clearml, 'cpu', 1, 3600);
    const callsAfter = async (sec: number) => {
      await w.run(engine, sec);
      return runCalls(w);
    };
    expect(await callsAfter(15)).toBe(1);
    expect(await callsAfter(60)).toBe(2);
    expect(w.store.getState().statusReason).toMatch(/tried again in 2 min \(refused 2 times in a row\)/);
    expect(await callsAfter(120)).toBe(3);
    expect(await callsAfter(300)).toBe(4);
    expect(await callsAfter(600)).toBe(5);
    expect(await callsAfter(600)).toBe(6);
    expect(w.live()).toHaveLength(0);
  });

  it('a first batch of launches refused side by side is one refusal: one launch is tried again after 1 min', async () => {
    const w = (world = await startWorld({ queues: ['cpu', 'gpu'] }));
    const engine = w.newEngine(cpuOnly());
    w.ec2.faults.push({ action: 'RunInstances', code: 'UnauthorizedOperation', status: 403, count: 1_000 });
    addTasks(w.clearml, 'cpu', 3, 3600);
    await w.run(engine, 15);
    expect(runCalls(w)).toBe(3);
    const reason = w.store.getState().statusReason ?? '';
    expect(reason).toMatch(/one is tried again in 1 min;/);
    expect(reason).not.toMatch(/times in a row/);
    await w.run(engine, 60);
    expect(runCalls(w)).toBe(4);
  });

  it('each refusal says the wait that follows it, as the status of the same tick does', async () => {
    const w = (world = await startWorld({ queues: ['cpu', 'gpu'] }));
    const engine = w.newEngine(cpuOnly());
    w.ec2.faults.push({ action: 'RunInstances', code: 'UnauthorizedOperation', status: 403, count: 1_000 });
    addTasks(w.clearml, 'cpu', 1, 3600);
    // Runs until the next refusal, and returns the wait its event announces.
    const refusal = async (sec: number) => {
      const calls = runCalls(w);
      await w.run(engine, sec);
      expect(runCalls(w)).toBe(calls + 1);
      const last = w.store
        .getState()
        .events.filter((e) => e.kind === 'launch-failed')
        .at(-1);
      expect(last?.message).toBe(w.store.getState().statusReason);
      return /one is tried again in (\d+) min/.exec(last?.message ?? '')?.[1];
    };
    expect(await refusal(15)).toBe('1');
    expect(await refusal(60)).toBe('2');
    expect(await refusal(120)).toBe('5');
    expect(await refusal(300)).toBe('10');
  });

  it('the notification and the tray say it short: the cause, the code once, the fix and the next try', async () => {
    const w = (world = await startWorld({ queues: ['cpu', 'gpu'] }));
    const engine = w.newEngine(cpuOnly());
    w.ec2.faults.push({ action: 'RunInstances', code: 'UnauthorizedOperation', status: 403, count: 1_000 });
    addTasks(w.clearml, 'cpu', 2, 3600);
    const mutes = defaultSettings().notificationMutes;
    const notifier = new Notifier({ now: () => w.clock.now(), redact: (t) => t });
    notifier.next(w.store.getState(), mutes);
    await w.run(engine, 15);
    const s = w.store.getState();
    const notices = notifier.next(s, mutes).filter((n) => n.kind === 'credentialsRejected');
    expect(notices).toHaveLength(1);
    const body = notices[0]!.body;
    // About four lines of some 50 characters: what a Windows toast or a macOS alert shows before it cuts the body.
    expect(body.length).toBeLessThanOrEqual(200);
    expect(body.match(/UnauthorizedOperation/g)).toHaveLength(1);
    expect(body).toContain('add it to the IAM policy of these credentials');
    expect(body).toMatch(/Next try in 1 min\.$/);
    // The event log keeps the whole text.
    const event = s.events.filter((e) => e.kind === 'launch-failed').at(-1);
    expect(event?.message).toMatch(/refused the request: .*Test connection passes\.$/);
    expect(event?.message.match(/UnauthorizedOperation/g)).toHaveLength(1);
    // Windows cuts a tooltip at 127 characters: this one ends with the next try, and the fix is the item below.
    const traySettings = { launchAtLogin: false, launchAtLoginSupported: true, configured: true };
    const tray = buildTrayModel({ ...s, enabled: true }, traySettings);
    expect(tray.tooltip).toMatch(/: AWS refused ec2:RunInstances \(UnauthorizedOperation\); next try in 1 min$/);
    expect(tray.items.map((i) => i.label)).toContain('Open Credentials…');
    // The short form goes with its reason: another reason published after it (the host's, say) is shown itself.
    publish(w.store, { status: 'error', statusReason: 'The last tick failed: boom', statusFix: [] });
    expect(buildTrayModel(w.store.getState(), traySettings).status).toBe(
      'Autoscaling error: The last tick failed: boom',
    );
  });

  it('a refusal told after its quiet time counts the next try from when it is shown', async () => {
    const w = (world = await startWorld({ queues: ['cpu', 'gpu'] }));
    const engine = w.newEngine(cpuOnly());
    w.ec2.faults.push({ action: 'RunInstances', code: 'UnauthorizedOperation', status: 403, count: 1_000 });
    addTasks(w.clearml, 'cpu', 1, 3600);
    const mutes = defaultSettings().notificationMutes;
    const notifier = new Notifier({ now: () => w.clock.now(), redact: (t) => t });
    notifier.next(w.store.getState(), mutes);
    const told: { at: number; body: string }[] = [];
    const tries: number[] = [];
    for (let t = 0; t < 45 * 60; t += 15) {
      const calls = runCalls(w);
      await w.run(engine, 15);
      if (runCalls(w) > calls) tries.push(w.clock.now());
      for (const n of notifier.next(w.store.getState(), mutes)) told.push({ at: w.clock.now(), body: n.body });
    }
    // The first at once, the next after the 30-min quiet time: the refusals meanwhile (at 1, 3, 8, 18, 28 min) are
    // one problem, and its next try is the one due when the notice is shown, not 10 min after the last refusal.
    expect(told).toHaveLength(2);
    const late = told[1]!;
    expect(late.at - told[0]!.at).toBeGreaterThanOrEqual(30 * 60_000);
    expect(late.body).not.toContain('more problem');
    const inMin = Number(/Next try in (\d+) min\.$/.exec(late.body)?.[1]);
    const next = tries.find((at) => at > late.at)!;
    expect(next - late.at).toBeLessThanOrEqual(inMin * 60_000);
    expect(next - late.at).toBeGreaterThan((inMin - 1) * 60_000);
  });

  it('a refused termination: the notification says which instance still bills and why, short; the log has it all', async () => {
    // AWS's own answer to a refused call carries an encoded authorization message of several hundred characters.
    const encoded = `Encoded authorization failure message: ${'AbCd'.repeat(150)}`;
    const { w, instanceId, notices } = await terminationsRefused(
      {
        code: 'UnauthorizedOperation',
        status: 403,
        message: () => `You are not authorized to perform this operation. ${encoded}`,
      },
      300,
    );
    expect(notices.map((n) => n.title)).toEqual(['Credentials rejected']);
    const body = notices[0]!.body;
    expect(body.length).toBeLessThanOrEqual(200);
    expect(body).toMatch(new RegExp(`^EC2 refused to terminate ${instanceId} \\(still billing\\): `));
    expect(body).toContain('ec2:TerminateInstances (UnauthorizedOperation)');
    expect(notices[0]!.navigate).toEqual({ view: 'credentials' });
    const event = w.store
      .getState()
      .events.filter((e) => e.kind === 'error')
      .at(-1);
    expect(event?.message).toBe(
      `terminating ${instanceId} failed: The AWS identity is not allowed to call ec2:TerminateInstances ` +
        '(UnauthorizedOperation): add it to the IAM policy of these credentials.',
    );
  });

  it('a termination refused by termination protection: tried at every poll, logged once every 10 min, told as refused', async () => {
    // 40 min of polls: the idle limit passes, then every termination is refused.
    const { w, instanceId, notices, terminateCalls } = await terminationsRefused(
      {
        code: 'OperationNotPermitted',
        status: 400,
        message: (id) =>
          `The instance '${id}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.`,
      },
      40 * 60,
    );
    expect(terminateCalls).toBeGreaterThan(60);
    const refused = w.store.getState().events.filter((e) => e.code === 'terminate-failed');
    expect(refused.length).toBeGreaterThanOrEqual(2);
    // One event per poll before: here 10 min apart at least, for 4 polls a minute.
    for (const [a, b] of refused.slice(1).map((e, i) => [refused[i]!, e] as const))
      expect(b.at - a.at).toBeGreaterThanOrEqual(10 * 60_000);
    expect(notices.map((n) => n.title)).toEqual(['Termination refused', 'Termination still refused']);
    expect(notices[0]!.body).toMatch(new RegExp(`^EC2 refused to terminate ${instanceId} \\(still billing\\): `));
  });

  it('RequestExpired on one RunInstances (a clock step): the next tick, whose listing EC2 answers, launches', async () => {
    const w = (world = await startWorld({ queues: ['cpu', 'gpu'] }));
    const engine = w.newEngine(cpuOnly());
    w.ec2.faults.push({ action: 'RunInstances', code: 'RequestExpired', message: 'Request has expired.', count: 1 });
    addTasks(w.clearml, 'cpu', 1, 3600);
    await w.run(engine, 15);
    expect(w.live()).toHaveLength(0);
    await w.run(engine, 15);
    expect(w.live()).toHaveLength(1);
    expect(w.store.getState().status).not.toBe('error');
    expect(
      said(w, /^AWS accepts the credentials again \(RequestExpired no longer\): EC2 answered a signed call/),
    ).toHaveLength(1);
  });

  it('ExpiredToken on one TerminateInstances: the next tick reopens, and new tasks launch', async () => {
    const w = (world = await startWorld({ queues: ['cpu', 'gpu'] }));
    const engine = w.newEngine(cpuOnly());
    addTasks(w.clearml, 'cpu', 1, 30);
    await w.run(engine, 120, 30);
    expect(w.live()).toHaveLength(1);
    w.ec2.faults.push({ action: 'TerminateInstances', code: 'ExpiredToken', count: 1 });
    await w.run(engine, 180, 30);
    const before = runCalls(w);
    addTasks(w.clearml, 'cpu', 3, 600);
    await w.run(engine, 60, 30);
    expect(runCalls(w) - before).toBe(3);
    expect(w.store.getState().status).not.toBe('error');
  });

  it('a Test connection that passes with the stored credentials reopens at once, through the app host', async () => {
    const w = (world = await startWorld({ queues: ['cpu', 'gpu'] }));
    const host = w.host();
    host.configure(baseConfig({ clearml: { apiHost: w.clearml.url } }), { clearml: w.clearmlKeys, aws: w.awsKeys });
    w.ec2.faults.push({ action: 'RunInstances', code: 'UnauthorizedOperation', status: 403, count: 1 });
    addTasks(w.clearml, 'cpu', 1, 3600);
    await host.setEnabled(true);
    const tick = async () => {
      w.clock.advance(15_000);
      await host.tickNow();
    };
    await tick();
    // Off and on again changes nothing: the back-off still holds.
    await host.setEnabled(false);
    await host.setEnabled(true);
    await tick();
    expect(w.live()).toHaveLength(0);
    expect(host.store.getState().status).toBe('error');
    host.credentialsTested?.('aws');
    // The host ticks at once (or this tick does): either way the launch goes without waiting out the back-off.
    await tick();
    expect(w.live()).toHaveLength(1);
    expect(host.store.getState().events.filter((e) => /: Test connection passed/.test(e.message))).toHaveLength(1);
    expect(host.store.getState().status).not.toBe('error');
  });
});

describe('a missing Spot service-linked role', () => {
  it('is a spot-market problem: the gpu task launches on-demand, the cpu queue launches, no auth block', async () => {
    const w = (world = await startWorld({ queues: ['gpu', 'cpu'] }));
    const config = baseConfig({
      resources: {
        gpu_a: spotGpuWithFallback({ subnetIds: undefined }),
        cpu: { instanceType: 'm5.large', amiId: 'ami-0123456789abcdef0' },
      },
      queues: { gpu: [{ resource: 'gpu_a', maxInstances: 2 }], cpu: [{ resource: 'cpu', maxInstances: 2 }] },
    });
    w.ec2.faults.push({
      action: 'RunInstances',
      code: 'AuthFailure.ServiceLinkedRoleCreationNotPermitted',
      status: 403,
      message: 'The provided credentials do not have permission to create the service-linked role for EC2 Spot.',
      when: (p) => p['InstanceMarketOptions.MarketType'] === 'spot',
    });
    const engine = w.newEngine(config);
    addTasks(w.clearml, 'gpu', 1, 3600);
    addTasks(w.clearml, 'cpu', 1, 3600);
    await w.run(engine, 15);
    expect(
      w
        .live()
        .map((i) => `${i.instanceType}/${i.market}`)
        .sort(),
    ).toEqual(['g4dn.xlarge/on-demand', 'm5.large/on-demand']);
    const s = w.store.getState();
    expect(s.status).not.toBe('error');
    expect(s.statusFix ?? []).not.toContain('credentials');
    // The spot market of that type cools down: a second gpu task goes straight to on-demand, without a spot call.
    const spotCalls = w.ec2.calls.byAction['RunInstances'];
    addTasks(w.clearml, 'gpu', 1, 3600);
    await w.run(engine, 15);
    expect(w.live().filter((i) => i.instanceType === 'g4dn.xlarge' && i.market === 'on-demand')).toHaveLength(2);
    expect(w.ec2.calls.byAction['RunInstances']).toBe((spotCalls ?? 0) + 1);
  });
});
