// classifyEc2Error: every way a call fails → a kind the engine acts on and a message the user can act on.
import { describe, expect, it } from 'vitest';
import {
  mayHaveActed,
  capacityScope,
  classifyEc2Error,
  describeCapacity,
  isTransientServerError,
  type Ec2ErrorContext,
} from '../../electron/engine/ec2/errors.js';
import { Ec2Error, type Ec2ErrorKind } from '../../electron/engine/ports.js';
import { launchSpec, startRig } from './helpers.js';

/** What the SDK throws for an EC2 error response. */
function sdkError(code: string, status: number, message = `${code} message`): Error {
  return Object.assign(new Error(message), {
    name: code,
    Code: code,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
  });
}
function netError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code });
}

describe('mayHaveActed: EC2 may have carried out a request that failed so', () => {
  it.each([
    ['throttle', 'ServiceUnavailable', undefined, true],
    ['throttle', 'Unavailable', undefined, true],
    ['other', 'InternalError', undefined, true],
    ['other', 'TimeoutError', undefined, true],
    ['unreachable', 'ECONNRESET', 'ECONNRESET', true],
    ['throttle', 'RequestLimitExceeded', undefined, false],
    ['throttle', 'Throttling', undefined, false],
    ['capacity', 'InsufficientInstanceCapacity', undefined, false],
    ['invalid', 'InvalidAMIID.NotFound', undefined, false],
    ['auth', 'UnauthorizedOperation', undefined, false],
    ['unreachable', 'ECONNREFUSED', 'ECONNREFUSED', false],
    ['unreachable', 'ENOTFOUND', 'ENOTFOUND', false],
  ] as [Ec2ErrorKind, string, string | undefined, boolean][])('%s %s (%s) → %s', (kind, code, net, want) => {
    expect(mayHaveActed(new Ec2Error(kind, code, 'm', net))).toBe(want);
  });
});

describe('classifyEc2Error', () => {
  /** An EC2 error code the SDK reports as itself: its HTTP status and the kind it must map to. */
  const byCode: [string, number, Ec2ErrorKind][] = [
    ['InsufficientInstanceCapacity', 500, 'capacity'],
    ['InsufficientHostCapacity', 500, 'capacity'],
    ['InsufficientReservedInstanceCapacity', 500, 'capacity'],
    ['SpotMaxPriceTooLow', 400, 'capacity'],
    ['MaxSpotInstanceCountExceeded', 400, 'capacity'],
    ['VcpuLimitExceeded', 400, 'capacity'],
    ['InstanceLimitExceeded', 400, 'capacity'],
    ['InsufficientFreeAddressesInSubnet', 400, 'capacity'],
    ['RequestLimitExceeded', 503, 'throttle'],
    ['Throttling', 400, 'throttle'],
    ['ThrottlingException', 400, 'throttle'],
    ['RequestThrottled', 400, 'throttle'],
    ['SlowDown', 503, 'throttle'],
    ['AuthFailure', 401, 'auth'],
    ['UnauthorizedOperation', 403, 'auth'],
    ['InvalidClientTokenId', 403, 'auth'],
    ['SignatureDoesNotMatch', 403, 'auth'],
    ['ExpiredToken', 400, 'auth'],
    ['OptInRequired', 401, 'auth'],
    ['Blocked', 403, 'auth'],
    ['InvalidParameterValue', 400, 'invalid'],
    ['InvalidAMIID.NotFound', 400, 'invalid'],
    ['InvalidAMIID.Malformed', 400, 'invalid'],
    ['InvalidSubnetID.NotFound', 400, 'invalid'],
    ['InvalidGroup.NotFound', 400, 'invalid'],
    ['InvalidKeyPair.NotFound', 400, 'invalid'],
    ['InvalidParameterCombination', 400, 'invalid'],
    ['InternalError', 500, 'other'],
    ['IdempotentParameterMismatch', 400, 'other'],
  ];
  const table: [string, unknown, Ec2ErrorKind, string][] = [
    ...byCode.map(([code, status, kind]): [string, unknown, Ec2ErrorKind, string] => [
      code,
      sdkError(code, status),
      kind,
      code,
    ]),
    [
      'type not offered in the zone',
      sdkError(
        'Unsupported',
        400,
        'Your requested instance type (g5.xlarge) is not supported in your requested Availability Zone (us-east-1e).',
      ),
      'capacity',
      'Unsupported',
    ],
    [
      'other Unsupported',
      sdkError('Unsupported', 400, 'The requested configuration is currently not supported.'),
      'invalid',
      'Unsupported',
    ],
    [
      'bare 503',
      Object.assign(new Error('Service Unavailable'), { $metadata: { httpStatusCode: 503 } }),
      'throttle',
      'HTTP503',
    ],
    [
      'spot service-linked role',
      sdkError('AuthFailure.ServiceLinkedRoleCreationNotPermitted', 403),
      'spot-role',
      'AuthFailure.ServiceLinkedRoleCreationNotPermitted',
    ],
    [
      'no credentials at all',
      Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }),
      'auth',
      'CredentialsProviderError',
    ],
    ['ECONNREFUSED', netError('ECONNREFUSED'), 'unreachable', 'ECONNREFUSED'],
    ['ENOTFOUND', netError('ENOTFOUND'), 'unreachable', 'ENOTFOUND'],
    [
      'wrapped in AggregateError',
      new AggregateError([netError('ECONNREFUSED')], 'all failed'),
      'unreachable',
      'ECONNREFUSED',
    ],
    ['in the cause chain', new Error('fetch failed', { cause: netError('ETIMEDOUT') }), 'unreachable', 'ETIMEDOUT'],
    ['SDK timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' }), 'unreachable', 'TimeoutError'],
    ['a string', 'boom', 'other', 'Unknown'],
  ];
  it.each(table)('%s', (_name, err, kind, code) => {
    const e = classifyEc2Error(err);
    expect(e).toBeInstanceOf(Ec2Error);
    expect([e.kind, e.code]).toEqual([kind, code]);
    expect(e.message.length).toBeGreaterThan(20);
  });

  it('passes an Ec2Error through untouched', () => {
    const e = new Ec2Error('capacity', 'X', 'y');
    expect(classifyEc2Error(e)).toBe(e);
  });

  it('says what happens next for capacity, in the words of the placement and market', () => {
    const e = classifyEc2Error(sdkError('InsufficientInstanceCapacity', 500), {
      instanceType: 'g4dn.xlarge',
      market: 'spot',
      placement: 'us-east-1b',
      next: 'trying the next subnet',
    });
    expect(e.message).toBe(
      'Spot capacity for g4dn.xlarge in us-east-1b is exhausted (InsufficientInstanceCapacity): trying the next subnet',
    );
    const quota = classifyEc2Error(sdkError('VcpuLimitExceeded', 400), { instanceType: 'g5.xlarge' });
    expect(quota.message).toMatch(/quota.*Service Quotas/);
  });

  it('a missing Spot service-linked role names the role and how to create it, not the keys or the clock', () => {
    const e = classifyEc2Error(sdkError('AuthFailure.ServiceLinkedRoleCreationNotPermitted', 403), {
      action: 'RunInstances',
      instanceType: 'g4dn.xlarge',
      market: 'spot',
      next: 'trying on-demand instead',
    });
    expect(e.message).toBe(
      'Spot launches need the service-linked role AWSServiceRoleForEC2Spot, which this account does not have and ' +
        'these credentials may not create (AuthFailure.ServiceLinkedRoleCreationNotPermitted): trying on-demand ' +
        'instead. Create it once with `aws iam create-service-linked-role --aws-service-name spot.amazonaws.com`, or ' +
        'allow iam:CreateServiceLinkedRole.',
    );
  });

  it('names the refused action, and never quotes AWS text for credential errors', () => {
    const denied = classifyEc2Error(
      sdkError('UnauthorizedOperation', 403, 'You are not authorized. Encoded authorization failure message: QUJD'),
      {
        action: 'TerminateInstances',
      },
    );
    expect(denied.message).toMatch(/not allowed to call ec2:TerminateInstances/);
    expect(denied.message).not.toContain('QUJD');
    const sig = classifyEc2Error(
      sdkError('SignatureDoesNotMatch', 403, 'canonical string with secret wJalrXUtnFEMI/K7MDENG'),
    );
    expect(sig.message).not.toContain('wJalrXUtnFEMI');
    expect(sig.message).toMatch(/check the access key/);
  });

  it('scopes quotas to the whole market and shortages to the placement', () => {
    expect(capacityScope('MaxSpotInstanceCountExceeded')).toBe('market');
    expect(capacityScope('AuthFailure.ServiceLinkedRoleCreationNotPermitted')).toBe('market');
    expect(capacityScope('VcpuLimitExceeded')).toBe('market');
    expect(capacityScope('InsufficientInstanceCapacity')).toBe('placement');
    expect(capacityScope('InsufficientFreeAddressesInSubnet')).toBe('placement');
  });

  it('calls only server faults and dropped connections transient (safe to repeat with the same token)', () => {
    expect(isTransientServerError(sdkError('InternalError', 500))).toBe(true);
    expect(isTransientServerError(netError('ECONNRESET'))).toBe(true);
    expect(isTransientServerError(sdkError('InsufficientInstanceCapacity', 500))).toBe(false);
    expect(isTransientServerError(sdkError('RequestLimitExceeded', 503))).toBe(false);
    expect(isTransientServerError(netError('ECONNREFUSED'))).toBe(false);
    expect(isTransientServerError(sdkError('InvalidParameterValue', 400))).toBe(false);
  });
});

describe('through the real SDK and the emulator', () => {
  const cases: [string, Ec2ErrorKind, number][] = [
    // code, kind, HTTP attempts for one call (maxAttempts 2: only InternalError is retried)
    ['InsufficientInstanceCapacity', 'capacity', 1],
    ['RequestLimitExceeded', 'throttle', 1],
    ['UnauthorizedOperation', 'auth', 1],
    ['AuthFailure', 'auth', 1],
    ['InvalidAMIID.NotFound', 'invalid', 1],
    ['InternalError', 'other', 2],
  ];
  it.each(cases)('%s → %s after %i attempt(s)', async (code, kind, attempts) => {
    const rig = await startRig();
    try {
      rig.emu.faults.push({ action: 'RunInstances', code });
      const err = await rig.ec2.runInstance(launchSpec()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Ec2Error);
      expect([(err as Ec2Error).kind, (err as Ec2Error).code]).toEqual([kind, code]);
      expect(rig.emu.calls.byAction['RunInstances']).toBe(attempts);
      expect(rig.ec2.calls).toBe(attempts);
    } finally {
      await rig.close();
    }
  });

  it('a transient InternalError followed by success launches once, with one token', async () => {
    const rig = await startRig();
    try {
      rig.emu.faults.push({ action: 'RunInstances', code: 'InternalError', count: 1 });
      const { instanceId } = await rig.ec2.runInstance(launchSpec({ clientToken: 'retry-me' }));
      expect(rig.emu.calls.byAction['RunInstances']).toBe(2);
      expect(rig.emu.instances().map((i) => [i.instanceId, i.clientToken])).toEqual([[instanceId, 'retry-me']]);
    } finally {
      await rig.close();
    }
  });
});

describe('capacity messages are worded from what was tried', () => {
  const spotNext: Ec2ErrorContext = { instanceType: 'g4dn.xlarge', market: 'spot', next: 'trying on-demand instead' };
  /** Spot was the last market tried: its resource does not fall back. */
  const spotLast: Ec2ErrorContext = { instanceType: 'g4dn.xlarge', market: 'spot' };
  /** On-demand was tried and failed (an on-demand resource, or the fallback's own leg). */
  const onDemand: Ec2ErrorContext = { instanceType: 'g4dn.xlarge', market: 'on-demand' };
  const FALLBACK = /allow the fallback to on-demand/;
  const cases: [string, string, Ec2ErrorContext, RegExp | null, RegExp | null][] = [
    // [what, code, context, must match, must not match]
    ['ICE on-demand', 'InsufficientInstanceCapacity', onDemand, /or another instance type$/, FALLBACK],
    ['ICE spot, falling back', 'InsufficientInstanceCapacity', spotNext, /: trying on-demand instead$/, FALLBACK],
    ['ICE spot, no fallback', 'InsufficientInstanceCapacity', spotLast, /or allow the fallback to on-demand/, null],
    ['price, falling back', 'SpotMaxPriceTooLow', spotNext, /above the on-demand price.*: trying on-demand/, FALLBACK],
    ['price, no fallback', 'SpotMaxPriceTooLow', spotLast, /On-demand costs less there now: allow the fallback/, null],
    ['spot quota, falling back', 'MaxSpotInstanceCountExceeded', spotNext, /Service Quotas\.$/, FALLBACK],
    [
      'spot quota, no fallback',
      'MaxSpotInstanceCountExceeded',
      spotLast,
      /Service Quotas, or allow the fallback/,
      null,
    ],
    ['vCPU quota on-demand', 'VcpuLimitExceeded', onDemand, /on-demand vCPU quota.*L-DB2E81BA/, FALLBACK],
    [
      'vCPU quota spot, falling back',
      'VcpuLimitExceeded',
      spotNext,
      /spot vCPU quota.*Spot Instance Requests/,
      FALLBACK,
    ],
    ['no market known', 'InsufficientInstanceCapacity', {}, /: add more subnets or zones$/, FALLBACK],
  ];
  it.each(cases)('%s', (_, code, ctx, want, not) => {
    const text = describeCapacity(code, ctx);
    if (want) expect(text).toMatch(want);
    if (not) expect(text).not.toMatch(not);
    expect(text).not.toMatch(/\.[;:]|\.\./);
  });
});
