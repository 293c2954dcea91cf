// Why a launch for a spot resource ran on-demand, and what its launch event says of it.
import { describe, expect, it } from 'vitest';
import { CapacityCooldowns, type LaunchOutcome } from '../../electron/engine/ec2/launcher.js';
import { whyOnDemand, type OnDemandReason } from '../../electron/engine/ec2/why-on-demand.js';
import { ev, onDemandText } from '../../electron/engine/events.js';
import { Ec2Error } from '../../electron/engine/ports.js';
import { T0 } from '../fixtures/index.js';

const MIN = 60_000;
type Launched = Extract<LaunchOutcome, { ok: true }>;
const spotIn = (subnetId: string) => ({ clientToken: `t-${subnetId}`, market: 'spot' as const, subnetId });
const onDemandIn = (subnetId: string) => ({ clientToken: `od-${subnetId}`, market: 'on-demand' as const, subnetId });
const short = (code = 'InsufficientInstanceCapacity') => new Ec2Error('capacity', code, 'no capacity');

function launched(over: Partial<Launched> = {}): Launched {
  return {
    ok: true,
    instanceId: 'i-1',
    zone: 'us-east-1a',
    attempt: onDemandIn('subnet-a'),
    attempts: [
      { attempt: spotIn('subnet-a'), error: short() },
      { attempt: spotIn('subnet-b'), error: short() },
      { attempt: onDemandIn('subnet-a'), error: null },
    ],
    skipped: [],
    ...over,
  };
}

/** Cool-downs where subnet-a's spot capacity ran out `agoMin` minutes ago and subnet-b's `bAgoMin` ago. */
function cooling(agoMin: number, bAgoMin = agoMin): CapacityCooldowns {
  const c = new CapacityCooldowns({ cooldownMs: 10 * MIN });
  c.mark({ instanceType: 'g4dn.xlarge', market: 'spot', placement: 'subnet-a' }, T0 - agoMin * MIN);
  c.mark({ instanceType: 'g4dn.xlarge', market: 'spot', placement: 'subnet-b' }, T0 - bAgoMin * MIN);
  return c;
}

describe('whyOnDemand', () => {
  it.each<[string, 'spot' | 'on-demand', Launched, boolean, CapacityCooldowns, OnDemandReason | null]>([
    ['an on-demand resource', 'on-demand', launched(), false, cooling(0), null],
    [
      'a spot launch that found spot',
      'spot',
      launched({ attempt: spotIn('subnet-a'), attempts: [{ attempt: spotIn('subnet-a'), error: null }] }),
      false,
      cooling(0),
      null,
    ],
    [
      'the replacement of a task a spot interruption lost',
      'spot',
      launched({ attempts: [] }),
      true,
      cooling(0),
      { code: 'spot-lost' },
    ],
    [
      'spot out of capacity in every subnet now: back when the first cool-down ends',
      'spot',
      launched(),
      false,
      cooling(0, 0),
      { code: 'spot-short', kind: 'capacity', spotAgainAt: T0 + 10 * MIN },
    ],
    [
      'spot skipped in both subnets for shortages 4 and 7 min ago: back when the older one ends',
      'spot',
      launched({
        attempts: [{ attempt: onDemandIn('subnet-a'), error: null }],
        skipped: [
          { market: 'spot', placement: 'subnet-a', until: T0 + 6 * MIN, kind: 'capacity' },
          { market: 'spot', placement: 'subnet-b', until: T0 + 3 * MIN, kind: 'capacity' },
        ],
      }),
      false,
      cooling(4, 7),
      { code: 'spot-short', kind: 'capacity', spotAgainAt: T0 + 3 * MIN },
    ],
    [
      'spot refused for the missing Spot role',
      'spot',
      launched({
        attempts: [
          {
            attempt: spotIn('subnet-a'),
            error: new Ec2Error('spot-role', 'AuthFailure.ServiceLinkedRoleCreationNotPermitted', 'no role'),
          },
          { attempt: onDemandIn('subnet-a'), error: null },
        ],
      }),
      false,
      cooling(0),
      { code: 'spot-short', kind: 'spot-role', spotAgainAt: T0 + 10 * MIN },
    ],
  ])('%s', (_what, market, outcome, viaCredit, cooldowns, expected) => {
    expect(whyOnDemand(market, 'g4dn.xlarge', outcome, viaCredit, cooldowns, T0)).toEqual(expected);
  });
});

describe('the launch event says which launches are on-demand, why, and when spot comes back', () => {
  const event = (onDemand: Parameters<typeof onDemandText>[0], ids = ['i-1', 'i-2']) =>
    ev.launched({
      queue: 'gpu',
      resource: 'gpu_a',
      instanceType: 'g4dn.xlarge',
      ids,
      why: '2 pending',
      onDemand,
      now: T0,
    }).message;
  it.each<[string, Parameters<typeof onDemandText>[0], string]>([
    ['all on spot: nothing added', [], "launched 2 × g4dn.xlarge on 'gpu' (i-1, i-2): 2 pending"],
    [
      'all on-demand for a shortage',
      [
        { instanceId: 'i-1', why: { code: 'spot-short', kind: 'capacity', spotAgainAt: T0 + 10 * MIN } },
        { instanceId: 'i-2', why: { code: 'spot-short', kind: 'capacity', spotAgainAt: T0 + 10 * MIN } },
      ],
      "launched 2 × g4dn.xlarge on 'gpu' (i-1, i-2): 2 pending; on-demand, not spot: no spot capacity in any configured placement; spot is tried again in 10 min",
    ],
    [
      'one replacing a lost task, the other on spot',
      [{ instanceId: 'i-2', why: { code: 'spot-lost' } }],
      "launched 2 × g4dn.xlarge on 'gpu' (i-1, i-2): 2 pending; i-2 on-demand, not spot: replacing a task lost to a spot interruption (later launches are spot again)",
    ],
    [
      'the Spot role missing, spot tryable again already',
      [
        { instanceId: 'i-1', why: { code: 'spot-short', kind: 'spot-role', spotAgainAt: T0 } },
        { instanceId: 'i-2', why: { code: 'spot-short', kind: 'spot-role', spotAgainAt: T0 } },
      ],
      "launched 2 × g4dn.xlarge on 'gpu' (i-1, i-2): 2 pending; on-demand, not spot: spot launches are refused (the account lacks the AWSServiceRoleForEC2Spot role); spot is tried again at the next launch",
    ],
  ])('%s', (_what, onDemand, message) => {
    expect(event(onDemand)).toBe(message);
  });
});
