// Configured queues missing on the ClearML server are created (as ClearML's autoscaler does), each with an event;
// a refusal is reported with what to do, and nothing is retried silently.
import { describe, expect, it } from 'vitest';
import { createMissingQueues, missingQueues } from '../../electron/engine/queue-setup.js';
import type { ClearmlApi } from '../../electron/engine/ports.js';
import { queue } from './fixtures.js';

describe('queue setup', () => {
  it.each([
    ['all present', ['gpu', 'cpu'], ['gpu', 'cpu'], []],
    ['one missing', ['gpu', 'cpu'], ['gpu'], ['cpu']],
    ['none on the server', ['gpu', 'cpu'], [], ['gpu', 'cpu']],
    ['extra server queues do not matter', ['gpu'], ['gpu', 'default'], []],
  ])('%s', (_, configured, observed, expected) => {
    expect(
      missingQueues(
        configured,
        observed.map((q) => queue(q, 0)),
      ),
    ).toEqual(expected);
  });

  it('creates each missing queue with an event, and reports a refusal with what to do', async () => {
    const created: string[] = [];
    const clearml = {
      createQueue: async (name: string) => {
        if (name === 'locked') throw new Error('403 role not allowed');
        created.push(name);
        return { id: `id-${name}` };
      },
    } as Pick<ClearmlApi, 'createQueue'> as ClearmlApi;
    const events: { key: string; level: string; message: string }[] = [];
    const out = await createMissingQueues(
      clearml,
      { queues: { gpu: [], new: [], locked: [] } },
      [queue('gpu', 2)],
      (key, e) => events.push({ key, level: e.level, message: e.message }),
    );
    expect(out).toEqual([{ id: 'id-new', name: 'new', entries: [] }]);
    expect(created).toEqual(['new']);
    expect(events.map((e) => [e.key, e.level])).toEqual([
      ['queue-created|new', 'info'],
      ['queue-create-failed|locked', 'error'],
    ]);
    expect(events[1]!.message).toMatch(
      /could not be created \(403 role not allowed\): create it in the ClearML web app/,
    );
  });
});
