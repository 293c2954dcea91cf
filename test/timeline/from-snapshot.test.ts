// What the timeline records from published snapshots and events.
import { describe, expect, it } from 'vitest';
import { markerOf, sampleOf } from '../../electron/engine/timeline/from-snapshot.js';
import type { EngineEvent, Market } from '../../shared/domain.js';
import { event, queue, snapshot } from '../service/fixtures.js';

describe('sampleOf', () => {
  it('takes each queue’s busy, idle, booting and pending and the burn rate', () => {
    const s = snapshot({
      queues: [queue({ name: 'gpu', busy: 2, idle: 1, booting: 3, pending: 4 }), queue({ name: 'cpu' })],
    });
    s.costs.burnPerHour = 1.5;
    expect(sampleOf(s, 42)).toEqual({
      at: 42,
      queues: { gpu: { busy: 2, idle: 1, booting: 3, pending: 4 }, cpu: { busy: 0, idle: 0, booting: 0, pending: 0 } },
      burnPerHour: 1.5,
    });
  });
});

describe('markerOf', () => {
  const markets: Record<string, Market> = { 'i-0spot0001': 'spot', 'i-0dem00001': 'on-demand' };
  const marketOf = (id: string) => markets[id];
  const cases: [string, Partial<EngineEvent> & Pick<EngineEvent, 'kind' | 'message'>, string | null][] = [
    ['a launch', { kind: 'launch', message: 'launched 2', instanceIds: ['i-1', 'i-2'], queue: 'gpu' }, 'launch'],
    ['a termination', { kind: 'terminate', message: 'terminated 1' }, 'terminate'],
    ['a failed launch', { kind: 'launch-failed', message: 'no capacity' }, 'error'],
    ['an error', { kind: 'error', message: 'EC2 unreachable' }, 'error'],
    [
      'a requeue from a spot instance',
      { kind: 'requeue', message: 'task back', instanceIds: ['i-0spot0001'] },
      'interruption',
    ],
    [
      'a requeue from an on-demand instance',
      { kind: 'requeue', message: 'task back', instanceIds: ['i-0dem00001'] },
      'error',
    ],
    ['a decision', { kind: 'decision', message: 'waiting' }, null],
    ['a budget event', { kind: 'budget', message: 'near cap' }, null],
    ['engine on/off', { kind: 'engine', message: 'autoscaling turned on' }, null],
  ];
  it.each(cases)('%s', (_name, e, kind) => {
    const m = markerOf(event(e), marketOf);
    expect(m?.kind ?? null).toBe(kind);
    if (m) {
      expect(m.message).toBe(e.message);
      expect(m.instanceIds).toEqual(e.instanceIds);
      expect(m.queue).toBe(e.queue);
    }
  });
});
