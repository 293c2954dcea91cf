// launchWithFallback through the real provider and SDK against the emulator's capacity faults.
import { afterEach, describe, expect, it } from 'vitest';
import {
  CapacityCooldowns,
  capacityKeyOf,
  launchPlan,
  launchWithFallback,
  type LaunchAttempt,
  type LaunchRequest,
} from '../../electron/engine/ec2/launcher.js';
import type { Ec2Fault } from '../../electron/engine/testkit/ec2-faults.js';
import { launchSpec, startRig, type Rig } from './helpers.js';

const A = 'subnet-0aaaaaaa';
const B = 'subnet-0bbbbbbb';

let rig: Rig | null = null;
// Tokens are unique per rig like UUIDs: a token reused for another request is refused by EC2 (tested below).
let seq = 0;
afterEach(async () => {
  await rig?.close();
  rig = null;
  seq = 0;
});

function request(r: Rig, over: Partial<LaunchRequest> = {}): LaunchRequest & { journal: LaunchAttempt[] } {
  const { clientToken: _t, market: _m, subnetId: _s, availabilityZone: _z, ...base } = launchSpec();
  const journal: LaunchAttempt[] = [];
  return {
    base,
    market: 'spot',
    spotFallbackToOnDemand: true,
    subnetIds: [A, B],
    availabilityZones: [],
    cooldowns: new CapacityCooldowns(),
    now: r.clock.now(),
    newClientToken: () => `tok-${++seq}`,
    beforeAttempt: async (a) => {
      journal.push(a);
    },
    journal,
    ...over,
  };
}

const spotIce = (subnet?: string): Ec2Fault => ({
  action: 'RunInstances',
  code: 'InsufficientInstanceCapacity',
  when: (p) => p['InstanceMarketOptions.MarketType'] === 'spot' && (subnet === undefined || p['SubnetId'] === subnet),
});

describe('launchPlan', () => {
  it.each([
    [
      'subnets win over zones',
      { subnetIds: [A, B], availabilityZones: ['us-east-1a'] },
      [{ subnetId: A }, { subnetId: B }],
    ],
    [
      'zones when no subnet',
      { subnetIds: [], availabilityZones: ['us-east-1a', 'us-east-1b'] },
      [{ availabilityZone: 'us-east-1a' }, { availabilityZone: 'us-east-1b' }],
    ],
    ['no placement', { subnetIds: [], availabilityZones: [] }, [{}]],
  ])('%s', (_n, over, placements) => {
    expect(launchPlan({ market: 'on-demand', spotFallbackToOnDemand: true, ...over }).placements).toEqual(placements);
  });
  it.each([
    ['spot', true, ['spot', 'on-demand']],
    ['spot', false, ['spot']],
    ['on-demand', true, ['on-demand']],
  ] as const)('%s with fallback %s → %j', (market, fb, markets) => {
    expect(launchPlan({ market, spotFallbackToOnDemand: fb, subnetIds: [], availabilityZones: [] }).markets).toEqual(
      markets,
    );
  });
});

describe('launchWithFallback', () => {
  it('launches in the first placement when there is capacity', async () => {
    rig = await startRig();
    const req = request(rig);
    const out = await launchWithFallback(rig.ec2, req);
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.attempt).toEqual({ clientToken: 'tok-1', market: 'spot', subnetId: A });
    expect(rig.emu.instance(out.instanceId)).toMatchObject({ market: 'spot', subnetId: A, clientToken: 'tok-1' });
    expect(req.journal).toEqual([out.attempt]);
  });

  it('moves from subnet A to subnet B on spot capacity', async () => {
    rig = await startRig();
    rig.emu.faults.push(spotIce(A));
    const req = request(rig);
    const out = await launchWithFallback(rig.ec2, req);
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.attempts.map((a) => [a.attempt.subnetId, a.attempt.market, a.error?.code ?? null])).toEqual([
      [A, 'spot', 'InsufficientInstanceCapacity'],
      [B, 'spot', null],
    ]);
    expect(out.attempts[0]!.error!.message).toBe(
      `Spot capacity for g4dn.xlarge in ${A} is exhausted (InsufficientInstanceCapacity): trying the next subnet (${B})`,
    );
    expect(rig.emu.instance(out.instanceId)).toMatchObject({ market: 'spot', subnetId: B });
  });

  it('falls back to on-demand with a new client token after every spot placement failed', async () => {
    rig = await startRig();
    rig.emu.faults.push(spotIce());
    const req = request(rig);
    const out = await launchWithFallback(rig.ec2, req);
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(req.journal).toEqual([
      { clientToken: 'tok-1', market: 'spot', subnetId: A },
      { clientToken: 'tok-2', market: 'spot', subnetId: B },
      { clientToken: 'tok-3', market: 'on-demand', subnetId: A },
    ]);
    expect(out.attempt.clientToken).toBe('tok-3');
    expect(out.attempts[1]!.error!.message).toMatch(/trying on-demand instead$/);
    expect(rig.emu.instances()).toEqual([
      expect.objectContaining({ market: 'on-demand', subnetId: A, clientToken: 'tok-3' }),
    ]);
    expect(rig.emu.calls.byAction['RunInstances']).toBe(3);
  });

  it('skips cooling placements on the next launch, and tries them again after the cooldown', async () => {
    rig = await startRig();
    rig.emu.faults.push(spotIce());
    const cooldowns = new CapacityCooldowns({ cooldownMs: 10 * 60_000 });
    await launchWithFallback(rig.ec2, request(rig, { cooldowns }));
    expect(rig.emu.calls.byAction['RunInstances']).toBe(3);

    rig.clock.advance(60_000);
    const second = await launchWithFallback(rig.ec2, request(rig, { cooldowns, now: rig.clock.now() }));
    expect(second.ok).toBe(true);
    expect(second.skipped.map((s) => [s.market, s.placement])).toEqual([
      ['spot', A],
      ['spot', B],
    ]);
    expect(second.attempts.map((a) => [a.attempt.market, a.attempt.subnetId])).toEqual([['on-demand', A]]);
    expect(rig.emu.calls.byAction['RunInstances']).toBe(4);

    rig.clock.advance(10 * 60_000);
    rig.emu.faults.length = 0;
    const third = await launchWithFallback(rig.ec2, request(rig, { cooldowns, now: rig.clock.now() }));
    expect(third.ok && third.attempt).toMatchObject({ market: 'spot', subnetId: A });
    expect(third.skipped).toEqual([]);
  });

  it('stops at once on an auth error', async () => {
    rig = await startRig();
    rig.emu.faults.push({ action: 'RunInstances', code: 'UnauthorizedOperation' });
    const req = request(rig);
    const out = await launchWithFallback(rig.ec2, req);
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect([out.error.kind, out.error.code]).toEqual(['auth', 'UnauthorizedOperation']);
    expect(out.error.message).toMatch(/ec2:RunInstances/);
    expect(out.attempts).toEqual([
      { attempt: { clientToken: req.journal[0]!.clientToken, market: 'spot', subnetId: A }, error: out.error },
    ]);
    expect(rig.emu.calls.byAction['RunInstances']).toBe(1);
  });

  it.each([
    ['invalid configuration', 'InvalidAMIID.NotFound', 'invalid'],
    ['throttling', 'RequestLimitExceeded', 'throttle'],
  ])('stops at once on %s and reports it', async (_n, code, kind) => {
    rig = await startRig();
    rig.emu.faults.push({ action: 'RunInstances', code });
    const out = await launchWithFallback(rig.ec2, request(rig));
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect([out.error.kind, out.error.code]).toEqual([kind, code]);
    expect(rig.emu.calls.byAction['RunInstances']).toBe(1);
  });

  it('treats the spot quota as market-wide: no more spot subnets, straight to on-demand, and remembers it', async () => {
    rig = await startRig();
    rig.emu.faults.push({
      action: 'RunInstances',
      code: 'MaxSpotInstanceCountExceeded',
      when: (p) => p['InstanceMarketOptions.MarketType'] === 'spot',
    });
    const cooldowns = new CapacityCooldowns();
    const out = await launchWithFallback(rig.ec2, request(rig, { cooldowns }));
    expect(out.attempts.map((a) => [a.attempt.market, a.attempt.subnetId])).toEqual([
      ['spot', A],
      ['on-demand', A],
    ]);
    expect(out.attempts[0]!.error!.message).toMatch(/trying on-demand instead/);
    expect(out.ok).toBe(true);
    // Spot B is not tried, nor listed as skipped: the quota ended the market, not a cool-down.
    expect(out.skipped).toEqual([]);
    expect(cooldowns.isCooling({ instanceType: 'g4dn.xlarge', market: 'spot', placement: B }, rig.clock.now())).toBe(
      true,
    );
    expect(
      cooldowns.isCooling({ instanceType: 'g4dn.xlarge', market: 'on-demand', placement: B }, rig.clock.now()),
    ).toBe(false);
  });

  it('without fallback, reports exhausted spot capacity with what to do', async () => {
    rig = await startRig();
    rig.emu.faults.push(spotIce());
    const out = await launchWithFallback(rig.ec2, request(rig, { spotFallbackToOnDemand: false }));
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.error.kind).toBe('capacity');
    expect(out.error.message).toMatch(/exhausted .*add more subnets or zones, or allow the fallback to on-demand/);
    expect(rig.emu.calls.byAction['RunInstances']).toBe(2);
  });

  it('tries zones in order when no subnet is configured', async () => {
    rig = await startRig();
    rig.emu.faults.push({
      action: 'RunInstances',
      code: 'InsufficientInstanceCapacity',
      when: (p) => p['Placement.AvailabilityZone'] === 'us-east-1a',
    });
    const out = await launchWithFallback(
      rig.ec2,
      request(rig, { market: 'on-demand', subnetIds: [], availabilityZones: ['us-east-1a', 'us-east-1b'] }),
    );
    expect(out.ok && out.zone).toBe('us-east-1b');
    expect(out.attempts[0]!.error!.message).toMatch(
      /On-demand capacity .* in us-east-1a .*trying the next zone \(us-east-1b\)/,
    );
  });

  it('with no subnet or zone configured, the message names no placement', async () => {
    rig = await startRig();
    rig.emu.faults.push(spotIce());
    const out = await launchWithFallback(rig.ec2, request(rig, { subnetIds: [], availabilityZones: [] }));
    expect(out.ok && out.attempt.market).toBe('on-demand');
    expect(out.attempts[0]!.error!.message).toBe(
      'Spot capacity for g4dn.xlarge is exhausted (InsufficientInstanceCapacity): trying on-demand instead',
    );
  });

  it('says what was not tried when the rest was cooling, rather than what it would have tried next', async () => {
    rig = await startRig();
    rig.emu.faults.push(spotIce());
    const cooldowns = new CapacityCooldowns();
    // A launch running alongside found on-demand out of capacity in A moments ago.
    cooldowns.mark({ instanceType: 'g4dn.xlarge', market: 'on-demand', placement: A }, rig.clock.now());
    const out = await launchWithFallback(rig.ec2, request(rig, { cooldowns, subnetIds: [A] }));
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.attempts.map((a) => a.attempt.market)).toEqual(['spot']);
    expect(out.error.message).toBe(
      `Spot capacity for g4dn.xlarge in ${A} is exhausted (InsufficientInstanceCapacity): on-demand in ${A} not ` +
        'tried: out of capacity recently',
    );
  });

  it('a launch there leaves its placement uncooled, and a quota on the whole market in place', () => {
    const cooldowns = new CapacityCooldowns();
    const spotA = { instanceType: 'g4dn.xlarge', market: 'spot', placement: A } as const;
    const onDemandB = { instanceType: 'g4dn.xlarge', market: 'on-demand', placement: B } as const;
    cooldowns.mark(spotA, 0);
    cooldowns.mark({ ...onDemandB, placement: '*' }, 0);
    cooldowns.launched(capacityKeyOf('g4dn.xlarge', { clientToken: 't', market: 'spot', subnetId: A }));
    cooldowns.launched(capacityKeyOf('g4dn.xlarge', { clientToken: 't', market: 'on-demand', subnetId: B }));
    expect(cooldowns.isCooling(spotA, 1)).toBe(false);
    expect(cooldowns.isCooling(onDemandB, 1)).toBe(true);
  });

  it('says when the next try is if every placement is cooling, without calling EC2', async () => {
    rig = await startRig();
    const cooldowns = new CapacityCooldowns();
    const now = rig.clock.now();
    for (const market of ['spot', 'on-demand'] as const) {
      for (const placement of [A, B])
        cooldowns.mark({ instanceType: 'g4dn.xlarge', market, placement }, now - 3 * 60_000);
    }
    // One cooling since longer: the next try is when its cool-down ends, the soonest.
    cooldowns.mark({ instanceType: 'g4dn.xlarge', market: 'on-demand', placement: B }, now - 5 * 60_000);
    const out = await launchWithFallback(rig.ec2, request(rig, { cooldowns }));
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect([out.error.kind, out.error.code]).toEqual(['capacity', 'CapacityCooldown']);
    expect(out.error.message).toBe(
      'Every placement for g4dn.xlarge (spot, then on-demand) ran out of capacity recently: the next try is in 5 ' +
        'min. Add subnets or zones, or another instance type, to launch sooner.',
    );
    expect(out.skipped).toHaveLength(4);
    expect(rig.emu.calls.total).toBe(0);
  });

  it('sends nothing when the journal write fails', async () => {
    rig = await startRig();
    const req = request(rig, { beforeAttempt: () => Promise.reject(new Error('disk full')) });
    await expect(launchWithFallback(rig.ec2, req)).rejects.toThrow('disk full');
    expect(rig.emu.calls.total).toBe(0);
  });

  it('never reuses a token: reusing one across markets is exactly what EC2 refuses', async () => {
    rig = await startRig();
    rig.emu.faults.push({ ...spotIce(), count: 1 });
    const spec = launchSpec({ clientToken: 'same', market: 'spot' });
    await expect(rig.ec2.runInstance(spec)).rejects.toMatchObject({ kind: 'capacity' });
    await expect(rig.ec2.runInstance({ ...spec, market: 'on-demand' })).rejects.toMatchObject({
      code: 'IdempotentParameterMismatch',
    });
  });
});
