// What a poll far later than asked is worth saying (away.ts, pure), and how the event words it (events.ts).
import { describe, expect, it } from 'vitest';
import { awayReport, awayThresholdMs } from '../../electron/engine/away.js';
import { ev } from '../../electron/engine/events.js';
import type { InstanceView } from '../../shared/domain.js';
import { instanceView } from '../fixtures/views.js';

const view = (id: string, over: Partial<InstanceView> = {}): InstanceView => instanceView({ instanceId: id, ...over });
const MIN = 60_000;

describe('awayReport', () => {
  it.each([
    // [poll, slept for, reported]
    [15_000, 15_000, false],
    [15_000, 15_000 + 2 * MIN, false], // a slow wake within the threshold (2 min beyond the interval)
    [15_000, 15_000 + 2 * MIN + 1, true],
    [30 * MIN, 30 * MIN + 29 * MIN, false], // a long poll: the threshold is one more interval
    [30 * MIN, 61 * MIN, true],
  ])('poll %i ms, slept %i ms → reported: %s', (pollMs, slept, reported) => {
    expect(awayThresholdMs(pollMs)).toBe(Math.max(2 * MIN, pollMs));
    expect(awayReport({ from: 0, to: slept, pollMs }, [], []) !== null).toBe(reported);
  });

  it('lists what was live before and is not after, and whether it was idle', () => {
    const before = [
      view('i-0000000a', { state: 'running', phase: 'idle' }),
      view('i-0000000b', { state: 'running', phase: 'busy' }),
      view('i-0000000c', { state: 'running', phase: 'busy' }),
      view('i-0000000d', { state: 'terminated', phase: 'terminating' }),
    ];
    const after = [
      view('i-0000000c', { state: 'running', phase: 'busy' }),
      view('i-0000000b', { state: 'shutting-down' }),
    ];
    expect(awayReport({ from: 0, to: 3600_000, pollMs: 15_000 }, before, after)).toEqual({
      code: 'away',
      from: 0,
      to: 3600_000,
      ended: [
        { instanceId: 'i-0000000a', queue: before[0]!.queue, wasIdle: true },
        { instanceId: 'i-0000000b', queue: before[1]!.queue, wasIdle: false },
      ],
    });
  });

  it('the event: info when nothing ended; a warning naming what ended, and the lease when an idle one did', () => {
    const at = Date.UTC(2026, 11, 7, 10);
    const quiet = ev.away({ code: 'away', from: at, to: at + 7200_000, ended: [] }, { leaseMin: 20, graceMin: 10 });
    expect(quiet).toMatchObject({ level: 'info', kind: 'engine' });
    expect(quiet.message).toBe(
      'the engine did not poll for 2 h (2026-12-07T10:00:00.000Z to 2026-12-07T12:00:00.000Z): this computer slept, ' +
        'the process was paused, or the clock jumped; nothing was launched, terminated or renewed meanwhile.',
    );
    const ended = Array.from({ length: 7 }, (_, k) => ({
      instanceId: `i-0000000${k}`,
      queue: 'gpu',
      wasIdle: k === 0,
    }));
    const e = ev.away({ code: 'away', from: at, to: at + 7200_000, ended }, { leaseMin: 20, graceMin: 10 });
    expect(e).toMatchObject({ level: 'warn', instanceIds: ended.map((x) => x.instanceId) });
    expect(e.message).toMatch(
      /Meanwhile 7 instances ended without this engine \(i-00000000, i-00000001, i-00000002, i-00000003, i-00000004 and 2 more\): an idle instance powers itself off once its lease has run out \(20 min \+ 10 min grace\)\.$/,
    );
    // No lease, or none idle: no lease clause.
    expect(ev.away({ code: 'away', from: at, to: at + 7200_000, ended }, null).message).toMatch(/and 2 more\)\.$/);
  });
});
