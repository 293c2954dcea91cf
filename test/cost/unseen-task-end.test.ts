// When a task that left its worker while nobody polled ended (cost/unseen-task-end.ts, pure).
import { describe, expect, it } from 'vitest';
import { unseenTaskEnd, type UnseenEnd } from '../../electron/engine/cost/unseen-task-end.js';
import type { TaskObs } from '../../electron/engine/ports.js';

const H = 3600_000;
const span = { from: 1 * H, now: 9 * H };

describe('unseenTaskEnd', () => {
  it.each<[string, Pick<TaskObs, 'status' | 'statusChangedAt'> | undefined, UnseenEnd]>([
    [
      'completed during the sleep: then',
      { status: 'completed', statusChangedAt: 2 * H },
      { at: 2 * H, code: 'status-changed' },
    ],
    [
      'failed, stopped, published: then',
      { status: 'failed', statusChangedAt: 3 * H },
      { at: 3 * H, code: 'status-changed' },
    ],
    // Every status a task no longer runs in ends it (one left out would bill the sleep as before).
    ...(['stopped', 'published', 'publishing', 'closed'] as const).map(
      (status): [string, Pick<TaskObs, 'status' | 'statusChangedAt'>, UnseenEnd] => [
        `${status}: then`,
        { status, statusChangedAt: 4 * H },
        { at: 4 * H, code: 'status-changed' },
      ],
    ),
    [
      'stopped before it was last seen running: when last seen',
      { status: 'stopped', statusChangedAt: 0.5 * H },
      { at: 1 * H, code: 'status-changed' },
    ],
    [
      'a change stamped after the poll (a server clock ahead): the poll',
      { status: 'completed', statusChangedAt: 10 * H },
      { at: 9 * H, code: 'status-changed' },
    ],
    [
      'queued again (a requeue, a user): the poll, as before',
      { status: 'queued', statusChangedAt: 2 * H },
      { at: 9 * H, code: 'poll' },
    ],
    [
      'in progress (on another worker, or a stale record): the poll',
      { status: 'in_progress', statusChangedAt: 2 * H },
      { at: 9 * H, code: 'poll' },
    ],
    ['no time from the server: the poll', { status: 'completed', statusChangedAt: null }, { at: 9 * H, code: 'poll' }],
    [
      'a time the server wrote that does not parse: the poll',
      { status: 'completed', statusChangedAt: Number.NaN },
      { at: 9 * H, code: 'poll' },
    ],
    [
      'created, never run (a stale record): the poll',
      { status: 'created', statusChangedAt: 2 * H },
      { at: 9 * H, code: 'poll' },
    ],
    ['an older server without the field: the poll', { status: 'completed' }, { at: 9 * H, code: 'poll' }],
    ['not read (deleted, ClearML failed): the poll', undefined, { at: 9 * H, code: 'poll' }],
  ])('%s', (_, task, expected) => {
    expect(unseenTaskEnd(span, task)).toEqual(expected);
  });
});
