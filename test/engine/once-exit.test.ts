// The exit code of `headless --once`, by what the tick found: a hold for another engine is a failure a script sees.
import { describe, expect, it } from 'vitest';
import { onceOutcome } from '../../electron/engine/cli/once-exit.js';
import { standbyLeadership } from '../fixtures/index.js';

const conflict = standbyLeadership({ role: 'conflict', mode: 'detection', decision: null });

describe('onceOutcome', () => {
  it.each([
    ['a clean tick, no team', [], null, { code: 0, reason: 'done' }],
    ['a clean tick, acting alone', [], standbyLeadership({ role: 'solo', acts: true }), { code: 0, reason: 'done' }],
    ['a standby the operator chose', [], standbyLeadership({ decision: 'standby' }), { code: 0, reason: 'done' }],
    ['held for another engine', [], conflict, { code: 1, reason: 'held-for-other-engine' }],
    ['errors and a hold: the errors', ['boom'], conflict, { code: 1, reason: 'errors', errors: 1 }],
    ['two errors', ['a', 'b'], null, { code: 1, reason: 'errors', errors: 2 }],
    ['no tick result at all', null, null, { code: 1, reason: 'errors', errors: 1 }],
  ] as const)('%s', (_, errors, leadership, expected) => {
    expect(onceOutcome(errors, leadership)).toEqual(expected);
  });
});
