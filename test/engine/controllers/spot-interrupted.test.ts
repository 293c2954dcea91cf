import { describe, expect, it } from 'vitest';
import { newInterruptions, SpotInterruptions } from '../../../electron/engine/controllers/spot-interrupted.js';
import type { InstanceObs } from '../../../electron/engine/ports.js';
import { instance, T0 } from '../fixtures.js';

const HOUR = 3_600_000;
const taken = (queue: string, resource: string, patch: Partial<InstanceObs> = {}): InstanceObs => ({
  ...instance(queue, resource, { market: 'spot' }),
  state: 'shutting-down',
  stateReasonCode: 'Server.SpotInstanceTermination',
  launchedAt: T0 - 10 * 60_000,
  ...patch,
});

describe('newInterruptions: the spot interruptions to tell, per queue', () => {
  const a = taken('gpu', 'gpu_a');
  const b = taken('gpu', 'gpu_a', { launchedAt: T0 - 2 * HOUR });
  const c = taken('cpu', 'cpu');
  const user = taken('gpu', 'gpu_a', { stateReasonCode: 'Client.UserInitiatedShutdown' });
  const running = { ...instance('gpu', 'gpu_a', { market: 'spot' }) };
  // Ended an hour and a half after its launch, as EC2's transition time says, though seen only now.
  const late = taken('cpu', 'cpu', { launchedAt: T0 - 2 * HOUR, stateChangedAt: T0 - HOUR / 2 });
  const early = taken('cpu', 'cpu', { launchedAt: T0 - 2 * HOUR, stateChangedAt: T0 - 1.5 * HOUR });
  const rows: [string, InstanceObs[], string[], { queue: string; instanceIds: string[]; freeIds: string[] }[]][] = [
    ['none taken back', [running, user], [], []],
    ['one in its first hour: free', [a], [], [{ queue: 'gpu', instanceIds: [a.instanceId], freeIds: [a.instanceId] }]],
    ['one after its first hour: charged', [b], [], [{ queue: 'gpu', instanceIds: [b.instanceId], freeIds: [] }]],
    [
      'two queues: one group each, queues in order',
      [a, c, b],
      [],
      [
        { queue: 'cpu', instanceIds: [c.instanceId], freeIds: [c.instanceId] },
        { queue: 'gpu', instanceIds: [a.instanceId, b.instanceId].sort(), freeIds: [a.instanceId] },
      ],
    ],
    [
      'told already (or by a requeue line)',
      [a, b],
      [a.instanceId],
      [{ queue: 'gpu', instanceIds: [b.instanceId], freeIds: [] }],
    ],
    [
      'seen twice in one tick (listing and lookup): once',
      [a, a],
      [],
      [{ queue: 'gpu', instanceIds: [a.instanceId], freeIds: [a.instanceId] }],
    ],
    [
      'ended past its first hour by EC2’s transition time',
      [late],
      [],
      [{ queue: 'cpu', instanceIds: [late.instanceId], freeIds: [] }],
    ],
    [
      'ended within it by EC2’s transition time',
      [early],
      [],
      [{ queue: 'cpu', instanceIds: [early.instanceId], freeIds: [early.instanceId] }],
    ],
  ];
  it.each(rows)('%s', (_, seen, told, want) => {
    expect(newInterruptions(seen, new Set(told), T0)).toEqual(want);
  });
});

describe('SpotInterruptions: each told once', () => {
  it('not again on the next ticks that still show it, nor when a requeue line told it', () => {
    const s = new SpotInterruptions();
    const a = taken('gpu', 'gpu_a');
    const b = taken('gpu', 'gpu_a');
    s.toldElsewhere([b.instanceId]);
    expect(s.observe([a, b], T0).map((g) => g.instanceIds)).toEqual([[a.instanceId]]);
    expect(s.observe([a, b], T0 + 15_000)).toEqual([]);
    const next = new SpotInterruptions();
    next.carryFrom(s);
    expect(next.observe([a, b], T0 + 30_000)).toEqual([]);
  });
});
