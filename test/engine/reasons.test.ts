import { describe, expect, it } from 'vitest';
import type { Action, DecisionReason, TerminateReason } from '../../electron/engine/policy.js';
import {
  formatMinutes,
  renderAction,
  renderDecisionReason,
  renderTerminateReason,
  type LaunchHold,
} from '../../electron/engine/reasons.js';

const demand = { pending: 3, idle: 1, booting: 0 };

describe('reasons: the one renderer', () => {
  it.each<[DecisionReason, string]>([
    [
      { code: 'clearml-unreadable' },
      'holding: ClearML could not be read this tick, so nothing is launched or terminated',
    ],
    [
      { code: 'queue-missing', queue: 'gpu' },
      "queue 'gpu' does not exist on the ClearML server: create it there or fix the name",
    ],
    [{ code: 'no-pending' }, 'no pending tasks'],
    [{ code: 'covered', demand }, '3 pending, 1 idle, 0 booting: demand covered'],
    [
      { code: 'paused', demand, need: 2, scope: 'all' },
      '3 pending, 1 idle, 0 booting: would launch 2 but launches are paused',
    ],
    [
      { code: 'paused', demand, need: 2, scope: 'queue' },
      '3 pending, 1 idle, 0 booting: would launch 2 but launches are paused for this queue',
    ],
    // Held by the engine, not by the user's pause: the decision says so, and not "paused".
    [
      { code: 'paused', demand, need: 2, scope: 'credentials' },
      '3 pending, 1 idle, 0 booting: would launch 2 but launches are stopped: credentials were refused (the status says which and what to fix)',
    ],
    [
      { code: 'paused', demand, need: 2, scope: 'journal' },
      '3 pending, 1 idle, 0 booting: would launch 2 but launches wait until the launch journal in the data folder can be written (the status says why)',
    ],
    [
      {
        code: 'scale-up',
        demand,
        need: 2,
        launched: [
          { count: 1, instanceType: 'g4dn.xlarge' },
          { count: 1, instanceType: 'g5.xlarge' },
        ],
        notLaunched: 0,
        blockers: [],
      },
      'launched 1 × g4dn.xlarge + 1 × g5.xlarge: 3 pending, 1 idle, 0 booting',
    ],
    [
      {
        code: 'scale-up',
        demand,
        need: 2,
        launched: [],
        notLaunched: 2,
        blockers: [
          { code: 'cooling', resource: 'a', cause: 'capacity' },
          { code: 'resource-cap', resource: 'b', max: 2 },
          { code: 'global-cap', max: 20 },
          { code: 'budget', detail: 'monthly cap $10 exceeded by $0.40' },
        ],
      },
      '3 pending, 1 idle, 0 booting: need 2; 2 not launched: a has no capacity right now (cooling down); b is at its cap of 2; the global cap of 20 instances is reached; monthly cap $10 exceeded by $0.40',
    ],
    [
      {
        code: 'scale-up',
        demand,
        need: 2,
        launched: [],
        notLaunched: 2,
        blockers: [
          { code: 'cooling', resource: 'a', cause: 'config' },
          { code: 'cooling', resource: 'b', cause: 'spot-role' },
        ],
      },
      '3 pending, 1 idle, 0 booting: need 2; 2 not launched: EC2 refuses the settings of a (tried again later; the status says why); spot launches of b are refused: the account lacks the AWSServiceRoleForEC2Spot role',
    ],
  ])('%o', (reason, text) => {
    expect(renderDecisionReason(reason)).toBe(text);
  });

  const scaleUp: DecisionReason = {
    code: 'scale-up',
    demand,
    need: 3,
    launched: [{ count: 2, instanceType: 'g4dn.xlarge' }],
    notLaunched: 1,
    blockers: [{ code: 'global-cap', max: 2 }],
  };
  it.each<[LaunchHold, string]>([
    [
      null,
      'launched 2 × g4dn.xlarge: 3 pending, 1 idle, 0 booting; 1 not launched: the global cap of 2 instances is reached',
    ],
    [
      'off',
      'would launch 2 × g4dn.xlarge (autoscaling is off): 3 pending, 1 idle, 0 booting; 1 not launched: the global cap of 2 instances is reached',
    ],
    [
      'dry-run',
      'would launch 2 × g4dn.xlarge (dry run): 3 pending, 1 idle, 0 booting; 1 not launched: the global cap of 2 instances is reached',
    ],
    [
      'standby',
      'would launch 2 × g4dn.xlarge (another engine acts): 3 pending, 1 idle, 0 booting; 1 not launched: the global cap of 2 instances is reached',
    ],
  ])('a scale-up whose launches were held (%s) says it would launch, not that it launched', (held, text) => {
    expect(renderDecisionReason(scaleUp, held)).toBe(text);
  });

  it.each<LaunchHold>(['off', 'dry-run', 'standby'])(
    'a decision without launches reads the same when held (%s)',
    (held) => {
      const reasons: DecisionReason[] = [
        { code: 'no-pending' },
        { code: 'covered', demand },
        { code: 'paused', demand, need: 2, scope: 'all' },
        { ...scaleUp, launched: [], notLaunched: 3 },
      ];
      for (const r of reasons) expect(renderDecisionReason(r, held)).toBe(renderDecisionReason(r));
    },
  );

  it.each<[TerminateReason, string]>([
    [
      { code: 'idle', queue: 'cpu', idleSec: 960, maxIdleSec: 900 },
      "idle for 16 min (limit 15 min) and no pending task on 'cpu'",
    ],
    [
      { code: 'idle-surplus', queue: 'cpu', idleSec: 300, maxIdleSec: 900, expected: 1 },
      "idle for 5 min, no pending task on 'cpu' and more idle workers than recent demand needs (1 expected in the next 15 min)",
    ],
    [
      { code: 'idle-inherited', queue: 'gpu', idleSec: 130, surplusIdleSec: 120 },
      "idle for 2.2 min since the engine started, and for an unknown time before it, with no pending task on 'gpu': after a restart an idle worker is kept only 2 min",
    ],
    [
      { code: 'idle-unused', queue: 'cpu', idleSec: 300, keptIdleSec: 240 },
      "idle for 5 min with no pending task on 'cpu', twice as long as the task it was kept for was expected (limit 4 min): workers freeing up take the queue's tasks first",
    ],
    [
      { code: 'idle-unused', queue: 'cpu', idleSec: 590, keptIdleSec: 400, queueIdleWorkers: 3 },
      "3 or more idle workers on 'cpu' for 9.8 min with no pending task, twice as long as the task they were kept for was expected (limit 6.7 min): workers freeing up take the queue's tasks first",
    ],
    [
      { code: 'budget', detail: 'budget cap reached (x) in terminate-idle mode' },
      'budget cap reached (x) in terminate-idle mode',
    ],
    [
      { code: 'spin-up', spinUpMin: 30 },
      "no ClearML worker registered within the 30 min spin-up time: check the AMI, the init script and the instance's console log",
    ],
    [{ code: 'orphan', forSec: 120, note: null }, 'orphan for 2 min: unexplained'],
  ])('%o', (reason, text) => {
    expect(renderTerminateReason(reason)).toBe(text);
  });

  it.each<[Action, string]>([
    [
      {
        kind: 'launch',
        queue: 'gpu',
        resource: 'gpu_a',
        count: 2,
        reason: { code: 'demand', instanceType: 'g4dn.xlarge', demand },
      },
      "launch 2 × g4dn.xlarge (gpu_a) for 'gpu': 3 pending, 1 idle, 0 booting",
    ],
    [
      { kind: 'mark-orphan', instanceId: 'i-1', reason: { code: 'orphan-found', note: 'no queue tag' } },
      'mark i-1 as orphan: orphan: no queue tag',
    ],
    [
      { kind: 'unregister', workerId: 'w', reason: { code: 'worker-gone', instanceId: 'i-1' } },
      "unregister w: worker's instance i-1 is gone",
    ],
  ])('dry run: %o', (a, text) => {
    expect(renderAction(a)).toBe(text);
  });

  it.each([
    [89, '89 s'],
    [90, '1.5 min'],
    [5399, '90 min'],
    [5400, '1.5 h'],
  ])('formatMinutes(%d) = %s', (sec, text) => {
    expect(formatMinutes(sec)).toBe(text);
  });
});
