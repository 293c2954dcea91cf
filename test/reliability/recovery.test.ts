// Crash-safe launches: the real engine against the emulators, killed at each step of a launch, restarted with fresh
// memory and the same journal. Listing is eventually consistent (listingDelaySec > 0) in every kill scenario, so
// "not listed" never proves "not launched"; the control cases show the same kills without the journal DO launch twice.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../shared/config.js';
import type { LaunchIntent } from '../../electron/engine/engine.js';
import { Ec2Error, TAG, type ClearmlApi, type Ec2Api, type InstanceObs } from '../../electron/engine/ports.js';
import { memoryTeamState } from '../../electron/engine/team/identity.js';
import {
  encodeIntent,
  JOURNAL_FILE,
  parseJournal,
  type JournalIntent,
} from '../../electron/engine/reliability/intent-journal.js';
import {
  createCrashSafety,
  decideRecovery,
  isDefiniteRefusal,
  planPosition,
  rebuildSpec,
  type RecoveryFacts,
  type RecoveryVerdict,
} from '../../electron/engine/reliability/recovery.js';
import { Killed, makeConfig, startRig, T0, userDataFor, type Rig } from './rig.js';
import { REGIONS_FILE } from '../../electron/engine/reliability/regions.js';

let rig: Rig | null = null;
afterEach(async () => {
  await rig?.close();
  rig = null;
});

const ofTask = (r: Rig, queue = 'gpu', durationSec = 120) => r.clearml.addTask({ name: 't', queue, durationSec });

/** The rig of most scenarios: queue 'gpu' with one task waiting. */
async function gpuTaskRig(opts: Parameters<typeof startRig>[0] = {}): Promise<Rig> {
  const r = await startRig(opts);
  r.clearml.createQueue('gpu');
  ofTask(r);
  return r;
}

/** A new process: crash safety on the rig's journal folder, fresh clients and engine, recovery run. */
async function restart(r: Rig, config: Config, extra: Partial<Parameters<typeof createCrashSafety>[0]> = {}) {
  const crash = safety(r, extra);
  const clients = r.clients(config);
  const engine = r.engine(config, clients, crash.engineExtras);
  await crash.recover(engine, clients, config);
  return { crash, clients, engine };
}

/** A process's crash safety on the rig's journal folder, with the real user data. */
const safety = (r: Rig, extra: Partial<Parameters<typeof createCrashSafety>[0]> = {}) =>
  createCrashSafety({ dir: r.dir, clock: r.clock, userData: userDataFor, ...extra });

async function journalText(dir: string): Promise<string> {
  return readFile(path.join(dir, JOURNAL_FILE), 'utf8');
}

/** A process that dies at a chosen point: once dead, every hook and client call throws and nothing is sent. */
function mortal(clients: { clearml: ClearmlApi; ec2: Ec2Api }) {
  const state = { dead: false };
  const check = () => {
    if (state.dead) throw new Killed('(process already dead)');
  };
  const die = (where: string): never => {
    state.dead = true;
    throw new Killed(where);
  };
  const ec2: Ec2Api = {
    describeInstances: async (p) => (check(), clients.ec2.describeInstances(p)),
    findByClientToken: async (t) => (check(), clients.ec2.findByClientToken(t)),
    runInstance: async (spec) => (check(), clients.ec2.runInstance(spec)),
    terminateInstances: async (ids) => (check(), clients.ec2.terminateInstances(ids)),
    createTags: async (ids, tags) => (check(), clients.ec2.createTags(ids, tags)),
    spotPrices: async (types) => (check(), clients.ec2.spotPrices(types)),
    consoleOutput: async (id) => (check(), clients.ec2.consoleOutput(id)),
  };
  return { state, check, die, clients: { clearml: clients.clearml, ec2 } };
}

// ---------------------------------------------------------------- pure parts

describe('decideRecovery', () => {
  const now = T0;
  const intent = (agoMin: number, patch: Partial<JournalIntent> = {}): JournalIntent => ({
    token: 'tok',
    queue: 'gpu',
    resource: 'gpu_a',
    market: 'spot',
    at: now - agoMin * 60_000,
    region: 'us-east-1',
    session: 's',
    ...patch,
  });
  const inst = { instanceId: 'i-0123456789abcdef0', state: 'running' } as InstanceObs;
  const base = (patch: Partial<RecoveryFacts>): RecoveryFacts => ({
    now,
    intent: intent(1),
    found: null,
    superseded: false,
    region: 'us-east-1',
    resendWithinMs: 5 * 60_000,
    resendBlocked: null,
    ...patch,
  });
  const cases: { name: string; facts: RecoveryFacts; want: RecoveryVerdict['action']; seed?: boolean }[] = [
    { name: 'found → adopt', facts: base({ found: inst }), want: 'adopt' },
    { name: 'found, old → still adopt', facts: base({ found: inst, intent: intent(90) }), want: 'adopt' },
    { name: 'recent, not found → re-send', facts: base({}), want: 'resend' },
    { name: 'old, not found → abandon', facts: base({ intent: intent(6) }), want: 'abandon' },
    {
      name: 'recent, superseded by a later attempt → wait, counted as booting',
      facts: base({ superseded: true }),
      want: 'wait',
      seed: true,
    },
    { name: 'old and superseded → abandon', facts: base({ superseded: true, intent: intent(30) }), want: 'abandon' },
    {
      name: 'recent, re-send blocked (caps, pause, dry run, no user data) → wait, counted',
      facts: base({ resendBlocked: 'dry run is on' }),
      want: 'wait',
      seed: true,
    },
    { name: 'recent, EC2 unreadable → wait, counted', facts: base({ found: 'unknown' }), want: 'wait', seed: true },
    {
      name: 'old, EC2 unreadable → wait, not counted (it would be listed)',
      facts: base({ found: 'unknown', intent: intent(60) }),
      want: 'wait',
      seed: false,
    },
    {
      name: 'another region, recent → wait, not counted here',
      facts: base({ intent: intent(1, { region: 'eu-west-1' }) }),
      want: 'wait',
      seed: false,
    },
    {
      name: 'another region, old → abandon (Stop everything covers it)',
      facts: base({ intent: intent(60, { region: 'eu-west-1' }) }),
      want: 'abandon',
    },
    { name: 'clock went backwards → recent', facts: base({ intent: intent(-3) }), want: 'resend' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const v = decideRecovery(c.facts);
      expect(v.action).toBe(c.want);
      if (c.seed !== undefined && v.action === 'wait') expect(v.seed).toBe(c.seed);
    });
  }
});

describe("planPosition: an attempt's place in its launch's fallback order", () => {
  const config = makeConfig();
  const cases: [Parameters<typeof planPosition>[1], number | null][] = [
    [{ resource: 'gpu_a', market: 'spot', subnetId: 'subnet-0000aaaa' }, 0],
    [{ resource: 'gpu_a', market: 'spot', subnetId: 'subnet-0000bbbb' }, 1],
    [{ resource: 'gpu_a', market: 'on-demand', subnetId: 'subnet-0000aaaa' }, 2],
    [{ resource: 'gpu_a', market: 'on-demand', subnetId: 'subnet-0000bbbb' }, 3],
    [{ resource: 'gpu_a', market: 'spot', subnetId: 'subnet-0000cccc' }, null],
    [{ resource: 'cpu', market: 'on-demand' }, 0],
    [{ resource: 'gone', market: 'on-demand' }, null],
  ];
  for (const [i, want] of cases)
    it(`${i.resource} ${i.market} ${i.subnetId ?? ''} → ${want}`, () => expect(planPosition(config, i)).toBe(want));
});

describe('isDefiniteRefusal: after which codes EC2 certainly launched nothing', () => {
  const cases: [string, boolean][] = [
    ['InsufficientInstanceCapacity', true],
    ['MaxSpotInstanceCountExceeded', true],
    ['RequestLimitExceeded', true],
    ['UnauthorizedOperation', true],
    ['InvalidAMIID.NotFound', true],
    ['IdempotentParameterMismatch', true],
    ['InternalError', false],
    ['TimeoutError', false],
    ['ECONNRESET', false],
    ['HTTP500', false],
    ['EmptyResponse', false],
  ];
  for (const [code, want] of cases) it(`${code} → ${want}`, () => expect(isDefiniteRefusal(code)).toBe(want));
});

// ---------------------------------------------------------------- against the emulators

describe('crash-safe launches against the emulators', () => {
  it('rebuildSpec re-creates the exact request the engine sent (EC2 answers the same instance, not a mismatch)', async () => {
    rig = await gpuTaskRig();
    const config = makeConfig();
    const crash = createCrashSafety({ dir: rig.dir, clock: rig.clock });
    const clients = rig.clients(config);
    const engine = rig.engine(config, clients, crash.engineExtras);
    await crash.recover(engine, clients, config);
    const r = await engine.tick();
    expect(r.launched).toHaveLength(1);
    const [entry] = parseJournal(await journalText(rig.dir)).entries;
    expect(entry?.resolution).toMatchObject({ outcome: 'launched', instanceId: r.launched[0] });

    const again = rebuildSpec(config, entry!.intent, userDataFor(config, entry!.intent));
    if (!again.ok) throw new Error(again.reason);
    await expect(clients.ec2.runInstance(again.spec)).resolves.toMatchObject({ instanceId: r.launched[0] });
    expect(rig.ec2.instances()).toHaveLength(1);

    // The emulator does compare parameters: one tag different and the same token is refused.
    const other = rebuildSpec(
      makeConfig({ lease: { leaseMin: 45 } }),
      entry!.intent,
      userDataFor(config, entry!.intent),
    );
    if (!other.ok) throw new Error(other.reason);
    await expect(clients.ec2.runInstance(other.spec)).rejects.toMatchObject({ code: 'IdempotentParameterMismatch' });
    await crash.close();
  });

  it('rebuildSpec repeats the engine stamp a launch carried, so the re-send is the same request', async () => {
    rig = await gpuTaskRig();
    const config = makeConfig();
    const crash = createCrashSafety({ dir: rig.dir, clock: rig.clock });
    const clients = rig.clients(config);
    const team = { team: memoryTeamState({ engineId: 'eng-stamp', host: 'laptop' }) };
    const engine = rig.engine(config, clients, { ...crash.engineExtras, team });
    await crash.recover(engine, clients, config);
    const r = await engine.tick();
    expect(r.launched).toHaveLength(1);
    const [entry] = parseJournal(await journalText(rig.dir)).entries;
    const stamp = rig.ec2.instances()[0]!.tags[TAG.engine];
    expect(stamp).toMatch(/^eng-stamp /);
    expect(entry!.intent.stamp).toBe(stamp);

    const again = rebuildSpec(config, entry!.intent, userDataFor(config, entry!.intent));
    if (!again.ok) throw new Error(again.reason);
    await expect(clients.ec2.runInstance(again.spec)).resolves.toMatchObject({ instanceId: r.launched[0] });
    // Without it, the request differs and EC2 says so.
    const { stamp: _dropped, ...unstamped } = entry!.intent;
    const bare = rebuildSpec(config, unstamped, userDataFor(config, entry!.intent));
    if (!bare.ok) throw new Error(bare.reason);
    await expect(clients.ec2.runInstance(bare.spec)).rejects.toMatchObject({ code: 'IdempotentParameterMismatch' });
    expect(rig.ec2.instances()).toHaveLength(1);
    await crash.close();
  });

  it('killed between the intent and RunInstances: recovery sends it once, the new engine does not launch again', async () => {
    rig = await gpuTaskRig({ listingDelaySec: 30 });
    const config = makeConfig();
    const crash1 = safety(rig);
    const p1 = mortal(rig.clients(config));
    const engine1 = rig.engine(config, p1.clients, {
      beforeLaunchAttempt: async (i: LaunchIntent) => {
        await crash1.engineExtras.beforeLaunchAttempt(i);
        p1.die('after the intent, before RunInstances');
      },
    });
    await crash1.recover(engine1, p1.clients, config);
    await expect(engine1.tick()).rejects.toThrow(Killed);
    expect(rig.ec2.calls.byAction.RunInstances ?? 0).toBe(0);
    expect(parseJournal(await journalText(rig.dir)).entries.map((e) => e.resolution)).toEqual([null]);

    rig.clock.advance(15_000);
    const { crash: crash2, engine: engine2 } = await restart(rig, config);
    expect(crash2.lastRecovery).toMatchObject({ checked: 1, resent: [{}], waiting: [] });
    expect(rig.ec2.instances()).toHaveLength(1);

    await rig.run(engine2, 10 * 60);
    expect(rig.ec2.instances()).toHaveLength(1);
    expect(rig.clearml.tasks().every((t) => t.status === 'completed')).toBe(true);
    expect(parseJournal(await journalText(rig.dir)).entries.filter((e) => !e.resolution)).toEqual([]);
    await crash1.close();
    await crash2.close();
  });

  for (const withJournal of [true, false]) {
    it(`killed between RunInstances and its response, instance unlisted for 60 s: ${withJournal ? 'one instance' : 'WITHOUT the journal, two (control)'}`, async () => {
      rig = await gpuTaskRig({ listingDelaySec: 60 });
      const config = makeConfig();
      const crash1 = safety(rig);
      const p1 = mortal(rig.clients(config));
      const ec2: Ec2Api = {
        ...p1.clients.ec2,
        runInstance: async (spec) => {
          await p1.clients.ec2.runInstance(spec); // EC2 created it…
          return p1.die('before the RunInstances response arrived'); // …the engine never hears of it
        },
      };
      const engine1 = rig.engine(
        config,
        { ...p1.clients, ec2 },
        {
          beforeLaunchAttempt: (i) => (p1.check(), crash1.engineExtras.beforeLaunchAttempt(i)),
          afterLaunch: async (i, r) => (p1.check(), crash1.engineExtras.afterLaunch(i, r)),
        },
      );
      if (withJournal) await crash1.recover(engine1, p1.clients, config);
      await engine1.tick().catch(() => undefined);
      expect(p1.state.dead).toBe(true);
      expect(rig.ec2.instances()).toHaveLength(1);

      rig.clock.advance(15_000);
      const c2 = rig.clients(config);
      const crash2 = safety(rig);
      const engine2 = rig.engine(config, c2, withJournal ? crash2.engineExtras : {});
      if (withJournal) {
        await crash2.recover(engine2, c2, config);
        // Not listed, not found by its token yet: re-sent with the same token, EC2 answers the same instance.
        expect(crash2.lastRecovery?.resent.map((r) => r.instanceId)).toEqual([rig.ec2.instances()[0]!.instanceId]);
      }
      await rig.run(engine2, 10 * 60);
      expect(rig.ec2.instances()).toHaveLength(withJournal ? 1 : 2);
      await crash1.close();
      await crash2.close();
    });
  }

  for (const withJournal of [true, false]) {
    it(`killed between ticks right after a launch, instance unlisted for 60 s: ${withJournal ? 'counted, not launched again' : 'WITHOUT the journal, launched again (control)'}`, async () => {
      rig = await gpuTaskRig({ listingDelaySec: 60 });
      const config = makeConfig();
      const { crash: crash1, engine: engine1 } = await restart(rig, config);
      expect((await engine1.tick()).launched).toHaveLength(1);
      await crash1.close(); // the process ends here, its in-flight memory with it

      rig.clock.advance(20_000);
      const crash2 = safety(rig);
      const c2 = rig.clients(config);
      const engine2 = rig.engine(config, c2, crash2.engineExtras);
      if (withJournal) {
        await crash2.recover(engine2, c2, config);
        expect(crash2.lastRecovery?.seeded).toMatchObject([
          { queue: 'gpu', instanceId: rig.ec2.instances()[0]!.instanceId },
        ]);
      }
      await rig.run(engine2, 5 * 60);
      expect(rig.ec2.instances()).toHaveLength(withJournal ? 1 : 2);
      await crash2.close();
    });
  }

  // A restart (crash or not) after an instance launched in the last minutes has already ended: the listing leaves
  // terminated instances out, and one counted as booting held its queue's tasks for the rest of the 10 minutes.
  for (const lookup of ['by id', 'by client token'] as const) {
    it(`restarted after a recent launch ended (looked up ${lookup}): it is not booting, the waiting task gets a launch`, async () => {
      rig = await gpuTaskRig();
      const config = makeConfig();
      const { crash: crash1, engine: engine1 } = await restart(rig, config);
      expect((await engine1.tick()).launched).toHaveLength(1);
      await crash1.close();
      const [first] = rig.ec2.instances();
      rig.ec2.interruptSpot(first!.instanceId);
      rig.clock.advance(60_000);
      rig.ec2.step();
      expect(rig.ec2.instances().map((i) => i.state)).toEqual(['terminated']);

      const crash2 = safety(rig);
      const c2 = rig.clients(config);
      // Without the lookup by id (a provider that cannot make it), each recent launch is asked for by its token.
      const tokenOnly: Ec2Api = { ...c2.ec2 };
      delete tokenOnly.describeInstancesById;
      const ec2: Ec2Api = lookup === 'by id' ? c2.ec2 : tokenOnly;
      const clients = { clearml: c2.clearml, ec2 };
      const engine2 = rig.engine(config, clients, crash2.engineExtras);
      await crash2.recover(engine2, clients, config);
      expect(crash2.lastRecovery?.seeded).toEqual([]);
      expect((await engine2.tick()).launched).toHaveLength(1);
      await crash2.close();
    });
  }

  it('killed after a capacity fallback: the failed first attempt is not re-sent, the one that launched is found', async () => {
    rig = await gpuTaskRig({ listingDelaySec: 30 });
    const config = makeConfig();
    // Subnet A has no spot capacity once; the launcher moves to subnet B with a new token.
    rig.ec2.faults.push({
      action: 'RunInstances',
      code: 'InsufficientInstanceCapacity',
      count: 1,
      when: (p) => p['SubnetId'] === 'subnet-0000aaaa',
    });
    const crash1 = safety(rig);
    const p1 = mortal(rig.clients(config));
    const engine1 = rig.engine(config, p1.clients, {
      beforeLaunchAttempt: (i) => (p1.check(), crash1.engineExtras.beforeLaunchAttempt(i)),
      afterLaunch: async () => p1.die('after the launch, before its outcome was written'),
    });
    await crash1.recover(engine1, p1.clients, config);
    await engine1.tick().catch(() => undefined);
    expect(rig.ec2.instances().map((i) => i.subnetId)).toEqual(['subnet-0000bbbb']);
    const open = parseJournal(await journalText(rig.dir)).entries;
    expect(open.map((e) => [e.intent.subnetId, e.resolution])).toEqual([
      ['subnet-0000aaaa', null],
      ['subnet-0000bbbb', null],
    ]);

    rig.clock.advance(15_000);
    const { crash: crash2, engine: engine2 } = await restart(rig, config);
    // Subnet A has capacity again: re-sending its token would launch a second instance for one launch.
    expect(crash2.lastRecovery?.waiting.map((w) => w.token)).toEqual([open[0]!.intent.token]);
    expect(crash2.lastRecovery?.resent.map((r) => r.token)).toEqual([open[1]!.intent.token]);
    await rig.run(engine2, 12 * 60);
    expect(rig.ec2.instances()).toHaveLength(1);
    await crash1.close();
    await crash2.close();
  });

  it('parallel first attempts of one batch do not make each other ambiguous: each is re-sent once', async () => {
    rig = await gpuTaskRig({ listingDelaySec: 60 });
    const config = makeConfig();
    ofTask(rig);
    const crash1 = safety(rig);
    const p1 = mortal(rig.clients(config));
    let responses = 0;
    const ec2: Ec2Api = {
      ...p1.clients.ec2,
      runInstance: async (spec) => {
        const r = await p1.clients.ec2.runInstance(spec);
        // The first launch's response arrives; the process dies before the second one's does.
        if (++responses === 2) p1.die('before the second RunInstances response');
        p1.check();
        return r;
      },
    };
    const engine1 = rig.engine(
      config,
      { ...p1.clients, ec2 },
      {
        launchConcurrency: 2,
        beforeLaunchAttempt: (i) => (p1.check(), crash1.engineExtras.beforeLaunchAttempt(i)),
        afterLaunch: async (i, r) => (p1.check(), crash1.engineExtras.afterLaunch(i, r)),
      },
    );
    await crash1.recover(engine1, p1.clients, config);
    await engine1.tick().catch(() => undefined);
    expect(rig.ec2.instances()).toHaveLength(2);

    const { crash: crash2, engine: engine2 } = await restart(rig, config);
    expect(crash2.lastRecovery?.waiting).toEqual([]);
    expect(new Set(crash2.lastRecovery?.resent.map((r) => r.instanceId))).toEqual(
      new Set(rig.ec2.instances().map((i) => i.instanceId)),
    );
    await rig.run(engine2, 10 * 60);
    expect(rig.ec2.instances()).toHaveLength(2);
    await crash1.close();
    await crash2.close();
  });

  it('an intent older than the re-send window that EC2 does not know is abandoned, nothing is sent', async () => {
    rig = await startRig();
    const config = makeConfig();
    rig.clearml.createQueue('gpu');
    const old: JournalIntent = {
      token: 'old-token-1',
      queue: 'gpu',
      resource: 'gpu_a',
      market: 'spot',
      subnetId: 'subnet-0000aaaa',
      at: T0 - 20 * 60_000,
      region: 'us-east-1',
      session: 'earlier-process',
    };
    await writeFile(path.join(rig.dir, JOURNAL_FILE), encodeIntent(old));
    const { crash: crash } = await restart(rig, config);
    expect(crash.lastRecovery).toMatchObject({ checked: 1, abandoned: [{ token: 'old-token-1' }], resent: [] });
    expect(rig.ec2.calls.byAction.RunInstances ?? 0).toBe(0);
    // Settled and compacted away.
    expect(parseJournal(await journalText(rig.dir)).entries).toEqual([]);
    await crash.close();
  });

  it('EC2 unreadable during recovery: the open launch counts as booting (no second launch) until it could be listed', async () => {
    rig = await gpuTaskRig({ listingDelaySec: 20 });
    const config = makeConfig();
    const crash1 = safety(rig);
    const p1 = mortal(rig.clients(config));
    const engine1 = rig.engine(config, p1.clients, {
      beforeLaunchAttempt: async (i) => {
        await crash1.engineExtras.beforeLaunchAttempt(i);
        p1.die('after the intent');
      },
    });
    await crash1.recover(engine1, p1.clients, config);
    await engine1.tick().catch(() => undefined);

    rig.ec2.faults.push({ code: 'RequestLimitExceeded', count: 1_000 });
    const { crash: crash2, engine: engine2 } = await restart(rig, config, { retryBaseMs: 10 });
    expect(crash2.lastRecovery?.waiting).toHaveLength(1);
    expect(crash2.lastRecovery?.seeded).toEqual([{ queue: 'gpu', resource: 'gpu_a', instanceId: null, at: T0 }]);
    rig.ec2.faults.length = 0;

    const first = await engine2.tick();
    expect(first.launched).toEqual([]); // the demand is covered by the launch whose outcome is unknown
    // Once the intent is past the in-flight memory, the engine launches for the task.
    await rig.run(engine2, 11 * 60);
    expect(rig.ec2.instances()).toHaveLength(1);
    await crash1.close();
    await crash2.close();
  });

  it('a 5xx on every try of a launch is ambiguous: the live engine counts it as booting instead of launching again', async () => {
    rig = await gpuTaskRig();
    const config = makeConfig();
    const { crash: crash, engine: engine } = await restart(rig, config);
    rig.ec2.faults.push({ action: 'RunInstances', code: 'InternalError', status: 500, count: 2 });
    const r1 = await engine.tick();
    expect(r1.launched).toEqual([]);
    rig.clock.advance(15_000);
    const r2 = await engine.tick();
    expect(r2.launched).toEqual([]);
    expect(rig.ec2.calls.byAction.RunInstances).toBe(2); // the SDK's one same-token retry, nothing since
    expect(parseJournal(await journalText(rig.dir)).entries.map((e) => e.resolution)).toEqual([null]);

    // A restart now re-sends that request with its token: the one instance the launch wanted.
    const { crash: crash2, engine: engine2 } = await restart(rig, config);
    expect(crash2.lastRecovery?.resent).toHaveLength(1);
    await rig.run(engine2, 5 * 60);
    expect(rig.ec2.instances()).toHaveLength(1);
    await crash.close();
    await crash2.close();
  });

  it('within one process, a failed intermediate attempt is settled at once with its refusal; a reconfigure re-sends nothing', async () => {
    rig = await startRig();
    const config = makeConfig();
    rig.clearml.createQueue('gpu');
    rig.clearml.createQueue('cpu');
    ofTask(rig);
    rig.ec2.faults.push({
      action: 'RunInstances',
      code: 'InsufficientInstanceCapacity',
      count: 1,
      when: (p) => p['SubnetId'] === 'subnet-0000aaaa',
    });
    const { crash: crash, clients: c, engine: engine } = await restart(rig, config);
    await engine.tick();
    let entries = parseJournal(await journalText(rig.dir)).entries;
    expect(entries.map((e) => e.resolution?.code ?? e.resolution?.outcome ?? null)).toEqual([
      'InsufficientInstanceCapacity',
      'launched',
    ]);

    ofTask(rig, 'cpu');
    rig.clock.advance(15_000);
    await engine.tick();
    entries = parseJournal(await journalText(rig.dir)).entries;
    expect(entries.map((e) => e.resolution?.code ?? e.resolution?.outcome ?? null)).toEqual([
      'InsufficientInstanceCapacity',
      'launched',
      'launched',
    ]);

    // A reconfigure (new engine, same process) finds nothing to re-send.
    const engine2 = rig.engine(config, c, crash.engineExtras);
    await crash.recover(engine2, c, config);
    expect(crash.lastRecovery).toMatchObject({ checked: 0 });
    expect(rig.ec2.instances()).toHaveLength(2);
    await crash.close();
  });

  it('a launch refused in every placement, then a quick restart: no ghost launch counted as booting', async () => {
    rig = await startRig();
    const config = makeConfig();
    rig.clearml.createQueue('gpu');
    ofTask(rig);
    // Every placement refuses: the launcher tries subnet A, moves on to B (and on-demand), and gives up.
    rig.ec2.faults.push({ action: 'RunInstances', code: 'InsufficientInstanceCapacity' });
    const first = await restart(rig, config);
    await first.engine.tick();
    expect(rig.ec2.instances()).toHaveLength(0);
    const entries = parseJournal(await journalText(rig.dir)).entries;
    expect(entries.length).toBeGreaterThan(1);
    expect(entries.map((e) => e.resolution?.outcome ?? null)).toEqual(entries.map(() => 'failed'));
    rig.ec2.faults.length = 0;

    // Restarted a minute later: nothing is open, so nothing is counted as booting and the task is launched for.
    rig.clock.advance(60_000);
    const second = await restart(rig, config);
    expect(second.crash.lastRecovery).toMatchObject({ checked: 0, seeded: [], waiting: [] });
    await second.engine.tick();
    expect(rig.ec2.instances()).toHaveLength(1);
    await first.crash.close();
    await second.crash.close();
  });

  it('remembers the region and the workers prefix before the first launch there, across restarts', async () => {
    rig = await gpuTaskRig();
    const config = makeConfig();
    const crash = createCrashSafety({ dir: rig.dir, clock: rig.clock });
    expect(await crash.regions()).toEqual([]);
    const c = rig.clients(config);
    const engine = rig.engine(config, c, crash.engineExtras);
    await crash.recover(engine, c, config);
    await engine.tick();
    expect(await crash.regions()).toEqual(['us-east-1']);
    expect(await crash.prefixes()).toEqual([config.scaling.workersPrefix]);
    await crash.close();
    const later = createCrashSafety({ dir: rig.dir, clock: rig.clock });
    expect(await later.regions()).toEqual(['us-east-1']);
    expect(await later.prefixes()).toEqual([config.scaling.workersPrefix]);
    await later.close();
  });

  it('says once, in the recovery report, that the remembered regions could not be read', async () => {
    rig = await gpuTaskRig();
    await writeFile(path.join(rig.dir, REGIONS_FILE), '{"v":1,"regions":["us-east-1","eu-we');
    const config = makeConfig();
    const crash = createCrashSafety({ dir: rig.dir, clock: rig.clock });
    const c = rig.clients(config);
    await crash.recover(rig.engine(config, c, crash.engineExtras), c, config);
    expect(crash.lastRecovery?.warnings).toEqual([
      expect.stringMatching(
        /regions\.json \(the regions .* was not valid JSON; it was kept as regions\.json\.corrupt, and the 1 region and 0 workers prefixes legible in it are remembered \(us-east-1\)/,
      ),
    ]);
    // The next config's recovery (a settings save) does not say it again.
    await crash.recover(rig.engine(config, c, crash.engineExtras), c, config);
    expect(crash.lastRecovery?.warnings).toEqual([]);
    await crash.close();
  });

  it('a journal that cannot be written stops the launch before RunInstances, with a message that says what to do', async () => {
    rig = await gpuTaskRig();
    const config = makeConfig();
    // The journal's path is a directory: every append fails.
    const blocked = path.join(rig.dir, 'blocked');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(path.join(blocked, JOURNAL_FILE), { recursive: true });
    const crash = createCrashSafety({ dir: blocked, clock: rig.clock });
    const c = rig.clients(config);
    const engine = rig.engine(config, c, crash.engineExtras);
    await expect(crash.recover(engine, c, config)).rejects.toThrow();
    await expect(engine.tick()).rejects.toThrow(/launch journal .* could not be written.*disk space/);
    expect(rig.ec2.calls.byAction.RunInstances ?? 0).toBe(0);
  });

  it('an Ec2Error during the listing is not fatal; other errors (bugs, a dying process) are not swallowed', async () => {
    rig = await startRig();
    const config = makeConfig();
    await writeFile(
      path.join(rig.dir, JOURNAL_FILE),
      encodeIntent({
        token: 'tok-x',
        queue: 'gpu',
        resource: 'gpu_a',
        market: 'spot',
        at: T0,
        region: 'us-east-1',
        session: 'x',
      }),
    );
    const c = rig.clients(config);
    const broken: Ec2Api = {
      ...c.ec2,
      describeInstances: async () => {
        throw new Ec2Error('throttle', 'RequestLimitExceeded', 'slow down');
      },
      findByClientToken: async () => {
        throw new TypeError('a bug');
      },
    };
    const crash = createCrashSafety({ dir: rig.dir, clock: rig.clock, retryBaseMs: 1 });
    const engine = rig.engine(config, c);
    await expect(crash.recover(engine, { ...c, ec2: broken }, config)).rejects.toThrow('a bug');
    await crash.close();
  });
});
