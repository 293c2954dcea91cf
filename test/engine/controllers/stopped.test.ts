import { describe, expect, it } from 'vitest';
import { StoppedTracker } from '../../../electron/engine/controllers/stopped.js';
import type { NewEvent } from '../../../electron/engine/events.js';
import { instance, T0 } from '../fixtures.js';

describe('StoppedTracker', () => {
  it('remembers when each was first seen stopped, says so once, and forgets one started again', () => {
    const t = new StoppedTracker();
    const events: NewEvent[] = [];
    const emit = (e: NewEvent) => void events.push(e);
    const i = instance('gpu', 'gpu_a', { state: 'stopping' });
    t.observe([i], T0, emit);
    t.observe([{ ...i, state: 'stopped' }], T0 + 60_000, emit);
    expect([...t.stoppedSince]).toEqual([[i.instanceId, T0]]);
    expect(events.map((e) => e.message)).toEqual([
      `instance ${i.instanceId} on 'gpu' was stopped outside the app: its disks are still billed; it will be terminated in 30 min unless started again`,
    ]);
    t.observe([{ ...i, state: 'running' }], T0 + 120_000, emit);
    expect(t.stoppedSince.size).toBe(0);
    // Stopped again later: a new grace, said again.
    t.observe([{ ...i, state: 'stopped' }], T0 + 180_000, emit);
    expect([...t.stoppedSince]).toEqual([[i.instanceId, T0 + 180_000]]);
    expect(events).toHaveLength(2);
  });
});
