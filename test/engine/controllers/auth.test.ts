import { describe, expect, it } from 'vitest';
import {
  AUTH_STREAK_MS,
  AuthGate,
  authBlockText,
  authRetryDelayMs,
  launchGate,
  reopens,
  type AuthBlock,
  type AuthPass,
} from '../../../electron/engine/controllers/auth.js';
import { classifyEc2Error } from '../../../electron/engine/ec2/errors.js';
import { ClearmlError } from '../../../electron/engine/ports.js';

const MIN = 60_000;
const block = (p: Partial<AuthBlock> = {}): AuthBlock => ({
  service: 'aws',
  code: 'UnauthorizedOperation',
  message: 'The AWS identity is not allowed to call ec2:RunInstances.',
  action: 'RunInstances',
  since: 0,
  refusals: 1,
  retryAt: MIN,
  ...p,
});

describe('auth gate decisions', () => {
  it.each([
    [1, 1],
    [2, 2],
    [3, 5],
    [4, 10],
    [5, 10],
    [40, 10],
  ])('the back-off after %i refusals in a row is %i min', (refusals, min) => {
    expect(authRetryDelayMs(refusals)).toBe(min * MIN);
  });

  it.each<[string, AuthBlock | null, number, ReturnType<typeof launchGate>]>([
    ['no refusal', null, 0, { code: 'open' }],
    ['refused, back-off running', block({ retryAt: MIN }), MIN - 1, { code: 'blocked', retryAt: MIN, refusals: 1 }],
    ['refused, back-off over', block({ retryAt: MIN }), MIN, { code: 'retry', refusals: 1 }],
    ['refused 3 times, long over', block({ retryAt: MIN, refusals: 3 }), 9 * MIN, { code: 'retry', refusals: 3 }],
  ])('%s → %o', (_, b, now, want) => {
    expect(launchGate(b, now)).toEqual(want);
  });

  const passes: AuthPass[] = ['ec2-read', 'launch', 'terminate', 'aws-test', 'clearml-test'];
  it.each<[string, AuthBlock, AuthPass[]]>([
    ['a refused permission on RunInstances', block(), ['launch', 'aws-test']],
    [
      'a refused permission on TerminateInstances',
      block({ action: 'TerminateInstances' }),
      ['launch', 'terminate', 'aws-test'],
    ],
    [
      'an expired session, first refusal',
      block({ code: 'ExpiredToken' }),
      ['ec2-read', 'launch', 'terminate', 'aws-test'],
    ],
    [
      'a request expired (clock), first refusal',
      block({ code: 'RequestExpired' }),
      ['ec2-read', 'launch', 'terminate', 'aws-test'],
    ],
    [
      'a signature refused, first refusal',
      block({ code: 'SignatureDoesNotMatch' }),
      ['ec2-read', 'launch', 'terminate', 'aws-test'],
    ],
    [
      'a signature refused again soon after',
      block({ code: 'SignatureDoesNotMatch', refusals: 2 }),
      ['launch', 'aws-test'],
    ],
    ['bad keys', block({ code: 'AuthFailure', action: null }), ['launch', 'aws-test']],
    ['ClearML keys', block({ service: 'clearml', code: 'auth', action: null }), ['clearml-test']],
  ])('%s is proved over by %o', (_, b, want) => {
    expect(passes.filter((p) => reopens(b, p))).toEqual(want);
  });
});

describe('AuthGate', () => {
  const refused = (code: string) => classifyEc2Error({ name: code, message: 'x' }, { action: 'RunInstances' });

  it('counts refusals in a row across a reopening, and starts again after a quiet spell or a passed test', () => {
    const g = new AuthGate();
    g.note(refused('SignatureDoesNotMatch'), 0, 'RunInstances');
    expect(g.current).toMatchObject({ refusals: 1, retryAt: MIN });
    expect(g.passed('ec2-read')).toMatchObject({ code: 'SignatureDoesNotMatch' });
    expect(g.current).toBeNull();
    // Back within the streak: the back-off goes on, and a listing no longer reopens it.
    g.note(refused('SignatureDoesNotMatch'), 30_000, 'RunInstances');
    expect(g.current).toMatchObject({ refusals: 2, retryAt: 30_000 + 2 * MIN });
    expect(g.passed('ec2-read')).toBeNull();
    expect(g.passed('launch')).not.toBeNull();
    g.note(refused('UnauthorizedOperation'), 30_000 + AUTH_STREAK_MS, 'RunInstances');
    expect(g.current).toMatchObject({ refusals: 1 });
    g.note(refused('UnauthorizedOperation'), 31_000 + AUTH_STREAK_MS, 'RunInstances');
    expect(g.passed('aws-test')).not.toBeNull();
    g.note(refused('UnauthorizedOperation'), 32_000 + AUTH_STREAK_MS, 'RunInstances');
    expect(g.current).toMatchObject({ refusals: 1 });
  });

  it('refusals of one tick (a batch of launches side by side, a termination) count as one', () => {
    const g = new AuthGate();
    for (let i = 0; i < 3; i++) g.note(refused('UnauthorizedOperation'), 0, 'RunInstances');
    g.note(refused('UnauthorizedOperation'), 0, 'TerminateInstances');
    expect(g.current).toMatchObject({ refusals: 1, retryAt: MIN });
    g.note(refused('UnauthorizedOperation'), MIN, 'RunInstances');
    g.note(refused('UnauthorizedOperation'), MIN, 'RunInstances');
    expect(g.current).toMatchObject({ refusals: 2, retryAt: 3 * MIN });
  });

  it('a try that failed for another reason is tried again after the same back-off', () => {
    const g = new AuthGate();
    g.note(refused('UnauthorizedOperation'), 0, 'RunInstances');
    g.note(refused('UnauthorizedOperation'), MIN, 'RunInstances');
    g.retryLater(3 * MIN);
    expect(g.current).toMatchObject({ refusals: 2, retryAt: 5 * MIN, since: 0 });
  });

  it('ignores errors that are not refusals of credentials', () => {
    const g = new AuthGate();
    g.note(classifyEc2Error({ name: 'InsufficientInstanceCapacity', message: 'x' }), 0);
    g.note(new ClearmlError('unreachable', 'down'), 0);
    expect(g.current).toBeNull();
  });

  it.each<[string, AuthBlock, number, RegExp]>([
    ['waiting', block({ retryAt: 3 * MIN }), 30_000, /Launches are stopped: one is tried again in 3 min;/],
    ['due', block({ retryAt: MIN }), MIN, /Launches are stopped: one is tried again now;/],
    ['refused again', block({ refusals: 3, retryAt: 5 * MIN }), 0, /in 5 min \(refused 3 times in a row\);/],
  ])('the status says when it tries next: %s', (_, b, now, want) => {
    const text = authBlockText(b, now);
    expect(text).toMatch(want);
    expect(text).toMatch(/Test connection passes\.$/);
  });

  it.each<[string, AuthBlock['action'], boolean]>([
    ['a refused termination', 'TerminateInstances', true],
    ['a refused launch', 'RunInstances', false],
    ['a refused listing', null, false],
  ])('the status says terminations go on being tried after %s only', (_, action, said) => {
    const text = authBlockText(block({ action, retryAt: 3 * MIN }), 0);
    expect(
      text.includes('Terminations are tried again at every poll; until one goes through, the instances bill on.'),
    ).toBe(said);
  });
});
