// The pure team-mode decisions: the leader lease step and detection without a table, table-driven.
import { describe, expect, it } from 'vitest';
import {
  detectionRole,
  formatStamp,
  otherEngines,
  parseStamp,
  type EngineStamp,
  type StoredDecision,
} from '../../../electron/engine/team/detection.js';
import {
  launchMargin,
  leaseValid,
  nextLeaseStep,
  type LeaseItem,
  type LeaseMemory,
} from '../../../electron/engine/team/lease-decision.js';
import { TAG } from '../../../electron/engine/ports.js';
import { ConfigSchema } from '../../../shared/config.js';
import { graceIssue, leadershipText, teamIssue, TeamSchema } from '../../../shared/team.js';
import { baseConfig, standbyLeadership } from '../../fixtures/index.js';
import { instance, T0 } from '../fixtures.js';

const timing = { leaseMs: 60_000, graceMs: 30_000 };
const other = (p: Partial<LeaseItem> = {}): LeaseItem => ({
  holderId: 'eng-other',
  holderHost: 'build-box',
  acquiredAt: T0 - 600_000,
  expiresAt: T0 + 30_000,
  rvn: 'v1',
  ...p,
});
const mem = (p: Partial<LeaseMemory> = {}): LeaseMemory => ({ held: null, seen: null, ...p });

describe('nextLeaseStep', () => {
  const cases: {
    name: string;
    now?: number;
    item: LeaseItem | null | undefined;
    memory: LeaseMemory;
    want: { kind: 'write' | 'wait'; condition?: unknown; reason: string; acquiredAt?: number };
  }[] = [
    {
      name: 'no item: acquire only if still absent',
      item: null,
      memory: mem(),
      want: { kind: 'write', condition: { kind: 'absent' }, reason: 'absent', acquiredAt: T0 },
    },
    {
      name: 'held, not read: renew on "still mine", keeping since-when',
      item: undefined,
      memory: mem({ held: { sentAt: T0 - 15_000, acquiredAt: T0 - 3600_000 } }),
      want: {
        kind: 'write',
        condition: { kind: 'held-by', holderId: 'eng-me' },
        reason: 'renew',
        acquiredAt: T0 - 3600_000,
      },
    },
    {
      name: 'our own item after a restart (same engine id): renew, keeping its since-when',
      item: other({ holderId: 'eng-me', acquiredAt: T0 - 7200_000 }),
      memory: mem(),
      want: {
        kind: 'write',
        condition: { kind: 'held-by', holderId: 'eng-me' },
        reason: 'mine-after-restart',
        acquiredAt: T0 - 7200_000,
      },
    },
    {
      name: "another engine's fresh lease, first sight: wait",
      item: other(),
      memory: mem(),
      want: { kind: 'wait', reason: 'held' },
    },
    {
      name: 'the same version seen for less than lease + grace: wait',
      item: other({ expiresAt: T0 + 60_000 }),
      memory: mem({ seen: { rvn: 'v1', since: T0 - 89_999 } }),
      want: { kind: 'wait', reason: 'held' },
    },
    {
      name: 'the same version seen for lease + grace: take over on that very version',
      item: other({ expiresAt: T0 + 60_000 }),
      memory: mem({ seen: { rvn: 'v1', since: T0 - 90_000 } }),
      want: { kind: 'write', condition: { kind: 'version', rvn: 'v1' }, reason: 'unchanged', acquiredAt: T0 },
    },
    {
      name: 'a new version (renewed) restarts the watch',
      item: other({ rvn: 'v2' }),
      memory: mem({ seen: { rvn: 'v1', since: T0 - 600_000 } }),
      want: { kind: 'wait', reason: 'held' },
    },
    {
      name: 'expired by more than the grace (the last leader stopped long ago): take over at once',
      item: other({ expiresAt: T0 - 30_001 }),
      memory: mem(),
      want: { kind: 'write', condition: { kind: 'version', rvn: 'v1' }, reason: 'expired', acquiredAt: T0 },
    },
    {
      name: 'expired within the grace (clocks may differ): wait',
      item: other({ expiresAt: T0 - 30_000 }),
      memory: mem(),
      want: { kind: 'wait', reason: 'held' },
    },
  ];
  it.each(cases)('$name', ({ item, memory, want, now }) => {
    const { step } = nextLeaseStep({ now: now ?? T0, me: 'eng-me', item, memory, timing });
    expect(step.kind).toBe(want.kind);
    expect(step.reason.code).toBe(want.reason);
    if (step.kind === 'write') {
      expect(step.condition).toEqual(want.condition);
      expect(step.acquiredAt).toBe(want.acquiredAt);
    }
  });

  it('remembers when it first saw a version and says when it would take over', () => {
    const first = nextLeaseStep({
      now: T0,
      me: 'eng-me',
      item: other({ expiresAt: T0 + 60_000 }),
      memory: mem(),
      timing,
    });
    expect(first.seen).toEqual({ rvn: 'v1', since: T0 });
    expect(first.step).toMatchObject({ kind: 'wait', reason: { holderId: 'eng-other', takeoverInMs: 90_000 } });
    const later = nextLeaseStep({
      now: T0 + 40_000,
      me: 'eng-me',
      item: other({ expiresAt: T0 + 60_000 }),
      memory: mem({ seen: first.seen }),
      timing,
    });
    expect(later.seen).toEqual({ rvn: 'v1', since: T0 });
    expect(later.step).toMatchObject({ kind: 'wait', reason: { takeoverInMs: 50_000 } });
  });

  it.each([
    // [name, lease expires (ms after now), first seen (ms before now), takes over in]
    ['the lease runs out first: at its expiry plus the grace', 10_000, 0, 40_000],
    ['a lease renewed far ahead: once its version stood still for lease + grace', 300_000, 30_000, 60_000],
    ['both past: now', -40_000, 100_000, 0],
  ] as [string, number, number, number][])('takes over %s', (_n, expiresIn, seenAgo, inMs) => {
    const step = nextLeaseStep({
      now: T0,
      me: 'eng-me',
      item: other({ expiresAt: T0 + expiresIn }),
      memory: mem({ seen: { rvn: 'v1', since: T0 - seenAgo } }),
      timing,
    }).step;
    if (inMs === 0) expect(step).toMatchObject({ kind: 'write', condition: { kind: 'version', rvn: 'v1' } });
    else expect(step).toMatchObject({ kind: 'wait', reason: { code: 'held', takeoverInMs: inMs } });
  });

  it('refuses to renew blind when it does not hold the lease', () => {
    expect(() => nextLeaseStep({ now: T0, me: 'eng-me', item: undefined, memory: mem(), timing })).toThrow(/read/);
  });
});

describe('leaseValid: a leader acts only while its last successful renewal certainly holds', () => {
  it.each([
    [null, T0, false],
    [{ sentAt: T0 - 59_999, acquiredAt: 0 }, T0, true],
    [{ sentAt: T0 - 60_000, acquiredAt: 0 }, T0, false],
    [{ sentAt: T0, acquiredAt: 0 }, T0, true],
  ] as const)('held %j at now → %s', (held, now, want) => {
    expect(leaseValid(held, now, 60_000)).toBe(want);
  });
});

describe('engine stamps', () => {
  it('round-trips id, time (to the second) and host', () => {
    const s = { engineId: 'eng-0123456789ab', host: 'laptop', at: T0 + 999 };
    expect(parseStamp(formatStamp(s))).toEqual({ ...s, at: T0 });
  });
  it.each([undefined, '', 'eng-x', 'eng-x notanumber host', 'eng-x -5 h'])('refuses %j', (v) => {
    expect(parseStamp(v)).toBeNull();
  });

  it('lists other engines that stamped a live instance recently, most recent first, one entry each', () => {
    const stamp = (engineId: string, agoSec: number, host = 'h') =>
      formatStamp({ engineId, host, at: T0 - agoSec * 1000 });
    const list = [
      instance('gpu', 'gpu_a', { tags: { [TAG.engine]: stamp('eng-me', 1) } }),
      instance('gpu', 'gpu_a', { tags: { [TAG.engine]: stamp('eng-a', 300, 'old') } }),
      instance('gpu', 'gpu_a', { tags: { [TAG.engine]: stamp('eng-a', 60, 'new') } }),
      instance('gpu', 'gpu_a', { tags: { [TAG.engine]: stamp('eng-b', 30) } }),
      instance('gpu', 'gpu_a', { tags: { [TAG.engine]: stamp('eng-stale', 1300) } }),
      instance('gpu', 'gpu_a', { state: 'terminated', tags: { [TAG.engine]: stamp('eng-dead', 5) } }),
      instance('gpu', 'gpu_a'),
    ];
    const seen = otherEngines({ now: T0, me: 'eng-me', instances: list, windowMs: 1200_000 });
    expect(seen.map((s) => [s.engineId, s.host])).toEqual([
      ['eng-b', 'h'],
      ['eng-a', 'new'],
    ]);
  });
});

describe('detectionRole', () => {
  const seen = (...ids: string[]): EngineStamp[] => ids.map((engineId) => ({ engineId, host: 'h', at: T0 }));
  const d = (decision: 'act' | 'standby', engines: string[] | null): StoredDecision => ({ decision, engines, at: T0 });
  const cases: {
    name: string;
    others: EngineStamp[];
    decision: StoredDecision | null;
    want: { role: string; acts: boolean; bind?: string[] | null; unacknowledged?: string[] };
  }[] = [
    { name: 'alone, no decision: acts', others: [], decision: null, want: { role: 'solo', acts: true, bind: null } },
    {
      name: 'another engine, no decision: holds',
      others: seen('eng-a'),
      decision: null,
      want: { role: 'conflict', acts: false, unacknowledged: ['eng-a'] },
    },
    {
      name: '"this engine acts" for that engine: acts',
      others: seen('eng-a'),
      decision: d('act', ['eng-a']),
      want: { role: 'solo', acts: true, bind: null },
    },
    {
      name: '"this engine acts" for another engine than the one seen now: holds again',
      others: seen('eng-a', 'eng-b'),
      decision: d('act', ['eng-a']),
      want: { role: 'conflict', acts: false, unacknowledged: ['eng-b'] },
    },
    {
      name: '"this engine acts" given before any engine was seen (CLI): binds to those seen',
      others: seen('eng-a'),
      decision: d('act', null),
      want: { role: 'solo', acts: true, bind: ['eng-a'] },
    },
    {
      name: '"stand by": observes even when no other engine is seen (until the user changes it)',
      others: [],
      decision: d('standby', ['eng-a']),
      want: { role: 'standby', acts: false },
    },
  ];
  it.each(cases)('$name', ({ others, decision, want }) => {
    expect(detectionRole(others, decision)).toMatchObject(want);
  });
});

describe('team config', () => {
  it('defaults: no table (detection only), a 60 s lease and a 30 s grace', () => {
    expect(baseConfig().team).toEqual({ leaseSec: 60, graceSec: 30 });
  });
  it('refuses a lease the polling interval does not fit twice into, naming both', () => {
    const team = TeamSchema.parse({ leaseTable: 'autoscaler-leases', leaseSec: 20 });
    expect(teamIssue(team, 15)).toMatch(/lease \(20 s\).*polling interval \(15 s\).*30/);
    expect(teamIssue(TeamSchema.parse({ leaseSec: 20 }), 15)).toBeNull();
    expect(TeamSchema.safeParse({ leaseTable: 'a b' }).success).toBe(false);
  });
  it('with a table, refuses a grace no longer than an EC2 call may take, on the grace field', () => {
    expect(graceIssue(TeamSchema.parse({ graceSec: 5 }))).toBeNull(); // no table: no takeover
    expect(graceIssue(TeamSchema.parse({ leaseTable: 'leases', graceSec: 21 }))).toBeNull();
    const r = ConfigSchema.safeParse({ ...baseConfig(), team: { leaseTable: 'leases', leaseSec: 10, graceSec: 20 } });
    expect(r.success).toBe(false);
    const issue = r.error?.issues.find((i) => i.path.join('.') === 'team.graceSec');
    expect(issue?.message).toMatch(/grace \(20 s\) must be longer than an EC2 call may take \(20 s\).*21 or more/);
  });
});

describe('launchMargin', () => {
  const held = { sentAt: T0, acquiredAt: T0 - 600_000 };
  it.each([
    { name: 'just renewed: a call is over long before a takeover', now: T0 + 1_000, held, hold: false },
    { name: 'the last moment a call is still over in time', now: T0 + 69_999, held, hold: false },
    { name: 'a call sent now could end after a standby may take over', now: T0 + 70_000, held, hold: true },
    { name: 'no lease held: nothing is sent', now: T0, held: null, hold: true },
  ])('$name', ({ now, held, hold }) => {
    const r = launchMargin(held, now, timing, 20_000);
    expect(r).toEqual(hold ? { code: 'lease-margin', takeoverAt: held ? T0 + 90_000 : now, callMs: 20_000 } : null);
  });
});

describe('leadershipText', () => {
  const base = standbyLeadership({ since: T0, expiresAt: T0 + 60_000 });
  const time = () => '14:02';
  it.each([
    [base, 'Standby: gpu-host (eng-host) leads since 14:02; this engine takes over if it stops renewing for 90 s.'],
    [
      { ...base, role: 'leader' as const, acts: true, leader: { engineId: 'eng-me', host: 'laptop' } },
      /^Leader: .* since 14:02/,
    ],
    [
      { ...base, role: 'conflict' as const, mode: 'detection' as const },
      /Another engine acts .*gpu-host.*until you decide/,
    ],
    [
      { ...base, role: 'unknown' as const, problem: 'AWS refused dynamodb:GetItem' },
      /could not be read \(AWS refused dynamodb:GetItem\)/,
    ],
    [{ ...base, leader: null }, /^No engine holds the lease now/],
  ])('%#', (view, want) => {
    expect(leadershipText(view, time)).toMatch(want);
  });
});
